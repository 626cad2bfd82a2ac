"""The kernel against a slow Python reference (``tests/sim/reference.py``), plus the engine's API.

The reference re-implements the longitudinal dynamics for a restricted case
(straight road, IDM vehicles, no lane changes, no manoeuvres, zero reaction
time) and the ego metrics; see its docstring for the exact step. It is also
run once against the kernel executing as plain Python (``NUMBA_DISABLE_JIT=1``)
to catch behaviour that only the compiled code has.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import scenariogen
from scenariogen.errors import ScenarioGenError, SimulationError
from scenariogen.data import layout as Lo

REPO_ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("scenariogen_sim_reference", Path(__file__).with_name("reference.py"))
reference = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = reference
_spec.loader.exec_module(reference)


@pytest.fixture(scope="module")
def family():
    return scenariogen.parse_text(reference.spec_text(duration=8.0))


@pytest.fixture(scope="module")
def reference_runs(family):
    out = {}
    for seed in (1, 2, 3, 4):
        batch, ki = reference.kernel_run(family, n=12, seed=seed)
        out[seed] = (batch, ki, reference.compare(family, batch, ki))
    return out


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_kernel_matches_reference(reference_runs, seed):
    _batch, _ki, errs = reference_runs[seed]
    bad = {k: v for k, v in errs.items() if not k.startswith("n_") and v > 1.0}
    assert not bad, f"kernel differs from the reference (normalised errors > 1): {bad}"


def test_reference_batches_cover_the_interesting_cases(reference_runs):
    """The random batches exercise crashes, the standstill clamp, padded (invalid) traffic slots,
    braking at the kind limit and scenarios without any collision."""
    n_coll = sum(e["n_collisions"] for _b, _k, e in reference_runs.values())
    n_clamp = sum(e["n_clamped"] for _b, _k, e in reference_runs.values())
    assert n_coll > 0 and n_clamp > 0
    assert n_coll < sum(b.size for b, _k, _e in reference_runs.values())
    assert any(not ki.state.valid.all() for _b, ki, _e in reference_runs.values())
    max_decel = max(float(b.agent_metrics[..., Lo.A_MAX_DECEL].max()) for b, _k, _e in reference_runs.values())
    assert max_decel == pytest.approx(max(Lo.KIND_MAX_BRAKE))


def test_kernel_matches_reference_across_chunks(family):
    """The same scenarios in chunks of 5 (three kernel calls, then concatenated)."""
    batch, ki = reference.kernel_run(family, n=12, seed=2, chunk_size=5)
    errs = reference.compare(family, batch, ki)
    assert all(v <= 1.0 for k, v in errs.items() if not k.startswith("n_")), errs


def test_kernel_without_jit_matches_reference_and_jit(tmp_path):
    """NUMBA_DISABLE_JIT=1: the kernel runs as plain Python (no typing). It must
    agree with the reference, and bit for bit with the compiled kernel on the same scenarios."""
    out = tmp_path / "nojit.npz"
    env = dict(os.environ, NUMBA_DISABLE_JIT="1", PYTHONWARNINGS="ignore")
    proc = subprocess.run([sys.executable, str(Path(reference.__file__)), str(out), "5"], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    errs = json.loads(proc.stdout.strip().splitlines()[-1])
    assert errs.pop("jit_disabled") is True
    assert all(v <= 1.0 for k, v in errs.items() if not k.startswith("n_")), errs
    spec = scenariogen.parse_text(reference.spec_text(duration=1.0))
    batch, _ki = reference.kernel_run(spec, n=2, seed=5)
    with np.load(out) as z:
        np.testing.assert_array_equal(z["theta"], batch.theta)
        np.testing.assert_array_equal(z["trajectories"], batch.trajectories)
        np.testing.assert_array_equal(z["agent_metrics"], batch.agent_metrics)
        for k, v in batch.metrics.items():
            np.testing.assert_array_equal(z[f"metric/{k}"], v, err_msg=k)


# ------------------------------------------------------------------------------------------ engine API

SMALL = """scenariogen: 1
name: small
dt: 0.1
duration: 2.0
road: {type: straight, lanes: 2, length: 300}
actors:
  ego: {kind: car, lane: 0, s: 20, speed: {uniform: [10, 20]}}
  lead: {kind: car, lane: 0, s: {relative_to: ego, offset: {uniform: [10, 40]}}, speed: 12}
traffic:
  count: {choice: [0, 2, 4]}
  lanes: [1]
  speed: 15
events:
  near_miss: {ttc_below: 2.0}
  collision: {}
  hard_braking: {decel_above: 3.0}
"""


@pytest.fixture(scope="module")
def small():
    return scenariogen.parse_text(SMALL)


def test_batch_shapes_and_masks(small):
    b = scenariogen.simulate(small, n=9, seed=4)
    B, N, T = 9, 2 + 4, small.steps
    assert b.trajectories.shape == (B, N, T, Lo.N_FEATURES) and b.trajectories.dtype == np.float32
    assert b.mask.shape == (B, N, T) and b.mask.dtype == np.bool_
    assert b.kinds.shape == (B, N) and b.kinds.dtype == np.int8
    assert b.sizes.shape == (B, N, 2) and b.sizes.dtype == np.float32
    assert b.agent_metrics.shape == (B, N, Lo.N_AGENT_METRICS)
    assert b.theta.shape == (B, small.parameters.dim) and b.parameter_names == small.parameters.names
    np.testing.assert_array_equal(b.indices, np.arange(B))
    assert b.agent_names[:2] == ("ego", "lead") and len(b.agent_names) == N
    assert set(b.metrics) == set(Lo.METRIC_NAMES)
    assert all(v.shape == (B,) and v.dtype == np.float64 for v in b.metrics.values())
    assert set(b.labels) == set(b.robustness) == {"near_miss", "collision", "hard_braking"}
    for k in b.labels:
        np.testing.assert_array_equal(b.labels[k], b.robustness[k] < 0)
    # a slot is present for all frames or none; padded traffic slots hold zeros, off the lane graph
    assert np.all(b.mask == b.mask[:, :, :1])
    count = b.theta[:, small.parameters.index("traffic.count")].astype(int)
    np.testing.assert_array_equal(b.mask[:, 2:, 0].sum(axis=1), count)
    pad = b.trajectories[~b.mask]
    assert pad.shape[0] > 0
    assert np.all(pad[:, Lo.F_LANE] == -1)
    assert np.all(np.delete(pad, Lo.F_LANE, axis=1) == 0.0)
    assert np.all(np.isinf(b.agent_metrics[..., Lo.A_MIN_TTC][~b.mask[:, :, 0]]))
    assert b.provenance["seed"] == 4 and b.provenance["dt"] == 0.1 and b.size == B
    assert b.features == Lo.FEATURES


def test_record_every_and_record_none(small):
    full = scenariogen.simulate(small, n=5, seed=2)
    every3 = scenariogen.simulate(small, n=5, seed=2, record_every=3)
    none = scenariogen.simulate(small, n=5, seed=2, record="none")
    np.testing.assert_array_equal(every3.trajectories, full.trajectories[:, :, ::3])
    np.testing.assert_array_equal(every3.mask, full.mask[:, :, ::3])
    assert every3.provenance["frame_step"] == 3
    assert none.trajectories.shape == (5, full.trajectories.shape[1], 0, Lo.N_FEATURES)
    assert none.mask.shape == (5, full.trajectories.shape[1], 0)
    for k in full.metrics:
        np.testing.assert_array_equal(none.metrics[k], full.metrics[k])
    np.testing.assert_array_equal(none.agent_metrics, full.agent_metrics)


@pytest.mark.parametrize("kwargs,match", [
    (dict(n=0), "n must be a positive number"),
    (dict(), "n must be a positive number"),
    (dict(n=3, record="some"), "record must be"),
    (dict(n=3, record_every=0), "record_every"),
    (dict(theta=np.zeros((3, 1))), "theta must have shape"),
    (dict(theta=np.zeros(3)), "theta must have shape"),
    (dict(theta=np.full((2, 3), np.nan)), "NaN"),
    (dict(theta=np.zeros((2, 3)), n=3), "n = 3"),
])
def test_simulate_rejects_bad_arguments(small, kwargs, match):
    assert small.parameters.dim == 3
    with pytest.raises(ScenarioGenError, match=match):
        scenariogen.simulate(small, **kwargs)


def test_theta_rows_drive_the_scenarios(small):
    """Each theta column reaches the agent it parameterises."""
    i_speed = small.parameters.index("actors.ego.speed")
    i_off = small.parameters.index("actors.lead.s.offset")
    theta = scenariogen.simulate(small, n=3, seed=1, record="none").theta.copy()
    theta[:, i_speed] = [10.0, 15.0, 20.0]
    theta[:, i_off] = [10.0, 25.0, 40.0]
    b = scenariogen.simulate(small, theta=theta)
    np.testing.assert_array_equal(b.trajectories[:, 0, 0, Lo.F_SPEED], [10, 15, 20])
    np.testing.assert_allclose(b.trajectories[:, 1, 0, Lo.F_S] - b.trajectories[:, 0, 0, Lo.F_S], [10, 25, 40])


def test_long_recordings_take_smaller_chunks_and_a_huge_one_is_refused(monkeypatch):
    """Recorded frames are held per chunk: past MAX_CHUNK_BYTES the chunks shrink (the output does
    not depend on the chunk size), and one scenario alone past it is a clear error."""
    import scenariogen.sim.engine as E
    from scenariogen.data.batch import concat

    spec = scenariogen.load_scenario(REPO_ROOT / "scenarios" / "highway_cut_in.yaml")
    per = E.record_bytes(spec, 1)
    assert per > 0 and E.record_bytes(spec, None) == 0
    monkeypatch.setattr(E, "MAX_CHUNK_BYTES", 3 * per)
    theta = scenariogen.simulate(spec, n=7, seed=1, record="none").theta
    chunks = list(E.iter_batches(spec, theta, seed=1, chunk_size=100))
    assert [c.size for c in chunks] == [3, 3, 1]
    assert [c.size for c in E.iter_batches(spec, theta, seed=1, record="none", chunk_size=100)] == [7]
    # simulate() keeps one chunk (it holds them all anyway) and gives the same scenarios
    np.testing.assert_array_equal(concat(chunks).trajectories, scenariogen.simulate(spec, n=7, seed=1).trajectories)
    monkeypatch.setattr(E, "MAX_CHUNK_BYTES", per - 1)
    with pytest.raises(SimulationError, match="one scenario would record"):
        next(E.iter_batches(spec, theta[:1], seed=1))


def test_spec_hash_ignores_the_path_and_the_formatting(tmp_path):
    """The same scenario loaded by another path, or reformatted, is the same spec: a run can be
    resumed from either, and identical runs hash alike wherever the file lives."""
    from scenariogen.sim.engine import spec_hash

    src = REPO_ROOT / "scenarios" / "highway_cut_in.yaml"
    copy = tmp_path / "elsewhere.yaml"
    copy.write_text("# a comment the original does not have\n" + src.read_text().replace("seed: 7", "seed:   7"))
    a, b = scenariogen.load_scenario(src), scenariogen.load_scenario(copy)
    assert a.source_hash != b.source_hash and spec_hash(a) == spec_hash(b)
    changed = scenariogen.parse_text(src.read_text().replace("seed: 7", "seed: 8"))
    assert spec_hash(changed) != spec_hash(a)
