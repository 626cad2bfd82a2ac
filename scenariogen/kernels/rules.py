"""Right of way: where a driver must wait this step, by the conflict areas, signs, signals and
crosswalks ahead on its path (:mod:`scenariogen.road.conflicts`, :mod:`scenariogen.road.rules`).

Looking ahead along its route (else the first successors) over its comfortable braking distance
plus a margin, a driver stops before

- a conflict area that another vehicle holds (its body overlaps the area), whatever the priority:
  crossing, merging and oncoming traffic alike;
- a conflict area where it has priority, while a driver already past its line (inside the
  junction, moving) reaches the area before it;
- a conflict area it yields at (``RULE_YIELD``; once it started from its yield or stop line, or
  passed it, it has taken its gap and only waits for a held area) unless every vehicle with
  priority that has not yet
  passed the area reaches it no sooner than the driver's critical gap after the driver reaches its
  waiting point (a vehicle with priority standing still: as it would from rest);
- a first-come-first-served area (``RULE_FIRST_COME``) while another driver came first: at an
  all-way stop the one that stopped at its line first, elsewhere the one that arrives first;
- a stop line with a stop sign until it has stopped there; a yield or stop line while the vehicle
  ahead of it in the queue entered less than the driver's follow-up time ago;
- a red signal, and an amber one it can stop for at its comfortable deceleration;
- a crosswalk with a pedestrian on it or stepping onto it within ``WALK_AHEAD`` s.

The waiting point is ``MARGIN`` m before the area, pulled back before every earlier area its body
would stand in (nobody waits across another stream's path), and the stop line when that leaves
no room on a junction's connector or the approach has a sign. A driver whose front has passed a waiting point
goes on, unless it crawls (below ``CRAWL``: it stopped late) short of the area or within
``AT_LINE`` m past its line, where it waits, or can still stop short of the area at its
comfortable deceleration, where it waits before the area. Ground truth for every driver, except that
an ego with a sensor yields on a crosswalk only to the pedestrians it sees. Units: m, s, m/s.
"""

from __future__ import annotations

import math

from numba import njit

from ..data.layout import P_AMAX, P_BCOMF, P_TCRIT, P_TFOLLOW
from .order import next_lane, path_step

INF = math.inf
MARGIN = 1.0  # m between a waiting driver's front and the area it waits for
STOPPED = 0.2  # m/s, below this a driver counts as stopped at its line
AT_LINE = 3.0  # m from a stop line within which a stopped driver is at it
NOSE_IN = 0.5  # m a body may reach into a conflict area without holding it
CRAWL = 2.0  # m/s, below this a driver just past its line or waiting point (it stopped late) still waits
WALK_AHEAD = 1.5  # s, a pedestrian about to step onto a crosswalk within this counts as on it
TIE = 0.05  # s, arrivals closer than this are simultaneous (broken by agent index)
LOOK_MIN = 60.0  # m, shortest look-ahead
STATE_GREEN, STATE_AMBER, STATE_RED = 0, 1, 2
# conflict rules of a driver's lane entry (scenariogen.road.compile.RULE_*)
RULE_GO, RULE_YIELD, RULE_FIRST_COME, RULE_HELD = 0, 1, 2, 3


@njit(cache=True)
def signal_state(b, g, time, world):
    """State of signal group ``g`` in scenario ``b`` at ``time`` (s): green, amber or red."""
    cyc = world.cycle[b]
    if cyc <= 0.0:
        return STATE_GREEN
    rel = (time + world.offset[b] - world.start[b, g]) % cyc
    if rel < world.green[b, g]:
        return STATE_GREEN
    if rel < world.green[b, g] + world.amber[b, g]:
        return STATE_AMBER
    return STATE_RED


@njit(cache=True, no_cpython_wrapper=True)
def _arrival(j, lane, o, o_in, o_out, b, road, ag, st):
    """(distance, held) of agent ``j`` on ``lane`` to the area ``o_in``..``o_out`` (m) of lane ``o``:
    the distance (m) from its front to the area's entry along its lane (``lane`` is ``o`` or a
    predecessor of it), and whether its body overlaps the area now (by more than ``NOSE_IN``: a
    nose over the line of an area drawn with full lane widths blocks nobody). A distance of INF: it
    has passed the area."""
    half = 0.5 * ag.length[b, j]
    s = st.sl[j]
    if lane != o:
        s -= road.length[lane]  # on a predecessor: its position measured on ``o``
    if s + half <= o_in + NOSE_IN:
        return max(o_in - (s + half), 0.0), False
    if s - half < o_out:
        return 0.0, True
    return INF, False


@njit(cache=True, no_cpython_wrapper=True)
def _at_line(j, lane, st):
    """True if agent ``j`` stands at the stop line at the end of ``lane`` (it stopped there)."""
    return st.stop_lane[j] == lane and st.ln[j] == lane and st.v[j] < STOPPED


@njit(cache=True, no_cpython_wrapper=True)
def _first(j, i, st):
    """True if ``j`` stopped at its line before ``i`` stopped at its (ties: the lower index)."""
    return st.stop_time[j] < st.stop_time[i] or (st.stop_time[j] == st.stop_time[i] and j < i)


@njit(cache=True, no_cpython_wrapper=True)
def _wait_point(lane, e, length, road):
    """Where (m along ``lane``) a driver of body ``length`` (m) waiting for conflict entry ``e`` puts
    its front: ``MARGIN`` before the area, pulled back before every earlier area on the lane its
    body would stand in (it does not wait across another stream's path); 0 or less: at the line."""
    pos = road.cf_in[e] - MARGIN
    moved = True
    while moved and pos > 0.0:
        moved = False
        for e2 in range(road.cf_first[lane], e):
            if road.cf_rule[e2] == RULE_HELD:
                continue  # an area shared with its own approach's other branches
            if road.cf_in[e2] + NOSE_IN < pos and pos - length < road.cf_out[e2]:
                pos = road.cf_in[e2] - MARGIN
                moved = True
    return pos


@njit(cache=True, no_cpython_wrapper=True)
def _conflict_blocks(i, i_lane, e, d_wait, committed, b, road, ag, st, sc):
    """True if driver ``i`` (approaching from ``i_lane``), ``d_wait`` m (centre) from its waiting
    point for conflict entry ``e``, must not go towards the area now: the area is held, or another
    driver goes first (see the module docstring)."""
    o = road.cf_other[e]
    o_in, o_out = road.cf_oin[e], road.cf_oout[e]
    rule = road.cf_rule[e]
    v, params, valid, crashed = st.v, ag.params, ag.valid, st.crashed
    order, lane_first, lane_end = sc.order, sc.lane_first, sc.lane_end
    half_i = 0.5 * ag.length[b, i]
    t_i = max(d_wait - half_i, 0.0) / max(v[i], 1.0)  # when i's front reaches its waiting point
    i_waits = _at_line(i, i_lane, st)
    # the other lane and its predecessors (where traffic towards the area comes from)
    for hop in range(1 + road.n_predecessor[o]):
        lane = o if hop == 0 else road.predecessor[o, hop - 1]
        for q in range(lane_first[lane], lane_end[lane]):
            j = order[q]
            if j == i or not valid[b, j]:
                continue
            if hop > 0 and next_lane(j, lane, ag.route, ag.route_len, st.route_pos, road.successor,
                                     road.n_successor) != o:
                continue  # on the approach, but not heading into this lane
            d_j, held = _arrival(j, lane, o, o_in, o_out, b, road, ag, st)
            if held:
                return True
            if d_j == INF or crashed[j] or committed or rule == RULE_HELD:
                continue
            if rule == RULE_GO:  # it has priority, but yields to one already past its line that gets
                if lane == o and v[j] >= STOPPED and d_j / v[j] < t_i + TIE:  # there first
                    return True
                continue
            if lane == o and rule == RULE_FIRST_COME:
                return True  # past its line and heading for the area
            if road.all_way[0] and rule == RULE_FIRST_COME:  # an all-way stop: in the order they stopped
                if st.stop_lane[j] == lane and (v[j] >= STOPPED or (i_waits and _first(j, i, st))):
                    return True  # it stopped at its line and goes now, or it stopped there first
                continue
            if i_waits and _at_line(j, lane, st):  # both wait at their lines: who stopped first
                if _first(j, i, st):
                    return True
                continue
            if rule == RULE_YIELD:
                # a driver with priority: when its front reaches the area, at its speed or from rest
                t_j = d_j / v[j] if v[j] >= STOPPED else math.sqrt(2.0 * d_j / max(params[b, j, P_AMAX], 0.1))
                if t_j < params[b, i, P_TCRIT] + t_i:
                    return True
            else:  # first come, first served by arrival
                t_j = d_j / max(v[j], 0.1)
                if t_j < t_i - TIE or (abs(t_j - t_i) <= TIE and j < i):
                    return True
    return False


@njit(cache=True, no_cpython_wrapper=True)
def _walk_taken(w, road, st, sc, n_free, known, seen_only):
    """True if a pedestrian (one the driver sees, with ``seen_only``) is on crosswalk ``w`` or steps
    onto it within ``WALK_AHEAD`` s."""
    for q in range(n_free):
        j = sc.free_list[q]
        if st.crashed[j] or (seen_only and not known[j]):
            continue
        x, y = st.xs[j], st.ys[j]
        vx = st.v[j] * math.cos(st.hs[j])
        vy = st.v[j] * math.sin(st.hs[j])
        for k in range(2):
            px = x + k * WALK_AHEAD * vx
            py = y + k * WALK_AHEAD * vy
            if _inside(px, py, road.walk_x[w], road.walk_y[w], road.walk_n[w]):
                return True
    return False


@njit(cache=True)
def _inside(px, py, xs, ys, n):
    """True if point (px, py) lies in the convex polygon of the first ``n`` corners (either winding)."""
    sign = 0.0
    for k in range(n):
        k2 = k + 1 if k + 1 < n else 0
        c = (xs[k2] - xs[k]) * (py - ys[k]) - (ys[k2] - ys[k]) * (px - xs[k])
        if c != 0.0:
            if sign == 0.0:
                sign = c
            elif c * sign < 0.0:
                return False
    return True


@njit(cache=True)
def has_rules(road):
    """True if the road has anything :func:`right_of_way_gap` reads: conflict areas, crosswalks,
    signs or signals. Without them it is INF for every driver, and the stop lines it records are
    read by nothing else."""
    L = road.length.shape[0]
    if road.cf_first[L] > road.cf_first[0] or road.cw_first[L] > road.cw_first[0]:
        return True
    for k in range(L):
        if road.lane_sign[k] > 0 or road.lane_group[k] >= 0:
            return True
    return False


@njit(cache=True, no_cpython_wrapper=True)
def right_of_way_gap(i, time, n_free, b, road, world, ag, st, sc, known, seen_only):
    """Bumper gap (m) from driver ``i``'s front to where it must wait this step by the right of way
    (see the module docstring); INF when nothing stops it. Records when it stops at a stop line.
    With ``seen_only`` (the ego with a sensor) it yields on crosswalks only to the pedestrians it
    sees (``known``)."""
    v, params = st.v, ag.params
    route, route_len = ag.route, ag.route_len
    r_len, r_succ, r_nsucc = road.length, road.successor, road.n_successor
    half = 0.5 * ag.length[b, i]
    vi = v[i]
    reach = max(LOOK_MIN, vi * vi / max(params[b, i, P_BCOMF], 0.1) + 30.0)
    gap = INF
    lane = st.ln[i]
    prev = -1  # the lane before ``lane`` on the path (the approach of a junction's connector)
    start = -st.sl[i]  # m from i's centre to the start of ``lane``
    rp = st.route_pos[i]
    # past a yield or stop line (on a junction's connector): it has taken its gap and goes on
    committed = road.n_predecessor[lane] > 0 and road.lane_sign[road.predecessor[lane, 0]] > 0
    for hop in range(3):
        if start > reach:
            break
        # conflict areas on this lane: a signed approach waits at its line, else before the area
        for e in range(road.cf_first[lane], road.cf_first[lane + 1]):
            d_in = start + road.cf_in[e]
            if d_in > reach:
                break
            pos = _wait_point(lane, e, ag.length[b, i], road)
            at_line = hop > 0 and (pos <= 0.0 or road.lane_sign[prev] > 0)
            wait = start if at_line else start + pos
            if wait - half < -0.05:  # its front passed the waiting point: it goes on, unless it
                room = d_in - half  # stopped late, or can still stop comfortably short of the area
                if vi < CRAWL and (room > 0.05 or (at_line and wait - half > -AT_LINE)):
                    wait = half
                elif room > 0.05 and vi * vi <= 2.0 * params[b, i, P_BCOMF] * room:
                    wait = d_in - 0.05
                else:
                    continue
            # a driver that started from its line has taken its gap, as one past the line has
            going = committed if hop == 0 else (st.stop_lane[i] == prev and vi >= STOPPED and at_line)
            if wait - half < gap and _conflict_blocks(i, prev if hop > 0 else lane, e, wait, going, b, road, ag,
                                                      st, sc):
                gap = wait - half
        # crosswalks on this lane
        for e in range(road.cw_first[lane], road.cw_first[lane + 1]):
            wait = start + road.cw_in[e] - MARGIN
            if wait - half < -0.05 or wait > reach:
                continue
            if wait - half < gap and _walk_taken(road.cw_walk[e], road, st, sc, n_free, known, seen_only):
                gap = wait - half
        # the stop line at the end of this lane
        line = start + r_len[lane]
        ahead = line - half  # from i's front
        if (ahead > -0.05 or (ahead > -AT_LINE and vi < CRAWL and hop == 0)) and line <= reach:
            ahead = max(ahead, 0.0)  # a driver that stopped just past its line waits there
            if vi < STOPPED and ahead < AT_LINE and st.stop_lane[i] != lane:
                st.stop_lane[i] = lane  # it stopped at this line (a stop sign asks for no more)
                st.stop_time[i] = time
            g = road.lane_group[lane]
            if g >= 0:
                state = signal_state(b, g, time, world)
                if state == STATE_RED or (state == STATE_AMBER and vi * vi <= 2.0 * params[b, i, P_BCOMF] * ahead):
                    gap = min(gap, ahead)
            sign = road.lane_sign[lane]
            if sign == 2 and st.stop_lane[i] != lane:
                gap = min(gap, ahead)
            if sign > 0 and ahead < AT_LINE and time - sc.lane_enter[lane] < params[b, i, P_TFOLLOW]:
                gap = min(gap, ahead)  # the vehicle ahead of it in the queue entered just now
        nxt, rp = path_step(i, lane, rp, route, route_len, r_succ, r_nsucc)
        if nxt < 0:
            break
        start = line
        prev = lane
        lane = nxt
    return gap
