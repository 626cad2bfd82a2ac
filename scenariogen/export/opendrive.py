"""ASAM OpenDRIVE 1.7 (.xodr) road files from the road model of a scenario spec.

Frame and units: the OpenDRIVE inertial frame is scenariogen's world frame
unchanged (x east, y north, metres; headings in radians counter-clockwise from
+x), so positions written by the ``openscenario`` writer land on this road
without any transform. Elevation is zero everywhere; no georeference.

How each road type of :mod:`scenariogen.road.builders` maps onto OpenDRIVE
(right-hand traffic: the lanes that drive along a reference line are its right
lanes, ids -1, -2, ...; lane -1 is the one next to the reference line):

* ``straight`` / ``curve``: one road (a ``line`` or an ``arc``) whose reference
  line is the LEFT edge of the leftmost lane; our lane ``"i"`` of ``n`` is
  OpenDRIVE lane ``-(n - i)``.
* ``merge``: the main road is split where the ramp joins (``merge_start``):
  road 1 before it, road 2 from it, whose first lane section carries the
  acceleration lane as lane ``-(n + 1)`` of type ``entry`` over
  ``merge_length`` and whose second section drops it; road 3 is the ramp (a
  ``line`` then an ``arc``). A *direct* junction (new in OpenDRIVE 1.7) joins
  roads 1 and 3 to road 2 without connecting roads.
* ``intersection``: four arm roads whose reference lines are the road centres,
  running from the outer end to the junction edge: the incoming lanes are
  right lanes, the outgoing ones left lanes. Every connector lane of our model
  (straight on, right turn, left turn) is one connecting road with one lane
  inside a default junction.
* ``lanes`` (explicit polylines) and ``map`` (a road imported from a map file, the lanes
  :mod:`scenariogen.road.maps` made of it): one road per lane whose reference line is the
  centreline itself (one ``line`` per polyline segment, so it matches our
  piecewise-linear centreline exactly) with a ``laneOffset`` of half the lane
  width centring lane -1 on it; a one-to-one successor becomes a road link and
  every branching or merging group of successors a direct junction. Explicit lanes that run side
  by side (``left:`` / ``right:`` neighbours) are instead one road with a lane per lane where the
  geometry allows (:func:`_bundle`): the leftmost lane is the reference line, and a lane that
  starts or ends on the right gets lane sections, so a lane drop stays one road.

Single-lane roads (ramp, connectors) use the lane's left edge as reference
line: our centreline offset by half the lane width to the left, which for a
line or an arc is again a line or an arc. Every OpenDRIVE lane names the
scenariogen lane it stands for in a ``userData`` element
(``code="scenariogen:lane"``), so a reader can match lanes back.
"""

from __future__ import annotations

import itertools
import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, replace

from ..errors import ScenarioGenError
from .xmltext import float_text as _f

__all__ = ["LANE_CODE", "REV_MINOR", "OdrNetwork", "OdrRoad", "Primitive", "opendrive_network", "xodr_bytes"]

REV_MAJOR = 1
REV_MINOR = 7
LANE_CODE = "scenariogen:lane"  # userData code naming the scenariogen lane of an OpenDRIVE lane


# ---------------------------------------------------------------- model


@dataclass(frozen=True)
class Primitive:
    """One planView geometry: start ``x``, ``y`` (m), heading ``hdg`` (rad), ``length`` (m) and
    constant ``curvature`` (1/m, positive turning left; 0 is a ``line``)."""

    x: float
    y: float
    hdg: float
    length: float
    curvature: float = 0.0

    def offset(self, d: float) -> Primitive:
        """The parallel curve ``d`` metres to the left (a line stays a line, an arc an arc)."""
        scale = 1.0 - self.curvature * d
        if scale <= 0.0:
            raise ScenarioGenError(f"cannot offset an arc of radius {1 / self.curvature:.3f} m by {d} m")
        return Primitive(self.x - d * math.sin(self.hdg), self.y + d * math.cos(self.hdg), self.hdg,
                         self.length * scale, self.curvature / scale)

    def rotated(self, angle: float) -> Primitive:
        """Rotated by ``angle`` (rad) about the origin."""
        c, s = math.cos(angle), math.sin(angle)
        return replace(self, x=c * self.x - s * self.y, y=s * self.x + c * self.y, hdg=self.hdg + angle)

    def end(self) -> tuple[float, float, float]:
        """``(x, y, hdg)`` at the end of the geometry."""
        k, L = self.curvature, self.length
        if k == 0.0:
            return self.x + L * math.cos(self.hdg), self.y + L * math.sin(self.hdg), self.hdg
        h1 = self.hdg + k * L
        return (self.x + (math.sin(h1) - math.sin(self.hdg)) / k,
                self.y - (math.cos(h1) - math.cos(self.hdg)) / k, h1)


@dataclass(frozen=True)
class OdrLane:
    """An OpenDRIVE lane: ``id`` (negative: right of the reference line, positive: left),
    ``width`` (m), ``type``, the scenariogen lane id it carries (``source``) and the ids of
    its predecessor and successor lanes (or None)."""

    id: int
    width: float
    source: str | None
    type: str = "driving"
    predecessor: int | None = None
    successor: int | None = None


@dataclass(frozen=True)
class Link:
    """A road's predecessor or successor: a road (with the contact point) or a junction."""

    element_type: str  # "road" or "junction"
    element_id: str
    contact_point: str | None = None  # "start" or "end" for roads


@dataclass(frozen=True)
class OdrRoad:
    """A road: reference line (``geometry``), lane sections ``(s, lanes)`` and links."""

    id: str
    name: str
    geometry: tuple[Primitive, ...]
    sections: tuple[tuple[float, tuple[OdrLane, ...]], ...]
    junction: str = "-1"
    predecessor: Link | None = None
    successor: Link | None = None
    lane_offset: float = 0.0  # m, constant laneOffset (lane 0 shifted left of the reference line)

    @property
    def length(self) -> float:
        return sum(g.length for g in self.geometry)


@dataclass(frozen=True)
class Connection:
    """A junction connection: ``incoming`` road to ``target`` (the connecting road of a default
    junction, the linked road of a direct one) with ``(from, to)`` lane links."""

    id: str
    incoming: str
    target: str
    lane_links: tuple[tuple[int, int], ...]
    contact_point: str = "start"


@dataclass(frozen=True)
class Junction:
    """A junction of ``type`` ``default`` (with connecting roads) or ``direct`` (OpenDRIVE 1.7)."""

    id: str
    name: str
    type: str
    connections: tuple[Connection, ...]


@dataclass(frozen=True)
class OdrNetwork:
    """The roads and junctions that stand for one scenariogen road network."""

    roads: tuple[OdrRoad, ...]
    junctions: tuple[Junction, ...] = field(default=())


# ---------------------------------------------------------------- builders


def _right_lanes(ids_left_to_right: list[str], width: float, **kw) -> tuple[OdrLane, ...]:
    """Right lanes -1, -2, ... for our lanes listed from the reference line outwards."""
    return tuple(OdrLane(-(k + 1), width, lid, **kw) for k, lid in enumerate(ids_left_to_right))


def _straight(sp) -> OdrNetwork:
    n, w = sp.lanes, sp.lane_width
    ref = Primitive(0.0, (n - 0.5) * w, 0.0, sp.length)
    lanes = _right_lanes([str(i) for i in reversed(range(n))], w)
    return OdrNetwork((OdrRoad("1", "straight", (ref,), ((0.0, lanes),)),))


def _curve(sp) -> OdrNetwork:
    n, w = sp.lanes, sp.lane_width
    angle = math.radians(sp.angle_deg)
    sign = 1.0 if angle > 0 else -1.0
    centre0 = Primitive(0.0, 0.0, 0.0, sp.radius * abs(angle), sign / sp.radius)  # lane "0"
    ref = centre0.offset((n - 0.5) * w)
    lanes = _right_lanes([str(i) for i in reversed(range(n))], w)
    return OdrNetwork((OdrRoad("1", "curve", (ref,), ((0.0, lanes),)),))


def _merge(sp) -> OdrNetwork:
    n, w, L = sp.lanes, sp.lane_width, sp.length
    ms, ml = sp.merge_start, sp.merge_length
    alpha = math.radians(sp.ramp_angle_deg)
    top = (n - 0.5) * w
    main_ids = [str(i) for i in reversed(range(n))]
    roads = []
    conns = []
    links = tuple((-(k + 1), -(k + 1)) for k in range(n))
    if ms > 0.0:
        roads.append(OdrRoad("1", "main before the merge", (Primitive(0.0, top, 0.0, ms),),
                             ((0.0, _right_lanes(main_ids, w)),), successor=Link("junction", "100")))
        conns.append(Connection("0", "1", "2", links))
    keep = _right_lanes(main_ids, w)
    accel = OdrLane(-(n + 1), w, "accel", "entry")
    if ms + ml < L - 1e-9:  # the acceleration lane ends before the main road does
        sections = ((0.0, tuple(replace(x, successor=x.id) for x in keep) + (accel,)),
                    (ml, tuple(replace(x, predecessor=x.id) for x in keep)))
    else:
        sections = ((0.0, keep + (accel,)),)
    roads.append(OdrRoad("2", "main from the merge", (Primitive(ms, top, 0.0, L - ms),), sections,
                         predecessor=Link("junction", "100")))
    # the ramp, as the builder draws it: straight at alpha, then an arc bending into the accel lane
    blend = sp.ramp_length / 2.0
    rb = blend / alpha
    ax, ay = ms - rb * math.sin(alpha), -w - rb * (1.0 - math.cos(alpha))
    straight_len = sp.ramp_length - blend
    centre = (Primitive(ax - straight_len * math.cos(alpha), ay - straight_len * math.sin(alpha), alpha, straight_len),
              Primitive(ax, ay, alpha, blend, -1.0 / rb))
    ramp_ref = tuple(g.offset(w / 2) for g in centre)
    roads.append(OdrRoad("3", "on-ramp", _chain_s(ramp_ref), ((0.0, (OdrLane(-1, w, "ramp", "onRamp"),)),),
                         successor=Link("junction", "100")))
    conns.append(Connection("1", "3", "2", ((-1, -(n + 1)),)))
    return OdrNetwork(tuple(roads), (Junction("100", "on-ramp merge", "direct", tuple(conns)),))


def _intersection(sp) -> OdrNetwork:
    from ..road.builders import _ARM_ROTATION, _LEFT_OF, _OPPOSITE, _RIGHT_OF, ARMS

    n, w, L = sp.lanes, sp.lane_width, sp.length
    H = n * w + sp.turn_radius

    def r(i: int) -> float:  # m, distance of lane i right of the arm's centre line
        return (n - i - 0.5) * w

    arm_road = {arm: str(k + 1) for k, arm in enumerate(ARMS)}
    roads = []
    for arm in ARMS:
        ref = Primitive(0.0, -H - L, math.pi / 2, L).rotated(_ARM_ROTATION[arm])
        right = _right_lanes([f"{arm}_in_{i}" for i in reversed(range(n))], w)
        left = tuple(OdrLane(k + 1, w, f"{arm}_out_{n - 1 - k}") for k in range(n))
        roads.append(OdrRoad(arm_road[arm], f"arm {arm}", (ref,), ((0.0, left + right),),
                             successor=Link("junction", "0")))
    canon = {f"straight_{i}": Primitive(r(i), -H, math.pi / 2, 2 * H) for i in range(n)}
    canon["right"] = Primitive(r(0), -H, math.pi / 2, (H - r(0)) * math.pi / 2, -1.0 / (H - r(0)))
    canon["left"] = Primitive(r(n - 1), -H, math.pi / 2, (H + r(n - 1)) * math.pi / 2, 1.0 / (H + r(n - 1)))
    moves = [(arm, f"straight_{i}", i, _OPPOSITE[arm], i) for arm in ARMS for i in range(n)]
    moves += [(arm, "right", 0, _RIGHT_OF[arm], 0) for arm in ARMS]
    moves += [(arm, "left", n - 1, _LEFT_OF[arm], n - 1) for arm in ARMS]
    conns = []
    for k, (arm, key, i, to_arm, j) in enumerate(moves):
        cid = f"{arm}_in_{i}>{to_arm}_out_{j}"
        rid = str(1000 + k)
        ref = canon[key].offset(w / 2).rotated(_ARM_ROTATION[arm])
        lane = OdrLane(-1, w, cid, predecessor=-(n - i), successor=n - j)
        roads.append(OdrRoad(rid, cid, (ref,), ((0.0, (lane,)),), junction="0",
                             predecessor=Link("road", arm_road[arm], "end"),
                             successor=Link("road", arm_road[to_arm], "end")))
        conns.append(Connection(str(k), arm_road[arm], rid, ((-(n - i), -1),)))
    return OdrNetwork(tuple(roads), (Junction("0", "intersection", "default", tuple(conns)),))


def _polylines(sp) -> OdrNetwork:
    from ..road.builders import polylines

    net = polylines(sp.polylines)
    bundles = [b for b in map(lambda c: _bundle(net, c), _side_by_side(net)) if b is not None]
    taken = {lid for chain, _ in bundles for lid in chain}
    rest = _lane_roads(net, skip=taken)
    roads = list(rest.roads)
    for k, (_chain, road) in enumerate(bundles):
        roads.append(replace(road, id=str(len(net.lane_ids) + 1 + k)))
    return OdrNetwork(tuple(roads), rest.junctions)


GEOM_TOL = 0.01  # m, how far a lane may be from where one road with several lanes would put it


def _side_by_side(net) -> list[list[str]]:
    """The chains of lanes joined by left/right neighbours, each listed from its leftmost lane."""
    chains = []
    for lid in net.lane_ids:
        if net.left(lid) is None and net.right(lid) is not None:
            chain = [lid]
            while (nxt := net.right(chain[-1])) is not None and nxt not in chain:
                chain.append(nxt)
            chains.append(chain)
    return chains


def _bundle(net, chain: list[str]) -> tuple[list[str], OdrRoad] | None:
    """One road with a lane per lane of ``chain`` (listed left to right), or None where the geometry or
    the links do not allow it: the leftmost lane runs the whole length and is the reference line (its
    centreline, with a laneOffset of half its width), every other lane runs parallel to it at the
    distance its neighbours' widths give (within :data:`GEOM_TOL`) over one stretch of it, the
    lanes present in each lane section are the leftmost ones (a lane may start or end on the right:
    a lane drop), and no lane of the chain has a successor or a predecessor (each would need its
    own road link)."""
    from shapely.geometry import LineString
    from shapely.ops import unary_union

    if any(net.successors(lid) or net.predecessors(lid) for lid in chain):
        return None
    spine = net.lane(chain[0]).centerline
    xy = list(spine.coords)
    geom = [Primitive(x0, y0, math.atan2(y1 - y0, x1 - x0), math.hypot(x1 - x0, y1 - y0))
            for (x0, y0), (x1, y1) in itertools.pairwise(xy)]
    geom = list(_chain_s(tuple(geom)))
    starts = list(itertools.accumulate([0.0] + [g.length for g in geom]))
    spans = {chain[0]: (0.0, spine.length)}
    offset = 0.0  # m, from the reference line (the leftmost lane's centre) to this lane's centre
    for prev, lid in itertools.pairwise(chain):
        offset += net.lane(prev).width / 2 + net.lane(lid).width / 2
        line = net.lane(lid).centerline
        s0, s1 = spine.project(_point(line.coords[0])), spine.project(_point(line.coords[-1]))
        if s1 - s0 < 1.0:
            return None
        # where the one road would put this lane: each reference piece over [s0, s1], moved right
        model = []
        for g, a in zip(geom, starts):
            lo, hi = max(a, s0), min(a + g.length, s1)
            if hi > lo:
                x0, y0, h = g.x + (lo - a) * math.cos(g.hdg), g.y + (lo - a) * math.sin(g.hdg), g.hdg
                p0 = (x0 + offset * math.sin(h), y0 - offset * math.cos(h))
                model.append(LineString([p0, (p0[0] + (hi - lo) * math.cos(h), p0[1] + (hi - lo) * math.sin(h))]))
        if not model or unary_union(model).hausdorff_distance(line) > GEOM_TOL:
            return None
        spans[lid] = (s0, s1)
    cuts = sorted({round(v, 6) for span in spans.values() for v in span})
    sections = []
    for a, b in itertools.pairwise(cuts):
        present = [lid for lid in chain if spans[lid][0] <= a + 1e-6 and spans[lid][1] >= b - 1e-6]
        if present != chain[:len(present)]:
            return None  # a gap on the left of a lane would move the lanes to its right
        sections.append((a, present))
    lanes_of = []
    for k, (a, present) in enumerate(sections):
        before = set(sections[k - 1][1]) if k else set()
        after = set(sections[k + 1][1]) if k + 1 < len(sections) else set()
        lanes_of.append((a, tuple(OdrLane(-(j + 1), net.lane(lid).width, lid,
                                          predecessor=-(j + 1) if lid in before else None,
                                          successor=-(j + 1) if lid in after else None)
                                  for j, lid in enumerate(present))))
    return chain, OdrRoad("", " + ".join(chain), tuple(geom), tuple(lanes_of),
                          lane_offset=net.lane(chain[0]).width / 2)


def _point(xy):
    from shapely.geometry import Point

    return Point(xy)


def _imported(sp) -> OdrNetwork:
    from ..road import build_road

    return _lane_roads(build_road(sp))


def _lane_roads(net, skip: set[str] = frozenset()) -> OdrNetwork:
    """One road per lane of ``net`` (explicit polylines, imported maps) but those in ``skip``: see
    the module docstring."""
    ids = [lid for lid in net.lane_ids if lid not in skip]
    rid = {lid: str(k + 1) for k, lid in enumerate(ids)}
    # group successor edges that share a source or a target: each group is one road link or junction
    edges = [(a, b) for a in ids for b in net.successors(a)]
    parent = list(range(len(edges)))

    def find(e: int) -> int:
        while parent[e] != e:
            parent[e] = parent[parent[e]]
            e = parent[e]
        return e

    first: dict[tuple[str, str], int] = {}
    for e, (a, b) in enumerate(edges):
        for key in (("out", a), ("in", b)):
            if key in first:
                parent[find(e)] = find(first[key])
            else:
                first[key] = e
    groups: dict[int, list[tuple[str, str]]] = {}
    for e, edge in enumerate(edges):
        groups.setdefault(find(e), []).append(edge)
    pred: dict[str, Link] = {}
    succ: dict[str, Link] = {}
    lane_pred: dict[str, int] = {}
    lane_succ: dict[str, int] = {}
    junctions = []
    for group in groups.values():
        if len(group) == 1:
            a, b = group[0]
            succ[a], pred[b] = Link("road", rid[b], "start"), Link("road", rid[a], "end")
            lane_succ[a] = lane_pred[b] = -1
            continue
        jid = str(10_000 + len(junctions))
        conns = tuple(Connection(str(k), rid[a], rid[b], ((-1, -1),)) for k, (a, b) in enumerate(group))
        junctions.append(Junction(jid, f"lane graph node {len(junctions)}", "direct", conns))
        for a, b in group:
            succ[a], pred[b] = Link("junction", jid), Link("junction", jid)
    roads = []
    for lid in ids:
        lane = net.lane(lid)
        xy = lane.centerline.coords
        geom = []
        for (x0, y0), (x1, y1) in itertools.pairwise(xy):
            geom.append(Primitive(x0, y0, math.atan2(y1 - y0, x1 - x0), math.hypot(x1 - x0, y1 - y0)))
        odr = OdrLane(-1, lane.width, lid, predecessor=lane_pred.get(lid), successor=lane_succ.get(lid))
        roads.append(OdrRoad(rid[lid], lid, _chain_s(tuple(geom)), ((0.0, (odr,)),), predecessor=pred.get(lid),
                             successor=succ.get(lid), lane_offset=lane.width / 2))
    return OdrNetwork(tuple(roads), tuple(junctions))


def _chain_s(geom: tuple[Primitive, ...]) -> tuple[Primitive, ...]:
    """Drop zero-length pieces (OpenDRIVE lengths must be > 0)."""
    return tuple(g for g in geom if g.length > 1e-9)


_BUILDERS = {"straight": _straight, "curve": _curve, "merge": _merge, "intersection": _intersection,
             "lanes": _polylines, "map": _imported}


def opendrive_network(road_spec) -> OdrNetwork:
    """The OpenDRIVE roads and junctions for a :class:`~scenariogen.dsl.schema.RoadSpec`."""
    from ..road import build_road

    net = build_road(road_spec)  # the same validation (RoadError) as the simulator's road
    if getattr(road_spec, "lanes_reverse", 0):  # a two-way road: one road per lane, as for maps
        return _lane_roads(net)
    builder = _BUILDERS.get(road_spec.type)
    if builder is None:
        raise ScenarioGenError(f"OpenDRIVE export does not know road type {road_spec.type!r} "
                               f"(known: {', '.join(_BUILDERS)})")
    return builder(road_spec)


# ---------------------------------------------------------------- XML


def _lane_xml(parent: ET.Element, lane: OdrLane, outermost: bool) -> None:
    """A lane; its road mark is that of its outer border: solid at the road's edge, else broken."""
    el = ET.SubElement(parent, "lane", id=str(lane.id), type=lane.type, level="false")
    if lane.predecessor is not None or lane.successor is not None:
        link = ET.SubElement(el, "link")
        if lane.predecessor is not None:
            ET.SubElement(link, "predecessor", id=str(lane.predecessor))
        if lane.successor is not None:
            ET.SubElement(link, "successor", id=str(lane.successor))
    ET.SubElement(el, "width", sOffset="0", a=_f(lane.width), b="0", c="0", d="0")
    ET.SubElement(el, "roadMark", sOffset="0", type="solid" if outermost else "broken",
                  weight="standard", color="standard", width="0.12")
    if lane.source is not None:
        ET.SubElement(el, "userData", code=LANE_CODE, value=lane.source)


def _link_xml(parent: ET.Element, tag: str, link: Link) -> None:
    attrs = {"elementType": link.element_type, "elementId": link.element_id}
    if link.contact_point is not None:
        attrs["contactPoint"] = link.contact_point
    ET.SubElement(parent, tag, attrs)


def _road_xml(root: ET.Element, road: OdrRoad) -> None:
    el = ET.SubElement(root, "road", id=road.id, name=road.name, length=_f(road.length), junction=road.junction,
                       rule="RHT")
    if road.predecessor or road.successor:
        link = ET.SubElement(el, "link")
        if road.predecessor:
            _link_xml(link, "predecessor", road.predecessor)
        if road.successor:
            _link_xml(link, "successor", road.successor)
    plan = ET.SubElement(el, "planView")
    s = 0.0
    for g in road.geometry:
        geo = ET.SubElement(plan, "geometry", s=_f(s), x=_f(g.x), y=_f(g.y), hdg=_f(g.hdg), length=_f(g.length))
        if g.curvature == 0.0:
            ET.SubElement(geo, "line")
        else:
            ET.SubElement(geo, "arc", curvature=_f(g.curvature))
        s += g.length
    lanes = ET.SubElement(el, "lanes")
    if road.lane_offset:
        ET.SubElement(lanes, "laneOffset", s="0", a=_f(road.lane_offset), b="0", c="0", d="0")
    for s0, section in road.sections:
        sec = ET.SubElement(lanes, "laneSection", s=_f(s0))
        left = sorted((x for x in section if x.id > 0), key=lambda x: -x.id)
        right = sorted((x for x in section if x.id < 0), key=lambda x: -x.id)
        if left:
            side = ET.SubElement(sec, "left")
            for lane in left:
                _lane_xml(side, lane, lane is left[0])
        centre = ET.SubElement(ET.SubElement(sec, "center"), "lane", id="0", type="none", level="false")
        ET.SubElement(centre, "roadMark", sOffset="0", type="solid", weight="standard", color="standard",
                      width="0.12")
        if right:
            side = ET.SubElement(sec, "right")
            for lane in right:
                _lane_xml(side, lane, lane is right[-1])


def _junction_xml(root: ET.Element, j: Junction) -> None:
    el = ET.SubElement(root, "junction", id=j.id, name=j.name, type=j.type)
    for c in j.connections:
        attrs = {"id": c.id, "incomingRoad": c.incoming, "contactPoint": c.contact_point}
        attrs["linkedRoad" if j.type == "direct" else "connectingRoad"] = c.target
        conn = ET.SubElement(el, "connection", attrs)
        for a, b in c.lane_links:
            ET.SubElement(conn, "laneLink", {"from": str(a), "to": str(b)})


def xodr_bytes(road_spec, name: str) -> bytes:
    """The OpenDRIVE file (UTF-8 XML) for ``road_spec``, titled ``name``; the same spec always
    gives the same bytes."""
    net = opendrive_network(road_spec)
    root = ET.Element("OpenDRIVE")
    from .._version import __version__

    ET.SubElement(root, "header", revMajor=str(REV_MAJOR), revMinor=str(REV_MINOR), name=name,
                  version="1.00", vendor=f"scenariogen {__version__}")
    for road in net.roads:
        _road_xml(root, road)
    for j in net.junctions:
        _junction_xml(root, j)
    ET.indent(root, space=" ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
