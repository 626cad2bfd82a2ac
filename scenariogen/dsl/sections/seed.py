"""``seed_from:``: a family whose scenarios start from logged scenes (docs/dsl.md, section 10b).

The logs are read here, at load time, so a log that cannot be read, a scene shorter than the
family, or a scene where no vehicle can be the ego is an error at its line like any other. Each
scene keeps its own map: the maps of all scenes become one road, side by side (scene k's lanes are
``"{scene}/{lane id}"``, moved by the scene's ``shift``), and the scene's agents are moved with it.
Every logged agent is projected onto its scene's lanes once; the ego and the roles of the named
actors are then looked up for every frame a scenario can start at.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ...errors import RoadError, ScenarioGenError
from .. import schema as S
from ..distparse import ValueReader
from ..distributions import Choice, Parameter, Ref, Uniform
from ..limits import MAX_AGENTS, MAX_LANES
from ..reader import Range, did_you_mean, is_number, join_path, type_name
from ..yamlmarks import YMap, YSeq
from .behavior import parse_behavior

if TYPE_CHECKING:
    from ...road import RoadNetwork

READERS = {"commonroad": (".xml",), "av2": (".parquet", ".feather")}
_KEYS = ("logs", "reader", "ego", "moment", "behavior", "replay", "keep_gaps")
_EGO_KEYS = ("track", "nearest", "busiest", "any", "lanes")
_REPLAY = ("none", "others")
SCENE_PARAM = "seed_from.scene"
MOMENT_PARAM = "seed_from.moment"
EGO_PARAM = "seed_from.ego"
GAP = 100.0  # m between the maps of two scenes side by side
ROLE_RANGE = 100.0  # m: a role's vehicle is at most this far ahead or behind the ego (centre to centre)
ON_LANE = 0.75  # a vehicle is in a lane when its centre is within this share of the lane's half width


def pre_scan_roles(root: YMap) -> tuple[str, ...]:
    """The roles the named actors bind (``from_log: {role: ...}``), read before the actors are parsed
    (the ego must be picked among vehicles for which every one exists); bad ones are reported there."""
    out: list[str] = []
    actors = root.get("actors")
    if not isinstance(actors, YMap):
        return ()
    for body in actors.values():
        fl = body.get("from_log") if isinstance(body, YMap) else None
        role = fl.get("role") if isinstance(fl, YMap) else None
        track = fl.get("track") if isinstance(fl, YMap) else None
        room = fl.get("room") if isinstance(fl, YMap) else None
        if isinstance(track, (int, str)) and not isinstance(track, bool):
            key = S.LogPlacement("track", str(track)).key
        elif not (isinstance(role, str) and role in S.SEED_ROLES):
            continue
        elif room is None:
            key = role
        elif role in S.SIDE_ROLES and is_number(room) and 0.0 <= room <= S.SEED_ROOM_MAX:
            key = S.LogPlacement(role, room=float(room)).key
        else:
            continue
        if key not in out:
            out.append(key)
    return tuple(out)


def parse_seed(c: ValueReader, root: YMap, dt: float, duration: float,
               roles: tuple[str, ...]) -> tuple[S.SeedSpec | None, S.RoadSpec | None, RoadNetwork | None]:
    """The seed spec, its road spec and the road (all None after a problem)."""
    m = c.mapping(root["seed_from"], c.at(root, "seed_from"), "seed_from",
                  "a mapping {logs: PATH, reader: commonroad, ego: {...}, ...}")
    if m is None:
        return None, None, None
    before = len(c.problems)
    c.keys(m, "seed_from", _KEYS, ("logs",))
    if "road" in root:
        c.error(root.key_marks["road"], "road", "a seeded family drives on the maps of its logs; leave 'road' out")
    if "traffic" in root:
        c.error(root.key_marks["traffic"], "traffic", "a seeded family's traffic is the logged vehicles; leave "
                "'traffic' out (their behaviour: seed_from.behavior)")
    reader = c.text(m, "reader", "seed_from", "commonroad") or "commonroad"
    if reader not in READERS:
        c.error(c.at(m, "reader"), "seed_from.reader", f"unknown reader '{reader}'{did_you_mean(reader, READERS)} "
                f"(allowed: {', '.join(READERS)})")
        return None, None, None
    found = _log_files(c, m, reader) if "logs" in m else []
    files = [f for f, _mk in found]
    ego = _ego_rule(c, m)
    replay = c.text(m, "replay", "seed_from", "none") or "none"
    if replay not in _REPLAY:
        c.error(c.at(m, "replay"), "seed_from.replay", f"expected one of {', '.join(_REPLAY)}, got '{replay}'")
    behavior = parse_behavior(c, m, "seed_from")
    keep_gaps = _keep_gaps(c, m, root)
    if len(c.problems) > before or not files or ego is None:
        return None, None, None
    logs_mark = c.at(m, "logs")
    scenes = _read_scenes(c, found, reader, dt)
    if scenes is None:
        return None, None, None
    road, net = _seed_road(c, logs_mark, scenes)
    if net is None:
        return None, None, None
    steps = int(round(duration / dt))
    built = []
    for name, source, mark, log, b, smap in scenes:
        sc = _scene(c, m, mark, name, source, log, b, smap, net, steps, ego, roles, dt, duration)
        if sc is not None:
            built.append(sc)
    if len(c.problems) > before:
        return None, None, None
    scene_param = Parameter(SCENE_PARAM, Choice(tuple(float(k) for k in range(len(built))),
                                                tuple(1.0 / len(built) for _ in built)), discrete=True)
    c.use(scene_param, c.at(m, "logs"))
    if "moment" in m:
        moment = c.value(m, "moment", "seed_from", None, Range(0.0, 1.0))
    else:
        c.use(Parameter(MOMENT_PARAM, Uniform(0.0, 1.0)), m.mark)
        moment = Ref(MOMENT_PARAM)
    if moment is None:
        return None, None, None
    if ego.any:
        c.use(Parameter(EGO_PARAM, Uniform(0.0, 1.0)), c.at(m, "ego"))
    hashes = tuple(hashlib.sha256(Path(f).read_bytes()).hexdigest() for f in files)
    # the logs by file name and contents: the spec hash does not depend on where they are
    spec = S.SeedSpec(logs=tuple(Path(f).name for f in files), logs_sha256=hashes, reader=reader, ego=ego,
                      scene=Ref(SCENE_PARAM), moment=moment, behavior=behavior, replay=replay, keep_gaps=keep_gaps,
                      scenes=tuple(built))
    return spec, road, net


_GAP_RANGES = (("time_headway", 10.0, "s"), ("min_gap", 20.0, "m"))
_GAP_EXTRAS = ("desired_speed_above",)


def _keep_gaps(c: ValueReader, m: YMap, root: YMap) -> S.KeepGaps | None:
    """``keep_gaps``: true (the default), false, or the ranges ``{time_headway: [low, high], min_gap:
    [low, high]}`` and ``desired_speed_above`` (m/s); the IDM keys the family
    writes are recorded as fixed."""
    p = "seed_from.keep_gaps"
    body = m.get("keep_gaps", True)
    if body is False:
        return None
    ranges = {}
    if body is not True:
        g = c.mapping(body, c.at(m, "keep_gaps"), p, "true, false or a mapping {time_headway: [low, high], "
                      "min_gap: [low, high], desired_speed_above: m/s}")
        if g is None or not c.keys(g, p, tuple(k for k, _hi, _u in _GAP_RANGES) + _GAP_EXTRAS):
            return None
        if "desired_speed_above" in g:
            ranges["desired_speed_above"] = c.number(g, "desired_speed_above", p, None, Range(0.0, 20.0))
        for key, top, unit in _GAP_RANGES:
            if key not in g:
                continue
            pair = c.pair(g[key], c.at(g, key), join_path(p, key))
            if pair is not None and not 0.0 <= pair[0] <= pair[1] <= top:
                c.error(c.at(g, key), join_path(p, key), f"expected [low, high] with 0 <= low <= high <= {top:g} "
                        f"({unit}), got [{pair[0]:g}, {pair[1]:g}]")
            elif pair is not None:
                ranges[key] = pair
    return S.KeepGaps(**ranges, fixed=_written_gaps(root))


def _written_gaps(root: YMap) -> tuple[str, ...]:
    """Key paths of the IDM time headways and minimum gaps the family writes (``seed_from.behavior``
    and the named actors' behaviours), which keep_gaps leaves as written."""
    owners = [("seed_from", root.get("seed_from"))]
    actors = root.get("actors")
    if isinstance(actors, YMap):
        owners += [(f"actors.{name}", body) for name, body in actors.items()]
    out = []
    for path, body in owners:
        beh = body.get("behavior") if isinstance(body, YMap) else None
        for model in ("idm", "keep_lane"):
            idm = beh.get(model) if isinstance(beh, YMap) else None
            if isinstance(idm, YMap):
                out += [f"{path}.behavior.{model}.{k}" for k in ("time_headway", "min_gap") if k in idm]
    return tuple(out)


# ------------------------------------------------------------------ the logs


def _base(c: ValueReader) -> Path:
    return Path(c.file).parent if not c.file.startswith("<") else Path.cwd()


def _log_files(c: ValueReader, m: YMap, reader: str) -> list[tuple[str, object]]:
    """The log files ``logs`` names (a path or a list of paths; a folder gives its files of the
    reader's extensions, in name order), resolved against the scenario file's folder."""
    body = m["logs"]
    items = list(zip(body, body.item_marks)) if isinstance(body, YSeq) else [(body, c.at(m, "logs"))]
    if not items:
        c.error(c.at(m, "logs"), "seed_from.logs", "expected a path or a non-empty list of paths")
        return []
    out: list[tuple[str, object]] = []
    for i, (raw, mk) in enumerate(items):
        p = "seed_from.logs" + (f"[{i}]" if isinstance(body, YSeq) else "")
        if not isinstance(raw, str) or not raw.strip():
            c.error(mk, p, f"expected the path of a log file or folder, got {type_name(raw)}")
            continue
        path = Path(raw).expanduser()
        resolved = path if path.is_absolute() else _base(c) / path
        if resolved.is_dir():
            found = sorted(str(f) for f in resolved.iterdir() if f.is_file() and f.suffix.lower() in READERS[reader])
            if not found:
                c.error(mk, p, f"folder '{raw}' holds no {reader} logs ({' '.join(READERS[reader])} files)")
            out.extend((f, mk) for f in found)
        elif resolved.is_file():
            out.append((str(resolved), mk))
        else:
            c.error(mk, p, f"cannot read logs '{raw}' ({resolved}): no such file or folder")
    names = [Path(f).name for f, _mk in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        c.error(c.at(m, "logs"), "seed_from.logs", f"log file names must be unique (they name the scenes): {', '.join(dup)}")
        return []
    return out


def _ego_rule(c: ValueReader, m: YMap) -> S.EgoRule | None:
    if "ego" not in m:
        return S.EgoRule()
    p = "seed_from.ego"
    e = c.mapping(m["ego"], c.at(m, "ego"), p, "a mapping {busiest: 30}, {nearest: [x, y]}, {track: ID} or {any: "
                  "true}, with optional lanes: [...]")
    if e is None:
        return None
    before = len(c.problems)
    c.keys(e, p, _EGO_KEYS)
    picks = [k for k in ("track", "nearest", "busiest", "any") if k in e]
    if len(picks) > 1:
        c.error(e.mark, p, f"give one of 'track', 'nearest', 'busiest' or 'any', not {' and '.join(picks)}")
    if "any" in e and e["any"] is not True:
        c.error(c.at(e, "any"), join_path(p, "any"), f"expected true, got {type_name(e['any'])}")
    track = None
    if "track" in e:
        v = e["track"]
        if isinstance(v, bool) or not isinstance(v, (int, str)):
            c.error(c.at(e, "track"), join_path(p, "track"), f"expected a track id, got {type_name(v)}")
        else:
            track = str(v)
    nearest = c.pair(e["nearest"], c.at(e, "nearest"), join_path(p, "nearest")) if "nearest" in e else None
    busiest = c.number(e, "busiest", p, 30.0, Range(0.0, 1000.0, low_open=True))
    lanes: tuple[str, ...] = ()
    if "lanes" in e:
        v = e["lanes"]
        vals = list(v) if isinstance(v, YSeq) else [v]
        if not vals or any(isinstance(x, bool) or not isinstance(x, (int, str)) for x in vals):
            c.error(c.at(e, "lanes"), join_path(p, "lanes"), "expected a lane id or a non-empty list of lane ids "
                    "(the map's own ids)")
        else:
            lanes = tuple(str(x) for x in vals)
    if len(c.problems) > before:
        return None
    return S.EgoRule(track=track, nearest=nearest, busiest=busiest or 30.0, lanes=lanes, any="any" in e)


def _read_scenes(c: ValueReader, files: list, reader: str, dt: float) -> list | None:
    """``(name, source, mark, LogScenes, scene index, SeedMap)`` of every scene of every log (``files``:
    path and the mark of where it was named), or None."""
    from ...logs import read_log  # the readers (and their optional dependencies) only when seeding
    from ...road.maps import map_road

    out = []
    ok = True
    for f, mark in files:
        try:
            key = (_stamp(f), reader, dt)
            log = _LOGS.get(key)
            if log is None:
                log = _remember(_LOGS, key, read_log(f, reader, dt=dt))
        except ScenarioGenError as exc:
            c.error(mark, "seed_from.logs", f"cannot read log '{Path(f).name}': {exc}")
            ok = False
            continue
        map_file = f if reader == "commonroad" else _av2_map(c, mark, f)
        if map_file is None:
            ok = False
            continue
        try:
            map_road(map_file, reader)
        except (ScenarioGenError, ValueError) as exc:
            c.error(mark, "seed_from.logs", f"cannot read the map of log '{Path(f).name}' ({Path(map_file).name}): {exc}")
            ok = False
            continue
        sha = hashlib.sha256(Path(map_file).read_bytes()).hexdigest()
        stem = Path(f).stem
        for b in range(log.size):
            name = stem if log.size == 1 else f"{stem}#{b}"
            out.append((name, f, mark, log, b, S.SeedMap(name, reader, sha, (0.0, 0.0), str(map_file))))
    return out if ok else None


# logs read and agents projected in this process, by file (path, mtime, size) and options: a spec
# parsed again from its text (a run's summary, a worker) does not read its logs again
_LOGS: dict = {}
_PROJECTED: dict = {}
_MEMO_SIZE = 64


def _stamp(f: str) -> tuple:
    st = Path(f).stat()
    return (str(Path(f).resolve()), st.st_mtime_ns, st.st_size)


def _remember(memo: dict, key, value):
    if len(memo) >= _MEMO_SIZE:
        memo.pop(next(iter(memo)))
    memo[key] = value
    return value


def _av2_map(c: ValueReader, mark, f: str) -> str | None:
    """An Argoverse 2 log's map: the one ``log_map_archive_*.json`` next to it or in its ``map/`` folder."""
    folder = Path(f).parent
    found = sorted(folder.glob("log_map_archive_*.json")) + sorted((folder / "map").glob("log_map_archive_*.json"))
    if len(found) != 1:
        c.error(mark, "seed_from.logs", f"log '{Path(f).name}': expected one map log_map_archive_*.json next to it "
                f"or in its map/ folder, found {len(found)}")
        return None
    return str(found[0])


def _seed_road(c: ValueReader, mark, scenes: list) -> tuple[S.RoadSpec | None, RoadNetwork | None]:
    """The scenes' maps side by side along x, ``GAP`` m apart, as one road."""
    from ...road import build_road
    from ...road.maps import map_road

    maps, x_next = [], 0.0
    for k, (name, _f, _mk, _log, _b, smap) in enumerate(scenes):
        net, _ = map_road(smap.map_file, smap.map_format)
        x0, _y0, x1, _y1 = net.bounds()
        dx = 0.0 if k == 0 else x_next - x0
        x_next = x1 + dx + GAP
        maps.append(S.SeedMap(smap.name, smap.map_format, smap.map_sha256, (dx, 0.0), smap.map_file))
        scenes[k] = (name, _f, _mk, _log, _b, maps[-1])
    road = S.RoadSpec(type="seed", seed_maps=tuple(maps))
    try:
        net = build_road(road)
    except RoadError as exc:
        c.error(mark, "seed_from.logs", f"cannot build the road of the logs' maps: {exc}")
        return None, None
    if len(net.lanes) > MAX_LANES:
        c.error(mark, "seed_from.logs", f"the logs' maps have {len(net.lanes)} lanes together; at most {MAX_LANES} "
                "(seed from fewer logs)")
        return None, None
    return road, net


# ------------------------------------------------------------------ one scene


def project(net: RoadNetwork, lane_ids: tuple[str, ...], x: np.ndarray, y: np.ndarray,
            h: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lane (index into ``lane_ids``), ``s`` and ``offset`` (m) of world points: among the lanes whose
    projection falls within their length and whose heading agrees within 90 degrees, the one with the
    smallest ``|offset|``; failing that, the nearest lane that agrees (``s`` extrapolated), then any."""
    n = x.shape[0]
    best_key = np.full(n, np.inf)
    lane = np.full(n, -1, np.int64)
    s_out, d_out = np.full(n, np.nan), np.full(n, np.nan)
    for k, lid in enumerate(lane_ids):
        ln = net.lane(lid)
        s, d = ln.local_coordinates_array(x, y)
        within = (s >= -0.5) & (s <= ln.length + 0.5)
        dh = (h - ln.heading_at(np.clip(s, 0.0, ln.length)) + np.pi) % (2 * np.pi) - np.pi
        agree = np.abs(dh) <= np.pi / 2
        key = np.abs(d) + np.where(within & agree, 0.0, 1e6) + np.where(agree, 0.0, 1e6)
        better = key < best_key
        best_key = np.where(better, key, best_key)
        lane = np.where(better, k, lane)
        s_out = np.where(better, s, s_out)
        d_out = np.where(better, d, d_out)
    return lane, s_out, d_out


def _scene(c: ValueReader, m: YMap, logs_mark, name: str, source: str, log, b: int, smap: S.SeedMap, net: RoadNetwork,
           steps: int, rule: S.EgoRule, roles: tuple[str, ...], dt: float, duration: float) -> S.SeedScene | None:
    from ...logs.base import VEHICLE_KINDS

    mask = log.mask[b]
    keep = mask.any(axis=1)
    traj = log.trajectories[b][keep].astype(np.float64)
    present = mask[keep]
    M, T = present.shape
    if M > MAX_AGENTS:
        c.error(logs_mark, "seed_from.logs", f"scene {name} has {M} agents; at most {MAX_AGENTS}")
        return None
    if T - 1 < steps:
        c.error(logs_mark, "seed_from.logs", f"scene {name} is {(T - 1) * dt:g} s long, shorter than the family's "
                f"duration ({duration:g} s); give a shorter duration or leave the scene out")
        return None
    dx, dy = smap.shift
    x, y = traj[..., 0] + dx, traj[..., 1] + dy
    heading, speed = traj[..., 2], traj[..., 3]
    lane_ids = tuple(f"{name}/{lid}" for lid in _map_lane_ids(smap))
    lane = np.full((M, T), -1, np.int64)
    s, d = np.full((M, T), np.nan), np.full((M, T), np.nan)
    key = (_stamp(source), smap.map_sha256, b, smap.shift, dt)
    if key not in _PROJECTED:
        _remember(_PROJECTED, key, project(net, lane_ids, x[present], y[present], heading[present]))
    lane[present], s[present], d[present] = _PROJECTED[key]
    kinds = log.kinds[b][keep].astype(np.int64)
    sizes = log.sizes[b][keep].astype(np.float64)
    track_ids = tuple(str(t) for t in log.track_ids[b][keep])
    widths = np.array([net.lane(lid).width for lid in lane_ids])
    on_lane = present & (lane >= 0) & (np.abs(d) <= ON_LANE * 0.5 * widths[np.maximum(lane, 0)])
    vehicle = present & np.isin(kinds, VEHICLE_KINDS)[:, None]
    on_lane &= vehicle & np.isfinite(speed)
    overlap = overlapping_frames(x, y, heading, sizes, present)
    frames, egos, got = [], [], {r: [] for r in roles}
    for k in range(0, T - steps):
        if overlap[k]:  # two logged boxes overlap: a scenario starting here starts in a collision
            continue
        # the ego is in the log for the whole scenario: it does not drive on past the recorded stretch,
        # where the other logged vehicles leave the scene and nobody comes
        cand = np.flatnonzero(on_lane[:, k] & present[:, k:k + steps + 1].all(axis=1))
        if rule.lanes:
            cand = [i for i in cand if lane_ids[lane[i, k]].split("/", 1)[1] in rule.lanes]
        if rule.track is not None:
            cand = [i for i in cand if track_ids[i] == rule.track]
        on = np.flatnonzero(on_lane[:, k])
        here = np.flatnonzero(vehicle[:, k])
        row, row_roles = [], {role: [] for role in roles}
        for i in _ranked(rule, cand, k, x, y, present, dx, dy):  # the first with every role is the ego
            r = {role: role_of(net, lane_ids, track_ids, i, k, role, x, y, lane, s, on, sizes, here) for role in roles}
            if all(v >= 0 for v in r.values()) and len({i, *r.values()}) == len(r) + 1:
                row.append(i)
                for role in roles:
                    row_roles[role].append(r[role])
                if not rule.any:  # any: every eligible vehicle, one picked per scenario by seed_from.ego
                    break
        if row:
            frames.append(k)
            egos.append(row)
            for role in roles:
                got[role].append(row_roles[role])
    n_overlap = int(overlap[:T - steps].sum())
    if n_overlap == T - steps:
        c.error(logs_mark, "seed_from.logs", f"scene {name}: two logged boxes overlap at every moment of its first "
                f"{(T - 1 - steps) * dt:g} s (a scenario would start in a collision); leave the scene out")
        return None
    if not frames:
        need = f" with a {', '.join(_role_text(r) for r in roles)}" if roles else ""
        skipped = f"; {n_overlap} moment(s) left out where logged boxes overlap" if n_overlap else ""
        c.error(c.at(m, "ego") if "ego" in m else logs_mark, "seed_from.ego",
                f"no vehicle of scene {name} can be the ego{need} at any moment of its first "
                f"{(T - 1 - steps) * dt:g} s (the rule: {rule.text()}, on a lane and in the log for the "
                f"family's {duration:g} s{skipped}); leave the scene out or "
                "change the rule")
        return None
    return S.SeedScene(name=name, source=source, t0=float(log.t0[b]), track_ids=track_ids, kinds=kinds, sizes=sizes,
                       x=x, y=y, heading=heading, speed=speed, present=present, lane=lane, s=s, offset=d,
                       lane_ids=lane_ids, usable=np.array(frames, np.int64), ego=_padded(egos),
                       roles={r: _padded(v) for r, v in got.items()}, overlapping=n_overlap)


def _role_text(key: str) -> str:
    """A role's key in words: ``left_ahead:room=5`` -> ``left_ahead with 5 m of room``."""
    role, _, room = key.partition(":room=")
    return role.replace(":", " ") + (f" with {room} m of room" if room else "")


def overlapping_frames(x: np.ndarray, y: np.ndarray, heading: np.ndarray, sizes: np.ndarray,
                       present: np.ndarray) -> np.ndarray:
    """(T,) bool: the frames at which the boxes of two agents present there overlap (touching
    counts; :func:`~scenariogen.logs.base.boxes_overlap`, the kernel's separating-axes test). ``x``,
    ``y`` (m), ``heading`` (rad): (M, T); ``sizes``: (M, 2) length, width (m); ``present``: (M, T)."""
    from ...logs.base import boxes_overlap

    T = present.shape[1]
    out = np.zeros(T, np.bool_)
    reach = 0.5 * np.hypot(sizes[:, 0], sizes[:, 1])  # circumradius: boxes further apart than the sum cannot touch
    for k in range(T):
        m = np.flatnonzero(present[:, k])
        i, j = np.triu_indices(m.size, 1)
        a, b = m[i], m[j]
        near = np.hypot(x[b, k] - x[a, k], y[b, k] - y[a, k]) <= reach[a] + reach[b]
        a, b = a[near], b[near]
        out[k] = bool(boxes_overlap(x[a, k], y[a, k], heading[a, k], sizes[a, 0], sizes[a, 1],
                                    x[b, k], y[b, k], heading[b, k], sizes[b, 0], sizes[b, 1]).any())
    return out


def _padded(rows: list[list[int]]) -> np.ndarray:
    """(U, C) int array of the rows, padded with -1."""
    out = np.full((len(rows), max(len(r) for r in rows)), -1, np.int64)
    for j, r in enumerate(rows):
        out[j, :len(r)] = r
    return out


def _map_lane_ids(smap: S.SeedMap) -> tuple[str, ...]:
    from ...road.maps import map_road

    net, _ = map_road(smap.map_file, smap.map_format)
    return tuple(net.lanes)


def _ranked(rule: S.EgoRule, cand, k: int, x, y, present, dx: float, dy: float) -> list[int]:
    """The candidates in the rule's order of preference (ties: the log's order)."""
    cand = [int(i) for i in cand]
    if rule.track is not None or rule.any or not cand:
        return cand
    if rule.nearest is not None:
        px, py = rule.nearest[0] + dx, rule.nearest[1] + dy
        score = [math.hypot(x[i, k] - px, y[i, k] - py) for i in cand]
    else:
        xs, ys = x[present[:, k], k], y[present[:, k], k]
        score = [-int(np.sum(np.hypot(xs - x[i, k], ys - y[i, k]) <= rule.busiest)) for i in cand]
    return [cand[j] for j in np.argsort(score, kind="stable")]


def role_of(net: RoadNetwork, lane_ids: tuple[str, ...], track_ids: tuple[str, ...], e: int, k: int, role: str,
            x, y, lane, s, on, sizes, here) -> int:
    """The agent that takes ``role`` (a :attr:`~scenariogen.dsl.schema.LogPlacement.key`) relative to
    agent ``e`` at frame ``k`` (-1: none): for ``track:ID`` that track if it is ``on`` a lane then;
    otherwise the nearest of the vehicles ``on`` a lane that is ahead of (or behind) the ego along
    its lane's heading by at most ``ROLE_RANGE`` m, in the ego's lane (``leader``, ``follower``) or
    the lane on its left or right (``left_ahead``, ...), each counted with the lanes before and
    after it. With ``:room=M``, the nearest of those with room to change into the ego's lane: no
    other vehicle of the ego's lane (among ``here``, the vehicles present; lengths in ``sizes``)
    whose centre is on the same side of the ego has its box within M m of the vehicle's box
    lengthwise (along the ego's lane: beside it, or less than M m ahead or behind it)."""
    if role.startswith("track:"):
        hit = [int(i) for i in on if track_ids[i] == role[6:]]
        return hit[0] if hit else -1
    role, _, room_text = role.partition(":room=")
    lid = lane_ids[lane[e, k]]
    side = role.split("_")[0] if "_" in role else "same"
    target = lid if side == "same" else (net.left(lid) if side == "left" else net.right(lid))
    if target is None:
        return -1
    ln = net.lane(lid)
    h = float(ln.heading_at(min(max(float(s[e, k]), 0.0), ln.length)))

    def ahead_of_ego(group_of: str, among: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The vehicles of ``among`` in the lane ``group_of`` (with the lanes before and after it) and
        their distance (m) ahead of the ego along its lane, centre to centre (behind: negative)."""
        group = {group_of, *net.successors(group_of), *net.predecessors(group_of)}
        idx = [j for j, g in enumerate(lane_ids) if g in group]
        got = among[(among != e) & np.isin(lane[among, k], idx)]
        return got, (x[got, k] - x[e, k]) * math.cos(h) + (y[got, k] - y[e, k]) * math.sin(h)

    cand, along = ahead_of_ego(target, on)
    sign = 1.0 if role in ("leader", "left_ahead", "right_ahead") else -1.0
    dist = sign * along
    fine = (dist > 0.0) & (dist <= ROLE_RANGE)
    if not fine.any():
        return -1
    if not room_text:
        return int(cand[fine][np.argmin(dist[fine])])
    # room: no box of the ego's lane on that side of the ego within ``room`` m of the vehicle's, lengthwise
    mine, at = ahead_of_ego(lid, here)
    side_of_ego = sign * at > 0.0
    lo, hi = at - 0.5 * sizes[mine, 0], at + 0.5 * sizes[mine, 0]
    for q in np.argsort(dist, kind="stable"):
        reach = 0.5 * sizes[cand[q], 0] + float(room_text)
        if fine[q] and not (side_of_ego & (lo <= along[q] + reach) & (hi >= along[q] - reach)).any():
            return int(cand[q])
    return -1
