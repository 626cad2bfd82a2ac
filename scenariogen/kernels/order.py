"""Agents in lane order: the step's sort by (lane, arc length) and the lookups that use it.

Leaders and followers are found by walking this order, not by testing all
pairs. Units: m.
"""

from __future__ import annotations

import math

from numba import njit

from .typed import ZERO

INF = math.inf


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
def lane_order(b, road, ag, st, sc):
    """Sort the agents by (lane, s) into ``order`` (with each lane's range, each agent's rank
    and whether it occupies its lane) and list the lane changers (with those whose change has ended
    with the body still out of its lane) and the off-lane agents; returns
    (number changing lanes, number off-lane)."""
    valid, free, width, r_width = ag.valid, ag.free, ag.width, road.width
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
        # it occupies its lane while its body overlaps it (not when driving at an offset in the
        # oncoming lane), and from its start the lane it changes into (it has committed to it)
        in_lane[i] = valid[b, i] and not free[b, i] and (
            (lc_active[i] and st.lc_origin[i] != ln[i]) or abs(dl[i]) < 0.5 * (r_width[ln[i]] + width[b, i]))
        if lc_active[i] or (in_lane[i] and st.lc_origin[i] >= 0 and st.lc_origin[i] != ln[i]
                            and _sticks_out(dl[i], st.e[i], width[b, i], ag.length[b, i], r_width[ln[i]])):
            # a change that ended with the body still out of its lane (a car that nosed in at a crawl,
            # turned): it is still seen in the lane it left, as a changer is
            lc_list[n_lc] = i
            n_lc += 1
        if valid[b, i] and free[b, i]:
            free_list[n_free] = i
            n_free += 1
    return n_lc, n_free


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
