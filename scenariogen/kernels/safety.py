"""Surrogate safety measures computed alike by the simulator and by the trajectory descriptors.

Post-encroachment time (PET) of crossing paths, and deceleration to avoid a
crash (DRAC) and time headway behind a leader. Units: m, s, rad, m/s, m/s^2.
"""

from __future__ import annotations

import math

from numba import njit

PET_MAX_DIST = 6.0  # m, only agents that came this close to the ego get a PET
PET_MIN_ANGLE = 0.5  # rad, ... and only where their headings differ by more than this (crossing paths)


@njit(cache=True)
def crossing_pet(min_dist, x1, y1, h1, ok1, w1, x2, y2, h2, ok2, w2, dt):
    """PET (s) of two agents: the smallest time between one occupying a spot and the other
    occupying it, over crossing headings; inf if none or if they never came within
    ``PET_MAX_DIST`` (``min_dist``, m, their smallest box distance).

    ``x*``, ``y*`` (m), ``h*`` (rad): (T,) positions and headings at steps ``dt`` (s) apart;
    ``ok*``: (T,) bool, the steps where each is known (others are skipped); ``w*``: widths (m).
    The same spot: centres closer than the mean width. Inputs may be float32 (recorded frames);
    the arithmetic is float64."""
    if min_dist > PET_MAX_DIST:
        return math.inf
    reach = 0.5 * (w1 + w2)
    r2 = reach * reach
    smin = math.sin(PET_MIN_ANGLE)
    best = math.inf
    T = x1.shape[0]
    for t1 in range(T):
        if not ok1[t1]:
            continue
        ex = float(x1[t1])
        ey = float(y1[t1])
        eh = float(h1[t1])
        for t2 in range(T):
            d_t = abs(t1 - t2) * dt
            if d_t >= best or not ok2[t2]:
                continue
            dx = float(x2[t2]) - ex
            dy = float(y2[t2]) - ey
            if dx * dx + dy * dy < r2 and abs(math.sin(eh - float(h2[t2]))) > smin:
                best = d_t
    return best


@njit(cache=True)
def follow_drac_thw(v, v_lead, gap):
    """(DRAC, time headway) of a follower at speed ``v`` behind a leader at ``v_lead`` (m/s) and
    bumper gap ``gap`` (m, negative counts as 0): DRAC (m/s^2) is 0 unless closing (the gap floored
    at 0.01 m); the headway (s) is inf at 0.5 m/s or below."""
    g = max(gap, 0.0)
    drac = 0.0
    if v > v_lead:
        drac = (v - v_lead) ** 2 / (2.0 * max(g, 0.01))
    thw = math.inf
    if v > 0.5:
        thw = g / v
    return drac, thw
