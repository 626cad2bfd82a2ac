"""Lane geometry lookups over a compiled road (see :class:`scenariogen.road.CompiledRoad`).

Points of a lane are evenly spaced in arc length, so finding the segment of
an arc length ``s`` is one division. Past either end a lane continues
straight along its end heading (curvature 0), so agents that drive off the
map keep well-defined coordinates.
"""

from __future__ import annotations

import math

from numba import njit


@njit(cache=True)
def lane_segment(off, length, lane, s):
    """Index ``k`` of the point starting the segment that holds ``s`` and the fraction within it."""
    p0 = off[lane]
    n = off[lane + 1] - p0
    step = length[lane] / (n - 1)
    u = s / step
    k = int(math.floor(u))
    if k < 0:
        k = 0
    elif k > n - 2:
        k = n - 2
    return p0 + k, u - k


@njit(cache=True)
def lane_pose(off, length, px, py, ph, pk, lane, s, d):
    """World (x, y, heading) and curvature (1/m) at arc length ``s`` (m) and lateral offset ``d`` (m, left +)."""
    p0 = off[lane]
    p1 = off[lane + 1] - 1
    if s <= 0.0:
        h = ph[p0]
        c, sn = math.cos(h), math.sin(h)
        return px[p0] + c * s - sn * d, py[p0] + sn * s + c * d, h, 0.0
    if s >= length[lane]:
        h = ph[p1]
        c, sn = math.cos(h), math.sin(h)
        e = s - length[lane]
        return px[p1] + c * e - sn * d, py[p1] + sn * e + c * d, h, 0.0
    k, f = lane_segment(off, length, lane, s)
    h = ph[k] + f * (ph[k + 1] - ph[k])
    x = px[k] + f * (px[k + 1] - px[k])
    y = py[k] + f * (py[k + 1] - py[k])
    return x - math.sin(h) * d, y + math.cos(h) * d, h, pk[k]


@njit(cache=True)
def project_local(off, length, px, py, ph, pk, lane, x, y, s_guess):
    """(s, d) of world point (x, y) on ``lane``, by Newton steps from ``s_guess`` (valid near the guess)."""
    s = s_guess
    d = 0.0
    for _ in range(4):
        cx, cy, h, _k = lane_pose(off, length, px, py, ph, pk, lane, s, 0.0)
        c, sn = math.cos(h), math.sin(h)
        dx, dy = x - cx, y - cy
        ds = c * dx + sn * dy
        d = -sn * dx + c * dy
        s += ds
        if abs(ds) < 1e-6:
            break
    return s, d


@njit(cache=True)
def project_global(off, length, px, py, ph, pk, lane, x, y):
    """(s, d) of world point (x, y) on ``lane``: coarse search over the lane's points, then Newton."""
    p0 = off[lane]
    n = off[lane + 1] - p0
    stride = max(1, n // 64)
    best = 1e300
    kb = p0
    for k in range(p0, p0 + n, stride):
        dd = (px[k] - x) ** 2 + (py[k] - y) ** 2
        if dd < best:
            best = dd
            kb = k
    step = length[lane] / (n - 1)
    return project_local(off, length, px, py, ph, pk, lane, x, y, (kb - p0) * step)
