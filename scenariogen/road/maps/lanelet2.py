"""Lanelet2 maps in OSM XML (``.osm``, as Autoware and the Lanelet2 library write them).

Read (XML, ``xml.etree``):

* Coordinates: the nodes' ``local_x`` / ``local_y`` tags (m) when every node has them (Autoware's
  convention), else ``lat`` / ``lon`` projected onto the local east-north plane (WGS84, exact
  ECEF -> ENU) about the FIRST node of the file, which is (0, 0). Lanelet2's own default is a UTM
  projection about an origin the user gives: the two frames differ by a shift and a small scale.
* ``relation`` ``type=lanelet``: ``left`` / ``right`` way members -> borders (a left bound stored
  against the right bound's direction is inverted, as Lanelet2 does), centre and mean width;
  ``subtype`` ``road`` (the default), ``highway``, ``play_street`` and ``bus_lane`` are driving
  lanes; ``crosswalk``, ``walkway``, ``bicycle_lane``, ``emergency_lane``, ``stairs`` and others
  become non-drivable areas. ``one_way=no`` adds the lanelet driven backwards (id ``<id>-reverse``).
  ``speed_limit`` (km/h) -> m/s.
* Successors: lanelet B follows A when B's bounds start at the nodes where A's end (or within
  1 cm). Neighbours: B is A's left neighbour when B's right bound is A's left bound, stored the
  same way; a shared bound used in opposite directions makes the lanelets ``opposite``. Line
  markings do not restrict neighbours (the simulator does not model lane-change permissions).
* ``relation`` ``type=regulatory_element``: ``traffic_light`` (a light at the centre of its
  ``refers`` way; Lanelet2 has no signal plans), ``traffic_sign`` (``stop`` / ``yield`` /
  ``priority`` / ``speed_limit`` from the sign type, e.g. ``de206``, ``de205``, ``de306``,
  ``usR1-1``), ``right_of_way`` (a ``yield`` sign for its ``yield`` lanelets; ``fallback=yes``
  noted in the code), ``all_way_stop`` (a stop sign for its ``yield`` lanelets, else the lanelets
  that reference it); each ``ref_line`` way is a stop line of the lanelets that reference the element.
* Ways typed ``curbstone``, ``road_border``, ``fence``, ``wall``, ``guard_rail``: non-drivable borders.

Dropped: elevation (``ele``), areas (multipolygons), line-marking types, other regulatory elements,
``right_of_way`` elements without a ``yield`` lanelet.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .geometry import centre_from_bounds, mean_width
from .model import MapArea, MapData, MapLane, Signal, StopLine
from ._xml import Numbers, parse_xml

__all__ = ["read_lanelet2", "enu"]

DRIVING = {"road", "highway", "play_street", "bus_lane"}
BORDERS = {"curbstone", "road_border", "fence", "wall", "guard_rail"}
_A, _F = 6378137.0, 1 / 298.257223563  # WGS84
_E2 = _F * (2 - _F)


def _ecef(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    la, lo = np.radians(lat), np.radians(lon)
    n = _A / np.sqrt(1 - _E2 * np.sin(la) ** 2)
    return np.stack([n * np.cos(la) * np.cos(lo), n * np.cos(la) * np.sin(lo), n * (1 - _E2) * np.sin(la)], -1)


def enu(lat: np.ndarray, lon: np.ndarray, lat0: float, lon0: float) -> np.ndarray:
    """East and north (m) of points (height 0) in the tangent plane at (``lat0``, ``lon0``) degrees."""
    d = _ecef(np.asarray(lat, float), np.asarray(lon, float)) - _ecef(np.array(lat0), np.array(lon0))
    la, lo = math.radians(lat0), math.radians(lon0)
    east = -math.sin(lo) * d[..., 0] + math.cos(lo) * d[..., 1]
    north = (-math.sin(la) * math.cos(lo) * d[..., 0] - math.sin(la) * math.sin(lo) * d[..., 1]
             + math.cos(la) * d[..., 2])
    return np.stack([east, north], -1)


def _tags(el) -> dict[str, str]:
    return {t.get("k"): t.get("v", "") for t in el.findall("tag") if t.get("k") is not None}


_SIGN_CODES = (("stop", r"(?<![0-9])206(?![0-9])|r1-1(?![0-9])|stop"),
               ("yield", r"(?<![0-9])205(?![0-9])|r1-2(?![0-9])|yield|give_?way"),
               ("priority", r"(?<![0-9])30[16](?![0-9])|priority|right_of_way"),
               ("speed_limit", r"(?<![0-9])274(?![0-9])|r2-1(?![0-9])|speed"))


def _sign_kind(code: str) -> str:
    """The kind of a Lanelet2 sign type (``de206``, ``usR1-1``, ``stop_sign``, ...)."""
    import re

    c = code.lower()
    for kind, pattern in _SIGN_CODES:
        if re.search(pattern, c):
            return kind
    return "other"


def read_lanelet2(path: Path, data: bytes) -> MapData:
    """The lanelets of a Lanelet2 OSM file (module docstring)."""
    num = Numbers(path)
    root = parse_xml(path, data, "Lanelet2 OSM")
    if root.tag != "osm":
        raise num.fail(f"root element <{root.tag}>", "not an OSM file (expected an <osm> root)")
    node_ids, lat, lon, lx, ly = [], [], [], [], []
    local = True
    for k, nd in enumerate(root.findall("node")):
        nid = nd.get("id")
        where = f"<node id={nid}>" if nid else f"<node> #{k + 1}"
        if nid is None:
            raise num.fail(where, "missing attribute 'id'")
        tags = _tags(nd)
        node_ids.append(nid)
        if "local_x" in tags and "local_y" in tags:
            lx.append(num.number(tags["local_x"], where, "tag local_x"))
            ly.append(num.number(tags["local_y"], where, "tag local_y"))
        else:
            local = False
        lat.append(num.attr(nd, "lat", where) if nd.get("lat") is not None or not local else math.nan)
        lon.append(num.attr(nd, "lon", where) if nd.get("lon") is not None or not local else math.nan)
    if not node_ids:
        raise num.fail("<osm>", "the file has no <node>")
    if local and len(lx) == len(node_ids):
        xy = np.stack([np.array(lx), np.array(ly)], 1)
        frame = "local_x/local_y"
    else:
        la, lo = np.array(lat), np.array(lon)
        if not np.all(np.isfinite(la)) or not np.all(np.isfinite(lo)):
            raise num.fail("<node>", "nodes need 'lat' and 'lon' (or local_x / local_y tags on every node)")
        xy = enu(la, lo, la[0], lo[0])
        frame = f"ENU about {la[0]:.7f}, {lo[0]:.7f}"
    node_index = {nid: i for i, nid in enumerate(node_ids)}

    ways: dict[str, tuple[list[str], dict[str, str]]] = {}
    for k, w in enumerate(root.findall("way")):
        wid = w.get("id")
        where = f"<way id={wid}>"
        if wid is None:
            raise num.fail(f"<way> #{k + 1}", "missing attribute 'id'")
        refs = [nd.get("ref") for nd in w.findall("nd")]
        for r in refs:
            if r not in node_index:
                raise num.fail(where, f"refers to node {r} that is not in the file")
        ways[wid] = (refs, _tags(w))

    def way_pts(wid: str, where: str) -> tuple[np.ndarray, list[str]]:
        if wid not in ways:
            raise num.fail(where, f"refers to way {wid} that is not in the file")
        refs = ways[wid][0]
        if len(refs) < 2:
            raise num.fail(where, f"way {wid} has fewer than 2 nodes")
        return xy[[node_index[r] for r in refs]], refs

    raw = []
    areas = []
    dropped: dict[str, int] = {}
    reg_of: dict[str, list[str]] = {}
    relations = {r.get("id"): r for r in root.findall("relation")}
    for rid, rel in relations.items():
        tags = _tags(rel)
        if tags.get("type") != "lanelet":
            continue
        where = f"<relation id={rid}> (lanelet)"
        members = {m.get("role"): m.get("ref") for m in rel.findall("member") if m.get("type") == "way"}
        if "left" not in members or "right" not in members:
            raise num.fail(where, "a lanelet needs a 'left' and a 'right' way member")
        left, lrefs = way_pts(members["left"], where)
        right, rrefs = way_pts(members["right"], where)
        inverted = False
        if (np.hypot(*(left[0] - right[0])) + np.hypot(*(left[-1] - right[-1]))
                > np.hypot(*(left[0] - right[-1])) + np.hypot(*(left[-1] - right[0]))):
            left, lrefs, inverted = left[::-1], lrefs[::-1], True
        subtype = tags.get("subtype", "road")
        if subtype not in DRIVING:
            areas.append(MapArea(f"lanelet {rid}", subtype, np.vstack([left, right[::-1], left[:1]])))
            dropped[f"non-drivable lanelets ({subtype}) kept as areas"] = dropped.get(
                f"non-drivable lanelets ({subtype}) kept as areas", 0) + 1
            continue
        speed = None
        if tags.get("speed_limit"):
            try:
                speed = float(tags["speed_limit"].split()[0]) / 3.6
            except ValueError:
                raise num.fail(where, f"tag speed_limit {tags['speed_limit']!r} is not a number (km/h)") from None
        for m in rel.findall("member"):
            if m.get("role") == "regulatory_element":
                reg_of.setdefault(m.get("ref"), []).append(rid)
        raw.append(dict(id=rid, left=left, right=right, lrefs=lrefs, rrefs=rrefs, lway=(members["left"], inverted),
                        rway=(members["right"], False), speed=speed, subtype=subtype, where=where))
        if tags.get("one_way", "yes") == "no":
            raw.append(dict(id=f"{rid}-reverse", left=right[::-1], right=left[::-1], lrefs=rrefs[::-1],
                            rrefs=lrefs[::-1], lway=(members["right"], True), rway=(members["left"], not inverted),
                            speed=speed, subtype=subtype, where=where, twin=rid))
    if not raw:
        raise num.fail("<osm>", "the file has no drivable lanelet (relations with type=lanelet, subtype road)")
    # successors: start nodes (or points within 1 cm) of each lanelet
    starts: dict[tuple, list[int]] = {}
    starts_xy: dict[tuple, list[int]] = {}
    for i, r in enumerate(raw):
        starts.setdefault((r["lrefs"][0], r["rrefs"][0]), []).append(i)
        starts_xy.setdefault(_cell(r["left"][0], r["right"][0]), []).append(i)
    by_left = {}
    by_right = {}
    for i, r in enumerate(raw):
        by_left.setdefault(r["lway"][0], []).append(i)
        by_right.setdefault(r["rway"][0], []).append(i)
    lanes = []
    for i, r in enumerate(raw):
        centre, width = centre_from_bounds(r["left"], r["right"])
        w = mean_width(centre, width)
        if not w > 0:
            raise num.fail(r["where"], "the lanelet has zero width (its bounds coincide)")
        nxt = starts.get((r["lrefs"][-1], r["rrefs"][-1])) or starts_xy.get(_cell(r["left"][-1], r["right"][-1]), [])
        succ = tuple(raw[j]["id"] for j in nxt if j != i)
        lft = [raw[j]["id"] for j in by_right.get(r["lway"][0], []) if j != i and raw[j]["rway"][1] == r["lway"][1]]
        rgt = [raw[j]["id"] for j in by_left.get(r["rway"][0], []) if j != i and raw[j]["lway"][1] == r["rway"][1]]
        opp = [raw[j]["id"] for j in by_left.get(r["lway"][0], []) if j != i and raw[j]["lway"][1] != r["lway"][1]]
        if r.get("twin"):
            opp.append(r["twin"])
        opp += [raw[j]["id"] for j in range(len(raw)) if raw[j].get("twin") == r["id"]]
        lanes.append(MapLane(id=r["id"], centre=centre, width=w, width_min=float(width.min()),
                             width_max=float(width.max()), successors=succ, left=lft[0] if lft else None,
                             right=rgt[0] if rgt else None, opposite=tuple(dict.fromkeys(opp)),
                             group=r["id"].removesuffix("-reverse"), kind=r["subtype"], speed_limit=r["speed"],
                             source=r["where"]))
    signals, stops = [], []
    drivable = {r["id"] for r in raw}
    for rid, rel in relations.items():
        tags = _tags(rel)
        if tags.get("type") != "regulatory_element":
            continue
        where = f"<relation id={rid}> (regulatory_element)"
        sub = tags.get("subtype", "")
        lanelets = tuple(reg_of.get(rid, ()))
        members = rel.findall("member")
        refers = [m.get("ref") for m in members if m.get("role") == "refers"]
        pos = None
        for ref in refers:
            if ref in ways:
                pos = tuple(float(v) for v in way_pts(ref, where)[0].mean(axis=0))
                break
            if ref in node_index:
                pos = tuple(float(v) for v in xy[node_index[ref]])
                break
        yielding = []
        for m in members:
            if m.get("role") == "yield":
                if m.get("ref") not in relations:
                    raise num.fail(where, f"its 'yield' member refers to lanelet {m.get('ref')} that is not in "
                                   "the file")
                if m.get("ref") in drivable:
                    yielding.append(m.get("ref"))
        yielding = tuple(dict.fromkeys(yielding))
        if sub == "traffic_light":
            signals.append(Signal(rid, "traffic_light", "", pos, lanelets, source=where))
        elif sub == "traffic_sign":
            code = tags.get("sign_type", "")
            for ref in refers:
                code = code or ways.get(ref, ([], {}))[1].get("subtype", "")
            kind = _sign_kind(code)
            value = None
            if kind == "speed_limit" and tags.get("sign_value"):
                try:
                    value = float(tags["sign_value"]) / 3.6
                except ValueError:
                    value = None
            signals.append(Signal(rid, kind, code, pos, lanelets, value, source=where))
        elif sub == "right_of_way":
            if not yielding:
                dropped["right_of_way elements without a 'yield' lanelet"] = dropped.get(
                    "right_of_way elements without a 'yield' lanelet", 0) + 1
                continue
            code = "right_of_way fallback" if tags.get("fallback") == "yes" else "right_of_way"
            signals.append(Signal(rid, "yield", code, pos, yielding, source=where))
        elif sub == "all_way_stop":
            signals.append(Signal(rid, "stop", "all_way_stop", pos, yielding or lanelets, source=where))
        else:
            dropped[f"regulatory elements of subtype {sub or '(none)'}"] = dropped.get(
                f"regulatory elements of subtype {sub or '(none)'}", 0) + 1
            continue
        lines = [m.get("ref") for m in members if m.get("role") == "ref_line" and m.get("ref") in ways]
        stopping = yielding if sub in ("right_of_way", "all_way_stop") and yielding else lanelets
        for k, wid in enumerate(lines):
            # an all-way stop lists its lanelets and their stop lines in the same order
            mine = (stopping[k],) if sub == "all_way_stop" and len(lines) == len(stopping) > 1 else stopping
            stops.append(StopLine(f"way {wid}", way_pts(wid, where)[0], mine, rid))
    for wid, (refs, tags) in ways.items():
        if tags.get("type") in BORDERS and len(refs) >= 2:
            areas.append(MapArea(f"way {wid}", tags["type"], xy[[node_index[r] for r in refs]], closed=False))
    n_mp = sum(1 for r in relations.values() if _tags(r).get("type") == "multipolygon")
    if n_mp:
        dropped["multipolygon areas"] = n_mp
    return MapData(format="lanelet2", file=str(path), version=frame, lanes=tuple(lanes), areas=tuple(areas),
                   stop_lines=tuple(stops), signals=tuple(signals), dropped=tuple(sorted(dropped.items())))


def _cell(a: np.ndarray, b: np.ndarray) -> tuple:
    """A 1 cm grid key of two points (successor matching where node ids differ)."""
    return tuple(int(round(v * 100)) for v in (*a, *b))
