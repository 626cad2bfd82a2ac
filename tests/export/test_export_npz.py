"""npz: fixed-shape training tensors, the map, event times, weights and the loader."""

from __future__ import annotations

import numpy as np
import pytest
from export_helpers import sim_arrays

import scenariogen
from scenariogen.export import export
from scenariogen.export.npz import iter_parts
from scenariogen.road import build_road, compile_road
from scenariogen.data.run import open_run, read_manifest
from scenariogen.data import layout as Lo


@pytest.fixture(scope="module")
def mc_npz(mc_run, tmp_path_factory):
    out = tmp_path_factory.mktemp("npz") / "mc"
    report = export(mc_run, "npz", out)
    return out, report


def test_one_file_per_shard_with_fixed_shapes(mc_run, mc_npz):
    out, report = mc_npz
    shards = read_manifest(mc_run).shards
    parts = list(iter_parts(out))
    assert len(parts) == len(shards) == report.files and report.scenarios == 240
    ref = open_run(mc_run).batch()
    B = [p["index"].shape[0] for p in parts]
    assert B == [s.kept for s in shards]
    N, T, F = ref.trajectories.shape[1:]
    for p in parts:
        b = p["index"].shape[0]
        h = p["header"]
        E, M, d = len(h["events"]), len(h["metric_names"]), len(h["parameter_names"])
        assert p["agents/features"].shape == (b, N, T, F) and p["agents/features"].dtype == np.float32
        assert p["agents/valid"].shape == (b, N, T) and p["agents/valid"].dtype == bool
        assert p["agents/kind"].shape == (b, N) and p["agents/size"].shape == (b, N, 2)
        assert p["labels"].shape == p["robustness"].shape == p["event_time"].shape == (b, E)
        assert p["metrics"].shape == (b, M) and p["theta"].shape == (b, d)
        assert p["agent_metrics"].shape == (b, N, len(h["agent_metric_names"]))
        assert h["features"] == list(Lo.FEATURES) and h["frame_dt"] == pytest.approx(0.1)


def test_tensors_match_the_run(mc_run, mc_npz):
    out, _ = mc_npz
    ref = open_run(mc_run).batch()
    cat = lambda key: np.concatenate([p[key] for p in iter_parts(out)])  # noqa: E731
    valid = cat("agents/valid")
    np.testing.assert_array_equal(valid, ref.mask)
    feats = cat("agents/features")
    np.testing.assert_array_equal(feats[valid], ref.trajectories[valid])
    assert not feats[~valid].any()  # padding is zero, the mask tells it apart
    np.testing.assert_array_equal(cat("agents/kind"), ref.kinds)
    np.testing.assert_array_equal(cat("agents/size"), ref.sizes)
    np.testing.assert_array_equal(cat("theta"), ref.theta)
    np.testing.assert_array_equal(cat("index"), ref.indices)
    events = next(iter_parts(out))["header"]["events"]
    for k, e in enumerate(events):
        np.testing.assert_array_equal(cat("labels")[:, k], ref.labels[e])
        np.testing.assert_array_equal(cat("robustness")[:, k], ref.robustness[e])
    sim = sim_arrays(mc_run)
    np.testing.assert_array_equal(cat("log_weight"), sim["log_weight"])
    np.testing.assert_array_equal(cat("weight"), np.exp(sim["log_weight"]))


def test_event_times(mc_run, mc_npz):
    out, _ = mc_npz
    ref = open_run(mc_run).batch()
    parts = list(iter_parts(out))
    events = parts[0]["header"]["events"]
    times = np.concatenate([p["event_time"] for p in parts])
    labels = np.concatenate([p["labels"] for p in parts])
    assert np.isnan(times[~labels]).all()  # no event, no time
    c = events.index("collision")
    assert labels[:, c].any()
    np.testing.assert_array_equal(times[labels[:, c], c], ref.metrics["ego_collision_time"][labels[:, c]])
    coll = np.concatenate([p["collision_time"] for p in parts])
    first = ref.metrics["collision_time"]
    np.testing.assert_array_equal(np.isnan(coll), ~np.isfinite(first))
    np.testing.assert_array_equal(coll[~np.isnan(coll)], first[np.isfinite(first)])
    # hard braking: the first frame at which the ego brakes harder than the threshold
    hb = events.index("hard_braking")
    told = labels[:, hb] & ~np.isnan(times[:, hb])
    assert told.any()
    rows = np.flatnonzero(told)
    frames = np.round(times[rows, hb] / 0.1).astype(int)
    accel = ref.trajectories[rows, 0, :, Lo.F_ACCEL]
    assert (accel[np.arange(len(rows)), frames] <= -6.0).all()
    assert all((accel[k, :f] > -6.0).all() for k, f in enumerate(frames))


def test_map_polylines_come_from_the_spec_road(mc_npz, brake_spec):
    out, _ = mc_npz
    p = next(iter_parts(out))
    road = compile_road(build_road(brake_spec.road), ds=1.0)
    poly, valid = p["map/polylines"], p["map/valid"]
    assert poly.shape[:2] == valid.shape and poly.shape[0] == road.n_lanes == 2 and poly.shape[2] == 3
    assert p["header"]["lane_ids"] == list(road.lane_ids)
    for k in range(road.n_lanes):
        n = int(road.lane_offset[k + 1] - road.lane_offset[k])
        assert valid[k, :n].all() and not valid[k, n:].any()  # a valid prefix, then padding
        np.testing.assert_allclose(poly[k, :n, 0], road.px[road.lane_offset[k]:road.lane_offset[k + 1]], atol=1e-4)
        assert not poly[k, n:].any()
    np.testing.assert_allclose(p["map/lane_width"], 3.6)


def test_loader_sketch_gives_the_weighted_event_rate(ce_run, tmp_path):
    """The README's training-loop sketch: weights from the parts give an unbiased average."""
    out = tmp_path / "ce_npz"
    export(ce_run, "npz", out)
    num = den = 0.0
    seen = 0
    for part in iter_parts(out):
        x = part["agents/features"][..., :4]
        valid = part["agents/valid"]
        y = part["labels"][:, part["header"]["events"].index("near_miss")]
        w = part["weight"]
        for lo in range(0, len(y), 64):
            xb, mb, yb, wb = x[lo:lo + 64], valid[lo:lo + 64], y[lo:lo + 64], w[lo:lo + 64]
            assert xb.shape[:3] == mb.shape and np.isfinite(xb[mb]).all()
            num += float((wb * yb).sum())
            den += float(wb.sum())
            seen += len(yb)
    assert seen == read_manifest(ce_run).totals.kept
    sim = sim_arrays(ce_run)
    kept = sim["event"]
    np.testing.assert_allclose(num, np.exp(sim["log_weight"][kept]).sum())


def test_batch_source_drops_perception_and_says_so(tmp_path):
    spec = scenariogen.load_scenario(scenariogen.__path__[0] + "/../scenarios/pedestrian_behind_van.yaml")
    batch = scenariogen.simulate(spec, n=4, seed=1)
    report = export(batch, "npz", tmp_path / "b")
    assert any("perception" in d for d in report.dropped)
    part = next(iter_parts(tmp_path / "b"))
    np.testing.assert_array_equal(part["weight"], 1.0)
    assert not any(k.startswith("perception") for k in part)
