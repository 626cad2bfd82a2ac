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
  frame of their smallest TTC, the first frame of contact if they touched; their
  closest approach when no TTC was finite): ``ahead`` / ``behind`` (within 45 degrees
  of the ego's heading or its reverse), else ``left`` / ``right``;
- ``motion``: how the party moved then: ``oncoming`` (heading more than 150
  degrees from the ego's), ``crossing`` (more than 30), ``changing lanes`` (a
  lane-bound agent more than :data:`LANE_CHANGE_OFFSET` m off its lane centre), else
  ``parallel``;
- ``contact``: whether the ego collided with anything;
- ``pile-up``: whether two other agents had collided before the ego's closest call
  (the ego then meets a wreck, not a manoeuvre).
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from ..data import layout as Lo

#: columns of :func:`conflict_codes`; side and motion are indices into SIDES and MOTIONS
CODE_COLUMNS = ("party", "side", "motion", "contact", "pile_up")
SIDES = ("ahead", "left", "behind", "right")
MOTIONS = ("parallel", "changing lanes", "crossing", "oncoming")
#: m, lateral offset from its lane centre beyond which a lane-bound agent counts as changing lanes
LANE_CHANGE_OFFSET = 0.5

def conflict_codes(trajectories: np.ndarray, mask: np.ndarray, sizes: np.ndarray, agent_metrics: np.ndarray,
                   metrics: dict[str, np.ndarray], frame_dt: float, horizon: float) -> np.ndarray:
    """Per scenario (B,), the integer codes of :data:`CODE_COLUMNS` as a (B, 5) int16 array;
    party -1 (side and motion 0) when the ego met no other agent.

    ``trajectories`` (B, N, T, F) with the features of ``layout.FEATURES``, ``mask``
    (B, N, T), ``sizes`` (B, N, 2) length and width (m), ``agent_metrics`` (B, N, M) and
    ``metrics`` (name -> (B,), as ``layout.METRIC_NAMES``) as the kernel writes them;
    ``frame_dt``: seconds between frames; ``horizon``: the simulator's TTC horizon (s). Side and
    motion are read at the moment of the closest call: the recorded frame of the smallest TTC
    to the party (within ``horizon``;
    the first frame of contact when they touched), else the frame of their closest approach."""
    from ..kernels.conflicts import min_ttc_frame

    B, N, T = mask.shape
    out = np.zeros((B, len(CODE_COLUMNS)), np.int16)
    out[:, 0] = -1
    out[:, 3] = np.isfinite(metrics["ego_collision_time"])
    if B == 0 or N < 2 or T == 0:
        return out
    ttc = np.where(np.isfinite(agent_metrics[:, 1:, Lo.A_MIN_TTC]), agent_metrics[:, 1:, Lo.A_MIN_TTC], np.inf)
    dist = np.where(np.isfinite(agent_metrics[:, 1:, Lo.A_MIN_DIST]), agent_metrics[:, 1:, Lo.A_MIN_DIST], np.inf)
    by_ttc = np.isfinite(ttc).any(axis=1)
    party = 1 + np.where(by_ttc, np.argmin(ttc, axis=1), np.argmin(dist, axis=1))
    met = by_ttc | np.isfinite(dist).any(axis=1)
    for b in np.flatnonzero(met):
        a = int(party[b])
        both = mask[b, 0] & mask[b, a]
        if not both.any():
            continue
        f = min_ttc_frame(trajectories[b, 0], trajectories[b, a], both, sizes[b, 0], sizes[b, a], float(horizon))
        if f < 0:  # no finite TTC: the closest approach, or the nearest frame both were present
            tc = agent_metrics[b, a, Lo.A_T_MIN_DIST]
            f = int(np.clip(round(tc / frame_dt), 0, T - 1)) if math.isfinite(tc) else T - 1
            if not both[f]:
                frames = np.flatnonzero(both)
                f = int(frames[np.argmin(np.abs(frames - f))])
        ego, oth = trajectories[b, 0, f].astype(np.float64), trajectories[b, a, f].astype(np.float64)
        h = float(ego[Lo.F_HEADING])
        dx, dy = float(oth[Lo.F_X] - ego[Lo.F_X]), float(oth[Lo.F_Y] - ego[Lo.F_Y])
        fwd, left = dx * math.cos(h) + dy * math.sin(h), -dx * math.sin(h) + dy * math.cos(h)
        ang = abs(math.atan2(left, fwd))
        side = 0 if ang <= math.pi / 4 else 2 if ang >= 3 * math.pi / 4 else (1 if left > 0 else 3)
        dh = abs((float(oth[Lo.F_HEADING]) - h + math.pi) % (2 * math.pi) - math.pi)
        off = float(oth[Lo.F_OFFSET])
        if dh > math.radians(150):
            motion = 3
        elif dh > math.radians(30):
            motion = 2
        elif oth[Lo.F_LANE] >= 0 and math.isfinite(off) and abs(off) > LANE_CHANGE_OFFSET:
            motion = 1
        else:
            motion = 0
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


__all__ = ["CODE_COLUMNS", "LANE_CHANGE_OFFSET", "MOTIONS", "SIDES", "conflict_codes", "conflict_names", "count_conflicts"]
