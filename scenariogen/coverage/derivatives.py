"""Derivative descriptors (ego_max_decel, ego_max_lat_accel) from smoothed ego positions.

Logs and simulations do not carry their derivatives alike: a simulator's heading, speed and
acceleration are exact states, a log's are measured (NGSIM's headings are noisy enough that
``v * d heading / dt`` gives several m/s^2 of lateral acceleration on a straight road). So both
sides get them from positions alone, through one documented filter:

- the filter: Savitzky-Golay, quadratic, over ``window`` seconds (an odd number of frames, at
  least 5; a run of presence shorter than that gets the longest odd window it holds, and plain
  finite differences under 5 frames), applied to x and y of each contiguous run of frames
  where the ego is present and finite; it gives the velocity (vx, vy) and the acceleration
  (ax, ay) directly (first and second derivatives of the local fit);
- longitudinal acceleration = (v . a) / max(|v|, ``v_floor``), lateral acceleration =
  |v x a| / max(|v|, ``v_floor``) (m/s^2); below ``v_floor`` (m/s) the direction of travel is
  not defined and both fade to 0 with the speed;
- ego_max_decel = max(0, max of -longitudinal acceleration); ego_max_lat_accel = max of the
  lateral acceleration, over the ego's present frames.

A quadratic fit is exact for constant acceleration along a line, so a braking ego keeps its
deceleration; a straight, constant-speed ego with measurement noise gets a lateral acceleration
near 0 instead of the noise's yaw rate times its speed.

The filter leaves a small noise floor (a few tenths of m/s^2 of lateral acceleration on NGSIM),
which a simulated ego, exact to the micrometre, does not have: on its own that floor would tell
every simulated set from the logs. So the simulated side can be given the measured noise of the
log source before the same filter: :func:`noise_stats` measures it on the real egos (residuals of
x and y around the filter's fit, rescaled to the white-noise standard deviation that leaves such
residuals), and ``noise`` (m) adds Gaussian noise of that standard deviation to the ego's x and y,
seeded, for the derivative descriptors only. White noise of that size is nearly all removed by the
filter; ``noise`` can instead be a :class:`~scenariogen.coverage.measurement.MeasurementNoise`, the
logs' smoothed noise along and across the direction of travel, which passes through it.
"""

from __future__ import annotations

import math

import numpy as np

from ..data import layout as Lo
from ..errors import ParameterError
from .measurement import MeasurementNoise

SMOOTH_WINDOW = 1.0  # s, the default filter window
V_FLOOR = 1.0  # m/s


def _window_frames(window: float, dt: float) -> int:
    return max(5, int(round(window / dt)) | 1)


def _derivatives(z: np.ndarray, dt: float, w: int) -> tuple[np.ndarray, np.ndarray]:
    """First and second derivatives along the last axis of runs of ``n`` frames (rows of z)."""
    n = z.shape[-1]
    w = min(w, n if n % 2 == 1 else n - 1)
    if w >= 5:
        from scipy.signal import savgol_filter

        return (savgol_filter(z, w, 2, deriv=1, delta=dt, axis=-1, mode="interp"),
                savgol_filter(z, w, 2, deriv=2, delta=dt, axis=-1, mode="interp"))
    if n < 2:
        return np.zeros_like(z), np.zeros_like(z)
    d1 = np.gradient(z, dt, axis=-1)
    return d1, (np.gradient(d1, dt, axis=-1) if n >= 3 else np.zeros_like(z))


def _runs(valid: np.ndarray) -> list[tuple[int, int]]:
    v = np.concatenate([[False], valid, [False]]).astype(np.int8)
    d = np.diff(v)
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist()))


def _centre_weight(w: int) -> float:
    """The weight of the centre sample in the quadratic Savitzky-Golay smoother of ``w`` frames."""
    m = (w - 1) // 2
    return 3.0 * (3 * m * m + 3 * m - 1) / ((2 * m + 3) * (2 * m + 1) * (2 * m - 1))


def noise_stats(traj, mask, dt: float, window: float = SMOOTH_WINDOW) -> tuple[float, int]:
    """Measurement-noise statistics of the egos (agent 0) of windows present throughout: the sum of
    squared residuals of x and y around the quadratic Savitzky-Golay fit (m^2) and their count.
    :func:`noise_sd` turns pooled sums into the noise's standard deviation."""
    traj = np.asarray(traj)
    x = np.asarray(traj[:, 0, :, Lo.F_X], np.float64)
    y = np.asarray(traj[:, 0, :, Lo.F_Y], np.float64)
    full = np.asarray(mask[:, 0], bool).all(axis=1) & np.isfinite(x).all(axis=1) & np.isfinite(y).all(axis=1)
    w = _window_frames(window, dt)
    if not full.any() or x.shape[1] < w:
        return 0.0, 0
    from scipy.signal import savgol_filter

    r = [z[full] - savgol_filter(z[full], w, 2, axis=-1, mode="interp") for z in (x, y)]
    # the fit is a projection, so the centre residuals are the ones of a smoother with that weight;
    # the edge frames (fitted by one polynomial) are left out
    h = (w - 1) // 2
    inner = [ri[:, h:ri.shape[1] - h] for ri in r]
    return float(sum((ri ** 2).sum() for ri in inner)), int(sum(ri.size for ri in inner))


def noise_sd(sum_sq: float, count: int, dt: float, window: float = SMOOTH_WINDOW) -> float:
    """The white position noise (m, per axis) that leaves residuals of mean square sum_sq / count
    around the filter's fit: residual variance = sd^2 (1 - centre weight). 0 without residuals."""
    if count <= 0:
        return 0.0
    return float(np.sqrt(sum_sq / count / (1.0 - _centre_weight(_window_frames(window, dt)))))


def noisy_positions(x, y, heading, noise, rng):
    """x, y (m) as a log would have measured them: plus white Gaussian noise of ``noise`` m per axis
    when a positive number, or a :class:`MeasurementNoise` turned by ``heading`` (rad); as given for 0."""
    if isinstance(noise, MeasurementNoise):
        return noise.perturb(x, y, heading, rng)
    if noise > 0:
        return x + rng.normal(0.0, noise, x.shape), y + rng.normal(0.0, noise, y.shape)
    return x, y


def ego_accelerations(traj, mask, dt: float, window: float = SMOOTH_WINDOW, v_floor: float = V_FLOOR,
                      noise=0.0, seed: int = 0):
    """Longitudinal and lateral acceleration (m/s^2) of agent 0 at every frame, (B, T) each, from
    its Savitzky-Golay smoothed positions (module docstring), after Gaussian position noise of
    ``noise`` m per axis (seeded) when positive, or of a ``MeasurementNoise`` turned by the ego's
    heading; NaN where the ego is absent."""
    traj = np.asarray(traj)
    B, _N, T = traj.shape[:3]
    x = np.asarray(traj[:, 0, :, Lo.F_X], np.float64)
    y = np.asarray(traj[:, 0, :, Lo.F_Y], np.float64)
    if isinstance(noise, MeasurementNoise) and not math.isclose(noise.dt, dt, rel_tol=1e-6):
        raise ParameterError("position_noise", f"a measurement model fitted at frames {noise.dt:g} s apart "
                             f"cannot be applied to frames {dt:g} s apart")
    x, y = noisy_positions(x, y, traj[:, 0, :, Lo.F_HEADING], noise, np.random.default_rng(seed))
    ok = np.asarray(mask[:, 0], bool) & np.isfinite(x) & np.isfinite(y)
    vx, vy, ax, ay = (np.full((B, T), np.nan) for _ in range(4))
    w = _window_frames(window, dt)
    full = ok.all(axis=1)
    if full.any():  # the common case (every window's ego is present throughout): one call for all
        (vx[full], ax[full]), (vy[full], ay[full]) = _derivatives(x[full], dt, w), _derivatives(y[full], dt, w)
    for b in np.flatnonzero(~full):
        for a, e in _runs(ok[b]):
            (vx[b, a:e], ax[b, a:e]), (vy[b, a:e], ay[b, a:e]) = (_derivatives(x[b, a:e], dt, w),
                                                                  _derivatives(y[b, a:e], dt, w))
    speed = np.maximum(np.hypot(vx, vy), v_floor)
    return (vx * ax + vy * ay) / speed, np.abs(vx * ay - vy * ax) / speed


def derivative_descriptors(traj, mask, dt: float, window: float = SMOOTH_WINDOW, v_floor: float = V_FLOOR,
                           noise=0.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(ego_max_decel, ego_max_lat_accel) per scenario (m/s^2, (B,) each) from smoothed ego
    positions (with ``noise`` m of added position noise, seeded); NaN for a scenario whose ego is
    never present."""
    lon, lat = ego_accelerations(traj, mask, dt, window, v_floor, noise, seed)
    seen = np.isfinite(lon).any(axis=1)
    decel = np.full(len(lon), np.nan)
    latmax = np.full(len(lon), np.nan)
    decel[seen] = np.maximum(0.0, np.nanmax(-lon[seen], axis=1))
    latmax[seen] = np.nanmax(lat[seen], axis=1)
    return decel, latmax
