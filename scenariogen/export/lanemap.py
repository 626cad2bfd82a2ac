"""Lane geometry for map-carrying export formats (``av2``, ``commonroad``): bounds and topology.

Built once per spec from the road model (:mod:`scenariogen.road`): for each lane
its centreline and its left and right boundaries (the centreline offset by half
the lane width, left positive), sampled at the lane's own vertices plus enough
points that no two are more than ``MAX_SPACING`` m apart, so straight lanes stay
two points long and curves follow their arcs. Units: metres and radians, world
frame (x east, y north), the same frame as the simulated trajectories.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .source import parse_spec

__all__ = ["MAX_SPACING", "LaneGeometry", "lane_geometry"]

MAX_SPACING = 5.0  # m, largest distance between two samples of a lane bound


@dataclass(frozen=True)
class LaneGeometry:
    """One lane of the road: ``centre``, ``left``, ``right`` (P, 2) float64 m with the same P,
    ``width`` m, ``successors`` / ``predecessors`` / ``left_id`` / ``right_id`` as lane indices
    into the tuple :func:`lane_geometry` returns (neighbours drive the same direction; -1 for none),
    ``junction`` True for a connector inside an intersection box."""

    id: str
    centre: np.ndarray
    left: np.ndarray
    right: np.ndarray
    width: float
    successors: tuple[int, ...]
    predecessors: tuple[int, ...]
    left_id: int
    right_id: int
    junction: bool


@lru_cache(maxsize=8)
def lane_geometry(spec_text: str) -> tuple[LaneGeometry, ...]:
    """The lanes of the spec's road (in the road model's lane order) with their bounds."""
    from ..road import build_road

    net = build_road(parse_spec(spec_text).road)
    ids = net.lane_ids
    index = {lid: k for k, lid in enumerate(ids)}
    out = []
    for lid in ids:
        lane = net.lane(lid)
        vs = np.asarray(lane.vertex_s, float)
        s = [vs[:1]]
        for a, b in itertools.pairwise(vs):
            n = max(1, int(np.ceil((b - a) / MAX_SPACING)))
            s.append(np.linspace(a, b, n + 1)[1:])
        s = np.concatenate(s)
        half = 0.5 * lane.width
        cx, cy, _ = lane.positions(s, 0.0)
        lx, ly, _ = lane.positions(s, half)
        rx, ry, _ = lane.positions(s, -half)
        left_n, right_n = net.left(lid), net.right(lid)
        out.append(LaneGeometry(
            id=lid, centre=np.stack([cx, cy], 1), left=np.stack([lx, ly], 1), right=np.stack([rx, ry], 1),
            width=float(lane.width), successors=tuple(index[x] for x in net.successors(lid)),
            predecessors=tuple(index[x] for x in net.predecessors(lid)),
            left_id=index[left_n] if left_n is not None else -1, right_id=index[right_n] if right_n is not None else -1,
            junction=">" in lid))
    return tuple(out)
