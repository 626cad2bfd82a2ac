"""Conflict types: what kind of conflict a scenario's closest call was, read from its trajectories.

A rare set can cover the parameter space well and still hold one kind of failure
only (every near miss with the same car, from the same side). The conflict type
of a scenario names its closest call, independent of how it was sampled, so two
samplers' rare sets compare in a space that does not depend on either sampler's
parameters:

- ``party``: the other agent of the closest call: the one with the smallest TTC to
  the ego (by smallest distance when no agent had a finite TTC), by its group: a
  named actor's name, or a traffic block's name for every vehicle of that block;
- ``side``: where the party was in the ego's frame at the closest call (the recorded
  frame nearest to when their smallest TTC along the predicted paths was first reached,
  ``A_T_MIN_TTC``, the first contact if they touched; their closest approach when no TTC
  was finite): ``ahead`` / ``behind`` (within 45 degrees
  of the ego's heading or its reverse), else ``left`` / ``right``;
- ``motion``: how the party moved then, read from the lanes both drove over the TTC horizon from
  that moment (their paths, as the TTC predicts them) and the road's :class:`LaneRelations`:
  ``standing`` (slower than :data:`STANDING_SPEED`); ``oncoming`` (heading more than 150 degrees
  from the ego's, on a lane that meets the ego's path: the same lane, the opposite one, or one
  with a conflict area); ``crossing`` (a crossing conflict area between their lanes); ``merging``
  (a merging area); ``changing lanes`` (a lane-bound agent more than :data:`LANE_CHANGE_OFFSET` m
  off its lane centre); else ``parallel``. Where either is off the lanes (a pedestrian), or
  without lane relations, the headings decide: ``oncoming`` beyond 150 degrees, ``crossing``
  beyond 30;
- ``contact``: whether the ego collided with anything;
- ``pile-up``: whether two other agents had collided before the ego's closest call
  (the ego then meets a wreck, not a manoeuvre).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

from ..data import layout as Lo

#: columns of :func:`conflict_codes`; side and motion are indices into SIDES and MOTIONS
CODE_COLUMNS = ("party", "side", "motion", "contact", "pile_up")
SIDES = ("ahead", "left", "behind", "right")
MOTIONS = ("parallel", "changing lanes", "crossing", "oncoming", "merging", "standing")
#: m, lateral offset from its lane centre beyond which a lane-bound agent counts as changing lanes
LANE_CHANGE_OFFSET = 0.5
#: m/s, a party slower than this at the closest call is standing
STANDING_SPEED = 0.5
#: how two lanes meet (codes of :attr:`LaneRelations.kind`)
RELATIONS = ("none", "crossing", "merging", "diverging", "opposite")
REL_NONE, REL_CROSSING, REL_MERGING, REL_DIVERGING, REL_OPPOSITE = range(5)


@dataclass(frozen=True, eq=False)
class LaneRelations:
    """How the lanes of a road meet: ``kind[a, b]`` (L, L) int8, a :data:`RELATIONS` code for lane
    indices ``a`` and ``b`` (the compiled road's order), symmetric: the kind of their conflict
    area (``scenariogen.road.conflicts``), ``opposite`` for the two lanes of a two-way road next
    to each other, else none."""

    kind: np.ndarray


def _window_lanes(traj: np.ndarray, present: np.ndarray, f: int, n: int) -> set[int]:
    """The lanes (indices) an agent drove in frames ``f .. f + n`` where present."""
    lanes = traj[f:f + n + 1, Lo.F_LANE][present[f:f + n + 1]]
    return {int(x) for x in lanes if x >= 0}


def _motion(ego: np.ndarray, oth: np.ndarray, dh: float, e_lanes: set[int], o_lanes: set[int],
            lanes: LaneRelations | None) -> int:
    """The :data:`MOTIONS` code of the party (row ``oth`` of its frame) seen from the ego (``ego``);
    ``dh`` (rad) the heading difference; the lanes each drove over the horizon."""
    if float(oth[Lo.F_SPEED]) < STANDING_SPEED:
        return MOTIONS.index("standing")
    off = float(oth[Lo.F_OFFSET])
    changing = oth[Lo.F_LANE] >= 0 and math.isfinite(off) and abs(off) > LANE_CHANGE_OFFSET
    if lanes is None or ego[Lo.F_LANE] < 0 or oth[Lo.F_LANE] < 0 or not e_lanes or not o_lanes:
        if dh > math.radians(150):
            return MOTIONS.index("oncoming")
        if dh > math.radians(30):
            return MOTIONS.index("crossing")
        return MOTIONS.index("changing lanes") if changing else MOTIONS.index("parallel")
    kinds = {int(lanes.kind[a, b]) for a in e_lanes for b in o_lanes}
    meets = bool(kinds - {REL_NONE}) or bool(e_lanes & o_lanes)
    if dh > math.radians(150) and meets:
        return MOTIONS.index("oncoming")
    if REL_CROSSING in kinds:
        return MOTIONS.index("crossing")
    if REL_MERGING in kinds:
        return MOTIONS.index("merging")
    return MOTIONS.index("changing lanes") if changing else MOTIONS.index("parallel")


def conflict_codes(trajectories: np.ndarray, mask: np.ndarray, agent_metrics: np.ndarray,
                   metrics: dict[str, np.ndarray], frame_dt: float, horizon: float,
                   lanes: LaneRelations | None = None, party: np.ndarray | None = None) -> np.ndarray:
    """Per scenario (B,), the integer codes of :data:`CODE_COLUMNS` as a (B, 5) int16 array;
    party -1 (side and motion 0) when the ego met no other agent.

    ``trajectories`` (B, N, T, F) with the features of ``layout.FEATURES``, ``mask`` (B, N, T),
    ``agent_metrics`` (B, N, M) and ``metrics`` (name -> (B,), as ``layout.METRIC_NAMES``) as the
    kernel writes them; ``frame_dt``: seconds between frames; ``horizon``: the simulator's TTC
    horizon (s), the stretch of the paths the motion reads; ``lanes``: how the road's lanes meet
    (None: the headings decide); ``party`` (B, N) bool: the agents that may be the other party (an
    event limited by ``with:``; None: any). Side and motion are read at the moment of the closest
    call: the recorded frame nearest to when the smallest TTC to the party was reached, else the
    frame of their closest approach."""
    B, N, T = mask.shape
    out = np.zeros((B, len(CODE_COLUMNS)), np.int16)
    out[:, 0] = -1
    out[:, 3] = np.isfinite(metrics["ego_collision_time"])
    if B == 0 or N < 2 or T == 0:
        return out
    ok = np.ones((B, N - 1), bool) if party is None else np.asarray(party, bool)[:, 1:]
    ttc = np.where(ok & np.isfinite(agent_metrics[:, 1:, Lo.A_MIN_TTC]), agent_metrics[:, 1:, Lo.A_MIN_TTC], np.inf)
    dist = np.where(ok & np.isfinite(agent_metrics[:, 1:, Lo.A_MIN_DIST]), agent_metrics[:, 1:, Lo.A_MIN_DIST],
                    np.inf)
    by_ttc = np.isfinite(ttc).any(axis=1)
    party = 1 + np.where(by_ttc, np.argmin(ttc, axis=1), np.argmin(dist, axis=1))
    met = by_ttc | np.isfinite(dist).any(axis=1)
    n_ahead = max(0, int(math.ceil(horizon / frame_dt - 1e-9)))
    for b in np.flatnonzero(met):
        a = int(party[b])
        both = mask[b, 0] & mask[b, a]
        if not both.any():
            continue
        tc = agent_metrics[b, a, Lo.A_T_MIN_TTC] if by_ttc[b] else agent_metrics[b, a, Lo.A_T_MIN_DIST]
        f = int(np.clip(round(tc / frame_dt), 0, T - 1)) if math.isfinite(tc) else T - 1
        if not both[f]:  # the nearest frame where both were present
            frames = np.flatnonzero(both)
            f = int(frames[np.argmin(np.abs(frames - f))])
        ego, oth = trajectories[b, 0, f].astype(np.float64), trajectories[b, a, f].astype(np.float64)
        h = float(ego[Lo.F_HEADING])
        dx, dy = float(oth[Lo.F_X] - ego[Lo.F_X]), float(oth[Lo.F_Y] - ego[Lo.F_Y])
        fwd, left = dx * math.cos(h) + dy * math.sin(h), -dx * math.sin(h) + dy * math.cos(h)
        ang = abs(math.atan2(left, fwd))
        side = 0 if ang <= math.pi / 4 else 2 if ang >= 3 * math.pi / 4 else (1 if left > 0 else 3)
        dh = abs((float(oth[Lo.F_HEADING]) - h + math.pi) % (2 * math.pi) - math.pi)
        motion = _motion(ego, oth, dh, _window_lanes(trajectories[b, 0], mask[b, 0], f, n_ahead),
                         _window_lanes(trajectories[b, a], mask[b, a], f, n_ahead), lanes)
        out[b, :3] = (a, side, motion)
        # the first collision of the run was between two agents other than the ego, before this call
        ca, cb, t_coll = metrics["collision_a"][b], metrics["collision_b"][b], metrics["collision_time"][b]
        if math.isfinite(t_coll) and ca > 0 and cb > 0 and t_coll <= f * frame_dt + 1e-9:
            out[b, 4] = 1
    return out


def conflict_names(codes: np.ndarray, agent_names: tuple[str, ...] | list[str]) -> list[str]:
    """Readable conflict types ("cutter, ahead, changing lanes, contact", "..., after a pile-up") of
    (B, 5) codes; a traffic vehicle ``traffic0.3`` is named by its block, ``traffic0``."""
    out = []
    for a, side, motion, contact, pile in np.asarray(codes, dtype=np.int64).tolist():
        if a < 0:
            name = "no other agent" + (", contact" if contact else "")
        else:
            party = agent_names[a].split(".", 1)[0]
            name = f"{party}, {SIDES[side]}, {MOTIONS[motion]}, {'contact' if contact else 'no contact'}"
        out.append(name + (", after a pile-up" if pile else ""))
    return out


def count_conflicts(names: list[str]) -> dict[str, int]:
    """Conflict type -> number of scenarios, most frequent first (ties by name: deterministic)."""
    return dict(sorted(Counter(names).items(), key=lambda kv: (-kv[1], kv[0])))


__all__ = ["CODE_COLUMNS", "LANE_CHANGE_OFFSET", "MOTIONS", "RELATIONS", "SIDES", "STANDING_SPEED", "LaneRelations",
           "conflict_codes", "conflict_names", "count_conflicts"]
