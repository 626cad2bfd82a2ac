"""Log-replay agents (seed_from.replay: others, or replay: true on a named actor) follow their
recorded trajectories exactly, appear when they enter the log and disappear when they leave it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from real_data import NGSIM_MORE, need
from seeded_family import SCENES, seeded_yaml

from scenariogen import api
from scenariogen.logs import read_log
from scenariogen.sim.seed import seed_rows

ACTORS = """  ego:
    behavior: {idm: {desired_speed: 25}}
  leader:
    from_log: {role: leader}
    replay: true
"""


def late_log(tmp: Path) -> str:
    """US-101 8 with one vehicle entering the scene at 1.5 s (its earlier states removed): the
    NGSIM scenes have every vehicle from their first frame on."""
    tree = ET.parse(need(NGSIM_MORE / SCENES[0]))
    # 2018b: <obstacle><role>dynamic</role>; the vehicle recorded longest
    ob = max(tree.getroot().iter("obstacle"), key=lambda o: len(o.findall("trajectory/state")))
    ob.remove(ob.find("initialState"))
    traj = ob.find("trajectory")
    for st in list(traj):
        if int(st.findtext("time/exact")) < 15:
            traj.remove(st)
    path = tmp / "USA_US101-8_late.xml"
    tree.write(path)
    return str(path)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("replay")
    logs = [late_log(tmp), str(need(NGSIM_MORE / SCENES[1]))]
    spec = api.load_scenario(seeded_yaml(tmp, actors=ACTORS, extra_seed="  replay: others\n", logs=logs))
    theta = spec.parameters.from_unit(np.random.default_rng(1).random((8, spec.parameters.dim)))
    theta[:, spec.parameters.index("seed_from.scene")] = np.arange(8) % 2
    theta[:, spec.parameters.index("seed_from.moment")] = 0.0  # the late vehicle enters during every scenario
    b = api.simulate(spec, theta=theta, seed=4)
    rows = seed_rows(spec, theta, {n: i for i, n in enumerate(spec.parameters.names)}, b.trajectories.shape[1])
    return spec, b, rows


def test_replayed_agents_follow_their_recording_at_every_frame(run):
    spec, b, rows = run
    logs = {sc.source: read_log(sc.source, "commonroad", dt=spec.dt) for sc in spec.seed_from.scenes}
    F = b.trajectories.shape[2]
    entered = left = 0
    for r in range(b.size):
        sc = spec.seed_from.scenes[rows.scene[r]]
        log = logs[sc.source]
        ids = [str(t) for t in log.track_ids[0]]
        k = rows.frame[r]
        dx, dy = spec.road.seed_maps[rows.scene[r]].shift
        ego = b.agent_names.index("ego")
        for col in np.flatnonzero(rows.agent[r] >= 0):
            if col == ego:
                continue
            m = ids.index(sc.track_ids[rows.agent[r, col]])
            want = log.mask[0, m, k:k + F]
            assert (b.mask[r, col] == want).all()
            entered += int(not want[0] and want.any())
            assert (b.sizes[r, col] > 0).all()  # an agent entering later has its size from the start
            left += int(want[0] and not want[-1])
            got = b.trajectories[r, col, want].astype(np.float64)
            rec = log.trajectories[0, m, k:k + F][want].astype(np.float64)
            assert np.hypot(got[:, 0] - dx - rec[:, 0], got[:, 1] - dy - rec[:, 1]).max() < 0.01
            assert np.abs((got[:, 2] - rec[:, 2] + np.pi) % (2 * np.pi) - np.pi).max() < 0.01
            assert np.abs(got[:, 3] - rec[:, 3]).max() < 0.01
    assert left > 0 and entered > 0  # both happen on these scenes


def test_the_ego_is_simulated_not_replayed(run):
    spec, b, rows = run
    ego = b.agent_names.index("ego")
    moved = [np.hypot(*(spec.seed_from.scenes[rows.scene[r]].x[rows.agent[r, ego], rows.frame[r] + 30]
                        - b.trajectories[r, ego, 30, 0],) + (0.0,)) for r in range(b.size)]
    assert np.nanmax(moved) > 0.01  # it drives its own way, not the log's


def test_agents_that_leave_still_count_in_the_scenario_metrics(run):
    """A replayed agent that leaves the log before the end keeps its closest approach in the
    scenario's min distance and min TTC (the near miss reads them)."""
    from scenariogen.data import layout as Lo

    spec, b, rows = run
    ego = b.agent_names.index("ego")
    left = 0
    for r in range(b.size):
        cols = [c for c in np.flatnonzero(b.mask[r].any(axis=1)) if c != ego]
        left += sum(bool(b.mask[r, c, 0] and not b.mask[r, c, -1]) for c in cols)
        for name, a in (("min_distance", Lo.A_MIN_DIST), ("min_ttc", Lo.A_MIN_TTC)):
            assert b.metrics[name][r] == min(b.agent_metrics[r, c, a] for c in cols), (r, name)
    assert left > 0
