"""Scenario descriptors: one vector per scenario, computed from trajectories alone.

The same function serves simulated batches and real logs, so the two can be
compared in one descriptor space (tail coverage, fidelity, drift). Agent 0 is the
ego. Input: ``traj`` (B, N, T, F >= 5) with features x, y (m), heading (rad),
speed (m/s), accel (m/s^2) as in ``layout.FEATURES``; ``mask`` (B, N, T) presence;
``kinds`` (B, N) (negative = padding slot, ignored); ``sizes`` (B, N, 2) length and
width (m); ``dt`` (s) between frames. A frame of an agent counts when its mask is
set and x, y, heading and speed are finite. Velocities are speed times the unit
heading vector (constant-velocity prediction, as in the simulator's metrics).

Descriptors (column order = ``DESCRIPTOR_NAMES``):

====================== ====== ======= ===========================================================
name                   unit   risky   definition
====================== ====== ======= ===========================================================
min_ttc                s      low     min over frames and agents of the exact oriented-box TTC
                                      (:func:`box_ttc`, constant velocities); capped at
                                      ``ttc_horizon`` (no conflict = the cap; 0 = overlap)
min_thw                s      low     min time headway: bumper gap to the nearest agent ahead in
                                      the ego's heading corridor (|lateral| < half the widths
                                      summed + ``corridor_margin``) over ego speed, for ego speed
                                      > 0.5 m/s; capped at ``ttc_horizon``
min_distance           m      low     min box distance (:func:`box_distance`) to any agent; capped
                                      at ``distance_cap``
ego_max_decel          m/s^2  high    max of -longitudinal acceleration over the ego's frames
                                      (>= 0), from its smoothed positions
                                      (:mod:`~scenariogen.coverage.derivatives`); with
                                      ``smooth=None``: the accel feature, else speed differences
ego_max_lat_accel      m/s^2  high    max lateral acceleration |v x a| / |v| from the ego's
                                      smoothed positions; with ``smooth=None``: max
                                      |v * yaw rate|, yaw rate from heading differences of
                                      consecutive frames, v their mean speed
rel_speed_at_closest   m/s    high    |v_agent - v_ego| (vectors) at the closest approach
                                      (frame and agent of min_distance); NaN with no other agent
min_pet                s      low     min post-encroachment time against agents that came within
                                      6 m and crossed at more than 0.5 rad: the smallest time
                                      between the ego and the agent occupying the same spot
                                      (centres within half the widths summed), as the simulator
                                      computes it; capped at ``ttc_horizon``
max_drac               m/s^2  high    max deceleration rate to avoid a crash with the corridor
                                      leader: (v_ego - v_lead)^2 / (2 max(gap, 0.01)),
                                      v_lead = the leader's speed along the ego's heading
n_agents_30m           1      high    MEAN over the ego's frames of the number of agents whose
                                      centre is within ``near_radius`` (30 m) of the ego's
ego_speed_mean         m/s    both    mean ego speed over its frames
ego_speed_std          m/s    high    population standard deviation of the ego speed
ego_speed_max          m/s    high    max ego speed
occluded_threat_longest s     high    longest run of frames (x dt) during which the closest
                                      threat (the agent with the lowest TTC if below the
                                      horizon, else the one of min_distance) is within sensor
                                      range of the ego's centre but visible below
                                      ``visible_threshold`` from a nominal sensor at the ego's
                                      centre and heading (range 80 m, FOV 120 deg) with the other
                                      agents' boxes as occluders (:func:`visibility_all`), up to
                                      its closest approach; 0 when there is no other agent
====================== ====== ======= ===========================================================

A scenario whose ego is never present gets NaN everywhere. The kernel
(:mod:`scenariogen.kernels.descriptors`) is parallel over scenarios.
"""

from __future__ import annotations

import math

import numpy as np

from ..data.layout import D_MAX_DECEL, D_MAX_LAT, DESCRIPTOR_NAMES, N_DESCRIPTORS
from ..errors import ParameterError
from .derivatives import SMOOTH_WINDOW, derivative_descriptors
from .measurement import MeasurementNoise

DESCRIPTOR_UNITS = {
    "min_ttc": "s", "min_thw": "s", "min_distance": "m", "ego_max_decel": "m/s^2", "ego_max_lat_accel": "m/s^2",
    "rel_speed_at_closest": "m/s", "min_pet": "s", "max_drac": "m/s^2", "n_agents_30m": "agents",
    "ego_speed_mean": "m/s", "ego_speed_std": "m/s", "ego_speed_max": "m/s", "occluded_threat_longest": "s",
}
# which tail is the dangerous one: "low" (small values are risky), "high", or "both"
RISKY_SIDE = {
    "min_ttc": "low", "min_thw": "low", "min_distance": "low", "ego_max_decel": "high",
    "ego_max_lat_accel": "high", "rel_speed_at_closest": "high", "min_pet": "low", "max_drac": "high",
    "n_agents_30m": "high", "ego_speed_mean": "both", "ego_speed_std": "high", "ego_speed_max": "high",
    "occluded_threat_longest": "high",
}

def descriptors(
    traj,
    mask,
    kinds,
    sizes,
    dt: float,
    *,
    ttc_horizon: float = 10.0,
    near_radius: float = 30.0,
    distance_cap: float = 100.0,
    sensor_range: float = 80.0,
    sensor_fov_deg: float = 120.0,
    visible_threshold: float = 0.3,
    corridor_margin: float = 0.0,
    occlusion: bool = True,
    static_occluders=(),
    sensor_mount: tuple[float, float] = (0.0, 0.0),
    smooth: float | None = SMOOTH_WINDOW,
    position_noise=0.0,
    noise_seed: int = 0,
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Descriptor matrix ``D`` float64 (B, 13) and the column names ``DESCRIPTOR_NAMES``
    (definitions, units and risky sides in the module docstring).

    ``ttc_horizon`` (s) caps min_ttc, min_thw and min_pet; ``distance_cap`` (m) caps
    min_distance; ``occlusion=False`` skips the visibility sweep (the column is then 0).
    ``static_occluders``: convex polygons ((K, 2) arrays, m, world frame) that hide agents in
    every scenario besides the agents' own boxes (e.g. a spec's ``occluders``); by default
    only the trajectories' boxes occlude, so that logs and simulations are treated alike.
    ``sensor_mount``: sensor position (m) forward and left of the ego's centre (the range test
    uses the ego's centre, as the simulator does). ``smooth`` (s): window of the Savitzky-Golay
    filter of the ego's positions from which both sides' derivative descriptors (ego_max_decel,
    ego_max_lat_accel) are computed; None keeps the frame differences of the trajectory's own
    heading, speed and accel features (what the simulator's metrics use). ``position_noise`` (m):
    Gaussian noise added to the ego's x and y (seeded by ``noise_seed``) before that filter, to
    give simulated trajectories the measured noise of a log source
    (:func:`~scenariogen.coverage.derivatives.noise_stats`), or a
    :class:`~scenariogen.coverage.measurement.MeasurementNoise` (the logs' smoothed noise along and
    across the ego's heading); 0 for real logs."""
    traj = np.asarray(traj)
    if traj.ndim != 4 or traj.shape[3] < 4:
        raise ValueError(f"traj must have shape (B, N, T, F >= 4), got {traj.shape}")
    if traj.dtype not in (np.float32, np.float64):
        traj = traj.astype(np.float64)
    B, N, T = traj.shape[:3]
    mask = np.asarray(mask, dtype=np.bool_)
    kinds = np.asarray(kinds).astype(np.int64)
    sizes = np.asarray(sizes, dtype=np.float64)
    if mask.shape != (B, N, T) or kinds.shape != (B, N) or sizes.shape != (B, N, 2):
        raise ValueError(f"mask {mask.shape}, kinds {kinds.shape}, sizes {sizes.shape} do not match traj {traj.shape}")
    if not dt > 0:
        raise ParameterError("dt", f"must be positive, got {dt}")
    out = np.full((B, N_DESCRIPTORS), np.nan)
    if B == 0 or N == 0:
        return out, DESCRIPTOR_NAMES
    polys = [np.asarray(p, dtype=np.float64).reshape(-1, 2) for p in static_occluders]
    counts = np.array([len(p) for p in polys], np.int64)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64) if polys else np.zeros(0, np.int64)
    pts = np.concatenate(polys) if polys else np.zeros((0, 2))
    from ..kernels.descriptors import descriptors_batch

    descriptors_batch(traj, mask, kinds, sizes, float(dt), float(ttc_horizon), float(near_radius),
                        float(distance_cap), float(sensor_range), math.radians(sensor_fov_deg),
                        float(visible_threshold), float(corridor_margin), bool(occlusion),
                        float(sensor_mount[0]), float(sensor_mount[1]), np.ascontiguousarray(pts[:, 0]), np.ascontiguousarray(pts[:, 1]), starts, counts, out)
    if smooth is not None:
        if not smooth > 0:
            raise ParameterError("smooth", f"must be a positive window in seconds or None, got {smooth}")
        noise = position_noise if isinstance(position_noise, MeasurementNoise) else float(position_noise)
        if not isinstance(noise, MeasurementNoise) and not noise >= 0:
            raise ParameterError("position_noise", f"must be >= 0 m, got {position_noise}")
        decel, lat = derivative_descriptors(traj, mask, float(dt), float(smooth), noise=noise, seed=noise_seed)
        seen = np.isfinite(out).any(axis=1)  # the kernel's NaN rows (ego never valid) stay NaN
        out[seen, D_MAX_DECEL] = decel[seen]
        out[seen, D_MAX_LAT] = lat[seen]
    return out, DESCRIPTOR_NAMES


def descriptors_of(scenes, **options) -> tuple[np.ndarray, tuple[str, ...]]:
    """:func:`descriptors` of a simulated ``Batch`` (dt = spec dt x frame step) or a ``LogScenes``."""
    dt = getattr(scenes, "dt", None)
    if dt is None:
        dt = scenes.frame_dt()
    return descriptors(scenes.trajectories, scenes.mask, scenes.kinds, scenes.sizes, dt, **options)
