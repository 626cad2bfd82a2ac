"""``road:``: the road spec, the road network built from it, and lane ids checked against it."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from ...errors import RoadError
from .. import schema as S
from ..distributions import Const
from ..distparse import ValueReader
from ..limits import MAX_LANE_LENGTH, MAX_LANES, MAX_ROAD_LENGTH
from ..reader import POS, Range, did_you_mean, join_path, type_name
from ..yamlmarks import YMap

if TYPE_CHECKING:
    from ...road import RoadNetwork

_ROAD_M = Range(0.0, 10_000.0, low_open=True)  # m; roads are discretised, so keep them finite and sane

_ROAD_KEYS = {
    "straight": ("type", "lanes", "lane_width", "length", "lanes_reverse"),
    "curve": ("type", "lanes", "lane_width", "radius", "angle_deg", "lanes_reverse"),
    "merge": ("type", "lanes", "lane_width", "length", "ramp_length", "merge_start", "merge_length", "ramp_angle_deg"),
    "intersection": ("type", "lanes", "lane_width", "length", "turn_radius", "control", "crosswalks"),
    "lanes": ("type", "lanes"),
}
_ARMS = ("N", "E", "S", "W")
_CONTROLS = ("uncontrolled", "priority", "all_way_stop", "signal")
_CONTROL_KEYS = {"uncontrolled": ("type",), "priority": ("type", "major", "sign"), "all_way_stop": ("type",),
                 "signal": ("type", "phases", "all_red", "offset")}
_SIGNS = ("yield", "stop")
_LANE_KEYS = ("points", "width", "successors", "left", "right", "opposite", "sign", "priority")


def parse_road(c: ValueReader, root: YMap) -> S.RoadSpec | None:
    """The road spec, or None when the road has problems (so lane ids are not checked
    against a road built from fallback values, which would only add noise)."""
    before = len(c.problems)
    spec = _parse_road_spec(c, root)
    return spec if len(c.problems) == before else None


def _parse_road_spec(c: ValueReader, root: YMap) -> S.RoadSpec | None:
    if "road" not in root:
        c.error(root.mark, "", "missing required key 'road'")
        return None
    m = c.mapping(root["road"], c.at(root, "road"), "road")
    if m is None:
        return None
    if "from" in m:
        return _parse_map_road(c, m)
    rtype = c.text(m, "type", "road", None)
    if rtype is None:
        return None
    if rtype not in _ROAD_KEYS:
        c.error(c.at(m, "type"), "road.type", f"unknown road type '{rtype}'{did_you_mean(rtype, _ROAD_KEYS)} "
                f"(allowed: {', '.join(_ROAD_KEYS)})")
        return None
    c.keys(m, "road", _ROAD_KEYS[rtype])
    d = S.RoadSpec(type=rtype)
    if rtype == "lanes":
        return _parse_polyline_road(c, m)
    kw: dict[str, Any] = {"type": rtype}
    kw["lanes"] = int(c.number(m, "lanes", "road", 1, Range(1, 16, integer=True)))
    kw["lane_width"] = c.number(m, "lane_width", "road", d.lane_width, Range(1.0, 10.0))
    if rtype in ("straight", "merge", "intersection"):
        kw["length"] = c.number(m, "length", "road", d.length, _ROAD_M)
    if rtype in ("straight", "curve"):
        kw["lanes_reverse"] = int(c.number(m, "lanes_reverse", "road", 0, Range(0, 16, integer=True)))
    if rtype == "curve":
        kw["radius"] = c.number(m, "radius", "road", d.radius, _ROAD_M)
        kw["angle_deg"] = c.number(m, "angle_deg", "road", d.angle_deg, Range(-359.0, 359.0))
        if kw["angle_deg"] == 0:
            c.error(c.at(m, "angle_deg"), "road.angle_deg", "a curve needs a non-zero angle")
        elif kw["radius"] and kw["angle_deg"]:
            # before building: lane i's length is its radius (R -+ i * lane_width) times |angle|
            turn = math.radians(abs(kw["angle_deg"]))
            step = -kw["lane_width"] if kw["angle_deg"] > 0 else kw["lane_width"]
            radii = [kw["radius"] + i * step for i in range(kw["lanes"])]
            _check_lengths(c, m, "radius", [max(r, 0.0) * turn for r in radii], "a curve lane")
    if rtype == "merge":
        for k in ("ramp_length", "merge_length"):
            kw[k] = c.number(m, k, "road", getattr(d, k), _ROAD_M)
        kw["merge_start"] = c.number(m, "merge_start", "road", d.merge_start, Range(0.0, 10_000.0))
        kw["ramp_angle_deg"] = c.number(m, "ramp_angle_deg", "road", d.ramp_angle_deg, Range(1, 60))
    if rtype == "intersection":
        kw["turn_radius"] = c.number(m, "turn_radius", "road", d.turn_radius, Range(0.0, 10_000.0))
        if "control" in m:
            kw["control"] = _parse_control(c, m)
        if "crosswalks" in m:
            kw["crosswalks"] = _arms(c, m["crosswalks"], c.at(m, "crosswalks"), "road.crosswalks")
    return S.RoadSpec(**kw)


def _arms(c: ValueReader, body: Any, mark, path: str) -> tuple[str, ...]:
    """A list of intersection arms (N, E, S, W), each once."""
    if not isinstance(body, list):
        c.error(mark, path, f"expected a list of arms ({', '.join(_ARMS)})")
        return ()
    out: list[str] = []
    for k, a in enumerate(body):
        where = body.item_marks[k] if hasattr(body, "item_marks") else mark
        if a not in _ARMS:
            c.error(where, f"{path}[{k}]", f"unknown arm '{a}'{did_you_mean(str(a), _ARMS)} (arms: {', '.join(_ARMS)})")
        elif a in out:
            c.error(where, f"{path}[{k}]", f"arm '{a}' is listed twice")
        else:
            out.append(a)
    return tuple(out)


def _parse_control(c: ValueReader, m: YMap) -> S.JunctionControl:
    """``control:``, a control type or a mapping with its type and settings."""
    body, mark, path = m["control"], c.at(m, "control"), "road.control"
    if isinstance(body, str):
        body_type, cm = body, None
    else:
        cm = c.mapping(body, mark, path, "a control type or a mapping with 'type'")
        if cm is None:
            return S.JunctionControl()
        body_type = c.text(cm, "type", path, None)
        if body_type is None:
            return S.JunctionControl()
        mark = c.at(cm, "type")
    if body_type not in _CONTROLS:
        c.error(mark, path, f"unknown control '{body_type}'{did_you_mean(body_type, _CONTROLS)} "
                f"(controls: {', '.join(_CONTROLS)})")
        return S.JunctionControl()
    if cm is None:
        if body_type in ("priority", "signal"):
            need = "major" if body_type == "priority" else "phases"
            c.error(mark, path, f"a {body_type} junction needs its '{need}': write control: {{type: {body_type}, "
                    f"{need}: ...}}")
        return S.JunctionControl(type=body_type)
    c.keys(cm, path, _CONTROL_KEYS[body_type], ("type", "major") if body_type == "priority" else
           ("type", "phases") if body_type == "signal" else ("type",))
    if body_type == "priority":
        major = _arms(c, cm.get("major"), c.at(cm, "major"), join_path(path, "major")) if "major" in cm else ()
        if "major" in cm and not major and isinstance(cm.get("major"), list):
            c.error(c.at(cm, "major"), join_path(path, "major"), "name the major road's arms")
        sign = c.text(cm, "sign", path, "yield")
        if sign not in _SIGNS:
            c.error(c.at(cm, "sign"), join_path(path, "sign"), f"unknown sign '{sign}' (signs: {', '.join(_SIGNS)})")
        return S.JunctionControl(type="priority", major=major, sign=sign)
    if body_type == "signal":
        phases = []
        body_p = cm.get("phases")
        pp = join_path(path, "phases")
        if not isinstance(body_p, list) or not body_p:
            c.error(c.at(cm, "phases"), pp, "expected a list of phases, each {arms: [...], green: s, amber: s}")
        else:
            seen: set[str] = set()
            for k, ph in enumerate(body_p):
                kp = f"{pp}[{k}]"
                phm = c.mapping(ph, body_p.item_marks[k], kp)
                if phm is None:
                    continue
                c.keys(phm, kp, ("arms", "green", "amber"), ("arms",))
                arms = _arms(c, phm.get("arms"), c.at(phm, "arms"), join_path(kp, "arms")) if "arms" in phm else ()
                for a in arms:
                    if a in seen:
                        c.error(c.at(phm, "arms"), join_path(kp, "arms"), f"arm '{a}' is in two phases")
                    seen.add(a)
                d = S.SignalPhase(arms=arms)
                phases.append(S.SignalPhase(arms=arms, green=c.value(phm, "green", kp, 25.0, Range(1.0, 600.0)) or d.green,
                                            amber=c.value(phm, "amber", kp, 3.0, Range(0.0, 60.0)) or d.amber))
        return S.JunctionControl(type="signal", phases=tuple(phases),
                                 all_red=c.value(cm, "all_red", path, 1.0, Range(0.0, 60.0)) or Const(1.0),
                                 offset=c.value(cm, "offset", path, 0.0, Range(0.0, 3600.0)) or Const(0.0))
    return S.JunctionControl(type=body_type)


def _parse_polyline_road(c: ValueReader, m: YMap) -> S.RoadSpec | None:
    body = m.get("lanes")
    mark = c.at(m, "lanes")
    if not isinstance(body, YMap) or not body:
        c.error(mark, "road.lanes", "expected a mapping of lane id -> {points, width, successors}")
        return None
    if len(body) > MAX_LANES:
        c.error(mark, "road.lanes", f"{len(body)} lanes; a road has at most {MAX_LANES}")
        return None
    lanes = []
    total = 0.0
    for lid, lm in body.items():
        path = f"road.lanes.{lid}"
        lmap = c.mapping(lm, body.value_marks[lid], path)
        if lmap is None:
            continue
        c.keys(lmap, path, _LANE_KEYS, ("points",))
        pts = c.points(lmap.get("points"), c.at(lmap, "points"), join_path(path, "points"), 2) if "points" in lmap else None
        width = c.number(lmap, "width", path, 3.5, POS)
        succ = lmap.get("successors", [])
        succ_ids: list[str] = []
        if not isinstance(succ, list):
            c.error(c.at(lmap, "successors"), join_path(path, "successors"), "expected a list of lane ids")
        else:
            succ_ids = [str(s) for s in succ]
        for i, s in enumerate(succ_ids):
            if s not in body:
                c.error(lmap["successors"].item_marks[i], f"{path}.successors[{i}]",
                        f"unknown lane '{s}'{did_you_mean(s, body)}")
        side = {}
        for k in ("left", "right", "opposite"):
            if k in lmap:
                v = str(lmap[k])
                if v not in body:
                    c.error(lmap.value_marks[k], join_path(path, k), f"unknown lane '{v}'{did_you_mean(v, body)}")
                side[k] = v
        sign = c.text(lmap, "sign", path, None) if "sign" in lmap else None
        if sign is not None and sign not in _SIGNS:
            c.error(lmap.value_marks["sign"], join_path(path, "sign"), f"unknown sign '{sign}' (signs: "
                    f"{', '.join(_SIGNS)})")
            sign = None
        priority = int(c.number(lmap, "priority", path, 1, Range(0, 9, integer=True)))
        if pts is not None:
            # checked before building: a long lane is resampled every 0.5 m by the simulator
            length = sum(math.hypot(x1 - x0, y1 - y0) for (x0, y0), (x1, y1) in zip(pts, pts[1:]))
            total += length
            if length > MAX_LANE_LENGTH:
                c.error(c.at(lmap, "points"), join_path(path, "points"), f"lane '{lid}' is {_km(length)} long; a lane "
                        f"is at most {_km(MAX_LANE_LENGTH)}")
            lanes.append(S.PolylineLaneSpec(str(lid), pts, width, tuple(succ_ids), side.get("left"), side.get("right"),
                                            side.get("opposite"), sign, priority))
    by_id = {ln.id: ln for ln in lanes}
    for ln in lanes:  # neighbours drive the same way; opposite lanes the other way
        lmap = body[ln.id]
        for k in ("left", "right", "opposite"):
            other = getattr(ln, k)
            if other in by_id and _against(ln.points, by_id[other].points) != (k == "opposite"):
                why = ("drives the other way: lanes of opposite directions are not neighbours (declare it "
                       f"'opposite: {other}')") if k != "opposite" else "drives the same way (make it a left or right neighbour)"
                c.error(lmap.value_marks[k], join_path(f"road.lanes.{ln.id}", k), f"lane '{other}' {why}")
    if total > MAX_ROAD_LENGTH:
        c.error(mark, "road.lanes", f"the lanes are {_km(total)} long together; a road has at most "
                f"{_km(MAX_ROAD_LENGTH)} of lanes")
    return S.RoadSpec(type="lanes", polylines=tuple(lanes))


def _against(a: tuple, b: tuple) -> bool:
    """True if polyline ``b`` runs against ``a`` near ``a``'s middle (headings more than 90 degrees apart)."""
    pa, pb = np.asarray(a, float), np.asarray(b, float)
    mid = len(pa) // 2
    ka = max(mid - 1, 0)
    da = pa[min(ka + 1, len(pa) - 1)] - pa[ka]
    kb = int(np.argmin(((pb - pa[mid]) ** 2).sum(axis=1)))
    kb = min(kb, len(pb) - 2)
    db = pb[kb + 1] - pb[kb]
    return float(da @ db) < 0.0


_MAP_KEYS = ("from", "format", "region")
_MAP_FORMATS = ("opendrive", "lanelet2", "commonroad", "av2")


def _parse_map_road(c: ValueReader, m: YMap) -> S.RoadSpec | None:
    """``road: {from: PATH, format: ..., region: {bbox: [x0, y0, x1, y1], ids: [...]}}``: a road imported
    from a map file, its path relative to the scenario file (to the working directory for a text
    without a file)."""
    import hashlib
    from pathlib import Path

    c.keys(m, "road", _MAP_KEYS)
    raw = m["from"]
    if not isinstance(raw, str) or not raw.strip():
        c.error(c.at(m, "from"), "road.from", f"expected the path of a map file, got {type_name(raw)}")
        return None
    fmt = ""
    if "format" in m:
        fmt = c.text(m, "format", "road", "") or ""
        if fmt and fmt not in _MAP_FORMATS:
            c.error(c.at(m, "format"), "road.format", f"unknown map format '{fmt}'{did_you_mean(fmt, _MAP_FORMATS)} "
                    f"(allowed: {', '.join(_MAP_FORMATS)})")
            return None
    bbox, ids = None, ()
    if "region" in m:
        r = c.mapping(m["region"], c.at(m, "region"), "road.region", "a mapping {bbox: [min_x, min_y, max_x, max_y], "
                      "ids: [...]}")
        if r is None:
            return None
        c.keys(r, "road.region", ("bbox", "ids"))
        if "bbox" in r:
            vals = c.numbers(r["bbox"], c.at(r, "bbox"), "road.region.bbox")
            if vals is None:
                return None
            if len(vals) != 4 or not (vals[0] < vals[2] and vals[1] < vals[3]):
                c.error(c.at(r, "bbox"), "road.region.bbox", "expected [min_x, min_y, max_x, max_y] (m) with "
                        "min_x < max_x and min_y < max_y")
                return None
            bbox = (vals[0], vals[1], vals[2], vals[3])
        if "ids" in r:
            body = r["ids"]
            if not isinstance(body, list) or not body or any(isinstance(v, (bool, float)) or not isinstance(v, (int, str))
                                                             for v in body):
                c.error(c.at(r, "ids"), "road.region.ids", "expected a non-empty list of road, lanelet or lane ids")
                return None
            ids = tuple(str(v) for v in body)
        if bbox is None and not ids:
            c.error(c.at(m, "region"), "road.region", "give 'bbox', 'ids' or both (or leave 'region' out for the "
                    "whole map)")
            return None
    base = Path(c.file).parent if not c.file.startswith("<") else Path.cwd()
    path = Path(raw).expanduser()
    resolved = path if path.is_absolute() else base / path
    try:
        data = resolved.read_bytes()
    except OSError as exc:
        why = "no such file" if isinstance(exc, FileNotFoundError) else (exc.strerror or str(exc))
        rel = "" if path.is_absolute() else f" (relative to {'the scenario file' if not c.file.startswith('<') else 'the working directory'}: {resolved})"
        c.error(c.at(m, "from"), "road.from", f"cannot read map '{raw}'{rel}: {why}")
        return None
    return S.RoadSpec(type="map", map_path=raw, map_format=fmt, region_bbox=bbox, region_ids=ids,
                      map_sha256=hashlib.sha256(data).hexdigest(), map_file=str(resolved.resolve()))


def _km(metres: float) -> str:
    return f"{metres / 1000:,.1f} km"


def _check_lengths(c: ValueReader, m: YMap, key: str, lengths: list[float], example: str) -> bool:
    """Lane ``lengths`` (m) against the limits, reported at ``key`` of the road mapping ``m``."""
    longest, total = max(lengths, default=0.0), sum(lengths)
    if longest > MAX_LANE_LENGTH:
        c.error(c.at(m, key), join_path("road", key), f"makes {example} {_km(longest)} long; a lane is at most "
                f"{_km(MAX_LANE_LENGTH)}")
        return False
    if total > MAX_ROAD_LENGTH:
        c.error(c.at(m, key), join_path("road", key), f"makes {len(lengths)} lanes {_km(total)} long together; a "
                f"road has at most {_km(MAX_ROAD_LENGTH)} of lanes")
        return False
    return True


def build_network(c: ValueReader, root: YMap, road: S.RoadSpec | None) -> RoadNetwork | None:
    """The road network of ``road``, or None (impossible geometry is reported at ``road``)."""
    if road is None:
        return None
    from ...road import build_road  # the road package depends on dsl.schema only

    try:
        net = build_road(road)
    except RoadError as exc:
        if road.type == "map":
            m = root["road"]
            key = "region" if getattr(exc, "where", "") == "region" and "region" in m else "from"
            c.error(c.at(m, key), f"road.{key}", f"cannot import map '{road.map_path}': {exc}")
        else:
            c.error(c.at(root, "road"), "road", f"impossible road geometry: {exc}")
        return None
    if road.type == "map":
        lengths = [net.lane(lid).length for lid in net.lanes]
        longest = max(lengths)
        if len(lengths) > MAX_LANES or longest > MAX_LANE_LENGTH or sum(lengths) > MAX_ROAD_LENGTH:
            what = (f"{len(lengths)} lanes (at most {MAX_LANES})" if len(lengths) > MAX_LANES else
                    f"a lane {_km(longest)} long (at most {_km(MAX_LANE_LENGTH)})" if longest > MAX_LANE_LENGTH else
                    f"{_km(sum(lengths))} of lanes (at most {_km(MAX_ROAD_LENGTH)})")
            c.error(c.at(root["road"], "from"), "road.from", f"the imported road has {what}; cut a piece out of the "
                    "map with 'region: {bbox: [min_x, min_y, max_x, max_y]}' or 'region: {ids: [...]}'")
            return None
        return net
    if road.type in ("straight", "merge", "intersection"):  # curves and polylines are checked before building
        lengths = [net.lane(lid).length for lid in net.lanes]
        # arms and main lanes grow with 'length'; an intersection's connectors with 'turn_radius'
        key = "length"
        if road.type == "intersection" and max(lengths) > MAX_LANE_LENGTH >= road.length:
            key = "turn_radius"
        if not _check_lengths(c, root["road"], key, lengths, "a lane"):
            return None
    return net


def lane_ref(c: ValueReader, m: YMap, key: str, path: str, net: RoadNetwork | None, required: bool = True) -> str | None:
    """The lane id at ``key``, checked against the network when there is one."""
    if key not in m:
        if required:
            c.error(m.mark, path, f"missing required key '{key}'")
        return None
    v = m[key]
    if isinstance(v, bool) or not isinstance(v, (int, str)):
        c.error(c.at(m, key), join_path(path, key), f"expected a lane id, got {type_name(v)}")
        return None
    lid = str(v)
    if net is not None and lid not in net.lanes:
        ids = list(net.lanes)
        shown = ", ".join(ids[:12]) + (" ..." if len(ids) > 12 else "")
        c.error(c.at(m, key), join_path(path, key), f"unknown lane '{lid}'{did_you_mean(lid, ids)} (lanes: {shown})")
        return None
    return lid
