"""Rays and segments seen from the origin: the polygon primitives of :mod:`scenariogen.kernels.occlusion`.

Plain ``@njit(cache=True)`` functions over float64 scalars and arrays. Vertices
are relative to the sensor, which sits at the origin (m); a polygon is the
closed vertex loop ``rx, ry[s0:s0 + n]`` of a CSR set (see the occlusion
module), edge ``i`` running from vertex ``i`` to vertex ``i + 1`` (the last one
back to the first). A ray is ``t (dx, dy)``, ``t >= 0``, with ``(dx, dy)`` a
unit vector, so ``t`` is a distance (m).
"""

import numpy as np
from numba import njit

__all__ = ["edge", "ray_first_hit", "ray_hits_before", "seg_dist2"]


@njit(cache=True)
def seg_dist2(ax, ay, bx, by):
    """Squared distance (m^2) from the origin to the closed segment ``[a, b]``."""
    ex = bx - ax
    ey = by - ay
    len2 = ex * ex + ey * ey
    t = 0.0
    if len2 > 0.0:
        t = -(ax * ex + ay * ey) / len2
        if t < 0.0:
            t = 0.0
        elif t > 1.0:
            t = 1.0
    qx = ax + t * ex
    qy = ay + t * ey
    return qx * qx + qy * qy


@njit(cache=True)
def edge(rx, ry, s0, n, i):
    """Edge ``i`` of polygon ``s0:s0+n``: its start ``(ax, ay)`` and ``(ex, ey)``, end minus start (m)."""
    a = s0 + i
    b = s0 + (i + 1 if i + 1 < n else 0)
    ax = rx[a]
    ay = ry[a]
    return ax, ay, rx[b] - ax, ry[b] - ay


@njit(cache=True)
def _edge_hit(dx, dy, ax, ay, ex, ey, tmax):
    """``(hit, t)``: whether the ray meets the edge from ``(ax, ay)`` to ``(ax + ex, ay + ey)`` at
    some ``0 <= t < tmax`` (a NaN ``t`` does not fail that test), and that ``t``."""
    den = dx * ey - dy * ex
    if den == 0.0:
        return False, 0.0  # parallel edge: its end points are met by the neighbours
    t = (ax * ey - ay * ex) / den
    if t < 0.0 or t >= tmax:
        return False, t
    s = (ax * dy - ay * dx) / den
    return 0.0 <= s <= 1.0, t


@njit(cache=True)
def ray_first_hit(dx, dy, rx, ry, s0, n):
    """Distance (m) along the ray to the first boundary point of polygon ``s0:s0+n``;
    ``inf`` if the ray misses it."""
    best = np.inf
    for i in range(n):
        ax, ay, ex, ey = edge(rx, ry, s0, n, i)
        hit, t = _edge_hit(dx, dy, ax, ay, ex, ey, best)
        if hit:
            best = t
    return best


@njit(cache=True)
def ray_hits_before(dx, dy, rx, ry, s0, n, tmax):
    """True if the ray meets polygon ``s0:s0+n`` at some ``0 <= t < tmax``."""
    for i in range(n):
        ax, ay, ex, ey = edge(rx, ry, s0, n, i)
        hit, _ = _edge_hit(dx, dy, ax, ay, ex, ey, tmax)
        if hit:
            return True
    return False
