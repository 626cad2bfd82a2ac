"""Placement of background traffic on its lanes, one counter-based random stream per scenario."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .rng import next_uniform


@njit(cache=True)
def place_traffic(seeds, salt, count, lanes, lane_length, lo_s, hi_s, gap, speed, veh_len,
                   occ_lane, occ_s, occ_len, u_pos, u_speed, ok, out_lane, out_s, out_v):
    """Per scenario: spread ``count[b]`` vehicles over ``lanes``, each lane filled front to back
    from a random start with gaps of ``gap[b]`` x U(0.5, 1.5) m, skipping named actors.

    ``u_pos[b, k]`` / ``u_speed[b, k]``, where not NaN, replace the stream's uniforms for lane
    k's start and for the initial speed of its first vehicle (``placement: sampled``). Every
    vehicle takes the same draws (lane, gap, speed) whether or not it fits in the window, so the
    stream is the same for every value of them: the lanes taken, the gaps and the other speeds
    do not move with them."""
    B = seeds.shape[0]
    nl = lanes.shape[0]
    head = np.empty(nl)
    seen = np.empty(nl, np.bool_)
    for b in range(B):
        st = seeds[b] ^ (salt * np.uint64(0x9E3779B97F4A7C15))
        for k in range(nl):
            st, u = next_uniform(st)
            if not math.isnan(u_pos[b, k]):
                u = u_pos[b, k]
            lo = lo_s if lo_s >= 0 else 0.0
            head[k] = lo + 0.5 * veh_len + u * gap[b]
            seen[k] = False
        for m in range(count[b]):
            st, u = next_uniform(st)
            k = min(int(u * nl), nl - 1)
            lane = lanes[k]
            hi = hi_s if hi_s > lo_s else lane_length[lane]
            hi = min(hi, lane_length[lane]) - 0.5 * veh_len
            s = head[k]
            # step over named actors on this lane
            moved = True
            while moved:
                moved = False
                for a in range(occ_lane.shape[1]):
                    if occ_lane[b, a] == lane and abs(occ_s[b, a] - s) < 0.5 * (occ_len[b, a] + veh_len) + gap[b] * 0.5:
                        s = occ_s[b, a] + 0.5 * (occ_len[b, a] + veh_len) + gap[b] * 0.5 + 0.1
                        moved = True
            st, u = next_uniform(st)
            head[k] = s + veh_len + gap[b] * (0.5 + u)
            # the speed draw comes before the window check, so every vehicle takes the same three draws
            # wherever the sampled first vehicles put the lanes' heads
            st, u = next_uniform(st)
            if s > hi:
                continue
            if not seen[k]:
                seen[k] = True
                if not math.isnan(u_speed[b, k]):
                    u = u_speed[b, k]
            ok[b, m] = True
            out_lane[b, m] = lane
            out_s[b, m] = s
            out_v[b, m] = max(0.0, speed[b] + 3.0 * (u - 0.5))
