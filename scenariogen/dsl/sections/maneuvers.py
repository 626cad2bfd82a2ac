"""``maneuver:``/``maneuvers:`` of an actor and the triggers that start them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import schema as S
from ..distparse import ValueReader
from ..distributions import Const
from ..limits import MAX_MANEUVERS, MAX_PATH_POINTS
from ..reader import NONNEG, POS, Range, did_you_mean, join_path, type_name
from ..yamlmarks import Mark, YMap, YSeq
from .road import lane_ref

if TYPE_CHECKING:
    from ...road import RoadNetwork

_MANEUVERS = {
    "lane_change": ("to", "start", "duration"),
    "cut_in": ("to", "start", "duration"),
    "hard_brake": ("start", "decel", "duration"),
    "stop": ("start", "decel"),
    "cross": ("start", "path", "speed"),
}


def _parse_trigger(c: ValueReader, m: YMap, path: str, actor: str, actors: dict) -> S.Trigger:
    default = S.Trigger("time", Const(0.0))
    if "start" not in m:
        return default
    body = m["start"]
    mark = c.at(m, "start")
    p = join_path(path, "start")
    if not isinstance(body, YMap) or any(k in body for k in ("uniform", "normal", "lognormal", "choice", "poisson")):
        v = c.value_node(body, mark, p, NONNEG)
        return S.Trigger("time", v) if v is not None else default
    kinds = ("time", "distance_to", "time_gap_to")
    c.keys(body, p, kinds + ("below",))
    given = [k for k in kinds if k in body]
    if len(given) != 1:
        c.error(body.mark, p, "a trigger has exactly one of 'time', 'distance_to' (with 'below') or 'time_gap_to' (with 'below')")
        return default
    kind = given[0]
    if kind == "time":
        v = c.value(body, "time", p, None, NONNEG)
        return S.Trigger("time", v) if v is not None else default
    other = body[kind]
    omark = body.value_marks[kind]
    if not isinstance(other, str):
        c.error(omark, join_path(p, kind), f"expected an actor name, got {type_name(other)}")
        return default
    if other == actor:
        c.error(omark, join_path(p, kind), f"trigger of '{actor}' references '{actor}' itself; name another actor")
        return default
    if other not in actors:
        c.error(omark, join_path(p, kind), f"unknown actor '{other}'{did_you_mean(other, actors)}")
        return default
    v = c.value(body, "below", p, None, POS)
    if v is None:
        return default
    return S.Trigger("distance" if kind == "distance_to" else "time_gap", v, other)


def parse_maneuvers(c: ValueReader, parent: YMap, path: str, actor: str, actors: dict, net: RoadNetwork | None,
                    start_lane: str | None) -> tuple[S.ManeuverSpec, ...]:
    if "maneuver" in parent and "maneuvers" in parent:
        c.error(parent.key_marks["maneuvers"], join_path(path, "maneuvers"),
                "give either 'maneuver' (one) or 'maneuvers' (a list), not both")
    key = "maneuver" if "maneuver" in parent else "maneuvers" if "maneuvers" in parent else None
    if key is None:
        return ()
    body = parent[key]
    items: list[tuple[Any, Mark, str]] = []
    if isinstance(body, YSeq):
        items = [(b, mk, f"{path}.{key}[{i}]") for i, (b, mk) in enumerate(zip(body, body.item_marks))]
    else:
        items = [(body, c.at(parent, key), join_path(path, key))]
    if len(items) > MAX_MANEUVERS:
        c.error(c.at(parent, key), join_path(path, key), f"an actor has at most {MAX_MANEUVERS} manoeuvres, "
                f"this one {len(items)}")
        items = items[:MAX_MANEUVERS]
    out = []
    for b, mk, p in items:
        m = c.mapping(b, mk, p, "a manoeuvre mapping such as {lane_change: {...}}")
        if m is None:
            continue
        if len(m) != 1:
            c.error(m.mark, p, f"a manoeuvre has exactly one of {', '.join(_MANEUVERS)}")
            continue
        (mtype,) = m.keys()
        mp = join_path(p, mtype)
        if mtype not in _MANEUVERS:
            c.error(m.key_marks[mtype], mp, f"unknown manoeuvre '{mtype}'{did_you_mean(mtype, _MANEUVERS)} (allowed: {', '.join(_MANEUVERS)})")
            continue
        mm = c.mapping(m[mtype], m.value_marks[mtype], mp)
        if mm is None:
            continue
        c.keys(mm, mp, _MANEUVERS[mtype])
        trig = _parse_trigger(c, mm, mp, actor, actors)
        if mtype in ("lane_change", "cut_in"):
            to = lane_ref(c, mm, "to", mp, net)
            if to is not None and net is not None and start_lane is not None:
                ahead = [start_lane] + sorted(net.reachable(start_lane) - {start_lane})
                near = {x for lane in ahead for x in (net.left(lane), net.right(lane)) if x}
                if to not in near:
                    c.error(c.at(mm, "to"), join_path(mp, "to"),
                            f"lane '{to}' is not next to lane '{start_lane}' or any lane it leads to "
                            f"(reachable neighbours: {', '.join(sorted(near)) or 'none'})")
            dur = c.value(mm, "duration", mp, 3.0, POS)
            out.append(S.ManeuverSpec("lane_change", trig, to=to, duration=dur or Const(3.0)))
        elif mtype in ("hard_brake", "stop"):
            decel = c.value(mm, "decel", mp, 8.0 if mtype == "hard_brake" else 3.0, Range(0.0, 15.0, low_open=True))
            dur = c.value(mm, "duration", mp, 0.0, NONNEG) if mtype == "hard_brake" else Const(0.0)
            out.append(S.ManeuverSpec(mtype, trig, decel=decel or Const(8.0), duration=dur or Const(0.0)))
        else:  # cross
            pts = c.points(mm.get("path"), c.at(mm, "path"), join_path(mp, "path"), 2) if "path" in mm else None
            if "path" not in mm:
                c.error(mm.mark, mp, "missing required key 'path'")
            elif pts is not None and len(pts) > MAX_PATH_POINTS:
                c.error(c.at(mm, "path"), join_path(mp, "path"), f"a path has at most {MAX_PATH_POINTS} points, "
                        f"this one {len(pts)}")
                pts = None
            speed = c.value(mm, "speed", mp, 1.4, POS)
            if pts is not None:
                out.append(S.ManeuverSpec("cross", trig, speed=speed or Const(1.4), path=pts))
    return tuple(out)
