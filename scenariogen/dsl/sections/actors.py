"""``actors:``: kind, size, placement (on a lane, relative to another actor,
or by pose), speed, route, behaviour, manoeuvres, sensor and AEB."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .. import schema as S
from ..distparse import ValueReader
from ..distributions import Const, Value
from ..limits import MAX_AGENTS, MAX_ROUTE
from ..reader import NAME_RE, NONNEG, POS, Range, did_you_mean, join_path, type_name
from ..yamlmarks import YMap, YSeq
from .behavior import parse_behavior
from .maneuvers import parse_maneuvers
from .road import lane_ref
from .sensor import parse_sensor

if TYPE_CHECKING:
    from ...road import RoadNetwork

_ACTOR_KEYS = ("kind", "length", "width", "lane", "s", "offset", "position", "speed", "behavior",
               "maneuver", "maneuvers", "route", "sensor", "aeb")
# an actor of a seeded family is a logged vehicle: its kind, size, place and speed come from the log
_LOGGED_KEYS = ("from_log", "replay", "behavior", "maneuver", "maneuvers", "sensor", "aeb")
_FROM_LOG_KEYS = ("role", "track", "room")


def parse_actors(c: ValueReader, root: YMap, net: RoadNetwork | None, seeded: bool = False) -> tuple[S.ActorSpec, ...]:
    if "actors" not in root:
        c.error(root.mark, "", "missing required key 'actors' (at least the 'ego')")
        return ()
    m = c.mapping(root["actors"], c.at(root, "actors"), "actors")
    if m is None:
        return ()
    if "ego" not in m:
        c.error(m.mark, "actors", "missing the required actor 'ego'" + did_you_mean("ego", m))
    names = {k: v for k, v in m.items()}
    # relative placement needs its reference placed first: order by dependency
    out = []
    rel: dict[str, str] = {}
    for k, (name, body) in enumerate(m.items()):
        path = f"actors.{name}"
        if k == MAX_AGENTS:
            c.error(m.key_marks[name], path, f"more than {MAX_AGENTS} actors; a scenario has at most {MAX_AGENTS} agents")
        if not NAME_RE.match(name):
            c.error(m.key_marks[name], path, "actor names are letters, digits and '_', not starting with a digit")
            continue
        am = c.mapping(body, m.value_marks[name], path, "an actor mapping (kind, lane, s, speed, ...)")
        if am is None:
            continue
        if seeded:
            a = _parse_logged_actor(c, am, path, name, names, net)
        elif "from_log" in am or "replay" in am:
            key = "from_log" if "from_log" in am else "replay"
            c.error(am.key_marks[key], join_path(path, key), f"'{key}' needs a seeded family (seed_from: ...)")
            continue
        else:
            a = _parse_actor(c, am, path, name, names, net, rel)
        if a is not None:
            out.append(a)
    # cycles in relative placement
    for start in rel:
        seen = [start]
        cur = rel.get(start)
        while cur is not None and cur in rel:
            if cur in seen:
                am = m[start]
                c.error(am.value_marks.get("s", am.mark), f"actors.{start}.s",
                        "relative placement forms a cycle: " + " -> ".join(seen + [cur]))
                break
            seen.append(cur)
            cur = rel.get(cur)
        else:
            continue
        break
    else:
        _check_relative_placement(c, m, out, net)
    return tuple(out)


def _check_relative_placement(c: ValueReader, m: YMap, actors: list[S.ActorSpec], net: RoadNetwork | None) -> None:
    """Actors placed relative to another: their whole range of ``s`` must lie on their lane, and on
    the reference's own lane they must not start on top of it (an offset of less than half their
    two lengths is a collision at t = 0 in every such scenario)."""
    by_name = {a.name: a for a in actors}

    def bounds(v) -> tuple[float, float]:
        return (v.value, v.value) if isinstance(v, Const) else c.param_bounds(v.name)

    def s_range(a, depth=0) -> tuple[float, float] | None:
        pl = a.placement
        if not isinstance(pl, S.LanePlacement) or depth > len(by_name):
            return None
        lo, hi = bounds(pl.s)
        if pl.relative_to is None:
            return lo, hi
        ref = by_name.get(pl.relative_to)
        base = s_range(ref, depth + 1) if ref is not None else None
        return None if base is None else (base[0] + lo, base[1] + hi)

    for a in actors:
        pl = a.placement
        if not isinstance(pl, S.LanePlacement) or pl.relative_to is None or pl.relative_to not in by_name:
            continue
        am = m[a.name]
        mark, path = am.value_marks.get("s", am.mark), f"actors.{a.name}.s.offset"
        rng = s_range(a)
        if net is not None and rng is not None and math.isfinite(rng[1]) and rng[1] > net.lane(pl.lane).length:
            c.error(mark, path, f"'{a.name}' can start at s = {rng[1]:g} m ({pl.relative_to}'s s plus the offset), "
                                f"which is beyond the end of lane '{pl.lane}' ({net.lane(pl.lane).length:.1f} m)")
        ref = by_name[pl.relative_to]
        if isinstance(ref.placement, S.LanePlacement) and ref.placement.lane == pl.lane:
            need = 0.5 * (a.length + ref.length)
            lo, hi = bounds(pl.s)
            if lo < need and hi > -need:
                c.error(mark, path, f"an offset of {lo:g} to {hi:g} m can put '{a.name}' on top of "
                                    f"'{pl.relative_to}' in the same lane: keep |offset| >= {need:g} m "
                                    "(half their two lengths)")


def _parse_logged_actor(c: ValueReader, am: YMap, path: str, name: str, actors: dict,
                        net: RoadNetwork | None) -> S.ActorSpec | None:
    """An actor of a seeded family: the ego (picked by ``seed_from.ego``) or a logged vehicle bound
    by ``from_log: {role: ...}`` or ``{track: ID}``; behaviour, manoeuvres, sensor as usual."""
    for k in am:
        if k in _ACTOR_KEYS and k not in _LOGGED_KEYS:
            c.error(am.key_marks[k], join_path(path, k), f"'{k}' comes from the log in a seeded family (its kind, "
                    "size, place and speed are the logged vehicle's); leave it out")
    c.keys(am, path, _ACTOR_KEYS + ("from_log", "replay"))
    placement = None
    if name == "ego":
        if "from_log" in am:
            c.error(am.key_marks["from_log"], join_path(path, "from_log"), "the ego of a seeded family is picked by "
                    "seed_from.ego; leave 'from_log' out")
        placement = S.LogPlacement("ego")
    elif "from_log" not in am:
        c.error(am.mark, path, "missing required key 'from_log': an actor of a seeded family is a logged vehicle, "
                f"given by its role ({', '.join(S.SEED_ROLES)}) or track id")
    else:
        fp = join_path(path, "from_log")
        fm = c.mapping(am["from_log"], c.at(am, "from_log"), fp, "a mapping {role: ...} or {track: ID}")
        if fm is not None and c.keys(fm, fp, _FROM_LOG_KEYS):
            if ("role" in fm) == ("track" in fm):
                c.error(fm.mark, fp, "give exactly one of 'role' or 'track'")
            elif "role" in fm:
                role = fm["role"]
                room = _room(c, fm, fp, role)
                if role not in S.SEED_ROLES:
                    shown = role if isinstance(role, str) else type_name(role)
                    c.error(c.at(fm, "role"), join_path(fp, "role"), f"unknown role '{shown}'"
                            f"{did_you_mean(str(role), S.SEED_ROLES)} (allowed: {', '.join(S.SEED_ROLES)})")
                elif room is not False:
                    placement = S.LogPlacement(role, room=room)
            else:
                if "room" in fm:
                    c.error(fm.key_marks["room"], join_path(fp, "room"), "'room' applies to a role "
                            f"({', '.join(S.SIDE_ROLES)}), not to a track")
                tr = fm["track"]
                if isinstance(tr, bool) or not isinstance(tr, (int, str)):
                    c.error(c.at(fm, "track"), join_path(fp, "track"), f"expected a track id, got {type_name(tr)}")
                else:
                    placement = S.LogPlacement("track", str(tr))
    replay = False
    if "replay" in am:
        if name == "ego" or not isinstance(am["replay"], bool):
            what = "the ego is simulated, never replayed" if name == "ego" else f"expected true or false, got {type_name(am['replay'])}"
            c.error(c.at(am, "replay"), join_path(path, "replay"), what)
        else:
            replay = am["replay"]
    behavior = parse_behavior(c, am, path)
    maneuvers = parse_maneuvers(c, am, path, name, actors, net, None)
    if replay and maneuvers:
        c.error(am.key_marks["replay"], join_path(path, "replay"), "a replayed vehicle follows its recording; it "
                "has no manoeuvres")
    sensor = _parse_sensor(c, am, path, name)
    aeb = _parse_aeb(c, am, path, name)
    if placement is None:
        return None
    dl, dw = S.DEFAULT_SIZE["car"]  # the logged vehicle's own kind and size replace these in each scenario
    return S.ActorSpec(name, "car", dl, dw, placement, Const(0.0), behavior, maneuvers, sensor, aeb, replay=replay)


def _room(c: ValueReader, fm: YMap, fp: str, role) -> float | None | bool:
    """``from_log.room`` (m): None when not given, False after an error."""
    if "room" not in fm:
        return None
    if role in S.SEED_ROLES and role not in S.SIDE_ROLES:
        c.error(fm.key_marks["room"], join_path(fp, "room"), f"'room' applies to the roles beside the ego's lane "
                f"({', '.join(S.SIDE_ROLES)}), not to '{role}': the room to change into the ego's lane")
        return False
    if isinstance(fm["room"], (YMap, YSeq, str)):  # a distribution or text: the tables are built at load time
        c.error(c.at(fm, "room"), join_path(fp, "room"), f"expected a number of metres in [0, {S.SEED_ROOM_MAX:g}] "
                f"(fixed: the roles are looked up when the logs are read), got {type_name(fm['room'])}")
        return False
    before = len(c.problems)
    room = c.number(fm, "room", fp, None, Range(0.0, S.SEED_ROOM_MAX))
    return False if len(c.problems) > before else room


def _parse_sensor(c: ValueReader, am: YMap, path: str, name: str) -> S.SensorSpec | None:
    if "sensor" not in am:
        return None
    if name != "ego":
        c.error(am.key_marks["sensor"], join_path(path, "sensor"), "only the 'ego' carries a sensor")
        return None
    return parse_sensor(c, am["sensor"], c.at(am, "sensor"), join_path(path, "sensor"))


def _parse_aeb(c: ValueReader, am: YMap, path: str, name: str) -> S.AEBSpec | None:
    if "aeb" not in am:
        return None
    ap = join_path(path, "aeb")
    if name != "ego":
        c.error(am.key_marks["aeb"], ap, "only the 'ego' has emergency braking (aeb)")
        return None
    amm = c.mapping(am["aeb"], c.at(am, "aeb"), ap)
    if amm is None:
        return None
    c.keys(amm, ap, ("ttc", "reaction_time", "max_decel"))
    return S.AEBSpec(
        ttc=c.value(amm, "ttc", ap, 1.2, POS) or Const(1.2),
        reaction_time=c.value(amm, "reaction_time", ap, 0.2, Range(0.0, 3.0)) or Const(0.2),
        max_decel=c.value(amm, "max_decel", ap, 8.0, Range(0.0, 15.0, low_open=True)) or Const(8.0),
    )


def _parse_actor(c: ValueReader, am: YMap, path: str, name: str, actors: dict, net: RoadNetwork | None,
                 rel: dict[str, str]) -> S.ActorSpec | None:
    c.keys(am, path, _ACTOR_KEYS, ("kind",))
    kind = c.text(am, "kind", path, None) if "kind" in am else None
    if kind is not None and kind not in S.KINDS:
        c.error(c.at(am, "kind"), join_path(path, "kind"), f"unknown kind '{kind}'{did_you_mean(kind, S.KINDS)} (allowed: {', '.join(S.KINDS)})")
        kind = None
    dl, dw = S.DEFAULT_SIZE.get(kind or "car")
    length = c.number(am, "length", path, dl, Range(0.1, 30.0))
    width = c.number(am, "width", path, dw, Range(0.1, 5.0))
    # placement
    placement = None
    start_lane = None
    if "position" in am:
        if "lane" in am or "s" in am:
            c.error(c.at(am, "position"), join_path(path, "position"), "give either 'position' or 'lane' + 's', not both")
        pp = join_path(path, "position")
        pm = c.mapping(am["position"], c.at(am, "position"), pp)
        if pm is not None:
            c.keys(pm, pp, ("x", "y", "heading_deg"), ("x", "y"))
            x = c.value(pm, "x", pp, None)
            y = c.value(pm, "y", pp, None)
            hd = c.value(pm, "heading_deg", pp, 0.0, Range(-360.0, 360.0))
            if x is not None and y is not None and hd is not None:
                placement = S.PosePlacement(x, y, hd)
    elif "lane" in am or "s" in am:
        start_lane = lane_ref(c, am, "lane", path, net)
        relative_to = None
        s_val: Value | None = Const(0.0)
        if "s" not in am:
            c.error(am.mark, path, "missing required key 's' (arc length along the lane, m)")
        elif isinstance(am["s"], YMap) and "relative_to" in am["s"]:
            sp = join_path(path, "s")
            sm = am["s"]
            c.keys(sm, sp, ("relative_to", "offset"), ("relative_to",))
            other = sm["relative_to"]
            if not isinstance(other, str):
                c.error(sm.value_marks["relative_to"], join_path(sp, "relative_to"), f"expected an actor name, got {type_name(other)}")
            elif other == name:
                c.error(sm.value_marks["relative_to"], join_path(sp, "relative_to"), f"'{name}' cannot be placed relative to itself")
            elif other not in actors:
                c.error(sm.value_marks["relative_to"], join_path(sp, "relative_to"), f"unknown actor '{other}'{did_you_mean(other, actors)}")
            else:
                other_body = actors[other]
                if isinstance(other_body, YMap) and "position" in other_body:
                    c.error(sm.value_marks["relative_to"], join_path(sp, "relative_to"),
                            f"'{other}' is placed by position; relative placement needs an actor placed on a lane")
                else:
                    relative_to = other
                    rel[name] = other
            s_val = c.value(sm, "offset", sp, 0.0)
        else:
            s_val = c.value(am, "s", path, None, NONNEG)
        off = c.value(am, "offset", path, 0.0, Range(-10.0, 10.0))
        if start_lane is not None and s_val is not None and off is not None:
            if relative_to is None and net is not None:
                length_lane = net.lane(start_lane).length
                s_hi = s_val.value if isinstance(s_val, Const) else c.param_bounds(s_val.name)[1]
                if s_hi > length_lane:
                    what = f"s = {s_hi:g} m" if isinstance(s_val, Const) else f"s can reach {s_hi:g} m, which"
                    c.error(c.at(am, "s"), join_path(path, "s"),
                            f"{what} is beyond the end of lane '{start_lane}' ({length_lane:.1f} m)")
            placement = S.LanePlacement(start_lane, s_val, off, relative_to)
    else:
        c.error(am.mark, path, "missing placement: give 'lane' and 's', or 'position: {x, y, heading_deg}'")
    speed = c.value(am, "speed", path, 0.0, Range(0.0, 80.0))
    route = _parse_route(c, am, path, net, start_lane)
    behavior = parse_behavior(c, am, path)
    maneuvers = parse_maneuvers(c, am, path, name, actors, net, start_lane)
    sensor = _parse_sensor(c, am, path, name)
    aeb = _parse_aeb(c, am, path, name)
    if kind is None or placement is None or speed is None or length is None or width is None:
        return None
    return S.ActorSpec(name, kind, length, width, placement, speed, behavior, maneuvers, sensor, aeb, route)


def _parse_route(c: ValueReader, am: YMap, path: str, net: RoadNetwork | None, start_lane: str | None) -> tuple[str, ...]:
    """Lane ids the actor drives through, each a successor of the previous one."""
    if "route" not in am:
        return ()
    p = join_path(path, "route")
    body = am["route"]
    if not isinstance(body, YSeq) or not body:
        c.error(c.at(am, "route"), p, "expected a non-empty list of lane ids")
        return ()
    if len(body) > MAX_ROUTE:
        c.error(c.at(am, "route"), p, f"a route lists at most {MAX_ROUTE} lanes, this one {len(body)}")
        return ()
    for i, (x, mk) in enumerate(zip(body, body.item_marks)):
        if isinstance(x, bool) or not isinstance(x, (int, str)):
            c.error(mk, f"{p}[{i}]", f"expected a lane id, got {type_name(x)}")
            return ()
    ids = [str(x) for x in body]
    if net is None:
        return tuple(ids)
    for i, (lid, mk) in enumerate(zip(ids, body.item_marks)):
        if lid not in net.lanes:
            c.error(mk, f"{p}[{i}]", f"unknown lane '{lid}'{did_you_mean(lid, net.lanes)}")
            return ()
        prev = ids[i - 1] if i else start_lane
        if prev is not None and lid != prev and lid not in net.successors(prev):
            c.error(mk, f"{p}[{i}]", f"lane '{lid}' does not follow lane '{prev}' "
                    f"(successors of '{prev}': {', '.join(net.successors(prev)) or 'none'})")
            return ()
    return tuple(ids)
