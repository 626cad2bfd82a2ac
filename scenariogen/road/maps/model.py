"""The format-neutral description of an imported map, and its conversion to a :class:`RoadNetwork`.

Every reader (:mod:`.commonroad`, :mod:`.av2`, :mod:`.opendrive`, :mod:`.lanelet2`) turns its file
into one frozen :class:`MapData`; :func:`map_network` turns that into the road model every kernel,
metric, writer and renderer already knows. Frame and units: the map's own planar frame (x east,
y north, metres; headings radians counter-clockwise from +x). What the simulator does not use yet
(stop lines, non-drivable areas, opposite-direction lanes) is kept here as plain data; the signs,
traffic lights with a plan and crosswalks become the road's right of way (:func:`map_controls`).

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
from ..rules import Controls, Crosswalk

__all__ = ["MapLane", "MapArea", "StopLine", "Signal", "MapData", "MapError", "Region", "cut_region",
           "map_network", "MapControls", "map_controls", "light_plan"]


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
    """A sign or traffic light. ``kind``: ``traffic_light``, ``stop``, ``yield``, ``priority`` (a
    priority road or right of way at the next junction), ``speed_limit`` or ``other``; ``code``:
    the format's type code (e.g. OpenDRIVE ``206``, CommonRoad ``R1-1``, Lanelet2 ``all_way_stop``);
    ``position``: (x, y) m or None when the file gives none; ``lanes``: the lane ids it applies to;
    ``value``: the sign's number (speed limits in m/s) or None. A traffic light's ``cycle``: its
    colours in order with their durations, ``(colour, s)`` with colours ``green``, ``yellow``,
    ``red``, ``redYellow`` or ``inactive``, empty when the file gives no plan; ``offset`` (s): when
    the cycle's first element begins (at time ``t`` the light shows the element at
    ``(t - offset) mod cycle``); ``active``: False for a light the file switches off. ``source``:
    where in the file (for messages)."""

    id: str
    kind: str
    code: str = ""
    position: tuple[float, float] | None = None
    lanes: tuple[str, ...] = ()
    value: float | None = None
    cycle: tuple[tuple[str, float], ...] = ()
    offset: float = 0.0
    active: bool = True
    source: str = ""


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
    successors (dangling ones dropped), its same-direction left / right neighbours, and the right
    of way of :func:`map_controls` (MapError for a signal the simulator cannot run).

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
    controls = map_controls(data).controls
    try:
        return RoadNetwork(lanes, successors=succ, left=left, right=right, controls=controls)
    except RoadError as exc:
        raise MapError(data.file, str(exc), "right of way") from None


# ------------------------------------------------------------------ right of way

#: a sign or light stands this far (m) before the end of its lane at most, else :func:`map_controls` says so
LINE_SLACK = 2.0


@dataclass(frozen=True)
class MapControls:
    """The right of way of a map (:func:`map_controls`): ``controls`` for the road network;
    ``groups``: the traffic-light ids of each signal group; ``notes``: what the map has that the
    simulator does not run, and the approximations made, ``text -> count``, for ``show``."""

    controls: Controls
    groups: tuple[tuple[str, ...], ...] = ()
    notes: tuple[tuple[str, int], ...] = ()


def light_plan(file: str, sg: Signal) -> tuple[float, float, float, float]:
    """``(start, green, amber, cycle)`` (s) of a traffic light with a ``cycle``: green from
    ``start`` into the cycle, then amber (its yellow), then red (red and red-yellow) until the cycle
    ends. MapError (file, light, what) for a cycle the simulator cannot run: an ``inactive`` element,
    no green, green twice in a cycle, or a yellow that does not follow the green."""
    where = sg.source or f"traffic light {sg.id}"
    els = [(c, float(d)) for c, d in sg.cycle if d > 0.0]
    total = sum(d for _, d in els)
    if not els or not total > 0.0:
        raise MapError(file, "the light's cycle lasts no time", where)
    colours = [c for c, _ in els]
    if "inactive" in colours:
        raise MapError(file, "a cycle with an 'inactive' element (the light switched off for part of its cycle) "
                       "is not supported", where)
    unknown = sorted(set(colours) - {"green", "yellow", "red", "redYellow"})
    if unknown:
        raise MapError(file, f"unknown light colour {unknown[0]!r} (colours: green, yellow, red, redYellow)", where)
    n = len(els)
    starts = [i for i in range(n) if colours[i] == "green" and colours[i - 1] != "green"]
    if "green" not in colours:
        raise MapError(file, "the light never shows green: a light that is always red closes its lanes, which "
                       "the simulator does not model", where)
    if len(starts) > 1:
        raise MapError(file, f"the light shows green {len(starts)} times in one cycle: the simulator runs one green "
                       "and one amber per signal group and cycle", where)
    if not starts:  # green all the time
        return 0.0, total, 0.0, total
    i0 = starts[0]
    order = [(i0 + k) % n for k in range(n)]
    green = amber = 0.0
    k = 0
    while k < n and colours[order[k]] == "green":
        green += els[order[k]][1]
        k += 1
    while k < n and colours[order[k]] == "yellow":
        amber += els[order[k]][1]
        k += 1
    if any(colours[order[j]] == "yellow" for j in range(k, n)):
        raise MapError(file, "a yellow that does not follow the green: the simulator runs green, then amber, then "
                       "red", where)
    start = (sg.offset + sum(d for _, d in els[:i0])) % total
    return start, green, amber, total


def _line_s(ln: MapLane, st: StopLine) -> float:
    """Where (m from its start, along its centre) a stop line crosses lane ``ln``."""
    import shapely
    from shapely.geometry import LineString

    centre = LineString(ln.centre)
    hit = centre.intersection(LineString(st.points))
    at = hit.representative_point() if not hit.is_empty else shapely.Point(st.points.mean(axis=0))
    return float(centre.project(at))


def map_controls(data: MapData) -> MapControls:
    """The right of way of ``data`` (its lanes as the network's), in the road model's terms: every
    control acts at the END of an approach lane (its stop line, where the junction begins).

    * A stop or yield sign gives its lanes that sign and priority level 0, below the unsigned
      approaches (level 1); a priority sign (priority road, right of way at the next junction)
      level 2. Lanelet2 ``all_way_stop`` elements: stop signs, first come first served when they are
      the map's only controls.
    * A traffic light with a cycle (CommonRoad) puts its lanes in the signal group of its timing
      (lights with the same timing share a group); its plan is the road's own (``Controls.plan``),
      one cycle per road. Signs on a lane with such a light are ignored (they are the rule when the
      lights are off). A light without a plan (OpenDRIVE, Lanelet2, a CommonRoad light without a
      cycle) or switched off is left out: its lanes keep their signs, else the turn rules apply.
    * A control on a lane inside a junction acts at the end of the lanes that lead into it.
    * Crosswalk areas near the lanes become crosswalks (their convex hull).

    MapError for what the simulator cannot run: see :func:`light_plan`, a lane under lights of
    different timings, lights of different cycle lengths."""
    by_id = {ln.id: ln for ln in data.lanes}
    preds: dict[str, list[str]] = {lid: [] for lid in by_id}
    for ln in data.lanes:
        for s in ln.successors:
            if s in preds and s != ln.id:
                preds[s].append(ln.id)
    notes: dict[str, int] = {}

    def note(text: str, n: int = 1) -> None:
        notes[text] = notes.get(text, 0) + n

    lines_of: dict[str, list[StopLine]] = {}
    for st in data.stop_lines:
        if st.signal:
            lines_of.setdefault(st.signal, []).append(st)

    def approaches(sg: Signal) -> list[str]:
        """The lanes whose end is where ``sg`` acts: its lanes, or the lanes leading into one of them
        that lies inside a junction or begins at the element's stop line (Lanelet2 refers rules to
        the lanelets in the junction)."""
        out: list[str] = []
        for lid in sg.lanes:
            ln = by_id.get(lid)
            if ln is None:
                continue
            starts_at_line = any(lid in st.lanes and (at := _line_s(ln, st)) <= LINE_SLACK and at < 0.5 * ln.length
                                 for st in lines_of.get(sg.id, ()))
            if (ln.junction or starts_at_line) and preds[lid]:
                before = [p for p in preds[lid] if not by_id[p].junction]
                if before:
                    note("signs or lights of lanes inside a junction or beginning at their stop line, moved to the "
                         "lanes that lead into them")
                    out += before
                    continue
            out.append(lid)
        return list(dict.fromkeys(out))

    # traffic lights
    timed: dict[str, list[tuple[tuple[float, float, float, float], Signal]]] = {}
    for sg in data.signals:
        if sg.kind != "traffic_light":
            continue
        if not any(lid in by_id for lid in sg.lanes):
            continue
        if not sg.active:
            note("traffic lights switched off in the file (left out)")
            continue
        if not sg.cycle:
            note("traffic lights without a signal plan in the file (left out: their lanes keep their signs, "
                 "else the turn rules apply)")
            continue
        plan = light_plan(data.file, sg)
        lanes = approaches(sg)
        if sg.code not in ("", "all"):
            note("traffic lights for some directions only (they govern every movement from their lanes)")
        for lid in lanes:
            timed.setdefault(lid, []).append((plan, sg))
    key = lambda p: tuple(round(v, 6) for v in p)  # noqa: E731
    for lid, lights in timed.items():
        if len({key(p) for p, _ in lights}) > 1:
            names = ", ".join(sg.id for _, sg in lights)
            raise MapError(data.file, f"lane {lid} has traffic lights {names} with different timings (lights for "
                           "single directions on one lane are not supported: the simulator gives a lane one signal)",
                           by_id[lid].source or f"lane {lid}")
    cycles: dict[float, Signal] = {}
    for lights in timed.values():
        for p, sg in lights:
            cycles.setdefault(round(p[3], 6), sg)
    if len(cycles) > 1:
        (c1, a), (c2, b) = sorted(cycles.items())[:2]
        raise MapError(data.file, f"traffic lights {a.id} (a cycle of {c1:g} s) and {b.id} (a cycle of {c2:g} s): "
                       "the simulator runs one signal cycle per road; cut a region whose lights share one",
                       b.source or f"traffic light {b.id}")
    plans = sorted({key(p[:3]) for lights in timed.values() for p, _ in lights})
    group_of = {p: g for g, p in enumerate(plans)}
    signal = {lid: group_of[key(lights[0][0][:3])] for lid, lights in timed.items()}
    groups = tuple(tuple(dict.fromkeys(sg.id for lights in timed.values() for p, sg in lights
                                       if group_of[key(p[:3])] == g)) for g in range(len(plans)))
    cycle = float(next(iter(cycles))) if cycles else 0.0

    # signs
    sign: dict[str, str] = {}
    all_way: set[str] = set()
    major: set[str] = set()
    for sg in data.signals:
        if sg.kind not in ("stop", "yield", "priority"):
            continue
        for lid in approaches(sg):
            if lid in signal:
                note("signs on lanes with a traffic light (ignored: they are the rule when the lights are off)")
            elif sg.kind == "priority":
                major.add(lid)
            else:
                sign[lid] = "stop" if sg.kind == "stop" or sign.get(lid) == "stop" else "yield"
                if sg.code == "all_way_stop":
                    all_way.add(lid)
    priority = {lid: 2 for lid in major if lid not in sign}
    priority.update({lid: 0 for lid in sign})
    all_way_stop = bool(sign) and set(sign) == all_way and not signal and not major
    if all_way_stop:
        priority = {}
    elif all_way:
        note("all-way stops among other controls (their lanes stop, then the turn rules apply)")

    # stop lines: the simulator stops drivers at the end of the lane (or of the lanes before it)
    for st in data.stop_lines:
        for lid in st.lanes:
            ln = by_id.get(lid)
            if ln is not None and LINE_SLACK < _line_s(ln, st) < ln.length - LINE_SLACK:
                note(f"stop lines more than {LINE_SLACK:g} m before the end of their lane (drivers stop at the "
                     "lane's end)")

    # crosswalks near the lanes
    walks = []
    if data.lanes:
        pts = np.concatenate([ln.centre for ln in data.lanes])
        lo, hi = pts.min(axis=0) - 10.0, pts.max(axis=0) + 10.0
        for a in data.areas:
            if a.kind != "crosswalk" or len(a.points) < 3:
                continue
            if (a.points.max(axis=0) < lo).any() or (a.points.min(axis=0) > hi).any():
                continue
            import shapely

            hull = shapely.MultiPoint(a.points).convex_hull
            if hull.geom_type != "Polygon" or hull.area < 0.5:
                continue
            walks.append(Crosswalk(a.id, tuple((float(x), float(y)) for x, y in hull.exterior.coords[:-1])))
    controls = Controls(sign=sign, priority=priority, all_way_stop=all_way_stop, signal=signal,
                        n_groups=len(plans), crosswalks=tuple(walks),
                        plan=tuple((float(p[0]) % cycle, float(p[1]), float(p[2])) for p in plans), cycle=cycle)
    return MapControls(controls, groups, tuple(sorted(notes.items())))
