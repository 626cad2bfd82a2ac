"""Geometry shared by the map readers: a lane's centre and widths from its two borders.

Units: metres. Borders are (K, 2) polylines in the direction of travel.
"""

from __future__ import annotations

import numpy as np

__all__ = ["resample", "centre_from_bounds", "dedupe", "polyline_length"]


def polyline_length(pts: np.ndarray) -> float:
    """Length (m) of a polyline (K, 2)."""
    return float(np.hypot(*np.diff(pts, axis=0).T).sum()) if len(pts) > 1 else 0.0


def dedupe(pts: np.ndarray, tol: float = 1e-6) -> np.ndarray:
    """``pts`` without consecutive points closer than ``tol`` (m); the last point is kept."""
    pts = np.asarray(pts, dtype=np.float64)
    if len(pts) < 2:
        return pts
    keep = np.ones(len(pts), dtype=bool)
    keep[1:] = np.hypot(*np.diff(pts, axis=0).T) > tol
    out = pts[keep]
    if not keep[-1] and len(out) > 1:
        out[-1] = pts[-1]
    return out


def resample(poly: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Points of ``poly`` at the arc-length FRACTIONS ``u`` (0 = start, 1 = end)."""
    poly = np.asarray(poly, dtype=np.float64)
    seg = np.hypot(*np.diff(poly, axis=0).T)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    if s[-1] <= 0.0:
        return np.repeat(poly[:1], len(u), axis=0)
    t = np.asarray(u) * s[-1]
    return np.stack([np.interp(t, s, poly[:, 0]), np.interp(t, s, poly[:, 1])], axis=1)


def centre_from_bounds(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centre polyline (P, 2) and the width (P,) m at each of its points.

    With equal point counts (CommonRoad's rule, which our exports keep) the centre is the mean of
    point pairs. Otherwise both borders are resampled at the union of their vertices' arc-length
    fractions, so no corner of either border is cut."""
    left = np.asarray(left, dtype=np.float64)
    right = np.asarray(right, dtype=np.float64)
    if len(left) != len(right):
        def frac(p: np.ndarray) -> np.ndarray:
            s = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(p, axis=0).T))])
            return s / s[-1] if s[-1] > 0 else np.linspace(0.0, 1.0, len(p))

        u = np.unique(np.round(np.concatenate([frac(left), frac(right)]), 12))
        left, right = resample(left, u), resample(right, u)
    centre = 0.5 * (left + right)
    width = np.hypot(*(left - right).T)
    return centre, width


def mean_width(centre: np.ndarray, width: np.ndarray) -> float:
    """Width (m) averaged over arc length along ``centre`` (the plain mean for a degenerate one)."""
    seg = np.hypot(*np.diff(centre, axis=0).T)
    total = seg.sum()
    if total <= 0.0:
        return float(np.mean(width))
    return float((0.5 * (width[1:] + width[:-1]) * seg).sum() / total)
