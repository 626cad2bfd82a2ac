"""The batched simulation kernel: B scenarios x N agents x T steps, parallel over scenarios.

Pure function over arrays (see :mod:`scenariogen.sim.layout` for column
meanings); no Python objects, no I/O. Each scenario is simulated start to end
by one thread with its own scratch arrays, so results do not depend on the
number of threads. Agent 0 is the ego.

Per step, for every scenario:

1. record the frame (optional) and accumulate metrics on the current state:
   collisions of any two agents (sweep and prune along x, then an exact
   oriented-box test; colliding agents stop where they are), box distance and
   exact box TTC of the ego to every agent, TET, DRAC and time headway;
2. sort agents by (lane, arc length), updating last step's order by insertion
   sort (nearly sorted, so O(N)); leaders are found by lane order, not all pairs;
3. start manoeuvres whose triggers fire (time, distance, time gap);
4. longitudinal command: IDM with the constant-acceleration heuristic to the leader (same lane, the lane ahead, a
   vehicle changing into or out of the lane, or a pedestrian in the lane
   corridor), delayed by the driver's reaction time; scripted braking
   overrides; MOBIL lane-change decisions every second;
5. integrate: jerk- and braking-limited acceleration, kinematic bicycle in
   the lane's Frenet frame (s, d, heading error) with a steering-limited
   lateral controller tracking the lane centre or a minimum-jerk lane-change
   profile; lane transitions follow the route or the first successor.
   Pedestrians and other off-lane agents move along their crossing path.

When the ego has a sensor, it drives on what it perceives: every step the
exact visible fraction of each agent is computed (angular sweep against the
other agents' boxes and the static occluders), a Gilbert-Elliott (or
independent) dropout chain decides whether the sensor delivers anything, a
detection is the agent's state ``latency`` steps ago plus Gaussian noise,
predicted forward over the latency at constant velocity (as a tracker that
knows its delay does, so latency matters when targets brake or turn), and
tracks that vanish are coasted at constant velocity for ``track memory``
seconds. The ego's leader, its MOBIL decisions and its AEB (perceived TTC
below a threshold, after a reaction delay, at a fixed deceleration) use only
these tracks; every other agent keeps using ground truth.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from ..data.layout import (
    A_COLL_TIME,
    A_MAX_DECEL,
    A_MIN_DIST,
    A_MIN_TTC,
    A_PET,
    F_ACCEL,
    F_HEADING,
    F_LANE,
    F_OFFSET,
    F_S,
    F_SPEED,
    F_X,
    F_Y,
    M_DECEL,
    M_DUR,
    M_SPEED,
    M_TRIG,
    MAN_CROSS,
    MAN_HARD_BRAKE,
    MAN_LANE_CHANGE,
    MAN_STOP,
    MODEL_CONSTANT,
    MODEL_STOP,
    P_AMAX,
    P_BCOMF,
    P_BSAFE,
    P_DELTA,
    P_LCDUR,
    P_MOBIL,
    P_POLITE,
    P_REACT,
    P_S0,
    P_STOPDEC,
    P_T,
    P_THRESH,
    P_V0,
    S_COLL_A,
    S_COLL_B,
    S_COLL_TIME,
    S_EGO_COLL_TIME,
    S_EGO_MAX_DECEL,
    S_EGO_MAX_JERK,
    S_MAX_DRAC,
    S_MIN_DIST,
    S_MIN_PET,
    S_MIN_THW,
    S_MIN_TTC,
    S_TET,
    TRIG_DISTANCE,
    TRIG_TIME,
)
from ..data.layout import (
    A_MIN_GAP,
    A_MIN_TTC_ANY,
    A_OCC_AT_ENTRY,
    A_OCC_LONGEST,
    A_OCC_TOTAL,
    A_T_MIN_DIST,
    E_AEB_DECEL,
    E_AEB_ON,
    E_AEB_REACT,
    E_AEB_TTC,
    E_DROP_MODEL,
    E_FIRST_LEN,
    E_FIRST_START,
    E_FOV,
    E_LATENCY,
    E_MEMORY,
    E_MOUNT_X,
    E_MOUNT_Y,
    E_ON,
    E_P_ENTER,
    E_P_EXIT,
    E_P_LOSS,
    E_POS_NOISE,
    E_RANGE,
    E_SPEED_NOISE,
    E_THRESHOLD,
    S_AEB_TIME,
    S_DROP_COUNT,
    S_DROP_CRITICAL,
    S_DROP_LONGEST,
    S_DROP_THREAT_LONGEST,
    THREAT_TTC,
)
from .behavior import acc_accel, idm_accel, smoothstep5
from .geometry import box_distance, box_ttc, boxes_overlap, circumradius as _circumradius
from .lanes import lane_pose, project_global, project_local
from .occlusion import visibility_all
from .perception import dropout_step, first_burst, next_normal, perceived_leader, perceived_min_ttc
from .safety import crossing_pet, follow_drac_thw

INF = math.inf
REACT_BUF = 32  # steps of reaction delay the command buffer holds
K_LAT = 0.8  # 1/s, lateral offset gain
K_HEAD = 2.5  # 1/s, heading-error gain
STEER_RATE = 0.7  # rad/s, steering rate limit
MOBIL_PERIOD = 1.0  # s between lane-change decisions
PED_LOOKAHEAD = 80.0  # m, how far ahead a vehicle looks for pedestrians in its lane


@njit(cache=True)
def _command(mdl, v, p, gap, v_lead, a_lead):
    """Longitudinal acceleration (m/s^2) the behaviour model asks for; ``p`` is the agent's params row."""
    if mdl == MODEL_CONSTANT:
        return 0.0
    if mdl == MODEL_STOP:
        return -p[P_STOPDEC] if v > 0.0 else 0.0
    return acc_accel(v, p[P_V0], p[P_T], p[P_S0], p[P_AMAX], p[P_BCOMF], p[P_DELTA], gap, v_lead, a_lead)


@njit(cache=True)
def _insertion_sort(perm, key):
    """Sort the permutation ``perm`` by ``key[perm]`` in place; O(N) when last step's order still
    almost holds, which is the common case from one step to the next."""
    for p in range(1, perm.shape[0]):
        j = perm[p]
        kj = key[j]
        q = p - 1
        while q >= 0 and key[perm[q]] > kj:
            perm[q + 1] = perm[q]
            q -= 1
        perm[q + 1] = j


@njit(cache=True)
def lead_ttc_truth(gap, v, v_lead):
    """Ground-truth TTC (s) to the leader on the lane, for an ego without a sensor."""
    if v > v_lead and gap < INF:
        return max(gap, 0.0) / (v - v_lead)
    return INF


@njit(cache=True)
def _next_lane(i, lane, route, route_len, route_pos, r_succ, r_nsucc):
    """Lane an agent enters after ``lane``: its route's next lane, else the first successor, else -1."""
    rp = route_pos[i]
    if rp >= 0 and rp + 1 < route_len[i] and route[i, rp] == lane:
        return route[i, rp + 1]
    if r_nsucc[lane] > 0:
        return r_succ[lane, 0]
    return -1


@njit(cache=True)
def _scan_lane(lane, s_at, skip, order, lane_first, lane_end, sl, in_lane):
    """First visible agent ahead of ``s_at`` and last one behind it on ``lane`` (indices, -1 if none)."""
    ahead = -1
    behind = -1
    for q in range(lane_first[lane], lane_end[lane]):
        j = order[q]
        if j == skip or not in_lane[j]:
            continue
        if sl[j] > s_at:
            ahead = j
            break
        behind = j
    return ahead, behind


@njit(cache=True)
def _simulate_one(
    b, r_off, r_len, r_width, r_succ, r_nsucc, r_left, r_right, r_dead, r_px, r_py, r_ph, r_pk,
    route, route_len, man_type, man_trig, man_other, man_to, path, path_len,
    kind, length, width, valid, free, model, params, man_val,
    x0, y0, h0, v0, lane0, s0, d0,
    dt, n_steps, record_every, ttc_threshold, ttc_horizon, max_brake, max_jerk, max_steer, n_named,
    sensor, seeds, occ_px, occ_py, occ_start, occ_count,
    traj, tmask, metrics, agent_metrics, p_vis, p_det, p_trk, p_txy, p_drop,
    # scratch
    xs, ys, hs, v, acc, e, dl, sl, ln, steer, crashed, route_pos, lc_active, lc_t0, lc_dur, lc_d0, lc_origin,
    man_state, man_t0, path_pos, cmd_buf, order, pos, key, lane_first, lane_end, in_lane, lead_gap, lead_v,
    hist, hist_h, hist_v, vis, vis_hist, drop_hist, drop_ttc, det, trk_on, trk_x, trk_y, trk_vx, trk_vy, trk_seen,
    known, entered, seen_in_lane, rank, lc_list, free_list, all_steps,
):  # fmt: skip
    N = xs.shape[0]
    L = r_len.shape[0]
    K = man_type.shape[1]
    record = traj.shape[2] > 0
    mobil_every = max(1, int(round(MOBIL_PERIOD / dt)))

    # ---- initial state
    for i in range(N):
        xs[i] = x0[b, i]
        ys[i] = y0[b, i]
        hs[i] = h0[b, i]
        v[i] = v0[b, i]
        acc[i] = 0.0
        ln[i] = lane0[b, i]
        sl[i] = s0[b, i]
        dl[i] = d0[b, i]
        steer[i] = 0.0
        crashed[i] = False
        lc_active[i] = False
        route_pos[i] = 0 if (route_len[i] > 0 and route[i, 0] == ln[i]) else -1
        path_pos[i] = 0.0
        for k in range(K):
            man_state[i, k] = 0
            man_t0[i, k] = 0.0
        for r in range(REACT_BUF):
            cmd_buf[i, r] = 0.0
        order[i] = i
        pos[i] = i
        if valid[b, i] and not free[b, i] and ln[i] >= 0:
            _x, _y, lh, _k = lane_pose(r_off, r_len, r_px, r_py, r_ph, r_pk, ln[i], sl[i], 0.0)
            e[i] = hs[i] - lh
        else:
            e[i] = 0.0
        for m in range(agent_metrics.shape[2]):
            agent_metrics[b, i, m] = INF
        agent_metrics[b, i, A_MAX_DECEL] = 0.0

    m_min_ttc = INF
    m_min_dist = INF
    m_tet = 0.0
    m_drac = 0.0
    m_thw = INF
    m_decel = 0.0
    m_jerk = 0.0
    m_coll_t = INF
    m_coll_a = -1.0
    m_coll_b = -1.0
    m_ego_coll = INF
    ego_prev_acc = 0.0
    frame = 0
    # ---- perception state
    has_sensor = sensor[b, E_ON] > 0.5
    threat_bound = THREAT_TTC if has_sensor else 0.0
    rstate = seeds[b]
    lost = False
    # a first burst placed by the sampler: until it has ended the chain is not stepped
    burst0, burst_len = first_burst(sensor[b, E_FIRST_START], sensor[b, E_FIRST_LEN], sensor[b, E_P_ENTER],
                                    sensor[b, E_P_EXIT])
    n_sensed = 0
    lat = int(sensor[b, E_LATENCY])
    aeb_on = sensor[b, E_AEB_ON] > 0.5
    aeb_trig = -1  # step at which the AEB triggered, -1 while idle
    m_aeb = INF
    record_perception = p_vis.shape[2] > 0
    for i in range(N):
        trk_on[i] = False
        trk_seen[i] = -INF
        trk_x[i] = 0.0  # scratch is shared by the scenarios of a chunk: start every scenario clean
        trk_y[i] = 0.0
        trk_vx[i] = 0.0
        trk_vy[i] = 0.0
        entered[i] = False
        known[i] = valid[b, i]
        agent_metrics[b, i, A_OCC_AT_ENTRY] = math.nan
        agent_metrics[b, i, A_T_MIN_DIST] = INF
        # the gap to every other agent is tracked for the named actors other than the ego (others: nan)
        agent_metrics[b, i, A_MIN_GAP] = INF if 0 < i < n_named else math.nan
        agent_metrics[b, i, A_MIN_TTC_ANY] = INF if 0 < i < n_named else math.nan

    for t in range(n_steps):
        time = t * dt
        # ------------------------------------------------------------ record
        for i in range(N):
            hist[t, i, 0] = xs[i]
            hist[t, i, 1] = ys[i]
            hist_h[t, i] = hs[i]
            hist_v[t, i] = v[i]
        if record and t % record_every == 0 and frame < traj.shape[2]:
            for i in range(N):
                traj[b, i, frame, F_X] = xs[i]
                traj[b, i, frame, F_Y] = ys[i]
                traj[b, i, frame, F_HEADING] = hs[i]
                traj[b, i, frame, F_SPEED] = v[i]
                traj[b, i, frame, F_ACCEL] = acc[i]
                traj[b, i, frame, F_LANE] = ln[i] if not free[b, i] else -1
                traj[b, i, frame, F_S] = sl[i]
                traj[b, i, frame, F_OFFSET] = dl[i]
                tmask[b, i, frame] = valid[b, i]
            frame += 1

        # ------------------------------------------------------------ metrics: collisions (sweep and prune on x)
        for i in range(N):  # order by x for the sweep (insertion sort, nearly sorted)
            key[i] = xs[i] if valid[b, i] else INF
        _insertion_sort(pos, key)
        rmax = 0.0
        for i in range(N):
            if valid[b, i]:
                rmax = max(rmax, _circumradius(length[b, i], width[b, i]))
        for p in range(N):
            i = pos[p]
            if not valid[b, i]:
                break
            ri = _circumradius(length[b, i], width[b, i])
            for q in range(p + 1, N):
                j = pos[q]
                if not valid[b, j] or xs[j] - xs[i] > ri + rmax:
                    break
                rj = _circumradius(length[b, j], width[b, j])
                dx = xs[j] - xs[i]
                dy = ys[j] - ys[i]
                if dx * dx + dy * dy > (ri + rj) * (ri + rj):
                    continue
                if boxes_overlap(xs[i], ys[i], hs[i], length[b, i], width[b, i],
                                 xs[j], ys[j], hs[j], length[b, j], width[b, j]):
                    if crashed[i] and crashed[j]:
                        continue
                    if time < m_coll_t:
                        m_coll_t = time
                        m_coll_a = min(i, j)
                        m_coll_b = max(i, j)
                    if (i == 0 or j == 0) and time < m_ego_coll:
                        m_ego_coll = time
                    for a_ in (i, j):
                        if agent_metrics[b, a_, A_COLL_TIME] == INF:
                            agent_metrics[b, a_, A_COLL_TIME] = time
                        crashed[a_] = True

        # ------------------------------------------------------------ metrics: named actors against every agent
        for i in range(1, n_named):
            if not valid[b, i]:
                continue
            ri = _circumradius(length[b, i], width[b, i])
            ivx = v[i] * math.cos(hs[i])
            ivy = v[i] * math.sin(hs[i])
            for j in range(N):
                if j == i or not valid[b, j]:
                    continue
                dx = xs[j] - xs[i]
                dy = ys[j] - ys[i]
                cd = math.sqrt(dx * dx + dy * dy)
                lower_gap = cd - ri - _circumradius(length[b, j], width[b, j])
                if lower_gap < agent_metrics[b, i, A_MIN_GAP]:
                    gap = box_distance(xs[i], ys[i], hs[i], length[b, i], width[b, i],
                                       xs[j], ys[j], hs[j], length[b, j], width[b, j])
                    if gap < agent_metrics[b, i, A_MIN_GAP]:
                        agent_metrics[b, i, A_MIN_GAP] = gap
                # TTC as for the ego below: the exact test only where the circle bound can improve it;
                # no closing speed exceeds the sum of the speeds, so most pairs stop here, without trigonometry
                if lower_gap > 0.0 and lower_gap >= min(agent_metrics[b, i, A_MIN_TTC_ANY], ttc_horizon) * (
                        abs(v[i]) + abs(v[j])):
                    continue
                jvx = v[j] * math.cos(hs[j])
                jvy = v[j] * math.sin(hs[j])
                closing = -(dx * (jvx - ivx) + dy * (jvy - ivy)) / max(cd, 1e-9)
                if closing > 1e-9:
                    lower = max(lower_gap, 0.0) / closing
                    if lower < agent_metrics[b, i, A_MIN_TTC_ANY] and lower < ttc_horizon:
                        ttc = box_ttc(xs[i], ys[i], hs[i], length[b, i], width[b, i], ivx, ivy,
                                      xs[j], ys[j], hs[j], length[b, j], width[b, j], jvx, jvy, ttc_horizon)
                        if ttc < agent_metrics[b, i, A_MIN_TTC_ANY]:
                            agent_metrics[b, i, A_MIN_TTC_ANY] = ttc
                elif lower_gap <= 0.0:
                    if boxes_overlap(xs[i], ys[i], hs[i], length[b, i], width[b, i],
                                     xs[j], ys[j], hs[j], length[b, j], width[b, j]):
                        agent_metrics[b, i, A_MIN_TTC_ANY] = 0.0

        # ------------------------------------------------------------ metrics: ego against every agent
        if valid[b, 0]:
            evx = v[0] * math.cos(hs[0])
            evy = v[0] * math.sin(hs[0])
            le, we = length[b, 0], width[b, 0]
            re = _circumradius(le, we)
            step_ttc = INF
            for j in range(1, N):
                if not valid[b, j]:
                    continue
                rj = _circumradius(length[b, j], width[b, j])
                dx = xs[j] - xs[0]
                dy = ys[j] - ys[0]
                cd = math.sqrt(dx * dx + dy * dy)
                if cd - re - rj < agent_metrics[b, j, A_MIN_DIST]:
                    dist = box_distance(xs[0], ys[0], hs[0], le, we, xs[j], ys[j], hs[j], length[b, j], width[b, j])
                    if dist < agent_metrics[b, j, A_MIN_DIST]:
                        agent_metrics[b, j, A_MIN_DIST] = dist
                        agent_metrics[b, j, A_T_MIN_DIST] = time
                # circle TTC bounds the box TTC from below: skip the exact test when it cannot matter
                jvx = v[j] * math.cos(hs[j])
                jvy = v[j] * math.sin(hs[j])
                rvx = jvx - evx
                rvy = jvy - evy
                closing = -(dx * rvx + dy * rvy) / max(cd, 1e-9)
                # with a sensor, every TTC below THREAT_TTC must be exact: the dropout metrics ask
                # whether a threat was present during each burst (drop_ttc below)
                bound = max(ttc_threshold, threat_bound, agent_metrics[b, j, A_MIN_TTC])
                if closing > 1e-9:
                    lower = max(cd - re - rj, 0.0) / closing
                    if lower < bound and lower < ttc_horizon:
                        ttc = box_ttc(xs[0], ys[0], hs[0], le, we, evx, evy,
                                      xs[j], ys[j], hs[j], length[b, j], width[b, j], jvx, jvy, ttc_horizon)
                        if ttc < agent_metrics[b, j, A_MIN_TTC]:
                            agent_metrics[b, j, A_MIN_TTC] = ttc
                        if ttc < step_ttc:
                            step_ttc = ttc
                elif cd - re - rj <= 0.0:
                    if boxes_overlap(xs[0], ys[0], hs[0], le, we, xs[j], ys[j], hs[j], length[b, j], width[b, j]):
                        agent_metrics[b, j, A_MIN_TTC] = 0.0
                        step_ttc = 0.0
            if step_ttc < ttc_threshold:
                m_tet += dt
            hist_ttc = step_ttc
        else:
            hist_ttc = INF

        # ------------------------------------------------------------ ego perception
        if has_sensor and valid[b, 0]:
            c0 = math.cos(hs[0])
            s0_ = math.sin(hs[0])
            sx = xs[0] + c0 * sensor[b, E_MOUNT_X] - s0_ * sensor[b, E_MOUNT_Y]
            sy = ys[0] + s0_ * sensor[b, E_MOUNT_X] + c0 * sensor[b, E_MOUNT_Y]
            visibility_all(sx, sy, hs[0], sensor[b, E_FOV], sensor[b, E_RANGE], xs, ys, hs, length[b], width[b],
                           valid[b], 0, occ_px, occ_py, occ_start, occ_count, vis)
            if burst0 >= 0 and n_sensed <= burst0 + burst_len:
                lost = burst0 <= n_sensed < burst0 + burst_len  # the step after the burst is the exit
            else:
                rstate, lost = dropout_step(rstate, lost, int(sensor[b, E_DROP_MODEL]), sensor[b, E_P_ENTER],
                                            sensor[b, E_P_EXIT], sensor[b, E_P_LOSS])
            n_sensed += 1
            for j in range(N):
                vis_hist[t, j] = vis[j]
            drop_hist[t] = lost
            drop_ttc[t] = hist_ttc
            # the measurement delivered now was taken `lat` steps ago
            tm = t - lat
            thr = sensor[b, E_THRESHOLD]
            for j in range(1, N):
                det[j] = False
                if not valid[b, j]:
                    continue
                if tm >= 0 and not drop_hist[tm] and vis_hist[tm, j] >= thr and vis_hist[tm, j] > 0.0:
                    det[j] = True
                    rstate, z1 = next_normal(rstate)
                    rstate, z2 = next_normal(rstate)
                    rstate, z3 = next_normal(rstate)
                    pn = sensor[b, E_POS_NOISE]
                    sp = max(0.0, hist_v[tm, j] + sensor[b, E_SPEED_NOISE] * z3)
                    # the tracker knows its latency and predicts the stale measurement forward at
                    # constant velocity: latency hurts when the target changes speed or direction
                    trk_vx[j] = sp * math.cos(hist_h[tm, j])
                    trk_vy[j] = sp * math.sin(hist_h[tm, j])
                    trk_x[j] = hist[tm, j, 0] + pn * z1 + trk_vx[j] * lat * dt
                    trk_y[j] = hist[tm, j, 1] + pn * z2 + trk_vy[j] * lat * dt
                    trk_on[j] = True
                    trk_seen[j] = time
                elif trk_on[j]:
                    # a small slack so that t * dt rounding does not cut the memory short by a step
                    if time - trk_seen[j] > sensor[b, E_MEMORY] + 1e-9:
                        trk_on[j] = False
                    else:  # coast at constant velocity
                        trk_x[j] += trk_vx[j] * dt
                        trk_y[j] += trk_vy[j] * dt
                known[j] = trk_on[j]
                # occlusion bookkeeping: hidden while within range
                if not entered[j] and ln[0] >= 0 and not free[b, 0]:
                    ahead = (xs[j] - xs[0]) * c0 + (ys[j] - ys[0]) * s0_
                    if ahead > 0.0:
                        sj, dj = project_local(r_off, r_len, r_px, r_py, r_ph, r_pk, ln[0], xs[j], ys[j], sl[0] + ahead)
                        if abs(dj) < 0.5 * (r_width[ln[0]] + width[b, j]):
                            entered[j] = True
                            agent_metrics[b, j, A_OCC_AT_ENTRY] = 1.0 if vis[j] < thr else 0.0
            if record_perception and t % record_every == 0 and frame - 1 < p_vis.shape[2]:
                f = frame - 1
                p_drop[b, f] = lost
                for j in range(N):
                    p_vis[b, j, f] = vis[j] if j > 0 else 1.0
                    p_det[b, j, f] = det[j] if j > 0 else True
                    p_trk[b, j, f] = trk_on[j] if j > 0 else True
                    # no belief about an agent without a track: NaN
                    p_txy[b, j, f, 0] = xs[0] if j == 0 else (trk_x[j] if trk_on[j] else math.nan)
                    p_txy[b, j, f, 1] = ys[0] if j == 0 else (trk_y[j] if trk_on[j] else math.nan)

        # ------------------------------------------------------------ lane order
        for i in range(N):
            if valid[b, i] and not free[b, i]:
                key[i] = ln[i] * 1.0e7 + sl[i]
            else:
                key[i] = INF
        _insertion_sort(order, key)
        for l_ in range(L):
            lane_first[l_] = 0
            lane_end[l_] = 0
        for p in range(N):
            i = order[p]
            if key[i] == INF:
                break
            l_ = ln[i]
            if lane_end[l_] == 0:
                lane_first[l_] = p
            lane_end[l_] = p + 1
        n_lc = 0
        n_free = 0
        for p in range(N):
            rank[order[p]] = p
        for i in range(N):
            in_lane[i] = valid[b, i] and not free[b, i]
            if lc_active[i]:
                in_lane[i] = abs(dl[i]) < 0.5 * (r_width[ln[i]] + width[b, i])
                lc_list[n_lc] = i
                n_lc += 1
            if valid[b, i] and free[b, i]:
                free_list[n_free] = i
                n_free += 1

        # ------------------------------------------------------------ triggers
        for i in range(N):
            if not valid[b, i] or crashed[i]:
                continue
            for k in range(K):
                mt = man_type[i, k]
                if mt == 0 or man_state[i, k] != 0:
                    continue
                trig_val = man_val[b, i, k, M_TRIG]
                fire = False
                if man_trig[i, k] == TRIG_TIME:
                    fire = time >= trig_val
                else:
                    o = man_other[i, k]
                    if man_trig[i, k] == TRIG_DISTANCE:
                        fire = math.sqrt((xs[o] - xs[i]) ** 2 + (ys[o] - ys[i]) ** 2) < trig_val
                    else:
                        # time gap of the other actor behind this one: bumper gap along its heading / its speed
                        ahead_by = (xs[i] - xs[o]) * math.cos(hs[o]) + (ys[i] - ys[o]) * math.sin(hs[o])
                        ahead_by -= 0.5 * (length[b, i] + length[b, o])
                        fire = ahead_by >= 0.0 and ahead_by / max(v[o], 0.1) < trig_val
                if not fire:
                    continue
                if mt == MAN_LANE_CHANGE:
                    if lc_active[i] or free[b, i]:
                        continue
                    tl = man_to[i, k]
                    if tl == ln[i]:
                        man_state[i, k] = 2
                        continue
                    if tl != r_left[ln[i]] and tl != r_right[ln[i]]:
                        continue  # not next to the target yet (e.g. still on the ramp): wait
                    _start_lane_change(i, tl, time, man_val[b, i, k, M_DUR], r_off, r_len, r_px, r_py, r_ph, r_pk,
                                       xs, ys, hs, ln, sl, dl, e, lc_active, lc_t0, lc_dur, lc_d0, lc_origin,
                                       route_pos)
                    lc_list[n_lc] = i
                    n_lc += 1
                man_state[i, k] = 1
                man_t0[i, k] = time

        # ------------------------------------------------------------ longitudinal commands
        slot = t % REACT_BUF
        for i in range(N):
            lead_gap[i] = INF
            lead_v[i] = 0.0
            if not valid[b, i] or crashed[i] or free[b, i]:
                continue
            li = ln[i]
            si = sl[i]
            half_i = 0.5 * length[b, i]
            gap = INF
            vl = 0.0
            al = 0.0
            if i == 0 and has_sensor:
                # the ego follows what it perceives
                gap, vl, _lead = perceived_leader(r_off, r_len, r_width, r_px, r_py, r_ph, r_pk, li, si, xs[0],
                                                  ys[0], hs[0], half_i, trk_on, trk_x, trk_y, trk_vx, trk_vy,
                                                  length[b], width[b], PED_LOOKAHEAD + 40.0)
                if gap == INF:
                    nl = _next_lane(i, li, route, route_len, route_pos, r_succ, r_nsucc)
                    if nl < 0 and r_dead[li]:
                        gap = r_len[li] - si - half_i
                lead_gap[i] = gap
                lead_v[i] = vl
                cmd_buf[i, slot] = _command(model[b, i], v[i], params[b, i], gap, vl, 0.0)
                continue
            # same lane: the next agent in lane order that occupies the lane
            ahead = -1
            if lane_first[li] <= rank[i] < lane_end[li] and ln[i] == li:
                for q in range(rank[i] + 1, lane_end[li]):
                    if in_lane[order[q]]:
                        ahead = order[q]
                        break
            else:  # it switched lanes this step (a manoeuvre just started): search the lane
                ahead, _bh = _scan_lane(li, si, i, order, lane_first, lane_end, sl, in_lane)
            if ahead >= 0:
                gap = sl[ahead] - si - half_i - 0.5 * length[b, ahead]
                vl = v[ahead]
                al = acc[ahead]
            else:
                nl = _next_lane(i, li, route, route_len, route_pos, r_succ, r_nsucc)
                if nl >= 0:
                    a2, _b2 = _scan_lane(nl, -INF, i, order, lane_first, lane_end, sl, in_lane)
                    if a2 >= 0:
                        gap = r_len[li] - si + sl[a2] - half_i - 0.5 * length[b, a2]
                        vl = v[a2]
                        al = acc[a2]
                elif r_dead[li]:
                    gap = r_len[li] - si - half_i
                    vl = 0.0
                    al = 0.0
            # while changing lanes, also keep distance to the leader in the lane being left
            if lc_active[i]:
                lo = lc_origin[i]
                so, _do = project_local(r_off, r_len, r_px, r_py, r_ph, r_pk, lo, xs[i], ys[i], si)
                a3, _b3 = _scan_lane(lo, so, i, order, lane_first, lane_end, sl, in_lane)
                if a3 >= 0:
                    g3 = sl[a3] - so - half_i - 0.5 * length[b, a3]
                    if g3 < gap:
                        gap = g3
                        vl = v[a3]
                        al = acc[a3]
            # vehicles changing into or out of this lane (their body overlaps it)
            for q in range(n_lc):
                j = lc_list[q]
                if j == i or not valid[b, j]:
                    continue
                lo = lc_origin[j]
                if lo == li and ln[j] != li:
                    # j leaves lane li: it still occupies it while its body overlaps
                    sj, dj = project_local(r_off, r_len, r_px, r_py, r_ph, r_pk, li, xs[j], ys[j], si)
                    if abs(dj) < 0.5 * (r_width[li] + width[b, j]) and sj > si:
                        g = sj - si - half_i - 0.5 * length[b, j]
                        if g < gap:
                            gap = g
                            vl = v[j]
                            al = acc[j]
            # off-lane agents (pedestrians) inside this lane's corridor ahead
            ch = math.cos(hs[i])
            sh = math.sin(hs[i])
            for q in range(n_free):
                j = free_list[q]
                if j == i:
                    continue
                ahead_d = (xs[j] - xs[i]) * ch + (ys[j] - ys[i]) * sh
                if ahead_d <= 0.0 or ahead_d > PED_LOOKAHEAD:
                    continue
                sj, dj = project_local(r_off, r_len, r_px, r_py, r_ph, r_pk, li, xs[j], ys[j], si + ahead_d)
                if abs(dj) < 0.5 * (r_width[li] + width[b, j]) and sj > si:
                    g = sj - si - half_i - 0.5 * length[b, j]
                    if g < gap:
                        gap = g
                        vl = 0.0
                        al = 0.0
            lead_gap[i] = gap
            lead_v[i] = vl
            cmd_buf[i, slot] = _command(model[b, i], v[i], params[b, i], gap, vl, al)
        # apply reaction delay, then scripted braking
        for i in range(N):
            if not valid[b, i] or free[b, i]:
                continue
            r = int(params[b, i, P_REACT])
            if r <= 0:
                target = cmd_buf[i, slot]
            elif t >= r:
                target = cmd_buf[i, (t - r) % REACT_BUF]
            else:
                target = 0.0
            for k in range(K):
                if man_state[i, k] != 1:
                    continue
                mt = man_type[i, k]
                if mt == MAN_HARD_BRAKE:
                    dur = man_val[b, i, k, M_DUR]
                    if dur > 0.0 and time - man_t0[i, k] >= dur:
                        man_state[i, k] = 2
                        continue
                    if dur <= 0.0 and v[i] <= 0.0:
                        man_state[i, k] = 2
                        continue
                    target = min(target, -man_val[b, i, k, M_DECEL])
                elif mt == MAN_STOP:
                    target = min(target, -man_val[b, i, k, M_DECEL]) if v[i] > 0.0 else min(target, 0.0)
            if i == 0 and aeb_on:
                pttc = perceived_min_ttc(xs[0], ys[0], hs[0], length[b, 0], width[b, 0], v[0] * math.cos(hs[0]),
                                         v[0] * math.sin(hs[0]), known, trk_x, trk_y, trk_vx, trk_vy, length[b],
                                         width[b], ttc_horizon) if has_sensor else lead_ttc_truth(
                                             lead_gap[0], v[0], lead_v[0])
                if aeb_trig < 0 and pttc < sensor[b, E_AEB_TTC] and v[0] > 0.5:
                    aeb_trig = t
                    m_aeb = min(m_aeb, time)
                elif aeb_trig >= 0 and (v[0] <= 0.0 or pttc > 2.0 * sensor[b, E_AEB_TTC]):
                    aeb_trig = -1
                if aeb_trig >= 0 and t - aeb_trig >= int(sensor[b, E_AEB_REACT]):
                    target = min(target, -sensor[b, E_AEB_DECEL])
            # limits: braking per kind, jerk
            target = max(-max_brake[b, i], min(target, params[b, i, P_AMAX] * 1.5 + 0.5))
            dj = max_jerk[b, i] * dt
            acc[i] = max(acc[i] - dj, min(acc[i] + dj, target))

        # ------------------------------------------------------------ MOBIL lane changes
        for i in range(N):
            if (t + i) % mobil_every != 0:
                continue
            if not valid[b, i] or free[b, i] or crashed[i] or lc_active[i] or params[b, i, P_MOBIL] < 0.5:
                continue
            busy = False
            for k in range(K):
                if man_state[i, k] == 1:
                    busy = True
            if busy:
                continue
            li = ln[i]
            a_c = idm_accel(v[i], params[b, i, P_V0], params[b, i, P_T], params[b, i, P_S0],
                            params[b, i, P_AMAX], params[b, i, P_BCOMF], params[b, i, P_DELTA], lead_gap[i], lead_v[i])
            lane_mask = in_lane
            if i == 0 and has_sensor:
                for j in range(N):
                    seen_in_lane[j] = in_lane[j] and known[j]
                lane_mask = seen_in_lane
            _ah, fo = _scan_lane(li, sl[i], i, order, lane_first, lane_end, sl, lane_mask)
            best_gain = params[b, i, P_THRESH]
            best_lane = -1
            for side in range(2):
                tl = r_left[li] if side == 0 else r_right[li]
                if tl < 0:
                    continue
                st, _dt = project_local(r_off, r_len, r_px, r_py, r_ph, r_pk, tl, xs[i], ys[i], sl[i])
                if st < 0.0 or st > r_len[tl] - 30.0 and (r_dead[tl] or r_nsucc[tl] == 0):
                    continue
                # vehicles changing into the target lane (maybe this very step) must be clear, and so
                # must vehicles leaving it while their body still overlaps it (the lane scan no
                # longer lists them there)
                conflict = False
                for q in range(n_lc):
                    j = lc_list[q]
                    if j == i or not lc_active[j] or not valid[b, j] or (i == 0 and not known[j]):
                        continue
                    sj = sl[j]
                    if ln[j] != tl:
                        if lc_origin[j] != tl:
                            continue
                        sj, dj = project_local(r_off, r_len, r_px, r_py, r_ph, r_pk, tl, xs[j], ys[j], st)
                        if abs(dj) >= 0.5 * (r_width[tl] + width[b, j]):
                            continue
                    if abs(sj - st) < 0.5 * (length[b, i] + length[b, j]) + max(v[i], v[j]):
                        conflict = True
                if conflict:
                    continue
                nl_, nf = _scan_lane(tl, st, i, order, lane_first, lane_end, sl, lane_mask)
                gap_l = INF
                vl_ = 0.0
                if nl_ >= 0:
                    gap_l = sl[nl_] - st - 0.5 * (length[b, i] + length[b, nl_])
                    vl_ = v[nl_]
                if gap_l < 1.0:
                    continue
                a_c2 = idm_accel(v[i], params[b, i, P_V0], params[b, i, P_T], params[b, i, P_S0],
                                 params[b, i, P_AMAX], params[b, i, P_BCOMF], params[b, i, P_DELTA], gap_l, vl_)
                gain_n = 0.0
                if nf >= 0:
                    gap_f = st - sl[nf] - 0.5 * (length[b, i] + length[b, nf])
                    if gap_f < 1.0:
                        continue
                    old_gap = INF if nl_ < 0 else sl[nl_] - sl[nf] - 0.5 * (length[b, nl_] + length[b, nf])
                    a_n = idm_accel(v[nf], params[b, nf, P_V0], params[b, nf, P_T], params[b, nf, P_S0],
                                    params[b, nf, P_AMAX], params[b, nf, P_BCOMF], params[b, nf, P_DELTA], old_gap, vl_)
                    a_n2 = idm_accel(v[nf], params[b, nf, P_V0], params[b, nf, P_T], params[b, nf, P_S0],
                                     params[b, nf, P_AMAX], params[b, nf, P_BCOMF], params[b, nf, P_DELTA], gap_f, v[i])
                    if a_n2 < -params[b, i, P_BSAFE]:
                        continue
                    gain_n = a_n2 - a_n
                gain_o = 0.0
                if fo >= 0:
                    g_now = sl[i] - sl[fo] - 0.5 * (length[b, i] + length[b, fo])
                    g_new = lead_gap[i] + g_now + length[b, i] if lead_gap[i] < INF else INF
                    a_o = idm_accel(v[fo], params[b, fo, P_V0], params[b, fo, P_T], params[b, fo, P_S0],
                                    params[b, fo, P_AMAX], params[b, fo, P_BCOMF], params[b, fo, P_DELTA], g_now, v[i])
                    a_o2 = idm_accel(v[fo], params[b, fo, P_V0], params[b, fo, P_T], params[b, fo, P_S0],
                                     params[b, fo, P_AMAX], params[b, fo, P_BCOMF], params[b, fo, P_DELTA], g_new, lead_v[i])
                    gain_o = a_o2 - a_o
                gain = a_c2 - a_c + params[b, i, P_POLITE] * (gain_n + gain_o)
                if gain > best_gain:
                    best_gain = gain
                    best_lane = tl
            if best_lane >= 0:
                _start_lane_change(i, best_lane, time, params[b, i, P_LCDUR], r_off, r_len, r_px, r_py, r_ph, r_pk,
                                   xs, ys, hs, ln, sl, dl, e, lc_active, lc_t0, lc_dur, lc_d0, lc_origin, route_pos)
                lc_list[n_lc] = i
                n_lc += 1

        # ------------------------------------------------------------ ego metrics that need the leader
        if valid[b, 0] and lead_gap[0] < INF:
            dr, thw = follow_drac_thw(v[0], lead_v[0], lead_gap[0])
            m_drac = max(m_drac, dr)
            m_thw = min(m_thw, thw)

        # ------------------------------------------------------------ integrate
        for i in range(N):
            if not valid[b, i]:
                continue
            if crashed[i]:
                v[i] = 0.0
                acc[i] = 0.0
                continue
            if free[b, i]:
                _move_free(i, b, time, dt, xs, ys, hs, v, acc, man_type, man_state, man_t0, man_val, path, path_len,
                           path_pos, x0, y0, length, width, valid, free)
                continue
            a_i = acc[i]
            vi = v[i]
            vn = vi + a_i * dt
            if vn < 0.0:
                vn = 0.0
                a_i = -vi / dt
            vm = 0.5 * (vi + vn)
            li = ln[i]
            # lateral reference: lane centre, or the lane-change profile
            d_ref = 0.0
            d_ref_dot = 0.0
            if lc_active[i]:
                tau = (time - lc_t0[i]) / lc_dur[i]
                q, qd = smoothstep5(tau)
                d_ref = lc_d0[i] * (1.0 - q)
                d_ref_dot = -lc_d0[i] * qd / lc_dur[i]
                if tau >= 1.0:
                    lc_active[i] = False
            _xx, _yy, _hh, kappa = lane_pose(r_off, r_len, r_px, r_py, r_ph, r_pk, li, sl[i], 0.0)
            wheelbase = 0.6 * length[b, i]
            vv = max(vm, 1.0)
            e_des = math.atan2(d_ref_dot + K_LAT * (d_ref - dl[i]), vv)
            yaw_rate = kappa * vm * math.cos(e[i]) / max(1.0 - kappa * dl[i], 0.1) + K_HEAD * (e_des - e[i])
            delta_cmd = math.atan(wheelbase * yaw_rate / vv)
            ds_ = STEER_RATE * dt
            delta = max(steer[i] - ds_, min(steer[i] + ds_, delta_cmd))
            lim = max_steer[b, i]
            delta = max(-lim, min(lim, delta))
            steer[i] = delta
            s_dot = vm * math.cos(e[i]) / max(1.0 - kappa * dl[i], 0.1)
            dl[i] += vm * math.sin(e[i]) * dt
            e[i] += (vm * math.tan(delta) / wheelbase - kappa * s_dot) * dt
            sl[i] += s_dot * dt
            v[i] = vn
            acc[i] = a_i
            # lane transitions
            while sl[i] > r_len[li]:
                nl = _next_lane(i, li, route, route_len, route_pos, r_succ, r_nsucc)
                if nl < 0:
                    break
                sl[i] -= r_len[li]
                if route_pos[i] >= 0 and route_pos[i] + 1 < route_len[i] and route[i, route_pos[i] + 1] == nl:
                    route_pos[i] += 1
                else:
                    route_pos[i] = -1
                li = nl
                ln[i] = nl
            px_, py_, lh, _k = lane_pose(r_off, r_len, r_px, r_py, r_ph, r_pk, li, sl[i], dl[i])
            xs[i] = px_
            ys[i] = py_
            hs[i] = lh + e[i]
        # ego decel and jerk, agents' max decel
        for i in range(N):
            if valid[b, i] and -acc[i] > agent_metrics[b, i, A_MAX_DECEL]:
                agent_metrics[b, i, A_MAX_DECEL] = -acc[i]
        if valid[b, 0]:
            m_decel = max(m_decel, -acc[0])
            if t > 0:
                m_jerk = max(m_jerk, abs(acc[0] - ego_prev_acc) / dt)
            ego_prev_acc = acc[0]

    # ---------------------------------------------------------------- PET of the ego against crossing agents
    m_pet = INF
    T = n_steps
    for j in range(1, N):
        if not valid[b, j]:
            continue
        best = crossing_pet(agent_metrics[b, j, A_MIN_DIST], hist[:, 0, 0], hist[:, 0, 1], hist_h[:, 0], all_steps,
                            width[b, 0], hist[:, j, 0], hist[:, j, 1], hist_h[:, j], all_steps, width[b, j], dt)
        agent_metrics[b, j, A_PET] = best
        m_pet = min(m_pet, best)

    # ---------------------------------------------------------------- occlusion before closest approach, dropouts
    if has_sensor:
        thr = sensor[b, E_THRESHOLD]
        rng2 = sensor[b, E_RANGE] ** 2
        for j in range(1, N):
            if not valid[b, j]:
                continue
            t_end = agent_metrics[b, j, A_T_MIN_DIST]
            total = 0.0
            run = 0.0
            longest = 0.0
            for t in range(T):
                if t * dt > t_end:
                    break
                dx = hist[t, j, 0] - hist[t, 0, 0]
                dy = hist[t, j, 1] - hist[t, 0, 1]
                if vis_hist[t, j] < thr and dx * dx + dy * dy < rng2:
                    total += dt
                    run += dt
                    longest = max(longest, run)
                else:
                    run = 0.0
            agent_metrics[b, j, A_OCC_TOTAL] = total
            agent_metrics[b, j, A_OCC_LONGEST] = longest
        count = 0
        longest = 0.0
        threat_longest = 0.0
        critical = 0.0
        t = 0
        while t < T:
            if not drop_hist[t]:
                t += 1
                continue
            t0 = t
            threat = False
            crit = False
            while t < T and drop_hist[t]:
                if drop_ttc[t] < THREAT_TTC:
                    threat = True
                if drop_ttc[t] < ttc_threshold:
                    crit = True
                t += 1
            dur = (t - t0) * dt
            count += 1
            longest = max(longest, dur)
            if threat:
                threat_longest = max(threat_longest, dur)
            if crit:
                critical = 1.0
        metrics[b, S_DROP_COUNT] = count
        metrics[b, S_DROP_LONGEST] = longest
        metrics[b, S_DROP_THREAT_LONGEST] = threat_longest
        metrics[b, S_DROP_CRITICAL] = critical
    else:
        for j in range(N):
            agent_metrics[b, j, A_OCC_TOTAL] = 0.0
            agent_metrics[b, j, A_OCC_LONGEST] = 0.0
        metrics[b, S_DROP_COUNT] = 0.0
        metrics[b, S_DROP_LONGEST] = 0.0
        metrics[b, S_DROP_THREAT_LONGEST] = 0.0
        metrics[b, S_DROP_CRITICAL] = 0.0
    metrics[b, S_AEB_TIME] = m_aeb

    for j in range(1, N):
        if valid[b, j]:
            m_min_ttc = min(m_min_ttc, agent_metrics[b, j, A_MIN_TTC])
            m_min_dist = min(m_min_dist, agent_metrics[b, j, A_MIN_DIST])
    metrics[b, S_MIN_TTC] = m_min_ttc
    metrics[b, S_MIN_DIST] = m_min_dist
    metrics[b, S_TET] = m_tet
    metrics[b, S_MAX_DRAC] = m_drac
    metrics[b, S_MIN_THW] = m_thw
    metrics[b, S_EGO_MAX_DECEL] = m_decel
    metrics[b, S_EGO_MAX_JERK] = m_jerk
    metrics[b, S_COLL_TIME] = m_coll_t
    metrics[b, S_COLL_A] = m_coll_a
    metrics[b, S_COLL_B] = m_coll_b
    metrics[b, S_EGO_COLL_TIME] = m_ego_coll
    metrics[b, S_MIN_PET] = m_pet


@njit(cache=True)
def _start_lane_change(i, tl, time, duration, r_off, r_len, r_px, r_py, r_ph, r_pk,
                       xs, ys, hs, ln, sl, dl, e, lc_active, lc_t0, lc_dur, lc_d0, lc_origin, route_pos):
    """Switch agent ``i`` into the Frenet frame of lane ``tl``; the controller then closes the offset."""
    st, dt_ = project_global(r_off, r_len, r_px, r_py, r_ph, r_pk, tl, xs[i], ys[i])
    _x, _y, lh, _k = lane_pose(r_off, r_len, r_px, r_py, r_ph, r_pk, tl, st, 0.0)
    lc_origin[i] = ln[i]
    ln[i] = tl
    sl[i] = st
    dl[i] = dt_
    e[i] = hs[i] - lh
    e[i] = math.atan2(math.sin(e[i]), math.cos(e[i]))
    lc_active[i] = True
    lc_t0[i] = time
    lc_dur[i] = max(duration, 0.5)
    lc_d0[i] = dt_
    route_pos[i] = -1


@njit(cache=True)
def _blocked(i, b, px, py, xs, ys, hs, length, width, valid, free):
    """True if point (px, py) lies within 0.6 m of another (non-free) agent's box: a walker waits there."""
    for j in range(xs.shape[0]):
        if j == i or not valid[b, j] or free[b, j]:
            continue
        dx = px - xs[j]
        dy = py - ys[j]
        c = math.cos(hs[j])
        sn = math.sin(hs[j])
        if abs(c * dx + sn * dy) < 0.5 * length[b, j] + 0.6 and abs(-sn * dx + c * dy) < 0.5 * width[b, j] + 0.6:
            return True
    return False


@njit(cache=True)
def _move_free(i, b, time, dt, xs, ys, hs, v, acc, man_type, man_state, man_t0, man_val, path, path_len,
               path_pos, x0, y0, length, width, valid, free):
    """Off-lane agent: walk the crossing path once its manoeuvre started (waiting while a vehicle
    blocks the next step), else keep a constant velocity."""
    K = man_type.shape[1]
    for k in range(K):
        if man_type[i, k] != MAN_CROSS:
            continue
        if man_state[i, k] == 0:
            # waiting at the kerb: stand still
            v[i] = 0.0
            acc[i] = 0.0
            return
        if man_state[i, k] == 2:
            v[i] = 0.0
            return
        speed = man_val[b, i, k, M_SPEED]
        pp = path_pos[i] + speed * dt
        n = path_len[i]
        # walk along the polyline of offsets
        rem = pp
        for p in range(n - 1):
            ax, ay = path[i, p, 0], path[i, p, 1]
            bx, by = path[i, p + 1, 0], path[i, p + 1, 1]
            seg = math.sqrt((bx - ax) ** 2 + (by - ay) ** 2)
            if rem <= seg or p == n - 2:
                f = min(rem / seg, 1.0) if seg > 0 else 1.0
                nx = x0[b, i] + ax + f * (bx - ax)
                ny = y0[b, i] + ay + f * (by - ay)
                if _blocked(i, b, nx, ny, xs, ys, hs, length, width, valid, free):
                    v[i] = 0.0
                    return
                xs[i] = nx
                ys[i] = ny
                hs[i] = math.atan2(by - ay, bx - ax)
                if rem >= seg and p == n - 2:
                    man_state[i, k] = 2
                    v[i] = 0.0
                else:
                    v[i] = speed
                break
            rem -= seg
        path_pos[i] = pp
        return
    xs[i] += v[i] * math.cos(hs[i]) * dt
    ys[i] += v[i] * math.sin(hs[i]) * dt


@njit(parallel=True, cache=True)
def simulate_batch(
    r_off, r_len, r_width, r_succ, r_nsucc, r_left, r_right, r_dead, r_px, r_py, r_ph, r_pk,
    route, route_len, man_type, man_trig, man_other, man_to, path, path_len,
    kind, length, width, valid, free, model, params, man_val,
    x0, y0, h0, v0, lane0, s0, d0,
    dt, n_steps, record_every, ttc_threshold, ttc_horizon, max_brake, max_jerk, max_steer, n_named,
    sensor, seeds, occ_px, occ_py, occ_start, occ_count,
    traj, tmask, metrics, agent_metrics, p_vis, p_det, p_trk, p_txy, p_drop, n_chunks,
):  # fmt: skip
    """Simulate every scenario of the batch; fills ``traj``/``tmask`` (if they have frames) and the metrics."""
    B, N = x0.shape
    K = man_type.shape[1]
    L = r_len.shape[0]
    per = (B + n_chunks - 1) // n_chunks
    for c in prange(n_chunks):
        lo = c * per
        hi = min(B, lo + per)
        if lo >= hi:
            continue
        xs = np.empty(N)
        ys = np.empty(N)
        hs = np.empty(N)
        v = np.empty(N)
        acc = np.empty(N)
        e = np.empty(N)
        dl = np.empty(N)
        sl = np.empty(N)
        ln = np.empty(N, np.int64)
        steer = np.empty(N)
        crashed = np.empty(N, np.bool_)
        route_pos = np.empty(N, np.int64)
        lc_active = np.empty(N, np.bool_)
        lc_t0 = np.empty(N)
        lc_dur = np.empty(N)
        lc_d0 = np.empty(N)
        lc_origin = np.empty(N, np.int64)
        man_state = np.empty((N, K), np.int64)
        man_t0 = np.empty((N, K))
        path_pos = np.empty(N)
        cmd_buf = np.empty((N, REACT_BUF))
        order = np.empty(N, np.int64)
        pos = np.empty(N, np.int64)
        key = np.empty(N)
        lane_first = np.empty(L, np.int64)
        lane_end = np.empty(L, np.int64)
        in_lane = np.empty(N, np.bool_)
        lead_gap = np.empty(N)
        lead_v = np.empty(N)
        hist = np.empty((n_steps, N, 2))
        hist_h = np.empty((n_steps, N))
        hist_v = np.empty((n_steps, N))
        vis = np.zeros(N)
        vis_hist = np.zeros((n_steps, N))
        drop_hist = np.zeros(n_steps, np.bool_)
        drop_ttc = np.full(n_steps, INF)
        det = np.zeros(N, np.bool_)
        trk_on = np.zeros(N, np.bool_)
        trk_x = np.zeros(N)
        trk_y = np.zeros(N)
        trk_vx = np.zeros(N)
        trk_vy = np.zeros(N)
        trk_seen = np.zeros(N)
        known = np.zeros(N, np.bool_)
        entered = np.zeros(N, np.bool_)
        seen_in_lane = np.zeros(N, np.bool_)
        rank = np.zeros(N, np.int64)
        lc_list = np.zeros(N, np.int64)
        free_list = np.zeros(N, np.int64)
        all_steps = np.ones(n_steps, np.bool_)
        for b in range(lo, hi):
            _simulate_one(
                b, r_off, r_len, r_width, r_succ, r_nsucc, r_left, r_right, r_dead, r_px, r_py, r_ph, r_pk,
                route, route_len, man_type, man_trig, man_other, man_to, path, path_len,
                kind, length, width, valid, free, model, params, man_val,
                x0, y0, h0, v0, lane0, s0, d0,
                dt, n_steps, record_every, ttc_threshold, ttc_horizon, max_brake, max_jerk, max_steer, n_named,
                sensor, seeds, occ_px, occ_py, occ_start, occ_count,
                traj, tmask, metrics, agent_metrics, p_vis, p_det, p_trk, p_txy, p_drop,
                xs, ys, hs, v, acc, e, dl, sl, ln, steer, crashed, route_pos, lc_active, lc_t0, lc_dur, lc_d0,
                lc_origin, man_state, man_t0, path_pos, cmd_buf, order, pos, key, lane_first, lane_end, in_lane,
                lead_gap, lead_v, hist, hist_h, hist_v, vis, vis_hist, drop_hist, drop_ttc, det, trk_on, trk_x,
                trk_y, trk_vx, trk_vy, trk_seen, known, entered, seen_in_lane, rank, lc_list, free_list, all_steps,
            )
