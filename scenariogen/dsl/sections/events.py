"""``events:``: the labelled events of a run (near miss, collision, ...)."""

from __future__ import annotations

from typing import Any

from .. import schema as S
from ..distparse import ValueReader
from ..limits import MAX_EVENTS, MAX_NAME_CHARS
from ..reader import NONNEG, POS, did_you_mean, join_path, type_name
from ..yamlmarks import YMap

_EVENT_KEYS = {
    "near_miss": ("type", "ttc_below", "distance_below", "actor"),
    "collision": ("type", "actor"),
    "hard_braking": ("type", "decel_above", "actor"),
    "occluded_threat": ("type", "target", "min_duration"),
    "sensor_dropout": ("type", "min_duration"),
}


def parse_events(c: ValueReader, root: YMap, actors: dict, ego_has_sensor: bool) -> tuple[S.EventSpec, ...]:
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
        if etype not in _EVENT_KEYS:
            where = em.value_marks["type"] if "type" in em else m.key_marks[name]
            close = did_you_mean(etype, _EVENT_KEYS)
            c.error(where, path, f"unknown event type '{etype}'{close or '.'} Name the event after a type "
                    f"({', '.join(_EVENT_KEYS)}) or give it a 'type:'")
            continue
        c.keys(em, path, _EVENT_KEYS[etype])
        actor = c.text(em, "actor", path, "ego")
        if actor not in actors:
            c.error(c.at(em, "actor"), join_path(path, "actor"), f"unknown actor '{actor}'{did_you_mean(actor, actors)}")
        kw: dict[str, Any] = {"name": name, "type": etype, "actor": actor}
        if etype == "near_miss":
            if "ttc_below" in em or "distance_below" not in em:
                kw["ttc_below"] = c.number(em, "ttc_below", path, 1.5, POS)
            if "distance_below" in em:
                kw["distance_below"] = c.number(em, "distance_below", path, None, POS)
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
