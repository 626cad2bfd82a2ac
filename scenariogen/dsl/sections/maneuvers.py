"""``maneuver:``/``maneuvers:`` of an actor and the triggers that start them."""

from __future__ import annotations

from dataclasses import replace
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
    "lane_change": ("to", "start", "duration", "gap_check"),
    "cut_in": ("to", "start", "duration", "gap_check"),
    "offset": ("to", "start", "duration", "gap_check"),
    "hard_brake": ("start", "decel", "duration"),
    "stop": ("start", "decel"),
    "cross": ("start", "path", "speed"),
}


DEFAULT_CLEAR = 8.0  # s the oncoming lane must be free for an offset with gap_check: true
# manoeuvres that never finish in the simulator, so nothing can come 'after_previous' of them
_NEVER_END = {"stop": "never finishes (it holds the actor at a standstill to the end)"}
_KINDS = ("time", "distance_to", "time_gap_to", "after_previous")
_DIST_KEYS = ("uniform", "normal", "lognormal", "choice", "poisson")


def _parse_condition(c: ValueReader, body: YMap, p: str, actor: str, actors: dict, prev: str | None,
                     extra: tuple[str, ...] = ()) -> S.Trigger | None:
    """One condition: exactly one of ``time``, ``distance_to``/``time_gap_to`` (with ``below``) or
    ``after_previous`` (the delay in s after the actor's previous manoeuvre, of type ``prev``, finished;
    None: this is the actor's first manoeuvre)."""
    c.keys(body, p, _KINDS + ("below",) + extra)
    given = [k for k in _KINDS if k in body]
    if len(given) != 1:
        c.error(body.mark, p, "a trigger condition has exactly one of 'time', 'distance_to' (with 'below'), "
                "'time_gap_to' (with 'below') or 'after_previous'")
        return None
    kind = given[0]
    if kind in ("time", "after_previous"):
        if kind == "after_previous" and prev is None:
            c.error(body.key_marks[kind], join_path(p, kind), "'after_previous' needs a manoeuvre before this one")
            return None
        if kind == "after_previous" and prev in _NEVER_END:
            c.error(body.key_marks[kind], join_path(p, kind), f"'after_previous' follows a '{prev}', which "
                    f"{_NEVER_END[prev]}: this condition would never hold; start this manoeuvre at a time or "
                    "on another condition")
            return None
        v = c.value(body, kind, p, None, NONNEG)
        return S.Trigger(kind, v) if v is not None else None
    other = body[kind]
    omark = body.value_marks[kind]
    if not isinstance(other, str):
        c.error(omark, join_path(p, kind), f"expected an actor name, got {type_name(other)}")
        return None
    if other == actor:
        c.error(omark, join_path(p, kind), f"trigger of '{actor}' references '{actor}' itself; name another actor")
        return None
    if other not in actors:
        c.error(omark, join_path(p, kind), f"unknown actor '{other}'{did_you_mean(other, actors)}")
        return None
    v = c.value(body, "below", p, None, POS)
    if v is None:
        return None
    return S.Trigger("distance" if kind == "distance_to" else "time_gap", v, other)


def _parse_trigger(c: ValueReader, m: YMap, path: str, actor: str, actors: dict, prev: str | None) -> S.Trigger:
    """``start:`` of a manoeuvre: a time, one condition, or ``any``/``all`` of two, each with an
    optional ``timeout`` (s)."""
    default = S.Trigger("time", Const(0.0))
    if "start" not in m:
        return default
    body = m["start"]
    mark = c.at(m, "start")
    p = join_path(path, "start")
    if not isinstance(body, YMap) or any(k in body for k in _DIST_KEYS):
        v = c.value_node(body, mark, p, NONNEG)
        return S.Trigger("time", v) if v is not None else default
    timeout = c.value(body, "timeout", p, None, POS) if "timeout" in body else None
    combos = [k for k in ("any", "all") if k in body]
    if not combos:
        trig = _parse_condition(c, body, p, actor, actors, prev, ("timeout",))
        return replace(trig, timeout=timeout) if trig is not None else default
    c.keys(body, p, ("any", "all", "timeout"))
    if len(combos) > 1:
        c.error(body.key_marks["all"], join_path(p, "all"), "give either 'any' or 'all', not both")
        return default
    combo = combos[0]
    lp = join_path(p, combo)
    items = body[combo]
    if not isinstance(items, YSeq) or len(items) != 2:
        c.error(body.value_marks[combo], lp, f"expected a list of two conditions, got {type_name(items)}"
                + (f" of {len(items)}" if isinstance(items, YSeq) else ""))
        return default
    conds = []
    for k, (item, imark) in enumerate(zip(items, items.item_marks)):
        cm = c.mapping(item, imark, f"{lp}[{k}]", "a condition such as {time: 3}")
        conds.append(_parse_condition(c, cm, f"{lp}[{k}]", actor, actors, prev) if cm is not None else None)
    if conds[0] is None or conds[1] is None:
        return default
    return replace(conds[0], second=conds[1], combine=combo, timeout=timeout)


def _gap_check(c: ValueReader, mm: YMap, path: str, lane_change: bool) -> S.Value:
    """``gap_check`` of a lane change (true/false: 1 or 0) or of an offset (false, or the seconds,
    a value, the oncoming lane must be free; true: ``DEFAULT_CLEAR`` s)."""
    if "gap_check" not in mm:
        return Const(0.0)
    x = mm["gap_check"]
    p = join_path(path, "gap_check")
    if isinstance(x, bool):
        return Const((1.0 if lane_change else DEFAULT_CLEAR) if x else 0.0)
    if lane_change:
        c.error(mm.value_marks["gap_check"], p, "expected true or false")
        return Const(0.0)
    return c.value(mm, "gap_check", path, DEFAULT_CLEAR, Range(0.0, 60.0, low_open=True)) or Const(0.0)


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
    lane = start_lane  # the lane the actor is on when each manoeuvre starts (after earlier lane changes)
    prev: str | None = None  # the type of the manoeuvre before this one ("" when it could not be read)
    cross_at: str | None = None  # the path of the actor's 'cross', if it has one
    for b, mk, p in items:
        before, prev = prev, ""
        m = c.mapping(b, mk, p, "a manoeuvre mapping such as {lane_change: {...}}")
        if m is None:
            continue
        if len(m) != 1:
            c.error(m.mark, p, f"a manoeuvre has exactly one of {', '.join(_MANEUVERS)}")
            continue
        (mtype,) = m.keys()
        prev = mtype
        mp = join_path(p, mtype)
        if mtype not in _MANEUVERS:
            c.error(m.key_marks[mtype], mp, f"unknown manoeuvre '{mtype}'{did_you_mean(mtype, _MANEUVERS)} (allowed: {', '.join(_MANEUVERS)})")
            continue
        mm = c.mapping(m[mtype], m.value_marks[mtype], mp)
        if mm is None:
            continue
        c.keys(mm, mp, _MANEUVERS[mtype])
        trig = _parse_trigger(c, mm, mp, actor, actors, before)
        if mtype in ("lane_change", "cut_in"):
            if mm.get("to") in ("left", "right") and (net is None or mm["to"] not in net.lanes):
                to, lane = mm["to"], None  # the lane on that side when the change starts
            else:
                to = lane_ref(c, mm, "to", mp, net)
            if to is not None and to not in ("left", "right") and net is not None and lane is not None:
                ahead = [lane] + sorted(net.reachable(lane) - {lane})
                near = {x for ln in ahead for x in (net.left(ln), net.right(ln)) if x}
                if to not in near:
                    c.error(c.at(mm, "to"), join_path(mp, "to"),
                            f"lane '{to}' is not next to lane '{lane}' or any lane it leads to "
                            f"(reachable neighbours: {', '.join(sorted(near)) or 'none'})")
                lane = to
            dur = c.value(mm, "duration", mp, 3.0, POS)
            gap = _gap_check(c, mm, mp, lane_change=True)
            out.append(S.ManeuverSpec("lane_change", trig, to=to, duration=dur or Const(3.0), gap_check=gap))
        elif mtype == "offset":
            off = c.value(mm, "to", mp, None, Range(-10.0, 10.0))
            dur = c.value(mm, "duration", mp, 3.0, POS)
            gap = _gap_check(c, mm, mp, lane_change=False)
            if off is not None:
                out.append(S.ManeuverSpec("offset", trig, offset=off, duration=dur or Const(3.0), gap_check=gap))
        elif mtype in ("hard_brake", "stop"):
            decel = c.value(mm, "decel", mp, 8.0 if mtype == "hard_brake" else 3.0, Range(0.0, 15.0, low_open=True))
            dur = c.value(mm, "duration", mp, 0.0, NONNEG) if mtype == "hard_brake" else Const(0.0)
            out.append(S.ManeuverSpec(mtype, trig, decel=decel or Const(8.0), duration=dur or Const(0.0)))
        else:  # cross
            if cross_at is not None:  # the simulator keeps one path per actor and walks it once
                c.error(m.key_marks[mtype], mp, f"an actor walks one path, and this one has one at {cross_at}; "
                        "give all its points in that 'cross' (a path has up to "
                        f"{MAX_PATH_POINTS} points)")
                continue
            cross_at = mp
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
