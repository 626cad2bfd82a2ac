"""The ego's perception as scalar ``@njit`` helpers: dropout chains, noisy detections,
a coasting track list, and the leader and TTC the ego derives from its tracks.

Units: metres, seconds, m/s, radians. Randomness comes from the scenario's own
stream state (see :mod:`.rng`), passed in and returned.
"""

from __future__ import annotations

import math

from numba import njit

from .geometry import box_ttc
from .lanes import lane_pose, project_local
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


@njit(cache=True)
def perceived_min_ttc(x, y, h, length, width, vx, vy, trk_on, trk_x, trk_y, trk_vx, trk_vy, lengths, widths,
                      horizon):
    """Smallest box TTC (s) between the ego's box and any live track (tracks oriented along their velocity)."""
    best = math.inf
    for j in range(1, trk_on.shape[0]):
        if not trk_on[j]:
            continue
        sp = math.hypot(trk_vx[j], trk_vy[j])
        hj = math.atan2(trk_vy[j], trk_vx[j]) if sp > 0.1 else h
        ttc = box_ttc(x, y, h, length, width, vx, vy, trk_x[j], trk_y[j], hj, lengths[j], widths[j],
                      trk_vx[j], trk_vy[j], min(horizon, best))
        if ttc < best:
            best = ttc
    return best
