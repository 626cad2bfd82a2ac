"""``events:``: the labelled events of a run (near miss, collision, ...)."""

from __future__ import annotations

from typing import Any

from .. import schema as S
from ..distparse import ValueReader
from ..limits import MAX_EVENTS, MAX_NAME_CHARS
from ..reader import NONNEG, POS, did_you_mean, join_path, type_name
from ..yamlmarks import YMap, YSeq

#: the keys each event type takes, "type" first
EVENT_KEYS = {
    "near_miss": ("type", "ttc_below", "distance_below", "actor", "with"),
    "collision": ("type", "actor"),
    "hard_braking": ("type", "decel_above", "actor"),
    "occluded_threat": ("type", "target", "min_duration"),
    "sensor_dropout": ("type", "min_duration"),
}


def _party(c: ValueReader, em: YMap, path: str, actor: str | None, actors: dict,
           traffic: tuple[str, ...]) -> dict[str, Any]:
    """The ``with:`` of a near miss: a kind (text) or a list of actor and traffic block names."""
    p = join_path(path, "with")
    body, mark = em["with"], c.at(em, "with")
    names = [n for n in actors if n != "ego"] + list(traffic)
    if actor is not None and actor != "ego":
        c.error(em.key_marks["with"], p, f"'with' limits the ego's near misses to one party; a near miss of "
                f"'{actor}' is one with the ego already (leave out 'actor' or 'with')")
        return {}
    if isinstance(body, str):
        if body in S.KINDS:
            return {"with_kind": body}
        if body in names:
            hint = f"; to limit it to the actor '{body}', write a list: with: [{body}]"
        else:
            hint = did_you_mean(body, S.KINDS) or f" (kinds: {', '.join(S.KINDS)})"
        c.error(mark, p, f"unknown kind '{body}'{hint} ('with' takes a kind, or a list of actor names)")
        return {}
    if not isinstance(body, YSeq):
        c.error(mark, p, f"expected a kind ({', '.join(S.KINDS)}) or a list of actor names, got {type_name(body)}")
        return {}
    if not body:
        c.error(mark, p, "an empty list: name at least one actor or traffic block, or leave out 'with'")
        return {}
    out: list[str] = []
    for i, (item, im) in enumerate(zip(body, body.item_marks)):
        ip = f"{p}[{i}]"
        if not isinstance(item, str):
            c.error(im, ip, f"expected an actor name, got {type_name(item)}")
        elif item == "ego":
            c.error(im, ip, "the ego is the other side of every near miss; name the actors it meets")
        elif item not in names:
            if item in S.KINDS:
                hint = f"; '{item}' is a kind, which goes alone, not in a list: with: {item}"
            else:
                hint = did_you_mean(item, names) or (f" (actors and traffic blocks: {', '.join(names)})" if names
                                                    else "; this scenario has no other actor")
            c.error(im, ip, f"unknown actor '{item}'{hint}")
        elif item in out:
            c.error(im, ip, f"'{item}' is listed twice")
        else:
            out.append(item)
    return {"with_actors": tuple(out)} if len(out) == len(body) else {}


def parse_events(c: ValueReader, root: YMap, actors: dict, ego_has_sensor: bool,
                 traffic: tuple[str, ...] = ()) -> tuple[S.EventSpec, ...]:
    """The ``events:`` section; ``actors``: the actors' mapping as written; ``traffic``: the traffic
    blocks' names."""
    if "events" not in root:
        return ()
    m = c.mapping(root["events"], c.at(root, "events"), "events")
    if m is None:
        return ()
    out = []
    for k, (name, body) in enumerate(m.items()):
        path = f"events.{name}"
        if k == MAX_EVENTS:
            c.error(m.key_marks[name], path, f"more than {MAX_EVENTS} events; a scenario has at most {MAX_EVENTS} "
                    "(each is a label and a score of every scenario)")
        if not name or len(name) > MAX_NAME_CHARS:
            c.error(m.key_marks[name], path, f"an event name has 1 to {MAX_NAME_CHARS} characters, this one {len(name)} "
                    "(it names arrays in shards and exports)")
        em = body if body is not None else YMap()
        if body is None:
            em.mark, em.key_marks, em.value_marks = m.value_marks[name], {}, {}
        em = c.mapping(em, m.value_marks[name], path)
        if em is None:
            continue
        etype = em.get("type", name)
        if not isinstance(etype, str):
            c.error(em.value_marks["type"], join_path(path, "type"), f"expected an event type name, got {type_name(etype)}")
            continue
        if etype not in EVENT_KEYS:
            where = em.value_marks["type"] if "type" in em else m.key_marks[name]
            close = did_you_mean(etype, EVENT_KEYS)
            c.error(where, path, f"unknown event type '{etype}'{close or '.'} Name the event after a type "
                    f"({', '.join(EVENT_KEYS)}) or give it a 'type:'")
            continue
        c.keys(em, path, EVENT_KEYS[etype])
        actor = c.text(em, "actor", path, "ego")
        if actor not in actors:
            c.error(c.at(em, "actor"), join_path(path, "actor"), f"unknown actor '{actor}'{did_you_mean(actor, actors)}")
        kw: dict[str, Any] = {"name": name, "type": etype, "actor": actor}
        if etype == "near_miss":
            if "ttc_below" in em or "distance_below" not in em:
                kw["ttc_below"] = c.number(em, "ttc_below", path, 1.5, POS)
            if "distance_below" in em:
                kw["distance_below"] = c.number(em, "distance_below", path, None, POS)
            if "with" in em:
                kw.update(_party(c, em, path, em.get("actor", "ego") if isinstance(em.get("actor", "ego"), str)
                                 else None, actors, traffic))
        elif etype == "hard_braking":
            kw["decel_above"] = c.number(em, "decel_above", path, 4.0, POS)
        elif etype == "occluded_threat":
            target = c.text(em, "target", path, None)
            if target is not None and target not in actors:
                c.error(c.at(em, "target"), join_path(path, "target"), f"unknown actor '{target}'{did_you_mean(target, actors)}")
            elif target == "ego":
                c.error(c.at(em, "target"), join_path(path, "target"), "the threat cannot be the ego itself")
            kw["target"] = target
            kw["min_duration"] = c.number(em, "min_duration", path, 0.5, NONNEG)
            if not ego_has_sensor:
                c.error(m.key_marks[name], path, "an occluded_threat event needs a 'sensor' on the ego")
        elif etype == "sensor_dropout":
            kw["min_duration"] = c.number(em, "min_duration", path, 0.3, NONNEG)
            if not ego_has_sensor:
                c.error(m.key_marks[name], path, "a sensor_dropout event needs a 'sensor' on the ego")
        out.append(S.EventSpec(**kw))
    return tuple(out)
