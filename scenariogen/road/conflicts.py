"""Conflict areas: where two lanes' corridors cross, merge or diverge, and who yields there.

A lane's corridor is its centreline widened by half its width on each side (flat ends). Two lanes
that are not neighbours, not opposite and not one the continuation of the other conflict where
their corridors overlap (by more than ``MIN_AREA``): a ``crossing`` where their paths cross, a
``merging`` area where they end on a common lane, a ``diverging`` one where they start from one.
Each area has its entry and exit arc length on both lanes (the extent of the overlap along each
centreline) and a rule for each side:

1. different priority levels of the approaches (:class:`~scenariogen.road.rules.Controls`): the
   lower yields; an all-way stop: both yield, first come first served;
2. approaches in different signal groups: nobody yields (the signal separates them; a driver still
   waits while the area is held), unless a road's own plan lets both show green at once (then 3);
3. otherwise the turn rules of right-hand traffic: a left turn yields to oncoming traffic that does
   not turn left; on crossing approaches the driver with the other coming from its right yields;
   merging from the same direction is first come first served;
4. diverging: nobody yields (a driver still waits while the area is held).

Units: m, rad; turns are the heading change along a lane, positive left.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import LineString, Polygon

from .network import RoadNetwork

__all__ = ["ConflictArea", "CrosswalkCrossing", "conflict_areas", "crosswalk_crossings", "turn_of"]

MIN_AREA = 0.5  # m^2, smaller overlaps are lanes that only touch
TURN = math.pi / 4  # rad, a lane turning more than this is a left or a right turn
CONTROL_REACH = 30.0  # m of uncontrolled lanes between a controlled approach and the lane it governs
KINDS = ("crossing", "merging", "diverging")


@dataclass(frozen=True)
class ConflictArea:
    """Where ``lane_a`` and ``lane_b`` share space: from ``a_in`` to ``a_out`` (m) on lane a and
    ``b_in`` to ``b_out`` on lane b; ``kind`` in :data:`KINDS`; ``a_yields`` / ``b_yields``: that
    side gives way (both: first come first served; neither: only an occupied area stops it);
    ``polygon``: the overlap (m), for pictures."""

    lane_a: str
    lane_b: str
    a_in: float
    a_out: float
    b_in: float
    b_out: float
    kind: str
    a_yields: bool
    b_yields: bool
    polygon: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class CrosswalkCrossing:
    """Lane ``lane`` runs over crosswalk number ``crosswalk`` between ``s_in`` and ``s_out`` (m)."""

    lane: str
    s_in: float
    s_out: float
    crosswalk: int


def turn_of(net: RoadNetwork, lane_id: str) -> float:
    """Heading change (rad, positive left) from the start to the end of a lane."""
    lane = net.lane(lane_id)
    h0, h1 = float(lane.heading_at(0.0)), float(lane.heading_at(lane.length))
    return math.remainder(h1 - h0, 2.0 * math.pi)


def _corridor(net: RoadNetwork, lane_id: str) -> Polygon:
    lane = net.lane(lane_id)
    return LineString(lane.points).buffer(0.5 * lane.width, cap_style="flat")


def _controlled(net: RoadNetwork, lane_id: str) -> bool:
    c = net.controls
    return lane_id in c.sign or lane_id in c.priority or lane_id in c.signal


def _approach(net: RoadNetwork, lane_id: str) -> str:
    """The lane whose controls govern entering ``lane_id``: its first predecessor (a junction's
    connector is entered from its approach lane), or itself when it has none. When that predecessor
    has no control of its own, the controlled lane it continues (with no other lane joining) within
    ``CONTROL_REACH`` m is the approach: maps put a short lane between a stop line and the junction
    (the lanelet over the crosswalk, say)."""
    pred = net.predecessors(lane_id)
    if not pred:
        return lane_id
    first = lane = pred[0]
    gap = 0.0
    while not _controlled(net, lane):
        back = net.predecessors(lane)
        gap += net.lane(lane).length
        if len(back) != 1 or gap > CONTROL_REACH or back[0] == first:
            return first
        lane = back[0]
    return lane


def _s_range(net: RoadNetwork, lane_id: str, geom) -> tuple[float, float]:
    lane = net.lane(lane_id)
    xy = np.asarray(geom.exterior.coords)
    s, _d = lane.local_coordinates_array(xy[:, 0], xy[:, 1])
    s = np.clip(s, 0.0, lane.length)
    return float(s.min()), float(s.max())


def _yields(net: RoadNetwork, a: str, b: str, kind: str) -> tuple[bool, bool]:
    """(a yields, b yields) by the rules of the module docstring."""
    if kind == "diverging":
        return False, False
    c = net.controls
    pa, pb = _approach(net, a), _approach(net, b)
    if c.all_way_stop:
        return True, True
    la, lb = c.level(pa), c.level(pb)
    if la != lb:
        return la < lb, lb < la
    ga, gb = c.signal.get(pa, -1), c.signal.get(pb, -1)
    if ga >= 0 and gb >= 0 and ga != gb and not c.overlap(ga, gb):
        return False, False
    ha = float(net.lane(a).heading_at(0.0))
    hb = float(net.lane(b).heading_at(0.0))
    dh = math.remainder(hb - ha, 2.0 * math.pi)
    left_a, left_b = turn_of(net, a) > TURN, turn_of(net, b) > TURN
    if abs(dh) > 3.0 * TURN:  # oncoming
        if left_a != left_b:
            return left_a, left_b
        return True, True
    if abs(dh) > TURN:  # crossing: yield to the one from the right
        return math.sin(dh) > 0.0, math.sin(dh) < 0.0
    return True, True  # merging from the same direction: first come, first served


def conflict_areas(net: RoadNetwork) -> tuple[ConflictArea, ...]:
    """Every conflict area of the network, in lane order (see the module docstring)."""
    ids = net.lane_ids
    corridors = [_corridor(net, lid) for lid in ids]
    tree = shapely.STRtree(corridors)
    out = []
    for i, j in sorted({tuple(sorted(p)) for p in zip(*tree.query(corridors, predicate="intersects")) if p[0] != p[1]}):
        a, b = ids[i], ids[j]
        if b in (net.left(a), net.right(a), net.opposite(a)) or b in net.successors(a) or a in net.successors(b):
            continue
        common_next = set(net.successors(a)) & set(net.successors(b))
        common_prev = set(net.predecessors(a)) & set(net.predecessors(b))
        kind = "merging" if common_next else "diverging" if common_prev else "crossing"
        overlap = corridors[i].intersection(corridors[j])
        for part in getattr(overlap, "geoms", [overlap]):
            if part.geom_type != "Polygon" or part.area < MIN_AREA:
                continue
            a_in, a_out = _s_range(net, a, part)
            b_in, b_out = _s_range(net, b, part)
            ya, yb = _yields(net, a, b, kind)
            out.append(ConflictArea(a, b, a_in, a_out, b_in, b_out, kind, ya, yb,
                                    tuple((float(x), float(y)) for x, y in part.exterior.coords)))
    return tuple(out)


def crosswalk_crossings(net: RoadNetwork) -> tuple[CrosswalkCrossing, ...]:
    """Where each lane runs over a crosswalk of the network's controls, in lane order."""
    out = []
    walks = [Polygon(cw.polygon) for cw in net.controls.crosswalks]
    if not walks:
        return ()
    tree = shapely.STRtree(walks)  # a map may have many crosswalks: test only those near each lane
    for lid in net.lane_ids:
        corridor = _corridor(net, lid)
        for k in sorted(int(i) for i in tree.query(corridor)):
            walk = walks[k]
            overlap = corridor.intersection(walk)
            if overlap.is_empty or overlap.area < MIN_AREA:
                continue
            hull = overlap.convex_hull
            s_in, s_out = _s_range(net, lid, hull)
            out.append(CrosswalkCrossing(lid, s_in, s_out, k))
    return tuple(out)
