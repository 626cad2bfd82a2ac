"""The ego's perception: dropout chains, noisy detections, a coasting track list, and the
leader and TTC the ego derives from its tracks.

Every step (:func:`perceive`) the exact visible fraction of each agent is
computed (angular sweep against the other agents' boxes and the static
occluders), a Gilbert-Elliott (or independent) dropout chain decides whether
the sensor delivers anything, a detection is the agent's state ``latency``
steps ago plus Gaussian noise, predicted forward over the latency at constant
velocity (as a tracker that knows its delay does), and tracks that vanish are
coasted at constant velocity for ``track memory`` seconds. The AEB's TTC
(:func:`perceived_path_ttc`) predicts the tracks along the lanes they are
matched to (:mod:`.paths`).

Units: metres, seconds, m/s, radians. Randomness comes from the scenario's own
stream state (see :mod:`.rng`), passed in and returned.
"""

from __future__ import annotations

import math

from numba import njit

from ..data.layout import (
    A_OCC_AT_ENTRY,
    E_DROP_MODEL,
    E_FOV,
    E_LATENCY,
    E_MEMORY,
    E_MOUNT_X,
    E_MOUNT_Y,
    E_P_ENTER,
    E_P_EXIT,
    E_P_LOSS,
    E_POS_NOISE,
    E_RANGE,
    E_SPEED_NOISE,
    E_THRESHOLD,
)
from .geometry import circumradius
from .lanes import lane_pose, project_local
from .occlusion import visibility_into
from .paths import MO_R, MO_VB, MO_X, MO_Y, SEAM, envelopes_apart, motion_ttc, set_motion, set_track_motion
from .rng import next_uniform


@njit(cache=True)
def next_normal(state):
    """(new_state, z) with z standard normal (Box-Muller on the stream)."""
    state, u1 = next_uniform(state)
    state, u2 = next_uniform(state)
    u1 = max(u1, 1e-300)
    return state, math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


@njit(cache=True)
def dropout_step(state, lost, model, p_enter, p_exit, p_loss):
    """Advance the dropout chain one step: (new_state, lost_now).

    ``model`` 1 is Gilbert-Elliott (good->lost with p_enter, lost->good with
    p_exit: bursts of mean length 1/p_exit steps), 2 is independent per-step
    loss with p_loss (the ablation without bursts), 0 never drops."""
    if model == 0:
        return state, False
    state, u = next_uniform(state)
    if model == 1:
        if lost:
            return state, not (u < p_exit)
        return state, u < p_enter
    return state, u < p_loss


@njit(cache=True)
def first_burst(u_start, u_len, p_enter, p_exit):
    """(start, length) in sensor steps of a Gilbert-Elliott chain's first burst, from the
    p-quantiles ``u_start`` and ``u_len`` (each in (0, 1)) of its geometric laws: the chain
    starts good and enters at step k with probability (1 - p_enter)^k p_enter (k >= 0), then
    stays lost for l >= 1 steps with probability (1 - p_exit)^(l - 1) p_exit. With uniform
    quantiles the chain's law is unchanged; a sampler that steers them steers when the first
    dropout happens and how long it lasts. (-1, 0) if u_start < 0 (the chain draws it)."""
    if u_start < 0.0:
        return -1, 0
    if p_enter <= 0.0:
        return 1 << 40, 0
    start = 0
    if p_enter < 1.0:
        start = int(min(math.floor(math.log1p(-u_start) / math.log1p(-p_enter)), 1 << 40))
    length = 1
    if p_exit < 1.0:
        length = 1 + int(min(math.floor(math.log1p(-u_len) / math.log1p(-p_exit)), 1 << 40))
    return start, length


@njit(cache=True)
def perceived_leader(r_off, r_len, r_width, r_px, r_py, r_ph, r_pk, lane, s_ego, x_ego, y_ego, h_ego, half_len,
                     trk_on, trk_x, trk_y, trk_vx, trk_vy, length, width, lookahead):
    """Gap (m), speed (m/s) and index of the nearest tracked object ahead in the ego's lane corridor.

    Each live track is projected onto the ego's lane; it is a leader candidate
    if its box overlaps the lane (|offset| < half lane width + half its width)
    and it lies ahead. Speed is the track's velocity along the lane."""
    gap = math.inf
    vl = 0.0
    lead = -1
    ch = math.cos(h_ego)
    sh = math.sin(h_ego)
    for j in range(1, trk_on.shape[0]):
        if not trk_on[j]:
            continue
        ahead = (trk_x[j] - x_ego) * ch + (trk_y[j] - y_ego) * sh
        if ahead <= 0.0 or ahead > lookahead:
            continue
        sj, dj = project_local(r_off, r_len, r_px, r_py, r_ph, r_pk, lane, trk_x[j], trk_y[j], s_ego + ahead)
        if abs(dj) >= 0.5 * (r_width[lane] + width[j]) or sj <= s_ego:
            continue
        g = sj - s_ego - half_len - 0.5 * length[j]
        if g < gap:
            _x, _y, lh, _k = lane_pose(r_off, r_len, r_px, r_py, r_ph, r_pk, lane, sj, 0.0)
            gap = g
            vl = max(0.0, trk_vx[j] * math.cos(lh) + trk_vy[j] * math.sin(lh))
            lead = j
    return gap, vl, lead


@njit(inline="always")
def perceived_path_ttc(b, time, horizon, road, ag, st, tr):
    """The ego's smallest TTC (s) to any live track within ``horizon`` (s; INF beyond), along the
    predicted paths (:mod:`.paths`): its own along its lanes and route (it knows them), each track's
    as :func:`.paths.set_track_motion` matches it to a lane (else straight on at its velocity).
    A track whose circle bound rules out contact within ``horizon`` is skipped. Fills ``tr.trk_mot``."""
    mot = tr.trk_mot
    set_motion(0, b, time, horizon, road, ag, st, mot, tr)
    x0, y0, r0, vb0 = mot[0, MO_X], mot[0, MO_Y], mot[0, MO_R], mot[0, MO_VB]
    kmax = tr.kmax[0]
    best = math.inf
    for j in range(1, tr.trk_on.shape[0]):
        if not tr.known[j] or not ag.valid[b, j]:
            continue
        # far tracks first, by a bound on the speed of the track's motion: its speed, more off a
        # curved lane (set_track_motion)
        t_lim = min(horizon, best)
        sp = math.sqrt(tr.trk_vx[j] ** 2 + tr.trk_vy[j] ** 2)
        lane = st.ln[j]
        vbj = sp * (1.0 + kmax * 0.5 * road.width[lane]) if lane >= 0 else sp
        dx = tr.trk_x[j] - x0
        dy = tr.trk_y[j] - y0
        cd = math.sqrt(dx * dx + dy * dy)
        gap = cd - r0 - circumradius(ag.length[b, j], ag.width[b, j])
        if gap > 0.0 and gap >= t_lim * (vb0 + vbj) + SEAM:
            continue
        set_track_motion(j, b, horizon, road, ag, st, tr, mot)
        if envelopes_apart(mot, 0, mot, j, dx, dy, cd, t_lim):
            continue
        ttc = motion_ttc(mot, 0, mot, j, t_lim, ag.route, road)
        if ttc < best:
            best = ttc
    return best


@njit(cache=True)
def start_tracks(b, ag, tr):
    """Scenario ``b`` starts with no track and no agent in the ego's lane corridor; the ego knows
    of every valid agent (a sensor replaces that by its live tracks from its first step on)."""
    for i in range(tr.trk_on.shape[0]):
        tr.trk_on[i] = False
        tr.trk_seen[i] = -math.inf
        tr.trk_x[i] = 0.0  # scratch is shared by the scenarios of a chunk: start every scenario clean
        tr.trk_y[i] = 0.0
        tr.trk_vx[i] = 0.0
        tr.trk_vy[i] = 0.0
        tr.trk_h[i] = 0.0
        tr.entered[i] = False
        tr.known[i] = ag.valid[b, i]


@njit(inline="always")
def perceive(b, t, time, frame, step_ttc, rstate, lost, n_sensed, burst0, burst_len, road, ag, cfg, sensor, out,
             st, sc, tr):
    """One sensor step of the ego at step ``t`` (time ``time``, s): visibility, the dropout chain
    (or the sampled first burst ``burst0``, ``burst_len``, in sensor steps), detections from
    ``latency`` steps ago, tracks, the occlusion of agents as they enter the ego's lane, and the
    recorded perception of frame ``frame - 1``. ``step_ttc``: the ego's smallest TTC now (s).
    Returns (stream state, lost, sensor steps so far)."""
    width, valid, free = ag.width, ag.valid, ag.free
    length_b, width_b, valid_b = ag.length[b], width[b], valid[b]
    r_off, r_len, r_px, r_py, r_ph, r_pk = road.offset, road.length, road.px, road.py, road.heading, road.curvature
    r_width = road.width
    sens = sensor.params
    xs, ys, hs, sl, ln = st.xs, st.ys, st.hs, st.sl, st.ln
    hx, hy, hh, hv = sc.hx, sc.hy, sc.hh, sc.hv
    vis, det, known, entered = tr.vis, tr.det, tr.known, tr.entered
    trk_on, trk_x, trk_y, trk_vx, trk_vy, trk_seen = tr.trk_on, tr.trk_x, tr.trk_y, tr.trk_vx, tr.trk_vy, tr.trk_seen
    vis_hist, drop_hist, drop_ttc = tr.vis_hist, tr.drop_hist, tr.drop_ttc
    agent_metrics, p_vis, p_det = out.agent_metrics, out.visible, out.detected
    p_trk, p_txy, p_drop = out.tracked, out.track_xy, out.dropout
    dt = cfg.dt
    N = xs.shape[0]
    lat = int(sens[b, E_LATENCY])
    c0 = math.cos(hs[0])
    s0_ = math.sin(hs[0])
    sx = xs[0] + c0 * sens[b, E_MOUNT_X] - s0_ * sens[b, E_MOUNT_Y]
    sy = ys[0] + s0_ * sens[b, E_MOUNT_X] + c0 * sens[b, E_MOUNT_Y]
    visibility_into(sx, sy, hs[0], sens[b, E_FOV], sens[b, E_RANGE], xs, ys, hs, length_b, width_b, valid_b, 0,
                    vis, tr.occ)
    if burst0 >= 0 and n_sensed <= burst0 + burst_len:
        lost = burst0 <= n_sensed < burst0 + burst_len  # the step after the burst is the exit
    else:
        rstate, lost = dropout_step(rstate, lost, int(sens[b, E_DROP_MODEL]), sens[b, E_P_ENTER],
                                    sens[b, E_P_EXIT], sens[b, E_P_LOSS])
    n_sensed += 1
    for j in range(N):
        vis_hist[t, j] = vis[j]
    drop_hist[t] = lost
    drop_ttc[t] = step_ttc
    # the measurement delivered now was taken `lat` steps ago
    tm = t - lat
    thr = sens[b, E_THRESHOLD]
    for j in range(1, N):
        det[j] = False
        if not valid[b, j]:
            continue
        if tm >= 0 and not drop_hist[tm] and vis_hist[tm, j] >= thr and vis_hist[tm, j] > 0.0:
            det[j] = True
            rstate, z1 = next_normal(rstate)
            rstate, z2 = next_normal(rstate)
            rstate, z3 = next_normal(rstate)
            pn = sens[b, E_POS_NOISE]
            sp = max(0.0, hv[j, tm] + sens[b, E_SPEED_NOISE] * z3)
            # the tracker knows its latency and predicts the stale measurement forward at
            # constant velocity: latency hurts when the target changes speed or direction
            trk_vx[j] = sp * math.cos(hh[j, tm])
            trk_vy[j] = sp * math.sin(hh[j, tm])
            tr.trk_h[j] = hh[j, tm]
            trk_x[j] = hx[j, tm] + pn * z1 + trk_vx[j] * lat * dt
            trk_y[j] = hy[j, tm] + pn * z2 + trk_vy[j] * lat * dt
            trk_on[j] = True
            trk_seen[j] = time
        elif trk_on[j]:
            # a small slack so that t * dt rounding does not cut the memory short by a step
            if time - trk_seen[j] > sens[b, E_MEMORY] + 1e-9:
                trk_on[j] = False
            else:  # coast at constant velocity
                trk_x[j] += trk_vx[j] * dt
                trk_y[j] += trk_vy[j] * dt
        known[j] = trk_on[j]
        # occlusion bookkeeping: hidden while within range
        if not entered[j] and ln[0] >= 0 and not free[b, 0]:
            ahead = (xs[j] - xs[0]) * c0 + (ys[j] - ys[0]) * s0_
            if ahead > 0.0:
                sj, dj = project_local(r_off, r_len, r_px, r_py, r_ph, r_pk,
                                       ln[0], xs[j], ys[j], sl[0] + ahead)
                if abs(dj) < 0.5 * (r_width[ln[0]] + width[b, j]):
                    entered[j] = True
                    agent_metrics[b, j, A_OCC_AT_ENTRY] = 1.0 if vis[j] < thr else 0.0
    if p_vis.shape[2] > 0 and t % cfg.record_every == 0 and frame - 1 < p_vis.shape[2]:
        f = frame - 1
        p_drop[b, f] = lost
        for j in range(N):
            p_vis[b, j, f] = vis[j] if j > 0 else 1.0
            p_det[b, j, f] = det[j] if j > 0 else True
            p_trk[b, j, f] = trk_on[j] if j > 0 else True
            # no belief about an agent without a track: NaN
            p_txy[b, j, f, 0] = xs[0] if j == 0 else (trk_x[j] if trk_on[j] else math.nan)
            p_txy[b, j, f, 1] = ys[0] if j == 0 else (trk_y[j] if trk_on[j] else math.nan)
    return rstate, lost, n_sensed
