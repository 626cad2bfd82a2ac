"""Scenario YAML -> validated :class:`ScenarioSpec`, reporting every problem at once.

The text is loaded into a marked YAML tree (``yamlmarks``), then walked
section by section (``sections``) with a
:class:`~scenariogen.dsl.distparse.ValueReader`. Each check that fails records
a :class:`~scenariogen.errors.Problem` (file, line, column, key path, message)
and the walk goes on, so one run reports all problems of a file. Semantic
checks (references, bounds, road geometry) run before anything is simulated.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from ..errors import DSLError, Problem
from . import schema as S
from .distparse import ValueReader
from .distributions import ParameterSpace
from .reader import COUNT, Range, did_you_mean, type_name
from .sections.actors import parse_actors
from .sections.calibrate import parse_calibrate
from .sections.events import parse_events
from .sections.occluders import parse_occluders
from .sections.params import parse_params
from .sections.road import build_network, parse_road
from .sections.seed import parse_seed, pre_scan_roles
from .sections.traffic import parse_traffic
from .limits import MAX_BYTES, MAX_NAME_CHARS, MAX_PARAMETERS, MAX_STEPS
from .yamlmarks import LoadError, Mark, YMap, load

DSL_VERSION = 1
#: seeds are integers below this (samplers derive keys from them; scipy's generators take < 2**63)
SEED_LIMIT = 2**63

_TOP_KEYS = ("scenariogen", "name", "description", "dt", "duration", "seed", "params", "road",
             "actors", "traffic", "occluders", "events", "target", "calibrate", "seed_from")


def parse_text(text: str, file: str = "<string>") -> S.ScenarioSpec:
    """Parse and validate scenario YAML text; raises :class:`DSLError` listing every problem."""
    c = ValueReader(file, text)
    try:
        root, dups = load(text)
    except LoadError as exc:
        c.error(exc.mark, exc.path, exc.message)
        raise DSLError(c.problems) from None
    for mark, key_path, msg in dups:
        c.error(mark, key_path, msg)
    if not isinstance(root, YMap):
        c.error(getattr(root, "mark", Mark(1, 1)), "", f"a scenario file is a mapping of keys (scenariogen, name, road, actors, ...), got {type_name(root)}")
        raise DSLError(c.problems)
    seeded = "seed_from" in root
    c.keys(root, "", _TOP_KEYS, ("scenariogen", "name", "actors") if seeded else ("scenariogen", "name", "road", "actors"))
    version = 1
    if "scenariogen" in root:
        v = root["scenariogen"]
        if v != DSL_VERSION or isinstance(v, bool):
            c.error(c.at(root, "scenariogen"), "scenariogen", f"unsupported DSL version {v!r}; this scenariogen reads version {DSL_VERSION}")
    name = c.text(root, "name", "", "unnamed") or "unnamed"
    if len(name) > MAX_NAME_CHARS:
        c.error(c.at(root, "name"), "name", f"the name has {len(name)} characters; at most {MAX_NAME_CHARS} "
                "(it names files and folders of exports)")
    description = c.text(root, "description", "", "") or ""
    dt = c.number(root, "dt", "", 0.1, Range(0.001, 1.0))
    duration = c.number(root, "duration", "", 10.0, Range(0.0, 3600.0, low_open=True))
    seed = c.number(root, "seed", "", 0, COUNT, bounded=False)
    if seed is not None and isinstance(root.get("seed"), int):
        seed = root["seed"]  # exact: a float keeps only 53 bits of a large seed
        if seed >= SEED_LIMIT:
            c.error(c.at(root, "seed"), "seed", f"value {seed} is out of range: expected an integer in [0, 2^63)")
            seed = 0
    if dt and duration:
        ratio = duration / dt
        if abs(ratio - round(ratio)) > 1e-6 * max(1.0, ratio):
            c.error(c.at(root, "duration"), "duration", f"dt = {dt:g} s does not divide duration = {duration:g} s into whole steps")
        elif round(ratio) > MAX_STEPS:
            c.error(c.at(root, "duration"), "duration", f"duration / dt = {round(ratio)} simulation steps; at most "
                    f"{MAX_STEPS} (a larger dt or a shorter duration)")
    parse_params(c, root)
    seed_from = None
    if seeded:
        seed_from, road, net = parse_seed(c, root, dt, duration, pre_scan_roles(root))
    else:
        road = parse_road(c, root)
        net = build_network(c, root, road)
    actors_map = root.get("actors") if isinstance(root.get("actors"), YMap) else {}
    actors = parse_actors(c, root, net, seeded)
    traffic = parse_traffic(c, root, net)
    occluders = parse_occluders(c, root)
    ego_sensor = any(a.name == "ego" and a.sensor is not None for a in actors)
    events = parse_events(c, root, actors_map, ego_sensor, tuple(t.name for t in traffic))
    target = None
    if "target" in root:
        target = c.text(root, "target", "", None)
        declared = list(root["events"]) if isinstance(root.get("events"), YMap) else []
        if target is not None and target not in declared:
            hint = did_you_mean(target, declared) or (
                f" (events: {', '.join(declared)})" if declared else "; define it under 'events:'")
            c.error(c.at(root, "target"), "target", f"target '{target}' is not an event of this scenario{hint}")
    # params declared but never used still belong to the space (they may be read by plugins)
    used = list(c.used) + [p for n, p in c.params.items() if all(u.name != n for u in c.used)]
    if len(used) > MAX_PARAMETERS:
        first = used[MAX_PARAMETERS].name  # the first column beyond the limit: where it was used or declared
        mark = c.use_marks.get(first) or root["params"].key_marks[first]
        c.error(mark, f"params.{first}" if first in c.params else first, f"the parameter space has {len(used)} dimensions; at most {MAX_PARAMETERS} "
                "(one theta column per distribution)")
    calibrate = parse_calibrate(c, root, used, duration)
    if c.problems:
        raise DSLError(c.problems)
    return S.ScenarioSpec(
        version=version,
        name=name,
        description=description,
        dt=dt,
        duration=duration,
        seed=int(seed),
        road=road,
        actors=actors,
        traffic=traffic,
        occluders=occluders,
        events=events,
        target=target,
        parameters=ParameterSpace(tuple(used)),
        source=file,
        source_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        source_text=text,
        calibrate=calibrate,
        seed_from=seed_from,
    )


def load_scenario(path: str | Path) -> S.ScenarioSpec:
    """Read and validate a scenario file (``-``: standard input); raises :class:`DSLError` (file, line,
    column, key path). Reads at most :data:`MAX_BYTES` + 1 bytes, whatever the file is: a pipe or a
    device has no size to check up front."""
    shown = str(path)
    try:
        if shown == "-":
            shown = "<stdin>"
            data = _read_at_most(sys.stdin.buffer, MAX_BYTES + 1)
        else:
            with open(path, "rb") as fh:
                data = _read_at_most(fh, MAX_BYTES + 1)
    except OSError as exc:
        raise DSLError([Problem(shown, 1, 1, "", f"cannot read file: {exc.strerror or exc}")]) from None
    if len(data) > MAX_BYTES:
        raise DSLError([Problem(shown, 1, 1, "", f"file is larger than {MAX_BYTES // 1000} kB; scenario files must be small")])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        head = data[: exc.start].decode("utf-8", "replace")  # valid up to the bad byte
        line = head.count("\n") + 1
        column = len(head) - (head.rfind("\n") + 1) + 1
        raise DSLError([Problem(shown, line, column, "", f"file is not UTF-8 text ({exc.reason} at byte {exc.start}, "
                                f"value 0x{data[exc.start]:02x}); save it as UTF-8")]) from None
    return parse_text(text, shown)


def _read_at_most(fh, n: int) -> bytes:
    """Up to ``n`` bytes of ``fh``: stops at ``n`` on a file, pipe or device that never ends."""
    parts, left = [], n
    while left > 0:
        block = fh.read(min(left, 1 << 16))
        if not block:
            break
        parts.append(block)
        left -= len(block)
    return b"".join(parts)
