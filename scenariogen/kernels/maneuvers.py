"""Scripted manoeuvres and the lane changes a lane's end forces: when they start, and only when safe.

A manoeuvre is armed at once, or when the one before it in the actor's list has finished (trigger
``after_previous``). It fires on its condition — a time, a distance to another actor, the time gap
of another actor behind it, or the delay after the previous manoeuvre — or on either or both of two
conditions (``any``/``all``), and at its ``timeout`` whatever they say. A lane change or lateral
offset with a gap check then waits (state 3) until it is safe: for a lane change the MOBIL safety
criterion (gaps of at least ``MIN_GAP`` m to the new leader and follower, and the braking of the
follower behind it, and its own behind the leader, within the safe deceleration); for an offset
into the oncoming lane, no oncoming vehicle meets it within the manoeuvre's clear time. Without a
gap check a manoeuvre starts when it fires: an aggressive cut-in stays aggressive. An overtaker out
in the oncoming lane goes back to its lane's centre when oncoming traffic would meet it within
``ABORT_CLEAR`` s, unless it is beside the vehicle it overtakes.

A vehicle on a lane that ends while a neighbour goes on merges by itself within ``MERGE_ZONE`` m of
the end: it accepts a shrinking gap (the bumper gaps fall to ``MIN_GAP_END``, the time gap it leaves
its new follower from ``T_MIN`` to ``T_MIN_END``, both scaled by the driver's ``merge_gap`` over
``T_MIN``, and the even braking it may ask of that follower
rises to the follower's limit at the lane's end), waits at the end while no gap exists, and never
waits while one does. A scripted lane change that has not fired by then does not hold it back (one
that fires later, into the lane it is already on, is done). Units: m, s, m/s, m/s^2.
"""

from __future__ import annotations

import math

from numba import njit

from ..data.layout import (
    LANE_TO_LEFT,
    LANE_TO_RIGHT,
    COMBO_ALL,
    COMBO_ANY,
    M_DUR,
    M_GAP,
    M_OFFSET,
    M_TIMEOUT,
    M_TRIG,
    M_TRIG2,
    MAN_LANE_CHANGE,
    MAN_OFFSET,
    MODEL_CONSTANT,
    P_AMAX,
    P_BCOMF,
    P_BSAFE,
    P_DELTA,
    P_LCDUR,
    P_S0,
    P_T,
    P_TMERGE,
    P_V0,
    TRIG_AFTER,
    TRIG_DISTANCE,
    TRIG_NONE,
    TRIG_TIME,
)
from .behavior import idm_accel
from .lanes import lane_pose, project_global, project_local
from .order import LAT_MARGIN, lane_shift, scan_lane, turned_width
from .typed import NONE

INF = math.inf
MIN_GAP = 1.0  # m, bumper gaps a lane change needs to the new leader and follower
MIN_GAP_END = 0.5  # m, the same at the very end of a lane that ends
T_MIN = 1.0  # s, time gap a merging vehicle with the default merge_gap leaves its new follower at the zone's start
T_MIN_END = 0.3  # s, the same at the very end of the lane
MERGE_ZONE = 120.0  # m before its end where a lane that ends makes its vehicles merge
ABORT_CLEAR = 3.0  # s: an overtaker meeting oncoming traffic this soon goes back
ABORT_DUR = 2.0  # s it takes to go back
ALONGSIDE = 2.0  # m: a vehicle this close lengthwise (bumper to bumper) is beside it: it does not go back
DEFAULT_B_SAFE = 4.0  # m/s^2, safe deceleration of drivers without MOBIL parameters


@njit(cache=True, no_cpython_wrapper=True)
def start_lane_change(i, tl, time, duration, road, st):
    """Switch agent ``i`` into the Frenet frame of lane ``tl`` at ``time`` (s) for a change lasting
    ``duration`` (s, at least 0.5) towards the new lane's centre."""
    r_off, r_len, r_px, r_py, r_ph, r_pk = road.offset, road.length, road.px, road.py, road.heading, road.curvature
    s_t, d_t = project_global(r_off, r_len, r_px, r_py, r_ph, r_pk, tl, st.xs[i], st.ys[i])
    _x, _y, lh, _k = lane_pose(r_off, r_len, r_px, r_py, r_ph, r_pk, tl, s_t, 0.0)
    st.lc_origin[i] = st.ln[i]
    st.ln[i] = tl
    st.sl[i] = s_t
    st.dl[i] = d_t
    e = st.hs[i] - lh
    st.e[i] = math.atan2(math.sin(e), math.cos(e))
    st.lc_active[i] = True
    st.lc_t0[i] = time
    st.lc_dur[i] = max(duration, 0.5)
    st.lc_d0[i] = d_t
    st.d_hold[i] = 0.0
    st.route_pos[i] = -1


@njit(cache=True, no_cpython_wrapper=True)
def start_offset(i, target, time, duration, st):
    """Move agent ``i`` within its lane to lateral offset ``target`` (m) over ``duration`` (s)."""
    st.lc_origin[i] = st.ln[i]
    st.lc_active[i] = True
    st.lc_t0[i] = time
    st.lc_dur[i] = max(duration, 0.5)
    st.lc_d0[i] = st.dl[i]
    st.d_hold[i] = target


@njit(cache=True, no_cpython_wrapper=True)
def target_neighbours(b, i, tl, s_t, n_lc, road, ag, st, sc, tr, seen_only):
    """Agent ``i``'s surroundings if it were on lane ``tl`` at arc length ``s_t`` (m): (clear, new
    leader, its arc length, new follower, its arc length; -1 and +-inf if none), arc lengths on
    ``tl``'s frame. A map cuts a lane into lanelets, so the lanelets before and after ``tl`` count as
    the lane: the vehicles on them, changing into them, or leaving them while their body overlaps
    them (within half their lengths plus the faster one's speed times 1 s of ``s_t``: not clear);
    and a straddler of a neighbour lane whose body reaches within ``LAT_MARGIN`` of a body at the
    lane's centre occupies it. ``seen_only``: only the agents ``i`` knows of."""
    length, width = ag.length, ag.width
    xs, ys, v, sl, ln, lc_active, lc_origin = st.xs, st.ys, st.v, st.sl, st.ln, st.lc_active, st.lc_origin
    lead, foll = NONE, NONE
    s_lead, s_foll = INF, -INF
    for q in range(n_lc):
        j = sc.lc_list[q]
        if j == i or not ag.valid[b, j] or (seen_only and not tr.known[j]):
            continue
        if lc_active[j]:  # changing into (or moving within) the lane, or leaving it
            sh = lane_shift(tl, ln[j], road)
            sj = sl[j] + sh
            lo = lc_origin[j]
            if math.isnan(sh) and lo != ln[j]:
                sh = lane_shift(tl, lo, road)
                if math.isnan(sh):
                    continue
                sj, dj = project_local(road.offset, road.length, road.px, road.py, road.heading, road.curvature, lo,
                                       xs[j], ys[j], s_t - sh)
                if abs(dj) >= 0.5 * (road.width[lo] + width[b, j]):
                    continue
                sj += sh
            if not math.isnan(sh):
                if abs(sj - s_t) < 0.5 * (length[b, i] + length[b, j]) + max(v[i], v[j]):
                    return False, lead, s_lead, foll, s_foll
                continue
        lo = sc.lc_other[j]  # a straddler (or a vehicle held aside by an offset manoeuvre)
        if lo < 0:
            continue
        sh = lane_shift(tl, lo, road)
        w_j = turned_width(width[b, j], length[b, j], sc.lc_dh[j])
        if math.isnan(sh) or abs(sc.lc_d[j]) >= 0.5 * (width[b, i] + w_j) + LAT_MARGIN:
            continue
        sj = sc.lc_s[j] + sh
        if sj > s_t:
            if sj < s_lead:
                lead, s_lead = j, sj
        elif sj > s_foll:
            foll, s_foll = j, sj
    # the vehicles on the lane: its lanelet, then those after and before it
    n_s, n_p = road.n_successor[tl], road.n_predecessor[tl]
    for k in range(1 + n_s + n_p):
        if k == 0:
            lane, sh = tl, 0.0
        elif k <= n_s:
            lane, sh = road.successor[tl, k - 1], road.length[tl]
        else:
            lane = road.predecessor[tl, k - 1 - n_s]
            sh = -road.length[lane]
        a, f = scan_lane(lane, s_t - sh, i, sc.order, sc.lane_first, sc.lane_end, sl, sc.in_lane, tr.known, seen_only)
        if a >= 0 and sl[a] + sh < s_lead:
            lead, s_lead = a, sl[a] + sh
        if f >= 0 and sl[f] + sh > s_foll:
            foll, s_foll = f, sl[f] + sh
    return True, lead, s_lead, foll, s_foll


@njit(cache=True, no_cpython_wrapper=True)
def safe_change(b, i, tl, b_safe, min_gap, t_min, relax, n_lc, road, ag, st, sc, tr, seen_only):
    """True if agent ``i`` can change into lane ``tl`` now: nobody else is changing into (or still
    leaving) it nearby, the new leader is ``min_gap`` m ahead and ``i`` need not brake harder than
    ``b_safe`` (m/s^2) behind it, and the new follower, ``min_gap`` m behind, need not brake harder
    than ``b_safe``: by its own driver model (``t_min`` = 0), or (``t_min`` > 0, s) to fall back
    to a time gap of ``t_min`` behind ``i`` braking evenly; ``b_safe`` raised by the fraction
    ``relax`` (0-1) towards each driver's braking limit. Who is around it: :func:`target_neighbours`."""
    r_off, r_len, r_px, r_py, r_ph, r_pk = road.offset, road.length, road.px, road.py, road.heading, road.curvature
    length, params = ag.length, ag.params
    v = st.v
    s_t, _d = project_local(r_off, r_len, r_px, r_py, r_ph, r_pk, tl, st.xs[i], st.ys[i], st.sl[i])
    clear, lead, s_lead, foll, s_foll = target_neighbours(b, i, tl, s_t, n_lc, road, ag, st, sc, tr, seen_only)
    if not clear:
        return False
    if lead >= 0:
        gap_l = s_lead - s_t - 0.5 * (length[b, i] + length[b, lead])
        if gap_l < min_gap:
            return False
        a_i = idm_accel(v[i], params[b, i, P_V0], params[b, i, P_T], params[b, i, P_S0], params[b, i, P_AMAX],
                        params[b, i, P_BCOMF], params[b, i, P_DELTA], gap_l, v[lead])
        if a_i < -(b_safe + relax * max(ag.max_brake[b, i] - b_safe, 0.0)):
            return False
    if foll >= 0:
        gap_f = s_t - s_foll - 0.5 * (length[b, i] + length[b, foll])
        if gap_f < min_gap:
            return False
        if t_min > 0.0:
            room = gap_f - min_gap - t_min * v[foll]
            dv = v[foll] - v[i]
            b_f = b_safe + relax * max(ag.max_brake[b, foll] - b_safe, 0.0)
            if room < 0.0 or (dv > 0.0 and dv * dv > 2.0 * b_f * room):
                return False
        else:
            a_f = idm_accel(v[foll], params[b, foll, P_V0], params[b, foll, P_T], params[b, foll, P_S0],
                            params[b, foll, P_AMAX], params[b, foll, P_BCOMF], params[b, foll, P_DELTA], gap_f, v[i])
            if a_f < -b_safe:
                return False
    return True


@njit(cache=True, no_cpython_wrapper=True)
def oncoming_clear(b, i, seconds, road, ag, st, sc):
    """True if no vehicle on the lane opposite agent ``i``'s meets it within ``seconds`` (s), they at
    their speeds and it at its desired speed (to pass, it speeds up)."""
    opp = road.opposite[st.ln[i]]
    if opp < 0:
        return True
    ch, sh = math.cos(st.hs[i]), math.sin(st.hs[i])
    v_i = max(st.v[i], ag.params[b, i, P_V0])  # it speeds up to pass
    for q in range(sc.lane_first[opp], sc.lane_end[opp]):
        j = sc.order[q]
        if not ag.valid[b, j]:
            continue
        ahead = (st.xs[j] - st.xs[i]) * ch + (st.ys[j] - st.ys[i]) * sh - 0.5 * (ag.length[b, i] + ag.length[b, j])
        if ahead > -0.5 * ag.length[b, j] and ahead < seconds * (v_i + st.v[j]):
            return False
    return True


@njit(cache=True, no_cpython_wrapper=True)
def _alongside(b, i, ag, st, sc):
    """True if another vehicle on agent ``i``'s lane is beside it (within ``ALONGSIDE`` m lengthwise,
    bumper to bumper)."""
    li = st.ln[i]
    for q in range(sc.lane_first[li], sc.lane_end[li]):
        j = sc.order[q]
        if j != i and ag.valid[b, j] and abs(st.sl[j] - st.sl[i]) < 0.5 * (ag.length[b, i] + ag.length[b, j]) + ALONGSIDE:
            return True
    return False


@njit(cache=True, no_cpython_wrapper=True)
def _condition(kind, o, value, k, i, time, b, ag, st):
    """Whether manoeuvre ``k``'s condition of ``kind`` (other actor ``o``, value ``value``) holds."""
    if kind == TRIG_TIME:
        return time >= value
    if kind == TRIG_AFTER:
        return k > 0 and st.man_state[i, k - 1] == 2 and time >= st.man_t0[i, k - 1] + value
    xs, ys, hs, v = st.xs, st.ys, st.hs, st.v
    if kind == TRIG_DISTANCE:
        return math.sqrt((xs[o] - xs[i]) ** 2 + (ys[o] - ys[i]) ** 2) < value
    # time gap of the other actor behind this one: bumper gap along its heading over its speed
    ahead_by = (xs[i] - xs[o]) * math.cos(hs[o]) + (ys[i] - ys[o]) * math.sin(hs[o])
    ahead_by -= 0.5 * (ag.length[b, i] + ag.length[b, o])
    return ahead_by >= 0.0 and ahead_by / max(v[o], 0.1) < value


@njit(inline="always")
def triggers(b, time, n_lc, has_sensor, road, ag, st, sc, tr):
    """Advance every scripted manoeuvre: finish running lane changes and offsets, fire the armed ones
    whose conditions (or timeout) hold, and start those that fired once they are safe (see the module
    docstring). Returns the number of agents changing lanes (lane changes started here join
    ``lc_list``)."""
    valid, free, man_val, man_type, man_to = ag.valid, ag.free, ag.man_val, ag.man_type, ag.man_to
    man_state, man_t0 = st.man_state, st.man_t0
    N = sc.n_act[0]
    K = man_type.shape[1]
    for i in range(N):
        if not valid[b, i] or st.crashed[i]:
            continue
        # an overtaker out in the oncoming lane goes back when oncoming traffic comes too close
        li = st.ln[i]
        if (road.opposite[li] >= 0 and st.d_hold[i] > 0.5 * road.width[li] and not free[b, i]
                and not oncoming_clear(b, i, ABORT_CLEAR, road, ag, st, sc) and not _alongside(b, i, ag, st, sc)):
            start_offset(i, 0.0, time, ABORT_DUR, st)
        for k in range(K):
            mt = man_type[i, k]
            state = man_state[i, k]
            if mt == 0 or state == 2:
                continue
            if state == 1:  # running: a lane change or an offset is done when its profile is
                if (mt == MAN_LANE_CHANGE or mt == MAN_OFFSET) and not st.lc_active[i]:
                    man_state[i, k] = 2
                    man_t0[i, k] = st.lc_t0[i] + st.lc_dur[i]  # when its profile ended
                continue
            if state == 0:
                if (ag.man_trig[i, k] == TRIG_AFTER and (k == 0 or man_state[i, k - 1] != 2)
                        and time < man_val[b, i, k, M_TIMEOUT]):
                    continue  # armed once the manoeuvre before it has finished (or at its timeout)
                fire = _condition(ag.man_trig[i, k], ag.man_other[i, k], man_val[b, i, k, M_TRIG], k, i, time, b, ag, st)
                if ag.man_trig2[i, k] != TRIG_NONE:
                    second = _condition(ag.man_trig2[i, k], ag.man_other2[i, k], man_val[b, i, k, M_TRIG2], k, i,
                                        time, b, ag, st)
                    if ag.man_combo[i, k] == COMBO_ALL:
                        fire = fire and second
                    elif ag.man_combo[i, k] == COMBO_ANY:
                        fire = fire or second
                fire = fire or time >= man_val[b, i, k, M_TIMEOUT]
                if not fire:
                    continue
                man_state[i, k] = 3
            # fired: start it (a gap-checked one once it is safe)
            gap = man_val[b, i, k, M_GAP]
            if mt == MAN_LANE_CHANGE:
                if st.lc_active[i] or free[b, i]:
                    continue
                tl = man_to[i, k]
                if tl == LANE_TO_LEFT:
                    tl = road.left[st.ln[i]]
                elif tl == LANE_TO_RIGHT:
                    tl = road.right[st.ln[i]]
                if tl < 0:  # no lane on that side here: its conditions must hold again where there is one
                    man_state[i, k] = 0
                    continue
                if tl == st.ln[i]:  # already there (a lane's end made it merge)
                    man_state[i, k] = 2
                    man_t0[i, k] = time
                    continue
                if tl != road.left[st.ln[i]] and tl != road.right[st.ln[i]]:
                    man_state[i, k] = 0  # not next to the target yet (still on the ramp): its conditions
                    continue  # must hold again once it is
                if gap > 0.0:
                    b_safe = ag.params[b, i, P_BSAFE] if ag.params[b, i, P_BSAFE] > 0.0 else DEFAULT_B_SAFE
                    if not safe_change(b, i, tl, b_safe, MIN_GAP, 0.0, 0.0, n_lc, road, ag, st, sc, tr,
                                       i == 0 and has_sensor):
                        continue
                start_lane_change(i, tl, time, man_val[b, i, k, M_DUR], road, st)
                sc.lc_list[n_lc] = i
                n_lc += 1
            elif mt == MAN_OFFSET:
                if st.lc_active[i] or free[b, i]:
                    continue
                into_oncoming = man_val[b, i, k, M_OFFSET] > 0.5 * road.width[st.ln[i]]
                if gap > 0.0 and into_oncoming and not oncoming_clear(b, i, gap, road, ag, st, sc):
                    continue
                start_offset(i, man_val[b, i, k, M_OFFSET], time, man_val[b, i, k, M_DUR], st)
            man_state[i, k] = 1
            man_t0[i, k] = time
    return n_lc


@njit(cache=True, no_cpython_wrapper=True)
def _scripted_change(i, ag, st):
    """True if agent ``i``'s script has fired a lane change that waits for its gap."""
    for k in range(ag.man_type.shape[1]):
        if ag.man_type[i, k] == MAN_LANE_CHANGE and st.man_state[i, k] == 3:
            return True
    return False


@njit(inline="always")
def forced_merges(b, time, n_lc, has_sensor, road, ag, st, sc, tr):
    """Merge every vehicle within ``MERGE_ZONE`` m of the end of a lane that ends into the neighbour
    that goes on, at the first gap it accepts (see the module docstring). Returns the number of
    agents changing lanes."""
    params, length = ag.params, ag.length
    N = sc.n_act[0]
    for i in range(N):
        if (not ag.valid[b, i] or ag.free[b, i] or st.crashed[i] or st.lc_active[i]
                or ag.model[b, i] == MODEL_CONSTANT):  # (a stalled car goes nowhere by itself)
            continue
        li = st.ln[i]
        if not road.dead_end[li]:
            continue
        to_end = road.length[li] - st.sl[i] - 0.5 * length[b, i]
        if to_end > MERGE_ZONE:
            continue
        tl = NONE
        for side in range(2):
            cand = road.left[li] if side == 0 else road.right[li]
            if cand >= 0 and not road.dead_end[cand]:
                tl = cand
                break
        if tl < 0 or _scripted_change(i, ag, st):
            continue
        relax = 1.0 - max(to_end, 0.0) / MERGE_ZONE  # 0 at the zone's start, 1 at the lane's end
        b_safe = params[b, i, P_BSAFE] if params[b, i, P_BSAFE] > 0.0 else DEFAULT_B_SAFE
        min_gap = MIN_GAP_END + (1.0 - relax) * (2.0 * MIN_GAP - MIN_GAP_END)
        t_min = (T_MIN_END + (1.0 - relax) * (T_MIN - T_MIN_END)) * (params[b, i, P_TMERGE] / T_MIN)
        if safe_change(b, i, tl, b_safe, min_gap, t_min, relax, n_lc, road, ag, st, sc, tr, i == 0 and has_sensor):
            dur = params[b, i, P_LCDUR] if params[b, i, P_LCDUR] > 0.0 else 3.0
            start_lane_change(i, tl, time, max(1.5, dur * (1.0 - 0.5 * relax)), road, st)
            sc.lc_list[n_lc] = i
            n_lc += 1
    return n_lc
