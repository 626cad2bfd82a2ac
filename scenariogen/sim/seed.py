"""Initial states of a seeded family (``seed_from:``): every logged agent of the scenario's scene, at
its moment, in its real state.

Each row of theta picks a scene (``seed_from.scene``, an index into ``spec.seed_from.scenes``) and a
moment (``seed_from.moment``, u in [0, 1]: the frame ``usable[min(floor(u * U), U - 1)]`` of the U
frames the scene can start at). The ego and the named actors' logged vehicles come from the scene's
tables (with the rule ``any``, ``seed_from.ego`` picks the ego among the eligible ones the same way); the other agents present at that frame fill the columns after the named actors, in the log's
order. Positions, headings and speeds are the log's (its map's shift added); lane, ``s`` and offset
are their projection onto the scene's lanes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data import layout as Lo
from ..dsl import schema as S


@dataclass(frozen=True, eq=False)
class SeedRows:
    """Per scenario (B,): the scene index, the log frame it starts at, and the log agent of every
    agent column (B, N), -1 for none."""

    scene: np.ndarray
    frame: np.ndarray
    agent: np.ndarray


def named_in_columns(spec: S.ScenarioSpec) -> list[int]:
    """Indices into ``spec.actors`` in the order of the kernel's first agent columns: the ego first."""
    return sorted(range(len(spec.actors)), key=lambda i: spec.actors[i].name != "ego")


_VEHICLES = [Lo.KIND_CODES[n] for n in ("car", "truck", "bus", "motorcycle")]


def _lane_index(sc, road) -> np.ndarray:
    """The road's lane index of each of the scene's lanes, and -1 at index -1 (the log's "no lane")."""
    return np.array([road.index_of(lid) for lid in sc.lane_ids] + [-1], np.int64)


def slots(spec: S.ScenarioSpec) -> int:
    """Agent columns the logged vehicles other than the named actors need (the largest scene)."""
    return max(sc.x.shape[0] for sc in spec.seed_from.scenes) - len(spec.actors)


def seed_rows(spec: S.ScenarioSpec, theta: np.ndarray, names: dict[str, int], n_agents: int) -> SeedRows:
    """Which scene, frame and logged agents each row of ``theta`` starts from."""
    from .compile import resolve

    sd = spec.seed_from
    B = theta.shape[0]
    steps = spec.steps
    scene = np.rint(resolve(sd.scene, theta, names)).astype(np.int64)
    u = resolve(sd.moment, theta, names)
    u_ego = theta[:, names["seed_from.ego"]] if sd.ego.any else np.zeros(B)
    frame = np.zeros(B, np.int64)
    agent = np.full((B, n_agents), -1, np.int64)
    n_named = len(spec.actors)
    actors = [spec.actors[i] for i in named_in_columns(spec)]
    for b in range(B):
        sc = sd.scenes[scene[b]]
        U = len(sc.usable)
        j = min(int(np.floor(u[b] * U)), U - 1)
        k = int(sc.usable[j])
        frame[b] = k
        n_ego = int(np.sum(sc.ego[j] >= 0))
        e = min(int(np.floor(u_ego[b] * n_ego)), n_ego - 1)
        taken = []
        for i, a in enumerate(actors):
            p = a.placement
            agent[b, i] = sc.ego[j, e] if p.role == "ego" else sc.roles[p.key][j, e]
            taken.append(agent[b, i])
        # replayed, the agents that enter the scene during the scenario come too
        window = sc.present[:, k:k + steps + 1].any(axis=1) if sd.replay == "others" else sc.present[:, k]
        others = [m for m in np.flatnonzero(window) if m not in taken]
        agent[b, n_named:n_named + len(others)] = others
    return SeedRows(scene, frame, agent)


LAT_MARGIN = 0.3  # m, as kernels.control.LAT_MARGIN: a vehicle ahead this close sideways is in the path


def _s_on(rp, lane: int, x: float, y: float) -> float:
    """Arc length (m) of the world point (x, y) on lane ``lane`` (the road's index) of ``rp``
    (:class:`~scenariogen.sim.compile.CompiledRoadPlus`)."""
    return rp.network.lane(rp.arrays.lane_ids[lane]).local_coordinates(x, y)[0]


def _leader_gaps(sc, k: int, rp, changes: tuple = ()) -> np.ndarray:
    """(M,) bumper-to-bumper gap (m) from each logged vehicle of scene ``sc`` at frame ``k`` to the
    vehicle it follows there, as the kernel finds it at t = 0 (``kernels.control.leaders``): the next
    one along its lane whose body is within ``LAT_MARGIN`` of its path, else the first one on the
    lane's first successor; inf when none (or not on a lane). ``changes``: (agent, other lane) of the
    lane changes in progress at t = 0 (``lane_changes``): such a vehicle is in both lanes, in the
    path of the followers of both, and follows the nearer vehicle ahead of the two."""
    road = rp.arrays
    M = sc.kinds.shape[0]
    gap = np.full(M, np.inf)
    m = np.flatnonzero(sc.present[:, k] & np.isin(sc.kinds, _VEHICLES))
    lane = _lane_index(sc, road)[sc.lane[m, k]]
    s, d = sc.s[m, k], sc.offset[m, k]
    half, w = 0.5 * sc.sizes[m, 0], sc.sizes[m, 1]
    on = (lane >= 0) & (np.abs(d) < 0.5 * (road.lane_width[np.maximum(lane, 0)] + w))
    m, lane, s, d, half, w = m[on], lane[on], s[on], d[on], half[on], w[on]
    changing = np.isin(m, [c[0] for c in changes])
    for a, other in changes:  # its place on the other lane
        i = int(np.flatnonzero(m == a)[0])
        s_o = _s_on(rp, other, sc.x[a, k], sc.y[a, k])
        m, lane, s, d = np.append(m, a), np.append(lane, other), np.append(s, s_o), np.append(d, 0.0)
        half, w, changing = np.append(half, half[i]), np.append(w, w[i]), np.append(changing, True)
    order = np.lexsort((s, lane))
    first = {}
    for q in order:
        first.setdefault(int(lane[q]), q)
    for i in range(m.size):
        ahead = (lane == lane[i]) & (s > s[i]) & (m != m[i])
        ahead &= changing | changing[i] | (np.abs(d - d[i]) < 0.5 * (w + w[i]) + LAT_MARGIN)
        g = np.inf
        if ahead.any():
            j = np.flatnonzero(ahead)[np.argmin(s[ahead])]
            g = s[j] - s[i] - half[i] - half[j]
        elif road.n_successor[lane[i]] > 0 and int(road.successor[lane[i], 0]) in first:
            j = first[int(road.successor[lane[i], 0])]
            g = road.lane_length[lane[i]] - s[i] + s[j] - half[i] - half[j]
        gap[m[i]] = min(gap[m[i]], g)
    return gap


def keep_logged_gaps(spec: S.ScenarioSpec, rows: SeedRows, rp, params: np.ndarray, v: np.ndarray,
                     replay: np.ndarray, also: np.ndarray) -> None:
    """``seed_from.keep_gaps``: every simulated logged vehicle that follows another at t = 0 gets the
    IDM minimum gap s0 and time headway T for which its logged gap g is its equilibrium gap at its
    logged speed v, ``g sqrt(1 - (v / v0)^delta) = s0 + v T``: s0 takes up the difference from its
    behaviour's T within ``min_gap``, then T the rest within ``time_headway``; a value the family
    writes stays (``KeepGaps.fixed``). Faster than its desired speed, or leading no one, it keeps
    its behaviour's values. With ``KeepGaps.desired_speed_above`` (m/s) every simulated logged IDM
    driver's desired speed is first raised to at least its logged speed plus that, so that no driver
    brakes at t = 0 for a desired speed below its logged one. ``v``: (B, N) speeds at t = 0 (m/s);
    ``also``: (B, N) the other lane of a lane change in progress at t = 0 (``other_lanes``), -1 none.
    Edits ``params`` (B, N, P) in place."""
    kg = spec.seed_from.keep_gaps
    if kg is None:
        return
    B, N = rows.agent.shape
    named = [spec.actors[i] for i in named_in_columns(spec)]
    owners = [(f"actors.{a.name}.behavior.{a.behavior.model}", a.behavior.model) for a in named]
    tr = spec.seed_from.behavior.model
    owners += [(f"seed_from.behavior.{tr}", tr)] * (N - len(named))
    idm = np.array([mdl in ("idm", "keep_lane") for _p, mdl in owners])
    fix_t = np.array([f"{p}.time_headway" in kg.fixed for p, _m in owners])
    fix_s = np.array([f"{p}.min_gap" in kg.fixed for p, _m in owners])
    gap = np.full((B, N), np.inf)
    memo: dict = {}
    for b in range(B):
        sc = spec.seed_from.scenes[rows.scene[b]]
        changes = tuple((int(rows.agent[b, c]), int(also[b, c])) for c in np.flatnonzero(also[b] >= 0))
        key = (int(rows.scene[b]), int(rows.frame[b]), changes)
        if key not in memo:
            memo[key] = _leader_gaps(sc, key[1], rp, changes)
        cols = np.flatnonzero(rows.agent[b] >= 0)
        gap[b, cols] = memo[key][rows.agent[b, cols]]
    if kg.desired_speed_above is not None:  # a function of theta (scene, moment, drawn speed): weights stay exact
        raise_v0 = (rows.agent >= 0) & idm & ~replay
        params[..., Lo.P_V0] = np.where(raise_v0, np.maximum(params[..., Lo.P_V0], v + kg.desired_speed_above),
                                        params[..., Lo.P_V0])
    f2 = 1.0 - (v / params[..., Lo.P_V0]) ** params[..., Lo.P_DELTA]
    on = np.isfinite(gap) & (f2 > 0.0) & idm & ~replay
    target = np.where(on, gap, 0.0) * np.sqrt(np.maximum(f2, 0.0))  # s0 + v T at equilibrium
    T, s0 = params[..., Lo.P_T], params[..., Lo.P_S0]
    s0_new = np.where(on & ~fix_s, np.clip(target - v * T, *kg.min_gap), s0)
    moving = on & ~fix_t & (v > 0.0)
    T_new = np.where(moving, np.clip((target - s0_new) / np.where(moving, v, 1.0), *kg.time_headway), T)
    params[..., Lo.P_S0] = s0_new
    params[..., Lo.P_T] = T_new


def replayed(spec: S.ScenarioSpec, n_agents: int) -> np.ndarray:
    """(N,) bool: the agent columns that follow their recording (named actors with ``replay: true``,
    and every column after the named actors with ``replay: others``)."""
    out = np.zeros(n_agents, np.bool_)
    n_named = len(spec.actors)
    out[:n_named] = [spec.actors[i].replay for i in named_in_columns(spec)]
    out[n_named:] = spec.seed_from.replay == "others"
    return out


def no_replay(B: int, N: int, R: int = 1) -> dict:
    """Log-replay inputs where no agent is replayed (``R`` steps of room)."""
    return dict(replay=np.zeros((B, N), np.bool_), rx=np.zeros((B, N, R)), ry=np.zeros((B, N, R)),
                rh=np.zeros((B, N, R)), rv=np.zeros((B, N, R)), rlane=np.full((B, N, R), -1, np.int64),
                rs=np.zeros((B, N, R)), roff=np.zeros((B, N, R)), rpresent=np.zeros((B, N, R), np.bool_))


def replay_arrays(spec: S.ScenarioSpec, rows: SeedRows, road, on: np.ndarray) -> dict:
    """The kernel's log-replay inputs (``kernels.groups.Init``): per scenario and agent, the recorded
    state at every step 0..T of the columns ``on`` replays."""
    B, N = rows.agent.shape
    if not on.any():
        return no_replay(B, N)
    out = no_replay(B, N, spec.steps + 1)
    R = spec.steps + 1
    for b in range(B):
        sc = spec.seed_from.scenes[rows.scene[b]]
        k = rows.frame[b]
        cols = np.flatnonzero(on & (rows.agent[b] >= 0))
        m = rows.agent[b, cols]
        steps = slice(k, k + R)
        present = sc.present[m, steps]
        on_lane = present & np.isin(sc.kinds[m], _VEHICLES)[:, None]  # others stay off the lanes, as at t = 0
        out["replay"][b, cols] = True
        out["rpresent"][b, cols] = present
        for key, arr, where in (("rx", sc.x, present), ("ry", sc.y, present), ("rh", sc.heading, present),
                                ("rv", sc.speed, present), ("rs", sc.s, on_lane), ("roff", sc.offset, on_lane)):
            out[key][b, cols] = np.where(where, np.nan_to_num(arr[m, steps]), 0.0)  # a speed may be missing
        out["rlane"][b, cols] = np.where(on_lane, _lane_index(sc, road)[sc.lane[m, steps]], -1)
    return out


STRADDLE = 1.0  # m: a logged vehicle whose centre is this far from its lane's centre may be changing lanes
LOOK = 1.0  # s of the log after the start moment that tell where it goes
MOVING = 0.2  # m sideways within them from which it is going somewhere
ROOM, ROOM_T = 1.0, 0.3  # m and s: it needs bumper gaps of ROOM + ROOM_T x the follower's speed


def _room(sc, k: int, m: int, rp, lane_index: np.ndarray, lanes: tuple) -> bool:
    """True if logged vehicle ``m`` has room at frame ``k`` on both ``lanes`` (as the log's lanes have
    the others): bumper gaps of at least ``ROOM`` m plus ``ROOM_T`` s of the follower's speed to the
    vehicles ahead and behind, a gap its own and their kept gaps can hold (``KeepGaps``' lowest)."""
    v = np.nan_to_num(sc.speed[:, k])
    for lane in lanes:
        s_m = _s_on(rp, lane, sc.x[m, k], sc.y[m, k])
        there = np.flatnonzero(sc.present[:, k] & (lane_index[sc.lane[:, k]] == lane))
        there = there[there != m]
        gap = np.abs(sc.s[there, k] - s_m) - 0.5 * (sc.sizes[there, 0] + sc.sizes[m, 0])
        follower_v = np.where(sc.s[there, k] > s_m, v[m], v[there])
        if np.any(gap < ROOM + ROOM_T * follower_v):
            return False
    return True


def lane_changes(spec: S.ScenarioSpec, rows: SeedRows, rp, lane0: np.ndarray, d0: np.ndarray,
                 on: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(B, N) the kernel's ``Init.lc_to`` and ``Init.lc_dur`` (s): for the agents ``on`` logged more
    than ``STRADDLE`` m from their lane's centre, the lane the log shows them going to: in the next
    ``LOOK`` s their centre moves more than ``MOVING`` m (across the start's lane heading) further
    out, to the neighbour on the side of their offset, or back, to their own lane; -1 for the others
    (they keep their offset), where that neighbour does not exist, and where either lane has no room
    for it (``_room``). The change goes on at the mean lateral speed those ``LOOK`` s show, over the
    distance left to the new lane's centre."""
    road = rp.arrays
    out, dur = np.full(lane0.shape, -1, np.int64), np.zeros(lane0.shape)
    H = int(round(LOOK / spec.dt))
    lanes = [_lane_index(sc, road) for sc in spec.seed_from.scenes]
    for b, i in zip(*np.nonzero(on & (lane0 >= 0) & (np.abs(d0) > STRADDLE))):
        sc = spec.seed_from.scenes[rows.scene[b]]
        k, m = rows.frame[b], rows.agent[b, i]
        ahead = np.flatnonzero(sc.present[m, k:k + H + 1])
        k1 = k + int(ahead[-1])
        li = int(lane0[b, i])
        hl = rp.network.lane(road.lane_ids[li]).heading_at(sc.s[m, k])
        aside = -(sc.x[m, k1] - sc.x[m, k]) * np.sin(hl) + (sc.y[m, k1] - sc.y[m, k]) * np.cos(hl)  # m, left +
        side = np.sign(d0[b, i])
        neighbour = int(road.left[li] if side > 0 else road.right[li])
        if neighbour < 0 or abs(aside) <= MOVING:
            continue
        if not _room(sc, k, m, rp, lanes[rows.scene[b]], (li, neighbour)):
            continue
        into = side * aside > 0
        out[b, i] = neighbour if into else li
        rest = 0.5 * (road.lane_width[li] + road.lane_width[neighbour]) - abs(d0[b, i]) if into else abs(d0[b, i])
        dur[b, i] = max(rest, 0.0) / (abs(aside) / (ahead[-1] * spec.dt))
    return out, dur


def other_lanes(road, lane0: np.ndarray, d0: np.ndarray, lc_to: np.ndarray) -> np.ndarray:
    """(B, N) the lane other than ``lane0`` of each lane change in progress at t = 0, -1 none."""
    lane = np.maximum(lane0, 0)
    back = np.where(d0 > 0, road.left[lane], road.right[lane])
    return np.where(lc_to < 0, -1, np.where(lc_to == lane0, back, lc_to))


def place_seeded(spec: S.ScenarioSpec, rows: SeedRows, road, x0, y0, h0, v0, s0, d0, lane0, kind, length, width,
                 valid, free) -> np.ndarray:
    """Fill the initial state of every logged agent; returns the (B, N) mask of the columns filled."""
    sd = spec.seed_from
    B, N = rows.agent.shape
    filled = rows.agent >= 0
    for b in range(B):
        sc = sd.scenes[rows.scene[b]]
        k = rows.frame[b]
        cols = np.flatnonzero(filled[b])
        m = rows.agent[b, cols]
        kind[b, cols] = sc.kinds[m]
        length[b, cols], width[b, cols] = sc.sizes[m, 0], sc.sizes[m, 1]
        here = sc.present[m, k]  # replayed agents that enter later start invalid (the kernel brings them in)
        cols, m = cols[here], m[here]
        x0[b, cols], y0[b, cols] = sc.x[m, k], sc.y[m, k]
        h0[b, cols], v0[b, cols] = sc.heading[m, k], np.nan_to_num(sc.speed[m, k])
        vehicle = np.isin(sc.kinds[m], _VEHICLES)
        lane0[b, cols] = np.where(vehicle, _lane_index(sc, road)[sc.lane[m, k]], -1)
        s0[b, cols] = np.where(vehicle, sc.s[m, k], 0.0)
        d0[b, cols] = np.where(vehicle, sc.offset[m, k], 0.0)
        free[b, cols] = ~vehicle
        valid[b, cols] = True
    return filled
