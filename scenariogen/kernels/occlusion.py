"""Exact 2-D occlusion of convex polygons seen from a point sensor.

Plain ``@njit(cache=True)`` functions over float64 / int64 / bool arrays: no
classes, no Python objects.

Conventions
-----------
* Lengths in metres (m), angles in radians (rad); the sensor sits at
  ``(ox, oy)`` (m), looks along ``yaw`` (rad, CCW from +x), sees a total field
  of view ``fov`` (rad; ``fov >= 2 pi`` means no angular limit, ``fov <= 0``
  sees nothing) up to range ``rng`` (m).
* A *polygon* is a convex vertex list, clockwise or counter-clockwise, with no
  closing duplicate. Sets of polygons are stored CSR-style: vertex arrays
  ``px, py`` (m) and per-polygon ``start`` / ``count`` (int64) so that polygon
  ``k`` is ``px[start[k]:start[k] + count[k]]``. Two vertices make a segment
  (a thin wall), which occludes; one vertex occludes nothing; ``count = 0`` is
  an empty polygon. A non-convex obstacle must be given as several convex parts.
* Oriented boxes are ``(x, y, heading, length, width)`` as in
  :mod:`scenariogen.kernels.geometry`.

Definition
----------
Seen from the sensor, a target polygon that does not contain the sensor covers
an angular interval ``[a_min, a_max]`` narrower than pi (its silhouette). A
direction ``theta`` in that interval is *visible* when

* ``theta`` lies inside the field of view ``|wrap(theta - yaw)| <= fov / 2``,
* the first point of the target hit by the ray at ``theta`` is within range
  (distance ``<= rng``), and
* no occluder is hit before that point or at it (a face shared by target and
  occluder counts as hidden; ties are decided with a 1e-9 relative tolerance
  so that the answer does not depend on rounding).

``visible fraction = |visible directions| / (a_max - a_min)``, in ``[0, 1]``.
Occluders that contain the sensor (closed sets: the sensor on their boundary
counts) are ignored; a target that contains the sensor is fully visible (1.0).
A target of zero angular width (a point, or a segment seen end-on) is judged by
its single ray: 1.0 or 0.0.

Method (exact)
--------------
All angles are taken relative to the direction of the target's vertex mean, so
the target interval lies strictly inside ``(-pi, pi)`` and never meets the
``atan2`` branch cut. The visibility of a direction can change only at

* a vertex angle of the target or of an occluder (silhouettes; the order of
  first hits of two *disjoint* convex polygons is fixed between them),
* an angle where a target edge crosses an occluder edge (overlapping polygons
  swap order there),
* an angle where the range circle crosses a target edge,
* the two field-of-view edges.

These event angles cut ``[a_min, a_max]`` into elementary intervals; one ray at
the mid angle of each decides the whole interval, and the visible widths are
summed. The result is exact up to floating-point rounding.

Speed
-----
:func:`visibility_into` first culls every agent whose bounding circle lies beyond the range or
outside the field of view (with a margin far above rounding): such an agent is judged 0.0 and,
as an occluder, could only add event angles outside the field of view, which split no interval
that is summed, so the fractions stay bit-identical. It then prepares every remaining polygon
once (relative vertices, angular interval, nearest / farthest distance, bounding box) and, per
target, keeps only occluders whose angular interval overlaps the target's and whose nearest
point is nearer than both the target's farthest point and the range. It allocates nothing: its
scratch (:class:`OccScratch`, from :func:`occlusion_scratch`) is made once per thread.
:func:`visibility_all` and :func:`visible_fraction` allocate theirs per call.

Layout
------
The ray and segment primitives stand on their own in :mod:`scenariogen.kernels.rays`.
What remains here is one algorithm and stays in one module: the preparation
fills the per-polygon table (``pdat`` and its columns) that the sweep reads,
and the entry points size the sweep's scratch arrays from its event bound
(``_EV_PER_VERTEX``).
"""

import math
from collections import namedtuple

import numpy as np
from numba import njit

from .geometry import _corners, wrap_angle
from .rays import edge, ray_first_hit, ray_hits_before, seg_dist2

__all__ = [
    "visible_fraction",
    "is_visible",
    "visibility_all",
    "visibility_into",
    "occlusion_scratch",
]

_TWO_PI = 2.0 * math.pi
#: Distance (m) under which the sensor counts as touching a polygon.
_TOUCH = 1e-12
#: Angular slack (rad) when deciding whether a ray may meet an occluder; the
#: ray test itself is exact, the slack only guards the cheap angular prefilter.
_ANG_SLACK = 1e-9
#: Relative depth tolerance: an occluder met no farther than
#: ``t * (1 + _TIE_REL) + _TIE_ABS`` along a ray whose first target hit is at
#: ``t`` hides it, so faces shared by target and occluder count as hidden
#: whatever the rounding.
_TIE_REL = 1e-9
_TIE_ABS = 1e-12  # m
#: Angular (rad) and relative depth margin of the shortcut for a target that one nearer occluder
#: covers whole (see :func:`_target_fraction`).
_COVER_SLACK = 1e-7
#: Target angular width (rad) under which the target is judged by one ray.
_POINT_WIDTH = 1e-14
#: Event slots per vertex: a target vertex gives at most 3 events (its angle and
#: two range-circle crossings per edge); an occluder vertex at most 5 (its angle
#: and up to 4 edge crossings with the target, counting a crossing through a
#: vertex on both of its edges).
_EV_PER_VERTEX = 5

# columns of the per-polygon table ``pdat`` (float64, shape (P, _NCOL))
_STATE = 0  # 0 = skipped / empty, 1 = normal, 2 = contains the sensor
_CDIR = 1  # direction of the vertex mean (rad, absolute)
_CCOS = 2  # cos(_CDIR)
_CSIN = 3  # sin(_CDIR)
_LO = 4  # silhouette start relative to _CDIR (rad, <= 0)
_HI = 5  # silhouette end relative to _CDIR (rad, >= 0)
_DMIN = 6  # nearest distance from the sensor (m)
_DMAX = 7  # farthest vertex distance from the sensor (m)
_XMIN = 8  # bounding box relative to the sensor (m)
_XMAX = 9
_YMIN = 10
_YMAX = 11
_NCOL = 12


# --------------------------------------------------------------------------
# scalar helpers
# --------------------------------------------------------------------------


@njit(cache=True)
def _angle_from(cc, cs, x, y):
    """Angle (rad) of the point ``(x, y)`` counter-clockwise from the unit direction ``(cc, cs)``."""
    return math.atan2(cc * y - cs * x, cc * x + cs * y)


@njit(cache=True)
def _push(ev, n, a, lo, hi):
    """Append event angle ``a`` to ``ev[n]`` if ``lo < a < hi``; return the new count.

    ``ev`` is sized for the worst case of convex input (see ``_EV_PER_VERTEX``);
    a full buffer drops the event rather than writing out of bounds."""
    if lo < a < hi and n < ev.shape[0]:
        ev[n] = a
        return n + 1
    return n


# --------------------------------------------------------------------------
# per-call preparation
# --------------------------------------------------------------------------


@njit(cache=True)
def _prepare(ox, oy, px, py, start, count, skip, rx, ry, rel, pdat):
    """Fill the per-vertex arrays ``rx, ry`` (m, relative to the sensor), ``rel``
    (rad, vertex angle relative to its polygon's ``_CDIR``) and the per-polygon
    table ``pdat`` for every polygon with ``skip[k]`` False."""
    for k in range(start.shape[0]):
        pdat[k, _STATE] = 0.0
        n = count[k]
        if skip[k] or n <= 0:
            continue
        s0 = start[k]
        sx = 0.0
        sy = 0.0
        xmin = np.inf
        xmax = -np.inf
        ymin = np.inf
        ymax = -np.inf
        dmax2 = 0.0
        for v in range(s0, s0 + n):
            x = px[v] - ox
            y = py[v] - oy
            rx[v] = x
            ry[v] = y
            sx += x
            sy += y
            xmin = min(xmin, x)
            xmax = max(xmax, x)
            ymin = min(ymin, y)
            ymax = max(ymax, y)
            dmax2 = max(dmax2, x * x + y * y)
        # nearest distance and containment of the sensor
        dmin2 = np.inf
        area2 = 0.0
        for i in range(n):
            a = s0 + i
            b = s0 + (i + 1 if i + 1 < n else 0)
            dmin2 = min(dmin2, seg_dist2(rx[a], ry[a], rx[b], ry[b]))
            area2 += rx[a] * ry[b] - rx[b] * ry[a]
        dmin = math.sqrt(dmin2)
        inside = dmin <= _TOUCH
        if not inside and area2 != 0.0:
            sgn = 1.0 if area2 > 0.0 else -1.0
            inside = True
            for i in range(n):
                ax, ay, ex, ey = edge(rx, ry, s0, n, i)
                if sgn * (ey * ax - ex * ay) < 0.0:
                    inside = False
                    break
        cx = sx / n
        cy = sy / n
        cd = math.sqrt(cx * cx + cy * cy)
        if inside or cd == 0.0:
            pdat[k, _STATE] = 2.0
            continue
        cc = cx / cd
        cs = cy / cd
        lo = 0.0
        hi = 0.0
        for v in range(s0, s0 + n):
            r = _angle_from(cc, cs, rx[v], ry[v])
            rel[v] = r
            lo = min(lo, r)
            hi = max(hi, r)
        pdat[k, _STATE] = 1.0
        pdat[k, _CDIR] = math.atan2(cy, cx)
        pdat[k, _CCOS] = cc
        pdat[k, _CSIN] = cs
        pdat[k, _LO] = lo
        pdat[k, _HI] = hi
        pdat[k, _DMIN] = dmin
        pdat[k, _DMAX] = math.sqrt(dmax2)
        pdat[k, _XMIN] = xmin
        pdat[k, _XMAX] = xmax
        pdat[k, _YMIN] = ymin
        pdat[k, _YMAX] = ymax


# --------------------------------------------------------------------------
# one target: exact angular sweep
# --------------------------------------------------------------------------


@njit(cache=True)
def _target_fraction(j, yaw, fov, rng, rx, ry, rel, start, count, pdat, cand, clo, chi, ev):
    """Visible fraction of prepared polygon ``j`` with every other prepared,
    non-skipped polygon (``pdat[k, _STATE] == 1``) as an occluder.

    ``cand`` (int64), ``clo``, ``chi`` (float64) have one slot per polygon and
    ``ev`` (float64) ``_EV_PER_VERTEX * (number of vertices) + 8`` slots; they are
    scratch and are overwritten.
    """
    state = pdat[j, _STATE]
    if state == 0.0:
        return 0.0
    if state == 2.0:
        return 1.0
    if fov <= 0.0 or pdat[j, _DMIN] > rng:
        return 0.0
    cj = pdat[j, _CDIR]
    cc = pdat[j, _CCOS]
    cs = pdat[j, _CSIN]
    a0 = pdat[j, _LO]
    a1 = pdat[j, _HI]
    width = a1 - a0

    # ---- field of view, relative to the target direction
    full = fov >= _TWO_PI
    fc = 0.0
    hf = 0.5 * fov
    if not full:
        fc = wrap_angle(yaw - cj)
        if width > _POINT_WIDTH:
            seen = False
            for sh in (0.0, -_TWO_PI, _TWO_PI):
                if fc - hf + sh < a1 and fc + hf + sh > a0:
                    seen = True
            if not seen:
                return 0.0

    # ---- candidate occluders: angular overlap and depth
    depth = min(pdat[j, _DMAX], rng) * (1.0 + _TIE_REL) + _TIE_ABS
    nc = 0
    for k in range(pdat.shape[0]):
        if k == j or pdat[k, _STATE] != 1.0 or pdat[k, _DMIN] >= depth:
            continue
        delta = wrap_angle(pdat[k, _CDIR] - cj)
        olo = delta + pdat[k, _LO]
        ohi = delta + pdat[k, _HI]
        for sh in (0.0, -_TWO_PI, _TWO_PI):
            if olo + sh < a1 and ohi + sh > a0:
                cand[nc] = k
                clo[nc] = olo + sh
                chi[nc] = ohi + sh
                nc += 1
                break

    sj = start[j]
    nj = count[j]

    # ---- zero angular width: one ray
    if width <= _POINT_WIDTH:
        phi = 0.5 * (a0 + a1)
        if not full and abs(wrap_angle(phi - fc)) > hf:
            return 0.0
        tt = pdat[j, _DMIN]
        tcut = tt * (1.0 + _TIE_REL) + _TIE_ABS
        dx = math.cos(cj + phi)
        dy = math.sin(cj + phi)
        for c in range(nc):
            k = cand[c]
            if ray_hits_before(dx, dy, rx, ry, start[k], count[k], tcut):
                return 0.0
        return 1.0

    # ---- shortcut: nothing in front, all within range and within the FOV
    if nc == 0 and pdat[j, _DMAX] <= rng:
        if full:
            return 1.0
        lo_f = wrap_angle(a0 - fc)
        if lo_f >= -hf and lo_f + width <= hf:
            return 1.0

    # ---- shortcut: one occluder, wholly nearer than the target, spans its silhouette: every ray of
    # the sweep would meet it first (by a margin far above rounding), so nothing is visible
    near = pdat[j, _DMIN] / (1.0 + _COVER_SLACK)
    for c in range(nc):
        if clo[c] < a0 - _COVER_SLACK and chi[c] > a1 + _COVER_SLACK and pdat[cand[c], _DMAX] < near:
            return 0.0

    # ---- event angles
    ne = 0
    ev[ne] = a0
    ev[ne + 1] = a1
    ne += 2
    for v in range(sj, sj + nj):
        ne = _push(ev, ne, rel[v], a0, a1)
    if not full:
        ne = _push(ev, ne, wrap_angle(fc - hf), a0, a1)
        ne = _push(ev, ne, wrap_angle(fc + hf), a0, a1)
    # range circle against the target edges
    r2 = rng * rng
    for i in range(nj):
        ax, ay, ex, ey = edge(rx, ry, sj, nj, i)
        qa = ex * ex + ey * ey
        if qa == 0.0:
            continue
        qb = ax * ex + ay * ey
        disc = qb * qb - qa * (ax * ax + ay * ay - r2)
        if disc < 0.0:
            continue
        sq = math.sqrt(disc)
        for sgn in (-1.0, 1.0):
            s = (-qb + sgn * sq) / qa
            if 0.0 <= s <= 1.0:
                x = ax + s * ex
                y = ay + s * ey
                ne = _push(ev, ne, _angle_from(cc, cs, x, y), a0, a1)
    # occluder silhouettes and occluder / target edge crossings
    jxmin = pdat[j, _XMIN]
    jxmax = pdat[j, _XMAX]
    jymin = pdat[j, _YMIN]
    jymax = pdat[j, _YMAX]
    for c in range(nc):
        k = cand[c]
        sk = start[k]
        nk = count[k]
        shift = wrap_angle(pdat[k, _CDIR] - cj)
        for v in range(sk, sk + nk):
            ne = _push(ev, ne, wrap_angle(shift + rel[v]), a0, a1)
        if (
            pdat[k, _XMIN] > jxmax
            or pdat[k, _XMAX] < jxmin
            or pdat[k, _YMIN] > jymax
            or pdat[k, _YMAX] < jymin
        ):
            continue
        for i in range(nj):
            ax, ay, ex, ey = edge(rx, ry, sj, nj, i)
            for m in range(nk):
                bx, by, fx, fy = edge(rx, ry, sk, nk, m)
                den = ex * fy - ey * fx
                if den == 0.0:
                    continue
                wx = bx - ax
                wy = by - ay
                u = (wx * fy - wy * fx) / den
                w = (wx * ey - wy * ex) / den
                if 0.0 <= u <= 1.0 and 0.0 <= w <= 1.0:
                    x = ax + u * ex
                    y = ay + u * ey
                    ne = _push(ev, ne, _angle_from(cc, cs, x, y), a0, a1)

    # insertion sort (a few dozen events at most in practice)
    for i in range(1, ne):
        x = ev[i]
        m = i - 1
        while m >= 0 and ev[m] > x:
            ev[m + 1] = ev[m]
            m -= 1
        ev[m + 1] = x

    # ---- one ray per elementary interval
    vis = 0.0
    for i in range(ne - 1):
        lo_e = ev[i]
        hi_e = ev[i + 1]
        if hi_e <= lo_e:
            continue
        phi = 0.5 * (lo_e + hi_e)
        if not full and abs(wrap_angle(phi - fc)) > hf:
            continue
        th = cj + phi
        dx = math.cos(th)
        dy = math.sin(th)
        tt = ray_first_hit(dx, dy, rx, ry, sj, nj)
        if tt > rng:
            continue  # beyond range, or (rounding) missed
        tcut = tt * (1.0 + _TIE_REL) + _TIE_ABS
        hidden = False
        for c in range(nc):
            if phi < clo[c] - _ANG_SLACK or phi > chi[c] + _ANG_SLACK:
                continue
            k = cand[c]
            if ray_hits_before(dx, dy, rx, ry, start[k], count[k], tcut):
                hidden = True
                break
        if not hidden:
            vis += hi_e - lo_e
    f = vis / width
    if f > 1.0:
        f = 1.0
    return f


@njit(cache=True)
def _scene(head, head_vertices, px, py, poly_start, poly_count):
    """The CSR arrays ``qx, qy, start, count, skip`` (none skipped) of a scene of ``head`` polygons
    of ``head_vertices`` vertices in all, which the caller fills in, followed by the CSR polygons
    ``px, py, poly_start, poly_count`` (copied here)."""
    npoly = head + poly_start.shape[0]
    nv = head_vertices
    for k in range(poly_start.shape[0]):
        if poly_count[k] > 0:
            nv += poly_count[k]
    start = np.empty(npoly, np.int64)
    count = np.empty(npoly, np.int64)
    skip = np.zeros(npoly, np.bool_)
    qx = np.empty(nv)
    qy = np.empty(nv)
    pos = head_vertices
    for k in range(poly_start.shape[0]):
        n = max(poly_count[k], 0)
        start[head + k] = pos
        count[head + k] = n
        s0 = poly_start[k]
        for v in range(n):
            qx[pos + v] = px[s0 + v]
            qy[pos + v] = py[s0 + v]
        pos += n
    return qx, qy, start, count, skip


@njit(cache=True)
def _prepared(ox, oy, qx, qy, start, count, skip):
    """A scene seen from (ox, oy): vertex angles and polygon data, plus the sweep's scratch arrays."""
    nv = qx.shape[0]
    npoly = start.shape[0]
    rx = np.empty(nv)
    ry = np.empty(nv)
    rel = np.empty(nv)
    pdat = np.empty((npoly, _NCOL))
    _prepare(ox, oy, qx, qy, start, count, skip, rx, ry, rel, pdat)
    cand = np.empty(npoly, np.int64)
    clo = np.empty(npoly)
    chi = np.empty(npoly)
    ev = np.empty(_EV_PER_VERTEX * nv + 8)
    return rx, ry, rel, pdat, cand, clo, chi, ev


# --------------------------------------------------------------------------
# public kernels
# --------------------------------------------------------------------------


@njit(cache=True)
def visible_fraction(ox, oy, yaw, fov, rng, tx, ty, px, py, poly_start, poly_count, poly_skip):
    """Exact visible fraction (in ``[0, 1]``) of one convex target polygon.

    Parameters
    ----------
    ox, oy : float
        Sensor position (m).
    yaw : float
        Sensor heading (rad, CCW from +x).
    fov : float
        Total field of view (rad); ``>= 2 pi`` means no angular limit.
    rng : float
        Sensor range (m).
    tx, ty : float64 arrays, shape (m,)
        Target polygon vertices (m), convex, either orientation; ``m = 0``
        gives 0.0.
    px, py : float64 arrays
        Vertices (m) of all occluder polygons, CSR-style.
    poly_start, poly_count : int64 arrays, shape (P,)
        Occluder ``k`` is ``px[poly_start[k]:poly_start[k] + poly_count[k]]``.
    poly_skip : bool array, shape (P,)
        ``True`` ignores occluder ``k``.

    Returns the share of the target's silhouette interval that is inside the
    field of view, within range and not hidden by a nearer occluder. Occluders
    containing the sensor are ignored; a target containing the sensor gives 1.0.
    Allocates its scratch arrays on every call: for many targets in one scene
    use :func:`visibility_all`.
    """
    m = tx.shape[0]
    if m == 0:
        return 0.0
    qx, qy, start, count, skip = _scene(1, m, px, py, poly_start, poly_count)
    start[0] = 0
    count[0] = m
    for v in range(m):
        qx[v] = tx[v]
        qy[v] = ty[v]
    for k in range(poly_start.shape[0]):
        skip[k + 1] = poly_skip[k]
    rx, ry, rel, pdat, cand, clo, chi, ev = _prepared(ox, oy, qx, qy, start, count, skip)
    return _target_fraction(0, yaw, fov, rng, rx, ry, rel, start, count, pdat, cand, clo, chi, ev)


@njit(cache=True)
def is_visible(ox, oy, yaw, fov, rng, tx, ty, px, py, poly_start, poly_count, poly_skip, threshold):
    """Visibility label: ``visible_fraction(...) >= threshold`` (threshold unitless,
    in ``[0, 1]``). Arguments as in :func:`visible_fraction`."""
    f = visible_fraction(ox, oy, yaw, fov, rng, tx, ty, px, py, poly_start, poly_count, poly_skip)
    return f >= threshold


#: Scratch of :func:`visibility_into`: the scene's CSR arrays (agents' boxes first, then the static
#: polygons, filled once by :func:`occlusion_scratch`), the prepared vertices and polygon table, and
#: the sweep's buffers.
OccScratch = namedtuple("OccScratch", [
    "qx", "qy",  # (V,) m: scene vertices, 4 per agent then the static polygons'
    "start", "count",  # (P,) int: each polygon's vertices
    "skip",  # (P,) bool: not in this call's scene
    "rx", "ry", "rel",  # (V,) prepared vertices (see _prepare)
    "pdat",  # (P, _NCOL) prepared polygons
    "cand", "clo", "chi",  # (P,) candidate occluders of one target
    "ev",  # (_EV_PER_VERTEX * V + 8,) event angles
])

#: Margin (m) by which an agent's bounding circle must clear the sensor range or a field-of-view
#: edge to be culled: far above rounding, so that a culled agent would have been judged 0.0 and
#: could only have added events outside the field of view (see :func:`visibility_into`).
_CULL_MARGIN = 1e-3


@njit(cache=True)
def occlusion_scratch(n_agents, static_px, static_py, static_start, static_count):
    """Scratch for :func:`visibility_into` with ``n_agents`` boxes and the static occluder polygons
    (CSR-style, as in :func:`visible_fraction`; copied in here once)."""
    qx, qy, start, count, skip = _scene(n_agents, 4 * n_agents, static_px, static_py, static_start, static_count)
    nv = qx.shape[0]
    npoly = start.shape[0]
    for i in range(n_agents):
        start[i] = 4 * i
        count[i] = 4
    return OccScratch(qx, qy, start, count, skip, np.empty(nv), np.empty(nv), np.empty(nv),
                      np.empty((npoly, _NCOL)), np.empty(npoly, np.int64), np.empty(npoly), np.empty(npoly),
                      np.empty(_EV_PER_VERTEX * nv + 8))


@njit(cache=True)
def _culled(dx, dy, r, rng, full, hf, rcx, rcy, lcx, lcy):
    """True if a circle of radius ``r`` (m) centred ``(dx, dy)`` from the sensor lies beyond the range
    or outside the field of view (half-angle ``hf``; edges' unit directions ``(rcx, rcy)`` on the
    right and ``(lcx, lcy)`` on the left), with :data:`_CULL_MARGIN` to spare."""
    reach = rng * (1.0 + 2.0 * _TIE_REL) + _CULL_MARGIN + r
    if dx * dx + dy * dy > reach * reach:
        return True
    if full:
        return False
    # signed distances to the two edge lines, positive on the field of view's side
    m = r + _CULL_MARGIN
    out_r = rcx * dy - rcy * dx < -m
    out_l = dx * lcy - dy * lcx < -m
    if hf <= 0.5 * math.pi:  # a convex cone: the intersection of the two half-planes
        return out_r or out_l
    return out_r and out_l  # wider than a half-plane: their union


@njit(cache=True)
def visibility_into(ox, oy, yaw, fov, rng, ax, ay, ah, al, aw, valid, self_index, out_fraction, ws, cull=True):
    """:func:`visibility_all` without allocating: ``ws`` from :func:`occlusion_scratch` (for these
    ``N`` agents and static polygons) holds every array the call needs.

    With ``cull`` (the default), agents whose bounding circle lies beyond the range or outside the
    field of view are culled before any box geometry: they would be judged 0.0, and as occluders
    they hide nothing within the range and the field of view (any event angle they would add
    splits only intervals outside the field of view), so the fractions are bit-identical to the
    full sweep's (``cull=False``).

    Returns nothing, so that it may be called from code compiled without reference counting (the
    step loop) and from code with it alike: a returned array would be counted by one and not by
    the other when both share the compiled function."""
    na = ax.shape[0]
    qx, qy, start, count, skip = ws.qx, ws.qy, ws.start, ws.count, ws.skip
    full = fov >= _TWO_PI
    hf = 0.5 * fov
    rcx = rcy = lcx = lcy = 0.0
    if not full:
        rcx = math.cos(yaw - hf)
        rcy = math.sin(yaw - hf)
        lcx = math.cos(yaw + hf)
        lcy = math.sin(yaw + hf)
    for i in range(na):
        out_fraction[i] = 0.0
        sk = (not valid[i]) or i == self_index
        if cull and not sk:
            r = 0.5 * math.sqrt(al[i] * al[i] + aw[i] * aw[i])
            sk = _culled(ax[i] - ox, ay[i] - oy, r, rng, full, hf, rcx, rcy, lcx, lcy)
        skip[i] = sk
        if sk:
            continue
        xs, ys = _corners(ax[i], ay[i], ah[i], al[i], aw[i])
        for c in range(4):
            qx[4 * i + c] = xs[c]
            qy[4 * i + c] = ys[c]
    _prepare(ox, oy, qx, qy, start, count, skip, ws.rx, ws.ry, ws.rel, ws.pdat)
    for j in range(na):
        if skip[j]:
            continue
        out_fraction[j] = _target_fraction(
            j, yaw, fov, rng, ws.rx, ws.ry, ws.rel, start, count, ws.pdat, ws.cand, ws.clo, ws.chi, ws.ev
        )


@njit(cache=True, _nrt=True)  # allocates its scratch: reference counting on, whoever calls it
def visibility_all(
    ox, oy, yaw, fov, rng,
    ax, ay, ah, al, aw, valid, self_index,
    static_px, static_py, static_start, static_count,
    out_fraction,
):
    """Visible fraction of every valid agent seen from one sensor.

    Parameters
    ----------
    ox, oy, yaw, fov, rng : float
        Sensor position (m), heading (rad), total field of view (rad,
        ``>= 2 pi`` = unlimited) and range (m).
    ax, ay, ah, al, aw : float64 arrays, shape (N,)
        Agent boxes: centre (m), heading (rad), length and width (m).
    valid : bool array, shape (N,)
        Agents that exist; invalid agents neither occlude nor are judged.
    self_index : int
        The ego agent (the sensor carrier); never an occluder, never judged.
        A negative value means the sensor belongs to no agent.
    static_px, static_py, static_start, static_count
        Static occluder polygons (m), CSR-style as in :func:`visible_fraction`.
    out_fraction : float64 array, shape (N,)
        Filled with the visible fraction of every valid agent ``j != self_index``
        with all other valid agents (not ``j``, not the ego) and all static
        polygons as occluders; 0.0 for invalid agents and for the ego.

    Returns ``out_fraction``. Allocates its scratch: for many calls on the same
    agents and static polygons use :func:`occlusion_scratch` and :func:`visibility_into`.
    """
    ws = occlusion_scratch(ax.shape[0], static_px, static_py, static_start, static_count)
    visibility_into(ox, oy, yaw, fov, rng, ax, ay, ah, al, aw, valid, self_index, out_fraction, ws)
    return out_fraction
