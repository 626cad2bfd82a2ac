"""A seeded family starts from its scene exactly: at t = 0 every logged agent present at the chosen
moment is where the log has it (1 cm, 0.01 rad, 0.01 m/s), on real NGSIM US-101 scenes."""

from __future__ import annotations

import numpy as np
import pytest

from scenariogen import api
from scenariogen.logs import read_log
from scenariogen.sim.seed import seed_rows
from seeded_family import seeded_yaml


@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    return api.load_scenario(seeded_yaml(tmp_path_factory.mktemp("seed")))


def theta_rows(spec, n: int) -> np.ndarray:
    """Rows covering both scenes and the whole range of moments (the ends included)."""
    rng = np.random.default_rng(3)
    theta = spec.parameters.from_unit(rng.random((n, spec.parameters.dim)))
    names = spec.parameters.names
    theta[:, names.index("seed_from.scene")] = np.arange(n) % 2
    theta[:, names.index("seed_from.moment")] = np.linspace(0.0, 1.0, n)
    return theta


def test_every_logged_agent_starts_in_its_logged_state(spec):
    theta = theta_rows(spec, 24)
    b = api.simulate(spec, theta=theta, seed=5)
    names = {n: i for i, n in enumerate(spec.parameters.names)}
    rows = seed_rows(spec, theta, names, b.trajectories.shape[1])
    assert set(rows.scene) == {0, 1}
    logs = {sc.source: read_log(sc.source, "commonroad", dt=spec.dt) for sc in spec.seed_from.scenes}  # on their own
    for r in range(b.size):
        sc = spec.seed_from.scenes[rows.scene[r]]
        k = rows.frame[r]
        if r >= 2:
            assert k >= rows.frame[r - 2]  # the moment steers the frame, monotonically
        log = logs[sc.source]
        ids = [str(t) for t in log.track_ids[0]]
        present = np.flatnonzero(log.mask[0, :, k])
        placed = rows.agent[r] >= 0
        assert placed.sum() == len(present) == b.mask[r, :, 0].sum()
        assert (b.mask[r, :, 0] == placed).all()
        dx, dy = spec.road.seed_maps[rows.scene[r]].shift
        got = b.trajectories[r, :, 0].astype(np.float64)
        for col in np.flatnonzero(placed):
            m = ids.index(sc.track_ids[rows.agent[r, col]])
            x, y, h, v = log.trajectories[0, m, k, :4].astype(np.float64)
            assert np.hypot(got[col, 0] - dx - x, got[col, 1] - dy - y) < 0.01
            assert abs((got[col, 2] - h + np.pi) % (2 * np.pi) - np.pi) < 0.01
            assert abs(got[col, 3] - v) < 0.01
    assert rows.frame[-1] == spec.seed_from.scenes[rows.scene[-1]].usable[-1]
    assert rows.frame[0] == spec.seed_from.scenes[0].usable[0]


def test_named_actors_are_the_logged_vehicles_of_their_roles(spec):
    theta = theta_rows(spec, 6)
    names = {n: i for i, n in enumerate(spec.parameters.names)}
    b = api.simulate(spec, theta=theta, seed=5)
    rows = seed_rows(spec, theta, names, b.trajectories.shape[1])
    ego, cutter, leader = (b.agent_names.index(n) for n in ("ego", "cutter", "leader"))
    for r in range(b.size):
        sc = spec.seed_from.scenes[rows.scene[r]]
        j = list(sc.usable).index(rows.frame[r])
        assert rows.agent[r, ego] == sc.ego[j, 0]
        assert rows.agent[r, cutter] == sc.roles["left_ahead"][j, 0]
        assert rows.agent[r, leader] == sc.roles["leader"][j, 0]
        # the cutter is ahead of the ego in the lane on its left, the leader ahead in its lane
        lane = b.trajectories[r, :, 0, 5].astype(int)
        assert lane[cutter] != lane[ego]


def test_same_theta_and_seed_give_the_same_batch(spec):
    theta = theta_rows(spec, 8)
    a = api.simulate(spec, theta=theta, seed=9)
    # a scenario depends on its theta row and index only, not on the batch it is simulated in
    b = api.simulate(spec, theta=theta, seed=9, chunk_size=3)
    assert np.array_equal(a.trajectories, b.trajectories) and np.array_equal(a.mask, b.mask)
