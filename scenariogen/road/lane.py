"""One directed lane: a centreline polyline with a smooth heading along it.

Frame and units: world x east, y north (m); headings in radians,
counter-clockwise from +x; arc length ``s`` (m) from the lane's first point;
lateral ``offset`` (m) positive to the LEFT of the direction of travel.

Geometry model (shared with :mod:`scenariogen.road.compile` and the kernels):

* the centre point at ``s`` is linear interpolation along the polyline;
* the heading at ``s`` is linear interpolation of the *vertex* headings, so it
  is continuous (vertex headings are exact tangents when a builder supplies
  them, e.g. for arcs; otherwise the bisector of the two adjacent segments);
* a point at ``(s, offset)`` is ``centre(s) + offset * left_normal(heading(s))``;
* curvature (1/m, positive turning left) is the heading's derivative,
  piecewise constant per segment.

Outside ``[0, length]`` the lane is extrapolated straight along its end
heading (curvature 0 there), so ``position`` never fails and
``local_coordinates`` may return ``s < 0`` or ``s > length`` for points beyond
the ends.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import shapely
from shapely.geometry import LineString

from scenariogen.errors import RoadError

__all__ = ["Lane"]

_NEWTON_ITERATIONS = 30
_NEWTON_TOL = 1e-10  # m


def _wrap(angle: np.ndarray | float) -> np.ndarray | float:
    """Wrap an angle (rad) to [-pi, pi)."""
    return (np.asarray(angle) + np.pi) % (2.0 * np.pi) - np.pi


class Lane:
    """A directed lane of constant ``width`` (m) along ``centerline``.

    Parameters
    ----------
    id:
        Lane id, unique in its network.
    centerline:
        A shapely ``LineString`` or an ``(M, 2)`` array of points (m), in
        the direction of travel. Consecutive duplicate points are dropped;
        at least two distinct points must remain.
    width:
        Lane width (m), > 0.
    headings:
        Optional exact tangent heading (rad) at each point of ``centerline``
        (before duplicate removal). Builders pass it for arcs so that end
        headings and curvature are exact; when omitted, end vertices take the
        adjacent segment's heading and interior vertices the bisector.

    Instances are immutable: the arrays are read-only and there are no setters.
    """

    __slots__ = ("_id", "_width", "_line", "_xy", "_s", "_h", "_seg_h", "_seg_len", "_kappa")

    def __init__(
        self,
        id: str,
        centerline: LineString | Sequence[Sequence[float]] | np.ndarray,
        width: float,
        headings: Sequence[float] | np.ndarray | None = None,
    ) -> None:
        if not isinstance(id, str) or not id:
            raise RoadError(f"lane id must be a non-empty string, got {id!r}")
        width = float(width)
        if not np.isfinite(width) or width <= 0.0:
            raise RoadError(f"lane {id!r}: width must be a positive number of metres, got {width}")
        try:
            coords = np.asarray(
                centerline.coords if isinstance(centerline, LineString) else centerline, dtype=float
            )
        except (TypeError, ValueError):
            raise RoadError(f"lane {id!r}: centreline points must be (x, y) number pairs") from None
        if coords.ndim != 2 or coords.shape[1] != 2 or coords.shape[0] < 2:
            raise RoadError(
                f"lane {id!r}: centreline needs at least 2 distinct (x, y) points, got shape {coords.shape}"
            )
        if not np.all(np.isfinite(coords)):
            raise RoadError(f"lane {id!r}: centreline points must be finite")
        keep = np.ones(len(coords), dtype=bool)
        keep[1:] = np.hypot(*np.diff(coords, axis=0).T) > 1e-9
        xy = coords[keep]
        if len(xy) < 2:
            raise RoadError(f"lane {id!r}: centreline needs at least 2 distinct points")

        d = np.diff(xy, axis=0)
        seg_len = np.hypot(d[:, 0], d[:, 1])
        seg_h = np.arctan2(d[:, 1], d[:, 0])
        if headings is None:
            h = np.empty(len(xy))
            h[0] = seg_h[0]
            h[-1] = seg_h[-1]
            h[1:-1] = seg_h[:-1] + 0.5 * _wrap(seg_h[1:] - seg_h[:-1])
        else:
            h = np.asarray(headings, dtype=float)
            if h.shape != (len(coords),):
                raise RoadError(f"lane {id!r}: headings of shape {h.shape} for {len(coords)} points")
            h = h[keep]
        h = np.unwrap(h)
        # Segment headings are kept within pi of the interpolated heading.
        seg_h = h[:-1] + _wrap(seg_h - h[:-1])

        s = np.concatenate(([0.0], np.cumsum(seg_len)))
        for arr in (xy, s, h, seg_h, seg_len):
            arr.setflags(write=False)
        kappa = np.diff(h) / seg_len
        kappa.setflags(write=False)
        self._id = id
        self._width = width
        self._xy = xy
        self._s = s
        self._h = h
        self._seg_h = seg_h
        self._seg_len = seg_len
        self._kappa = kappa
        self._line = LineString(xy)

    # ----------------------------------------------------------------- basics

    @property
    def id(self) -> str:
        return self._id

    @property
    def width(self) -> float:
        """Lane width (m)."""
        return self._width

    @property
    def centerline(self) -> LineString:
        """The centreline polyline (m), in the direction of travel."""
        return self._line

    @property
    def length(self) -> float:
        """Arc length of the centreline (m)."""
        return float(self._s[-1])

    @property
    def points(self) -> np.ndarray:
        """Centreline vertices, float64 (M, 2), m (read-only)."""
        return self._xy

    @property
    def vertex_s(self) -> np.ndarray:
        """Arc length (m) of each vertex, float64 (M,) (read-only)."""
        return self._s

    @property
    def vertex_headings(self) -> np.ndarray:
        """Unwrapped heading (rad) at each vertex, float64 (M,) (read-only)."""
        return self._h

    def __repr__(self) -> str:
        return f"Lane(id={self._id!r}, length={self.length:.3f}, width={self._width}, points={len(self._xy)})"

    # ------------------------------------------------------------ evaluation

    def _eval(self, s: np.ndarray | float) -> tuple[np.ndarray, ...]:
        """Centre x, y (m), heading (rad), curvature (1/m) and segment heading (rad)
        at arc length ``s`` (m); arrays of ``s``'s shape."""
        s = np.asarray(s, dtype=float)
        shape = s.shape
        s = s.reshape(-1)
        L = self._s[-1]
        i = np.clip(np.searchsorted(self._s, s, side="right") - 1, 0, len(self._seg_len) - 1)
        t = (s - self._s[i]) / self._seg_len[i]
        h = self._h[i] + t * (self._h[i + 1] - self._h[i])
        x = self._xy[i, 0] + t * (self._xy[i + 1, 0] - self._xy[i, 0])
        y = self._xy[i, 1] + t * (self._xy[i + 1, 1] - self._xy[i, 1])
        k = self._kappa[i]
        seg = self._seg_h[i]
        # Straight extrapolation along the end headings beyond both ends.
        for mask, idx, s_end in ((s < 0.0, 0, 0.0), (s > L, -1, L)):
            if np.any(mask):
                he = self._h[idx]
                ds = s[mask] - s_end
                x[mask] = self._xy[idx, 0] + ds * np.cos(he)
                y[mask] = self._xy[idx, 1] + ds * np.sin(he)
                h[mask] = he
                k[mask] = 0.0
                seg[mask] = he
        return tuple(a.reshape(shape) for a in (x, y, h, k, seg))

    def positions(
        self, s: np.ndarray | float, offset: np.ndarray | float = 0.0
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """World ``x``, ``y`` (m) and heading (rad) at arc length ``s`` (m) and lateral
        ``offset`` (m, left positive). Broadcasts arrays; extrapolates beyond the ends."""
        s, offset = np.broadcast_arrays(np.asarray(s, dtype=float), np.asarray(offset, dtype=float))
        x, y, h, _, _ = self._eval(s)
        return x - offset * np.sin(h), y + offset * np.cos(h), np.asarray(h)

    def position(self, s: float, offset: float = 0.0) -> tuple[float, float, float]:
        """``(x, y, heading)`` (m, m, rad) at arc length ``s`` (m) and ``offset`` (m, left positive)."""
        x, y, h = self.positions(s, offset)
        return float(x), float(y), float(h)

    def heading_at(self, s: np.ndarray | float) -> np.ndarray | float:
        """Heading (rad, unwrapped along the lane) at arc length ``s`` (m)."""
        h = self._eval(s)[2]
        return float(h) if np.ndim(h) == 0 else h

    def curvature_at(self, s: np.ndarray | float) -> np.ndarray | float:
        """Curvature (1/m, positive for left turns) at arc length ``s`` (m); 0 beyond the ends."""
        k = self._eval(s)[3]
        return float(k) if np.ndim(k) == 0 else k

    # ------------------------------------------------------------ projection

    def local_coordinates_array(
        self, x: np.ndarray | float, y: np.ndarray | float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Arc length ``s`` (m) and ``offset`` (m, left positive) of world points.

        The exact inverse of :meth:`positions` near the lane (Newton refinement
        of shapely's projection onto the polyline). ``s`` is outside
        ``[0, length]`` for points beyond the lane's ends.
        """
        px, py = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
        s = np.asarray(shapely.line_locate_point(self._line, shapely.points(px, py)), dtype=float)
        s = s.copy()
        L = self._s[-1]
        eps = 1e-9
        for _ in range(_NEWTON_ITERATIONS):
            cx, cy, h, k, seg = self._eval(s)
            dx, dy = px - cx, py - cy
            c, sn = np.cos(h), np.sin(h)
            f = dx * c + dy * sn  # along-track residual
            o = -dx * sn + dy * c
            den = np.cos(seg - h) - o * k
            den = np.where(den > 1e-6, den, 1.0)
            step = f / den
            s = s + step
            if np.all(np.abs(step) < _NEWTON_TOL):
                break
        # Snap tiny numerical excursions at the ends back inside.
        s = np.where((s < 0.0) & (s > -eps), 0.0, s)
        s = np.where((s > L) & (s < L + eps), L, s)
        cx, cy, h, _, _ = self._eval(s)
        offset = -(px - cx) * np.sin(h) + (py - cy) * np.cos(h)
        return s, offset

    def local_coordinates(self, x: float, y: float) -> tuple[float, float]:
        """``(s, offset)`` (m) of the world point ``(x, y)``; see :meth:`local_coordinates_array`."""
        s, o = self.local_coordinates_array(x, y)
        return float(s), float(o)

    def contains_s(self, s: float, tol: float = 1e-9) -> bool:
        """True when ``s`` (m) lies on the lane, within ``tol`` (m) of ``[0, length]``."""
        return -tol <= s <= self._s[-1] + tol
