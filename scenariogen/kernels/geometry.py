"""Geometry and surrogate-safety kernels for oriented boxes.

Plain ``@njit(cache=True)`` functions over float64 scalars and arrays: no
classes, no Python objects, no allocation in the scalar kernels, so they can be
called from inside other kernels (per pair, per step).

Conventions
-----------
* Lengths in metres (m), times in seconds (s), angles in radians (rad),
  speeds in m/s, accelerations in m/s^2.
* An *oriented box* is ``(x, y, heading, length, width)``: centre ``(x, y)``,
  ``heading`` measured counter-clockwise from +x, ``length`` along the heading,
  ``width`` across it. Boxes are closed sets: touching boxes overlap.
* Box axes: ``u = (cos h, sin h)`` (forward), ``v = (-sin h, cos h)`` (left).

Separating axes
---------------
Two convex polygons are disjoint iff some edge normal of either one separates
them. For two boxes the candidates are ``u1, v1, u2, v2``; along an axis ``a``
the boxes' projections are disjoint iff ``|a . (c2 - c1)| > r1(a) + r2(a)`` with
``r(a) = length/2 |u . a| + width/2 |v . a|``. The same four *slabs*
``|a . p - a . (c2 - c1)| <= r1(a) + r2(a)`` describe the Minkowski difference
of the two boxes exactly (see :func:`box_ttc`).
"""

import math

import numpy as np
from numba import njit

__all__ = [
    "box_corners",
    "boxes_overlap",
    "box_distance",
    "box_distance_below",
    "box_ttc",
    "point_ttc_1d",
    "drac",
    "pet_from_times",
    "box_polygon_overlap",
    "zone_entry_exit",
    "pet",
    "circle_distance",
    "circle_ttc",
    "circumradius",
    "wrap_angle",
]

_TWO_PI = 2.0 * math.pi


# --------------------------------------------------------------------------
# scalar helpers
# --------------------------------------------------------------------------


@njit(cache=True)
def circumradius(length, width):
    """Radius (m) of the circle through the corners of a ``length`` x ``width`` box (m)."""
    return 0.5 * math.sqrt(length * length + width * width)


@njit(cache=True)
def wrap_angle(a):
    """Angle ``a`` (rad) wrapped to ``[-pi, pi)``."""
    if abs(a) < 3.0:  # no turn to take off (the formula gives ``a - 0.0``, the same bits), no division
        return a
    return a - _TWO_PI * math.floor((a + math.pi) / _TWO_PI)


# --------------------------------------------------------------------------
# private helpers
# --------------------------------------------------------------------------


@njit(cache=True)
def _corners(x, y, heading, length, width):
    """Corners of an oriented box as two 4-tuples ``(xs, ys)``, CCW.

    Order: front-right, front-left, rear-left, rear-right (counter-clockwise
    for a positive length and width). Units: metres, radians.
    """
    c = math.cos(heading)
    s = math.sin(heading)
    ax = 0.5 * length * c  # half-length vector (forward)
    ay = 0.5 * length * s
    bx = -0.5 * width * s  # half-width vector (left)
    by = 0.5 * width * c
    xs = (x + ax - bx, x + ax + bx, x - ax + bx, x - ax - bx)
    ys = (y + ay - by, y + ay + by, y - ay + by, y - ay - by)
    return xs, ys


@njit(cache=True)
def _half_extent(ax, ay, c, s, half_length, half_width):
    """Half-extent (m) of a box with axes ``(c, s)``, ``(-s, c)`` projected on ``(ax, ay)``."""
    return half_length * abs(c * ax + s * ay) + half_width * abs(-s * ax + c * ay)


@njit(cache=True)
def _slab(ax, ay, dx, dy, c1, s1, hl1, hw1, c2, s2, hl2, hw2):
    """Projection of ``(dx, dy)`` on axis ``(ax, ay)`` and the summed half-extents.

    The sum is written ``r1 + r2`` so that swapping the two boxes gives bit-for-bit
    the same value (floating-point addition of two terms is commutative).
    """
    r1 = _half_extent(ax, ay, c1, s1, hl1, hw1)
    r2 = _half_extent(ax, ay, c2, s2, hl2, hw2)
    return dx * ax + dy * ay, r1 + r2


@njit(cache=True)
def _point_segment_dist2(px, py, ax, ay, bx, by):
    """Squared distance (m^2) from point ``p`` to the closed segment ``[a, b]``."""
    ex = bx - ax
    ey = by - ay
    qx = px - ax
    qy = py - ay
    len2 = ex * ex + ey * ey
    t = 0.0
    if len2 > 0.0:
        t = (qx * ex + qy * ey) / len2
        if t < 0.0:
            t = 0.0
        elif t > 1.0:
            t = 1.0
    rx = qx - t * ex
    ry = qy - t * ey
    return rx * rx + ry * ry


# --------------------------------------------------------------------------
# oriented boxes
# --------------------------------------------------------------------------


@njit(cache=True)
def box_corners(x, y, heading, length, width, out):
    """Fill ``out`` (shape (4, 2), float64, metres) with the box corners, CCW.

    Parameters: centre ``x, y`` (m), ``heading`` (rad, CCW from +x),
    ``length`` along the heading and ``width`` across it (m).
    Order: front-right, front-left, rear-left, rear-right. Returns ``out``.
    """
    xs, ys = _corners(x, y, heading, length, width)
    for k in range(4):
        out[k, 0] = xs[k]
        out[k, 1] = ys[k]
    return out


@njit(cache=True)
def _two_boxes(h1, l1, w1, h2, l2, w2):
    """Unit heading (cos, sin) of each box and its half length and half width (m)."""
    return math.cos(h1), math.sin(h1), math.cos(h2), math.sin(h2), 0.5 * l1, 0.5 * w1, 0.5 * l2, 0.5 * w2


@njit(cache=True)
def boxes_overlap(x1, y1, h1, l1, w1, x2, y2, h2, l2, w2):
    """True if two oriented boxes intersect (closed sets: touching counts).

    Box k: centre ``(xk, yk)`` (m), heading ``hk`` (rad), length ``lk`` and
    width ``wk`` (m). Separating axis test on the four box axes.
    """
    c1, s1, c2, s2, hl1, hw1, hl2, hw2 = _two_boxes(h1, l1, w1, h2, l2, w2)
    dx = x2 - x1
    dy = y2 - y1
    # axes: u1, v1, u2, v2
    p, r = _slab(c1, s1, dx, dy, c1, s1, hl1, hw1, c2, s2, hl2, hw2)
    if abs(p) > r:
        return False
    p, r = _slab(-s1, c1, dx, dy, c1, s1, hl1, hw1, c2, s2, hl2, hw2)
    if abs(p) > r:
        return False
    p, r = _slab(c2, s2, dx, dy, c1, s1, hl1, hw1, c2, s2, hl2, hw2)
    if abs(p) > r:
        return False
    p, r = _slab(-s2, c2, dx, dy, c1, s1, hl1, hw1, c2, s2, hl2, hw2)
    if abs(p) > r:
        return False
    return True


@njit(inline="always")
def _outside2(px, py, x, y, c, s, hl, hw):
    """Squared distance (m^2) from point ``(px, py)`` to the box centred ``(x, y)`` with axes
    ``(c, s)``, ``(-s, c)`` and half length and width ``hl``, ``hw``, taken in the box's frame (a
    lower bound, up to rounding, of its distance to any of the box's edges)."""
    dx = px - x
    dy = py - y
    u = max(abs(c * dx + s * dy) - hl, 0.0)
    v = max(abs(-s * dx + c * dy) - hw, 0.0)
    return u * u + v * v


@njit(inline="always")
def _vertex_to_edges2(best, qx, qy, xs, ys):
    """Smallest of ``best`` and the squared distances (m^2) from ``(qx, qy)`` to the four edges of
    the corner loop ``xs``, ``ys``."""
    for i in range(4):
        i2 = (i + 1) % 4
        d2 = _point_segment_dist2(qx, qy, xs[i], ys[i], xs[i2], ys[i2])
        if d2 < best:
            best = d2
    return best


@njit(cache=True)
def box_distance(x1, y1, h1, l1, w1, x2, y2, h2, l2, w2):
    """Minimum Euclidean distance (m) between two oriented boxes; 0 if they overlap.

    Exact: for disjoint convex polygons the minimum is attained between a vertex
    of one and an edge of the other, so it is the minimum of the 32
    vertex-to-edge distances (equivalently over the 16 edge-edge pairs).
    Symmetric in the two boxes bit for bit.

    The vertex nearest to the other box (by its distance in that box's frame) goes first; a vertex
    whose distance to the other box exceeds the smallest found so far (with a margin far above
    rounding) cannot give the minimum, and its four distances are skipped: the minimum, and its
    bits, are those of all 32.
    """
    if boxes_overlap(x1, y1, h1, l1, w1, x2, y2, h2, l2, w2):
        return 0.0
    c1, s1, c2, s2, hl1, hw1, hl2, hw2 = _two_boxes(h1, l1, w1, h2, l2, w2)
    xa, ya = _corners(x1, y1, h1, l1, w1)
    xb, yb = _corners(x2, y2, h2, l2, w2)
    # each vertex's squared distance to the other box: B's vertices 0-3, A's 4-7
    lb = (_outside2(xb[0], yb[0], x1, y1, c1, s1, hl1, hw1), _outside2(xb[1], yb[1], x1, y1, c1, s1, hl1, hw1),
          _outside2(xb[2], yb[2], x1, y1, c1, s1, hl1, hw1), _outside2(xb[3], yb[3], x1, y1, c1, s1, hl1, hw1),
          _outside2(xa[0], ya[0], x2, y2, c2, s2, hl2, hw2), _outside2(xa[1], ya[1], x2, y2, c2, s2, hl2, hw2),
          _outside2(xa[2], ya[2], x2, y2, c2, s2, hl2, hw2), _outside2(xa[3], ya[3], x2, y2, c2, s2, hl2, hw2))
    first = 0
    for m in range(1, 8):
        if lb[m] < lb[first]:
            first = m
    best = np.inf
    for n in range(9):
        m = first if n == 0 else n - 1
        if n > 0 and (m == first or lb[m] * (1.0 - _PRUNE_REL) - _PRUNE_ABS > best):
            continue
        if m < 4:
            best = _vertex_to_edges2(best, xb[m], yb[m], xa, ya)
        else:
            best = _vertex_to_edges2(best, xa[m - 4], ya[m - 4], xb, yb)
    return math.sqrt(best)


#: Margins of :func:`box_distance`'s pruning (relative, and m^2): far above rounding.
_PRUNE_REL = 1e-9
_PRUNE_ABS = 1e-9


#: Slack (m) of :func:`box_distance_below`'s lower bound: far above the rounding of either distance.
_GAP_SLACK = 1e-6


@njit(cache=True)
def box_distance_below(limit, x1, y1, h1, l1, w1, x2, y2, h2, l2, w2):
    """:func:`box_distance` where it may be below ``limit`` (m), else ``np.inf``.

    The largest separation of the two boxes' projections on their four axes is a lower bound of
    their distance (a projection shortens no distance); where it exceeds ``limit`` by
    ``_GAP_SLACK`` the exact distance is not computed. A caller that keeps the smallest distance
    so far gets bit-identical minima with ``limit`` set to it, at a fraction of the cost for the
    pairs whose distance does not shrink."""
    c1, s1, c2, s2, hl1, hw1, hl2, hw2 = _two_boxes(h1, l1, w1, h2, l2, w2)
    dx = x2 - x1
    dy = y2 - y1
    cut = limit + _GAP_SLACK
    p, r = _slab(c1, s1, dx, dy, c1, s1, hl1, hw1, c2, s2, hl2, hw2)
    if abs(p) - r > cut:
        return np.inf
    p, r = _slab(-s1, c1, dx, dy, c1, s1, hl1, hw1, c2, s2, hl2, hw2)
    if abs(p) - r > cut:
        return np.inf
    p, r = _slab(c2, s2, dx, dy, c1, s1, hl1, hw1, c2, s2, hl2, hw2)
    if abs(p) - r > cut:
        return np.inf
    p, r = _slab(-s2, c2, dx, dy, c1, s1, hl1, hw1, c2, s2, hl2, hw2)
    if abs(p) - r > cut:
        return np.inf
    return box_distance(x1, y1, h1, l1, w1, x2, y2, h2, l2, w2)


@njit(cache=True)
def box_ttc(x1, y1, h1, l1, w1, vx1, vy1, x2, y2, h2, l2, w2, vx2, vy2, horizon):
    """Exact time to collision (s) of two oriented boxes moving at constant velocity.

    Box k: centre ``(xk, yk)`` (m), heading ``hk`` (rad, fixed), length ``lk``,
    width ``wk`` (m), velocity ``(vxk, vyk)`` (m/s). ``horizon`` (s) bounds the
    search; ``np.inf`` searches the whole future.

    Returns 0.0 if the boxes overlap now, else the first ``t`` in ``[0, horizon]``
    at which they touch, else ``np.inf``.

    Method. With headings fixed the motion of box 2 relative to box 1 is a pure
    translation by ``t * dv``, ``dv = v2 - v1``. The boxes meet at time ``t`` iff
    ``t * dv`` lies in the Minkowski difference ``M = B1 - B2``, a convex
    polygon with at most 8 edges whose outward normals are ``+-u1, +-v1, +-u2,
    +-v2`` and whose support value along an axis ``a`` is ``r1(a) + r2(a)``
    shifted by ``a . (c1 - c2)``. ``M`` is therefore exactly the intersection of
    the four slabs ``|a . (c2 - c1) + t a . dv| <= r1(a) + r2(a)`` (the separating
    axis test written at time ``t``). Each slab gives an interval of ``t``
    (all ``t`` or none when ``a . dv == 0``); the ray enters ``M`` at the largest
    lower bound, provided it does not exceed the smallest upper bound (Cyrus-Beck
    clipping). The result is consistent with :func:`boxes_overlap`: 0.0 exactly
    when the boxes overlap now.
    """
    c1, s1, c2, s2, hl1, hw1, hl2, hw2 = _two_boxes(h1, l1, w1, h2, l2, w2)
    dx = x2 - x1
    dy = y2 - y1
    dvx = vx2 - vx1
    dvy = vy2 - vy1
    t_lo = 0.0
    t_hi = horizon
    if t_hi < t_lo:
        return np.inf
    for k in range(4):
        if k == 0:
            ax = c1
            ay = s1
        elif k == 1:
            ax = -s1
            ay = c1
        elif k == 2:
            ax = c2
            ay = s2
        else:
            ax = -s2
            ay = c2
        p, r = _slab(ax, ay, dx, dy, c1, s1, hl1, hw1, c2, s2, hl2, hw2)
        pv = dvx * ax + dvy * ay
        if pv == 0.0:
            if abs(p) > r:
                return np.inf
            continue
        ta = (-r - p) / pv
        tb = (r - p) / pv
        if ta > tb:
            ta, tb = tb, ta
        if ta > t_lo:
            t_lo = ta
        if tb < t_hi:
            t_hi = tb
        if t_lo > t_hi:
            return np.inf
    return t_lo


# --------------------------------------------------------------------------
# one-dimensional surrogate safety measures
# --------------------------------------------------------------------------


@njit(cache=True)
def point_ttc_1d(gap, closing_speed):
    """Time to collision (s) for a gap (m) closing at ``closing_speed`` (m/s).

    ``max(gap, 0) / closing_speed`` when ``closing_speed > 0``, else ``np.inf``
    (a non-closing pair never collides, even if already in contact: the same
    convention as the C reference's per-pair TTC).
    """
    if closing_speed > 0.0:
        g = gap if gap > 0.0 else 0.0
        return g / closing_speed
    return np.inf


@njit(cache=True)
def drac(gap, v_follower, v_leader):
    """Deceleration rate to avoid a crash (m/s^2, >= 0).

    ``(v_follower - v_leader)^2 / (2 gap)`` when the follower is faster
    (``v_follower > v_leader``, m/s) and the bumper-to-bumper ``gap`` (m) is
    positive; else 0.0.
    """
    dv = v_follower - v_leader
    if dv > 0.0 and gap > 0.0:
        return dv * dv / (2.0 * gap)
    return 0.0


# --------------------------------------------------------------------------
# post-encroachment time
# --------------------------------------------------------------------------


@njit(cache=True)
def pet_from_times(exit_first, enter_second):
    """Post-encroachment time (s): ``enter_second - exit_first``.

    ``exit_first``: time (s) the first agent leaves the conflict zone;
    ``enter_second``: time (s) the second agent enters it. A negative value
    means both occupied the zone at the same time.
    """
    return enter_second - exit_first


@njit(cache=True)
def box_polygon_overlap(x, y, heading, length, width, poly):
    """True if an oriented box intersects a convex polygon (closed sets).

    ``poly``: (K, 2) float64 vertices in metres, in order (CW or CCW), K >= 3.
    Separating axis test over the two box axes and the K polygon edge normals.
    """
    xs, ys = _corners(x, y, heading, length, width)
    c = math.cos(heading)
    s = math.sin(heading)
    n_poly = poly.shape[0]
    for k in range(2 + n_poly):
        if k == 0:
            ax = c
            ay = s
        elif k == 1:
            ax = -s
            ay = c
        else:
            j = k - 2
            j2 = (j + 1) % n_poly
            ax = -(poly[j2, 1] - poly[j, 1])
            ay = poly[j2, 0] - poly[j, 0]
        bmin = np.inf
        bmax = -np.inf
        for i in range(4):
            p = xs[i] * ax + ys[i] * ay
            bmin = min(bmin, p)
            bmax = max(bmax, p)
        pmin = np.inf
        pmax = -np.inf
        for i in range(n_poly):
            p = poly[i, 0] * ax + poly[i, 1] * ay
            pmin = min(pmin, p)
            pmax = max(pmax, p)
        if bmax < pmin or pmax < bmin:
            return False
    return True


@njit(cache=True)
def zone_entry_exit(traj, heading, length, width, zone, dt):
    """Entry and exit time (s) of a box-shaped agent into a convex conflict zone.

    ``traj``: (T, 2) centre positions (m) sampled every ``dt`` seconds from t = 0;
    ``heading``: (T,) headings (rad); ``length``, ``width``: footprint (m);
    ``zone``: (K, 2) convex polygon (m), e.g. a quad.

    Occupancy at step k means the footprint intersects the zone (closed sets).
    Returns ``(t_enter, t_exit)`` on the sample grid:
    ``t_enter = k_in * dt`` with ``k_in`` the first occupied step, and
    ``t_exit = k_out * dt`` with ``k_out`` the first unoccupied step after
    ``k_in`` (only the first visit counts). ``t_enter = t_exit = inf`` if the
    agent never occupies the zone; ``t_exit = inf`` if it is still inside at
    the last sample.
    """
    n = traj.shape[0]
    t_enter = np.inf
    inside = False
    for k in range(n):
        occ = box_polygon_overlap(traj[k, 0], traj[k, 1], heading[k], length, width, zone)
        if not inside:
            if occ:
                inside = True
                t_enter = k * dt
        elif not occ:
            return t_enter, k * dt
    return t_enter, np.inf


@njit(cache=True)
def pet(traj1, heading1, length1, width1, traj2, heading2, length2, width2, zone, dt):
    """Post-encroachment time (s) of two agents through a convex conflict zone.

    Each agent: ``traj`` (T, 2) centres (m) sampled every ``dt`` s, ``heading``
    (T,) (rad), box ``length`` and ``width`` (m); ``zone``: (K, 2) convex polygon.
    Entry/exit times come from :func:`zone_entry_exit`. The *first* agent is the
    one that enters first (agent 1 on a tie); PET = entry time of the second
    minus exit time of the first (:func:`pet_from_times`), exact on the sample
    grid (each time is rounded up to the next sample).

    Returns ``np.inf`` if either agent never enters the zone; a value <= 0 means
    the zone was shared (``-inf`` if the first agent never left before the
    second entered and stayed to the end of the samples).
    """
    e1, x1 = zone_entry_exit(traj1, heading1, length1, width1, zone, dt)
    e2, x2 = zone_entry_exit(traj2, heading2, length2, width2, zone, dt)
    if e1 == np.inf or e2 == np.inf:
        return np.inf
    if e1 <= e2:
        return pet_from_times(x1, e2)
    return pet_from_times(x2, e1)


# --------------------------------------------------------------------------
# bounding-circle approximation (as in shared/bench/limit_kernel.c)
# --------------------------------------------------------------------------


@njit(cache=True)
def circle_distance(x1, y1, r1, x2, y2, r2):
    """Clearance (m) between two circles: centre distance minus both radii.

    Negative when the circles overlap (this is what the C reference tracks as
    its running minimum distance).
    """
    dx = x2 - x1
    dy = y2 - y1
    return math.sqrt(dx * dx + dy * dy) - (r1 + r2)


@njit(cache=True)
def circle_ttc(x1, y1, vx1, vy1, r1, x2, y2, vx2, vy2, r2):
    """First-order bounding-circle TTC (s), exactly as the C reference computes it.

    ``closing = -((c2 - c1) . (v2 - v1)) / |c2 - c1|`` (m/s) is the rate at
    which the centre distance shrinks; ``ttc = max(clearance, 0) / closing``
    when ``closing > 1e-9`` m/s, else ``np.inf``. ``clearance`` is
    :func:`circle_distance`. Not the exact circle-circle collision time: it
    assumes the centre line keeps its direction.
    """
    dx = x2 - x1
    dy = y2 - y1
    d = math.sqrt(dx * dx + dy * dy)
    if d == 0.0:  # coincident centres: the C code gets NaN here, hence inf
        return np.inf
    clear = d - (r1 + r2)
    closing = -(dx * (vx2 - vx1) + dy * (vy2 - vy1)) / d
    if closing > 1e-9:
        c = clear if clear > 0.0 else 0.0
        return c / closing
    return np.inf
