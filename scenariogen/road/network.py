"""A road network: lanes plus the directed lane graph (networkx).

Graph: one node per lane id (in lane order), an edge ``a -> b`` when ``b`` is a
successor of ``a`` (traffic may drive from the end of ``a`` onto the start of
``b``), edge attribute ``weight`` = length of ``a`` (m). Node attributes:
``left`` and ``right`` (neighbour lane id of the same direction, or None) and
``length`` (m).

``opposite`` pairs a lane with the lane next to it on its left that carries the
other direction (the one an overtaking vehicle borrows); ``controls`` holds the
road's right-of-way: signs, priorities, signal groups and crosswalks
(:class:`~scenariogen.road.rules.Controls`).

Successor order matters: :meth:`RoadNetwork.advance` follows the *first*
successor (and the first predecessor backwards); builders document their order.
"""

from __future__ import annotations

import difflib
import math
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence

import numpy as np
from shapely.geometry import Point

from scenariogen.errors import RoadError

from .lane import Lane
from .rules import Controls

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["RoadNetwork"]

_S_TOL = 1e-6  # m, slack when deciding whether a projection falls within a lane


class RoadNetwork:
    """Lanes (ordered by id insertion) and their successor / neighbour relations.

    Parameters
    ----------
    lanes:
        The lanes, in a stable order (their index order in the compiled road).
    successors:
        ``lane id -> successor ids`` in priority order; missing ids mean none.
    left, right:
        ``lane id -> neighbour id`` of the same direction; missing means none.
    opposite:
        ``lane id -> lane id`` of the adjacent lane on its left driving the other way (both
        directions are recorded); missing means none.
    controls:
        The right-of-way (:class:`~scenariogen.road.rules.Controls`); default: none.

    Raises :class:`~scenariogen.errors.RoadError` on duplicate ids, on any reference to an
    unknown lane id, and on a left or right neighbour that drives the other way (such lanes are
    each other's ``opposite``, never neighbours). Instances are not meant to be mutated.
    """

    def __init__(
        self,
        lanes: Iterable[Lane],
        successors: Mapping[str, Sequence[str]] | None = None,
        left: Mapping[str, str | None] | None = None,
        right: Mapping[str, str | None] | None = None,
        opposite: Mapping[str, str] | None = None,
        controls: Controls | None = None,
    ) -> None:
        self._lanes: dict[str, Lane] = {}
        for lane in lanes:
            if lane.id in self._lanes:
                raise RoadError(f"duplicate lane id {lane.id!r}")
            self._lanes[lane.id] = lane
        if not self._lanes:
            raise RoadError("a road network needs at least one lane")
        successors = dict(successors or {})
        left = dict(left or {})
        right = dict(right or {})
        for what, mapping in (("successors", successors), ("left", left), ("right", right)):
            for key in mapping:
                self._check(key, f"{what} of an unknown lane")
        self._succ: dict[str, tuple[str, ...]] = {}
        for lid in self._lanes:
            succ = tuple(successors.get(lid, ()))
            for t in succ:
                self._check(t, f"lane {lid!r}: unknown successor")
            if len(set(succ)) != len(succ):
                raise RoadError(f"lane {lid!r}: repeated successor in {list(succ)}")
            self._succ[lid] = succ
        self._pred: dict[str, tuple[str, ...]] = {lid: () for lid in self._lanes}
        for lid, succ in self._succ.items():
            for t in succ:
                self._pred[t] = self._pred[t] + (lid,)
        self._left: dict[str, str | None] = {}
        self._right: dict[str, str | None] = {}
        for lid in self._lanes:
            for what, src, dst in (("left", left, self._left), ("right", right, self._right)):
                n = src.get(lid)
                if n is not None:
                    self._check(n, f"lane {lid!r}: unknown {what} neighbour")
                    if n == lid:
                        raise RoadError(f"lane {lid!r} cannot be its own {what} neighbour")
                    if _against(self._lanes[lid], self._lanes[n]):
                        raise RoadError(f"lane {lid!r}: its {what} neighbour {n!r} drives the other way; lanes of "
                                        "opposite directions are not neighbours (declare them 'opposite')")
                dst[lid] = n
        self._opposite: dict[str, str] = {}
        for lid, o in dict(opposite or {}).items():
            self._check(lid, "opposite of an unknown lane")
            self._check(o, f"lane {lid!r}: unknown opposite lane")
            if not _against(self._lanes[lid], self._lanes[o]):
                raise RoadError(f"lane {lid!r}: its opposite lane {o!r} drives the same way")
            self._opposite[lid] = o
            self._opposite.setdefault(o, lid)
        self._controls = controls if controls is not None else Controls()
        self._controls.check(self)

        self._graph = None  # built on first use: networkx takes longer to import than a scenario to validate

    # ------------------------------------------------------------ look-ups

    def _check(self, lane_id: str, context: str = "unknown lane") -> None:
        if lane_id not in self._lanes:
            valid = list(self._lanes)
            close = difflib.get_close_matches(str(lane_id), valid, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise RoadError(f"{context} {lane_id!r}{hint} (valid lane ids: {', '.join(valid)})")

    @property
    def lanes(self) -> dict[str, Lane]:
        """``id -> Lane`` in lane order (a copy; the network is immutable)."""
        return dict(self._lanes)

    @property
    def lane_ids(self) -> tuple[str, ...]:
        """Lane ids in lane order."""
        return tuple(self._lanes)

    @property
    def graph(self) -> nx.DiGraph:
        """The frozen lane graph (see the module docstring)."""
        if self._graph is None:
            import networkx as nx

            g = nx.DiGraph()
            for lid, lane in self._lanes.items():
                g.add_node(lid, left=self._left[lid], right=self._right[lid], length=lane.length)
            for lid, succ in self._succ.items():
                for t in succ:
                    g.add_edge(lid, t, weight=self._lanes[lid].length)
            self._graph = nx.freeze(g)
        return self._graph

    def reachable(self, lane_id: str) -> frozenset[str]:
        """Every lane reachable from ``lane_id`` through successors (itself excluded unless on a loop)."""
        self._check(lane_id)
        seen: set[str] = set()
        todo = list(self._succ[lane_id])
        while todo:
            lid = todo.pop()
            if lid not in seen:
                seen.add(lid)
                todo.extend(self._succ[lid])
        return frozenset(seen)

    def __len__(self) -> int:
        return len(self._lanes)

    def __contains__(self, lane_id: object) -> bool:
        return lane_id in self._lanes

    def __repr__(self) -> str:
        return f"RoadNetwork({len(self._lanes)} lanes: {', '.join(self._lanes)})"

    def lane(self, lane_id: str) -> Lane:
        """The lane ``lane_id``; RoadError listing valid ids (and a close match) if unknown."""
        self._check(lane_id)
        return self._lanes[lane_id]

    def opposite(self, lane_id: str) -> str | None:
        """The adjacent lane on the left of ``lane_id`` that drives the other way, or None."""
        self._check(lane_id)
        return self._opposite.get(lane_id)

    @property
    def controls(self) -> Controls:
        """The road's right-of-way: signs, priorities, signal groups, crosswalks."""
        return self._controls

    def successors(self, lane_id: str) -> tuple[str, ...]:
        """Successor lane ids of ``lane_id``, in priority order."""
        self._check(lane_id)
        return self._succ[lane_id]

    def predecessors(self, lane_id: str) -> tuple[str, ...]:
        """Predecessor lane ids of ``lane_id``, in lane order."""
        self._check(lane_id)
        return self._pred[lane_id]

    def left(self, lane_id: str) -> str | None:
        """Left neighbour (same direction) of ``lane_id``, or None."""
        self._check(lane_id)
        return self._left[lane_id]

    def right(self, lane_id: str) -> str | None:
        """Right neighbour (same direction) of ``lane_id``, or None."""
        self._check(lane_id)
        return self._right[lane_id]

    # ------------------------------------------------------------ geometry

    def to_world(self, lane_id: str, s: float, offset: float = 0.0) -> tuple[float, float, float]:
        """World ``(x, y, heading)`` (m, m, rad) of arc length ``s`` (m) and ``offset``
        (m, left positive) on ``lane_id``; extrapolated straight beyond the lane's ends."""
        return self.lane(lane_id).position(s, offset)

    def locate(self, x: float, y: float, heading: float | None = None) -> tuple[str, float, float]:
        """``(lane_id, s, offset)`` of the world point ``(x, y)`` (m).

        Among lanes whose projection of the point falls within ``[0, length]``,
        picks the one with the smallest ``|offset|``; when ``heading`` (rad) is
        given, lanes whose heading at that ``s`` agrees within 90 degrees are
        preferred. Ties keep lane order. When no projection falls within any
        lane, returns the lane nearest to the point, with ``s`` outside
        ``[0, length]`` (extrapolated coordinates).
        """
        best: tuple[tuple[int, float, int], str, float, float] | None = None
        nearest: tuple[float, int, str, float, float] | None = None
        for order, (lid, lane) in enumerate(self._lanes.items()):
            s, off = lane.local_coordinates(x, y)
            within = -_S_TOL <= s <= lane.length + _S_TOL
            if within:
                s = min(max(s, 0.0), lane.length)
                disagree = 0
                if heading is not None:
                    dh = (heading - lane.heading_at(s) + np.pi) % (2 * np.pi) - np.pi
                    disagree = int(abs(dh) > np.pi / 2)
                key = (disagree, abs(off), order)
                if best is None or key < best[0]:
                    best = (key, lid, s, off)
            elif best is None:
                dist = float(lane.centerline.distance(Point(x, y)))
                if nearest is None or (dist, order) < nearest[:2]:
                    nearest = (dist, order, lid, s, off)
        if best is not None:
            return best[1], float(best[2]), float(best[3])
        _, _, lid, s, off = nearest  # type: ignore[misc]  # the network has >= 1 lane
        return lid, float(s), float(off)

    def advance(self, lane_id: str, s: float, ds: float) -> tuple[str, float]:
        """Move ``ds`` (m) along the lane graph from ``s`` (m) on ``lane_id``.

        Forward (``ds > 0``) running off a lane's end continues on its first
        successor; backward (``ds < 0``) running off its start continues on the
        end of its first predecessor. Where there is none, the result stays on
        the last lane with ``s`` beyond its end (``s > length`` or ``s < 0``),
        so callers can detect leaving the network.
        """
        lane = self.lane(lane_id)
        s = float(s) + float(ds)
        for _ in range(100_000):
            if s > lane.length and self._succ[lane.id]:
                s -= lane.length
                lane = self._lanes[self._succ[lane.id][0]]
            elif s < 0.0 and self._pred[lane.id]:
                lane = self._lanes[self._pred[lane.id][0]]
                s += lane.length
            else:
                return lane.id, s
        raise RoadError(f"advance from {lane_id!r} by {ds} m did not terminate (lane loop too short?)")

    def shortest_path(self, source: str, target: str) -> list[str]:
        """Lane ids of the shortest route (by driven length) from ``source`` to ``target``."""
        self._check(source)
        self._check(target)
        import networkx as nx

        try:
            return list(nx.shortest_path(self.graph, source, target, weight="weight"))
        except nx.NetworkXNoPath:
            raise RoadError(f"no route from lane {source!r} to lane {target!r}") from None

    def bounds(self) -> tuple[float, float, float, float]:
        """``(min_x, min_y, max_x, max_y)`` (m) of all lanes' footprints (both edges,
        evaluated at the centreline vertices)."""
        xs, ys = [], []
        for lane in self._lanes.values():
            for side in (-0.5, 0.5):
                x, y, _ = lane.positions(lane.vertex_s, side * lane.width)
                xs.append(x)
                ys.append(y)
        x, y = np.concatenate(xs), np.concatenate(ys)
        return (float(x.min()), float(y.min()), float(x.max()), float(y.max()))


def _against(a: Lane, b: Lane) -> bool:
    """True if lanes ``a`` and ``b`` run against each other where they are side by side: the
    heading of ``b`` at its point nearest to ``a``'s middle is more than 90 degrees from ``a``'s."""
    s_mid = 0.5 * a.length
    x, y, h = a.position(s_mid)
    sb, _d = b.local_coordinates(x, y)
    hb = float(b.heading_at(min(max(sb, 0.0), b.length)))
    return math.cos(hb - float(h)) < 0.0
