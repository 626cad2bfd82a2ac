"""Agents in lane order: the step's sort by (lane, arc length) and the lookups that use it.

Leaders and followers are found by walking this order, not by testing all
pairs. Units: m.
"""

from __future__ import annotations

import math

from numba import njit

from .lanes import lane_pose, project_local
from .typed import NONE, ZERO

INF = math.inf
LAT_MARGIN = 0.3  # m of lateral clearance below which a vehicle ahead blocks the path


@njit(cache=True)
def insertion_sort(perm, key, n):
    """Sort the first ``n`` entries of the permutation ``perm`` by ``key[perm]`` in place; O(n) when
    last step's order still almost holds, which is the common case from one step to the next."""
    for p in range(1, n):
        j = perm[p]
        kj = key[j]
        q = p - 1
        while q >= 0 and key[perm[q]] > kj:
            perm[q + 1] = perm[q]
            q -= 1
        perm[q + 1] = j


@njit(inline="always")
def turned_width(width, length, dh):
    """Width (m) across a lane of a ``width`` x ``length`` box turned ``dh`` (rad) from it."""
    return width * abs(math.cos(dh)) + length * abs(math.sin(dh))


@njit(inline="always")
def _sticks_out(d, e, width, length, lane_width):
    """True if a body at lateral offset ``d`` (m) and heading error ``e`` (rad) reaches beyond its
    lane's edge: a bound without trigonometry first (|sin e| <= |e|), the exact extent after."""
    half = 0.5 * lane_width
    if abs(d) + 0.5 * (width + length * abs(e)) <= half:
        return False
    return abs(d) + 0.5 * turned_width(width, length, e) > half


@njit(inline="always")
def lane_order(b, t, road, ag, st, sc):
    """Sort the agents by (lane, s) into ``order`` (with each lane's range, each agent's rank
    and whether it occupies its lane) and list the off-lane agents and, in ``lc_list``, the agents
    whose body occupies a second lane (``lc_other``): the lane changers (the lane they leave) and
    the straddlers, whose body reaches beyond their lane's edge into a neighbour (that neighbour;
    a change that ended with the body still out of its lane is one). Each listed agent's place on
    its second lane goes into ``lc_s``, ``lc_d`` and ``lc_dh`` (``lc_at`` = ``t``). Returns (number
    listed, number off-lane)."""
    valid, free, width, length, r_width = ag.valid, ag.free, ag.width, ag.length, road.width
    ln, sl, dl, lc_active = st.ln, st.sl, st.dl, st.lc_active
    order, key, rank, lane_first, lane_end = sc.order, sc.key, sc.rank, sc.lane_first, sc.lane_end
    in_lane, lc_list, free_list = sc.in_lane, sc.lc_list, sc.free_list
    N = sc.n_act[0]  # the slots past it are empty: they stay at the end of the order, in place
    L = lane_first.shape[0]
    for i in range(N):
        if valid[b, i] and not free[b, i]:
            key[i] = ln[i] * 1.0e7 + sl[i]
        else:
            key[i] = INF
    insertion_sort(order, key, N)
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
    n_lc = ZERO
    n_free = ZERO
    for p in range(N):
        rank[order[p]] = p
    for i in range(N):
        on = valid[b, i] and not free[b, i]
        # it occupies its lane while its body overlaps it (not when driving at an offset in the
        # oncoming lane), and from its start the lane it changes into (it has committed to it)
        in_lane[i] = on and ((lc_active[i] and st.lc_origin[i] != ln[i]) or abs(dl[i]) < 0.5 * (r_width[ln[i]] + width[b, i]))
        other = NONE
        if lc_active[i] and st.lc_origin[i] != ln[i]:
            other = st.lc_origin[i]
        elif on and _sticks_out(dl[i], st.e[i], width[b, i], length[b, i], r_width[ln[i]]):
            other = road.left[ln[i]] if dl[i] >= 0.0 else road.right[ln[i]]
            lo = st.lc_origin[i]  # a change that ended out of its lane, turned: the lane it left
            if lo >= 0 and lo != ln[i] and (lo == road.left[ln[i]] or lo == road.right[ln[i]]):
                other = lo
        if lc_active[i] or other >= 0:
            lc_list[n_lc] = i
            n_lc += 1
            sc.lc_other[i] = other
            if other >= 0 and valid[b, i]:
                so, do = project_local(road.offset, road.length, road.px, road.py, road.heading, road.curvature,
                                       other, st.xs[i], st.ys[i], sl[i])
                if so > road.length[other] and road.n_successor[other] > 0:
                    # past the end of the lanelet it left: beside that lane's next lanelet
                    so -= road.length[other]
                    other = road.successor[other, 0]
                    sc.lc_other[i] = other
                    so, do = project_local(road.offset, road.length, road.px, road.py, road.heading,
                                           road.curvature, other, st.xs[i], st.ys[i], so)
                sc.lc_s[i] = so
                sc.lc_d[i] = do
                sc.lc_dh[i] = st.hs[i] - lane_pose(road.offset, road.length, road.px, road.py, road.heading,
                                                   road.curvature, other, so, 0.0)[2]
                sc.lc_at[i] = t
        if valid[b, i] and free[b, i]:
            free_list[n_free] = i
            n_free += 1
    return n_lc, n_free


@njit(inline="always")
def lane_shift(tl, lane, road):
    """Arc length (m) of the start of ``lane`` on lane ``tl``'s frame when ``lane`` is ``tl`` (0),
    one of its successors (``tl``'s length) or one of its predecessors (minus its own length);
    NaN otherwise: the lanelets of one lane, as a map cuts it."""
    if lane == tl:
        return 0.0
    for k in range(road.n_successor[tl]):
        if road.successor[tl, k] == lane:
            return road.length[tl]
    for k in range(road.n_predecessor[tl]):
        if road.predecessor[tl, k] == lane:
            return -road.length[lane]
    return math.nan


@njit(cache=True)
def next_lane(i, lane, route, route_len, route_pos, r_succ, r_nsucc):
    """Lane an agent enters after ``lane``: its route's next lane, else the first successor, else -1."""
    return path_step(i, lane, route_pos[i], route, route_len, r_succ, r_nsucc)[0]


@njit(cache=True)
def path_step(i, lane, rp, route, route_len, r_succ, r_nsucc):
    """One step along agent ``i``'s path from ``lane`` at route position ``rp`` (-1 off its route):
    (the route's next lane and its position, else the first successor and -1, else (-1, -1))."""
    if rp >= 0 and rp + 1 < route_len[i] and route[i, rp] == lane:
        return route[i, rp + 1], rp + 1
    if r_nsucc[lane] > 0:
        return r_succ[lane, 0], -1
    return -1, -1


@njit(cache=True)
def scan_lane(lane, s_at, skip, order, lane_first, lane_end, sl, in_lane, known, known_only):
    """First agent ahead of ``s_at`` (m) and last one behind it on ``lane`` among those occupying
    it (``in_lane``) and, if ``known_only``, ``known`` (indices, -1 if none)."""
    ahead = -1
    behind = -1
    for q in range(lane_first[lane], lane_end[lane]):
        j = order[q]
        if j == skip or not in_lane[j] or (known_only and not known[j]):
            continue
        if sl[j] > s_at:
            ahead = j
            break
        behind = j
    return ahead, behind


@njit(cache=True)
def scan_beside(lane, s_at, d_at, w_at, skip, order, lane_first, lane_end, sl, dl, width_b, in_lane, lc_active,
                lc_origin):
    """First agent ahead of ``s_at`` (m) on ``lane`` among those occupying it that is changing into
    it or whose body overlaps sideways a body ``w_at`` m wide at offset ``d_at`` (m) on that lane (-1
    if none): whom a vehicle sticking into the lane at that offset follows. No ``LAT_MARGIN``: logged
    drivers pass staggered within it beside a vehicle held aside (docs/calibration.md)."""
    for q in range(lane_first[lane], lane_end[lane]):
        j = order[q]
        if j == skip or not in_lane[j] or sl[j] <= s_at:
            continue
        if (lc_active[j] and lc_origin[j] != lane) or abs(dl[j] - d_at) < 0.5 * (w_at + width_b[j]):
            return j
    return -1
