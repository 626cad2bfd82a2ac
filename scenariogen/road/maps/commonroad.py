"""CommonRoad 2018b and 2020a lanelet networks (the ``<lanelet>`` part of a scenario ``.xml``).

Read (XML, ``xml.etree``):

* ``<lanelet>`` (top level): ``leftBound`` / ``rightBound`` points -> the lane's centre (mean of
  the point pairs; borders with different point counts are resampled) and its mean width;
  ``successor``; ``adjacentLeft`` / ``adjacentRight`` with ``drivingDir="same"`` -> neighbours,
  ``"opposite"`` -> ``MapLane.opposite``; ``speedLimit`` (2018b, m/s); ``laneletType`` (2020a).
  Lanelets typed ``sidewalk``, ``crosswalk`` or ``bicycleLane``, or whose ``userOneWay`` names no
  vehicle, become non-drivable areas (crosswalks ``kind='crosswalk'``).
* ``<stopLine>`` of a lanelet (2020a): its two points, or the lanelet's end when it has none.
* ``<trafficSign>`` (2020a): kind from its elements' ``trafficSignID`` (``R1-1`` / ``206`` / ``r2``
  stop, ``R1-2`` / ``205`` / ``r1`` yield, ``306`` / ``301`` priority, else the first element:
  ``R2-1`` / ``274`` speed limit with ``additionalValue`` in m/s, CommonRoad's unit), applying to the
  lanelets that reference it.
* ``<trafficLight>`` (2020a): its position, ``direction``, ``active`` and ``cycle``: the
  ``cycleElement`` colours with their durations (time steps of the file's ``timeStepSize``, in
  seconds here) and ``timeOffset``; at time step ``k`` the light shows the element at
  ``(k - timeOffset) mod cycle``, as commonroad-io computes it.
* ``<intersection>`` (2020a): the lanelets its incomings lead into (``successorsRight``,
  ``successorsStraight``, ``successorsLeft``) are junction lanes (``MapLane.junction``).

Dropped (counted in ``MapData.dropped``): obstacles, planning problems, line markings, the
intersections' ``isLeftOf`` (the turn rules come from the lane geometry).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .geometry import centre_from_bounds, dedupe, mean_width
from .model import MapArea, MapData, MapLane, Signal, StopLine
from ._xml import Numbers, parse_xml

__all__ = ["read_commonroad", "VERSIONS"]

VERSIONS = ("2018b", "2020a")
NON_DRIVABLE = {"sidewalk", "crosswalk", "bicycleLane"}
VEHICLES = {"vehicle", "car", "truck", "bus", "motorcycle", "priorityVehicle", "taxi", "train"}
SIGN_KIND = {"R1-1": "stop", "206": "stop", "r2": "stop", "R1-2": "yield", "205": "yield", "r1": "yield",
             "306": "priority", "301": "priority", "R2-1": "speed_limit", "274": "speed_limit",
             "274.1": "speed_limit"}
#: a sign of several elements is the first of these kinds it has (a stop sign with a plate is a stop sign)
SIGN_ORDER = ("stop", "yield", "priority")
COLOURS = ("green", "yellow", "red", "redYellow", "inactive")


def _points(num: Numbers, el, where: str) -> np.ndarray:
    pts = el.findall("point")
    if len(pts) < 2:
        raise num.fail(where, f"needs at least 2 <point> elements, found {len(pts)}")
    return np.array([[num.text(p.find("x"), f"{where} <point> #{i + 1}", "x"),
                      num.text(p.find("y"), f"{where} <point> #{i + 1}", "y")] for i, p in enumerate(pts)])


def read_commonroad(path: Path, data: bytes) -> MapData:
    """The lanelet network of a CommonRoad scenario file (module docstring)."""
    num = Numbers(path)
    root = parse_xml(path, data, "CommonRoad")
    if root.tag != "commonRoad":
        raise num.fail(f"root element <{root.tag}>", "not a CommonRoad file (expected a <commonRoad> root)")
    version = root.get("commonRoadVersion", "")
    if version not in VERSIONS:
        raise num.fail("<commonRoad commonRoadVersion>", f"unsupported CommonRoad version {version!r} "
                       f"(supported: {', '.join(VERSIONS)})")
    elements = root.findall("lanelet")
    if not elements:
        raise num.fail("<commonRoad>", "the file has no <lanelet> elements (no road network)")
    junction_of: dict[str, str] = {}
    n_left_of = 0
    for k, inter in enumerate(root.findall("intersection")):
        iid = inter.get("id", f"#{k + 1}")
        for inc in inter.findall("incoming"):
            n_left_of += len(inc.findall("isLeftOf"))
            for tag in ("successorsRight", "successorsStraight", "successorsLeft"):
                for ref in inc.findall(tag):
                    if ref.get("ref"):
                        junction_of.setdefault(ref.get("ref"), iid)
    raw = []
    areas = []
    dropped: dict[str, int] = {}
    seen: set[str] = set()
    for k, ll in enumerate(elements):
        lid = ll.get("id")
        where = f"<lanelet id={lid}>" if lid else f"<lanelet> #{k + 1}"
        if not lid:
            raise num.fail(where, "missing attribute 'id'")
        if lid in seen:
            raise num.fail(where, f"duplicate lanelet id {lid}")
        seen.add(lid)
        lb, rb = ll.find("leftBound"), ll.find("rightBound")
        if lb is None or rb is None:
            raise num.fail(where, "missing <leftBound> or <rightBound>")
        left = dedupe(_points(num, lb, f"{where} <leftBound>"))
        right = dedupe(_points(num, rb, f"{where} <rightBound>"))
        if len(left) < 2 or len(right) < 2:
            raise num.fail(where, "a bound has fewer than 2 distinct points")
        types = {t.text.strip() for t in ll.findall("laneletType") if t.text}
        users = {t.text.strip() for t in ll.findall("userOneWay") if t.text}
        users |= {t.text.strip() for t in ll.findall("userBidirectional") if t.text}
        if types & NON_DRIVABLE or (users and not users & VEHICLES):
            kind = "crosswalk" if "crosswalk" in types else (sorted(types & NON_DRIVABLE) or sorted(users))[0]
            areas.append(MapArea(f"lanelet {lid}", kind, np.vstack([left, right[::-1], left[:1]])))
            dropped[f"non-drivable lanelets ({kind}) kept as areas"] = dropped.get(
                f"non-drivable lanelets ({kind}) kept as areas", 0) + 1
            continue
        raw.append((lid, ll, where, left, right, types))
    drivable = {r[0] for r in raw}
    lanes = []
    stops = []
    sign_lanes: dict[str, list[str]] = {}
    light_lanes: dict[str, list[str]] = {}
    for lid, ll, where, left, right, types in raw:
        centre, width = centre_from_bounds(left, right)
        w = mean_width(centre, width)
        if not w > 0.0:
            raise num.fail(where, "the lanelet has zero width (its bounds coincide)")
        adj: dict[str, str | None] = {"left": None, "right": None}
        opposite = []
        for side in ("left", "right"):
            el = ll.find(f"adjacent{side.capitalize()}")
            if el is None or el.get("ref") is None:
                continue
            direction = el.get("drivingDir", "same")
            if direction == "same":
                adj[side] = el.get("ref")
            elif direction == "opposite":
                opposite.append(el.get("ref"))
            else:
                raise num.fail(f"{where} <adjacent{side.capitalize()}>",
                               f"drivingDir {direction!r} is neither 'same' nor 'opposite'")
        speed = None
        sl = ll.find("speedLimit")
        if sl is not None:
            speed = num.text(sl, f"{where} <speedLimit>", "speedLimit")
        for ref in ll.findall("trafficSignRef"):
            sign_lanes.setdefault(ref.get("ref", ""), []).append(lid)
        for ref in ll.findall("trafficLightRef"):
            light_lanes.setdefault(ref.get("ref", ""), []).append(lid)
        stop = ll.find("stopLine")
        if stop is not None:
            pts = stop.findall("point")
            if len(pts) >= 2:
                line = _points(num, stop, f"{where} <stopLine>")
            else:  # CommonRoad 2020a: a stop line without points lies at the lanelet's end
                line = np.array([left[-1], right[-1]])
            refs = [r.get("ref", "") for r in stop.findall("trafficSignRef") + stop.findall("trafficLightRef")]
            stops.append(StopLine(f"lanelet {lid} stop line", line, (lid,), refs[0] if refs else ""))
        lanes.append(MapLane(
            id=lid, centre=centre, width=w, width_min=float(width.min()), width_max=float(width.max()),
            successors=tuple(s.get("ref") for s in ll.findall("successor") if s.get("ref") in drivable),
            left=adj["left"] if adj["left"] in drivable else None,
            right=adj["right"] if adj["right"] in drivable else None,
            opposite=tuple(o for o in opposite if o in drivable), group=lid, junction=junction_of.get(lid, ""),
            kind=sorted(types)[0] if types else "lanelet", speed_limit=speed, source=where))
    signals = []
    for k, sign in enumerate(root.findall("trafficSign")):
        sid = sign.get("id", f"#{k + 1}")
        where = f"<trafficSign id={sid}>"
        els = sign.findall("trafficSignElement")
        codes = [(el.findtext("trafficSignID") or "").strip() for el in els]
        kinds = [SIGN_KIND.get(c, "other") for c in codes]
        pick = next((i for kd in SIGN_ORDER for i, x in enumerate(kinds) if x == kd), 0)
        code, kind = (codes[pick], kinds[pick]) if els else ("", "other")
        value = None
        if kind == "speed_limit" and els[pick].find("additionalValue") is not None:
            value = num.text(els[pick].find("additionalValue"), where, "additionalValue")  # SI: m/s
        signals.append(Signal(sid, kind, code, _position(num, sign, where), tuple(sign_lanes.get(sid, ())), value,
                              source=where))
    step = None
    for k, light in enumerate(root.findall("trafficLight")):
        sid = light.get("id", f"#{k + 1}")
        where = f"<trafficLight id={sid}>"
        cycle: list[tuple[str, float]] = []
        offset = 0.0
        cyc = light.find("cycle")
        if cyc is not None and cyc.findall("cycleElement"):
            if step is None:
                step = num.attr(root, "timeStepSize", "<commonRoad timeStepSize> (the unit of the light cycles)")
                if not step > 0.0:
                    raise num.fail("<commonRoad timeStepSize>", f"must be positive, got {step:g}")
            for i, el in enumerate(cyc.findall("cycleElement")):
                ew = f"{where} <cycleElement> #{i + 1}"
                colour = (el.findtext("color") or "").strip()
                if not colour:
                    raise num.fail(ew, "missing <color>")
                if colour not in COLOURS:
                    raise num.fail(ew, f"unknown colour {colour!r} (colours: {', '.join(COLOURS)})")
                steps = num.text(el.find("duration"), ew, "duration")
                if steps < 0:
                    raise num.fail(ew, f"<duration> must not be negative, got {steps:g}")
                cycle.append((colour, steps * step))
            if cyc.find("timeOffset") is not None:
                offset = num.text(cyc.find("timeOffset"), f"{where} <cycle>", "timeOffset") * step
        active = (light.findtext("active") or "true").strip().lower() not in ("false", "0")
        direction = (light.findtext("direction") or "all").strip()
        signals.append(Signal(sid, "traffic_light", direction, _position(num, light, where),
                              tuple(light_lanes.get(sid, ())), cycle=tuple(cycle), offset=offset, active=active,
                              source=where))
    for tag in ("obstacle", "dynamicObstacle", "staticObstacle", "planningProblem"):
        n = len(root.findall(tag))
        if n:
            dropped[f"<{tag}> elements"] = n
    if n_left_of:
        dropped["<isLeftOf> of intersections (the turn rules come from the lane geometry)"] = n_left_of
    return MapData(format="commonroad", file=str(path), version=version, lanes=tuple(lanes), areas=tuple(areas),
                   stop_lines=tuple(stops), signals=tuple(signals), dropped=tuple(sorted(dropped.items())))


def _position(num: Numbers, el, where: str) -> tuple[float, float] | None:
    pos = el.find("position")
    if pos is None or pos.find("point") is None:
        return None
    p = pos.find("point")
    return (num.text(p.find("x"), where, "x"), num.text(p.find("y"), where, "y"))
