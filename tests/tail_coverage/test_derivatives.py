"""Derivative descriptors from smoothed positions: exact on clean kinematics, near zero for a straight
track carrying the measurement noise of a real source (where the log's own headings give metres per
second squared of lateral acceleration)."""

from __future__ import annotations

import numpy as np
import pytest
from coverage_helpers import NGSIM, need
from scipy.signal import savgol_filter

from scenariogen.coverage import DESCRIPTOR_NAMES, descriptors
from scenariogen.coverage.derivatives import derivative_descriptors, ego_accelerations
from scenariogen.errors import ParameterError
from scenariogen.logs import make_windows, read_log

COL = {n: k for k, n in enumerate(DESCRIPTOR_NAMES)}


def _track(x, y, h, v, dt=0.1):
    T = len(x)
    traj = np.full((1, 1, T, 8), np.nan)
    traj[0, 0, :, 0], traj[0, 0, :, 1], traj[0, 0, :, 2], traj[0, 0, :, 3] = x, y, h, v
    return traj, np.ones((1, 1, T), bool)


def test_constant_deceleration_and_circle_are_exact():
    t = np.arange(40) * 0.1
    traj, mask = _track(20 * t - 2.0 * t * t, 0 * t, 0 * t, 20 - 4 * t)
    lon, lat = ego_accelerations(traj, mask, 0.1)
    np.testing.assert_allclose(lon[0], -4.0, atol=1e-9)  # a quadratic fit is exact on a parabola
    np.testing.assert_allclose(lat[0], 0.0, atol=1e-9)
    decel, latmax = derivative_descriptors(traj, mask, 0.1)
    assert decel[0] == pytest.approx(4.0) and latmax[0] == pytest.approx(0.0, abs=1e-9)


def test_absent_frames_and_short_runs():
    t = np.arange(30) * 0.1
    traj, mask = _track(10 * t, 0.5 * t * t, 0 * t, 10 + 0 * t)
    mask[0, 0, 12:15] = False  # two runs: 12 and 15 frames
    lon, lat = ego_accelerations(traj, mask, 0.1)
    assert np.all(np.isnan(lon[0, 12:15])) and np.all(np.isfinite(lon[0, :12]))
    # v = (10, t), a = (0, 1): lateral acceleration |v x a| / |v| = 10 / |v|
    np.testing.assert_allclose(lat[0, mask[0, 0]] * np.hypot(10, t[mask[0, 0]]) / 10, 1.0, rtol=1e-6)
    mask[0, 0] = False
    decel, latmax = derivative_descriptors(traj, mask, 0.1)
    assert np.isnan(decel[0]) and np.isnan(latmax[0])
    with pytest.raises(ParameterError, match="smooth"):
        descriptors(traj, np.ones((1, 1, 30), bool), np.zeros((1, 1), np.int8), np.ones((1, 1, 2)), 0.1, smooth=0)


def test_straight_track_with_the_noise_of_ngsim_has_no_lateral_acceleration():
    """The noise of an NGSIM source (US-101), measured as the residual of its egos' positions,
    headings and speeds around a 1 s quadratic fit, put on straight constant-speed tracks: from
    smoothed positions the lateral acceleration stays near zero; from the noisy headings
    (smooth=None, how the real side was computed before) it is several m/s^2."""
    w = make_windows(read_log(need(NGSIM / "USA_US101-4_1_T-1.xml")), 3.0, stride=3.0)
    ego = w.trajectories[:, 0].astype(float)

    def noise(z):
        return float((z - savgol_filter(z, 11, 2, axis=-1)).std())

    sd_xy = np.hypot(noise(ego[..., 0]), noise(ego[..., 1])) / np.sqrt(2)
    sd_h, sd_v = noise(np.unwrap(ego[..., 2], axis=-1)), noise(ego[..., 3])
    assert 0.001 < sd_xy < 0.2 and 0.001 < sd_h < 0.1  # centimetres and hundredths of a radian
    rng = np.random.default_rng(0)
    B, T, v, h0 = 200, 30, 15.0, 0.3
    t = np.arange(T) * 0.1
    traj = np.full((B, 1, T, 8), np.nan)
    traj[:, 0, :, 0] = v * t * np.cos(h0) + rng.normal(0, sd_xy, (B, T))
    traj[:, 0, :, 1] = v * t * np.sin(h0) + rng.normal(0, sd_xy, (B, T))
    traj[:, 0, :, 2] = h0 + rng.normal(0, sd_h, (B, T))
    traj[:, 0, :, 3] = v + rng.normal(0, sd_v, (B, T))
    args = (traj, np.ones((B, 1, T), bool), np.zeros((B, 1), np.int8), np.tile([4.5, 1.8], (B, 1, 1)), 0.1)
    smooth = descriptors(*args)[0][:, COL["ego_max_lat_accel"]]
    raw = descriptors(*args, smooth=None)[0][:, COL["ego_max_lat_accel"]]
    assert smooth.max() < 0.5 and np.median(smooth) < 0.3
    assert np.median(raw) > 3.0
