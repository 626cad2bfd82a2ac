"""Initial states of a seeded family (``seed_from:``): every logged agent of the scenario's scene, at
its moment, in its real state.

Each row of theta picks a scene (``seed_from.scene``, an index into ``spec.seed_from.scenes``) and a
moment (``seed_from.moment``, u in [0, 1]: the frame ``usable[min(floor(u * U), U - 1)]`` of the U
frames the scene can start at). The ego and the named actors' logged vehicles come from the scene's
tables; the other agents present at that frame fill the columns after the named actors, in the log's
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


def slots(spec: S.ScenarioSpec) -> int:
    """Agent columns the logged vehicles other than the named actors need (the largest scene)."""
    return max(sc.x.shape[0] for sc in spec.seed_from.scenes) - len(spec.actors)


def seed_rows(spec: S.ScenarioSpec, theta: np.ndarray, names: dict[str, int], n_agents: int) -> SeedRows:
    """Which scene, frame and logged agents each row of ``theta`` starts from."""
    from .compile import resolve

    sd = spec.seed_from
    B = theta.shape[0]
    scene = np.rint(resolve(sd.scene, theta, names)).astype(np.int64)
    u = resolve(sd.moment, theta, names)
    frame = np.zeros(B, np.int64)
    agent = np.full((B, n_agents), -1, np.int64)
    n_named = len(spec.actors)
    order = sorted(range(n_named), key=lambda i: spec.actors[i].name != "ego")
    actors = [spec.actors[i] for i in order]
    for b in range(B):
        sc = sd.scenes[scene[b]]
        U = len(sc.usable)
        j = min(int(np.floor(u[b] * U)), U - 1)
        k = int(sc.usable[j])
        frame[b] = k
        taken = []
        for i, a in enumerate(actors):
            p = a.placement
            role = "ego" if p.role == "ego" else (f"track:{p.track}" if p.role == "track" else p.role)
            agent[b, i] = sc.ego[j] if role == "ego" else sc.roles[role][j]
            taken.append(agent[b, i])
        others = [m for m in np.flatnonzero(sc.present[:, k]) if m not in taken]
        agent[b, n_named:n_named + len(others)] = others
    return SeedRows(scene, frame, agent)


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
        lane_idx = np.array([road.index_of(lid) for lid in sc.lane_ids], np.int64)
        x0[b, cols], y0[b, cols] = sc.x[m, k], sc.y[m, k]
        h0[b, cols], v0[b, cols] = sc.heading[m, k], sc.speed[m, k]
        kind[b, cols] = sc.kinds[m]
        length[b, cols], width[b, cols] = sc.sizes[m, 0], sc.sizes[m, 1]
        vehicle = np.isin(sc.kinds[m], [Lo.KIND_CODES[n] for n in ("car", "truck", "bus", "motorcycle")])
        lane0[b, cols] = np.where(vehicle, lane_idx[sc.lane[m, k]], -1)
        s0[b, cols] = np.where(vehicle, sc.s[m, k], 0.0)
        d0[b, cols] = np.where(vehicle, sc.offset[m, k], 0.0)
        free[b, cols] = ~vehicle
    valid[filled] = True
    return filled
