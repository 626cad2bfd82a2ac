"""Scenario descriptors from trajectories alone, one row per scenario, parallel over scenarios.

Definitions, units and risky sides: :mod:`scenariogen.coverage.descriptors`; columns:
``data.layout.D_*``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from ..data.layout import (
    D_MAX_DECEL,
    D_MAX_DRAC,
    D_MAX_LAT,
    D_MIN_DIST,
    D_MIN_PET,
    D_MIN_THW,
    D_MIN_TTC,
    D_NEAR,
    D_OCC,
    D_REL_SPEED,
    D_V_MAX,
    D_V_MEAN,
    D_V_STD,
)
from .geometry import box_distance, box_ttc, circumradius, wrap_angle
from .occlusion import occlusion_scratch, visibility_into
from .safety import crossing_pet, follow_drac_thw


@njit(cache=True, inline="always")
def _ok(traj, mask, kinds, b, i, t):
    if kinds[b, i] < 0 or not mask[b, i, t]:
        return False
    return (math.isfinite(traj[b, i, t, 0]) and math.isfinite(traj[b, i, t, 1]) and math.isfinite(traj[b, i, t, 2])
            and math.isfinite(traj[b, i, t, 3]))


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
        circ[j] = circumradius(float(sizes[b, j, 0]), float(sizes[b, j, 1]))
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
            yr = wrap_angle(he - hprev) / dt
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
            drac, thw = follow_drac_thw(ve, lead_v, lead_gap)
            max_drac = max(max_drac, drac)
            min_thw = min(min_thw, thw)
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
    # ---- PET, as the simulator computes it
    ok_e = np.empty(T, np.bool_)
    ok_j = np.empty(T, np.bool_)
    for t in range(T):
        ok_e[t] = _ok(traj, mask, kinds, b, 0, t)
    min_pet = INF
    for j in range(1, N):
        if at_min[j] < 0:
            continue
        for t in range(T):
            ok_j[t] = _ok(traj, mask, kinds, b, j, t)
        best = crossing_pet(amin_dist[j], traj[b, 0, :, 0], traj[b, 0, :, 1], traj[b, 0, :, 2], ok_e, we,
                            traj[b, j, :, 0], traj[b, j, :, 1], traj[b, j, :, 2], ok_j, float(sizes[b, j, 1]), dt)
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
        ws = occlusion_scratch(N, spx, spy, sst, scn)
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
            visibility_into(sx, sy, eh, fov, rng, ax, ay, ah, al, aw, valid, 0, frac, ws)
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
def descriptors_batch(traj, mask, kinds, sizes, dt, horizon, radius, dcap, rng, fov, vthr, margin, do_occ,
                        mx, my, spx, spy, sst, scn, out):
    for b in prange(traj.shape[0]):
        _one(b, traj, mask, kinds, sizes, dt, horizon, radius, dcap, rng, fov, vthr, margin, do_occ,
             mx, my, spx, spy, sst, scn, out)
    return out
