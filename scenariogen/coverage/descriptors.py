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
ego_max_decel          m/s^2  high    max of -accel over the ego's frames (>= 0; accel from the
                                      feature, else from speed differences)
ego_max_lat_accel      m/s^2  high    max |v * yaw rate|, yaw rate from heading differences of
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

A scenario whose ego is never present gets NaN everywhere. The per-scenario
kernel is ``@njit``, parallel over scenarios (``prange``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from ..sim.kernels.geometry import box_distance, box_ttc
from ..sim.kernels.occlusion import visibility_all

DESCRIPTOR_NAMES = (
    "min_ttc", "min_thw", "min_distance", "ego_max_decel", "ego_max_lat_accel", "rel_speed_at_closest",
    "min_pet", "max_drac", "n_agents_30m", "ego_speed_mean", "ego_speed_std", "ego_speed_max",
    "occluded_threat_longest",
)
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

PET_MAX_DIST = 6.0  # m, as the simulator
PET_MIN_ANGLE = 0.5  # rad
(D_MIN_TTC, D_MIN_THW, D_MIN_DIST, D_MAX_DECEL, D_MAX_LAT, D_REL_SPEED, D_MIN_PET, D_MAX_DRAC, D_NEAR,
 D_V_MEAN, D_V_STD, D_V_MAX, D_OCC) = range(13)
N_DESCRIPTORS = 13


@njit(cache=True, inline="always")
def _ok(traj, mask, kinds, b, i, t):
    if kinds[b, i] < 0 or not mask[b, i, t]:
        return False
    return (math.isfinite(traj[b, i, t, 0]) and math.isfinite(traj[b, i, t, 1]) and math.isfinite(traj[b, i, t, 2])
            and math.isfinite(traj[b, i, t, 3]))


@njit(cache=True)
def _wrap(a):
    return a - 2.0 * math.pi * math.floor((a + math.pi) / (2.0 * math.pi))


@njit(cache=True)
def _one(b, traj, mask, kinds, sizes, dt, horizon, radius, dcap, rng, fov, vthr, margin, do_occ, mx, my, spx, spy, sst,
         scn, out):
    N = traj.shape[1]
    T = traj.shape[2]
    INF = np.inf
    amin_ttc = np.full(N, INF)
    amin_dist = np.full(N, INF)
    at_min = np.full(N, -1, np.int64)
    circ = np.empty(N)
    for j in range(N):
        circ[j] = 0.5 * math.hypot(float(sizes[b, j, 0]), float(sizes[b, j, 1]))
    le = float(sizes[b, 0, 0])
    we = float(sizes[b, 0, 1])
    min_thw = INF
    max_decel = 0.0
    max_lat = 0.0
    max_drac = 0.0
    near_sum = 0.0
    n_ego = 0
    vsum = 0.0
    vsq = 0.0
    vmax = -INF
    prev_ok = False
    hprev = 0.0
    vprev = 0.0
    r2 = radius * radius
    for t in range(T):
        if not _ok(traj, mask, kinds, b, 0, t):
            prev_ok = False
            continue
        xe = float(traj[b, 0, t, 0])
        ye = float(traj[b, 0, t, 1])
        he = float(traj[b, 0, t, 2])
        ve = float(traj[b, 0, t, 3])
        c = math.cos(he)
        s = math.sin(he)
        vxe = ve * c
        vye = ve * s
        n_ego += 1
        vsum += ve
        vsq += ve * ve
        vmax = max(vmax, ve)
        acc = float(traj[b, 0, t, 4]) if traj.shape[3] > 4 else math.nan
        if math.isfinite(acc):
            max_decel = max(max_decel, -acc)
        elif prev_ok:
            max_decel = max(max_decel, -(ve - vprev) / dt)
        if prev_ok:
            yr = _wrap(he - hprev) / dt
            max_lat = max(max_lat, abs(0.5 * (ve + vprev) * yr))
        prev_ok = True
        hprev = he
        vprev = ve
        near = 0
        lead_lon = INF
        lead_gap = 0.0
        lead_v = 0.0
        for j in range(1, N):
            if not _ok(traj, mask, kinds, b, j, t):
                continue
            xj = float(traj[b, j, t, 0])
            yj = float(traj[b, j, t, 1])
            hj = float(traj[b, j, t, 2])
            vj = float(traj[b, j, t, 3])
            lj = float(sizes[b, j, 0])
            wj = float(sizes[b, j, 1])
            dx = xj - xe
            dy = yj - ye
            cd2 = dx * dx + dy * dy
            if cd2 < r2:
                near += 1
            cd = math.sqrt(cd2)
            lower = cd - circ[0] - circ[j]
            if lower < amin_dist[j]:
                d = box_distance(xe, ye, he, le, we, xj, yj, hj, lj, wj)
                if d < amin_dist[j]:
                    amin_dist[j] = d
                    at_min[j] = t
            vxj = vj * math.cos(hj)
            vyj = vj * math.sin(hj)
            rel = math.hypot(vxj - vxe, vyj - vye)
            if lower <= rel * min(horizon, amin_ttc[j]):
                ttc = box_ttc(xe, ye, he, le, we, vxe, vye, xj, yj, hj, lj, wj, vxj, vyj, horizon)
                if ttc < amin_ttc[j]:
                    amin_ttc[j] = ttc
            lon = dx * c + dy * s
            lat = -dx * s + dy * c
            if lon > 0.0 and abs(lat) < 0.5 * (we + wj) + margin and lon < lead_lon:
                lead_lon = lon
                lead_gap = lon - 0.5 * (le + lj)
                lead_v = vj * math.cos(hj - he)
        near_sum += near
        if lead_lon < INF:
            g = max(lead_gap, 0.0)
            if ve > lead_v:
                max_drac = max(max_drac, (ve - lead_v) ** 2 / (2.0 * max(g, 0.01)))
            if ve > 0.5:
                min_thw = min(min_thw, g / ve)
    if n_ego == 0:
        for k in range(out.shape[1]):
            out[b, k] = math.nan
        return
    # ---- closest approach, TTC, threat
    jd = -1
    jt = -1
    for j in range(1, N):
        if at_min[j] >= 0 and (jd < 0 or amin_dist[j] < amin_dist[jd]):
            jd = j
        if amin_ttc[j] < horizon and (jt < 0 or amin_ttc[j] < amin_ttc[jt]):
            jt = j
    min_ttc = horizon if jt < 0 else amin_ttc[jt]
    rel_at = math.nan
    if jd >= 0:
        t = at_min[jd]
        he = float(traj[b, 0, t, 2])
        hj = float(traj[b, jd, t, 2])
        ve = float(traj[b, 0, t, 3])
        vj = float(traj[b, jd, t, 3])
        rel_at = math.hypot(vj * math.cos(hj) - ve * math.cos(he), vj * math.sin(hj) - ve * math.sin(he))
    # ---- PET (as the simulator: same spot, crossing paths)
    min_pet = INF
    smin = math.sin(PET_MIN_ANGLE)
    for j in range(1, N):
        if at_min[j] < 0 or amin_dist[j] > PET_MAX_DIST:
            continue
        reach = 0.5 * (we + float(sizes[b, j, 1]))
        rr = reach * reach
        best = INF
        for t1 in range(T):
            if not _ok(traj, mask, kinds, b, 0, t1):
                continue
            ex = float(traj[b, 0, t1, 0])
            ey = float(traj[b, 0, t1, 1])
            eh = float(traj[b, 0, t1, 2])
            for t2 in range(T):
                d_t = abs(t1 - t2) * dt
                if d_t >= best or not _ok(traj, mask, kinds, b, j, t2):
                    continue
                dx = float(traj[b, j, t2, 0]) - ex
                dy = float(traj[b, j, t2, 1]) - ey
                if dx * dx + dy * dy < rr and abs(math.sin(eh - float(traj[b, j, t2, 2]))) > smin:
                    best = d_t
        min_pet = min(min_pet, best)
    # ---- occlusion of the closest threat before its closest approach
    occ = 0.0
    thr = jt if jt >= 0 else jd
    if do_occ and thr >= 0:
        ax = np.zeros(N)
        ay = np.zeros(N)
        ah = np.zeros(N)
        al = np.zeros(N)
        aw = np.zeros(N)
        valid = np.zeros(N, np.bool_)
        frac = np.zeros(N)
        run = 0.0
        rng2 = rng * rng
        for t in range(at_min[thr] + 1):
            if not (_ok(traj, mask, kinds, b, 0, t) and _ok(traj, mask, kinds, b, thr, t)):
                run = 0.0
                continue
            xe = float(traj[b, 0, t, 0])
            ye = float(traj[b, 0, t, 1])
            dx = float(traj[b, thr, t, 0]) - xe
            dy = float(traj[b, thr, t, 1]) - ye
            dthr = dx * dx + dy * dy
            if dthr >= rng2:
                run = 0.0
                continue
            reach = math.sqrt(dthr) + circ[thr]
            for k in range(N):
                valid[k] = False
                if k == 0 or not _ok(traj, mask, kinds, b, k, t):
                    continue
                ax[k] = float(traj[b, k, t, 0])
                ay[k] = float(traj[b, k, t, 1])
                if k != thr and math.hypot(ax[k] - xe, ay[k] - ye) - circ[k] > reach:
                    continue  # behind the threat: cannot hide it
                ah[k] = float(traj[b, k, t, 2])
                al[k] = float(sizes[b, k, 0])
                aw[k] = float(sizes[b, k, 1])
                valid[k] = True
            eh = float(traj[b, 0, t, 2])
            sx = xe + math.cos(eh) * mx - math.sin(eh) * my
            sy = ye + math.sin(eh) * mx + math.cos(eh) * my
            visibility_all(sx, sy, eh, fov, rng, ax, ay, ah, al, aw, valid, 0, spx, spy, sst, scn, frac)
            if frac[thr] < vthr:
                run += dt
                occ = max(occ, run)
            else:
                run = 0.0
    mean = vsum / n_ego
    out[b, D_MIN_TTC] = min_ttc
    out[b, D_MIN_THW] = min(min_thw, horizon)
    out[b, D_MIN_DIST] = min(amin_dist[jd], dcap) if jd >= 0 else dcap
    out[b, D_MAX_DECEL] = max_decel
    out[b, D_MAX_LAT] = max_lat
    out[b, D_REL_SPEED] = rel_at
    out[b, D_MIN_PET] = min(min_pet, horizon)
    out[b, D_MAX_DRAC] = max_drac
    out[b, D_NEAR] = near_sum / n_ego
    out[b, D_V_MEAN] = mean
    out[b, D_V_STD] = math.sqrt(max(vsq / n_ego - mean * mean, 0.0))
    out[b, D_V_MAX] = vmax
    out[b, D_OCC] = occ


@njit(cache=True, parallel=True)
def _descriptors_kernel(traj, mask, kinds, sizes, dt, horizon, radius, dcap, rng, fov, vthr, margin, do_occ,
                        mx, my, spx, spy, sst, scn, out):
    for b in prange(traj.shape[0]):
        _one(b, traj, mask, kinds, sizes, dt, horizon, radius, dcap, rng, fov, vthr, margin, do_occ,
             mx, my, spx, spy, sst, scn, out)
    return out


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
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Descriptor matrix ``D`` float64 (B, 13) and the column names ``DESCRIPTOR_NAMES``
    (definitions, units and risky sides in the module docstring).

    ``ttc_horizon`` (s) caps min_ttc, min_thw and min_pet; ``distance_cap`` (m) caps
    min_distance; ``occlusion=False`` skips the visibility sweep (the column is then 0).
    ``static_occluders``: convex polygons ((K, 2) arrays, m, world frame) that hide agents in
    every scenario besides the agents' own boxes (e.g. a spec's ``occluders``); by default
    only the trajectories' boxes occlude, so that logs and simulations are treated alike.
    ``sensor_mount``: sensor position (m) forward and left of the ego's centre (the range test
    uses the ego's centre, as the simulator does)."""
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
        raise ValueError(f"dt must be positive, got {dt}")
    out = np.full((B, N_DESCRIPTORS), np.nan)
    if B == 0 or N == 0:
        return out, DESCRIPTOR_NAMES
    polys = [np.asarray(p, dtype=np.float64).reshape(-1, 2) for p in static_occluders]
    counts = np.array([len(p) for p in polys], np.int64)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64) if polys else np.zeros(0, np.int64)
    pts = np.concatenate(polys) if polys else np.zeros((0, 2))
    _descriptors_kernel(traj, mask, kinds, sizes, float(dt), float(ttc_horizon), float(near_radius),
                        float(distance_cap), float(sensor_range), math.radians(sensor_fov_deg),
                        float(visible_threshold), float(corridor_margin), bool(occlusion),
                        float(sensor_mount[0]), float(sensor_mount[1]), np.ascontiguousarray(pts[:, 0]), np.ascontiguousarray(pts[:, 1]), starts, counts, out)
    return out, DESCRIPTOR_NAMES


def descriptors_of(scenes, **options) -> tuple[np.ndarray, tuple[str, ...]]:
    """:func:`descriptors` of a simulated ``Batch`` (dt = spec dt x frame step) or a ``LogScenes``."""
    dt = getattr(scenes, "dt", None)
    if dt is None:
        dt = scenes.frame_dt()
    return descriptors(scenes.trajectories, scenes.mask, scenes.kinds, scenes.sizes, dt, **options)
