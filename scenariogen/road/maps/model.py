"""The format-neutral description of an imported map, and its conversion to a :class:`RoadNetwork`.

Every reader (:mod:`.commonroad`, :mod:`.av2`, :mod:`.opendrive`, :mod:`.lanelet2`) turns its file
into one frozen :class:`MapData`; :func:`map_network` turns that into the road model every kernel,
metric, writer and renderer already knows. Frame and units: the map's own planar frame (x east,
y north, metres; headings radians counter-clockwise from +x). What the simulator does not use yet
(stop lines, signals, crosswalks, non-drivable areas, opposite-direction lanes) is kept here as
plain data for the right-of-way model.

Approximation: our :class:`Lane` has one width; a map lane whose width varies gets the MEAN of its
widths along its length (``MapLane.width``; ``width_min`` / ``width_max`` keep the range), while
its centreline is the true centre between its borders.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from ...errors import RoadError
from ..lane import Lane
from ..network import RoadNetwork

__all__ = ["MapLane", "MapArea", "StopLine", "Signal", "MapData", "MapError", "Region", "cut_region",
           "map_network"]


class MapError(RoadError):
    """A map file cannot be imported: names the file, the element (or line) and what is wrong or
    unsupported. ``file``, ``where`` and ``detail`` are kept apart for callers that re-word it."""

    def __init__(self, file: object, detail: str, where: str = ""):
        self.file = str(file)
        self.where = where
        self.detail = detail
        super().__init__(f"{self.file}: {where}: {detail}" if where else f"{self.file}: {detail}")


def _frozen_array(a, shape_tail: tuple[int, ...] = ()) -> np.ndarray:
    arr = np.array(a, dtype=np.float64, copy=True)
    if shape_tail and (arr.ndim != 1 + len(shape_tail) or arr.shape[1:] != shape_tail):
        raise ValueError(f"expected an array of shape (N, {', '.join(map(str, shape_tail))}), got {arr.shape}")
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class MapLane:
    """One directed lane of a map, in its direction of travel.

    ``centre``: (M, 2) float64 m, the centre between the lane's borders; ``headings``: (M,) rad
    exact tangents where the format defines them (OpenDRIVE), else None; ``width``: mean width (m);
    ``width_min`` / ``width_max``: its range (m). ``successors``: lane ids in priority order;
    ``left`` / ``right``: the neighbour of the SAME direction (or None); ``opposite``: adjacent lanes
    driven the other way (never neighbours). ``group``: the map element the lane belongs to (road,
    lanelet or lane-segment id; what ``region: {ids: ...}`` selects); ``kind``: the format's lane
    type; ``junction``: the junction / intersection id, or "" outside one; ``speed_limit``: m/s or
    None; ``source``: where in the file (for messages).
    """

    id: str
    centre: np.ndarray
    width: float
    successors: tuple[str, ...] = ()
    left: str | None = None
    right: str | None = None
    opposite: tuple[str, ...] = ()
    headings: np.ndarray | None = None
    width_min: float = math.nan
    width_max: float = math.nan
    group: str = ""
    kind: str = "driving"
    junction: str = ""
    speed_limit: float | None = None
    source: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "centre", _frozen_array(self.centre, (2,)))
        if self.headings is not None:
            object.__setattr__(self, "headings", _frozen_array(self.headings))
        if math.isnan(self.width_min):
            object.__setattr__(self, "width_min", float(self.width))
        if math.isnan(self.width_max):
            object.__setattr__(self, "width_max", float(self.width))

    @property
    def length(self) -> float:
        """Polyline length of the centre (m)."""
        return float(np.hypot(*np.diff(self.centre, axis=0).T).sum())


@dataclass(frozen=True, eq=False)
class MapArea:
    """A non-drivable area or border (``kind``: the format's type, e.g. ``sidewalk``, ``shoulder``,
    ``biking``, ``drivable_area`` (AV2's outline of the drivable surface), ``road_border``);
    ``points``: (K, 2) m, a closed ring when ``closed`` else an open line."""

    id: str
    kind: str
    points: np.ndarray
    closed: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "points", _frozen_array(self.points, (2,)))


@dataclass(frozen=True, eq=False)
class StopLine:
    """A stop line: ``points`` (2+, 2) m across the lanes it governs (``lanes``: lane ids, which
    stop before it); ``signal``: the id of the sign or light that goes with it, or ""."""

    id: str
    points: np.ndarray
    lanes: tuple[str, ...] = ()
    signal: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "points", _frozen_array(self.points, (2,)))


@dataclass(frozen=True)
class Signal:
    """A sign or traffic light. ``kind``: ``traffic_light``, ``stop``, ``yield``, ``speed_limit``
    or ``other``; ``code``: the format's type code (e.g. OpenDRIVE ``206``, CommonRoad ``R1-1``);
    ``position``: (x, y) m or None when the file gives none; ``lanes``: the lane ids it applies to;
    ``value``: the sign's number (speed limits in m/s) or None."""

    id: str
    kind: str
    code: str = ""
    position: tuple[float, float] | None = None
    lanes: tuple[str, ...] = ()
    value: float | None = None


@dataclass(frozen=True, eq=False)
class MapData:
    """A whole imported map. ``format``: ``opendrive``, ``lanelet2``, ``commonroad`` or ``av2``;
    ``version``: the file's format version; ``lanes``: in a stable order (the file's); ``areas``:
    non-drivable areas and borders (plus crosswalks, ``kind='crosswalk'``); ``stop_lines``,
    ``signals``; ``traffic``: ``right`` or ``left`` hand; ``dropped``: what the reader left out,
    ``description -> count``, for the user."""

    format: str
    file: str
    lanes: tuple[MapLane, ...]
    version: str = ""
    areas: tuple[MapArea, ...] = ()
    stop_lines: tuple[StopLine, ...] = ()
    signals: tuple[Signal, ...] = ()
    traffic: str = "right"
    dropped: tuple[tuple[str, int], ...] = field(default=())

    def lane(self, lane_id: str) -> MapLane:
        for ln in self.lanes:
            if ln.id == lane_id:
                return ln
        raise KeyError(lane_id)


# ------------------------------------------------------------------ regions


@dataclass(frozen=True)
class Region:
    """A piece of a map: lanes whose centre meets the box ``bbox`` (``min_x, min_y, max_x, max_y``,
    m) and/or belongs to one of the map elements ``ids`` (road, lanelet or lane-segment ids, or
    lane ids). Whole lanes are kept, never cut. Empty: the whole map."""

    bbox: tuple[float, float, float, float] | None = None
    ids: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return self.bbox is None and not self.ids

    def describe(self) -> str:
        parts = []
        if self.bbox is not None:
            parts.append("bbox [" + ", ".join(f"{v:g}" for v in self.bbox) + "]")
        if self.ids:
            shown = ", ".join(self.ids[:8]) + (" ..." if len(self.ids) > 8 else "")
            parts.append(f"ids [{shown}]")
        return " and ".join(parts) or "the whole map"


def _meets_box(pts: np.ndarray, box: tuple[float, float, float, float]) -> bool:
    x0, y0, x1, y1 = box
    inside = (pts[:, 0] >= x0) & (pts[:, 0] <= x1) & (pts[:, 1] >= y0) & (pts[:, 1] <= y1)
    if inside.any():
        return True
    import shapely
    from shapely.geometry import LineString

    return bool(shapely.intersects(LineString(pts), shapely.box(x0, y0, x1, y1)))


def cut_region(data: MapData, region: Region) -> MapData:
    """The part of ``data`` in ``region`` (whole lanes; references to lanes left out are dropped,
    so neighbours and successors stay within the piece). MapError when nothing is selected."""
    if region.empty:
        return data
    wanted = set(region.ids)
    keep = []
    for ln in data.lanes:
        if wanted and ln.group not in wanted and ln.id not in wanted:
            continue
        if region.bbox is not None and not _meets_box(ln.centre, region.bbox):
            continue
        keep.append(ln)
    if not keep:
        groups = sorted({ln.group for ln in data.lanes})
        hint = ""
        if region.ids:
            shown = ", ".join(groups[:12]) + (" ..." if len(groups) > 12 else "")
            hint = f"; the map's elements are: {shown}"
        if region.bbox is not None:
            pts = np.concatenate([ln.centre for ln in data.lanes])
            lo, hi = pts.min(axis=0), pts.max(axis=0)
            hint += f"; the map's lanes span x {lo[0]:.1f}..{hi[0]:.1f}, y {lo[1]:.1f}..{hi[1]:.1f} m"
        raise MapError(data.file, f"the region ({region.describe()}) selects no lane{hint}", "region")
    ids = {ln.id for ln in keep}

    def inside(x: str | None) -> str | None:
        return x if x in ids else None

    lanes = tuple(replace(ln, successors=tuple(s for s in ln.successors if s in ids), left=inside(ln.left),
                          right=inside(ln.right), opposite=tuple(o for o in ln.opposite if o in ids))
                  for ln in keep)
    stops = tuple(replace(st, lanes=tuple(x for x in st.lanes if x in ids)) for st in data.stop_lines
                  if any(x in ids for x in st.lanes))
    sigs = tuple(replace(sg, lanes=tuple(x for x in sg.lanes if x in ids)) for sg in data.signals
                 if any(x in ids for x in sg.lanes) or (not sg.lanes and sg.position is not None
                                                        and _in_box(sg.position, region.bbox)))
    areas = tuple(a for a in data.areas if region.bbox is None or _meets_box(a.points, region.bbox))
    return replace(data, lanes=lanes, stop_lines=stops, signals=sigs, areas=areas)


def _in_box(p: tuple[float, float], box) -> bool:
    if box is None:
        return False
    return box[0] <= p[0] <= box[2] and box[1] <= p[1] <= box[3]


# ------------------------------------------------------------------ to the road model


def map_network(data: MapData) -> RoadNetwork:
    """The :class:`RoadNetwork` of ``data``: one :class:`Lane` per map lane (mean width), its
    successors (dangling ones dropped), and its same-direction left / right neighbours.

    A neighbour is kept only when the relation is mutual (``a.left == b`` and ``b.right == a``) or
    one-sided but not contradicted, so the network's left/right maps stay consistent."""
    lanes = []
    for ln in data.lanes:
        try:
            lanes.append(Lane(ln.id, ln.centre, ln.width, headings=ln.headings))
        except RoadError as exc:
            raise MapError(data.file, str(exc), ln.source or f"lane {ln.id}") from None
    ids = {ln.id for ln in data.lanes}
    succ = {ln.id: tuple(dict.fromkeys(s for s in ln.successors if s in ids and s != ln.id)) for ln in data.lanes}
    left: dict[str, str | None] = {}
    right: dict[str, str | None] = {}
    by_id = {ln.id: ln for ln in data.lanes}
    for ln in data.lanes:
        for side, other_side, out in (("left", "right", left), ("right", "left", right)):
            n = getattr(ln, side)
            if n is None or n not in ids or n == ln.id:
                continue
            back = getattr(by_id[n], other_side)
            if back is None or back == ln.id:
                out[ln.id] = n
    # symmetric closure: a one-sided "a.left = b" also makes b.right = a unless b says otherwise
    for a, b in list(left.items()):
        if b is not None and right.get(b) is None:
            right[b] = a
    for a, b in list(right.items()):
        if b is not None and left.get(b) is None:
            left[b] = a
    return RoadNetwork(lanes, successors=succ, left=left, right=right)
