"""Driver decisions of one step: leaders and longitudinal commands, reaction delay, scripted braking
and AEB, curve speeds, and MOBIL lane changes (manoeuvre triggers and forced merges: :mod:`.maneuvers`).

The longitudinal command is IDM with the constant-acceleration heuristic to
the leader (same lane, the lane ahead, a vehicle changing into or out of the
lane, or a pedestrian in the lane corridor), delayed by the driver's reaction
time, plus the driver's acceleration noise (``P_ANOISE`` times a stationary
Ornstein-Uhlenbeck process of correlation time ``P_TNOISE``, drawn from the
agent's own stream and only for drivers that have it); scripted braking
overrides it. An ego with a sensor finds its leader,
takes its MOBIL decisions and triggers its AEB (TTC along the predicted paths,
:mod:`.paths`, below a threshold, after a reaction delay, at a fixed
deceleration) on its tracks only; every other agent, and the AEB of an ego
without a sensor, uses ground truth. Units: m, s, m/s, m/s^2.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..data.layout import (
    E_AEB_DECEL,
    E_AEB_ON,
    E_AEB_REACT,
    E_AEB_TTC,
    M_DECEL,
    M_DUR,
    MAN_HARD_BRAKE,
    MAN_STOP,
    MODEL_CONSTANT,
    MODEL_STOP,
    P_ALAT,
    P_AMAX,
    P_ANOISE,
    P_BCOMF,
    P_BSAFE,
    P_COOP,
    P_DELTA,
    P_LCDUR,
    P_MOBIL,
    P_POLITE,
    P_REACT,
    P_S0,
    P_STOPDEC,
    P_T,
    P_THRESH,
    P_TNOISE,
    P_V0,
    P_WSD,
    S_AEB_TIME,
)
from .behavior import acc_accel, idm_accel, ou_step, std_normal
from .groups import REACT_BUF
from .lanes import lane_pose, lane_segment, project_local
from .order import LAT_MARGIN, lane_shift, next_lane, path_step, scan_beside, scan_lane, turned_width
from .perception import perceived_leader, perceived_path_ttc
from .maneuvers import MERGE_ZONE, start_lane_change, target_neighbours
from .rules import right_of_way_gap
from .typed import FALSE, NONE

INF = math.inf
NOISE_SALT = 0x4E015E  # keys each agent's acceleration-noise stream off the scenario's seed
WANDER_SALT = 0x3A9D3E  # keys each agent's lateral-wander stream off the scenario's seed
PED_LOOKAHEAD = 80.0  # m, how far ahead a vehicle looks for pedestrians in its lane
CURVE_STEP = 4.0  # m between the points ahead where a driver reads the curvature
CURVE_MARGIN = 10.0  # m of look-ahead beyond the comfortable braking distance
COOP_AHEAD = 40.0  # m ahead within which a cooperative driver opens a gap for a merging vehicle


@njit(cache=True)
def _command(b, i, model, params, v, gap, v_lead, a_lead):
    """Longitudinal acceleration (m/s^2) agent ``i``'s behaviour model asks for at speed ``v``
    behind a leader at bumper gap ``gap`` (m), speed ``v_lead`` and acceleration ``a_lead``."""
    mdl = model[b, i]
    if mdl == MODEL_CONSTANT:
        return 0.0
    if mdl == MODEL_STOP:
        return -params[b, i, P_STOPDEC] if v > 0.0 else 0.0
    return acc_accel(v, params[b, i, P_V0], params[b, i, P_T], params[b, i, P_S0], params[b, i, P_AMAX],
                     params[b, i, P_BCOMF], params[b, i, P_DELTA], gap, v_lead, a_lead)


@njit(cache=True, no_cpython_wrapper=True)
def curve_command(i, li, si, v, a_lat, b_comf, half_len, dt, road, route, route_len, route_pos):
    """Acceleration (m/s^2; INF when no curve constrains it) that keeps agent ``i``, on lane ``li``
    at ``si`` (m) and speed ``v`` (m/s), within ``v_c = sqrt(a_lat / |curvature|)`` on every curve
    ahead: for a curve ``d`` m ahead of its front, the deceleration that reaches ``v_c`` there,
    ``(v^2 - v_c^2) / (2 d)``; on a curve, the step that brings it down to ``v_c``. The curvature is
    read in windows of ``CURVE_STEP`` m (the largest of their segments) from each lane's start, over
    the braking distance at half of ``b_comf`` plus ``CURVE_MARGIN``, following the route (else the
    first successor)."""
    r_len, r_pk, r_off, curved = road.length, road.curvature, road.offset, road.curved
    r_succ, r_nsucc = road.successor, road.n_successor
    reach = v * v / max(b_comf, 0.1) + CURVE_MARGIN + half_len
    best = INF
    lane = li
    start = -si  # m from the agent's centre to the start of ``lane``
    rp = route_pos[i]
    for hop in range(3):
        if curved[lane]:
            s = max(si, 0.0) if hop == 0 else 0.0
            while s < r_len[lane] and start + s <= reach:
                k = _max_curvature(r_off, r_len, r_pk, lane, s, s + CURVE_STEP)
                if k > 1e-6:  # reach v_c there: brake to it, or speed up no further than to it
                    vc = math.sqrt(a_lat / k)
                    ahead = start + s - half_len  # from the agent's front
                    a = (vc - v) / dt if ahead <= 0.0 else (vc * vc - v * v) / (2.0 * ahead)
                    best = min(best, a)
                s += CURVE_STEP
        start += r_len[lane]
        if start > reach:
            break
        lane, rp = path_step(i, lane, rp, route, route_len, r_succ, r_nsucc)
        if lane < 0:
            break
    return best


@njit(cache=True)
def _max_curvature(off, length, pk, lane, s0, s1):
    """Largest |curvature| (1/m) of ``lane``'s segments between ``s0`` and ``s1`` (m): every segment
    between two read points counts, so no curve hides between them."""
    k0, _f = lane_segment(off, length, lane, s0)
    k1, _f = lane_segment(off, length, lane, s1)
    best = 0.0
    for k in range(k0, k1 + 1):
        best = max(best, abs(pk[k]))
    return best


@njit(cache=True, no_cpython_wrapper=True)
def oncoming_leader(b, i, road, ag, st, sc):
    """Gap (m) to, and speed (0 m/s) of, where agent ``i`` would meet the nearest vehicle ahead on
    the lane opposite its own whose body and ``i``'s overlap laterally (one of them intrudes into
    the other's lane): its share, at their speeds, of the bumper gap between them, taken as a
    standing obstacle; (INF, 0) if none."""
    li = st.ln[i]
    opp = road.opposite[li]
    wi, half_i = ag.width[b, i], 0.5 * ag.length[b, i]
    i_out = st.dl[i] + 0.5 * wi > 0.5 * road.width[li]
    best = INF
    for q in range(sc.lane_first[opp], sc.lane_end[opp]):
        j = sc.order[q]
        if not ag.valid[b, j] or st.crashed[j]:
            continue
        if not i_out and st.dl[j] + 0.5 * ag.width[b, j] <= 0.5 * road.width[opp]:
            continue
        sj, dj = project_local(road.offset, road.length, road.px, road.py, road.heading, road.curvature, li,
                               st.xs[j], st.ys[j], st.sl[i])
        if sj <= st.sl[i] or abs(dj - st.dl[i]) >= 0.5 * (wi + ag.width[b, j]) + LAT_MARGIN:
            continue
        g = sj - st.sl[i] - half_i - 0.5 * ag.length[b, j]
        closing = st.v[i] + st.v[j]
        if closing > 0.1:
            g *= st.v[i] / closing  # both stop short of where they would meet
        if g < best:
            best = g
    return best, 0.0


@njit(cache=True, no_cpython_wrapper=True)
def merger_ahead(b, i, road, ag, st, sc):
    """Bumper gap (m) to, and speed (m/s) of, the nearest vehicle up to ``COOP_AHEAD`` m ahead of
    agent ``i`` on a neighbouring lane that ends within ``MERGE_ZONE`` m; (INF, 0) if none."""
    li = st.ln[i]
    best, best_v = INF, 0.0
    for side in range(2):
        tl = road.left[li] if side == 0 else road.right[li]
        if tl < 0 or not road.dead_end[tl]:
            continue
        for q in range(sc.lane_first[tl], sc.lane_end[tl]):
            j = sc.order[q]
            if not ag.valid[b, j] or st.crashed[j] or st.lc_active[j]:
                continue
            if road.length[tl] - st.sl[j] - 0.5 * ag.length[b, j] > MERGE_ZONE:
                continue
            sj, _dj = project_local(road.offset, road.length, road.px, road.py, road.heading, road.curvature, li,
                                    st.xs[j], st.ys[j], st.sl[i])
            g = sj - st.sl[i] - 0.5 * (ag.length[b, i] + ag.length[b, j])
            if ag.params[b, i, P_S0] <= g < COOP_AHEAD and g < best:  # room for it in front
                best = g
                best_v = st.v[j]
    return best, best_v


@njit(inline="always")
def leaders(b, t, time, n_lc, n_free, has_sensor, rules_on, road, world, ag, st, sc, tr):
    """Each on-lane agent's leader (gap and speed into ``lead_gap``, ``lead_v``) and the command
    its behaviour model asks for, into this step's slot of ``cmd_buf``. Where the right of way
    (:func:`.rules.right_of_way_gap`; only if ``rules_on``, :func:`.rules.has_rules`) makes it wait,
    the waiting point is a standing leader. A vehicle in a second lane (``lc_list``, from
    :func:`.order.lane_order`) is in the path of the drivers of that lane and of its lanelets before
    and after: a lane changer while its body overlaps the lane, a straddler when its body overlaps
    the driver's sideways; a straddler also follows the vehicles ahead in the lane it sticks into
    whose body overlaps its own, and a lane changer the vehicle ahead in its new lane whatever their
    offsets."""
    valid, free, length, width, model, params = ag.valid, ag.free, ag.length, ag.width, ag.model, ag.params
    route, route_len = ag.route, ag.route_len
    length_b, width_b = length[b], width[b]
    r_off, r_len, r_px, r_py, r_ph, r_pk = road.offset, road.length, road.px, road.py, road.heading, road.curvature
    r_width, r_succ, r_nsucc, r_dead = road.width, road.successor, road.n_successor, road.dead_end
    xs, ys, hs, v, acc, sl, ln = st.xs, st.ys, st.hs, st.v, st.acc, st.sl, st.ln
    crashed, route_pos, lc_active, lc_origin = st.crashed, st.route_pos, st.lc_active, st.lc_origin
    lead_gap, lead_v, cmd_buf = st.lead_gap, st.lead_v, st.cmd_buf
    order, rank, lane_first, lane_end, in_lane = sc.order, sc.rank, sc.lane_first, sc.lane_end, sc.in_lane
    lc_list, free_list, known = sc.lc_list, sc.free_list, tr.known
    trk_on, trk_x, trk_y, trk_vx, trk_vy = tr.trk_on, tr.trk_x, tr.trk_y, tr.trk_vx, tr.trk_vy
    N = sc.n_act[0]
    slot = t % REACT_BUF
    # each lane changer projected once onto the lane it leaves (for itself and for every driver
    # there): lane_order did it for all but those that started their change this step
    lc_s, lc_d, lc_dh, lc_at, lc_other = sc.lc_s, sc.lc_d, sc.lc_dh, sc.lc_at, sc.lc_other
    for q in range(n_lc):
        j = lc_list[q]
        lo = lc_origin[j]
        if (valid[b, j] and lc_active[j] and lo >= 0 and lo != ln[j]
                and (lc_at[j] != t or math.isnan(lane_shift(lo, lc_other[j], road)))):
            so, do = project_local(r_off, r_len, r_px, r_py, r_ph, r_pk, lo, xs[j], ys[j], sl[j])
            lc_s[j] = so
            lc_d[j] = do
            lc_dh[j] = hs[j] - lane_pose(r_off, r_len, r_px, r_py, r_ph, r_pk, lo, so, 0.0)[2]
            lc_at[j] = t
            lc_other[j] = lo
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
                                              length_b, width_b, PED_LOOKAHEAD + 40.0)
            if gap == INF:
                nl = next_lane(i, li, route, route_len, route_pos, r_succ, r_nsucc)
                if nl < 0 and r_dead[li]:
                    gap = r_len[li] - si - half_i
            g_rule = right_of_way_gap(i, time, n_free, b, road, world, ag, st, sc, known,
                                      i == 0 and has_sensor) if rules_on else INF
            if g_rule < gap:
                gap = g_rule
                vl = 0.0
            lead_gap[i] = gap
            lead_v[i] = vl
            cmd_buf[i, slot] = _command(b, i, model, params, v[i], gap, vl, 0.0)
            continue
        # same lane: the next agent in lane order that occupies the lane: one changing into it as soon
        # as its body crosses the line, the others when they are across this one's path (a cyclist at
        # the kerb does not stop a car passing at an offset); all of them for a driver changing into it
        changing = lc_active[i] and lc_origin[i] != li
        ahead = -1
        if lane_first[li] <= rank[i] < lane_end[li] and ln[i] == li:
            for q in range(rank[i] + 1, lane_end[li]):
                j = order[q]
                if in_lane[j] and (changing or (lc_active[j] and lc_origin[j] != li) or abs(st.dl[j] - st.dl[i])
                                   < 0.5 * (width_b[i] + width_b[j]) + LAT_MARGIN):
                    ahead = j
                    break
        else:  # it switched lanes this step (a manoeuvre just started): search the lane
            ahead, _bh = scan_lane(li, si, i, order, lane_first, lane_end, sl, in_lane, known, FALSE)
        if ahead >= 0:
            gap = sl[ahead] - si - half_i - 0.5 * length[b, ahead]
            vl = v[ahead]
            al = acc[ahead]
        else:
            nl = next_lane(i, li, route, route_len, route_pos, r_succ, r_nsucc)
            if nl >= 0:
                a2, _b2 = scan_lane(nl, -INF, i, order, lane_first, lane_end, sl, in_lane, known, FALSE)
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
            if lc_at[i] == t and changing:  # (its place beside the lanelet it left, or the next one)
                lo = lc_other[i]
                so = lc_s[i]
            else:  # an offset manoeuvre (not a lane changer)
                so, _do = project_local(r_off, r_len, r_px, r_py, r_ph, r_pk, lo, xs[i], ys[i], si)
            a3, _b3 = scan_lane(lo, so, i, order, lane_first, lane_end, sl, in_lane, known, FALSE)
            if a3 >= 0:
                g3 = sl[a3] - so - half_i - 0.5 * length[b, a3]
                if g3 < gap:
                    gap = g3
                    vl = v[a3]
                    al = acc[a3]
        elif lc_at[i] == t and lc_other[i] >= 0:
            # a straddler follows the vehicles ahead in the lane it sticks into that overlap it sideways
            lo = lc_other[i]
            a4 = scan_beside(lo, lc_s[i], lc_d[i], width_b[i], i, order, lane_first, lane_end, sl, st.dl, width_b,
                             in_lane, lc_active, lc_origin)
            g4 = INF
            if a4 >= 0:
                g4 = sl[a4] - lc_s[i] - half_i - 0.5 * length[b, a4]
            elif r_nsucc[lo] > 0:
                a4 = scan_beside(r_succ[lo, 0], -INF, lc_d[i], width_b[i], i, order, lane_first, lane_end, sl, st.dl,
                                 width_b, in_lane, lc_active, lc_origin)
                if a4 >= 0:
                    g4 = r_len[lo] - lc_s[i] + sl[a4] - half_i - 0.5 * length[b, a4]
            if g4 < gap:
                gap = g4
                vl = v[a4]
                al = acc[a4]
        # vehicles whose body overlaps this lane (or its lanelets before and after) from a second
        # lane: changing into or out of it (while their body overlaps it, turned as it is: nosing in
        # at a crawl, a car at 45 degrees reaches back over the lane it leaves), or straddling its
        # edge, overlapping this one's body sideways (no LAT_MARGIN: scan_beside)
        for q in range(n_lc):
            j = lc_list[q]
            if j == i or not valid[b, j] or lc_at[j] != t or lc_other[j] < 0:
                continue
            lo = lc_other[j]
            sj = lc_s[j] + lane_shift(li, lo, road)  # NaN unless lo is li or a lanelet next to it
            if not sj > si:
                continue
            w_j = turned_width(width[b, j], length[b, j], lc_dh[j])
            if lc_active[j] and lc_origin[j] != ln[j]:
                across = abs(lc_d[j]) < 0.5 * (r_width[lo] + w_j) + LAT_MARGIN
            else:
                across = changing or abs(lc_d[j] - st.dl[i]) < 0.5 * (width_b[i] + w_j)
            if across:
                g = sj - si - half_i - 0.5 * length[b, j]
                if g < gap:
                    gap = g
                    vl = v[j]
                    al = acc[j]
        # off-lane agents (pedestrians) inside this lane's corridor ahead
        ch = math.cos(hs[i]) if n_free > 0 else 1.0  # (no trigonometry on a road without them)
        sh = math.sin(hs[i]) if n_free > 0 else 0.0
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
        # oncoming vehicles across its path on a two-way road (it or they overtaking)
        if road.opposite[li] >= 0:
            g, vo = oncoming_leader(b, i, road, ag, st, sc)
            if g < gap:
                gap = g
                vl = vo
                al = 0.0
        # a cooperative driver makes room for a vehicle merging in from a lane that ends, braking
        # at most at its comfortable deceleration for it
        coop = INF
        if params[b, i, P_COOP] > 0.5:
            g, vm = merger_ahead(b, i, road, ag, st, sc)
            if g < gap:
                coop = max(_command(b, i, model, params, v[i], g, vm, 0.0), -params[b, i, P_BCOMF])
        g_rule = right_of_way_gap(i, time, n_free, b, road, world, ag, st, sc, known,
                                  i == 0 and has_sensor) if rules_on else INF
        if g_rule < gap:
            gap = g_rule
            vl = 0.0
            al = 0.0
        lead_gap[i] = gap
        lead_v[i] = vl
        cmd_buf[i, slot] = min(_command(b, i, model, params, v[i], gap, vl, al), coop)


@njit(cache=True, no_cpython_wrapper=True)
def start_noise(b, seed, ag, st):
    """Each noisy driver's (``P_ANOISE`` > 0) random stream, keyed by the scenario's ``seed`` and its
    slot, and its noise at t = 0, drawn from the stationary law; drivers without noise draw nothing.
    Likewise the stream of each wandering driver (``P_WSD`` > 0), whose wander starts at 0."""
    for i in range(st.noise.shape[0]):
        st.noise[i] = 0.0
        if ag.params[b, i, P_ANOISE] > 0.0:
            rng, st.noise[i] = std_normal(seed ^ (np.uint64(NOISE_SALT + i) * np.uint64(0xD1B54A32D192ED03)))
            st.noise_rng[i] = rng
        st.wander[i] = 0.0
        if ag.params[b, i, P_WSD] > 0.0:
            st.wander_rng[i] = seed ^ (np.uint64(WANDER_SALT + i) * np.uint64(0xD1B54A32D192ED03))


@njit(inline="always")
def accelerations(b, t, time, aeb_trig, has_sensor, cfg, road, ag, sensor, out, st, sc, tr):
    """Each on-lane agent's acceleration: its command from ``P_REACT`` steps ago plus its
    acceleration noise (:func:`start_noise`), overridden by scripted braking and the ego's AEB, then
    limited in braking and jerk. Returns the step at which the AEB triggered (-1 while idle)."""
    valid, free, length, params, model = ag.valid, ag.free, ag.length, ag.params, ag.model
    man_type, man_val, max_brake, max_jerk = ag.man_type, ag.man_val, ag.max_brake, ag.max_jerk
    crashed = st.crashed
    sens, metrics = sensor.params, out.metrics
    v, acc = st.v, st.acc
    man_state, man_t0, cmd_buf = st.man_state, st.man_t0, st.cmd_buf
    dt = cfg.dt
    N = sc.n_act[0]  # the slots past it are empty
    K = man_type.shape[1]
    slot = t % REACT_BUF
    aeb_on = sens[b, E_AEB_ON] > 0.5
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
        sigma = params[b, i, P_ANOISE]
        if sigma > 0.0:  # the driver's own noise, on its command (scripted braking and the AEB below act on the sum)
            if t > 0:
                st.noise_rng[i], st.noise[i] = ou_step(st.noise[i], st.noise_rng[i], dt, params[b, i, P_TNOISE])
            if model[b, i] != MODEL_CONSTANT and model[b, i] != MODEL_STOP:
                target += sigma * st.noise[i]
        for k in range(K):
            if man_state[i, k] != 1:
                continue
            mt = man_type[i, k]
            if mt == MAN_HARD_BRAKE:
                dur = man_val[b, i, k, M_DUR]
                if dur > 0.0 and time - man_t0[i, k] >= dur:
                    man_state[i, k] = 2
                    man_t0[i, k] = time  # now its end time (for after_previous)
                    continue
                if dur <= 0.0 and v[i] <= 0.0:
                    man_state[i, k] = 2
                    man_t0[i, k] = time
                    continue
                target = min(target, -man_val[b, i, k, M_DECEL])
            elif mt == MAN_STOP:
                target = min(target, -man_val[b, i, k, M_DECEL]) if v[i] > 0.0 else min(target, 0.0)
        if not crashed[i] and model[b, i] != MODEL_CONSTANT:  # curves: within the driver's lateral acceleration
            target = min(target, curve_command(i, st.ln[i], st.sl[i], v[i], params[b, i, P_ALAT],
                                               params[b, i, P_BCOMF], 0.5 * length[b, i], dt, road, ag.route,
                                               ag.route_len, st.route_pos))
        if i == 0 and aeb_on:
            # the TTC along the predicted paths, on the tracks (else the ground truth of the metrics,
            # exact below twice the trigger); beyond twice the trigger it only has to be large
            pttc = perceived_path_ttc(b, time, min(cfg.ttc_horizon, 2.0 * sens[b, E_AEB_TTC]), road, ag, st,
                                      tr) if has_sensor else tr.drop_ttc[t]
            if aeb_trig < 0 and pttc < sens[b, E_AEB_TTC] and v[0] > 0.5:
                aeb_trig = t
                metrics[b, S_AEB_TIME] = min(metrics[b, S_AEB_TIME], time)
            elif aeb_trig >= 0 and (v[0] <= 0.0 or pttc > 2.0 * sens[b, E_AEB_TTC]):
                aeb_trig = -1
            if aeb_trig >= 0 and t - aeb_trig >= int(sens[b, E_AEB_REACT]):
                target = min(target, -sens[b, E_AEB_DECEL])
        # limits: braking per kind, jerk
        target = max(-max_brake[b, i], min(target, params[b, i, P_AMAX] * 1.5 + 0.5))
        dj = max_jerk[b, i] * dt
        acc[i] = max(acc[i] - dj, min(acc[i] + dj, target))
    return aeb_trig


@njit(inline="always")
def mobil(b, t, time, n_lc, has_sensor, mobil_every, road, ag, st, sc, tr):
    """MOBIL lane-change decisions, each agent every ``mobil_every`` steps (staggered); a change
    starts at once. Returns the number of agents changing lanes."""
    valid, free, length, params = ag.valid, ag.free, ag.length, ag.params
    r_off, r_len, r_px, r_py, r_ph, r_pk = road.offset, road.length, road.px, road.py, road.heading, road.curvature
    r_left, r_right, r_dead, r_nsucc = road.left, road.right, road.dead_end, road.n_successor
    xs, ys, v, sl, ln = st.xs, st.ys, st.v, st.sl, st.ln
    crashed, man_state, lead_gap, lead_v = st.crashed, st.man_state, st.lead_gap, st.lead_v
    lc_active = st.lc_active
    order, lane_first, lane_end, in_lane, lc_list = sc.order, sc.lane_first, sc.lane_end, sc.in_lane, sc.lc_list
    known = tr.known
    N = sc.n_act[0]
    K = man_state.shape[1]
    for i in range(N):
        if (t + i) % mobil_every != 0:
            continue
        if not valid[b, i] or free[b, i] or crashed[i] or lc_active[i] or params[b, i, P_MOBIL] < 0.5:
            continue
        if abs(st.dl[i]) > 0.5:  # not settled in its lane
            continue
        busy = False
        for k in range(K):
            if man_state[i, k] == 1 or man_state[i, k] == 3:  # a manoeuvre runs or waits to start
                busy = True
        if busy:
            continue
        li = ln[i]
        a_c = idm_accel(v[i], params[b, i, P_V0], params[b, i, P_T], params[b, i, P_S0],
                        params[b, i, P_AMAX], params[b, i, P_BCOMF], params[b, i, P_DELTA], lead_gap[i], lead_v[i])
        seen_only = i == 0 and has_sensor  # the ego sees only the agents it knows of
        _ah, fo = scan_lane(li, sl[i], i, order, lane_first, lane_end, sl, in_lane, known, seen_only)
        best_gain = params[b, i, P_THRESH]
        best_lane = NONE
        for side in range(2):
            tl = r_left[li] if side == 0 else r_right[li]
            if tl < 0:
                continue
            st_, _dt = project_local(r_off, r_len, r_px, r_py, r_ph, r_pk, tl, xs[i], ys[i], sl[i])
            if st_ < 0.0 or r_dead[tl] or (st_ > r_len[tl] - 30.0 and r_nsucc[tl] == 0):
                continue  # never by choice into a lane that ends
            # vehicles changing into the target lane (maybe this very step) must be clear, and so
            # must vehicles leaving it while their body still overlaps it; the new leader and
            # follower may be on the lanelets after and before it, or straddle its edge
            clear, nl_, s_l, nf, s_f = target_neighbours(b, i, tl, st_, n_lc, road, ag, st, sc, tr, seen_only)
            if not clear:
                continue
            gap_l = INF
            vl_ = 0.0
            if nl_ >= 0:
                gap_l = s_l - st_ - 0.5 * (length[b, i] + length[b, nl_])
                vl_ = v[nl_]
            if gap_l < 1.0:
                continue
            a_c2 = idm_accel(v[i], params[b, i, P_V0], params[b, i, P_T], params[b, i, P_S0],
                             params[b, i, P_AMAX], params[b, i, P_BCOMF], params[b, i, P_DELTA], gap_l, vl_)
            gain_n = 0.0
            if nf >= 0:
                gap_f = st_ - s_f - 0.5 * (length[b, i] + length[b, nf])
                if gap_f < 1.0:
                    continue
                old_gap = INF if nl_ < 0 else s_l - s_f - 0.5 * (length[b, nl_] + length[b, nf])
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
                                 params[b, fo, P_AMAX], params[b, fo, P_BCOMF], params[b, fo, P_DELTA], g_new,
                                 lead_v[i])
                gain_o = a_o2 - a_o
            gain = a_c2 - a_c + params[b, i, P_POLITE] * (gain_n + gain_o)
            if gain > best_gain:
                best_gain = gain
                best_lane = tl
        if best_lane >= 0:
            start_lane_change(i, best_lane, time, params[b, i, P_LCDUR], road, st)
            lc_list[n_lc] = i
            n_lc += 1
    return n_lc
