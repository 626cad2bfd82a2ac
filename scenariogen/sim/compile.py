"""Compile a :class:`ScenarioSpec` and a parameter matrix theta (B x d) into kernel arrays.

Python here validates and shapes; it is vectorised over the B scenarios. Agent
0 is always the ego, then the named actors in spec order, then background
traffic (padded to the largest count the count distribution allows, with a
validity mask). Traffic placement uses each scenario's own counter-based
random stream, so a scenario's initial state depends only on its theta row,
the spec's seed and its global index, never on the batch or shard it is in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..dsl import schema as S
from ..dsl.distributions import Const, Poisson, Ref, Value
from ..dsl.limits import MAX_MANEUVERS, MAX_PATH_POINTS as MAX_PATH, MAX_ROUTE
from ..data import layout as Lo
from ..data.state import AgentState
from ..errors import SimulationError
from ..events.conflicts import REL_CROSSING, REL_DIVERGING, REL_MERGING, REL_NONE, REL_OPPOSITE, LaneRelations
from ..kernels.placement import place_traffic
from ..kernels.rng import fill_uniforms, stream_seed
from ..road import CompiledRoad, RoadNetwork, build_road, compile_road
from ..road.compile import CompiledRules, compile_rules
from ..road.rules import Controls
from . import seed as seeding


@dataclass(frozen=True, eq=False)
class CompiledRoadPlus:
    """A compiled road plus the dead-end flag of each lane (a lane that ends while its neighbour goes on)."""

    network: RoadNetwork
    arrays: CompiledRoad
    dead_end: np.ndarray  # bool (L,)
    rules: CompiledRules


def _dead_ends(net: RoadNetwork, road: CompiledRoad) -> np.ndarray:
    out = np.zeros(road.n_lanes, dtype=np.bool_)
    for k, lid in enumerate(road.lane_ids):
        if net.successors(lid):
            continue
        lane = net.lane(lid)
        x, y, _h = lane.position(lane.length)
        for nb in (net.left(lid), net.right(lid)):
            if nb is None:
                continue
            s_nb, _d = net.lane(nb).local_coordinates(x, y)
            if s_nb < net.lane(nb).length - 1.0 or net.successors(nb):
                out[k] = True
    return out


MAP_CURVATURE_WINDOW = 10.0  # m over which drivers read the curvature of a map's lanes (road.compile)


@lru_cache(maxsize=16)
def _road_cached(road: S.RoadSpec) -> CompiledRoadPlus:
    net = build_road(road)
    arrays = compile_road(net, ds=0.5, curvature_window=MAP_CURVATURE_WINDOW if road.type in ("map", "seed") else 0.0)
    return CompiledRoadPlus(net, arrays, _dead_ends(net, arrays), compile_rules(net))


def compiled_road(spec: S.ScenarioSpec) -> CompiledRoadPlus:
    """The spec's road, built and compiled once per road spec (cached)."""
    return _road_cached(spec.road)


@lru_cache(maxsize=16)
def _relations_cached(road: S.RoadSpec) -> LaneRelations:
    rp = _road_cached(road)
    ru, opp = rp.rules, rp.arrays.opposite
    n = rp.arrays.n_lanes
    kind = np.zeros((n, n), np.int8)
    rank = {REL_CROSSING: 3, REL_MERGING: 2, REL_DIVERGING: 1}  # one code per pair: the strongest
    codes = (REL_CROSSING, REL_MERGING, REL_DIVERGING)  # road.conflicts.KINDS order
    for a in range(n):
        for e in range(int(ru.cf_first[a]), int(ru.cf_first[a + 1])):
            b, code = int(ru.cf_other[e]), codes[int(ru.cf_kind[e])]
            if rank[code] > rank.get(int(kind[a, b]), 0):
                kind[a, b] = kind[b, a] = code
        if opp[a] >= 0 and kind[a, opp[a]] == REL_NONE:
            kind[a, opp[a]] = kind[opp[a], a] = REL_OPPOSITE
    kind.setflags(write=False)
    return LaneRelations(kind)


def lane_relations(spec: S.ScenarioSpec) -> LaneRelations:
    """How the lanes of the spec's road meet (their conflict areas, opposite lanes), for the
    conflict types of :mod:`scenariogen.events.conflicts` (cached per road spec)."""
    return _relations_cached(spec.road)


def resolve(value: Value | None, theta: np.ndarray, names: dict[str, int], default: float = 0.0) -> np.ndarray:
    """A field's value per scenario, shape (B,)."""
    B = theta.shape[0]
    if value is None:
        return np.full(B, default)
    if isinstance(value, Const):
        return np.full(B, float(value.value))
    if isinstance(value, Ref):
        return theta[:, names[value.name]].astype(np.float64, copy=True)
    raise SimulationError(f"cannot resolve {value!r}")


def max_count(value: Value, spec: S.ScenarioSpec) -> int:
    """Largest number of vehicles a traffic count can produce (upper bound of its distribution)."""
    if isinstance(value, Const):
        return int(value.value)
    p = spec.parameters.parameters[spec.parameters.index(value.name)]
    hi = p.bounds[1]
    if math.isinf(hi):
        if isinstance(p.dist, Poisson):
            return int(p.dist.ppf(np.array([1.0 - 1e-9]))[0])
        raise SimulationError(f"traffic count parameter {value.name} has no upper bound")
    return int(hi)


@dataclass(frozen=True, eq=False)
class KernelInputs:
    """Everything the kernel needs for one batch (arrays only) plus agent names."""

    road: CompiledRoadPlus
    agent_names: tuple[str, ...]
    state: AgentState  # initial state, (B, N)
    arrays: dict  # behaviour, manoeuvre and limit arrays by name
    n_agents: int


def compile_batch(spec: S.ScenarioSpec, theta: np.ndarray, indices: np.ndarray, seed: int) -> KernelInputs:
    """Build the kernel input arrays for scenarios with parameter rows ``theta`` (B x d) and
    global indices ``indices`` (B,), which select each scenario's random stream."""
    theta = np.ascontiguousarray(theta, dtype=np.float64)
    B = theta.shape[0]
    names = {n: i for i, n in enumerate(spec.parameters.names)}
    rp = compiled_road(spec)
    net, road = rp.network, rp.arrays
    actors = spec.actors
    n_named = len(actors)
    caps = [max_count(t.count, spec) for t in spec.traffic]
    n_log = seeding.slots(spec) if spec.seed_from is not None else 0
    N = n_named + sum(caps) + n_log
    K = MAX_MANEUVERS

    f64 = lambda: np.zeros((B, N))  # noqa: E731
    kind = np.zeros((B, N), np.int64)
    length, width = f64(), f64()
    valid = np.zeros((B, N), np.bool_)
    free = np.zeros((B, N), np.bool_)
    model = np.zeros((B, N), np.int64)
    params = np.zeros((B, N, Lo.N_PARAMS))
    man_val = np.zeros((B, N, K, Lo.N_MAN_VALUES))
    x0, y0, h0, v0, s0, d0 = f64(), f64(), f64(), f64(), f64(), f64()
    lane0 = np.full((B, N), -1, np.int64)
    route = np.full((N, MAX_ROUTE), -1, np.int64)
    route_len = np.zeros(N, np.int64)
    man_type = np.zeros((N, K), np.int64)
    man_trig = np.zeros((N, K), np.int64)
    man_other = np.zeros((N, K), np.int64)
    man_to = np.full((N, K), -1, np.int64)
    man_trig2 = np.full((N, K), Lo.TRIG_NONE, np.int64)
    man_other2 = np.zeros((N, K), np.int64)
    man_combo = np.zeros((N, K), np.int64)
    path = np.zeros((N, MAX_PATH, 2))
    path_len = np.zeros(N, np.int64)

    # ---- named actors, in spec order (the ego first)
    actors = tuple(actors[i] for i in seeding.named_in_columns(spec))
    agent_names = [a.name for a in actors]
    index_of = {n: i for i, n in enumerate(agent_names)}
    placed: dict[str, int] = {}
    # place in dependency order of relative placements
    pending = list(range(n_named))
    while pending:
        progressed = False
        for i in list(pending):
            a = actors[i]
            p = a.placement
            if isinstance(p, S.LanePlacement) and p.relative_to is not None and p.relative_to not in placed:
                continue
            if not isinstance(p, S.LogPlacement):  # logged vehicles: seeding.place_seeded below
                _place_actor(i, a, spec, theta, names, rp, index_of, x0, y0, h0, s0, d0, lane0, free)
            placed[a.name] = i
            pending.remove(i)
            progressed = True
        if not progressed:
            raise SimulationError("relative placements form a cycle")
    for i, a in enumerate(actors):
        kind[:, i] = Lo.KIND_CODES[a.kind]
        length[:, i] = a.length
        width[:, i] = a.width
        valid[:, i] = True
        v0[:, i] = resolve(a.speed, theta, names)
        _behavior_columns(params, model, (slice(None), i), a.behavior, theta, names, spec.dt)
        if a.route:
            ids = [road.index_of(r) for r in a.route]
            route[i, : len(ids)] = ids[:MAX_ROUTE]  # the DSL refuses longer routes
            route_len[i] = min(len(ids), MAX_ROUTE)
        for k, m in enumerate(a.maneuvers[:K]):
            code = Lo.MAN_CODES["lane_change" if m.type == "cut_in" else m.type]
            trig, second = m.start, m.start.second
            man_type[i, k] = code
            man_trig[i, k] = Lo.TRIG_CODES[trig.kind]
            man_other[i, k] = index_of[trig.other] if trig.other else 0
            man_to[i, k] = (-1 if m.to is None else Lo.LANE_TO_SIDE[m.to] if m.to in Lo.LANE_TO_SIDE and
                            m.to not in road.lane_ids else road.index_of(m.to))
            man_val[:, i, k, Lo.M_TRIG] = resolve(trig.value, theta, names)
            if second is not None:
                man_trig2[i, k] = Lo.TRIG_CODES[second.kind]
                man_other2[i, k] = index_of[second.other] if second.other else 0
                man_combo[i, k] = Lo.COMBO_ALL if trig.combine == "all" else Lo.COMBO_ANY
                man_val[:, i, k, Lo.M_TRIG2] = resolve(second.value, theta, names)
            man_val[:, i, k, Lo.M_TIMEOUT] = np.inf if trig.timeout is None else resolve(trig.timeout, theta, names)
            man_val[:, i, k, Lo.M_DUR] = resolve(m.duration, theta, names)
            man_val[:, i, k, Lo.M_DECEL] = resolve(m.decel, theta, names)
            man_val[:, i, k, Lo.M_SPEED] = resolve(m.speed, theta, names)
            man_val[:, i, k, Lo.M_OFFSET] = resolve(m.offset, theta, names)
            man_val[:, i, k, Lo.M_GAP] = resolve(m.gap_check, theta, names)
            if code == Lo.MAN_CROSS:
                pts = np.asarray(m.path[:MAX_PATH], dtype=float)
                path[i, : len(pts)] = pts - pts[0]
                path_len[i] = len(pts)
        if a.kind == "pedestrian" and not any(m.type == "cross" for m in a.maneuvers):
            free[:, i] = True

    # ---- background traffic, placed in numba with per-scenario streams
    col = n_named
    seeds = np.array([stream_seed(np.uint64(seed), np.uint64(ix)) for ix in np.asarray(indices, dtype=np.uint64)],
                     dtype=np.uint64)
    for t_i, (tr, cap) in enumerate(zip(spec.traffic, caps)):
        if cap == 0:
            continue
        cols = slice(col, col + cap)
        count = np.clip(np.rint(resolve(tr.count, theta, names)), 0, cap).astype(np.int64)
        lanes = np.array([road.index_of(lid) for lid in tr.lanes], dtype=np.int64)
        lo_s, hi_s = tr.s_range if tr.s_range is not None else (0.0, -1.0)
        if tr.spacing is not None:
            gap = resolve(tr.spacing, theta, names)
        else:
            gap = np.maximum(1000.0 / resolve(tr.density, theta, names) - tr.length, 1.0)
        speed = resolve(tr.speed, theta, names)
        occ_lane = lane0[:, :col].copy()  # named actors and earlier traffic blocks
        occ_s = s0[:, :col].copy()
        occ_len = length[:, :col].copy()
        ok = np.zeros((B, cap), np.bool_)
        tl, ts, tv = np.zeros((B, cap), np.int64), np.zeros((B, cap)), np.zeros((B, cap))
        u_pos, u_speed = np.full((B, len(lanes)), np.nan), np.full((B, len(lanes)), np.nan)
        for k, (vp, vs) in enumerate(zip(tr.first_position, tr.first_speed)):
            u_pos[:, k] = resolve(vp, theta, names)
            u_speed[:, k] = resolve(vs, theta, names)
        place_traffic(seeds, np.uint64(t_i + 1), count, lanes, road.lane_length, lo_s, hi_s, gap, speed, tr.length,
                       occ_lane, occ_s, occ_len, u_pos, u_speed, ok, tl, ts, tv)
        valid[:, cols] = ok
        lane0[:, cols] = np.where(ok, tl, -1)
        s0[:, cols] = ts
        v0[:, cols] = tv
        kind[:, cols] = Lo.KIND_CODES[tr.kind]
        length[:, cols] = tr.length
        width[:, cols] = tr.width
        for c in range(col, col + cap):
            _behavior_columns(params, model, (slice(None), c), tr.behavior, theta, names, spec.dt)
        # a little diversity in desired speed per vehicle, from the same streams
        jitter = np.empty((B, cap))
        fill_uniforms(seeds, np.uint64(1000 + t_i), cap, jitter)
        params[:, cols, Lo.P_V0] *= 0.9 + 0.2 * jitter
        if tr.offset_sd > 0:  # at 0 nothing is drawn: the stream and every result stay as they were
            d0[:, cols] = _lateral_offsets(seeds, np.uint64(3000 + t_i), tr, road.lane_width[np.maximum(tl, 0)])
        agent_names.extend(f"{tr.name}.{k}" for k in range(cap))
        col += cap

    logged = np.zeros((B, N), np.bool_)
    replay = seeding.no_replay(B, N)
    lc_to, lc_dur = np.full((B, N), -1, np.int64), np.zeros((B, N))
    if spec.seed_from is not None:
        rows = seeding.seed_rows(spec, theta, names, N)
        logged = seeding.place_seeded(spec, rows, road, x0, y0, h0, v0, s0, d0, lane0, kind, length, width, valid, free)
        replay = seeding.replay_arrays(spec, rows, road, seeding.replayed(spec, N))
        cols = slice(col, N)
        for c in range(col, N):
            _behavior_columns(params, model, (slice(None), c), spec.seed_from.behavior, theta, names, spec.dt)
        jitter = np.empty((B, N - col))
        fill_uniforms(seeds, np.uint64(2000), N - col, jitter)
        params[:, cols, Lo.P_V0] *= 0.9 + 0.2 * jitter
        agent_names.extend(f"log.{k}" for k in range(N - col))
        # replayed agents follow their recording: no lane changes, no forced merges, no command of their own
        params[:, :, Lo.P_MOBIL] = np.where(replay["replay"], 0.0, params[:, :, Lo.P_MOBIL])
        model[:] = np.where(replay["replay"], Lo.MODEL_CONSTANT, model)
        # the logged traffic caught between two lanes goes on with its lane change
        traffic = logged & ~replay["replay"]
        traffic[:, :n_named] = False
        lc_to, lc_dur = seeding.lane_changes(spec, rows, rp, lane0, d0, traffic)
        also = seeding.other_lanes(road, lane0, d0, lc_to)
        seeding.keep_logged_gaps(spec, rows, rp, params, v0, replay["replay"], also)
        # the logged traffic leaves at the map's end, as in its log; the ego and the named actors stay
        params[:, n_named:, Lo.P_LEAVE] = logged[:, n_named:]

    _draw_drivers(params, seeds)

    # world poses of every lane-bound agent (logged ones keep their real pose)
    lane_bound = valid & ~free & (lane0 >= 0) & ~logged
    for li in np.unique(lane0[lane_bound]):
        sel = lane_bound & (lane0 == li)
        lane = net.lane(road.lane_ids[li])
        x, y, h = lane.positions(s0[sel], d0[sel])
        x0[sel], y0[sel], h0[sel] = x, y, h

    max_brake = np.take(np.array(Lo.KIND_MAX_BRAKE), kind)
    max_jerk = np.take(np.array(Lo.KIND_MAX_JERK), kind)
    max_steer = np.take(np.array(Lo.KIND_MAX_STEER), kind)
    state = AgentState(x=x0, y=y0, heading=h0, speed=v0, accel=np.zeros((B, N)), lane=lane0, s=s0, offset=d0,
                       length=length, width=width, kind=kind, valid=valid)
    try:
        state.validate()
    except ValueError as exc:
        raise SimulationError(f"{spec.name}: invalid initial state: {exc}") from None
    occ_px, occ_py, occ_start, occ_count = occluder_arrays(spec)
    arrays = dict(
        route=route, route_len=route_len, man_type=man_type, man_trig=man_trig, man_other=man_other, man_to=man_to,
        man_trig2=man_trig2, man_other2=man_other2, man_combo=man_combo,
        path=path, path_len=path_len, free=free, model=model, params=params, man_val=man_val,
        max_brake=max_brake, max_jerk=max_jerk, max_steer=max_steer,
        sensor=sensor_matrix(actors[0], theta, names, spec.dt), seeds=seeds ^ np.uint64(0x5E550A5),
        occ_px=occ_px, occ_py=occ_py, occ_start=occ_start, occ_count=occ_count,
        signals=signal_timing(spec, theta, names, net.controls), replay=replay,
        lc_to=lc_to, lc_dur=lc_dur,
    )
    return KernelInputs(rp, tuple(agent_names), state, arrays, N)


# default laws of the driver traits a scenario leaves out: truncated normals (mean, std, low, high),
# drawn for each agent from its scenario's random stream (see docs/dsl.md for the sources)
DRIVER_DEFAULTS = {
    Lo.P_ALAT: (3.0, 0.6, 1.5, 4.5),  # m/s^2 kept in curves
    Lo.P_TCRIT: (5.0, 0.8, 3.5, 7.5),  # s, critical gap
    Lo.P_TFOLLOW: (3.0, 0.5, 2.0, 4.5),  # s, follow-up time
}
DEFAULT_COOPERATION = 0.5  # probability that a driver opens a gap for a merging vehicle
DEFAULT_MERGE_GAP = 1.0  # s, time gap a merging driver leaves its new follower at the merge zone's start
DEFAULT_NOISE_TIME = 1.0  # s, correlation time of a driver's acceleration noise (its std defaults to 0: none)


def _draw_drivers(params: np.ndarray, seeds: np.ndarray) -> None:
    """Fill the driver traits left NaN with draws from :data:`DRIVER_DEFAULTS`, one per agent slot
    from the scenario's stream (so a scenario's drivers depend on its index only)."""
    from scipy.special import ndtr, ndtri

    B, N = params.shape[:2]
    for col, (mean, std, lo, hi) in DRIVER_DEFAULTS.items():
        unset = np.isnan(params[:, :, col])
        if not unset.any():
            continue
        u = np.empty((B, N))
        fill_uniforms(seeds, np.uint64(3000 + col), N, u)
        a, b = ndtr((lo - mean) / std), ndtr((hi - mean) / std)
        draw = mean + std * ndtri(a + u * (b - a))
        params[:, :, col] = np.where(unset, draw, params[:, :, col])
    # cooperation: a probability per driver, drawn into yes (1.0) or no (0.0)
    p = np.where(np.isnan(params[:, :, Lo.P_COOP]), DEFAULT_COOPERATION, params[:, :, Lo.P_COOP])
    u = np.empty((B, N))
    fill_uniforms(seeds, np.uint64(3000 + Lo.P_COOP), N, u)
    params[:, :, Lo.P_COOP] = (u < p).astype(np.float64)


def _behavior_columns(params, model, where, beh: S.BehaviorSpec, theta, names, dt) -> None:
    idm = beh.idm
    model[where] = Lo.MODEL_CODES[beh.model]
    params[where + (Lo.P_V0,)] = np.maximum(resolve(idm.desired_speed, theta, names), 0.1)
    params[where + (Lo.P_T,)] = resolve(idm.time_headway, theta, names)
    params[where + (Lo.P_S0,)] = resolve(idm.min_gap, theta, names)
    params[where + (Lo.P_AMAX,)] = resolve(idm.max_accel, theta, names)
    params[where + (Lo.P_BCOMF,)] = resolve(idm.comfort_decel, theta, names)
    params[where + (Lo.P_DELTA,)] = idm.delta
    params[where + (Lo.P_REACT,)] = np.minimum(np.rint(resolve(idm.reaction_time, theta, names) / dt), 31)
    params[where + (Lo.P_STOPDEC,)] = resolve(beh.stop_decel, theta, names)
    merge_gap = beh.driver.merge_gap
    params[where + (Lo.P_TMERGE,)] = DEFAULT_MERGE_GAP if merge_gap is None else resolve(merge_gap, theta, names)
    noise, noise_time = beh.driver.accel_noise, beh.driver.accel_noise_time
    params[where + (Lo.P_ANOISE,)] = 0.0 if noise is None else resolve(noise, theta, names)
    params[where + (Lo.P_TNOISE,)] = DEFAULT_NOISE_TIME if noise_time is None else resolve(noise_time, theta, names)
    wander = beh.driver.wander
    params[where + (Lo.P_WSD,)] = 0.0 if wander is None else resolve(wander.sd, theta, names)
    params[where + (Lo.P_WTAU,)] = 1.0 if wander is None else resolve(wander.tau, theta, names)
    for col, value in ((Lo.P_ALAT, beh.driver.lateral_accel), (Lo.P_TCRIT, beh.driver.critical_gap),
                       (Lo.P_TFOLLOW, beh.driver.follow_up), (Lo.P_COOP, beh.driver.cooperation)):  # NaN: drawn per driver (_draw_drivers)
        params[where + (col,)] = np.nan if value is None else resolve(value, theta, names)
    if beh.mobil is not None:
        params[where + (Lo.P_MOBIL,)] = 1.0
        params[where + (Lo.P_POLITE,)] = resolve(beh.mobil.politeness, theta, names)
        params[where + (Lo.P_THRESH,)] = resolve(beh.mobil.threshold, theta, names)
        params[where + (Lo.P_BSAFE,)] = resolve(beh.mobil.safe_decel, theta, names)
        params[where + (Lo.P_LCDUR,)] = resolve(beh.mobil.duration, theta, names)
    else:
        params[where + (Lo.P_LCDUR,)] = 3.0


def _lateral_offsets(seeds: np.ndarray, salt: np.uint64, tr: S.TrafficSpec, lane_width: np.ndarray) -> np.ndarray:
    """(B, cap) m: each vehicle's offset from its lane's centre, normal with sd ``tr.offset_sd``
    truncated to ``|d| <= (lane_width - width) / 2`` (box inside the lane; 0 on a lane narrower
    than the box), by the inverse CDF of one uniform per vehicle from the scenario's stream."""
    from scipy.special import ndtr, ndtri

    u = np.empty(lane_width.shape)
    fill_uniforms(seeds, salt, lane_width.shape[1], u)
    half = np.maximum(0.5 * (lane_width - tr.width), 0.0)
    lo = ndtr(-half / tr.offset_sd)
    d = tr.offset_sd * ndtri(lo + u * (1.0 - 2.0 * lo))
    return np.clip(d, -half, half)


def _place_actor(i, a: S.ActorSpec, spec, theta, names, rp: CompiledRoadPlus, index_of, x0, y0, h0, s0, d0, lane0, free):
    net, road = rp.network, rp.arrays
    p = a.placement
    if isinstance(p, S.LanePlacement):
        li = road.index_of(p.lane)
        s = resolve(p.s, theta, names)
        if p.relative_to is not None:
            j = index_of[p.relative_to]
            ref_lane = road.lane_ids[int(lane0[0, j])]
            if ref_lane == p.lane:
                s = s0[:, j] + s
            else:
                x, y, _h = net.lane(ref_lane).positions(s0[:, j], np.zeros_like(s))
                s_on, _d = net.lane(p.lane).local_coordinates_array(x, y)
                s = s_on + s
        lane0[:, i] = li
        s0[:, i] = s
        d0[:, i] = resolve(p.offset, theta, names)
        return
    x = resolve(p.x, theta, names)
    y = resolve(p.y, theta, names)
    h = np.radians(resolve(p.heading_deg, theta, names))
    x0[:, i], y0[:, i], h0[:, i] = x, y, h
    if a.kind == "pedestrian":
        free[:, i] = True
        return
    # vehicles and cyclists placed by pose are snapped to the nearest lane heading their way
    lid, _s, _d = net.locate(float(x[0]), float(y[0]), float(h[0]))
    lane = net.lane(lid)
    s, d = lane.local_coordinates_array(x, y)
    lane0[:, i] = road.index_of(lid)
    s0[:, i] = s
    d0[:, i] = d


def signal_timing(spec: S.ScenarioSpec, theta: np.ndarray, names: dict[str, int],
                  controls: Controls | None = None) -> dict[str, np.ndarray]:
    """Per scenario, when each signal group (a phase of the junction's plan) turns green in the
    cycle, its green and amber times, the cycle and its offset (s); a cycle of 0 without signals.
    A road with its own plan (``controls.plan``: a map's light cycles) runs that plan in every
    scenario."""
    B = theta.shape[0]
    if controls is not None and controls.plan:
        plan = np.array(controls.plan, dtype=np.float64)  # (G, 3): start, green, amber

        def rows(col: np.ndarray) -> np.ndarray:
            return np.repeat(col[None, :], B, axis=0)

        return {"start": rows(plan[:, 0]), "green": rows(plan[:, 1]), "amber": rows(plan[:, 2]),
                "cycle": np.full(B, float(controls.cycle)), "offset": np.zeros(B)}
    if controls is not None and controls.n_groups > max(1, len(spec.road.control.phases)):
        raise SimulationError(f"{spec.name}: the road has {controls.n_groups} signal groups but no plan for them")
    ctl = spec.road.control
    phases = ctl.phases if ctl.type == "signal" else ()
    G = max(1, len(phases))
    start, green, amber = np.zeros((B, G)), np.zeros((B, G)), np.zeros((B, G))
    cycle = np.zeros(B)
    all_red = resolve(ctl.all_red, theta, names) if phases else np.zeros(B)
    for k, ph in enumerate(phases):
        start[:, k] = cycle
        green[:, k] = resolve(ph.green, theta, names)
        amber[:, k] = resolve(ph.amber, theta, names)
        cycle = cycle + green[:, k] + amber[:, k] + all_red
    offset = resolve(ctl.offset, theta, names) if phases else np.zeros(B)
    return {"start": start, "green": green, "amber": amber, "cycle": cycle, "offset": offset}


def sensor_matrix(ego: S.ActorSpec, theta: np.ndarray, names: dict[str, int], dt: float) -> np.ndarray:
    """Per-scenario sensor and AEB settings of the ego, (B, layout.N_SENSOR)."""
    B = theta.shape[0]
    out = np.zeros((B, Lo.N_SENSOR))
    out[:, Lo.E_FIRST_START] = -1.0  # the dropout chain draws its own first burst
    sen = ego.sensor
    if sen is not None:
        out[:, Lo.E_ON] = 1.0
        out[:, Lo.E_RANGE] = resolve(sen.range, theta, names)
        out[:, Lo.E_FOV] = np.radians(resolve(sen.fov_deg, theta, names))
        out[:, Lo.E_MOUNT_X] = sen.mount_x
        out[:, Lo.E_MOUNT_Y] = sen.mount_y
        out[:, Lo.E_POS_NOISE] = resolve(sen.position_noise, theta, names)
        out[:, Lo.E_SPEED_NOISE] = resolve(sen.speed_noise, theta, names)
        out[:, Lo.E_LATENCY] = np.rint(resolve(sen.latency, theta, names) / dt)
        out[:, Lo.E_THRESHOLD] = sen.visible_threshold
        out[:, Lo.E_MEMORY] = resolve(sen.track_memory, theta, names)
        d = sen.dropout
        if d.model == "gilbert_elliott":
            out[:, Lo.E_DROP_MODEL] = Lo.DROP_GE
            if d.loss_rate is not None:
                rate = resolve(d.loss_rate, theta, names)
                burst = resolve(d.mean_burst, theta, names)
                pe, px = np.vectorize(lambda r, m: S.gilbert_elliott_probs(r, m, dt))(rate, burst)
                out[:, Lo.E_P_ENTER] = pe
                out[:, Lo.E_P_EXIT] = px
            else:
                out[:, Lo.E_P_ENTER] = resolve(d.p_enter, theta, names)
                out[:, Lo.E_P_EXIT] = resolve(d.p_exit, theta, names)
            if d.first_burst_start is not None:
                out[:, Lo.E_FIRST_START] = resolve(d.first_burst_start, theta, names)
                out[:, Lo.E_FIRST_LEN] = resolve(d.first_burst_length, theta, names)
        elif d.model == "independent":
            out[:, Lo.E_DROP_MODEL] = Lo.DROP_INDEPENDENT
            out[:, Lo.E_P_LOSS] = resolve(d.p_loss, theta, names)
    if ego.aeb is not None:
        out[:, Lo.E_AEB_ON] = 1.0
        out[:, Lo.E_AEB_TTC] = resolve(ego.aeb.ttc, theta, names)
        out[:, Lo.E_AEB_REACT] = np.rint(resolve(ego.aeb.reaction_time, theta, names) / dt)
        out[:, Lo.E_AEB_DECEL] = resolve(ego.aeb.max_decel, theta, names)
    return out


def occluder_arrays(spec: S.ScenarioSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Static occluders as convex polygons in CSR form (vertex x, y, start, count).

    A non-convex polygon is split into triangles (constrained Delaunay), so the
    exact angular-sweep occlusion test, which needs convex parts, stays exact."""
    import shapely
    from shapely.geometry import Polygon

    parts: list[np.ndarray] = []
    for occ in spec.occluders:
        poly = Polygon(occ.polygon)
        if poly.convex_hull.area - poly.area <= 1e-9 * max(poly.area, 1.0):
            parts.append(np.asarray(poly.exterior.coords)[:-1])
        else:
            for tri in shapely.constrained_delaunay_triangles(poly).geoms:
                parts.append(np.asarray(tri.exterior.coords)[:-1])
    count = np.array([len(p) for p in parts], dtype=np.int64)
    start = np.zeros(len(parts), dtype=np.int64)
    if len(parts):
        start[1:] = np.cumsum(count)[:-1]
    pts = np.concatenate(parts) if parts else np.zeros((0, 2))
    return (np.ascontiguousarray(pts[:, 0]), np.ascontiguousarray(pts[:, 1]), start, count)
