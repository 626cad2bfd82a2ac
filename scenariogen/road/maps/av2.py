"""Argoverse 2 vector maps (``log_map_archive_*.json``).

Read (JSON):

* ``lane_segments``: ``centerline`` (or, when absent, the mean of the two boundaries resampled to
  a common count) -> the lane's centre; the mean distance between ``left_lane_boundary`` and
  ``right_lane_boundary`` -> its width; ``successors``; ``left_neighbor_id`` /
  ``right_neighbor_id`` -> neighbours when the neighbour heads the same way (within 90 degrees at
  the closest point), else ``MapLane.opposite``; ``is_intersection`` -> ``junction``. Lanes of
  ``lane_type`` ``VEHICLE`` and ``BUS`` are driving lanes; ``BIKE`` lanes become non-drivable
  areas.
* ``pedestrian_crossings``: the quadrilateral between ``edge1`` and ``edge2`` (``kind='crosswalk'``).
* ``drivable_areas``: ``area_boundary`` rings (``kind='drivable_area'``: the outline of the
  drivable surface, the one area that is drivable).

Dropped: elevation (``z``), lane mark types.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from .geometry import centre_from_bounds, dedupe, mean_width
from .model import MapArea, MapData, MapError, MapLane

__all__ = ["read_av2"]

DRIVING = {"VEHICLE", "BUS"}


def _pts(path: Path, seq, where: str) -> np.ndarray:
    if not isinstance(seq, list) or len(seq) < 2:
        raise MapError(path, "expected a list of at least 2 points {x, y}", where)
    try:
        arr = np.array([[float(p["x"]), float(p["y"])] for p in seq], dtype=np.float64)
    except (TypeError, KeyError, ValueError):
        raise MapError(path, "points must be objects with numeric 'x' and 'y'", where) from None
    if not np.all(np.isfinite(arr)):
        raise MapError(path, "points must be finite", where)
    return arr


def _heading_at_nearest(centre: np.ndarray, p: np.ndarray) -> float:
    i = int(np.argmin(np.hypot(*(centre - p).T)))
    j = min(i, len(centre) - 2)
    d = centre[j + 1] - centre[j]
    return math.atan2(d[1], d[0])


def read_av2(path: Path, data: bytes) -> MapData:
    """The lane graph of an Argoverse 2 map file (module docstring)."""
    try:
        doc = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise MapError(path, f"not UTF-8 text (byte {exc.start}); is this an Argoverse 2 map JSON?") from None
    except json.JSONDecodeError as exc:
        raise MapError(path, f"not valid JSON ({exc.msg})", f"line {exc.lineno}, column {exc.colno}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("lane_segments"), dict):
        raise MapError(path, "not an Argoverse 2 map: expected an object with a 'lane_segments' object")
    segs = doc["lane_segments"]
    if not segs:
        raise MapError(path, "the map has no lane segments", "lane_segments")
    raw = {}
    areas = []
    dropped: dict[str, int] = {}
    for key, seg in segs.items():
        where = f"lane_segments[{key!r}]"
        if not isinstance(seg, dict):
            raise MapError(path, "expected an object", where)
        lid = str(seg.get("id", key))
        left = dedupe(_pts(path, seg.get("left_lane_boundary"), f"{where}.left_lane_boundary"))
        right = dedupe(_pts(path, seg.get("right_lane_boundary"), f"{where}.right_lane_boundary"))
        kind = str(seg.get("lane_type", "VEHICLE"))
        if kind not in DRIVING:
            areas.append(MapArea(f"lane segment {lid}", kind.lower(), np.vstack([left, right[::-1], left[:1]])))
            dropped[f"{kind} lane segments kept as areas"] = dropped.get(f"{kind} lane segments kept as areas", 0) + 1
            continue
        c_bounds, w = centre_from_bounds(left, right)
        if seg.get("centerline") is not None:
            centre = dedupe(_pts(path, seg["centerline"], f"{where}.centerline"))
        else:
            centre = c_bounds
        if len(centre) < 2:
            raise MapError(path, "the centre line has fewer than 2 distinct points", where)
        width = mean_width(c_bounds, w)
        if not width > 0.0:
            raise MapError(path, "the lane has zero width (its boundaries coincide)", where)
        succ = seg.get("successors") or []
        if not isinstance(succ, list):
            raise MapError(path, "'successors' must be a list of ids", where)
        raw[lid] = dict(centre=centre, width=width, wmin=float(w.min()), wmax=float(w.max()),
                        succ=[str(s) for s in succ], left=seg.get("left_neighbor_id"),
                        right=seg.get("right_neighbor_id"), junction=bool(seg.get("is_intersection", False)),
                        kind=kind, where=where)
    lanes = []
    for lid, r in raw.items():
        side: dict[str, str | None] = {"left": None, "right": None}
        opposite = []
        for s in ("left", "right"):
            n = r[s]
            if n is None or str(n) not in raw:
                continue
            n = str(n)
            other = raw[n]["centre"]
            mid = r["centre"][len(r["centre"]) // 2]
            h_self = _heading_at_nearest(r["centre"], mid)
            h_other = _heading_at_nearest(other, mid)
            if math.cos(h_self - h_other) > 0.0:
                side[s] = n
            else:
                opposite.append(n)
        lanes.append(MapLane(id=lid, centre=r["centre"], width=r["width"], width_min=r["wmin"], width_max=r["wmax"],
                             successors=tuple(s for s in r["succ"] if s in raw), left=side["left"],
                             right=side["right"], opposite=tuple(opposite), group=lid, kind=r["kind"],
                             junction=lid if r["junction"] else "", source=r["where"]))
    for key, pc in (doc.get("pedestrian_crossings") or {}).items():
        where = f"pedestrian_crossings[{key!r}]"
        e1 = _pts(path, pc.get("edge1") if isinstance(pc, dict) else None, f"{where}.edge1")
        e2 = _pts(path, pc.get("edge2") if isinstance(pc, dict) else None, f"{where}.edge2")
        areas.append(MapArea(f"crosswalk {pc.get('id', key)}", "crosswalk", np.vstack([e1, e2[::-1], e1[:1]])))
    for key, da in (doc.get("drivable_areas") or {}).items():
        where = f"drivable_areas[{key!r}]"
        ring = _pts(path, da.get("area_boundary") if isinstance(da, dict) else None, f"{where}.area_boundary")
        areas.append(MapArea(f"drivable area {da.get('id', key)}", "drivable_area", ring))
    return MapData(format="av2", file=str(path), version="2", lanes=tuple(lanes), areas=tuple(areas),
                   dropped=tuple(sorted(dropped.items())))
