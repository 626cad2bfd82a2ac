"""Compile a :class:`RoadNetwork` into flat numpy arrays for the Numba kernels.

Struct of arrays, CSR layout: the resampled points of lane ``k`` are
``px[lane_offset[k]:lane_offset[k + 1]]`` (likewise ``py``, ``s``, ``heading``,
``curvature``). Between two consecutive points a kernel interpolates x, y and
heading linearly in ``s`` (the geometry model of :class:`~scenariogen.road.lane.Lane`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from scenariogen.errors import RoadError

from .network import RoadNetwork

__all__ = ["CompiledRoad", "CompiledRules", "compile_road", "compile_rules"]


@dataclass(frozen=True, eq=False, repr=False)
class CompiledRoad:
    """A road network as read-only numpy arrays (L lanes, P points in all).

    Per lane (index ``k`` in ``lane_ids`` order):

    - ``lane_ids``: tuple[str, ...], length L; the only non-array field.
    - ``lane_offset``: int64 (L + 1,); CSR start of lane ``k``'s points,
      ``lane_offset[0] == 0``, ``lane_offset[L] == P``.
    - ``lane_length``: float64 (L,), m; centreline arc length.
    - ``lane_width``: float64 (L,), m.
    - ``successor``: int64 (L, S), lane indices in priority order, padded with
      -1; ``S = max(1, most successors of any lane)``.
    - ``n_successor``: int64 (L,), number of valid entries per row of ``successor``.
    - ``predecessor``: int64 (L, Q), padded with -1; ``Q = max(1, most predecessors)``.
    - ``n_predecessor``: int64 (L,).
    - ``left``, ``right``: int64 (L,), neighbour lane index of the same
      direction, -1 for none.
    - ``opposite``: int64 (L,), the adjacent lane on the left driving the other
      way, -1 for none.

    Per point (resampled at a spacing of at most ``ds`` along each lane, both
    end points included, so every lane has >= 2 points):

    - ``px``, ``py``: float64 (P,), m, world frame (x east, y north).
    - ``s``: float64 (P,), m, arc length from the lane's start; strictly
      increasing within a lane, 0 at its first point, ``lane_length[k]`` at its last.
    - ``heading``: float64 (P,), rad, counter-clockwise from +x, unwrapped
      (continuous) within a lane, so not necessarily within [-pi, pi).
    - ``curvature``: float64 (P,), 1/m, positive turning left.

    ``ds``: float, m, the requested resampling spacing.
    """

    lane_ids: tuple[str, ...]
    lane_offset: np.ndarray
    lane_length: np.ndarray
    lane_width: np.ndarray
    successor: np.ndarray
    n_successor: np.ndarray
    predecessor: np.ndarray
    n_predecessor: np.ndarray
    left: np.ndarray
    right: np.ndarray
    opposite: np.ndarray
    px: np.ndarray
    py: np.ndarray
    s: np.ndarray
    heading: np.ndarray
    curvature: np.ndarray
    ds: float
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {lid: k for k, lid in enumerate(self.lane_ids)})
        for name in (
            "lane_offset", "lane_length", "lane_width", "successor", "n_successor",
            "predecessor", "n_predecessor", "left", "right", "opposite", "px", "py", "s", "heading", "curvature",
        ):  # fmt: skip
            getattr(self, name).setflags(write=False)

    def __repr__(self) -> str:
        return f"CompiledRoad({self.n_lanes} lanes, {self.n_points} points, ds={self.ds})"

    @property
    def n_lanes(self) -> int:
        """Number of lanes L."""
        return len(self.lane_ids)

    @property
    def n_points(self) -> int:
        """Number of resampled points P over all lanes."""
        return int(self.lane_offset[-1])

    @property
    def index(self) -> dict[str, int]:
        """``lane id -> lane index`` (a copy)."""
        return dict(self._index)

    def index_of(self, lane_id: str) -> int:
        """Index of ``lane_id`` in the arrays; RoadError listing valid ids if unknown."""
        try:
            return self._index[lane_id]
        except KeyError:
            raise RoadError(
                f"unknown lane {lane_id!r} (valid lane ids: {', '.join(self.lane_ids)})"
            ) from None

    def lane_slice(self, lane_id: str) -> slice:
        """Slice of the point arrays that belongs to ``lane_id``."""
        k = self.index_of(lane_id)
        return slice(int(self.lane_offset[k]), int(self.lane_offset[k + 1]))


def _table(rows: list[tuple[int, ...]]) -> tuple[np.ndarray, np.ndarray]:
    width = max(1, max((len(r) for r in rows), default=0))
    out = np.full((len(rows), width), -1, dtype=np.int64)
    for k, r in enumerate(rows):
        out[k, : len(r)] = r
    return out, np.array([len(r) for r in rows], dtype=np.int64)


def _mean_curvature(lane, s: np.ndarray, w: float) -> np.ndarray:
    """Curvature (1/m) at ``s`` read over ``w`` m of centreline: the turn between the chords from
    ``s - w/2`` to ``s`` and from ``s`` to ``s + w/2``, over ``w/2`` (exactly 1/R on an arc of
    radius R). Points, not vertex headings: a kink of millimetres moves them by millimetres. Within
    ``w/2`` of an end, the window nearest it that fits in the lane (the whole lane if shorter)."""
    w = min(w, lane.length)
    s = np.clip(s, 0.5 * w, lane.length - 0.5 * w)
    (x0, y0, _), (x1, y1, _), (x2, y2, _) = (lane.positions(s + d) for d in (-0.5 * w, 0.0, 0.5 * w))
    turn = np.arctan2(y2 - y1, x2 - x1) - np.arctan2(y1 - y0, x1 - x0)
    return ((turn + np.pi) % (2.0 * np.pi) - np.pi) / (0.5 * w)


def compile_road(network: RoadNetwork, ds: float = 0.5, curvature_window: float = 0.0) -> CompiledRoad:
    """Resample every lane at a spacing of at most ``ds`` (m) and flatten the graph.

    ``curvature_window`` (m): when positive, the curvature at ``s`` is the lane's mean curvature
    over ``[s - w/2, s + w/2]`` (:func:`_mean_curvature`) instead of its segment's. Maps need it:
    surveyed centrelines have segments of millimetres at slightly different headings, curvatures of
    1/m on a straight freeway, which drivers would slow down for (``kernels.control.curve_command``)."""
    ds = float(ds)
    if not math.isfinite(ds) or ds <= 0.0:
        raise RoadError(f"compile ds must be a positive number of metres, got {ds}")
    w = float(curvature_window)
    ids = network.lane_ids
    index = {lid: k for k, lid in enumerate(ids)}
    lanes = [network.lane(lid) for lid in ids]

    counts = [max(2, math.ceil(lane.length / ds) + 1) for lane in lanes]
    offset = np.zeros(len(ids) + 1, dtype=np.int64)
    offset[1:] = np.cumsum(counts)
    s_parts, x_parts, y_parts, h_parts, k_parts = [], [], [], [], []
    for lane, m in zip(lanes, counts):
        s = np.linspace(0.0, lane.length, m)
        x, y, h = lane.positions(s)
        s_parts.append(s)
        x_parts.append(x)
        y_parts.append(y)
        h_parts.append(h)
        k_parts.append(np.asarray(lane.curvature_at(s)) if w <= 0.0 else _mean_curvature(lane, s, w))

    successor, n_succ = _table([tuple(index[t] for t in network.successors(lid)) for lid in ids])
    predecessor, n_pred = _table([tuple(index[t] for t in network.predecessors(lid)) for lid in ids])

    def neighbour(get) -> np.ndarray:
        return np.array([index[n] if (n := get(lid)) is not None else -1 for lid in ids], dtype=np.int64)

    return CompiledRoad(
        lane_ids=tuple(ids),
        lane_offset=offset,
        lane_length=np.array([lane.length for lane in lanes], dtype=np.float64),
        lane_width=np.array([lane.width for lane in lanes], dtype=np.float64),
        successor=successor,
        n_successor=n_succ,
        predecessor=predecessor,
        n_predecessor=n_pred,
        left=neighbour(network.left),
        right=neighbour(network.right),
        opposite=neighbour(network.opposite),
        px=np.concatenate(x_parts).astype(np.float64),
        py=np.concatenate(y_parts).astype(np.float64),
        s=np.concatenate(s_parts).astype(np.float64),
        heading=np.concatenate(h_parts).astype(np.float64),
        curvature=np.concatenate(k_parts).astype(np.float64),
        ds=ds,
    )


# rule of a conflict entry for the driver on its lane (CompiledRules.cf_rule)
RULE_GO = 0  # the other side yields
RULE_YIELD = 1  # this side yields: it needs a gap
RULE_FIRST_COME = 2  # both yield: first come, first served
RULE_HELD = 3  # nobody yields: only a held area stops a driver
SIGN_CODES = {"yield": 1, "stop": 2}


@dataclass(frozen=True, eq=False, repr=False)
class CompiledRules:
    """The right of way of a road as arrays, for the kernels (E conflict entries, C crosswalk
    crossings, W crosswalks of at most Q corners).

    Conflict entries: every conflict area once for each of its two lanes, sorted by lane and entry;
    lane ``k``'s entries are ``cf_first[k]:cf_first[k + 1]``. ``cf_other``: the other lane;
    ``cf_in``/``cf_out``: m on this lane; ``cf_oin``/``cf_oout``: m on the other lane;
    ``cf_rule``: ``RULE_*`` for the driver on this lane; ``cf_kind``: the area's kind, an index into
    :data:`scenariogen.road.conflicts.KINDS` (crossing, merging, diverging). Approach lanes:
    ``lane_sign`` (0 none, 1 yield, 2 stop at the lane's end), ``lane_group`` (signal group, -1
    none), ``all_way``.
    Crosswalks: lane ``k`` crosses ``cw_walk[e]`` between ``cw_in[e]`` and ``cw_out[e]`` for ``e`` in
    ``cw_first[k]:cw_first[k + 1]``; walk ``w``'s corners are ``walk_x[w, :walk_n[w]]``, ``walk_y``.
    """

    cf_first: np.ndarray
    cf_other: np.ndarray
    cf_in: np.ndarray
    cf_out: np.ndarray
    cf_oin: np.ndarray
    cf_oout: np.ndarray
    cf_rule: np.ndarray
    cf_kind: np.ndarray
    lane_sign: np.ndarray
    lane_group: np.ndarray
    n_groups: int
    all_way: bool
    cw_first: np.ndarray
    cw_in: np.ndarray
    cw_out: np.ndarray
    cw_walk: np.ndarray
    walk_x: np.ndarray
    walk_y: np.ndarray
    walk_n: np.ndarray


def _csr(lane_of: list[int], n_lanes: int) -> tuple[np.ndarray, np.ndarray]:
    """The stable order of entries by lane, and the CSR starts per lane."""
    order = np.argsort(np.asarray(lane_of, dtype=np.int64), kind="stable")
    first = np.zeros(n_lanes + 1, dtype=np.int64)
    np.add.at(first, np.asarray(lane_of, dtype=np.int64) + 1, 1)
    return order, np.cumsum(first)


def compile_rules(network: RoadNetwork) -> CompiledRules:
    """The conflict areas, controls and crosswalks of ``network`` as arrays (lane order as in
    :func:`compile_road`)."""
    from .conflicts import KINDS, conflict_areas, crosswalk_crossings

    ids = network.lane_ids
    index = {lid: k for k, lid in enumerate(ids)}
    rows = []  # (lane, other, in, out, oin, oout, rule, kind)
    for c in conflict_areas(network):
        for me, other, s_in, s_out, o_in, o_out, mine, theirs in (
                (c.lane_a, c.lane_b, c.a_in, c.a_out, c.b_in, c.b_out, c.a_yields, c.b_yields),
                (c.lane_b, c.lane_a, c.b_in, c.b_out, c.a_in, c.a_out, c.b_yields, c.a_yields)):
            rule = (RULE_FIRST_COME if theirs else RULE_YIELD) if mine else (RULE_GO if theirs else RULE_HELD)
            rows.append((index[me], index[other], s_in, s_out, o_in, o_out, rule, KINDS.index(c.kind)))
    rows.sort(key=lambda r: (r[0], r[2]))
    order, cf_first = _csr([r[0] for r in rows], len(ids))
    col = lambda j, dt: np.array([rows[k][j] for k in order], dtype=dt)  # noqa: E731
    ctl = network.controls
    walks = ctl.crosswalks
    q = max((len(w.polygon) for w in walks), default=1)
    walk_x = np.zeros((len(walks), q))
    walk_y = np.zeros((len(walks), q))
    for w, cw in enumerate(walks):
        walk_x[w, : len(cw.polygon)] = [p[0] for p in cw.polygon]
        walk_y[w, : len(cw.polygon)] = [p[1] for p in cw.polygon]
    crossings = crosswalk_crossings(network)
    cw_order, cw_first = _csr([index[x.lane] for x in crossings], len(ids))
    return CompiledRules(
        cf_first=cf_first, cf_other=col(1, np.int64), cf_in=col(2, np.float64), cf_out=col(3, np.float64),
        cf_oin=col(4, np.float64), cf_oout=col(5, np.float64), cf_rule=col(6, np.int64),
        cf_kind=col(7, np.int64),
        lane_sign=np.array([SIGN_CODES.get(ctl.sign.get(lid, ""), 0) for lid in ids], dtype=np.int64),
        lane_group=np.array([ctl.signal.get(lid, -1) for lid in ids], dtype=np.int64),
        n_groups=ctl.n_groups, all_way=ctl.all_way_stop,
        cw_first=cw_first, cw_in=np.array([crossings[k].s_in for k in cw_order], dtype=np.float64),
        cw_out=np.array([crossings[k].s_out for k in cw_order], dtype=np.float64),
        cw_walk=np.array([crossings[k].crosswalk for k in cw_order], dtype=np.int64),
        walk_x=walk_x, walk_y=walk_y, walk_n=np.array([len(w.polygon) for w in walks], dtype=np.int64),
    )
