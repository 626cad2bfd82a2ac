"""Descriptors: agreement with the simulator's own metrics, closed-form cases, real windows."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from real_data import REAL, need

import scenariogen
from scenariogen.coverage import (
    DESCRIPTOR_NAMES,
    DESCRIPTOR_UNITS,
    RISKY_SIDE,
    descriptors,
    descriptors_of,
)
from scenariogen.data import layout as Lo

REPO = Path(__file__).resolve().parents[2]
H = 10.0
COL = {n: k for k, n in enumerate(DESCRIPTOR_NAMES)}


def test_names_units_sides():
    assert len(DESCRIPTOR_NAMES) == len(set(DESCRIPTOR_NAMES)) == 13
    assert set(RISKY_SIDE) == set(DESCRIPTOR_UNITS) == set(DESCRIPTOR_NAMES)
    assert set(RISKY_SIDE.values()) <= {"low", "high", "both"}
    assert RISKY_SIDE["min_ttc"] == "low" and RISKY_SIDE["ego_max_decel"] == "high"


@pytest.fixture(scope="module")
def cut_in():
    spec = scenariogen.load_scenario(REPO / "scenarios" / "highway_cut_in.yaml")
    batch = scenariogen.simulate(spec, n=50, seed=1)
    D, _names = descriptors_of(batch)
    return batch, D


def _straight_line_min_ttc(batch) -> np.ndarray:
    """Per scenario, the ego's smallest constant-velocity box TTC to any agent over the frames."""
    from scenariogen.kernels.geometry import box_ttc

    tr, sz, mk = batch.trajectories.astype(float), batch.sizes.astype(float), batch.mask
    out = np.full(batch.size, np.inf)
    for r in range(batch.size):
        for j in range(1, tr.shape[1]):
            for t in np.flatnonzero(mk[r, 0] & mk[r, j]):
                (x1, y1, h1, v1), (x2, y2, h2, v2) = tr[r, 0, t, :4], tr[r, j, t, :4]
                out[r] = min(out[r], box_ttc(x1, y1, h1, *sz[r, 0], v1 * math.cos(h1), v1 * math.sin(h1),
                                             x2, y2, h2, *sz[r, j], v2 * math.cos(h2), v2 * math.sin(h2), H))
    return out


def test_agrees_with_simulator_metrics(cut_in):
    batch, D = cut_in
    m = batch.metrics
    assert D.shape == (50, 13) and np.all(np.isfinite(D))
    # float32 trajectories: TTC to ~1e-5 s, distances to ~1e-4 m. The descriptor is read from
    # trajectories alone, as for real logs: the straight-line box TTC of each frame, not the
    # simulator's TTC along the predicted lane paths (they differ while a car changes lanes)
    np.testing.assert_allclose(D[:, COL["min_ttc"]], np.minimum(_straight_line_min_ttc(batch), H), atol=1e-3)
    lane_changes = (np.abs(batch.trajectories[:, :, :, Lo.F_OFFSET]) > 0.01).any(axis=(1, 2))
    assert (~lane_changes).any()  # runs where nobody changed lanes: there the two agree
    np.testing.assert_allclose(D[~lane_changes, COL["min_ttc"]], np.minimum(m["min_ttc"][~lane_changes], H),
                               atol=1e-3)
    np.testing.assert_allclose(D[:, COL["min_distance"]], m["min_distance"], atol=1e-3)
    # the simulator's own accel feature (smooth=None) gives its metric exactly; from smoothed
    # positions (the default, as for real logs) the 1 s filter rounds the braking onset off
    raw, _ = descriptors_of(batch, smooth=None)
    np.testing.assert_allclose(raw[:, COL["ego_max_decel"]], m["ego_max_decel"], atol=1e-3)
    braking = m["ego_max_decel"] > 1.0
    assert braking.sum() >= 20
    rel = D[braking, COL["ego_max_decel"]] / m["ego_max_decel"][braking]
    assert np.median(rel) == pytest.approx(1.0, abs=0.1) and rel.min() > 0.5 and rel.max() < 1.1
    np.testing.assert_array_equal(np.delete(D, [COL["ego_max_decel"], COL["ego_max_lat_accel"]], 1),
                                  np.delete(raw, [COL["ego_max_decel"], COL["ego_max_lat_accel"]], 1))
    np.testing.assert_allclose(D[:, COL["min_pet"]], np.minimum(m["min_pet"], H), atol=1e-6)
    # headway and DRAC: the simulator's leader is the perceived lane leader, ours the geometric
    # corridor leader in ground truth; they agree wherever the simulator saw a leader
    both = np.isfinite(m["min_thw"])
    assert both.sum() >= 30
    close = np.abs(D[both, COL["min_thw"]] - m["min_thw"][both]) < 0.05
    assert close.mean() >= 0.9
    assert np.median(np.abs(D[:, COL["max_drac"]] - m["max_drac"])) < 0.01
    assert np.all(D[:, COL["ego_speed_max"]] <= 40) and np.all(D[:, COL["ego_speed_mean"]] > 10)


def test_occlusion_agrees_with_simulator():
    """With the spec's own sensor and static occluder, the occluded-threat descriptor equals the
    simulator's longest occlusion of the threat before its closest approach."""
    spec = scenariogen.load_scenario(REPO / "scenarios" / "pedestrian_behind_van.yaml")
    batch = scenariogen.simulate(spec, n=40, seed=2)
    se = spec.ego.sensor
    D, _ = descriptors_of(batch, static_occluders=[o.polygon for o in spec.occluders], sensor_range=60.0,
                          sensor_fov_deg=100.0, visible_threshold=se.visible_threshold,
                          sensor_mount=(se.mount_x, se.mount_y))
    sim = batch.agent_metrics[:, 1, Lo.A_OCC_LONGEST]
    assert np.mean(sim > 0) > 0.5
    np.testing.assert_allclose(D[:, COL["occluded_threat_longest"]], sim, atol=1e-6)
    np.testing.assert_allclose(D[:, COL["min_ttc"]], np.minimum(batch.metrics["min_ttc"], H), atol=1e-3)


# ---------------------------------------------------------------------------- closed-form cases


def _scene(agents, T, dt=0.1):
    """agents: list of (x(t), y(t), heading(t), speed(t), accel(t) or None, length, width) callables/values."""
    N = len(agents)
    traj = np.zeros((1, N, T, 8), np.float64)
    sizes = np.zeros((1, N, 2))
    t = np.arange(T) * dt
    for i, (fx, fy, fh, fv, fa, ln, wd) in enumerate(agents):
        for k, f in enumerate((fx, fy, fh, fv)):
            traj[0, i, :, k] = f(t) if callable(f) else f
        traj[0, i, :, 4] = (fa(t) if callable(fa) else fa) if fa is not None else np.nan
        sizes[0, i] = ln, wd
    return traj, np.ones((1, N, T), bool), np.zeros((1, N), np.int8), sizes


def test_following_closed_form():
    # ego 20 m/s, leader 30 m ahead at 10 m/s, 4 x 2 m boxes, one frame
    traj, mask, kinds, sizes = _scene([(0.0, 0.0, 0.0, 20.0, 0.0, 4, 2), (30.0, 0.0, 0.0, 10.0, 0.0, 4, 2)], 1)
    D, _ = descriptors(traj, mask, kinds, sizes, 0.1)
    d = dict(zip(DESCRIPTOR_NAMES, D[0]))
    assert d["min_ttc"] == pytest.approx(26 / 10)
    assert d["min_thw"] == pytest.approx(26 / 20)
    assert d["min_distance"] == pytest.approx(26)
    assert d["max_drac"] == pytest.approx(10 ** 2 / (2 * 26))
    assert d["rel_speed_at_closest"] == pytest.approx(10)
    assert d["n_agents_30m"] == 0  # centre exactly 30 m away: not within
    assert d["min_pet"] == H and d["occluded_threat_longest"] == 0


def test_ego_decel_lateral_accel_speed_stats():
    T, dt = 50, 0.1
    # braking at 3 m/s^2 from 20 m/s, accel feature given / missing (then from speed differences)
    for acc in (-3.0, None):
        traj, mask, kinds, sizes = _scene([(lambda t: 20 * t - 1.5 * t * t, 0.0, 0.0, lambda t: 20 - 3 * t, acc, 4, 2)], T)
        D, _ = descriptors(traj, mask, kinds, sizes, dt)
        d = dict(zip(DESCRIPTOR_NAMES, D[0]))
        assert d["ego_max_decel"] == pytest.approx(3.0, abs=1e-9)
        v = 20 - 3 * np.arange(T) * dt
        assert d["ego_speed_mean"] == pytest.approx(v.mean()) and d["ego_speed_std"] == pytest.approx(v.std())
        assert d["ego_speed_max"] == pytest.approx(20)
        assert d["min_ttc"] == H and d["min_distance"] == 100.0 and math.isnan(d["rel_speed_at_closest"])
    # circle of radius 50 m at 10 m/s: yaw rate 0.2 rad/s, lateral acceleration 2 m/s^2
    w = 0.2
    traj, mask, kinds, sizes = _scene([(lambda t: 50 * np.sin(w * t), lambda t: 50 - 50 * np.cos(w * t),
                                        lambda t: w * t, 10.0, 0.0, 4, 2)], 200)
    D, _ = descriptors(traj, mask, kinds, sizes, dt, smooth=None)
    assert D[0, COL["ego_max_lat_accel"]] == pytest.approx(2.0, rel=1e-6)
    D, _ = descriptors(traj, mask, kinds, sizes, dt)  # from positions: v^2 / R up to the filter's bias
    assert D[0, COL["ego_max_lat_accel"]] == pytest.approx(2.0, rel=1e-3)


def test_pet_crossing():
    # ego along +x through the origin at t = 2 s, agent along +y through it at t = 3 s; the same
    # spot means centres closer than half the widths summed (0.5 m), only (2 s, 3 s) on the grid
    traj, mask, kinds, sizes = _scene([(lambda t: 10 * t - 20, 0.0, 0.0, 10.0, 0.0, 2, 0.6),
                                       (0.0, lambda t: 10 * t - 30, np.pi / 2, 10.0, 0.0, 2, 0.4)], 60)
    D, _ = descriptors(traj, mask, kinds, sizes, 0.1)
    assert D[0, COL["min_pet"]] == pytest.approx(1.0)


def test_occluded_threat():
    # parked truck between the stopped ego and a pedestrian walking towards it: hidden throughout
    T, dt = 81, 0.1
    ped = (lambda t: 30 - 2 * t, 0.0, np.pi, 2.0, 0.0, 0.5, 0.5)
    truck = (10.0, 0.0, 0.0, 0.0, 0.0, 4.0, 3.0)
    ego = (0.0, 0.0, 0.0, 0.0, 0.0, 4.0, 2.0)
    traj, mask, kinds, sizes = _scene([ego, ped, truck], T)
    D, _ = descriptors(traj, mask, kinds, sizes, dt)
    assert D[0, COL["occluded_threat_longest"]] == pytest.approx(T * dt)
    assert D[0, COL["min_ttc"]] < H
    mask[0, 2] = False  # without the truck the pedestrian is in plain view
    D, _ = descriptors(traj, mask, kinds, sizes, dt)
    assert D[0, COL["occluded_threat_longest"]] == 0.0
    D, _ = descriptors(traj, mask, kinds, sizes, dt, static_occluders=[[(8, -1.5), (12, -1.5), (12, 1.5), (8, 1.5)]])
    assert D[0, COL["occluded_threat_longest"]] == pytest.approx(T * dt)


def test_invalid_agents_and_nan():
    traj, mask, kinds, sizes = _scene([(0.0, 0.0, 0.0, 20.0, 0.0, 4, 2), (30.0, 0.0, 0.0, 10.0, 0.0, 4, 2),
                                       (10.0, 0.0, 0.0, 0.0, 0.0, 4, 2)], 3)
    traj[0, 2, :, :4] = np.nan  # a NaN agent is ignored even if its mask is set
    kinds[0, 1] = 0
    D1, _ = descriptors(traj, mask, kinds, sizes, 0.1)
    kinds2 = kinds.copy()
    kinds2[0, 2] = -1
    D2, _ = descriptors(traj[:, :2], mask[:, :2], kinds[:, :2], sizes[:, :2], 0.1)
    np.testing.assert_allclose(D1, D2)
    traj[0, 2, :, :4] = 5.0  # a padding slot (kind -1) is ignored whatever it holds
    D4, _ = descriptors(traj, mask, kinds2, sizes, 0.1)
    np.testing.assert_allclose(D4, D2)
    mask[0, 0] = False  # ego never present
    D3, _ = descriptors(traj, mask, kinds, sizes, 0.1)
    assert np.all(np.isnan(D3))
    with pytest.raises(ValueError):
        descriptors(traj, mask[:, :, :1], kinds, sizes, 0.1)


def test_real_windows_finite():
    from scenariogen.logs import make_windows, read_log

    paths = [REAL / "ngsim-commonroad" / "USA_US101-4_1_T-1.xml", REAL / "eth-ucy" / "crowds_zara01.txt"]
    try:
        import pyarrow  # noqa: F401

        paths.append(REAL / "av2-api-fixtures" / "sensor" / "3b3570b4-7b0b-3268-a571-b0889dbf40b6")
    except ImportError:
        pass
    for p in paths:
        s = read_log(need(p))
        w = make_windows(s, 8.0, ego_kinds=None if "eth" in str(p) else (0, 1, 2, 3))
        D, _ = descriptors_of(w)
        assert w.size >= 5
        others = w.mask[:, 1:].any(axis=(1, 2))
        for k, name in enumerate(DESCRIPTOR_NAMES):
            col = D[:, k] if name != "rel_speed_at_closest" else D[others, k]
            assert np.all(np.isfinite(col)), (p.name, name)
        assert np.all(D[:, COL["min_ttc"]] >= 0) and np.all(D[:, COL["min_ttc"]] <= H)
        assert np.all(D[:, COL["ego_speed_max"]] < 40)
