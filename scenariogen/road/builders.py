"""Road builders: one function per road type, and :func:`build_road` from a ``RoadSpec``.

Conventions: metres and radians (``*_deg`` arguments in degrees); right-hand
traffic; every lane is directed. Within one direction of travel lane ``"0"``
(or ``*_0``) is the RIGHTMOST lane and lane ``i``'s left neighbour is ``i+1``.

Curves are sampled finely (vertex spacing <= 0.5 m and <= 0.01 rad of turn)
with exact tangent headings at the vertices, so arc lengths match the closed
form to ~1e-5 relative and end headings are exact.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import replace
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np

from scenariogen.errors import RoadError

from .lane import Lane
from .network import RoadNetwork
from .rules import Controls, Crosswalk

if TYPE_CHECKING:  # only for annotations: keeps road importable without the DSL
    from scenariogen.dsl.schema import PolylineLaneSpec, RoadSpec

__all__ = ["straight", "curve", "merge", "intersection", "polylines", "imported", "build_road", "BUILDERS"]

_MAX_STEP = 0.5  # m, largest vertex spacing on sampled curves
_MAX_TURN = 0.01  # rad, largest heading change between curve vertices

ARMS = ("N", "E", "S", "W")
# Rotation (rad) taking the canonical south arm (incoming traffic heading north) to each arm.
_ARM_ROTATION = {"S": 0.0, "E": math.pi / 2, "N": math.pi, "W": -math.pi / 2}
_OPPOSITE = {"N": "S", "S": "N", "E": "W", "W": "E"}
_RIGHT_OF = {"S": "E", "E": "N", "N": "W", "W": "S"}  # arm reached by turning right
_LEFT_OF = {"S": "W", "W": "N", "N": "E", "E": "S"}  # arm reached by turning left


# ---------------------------------------------------------------- validation


def _positive(name: str, value: float) -> float:
    v = float(value)
    if not math.isfinite(v) or v <= 0.0:
        raise RoadError(f"{name} must be a positive number, got {value}")
    return v


def _non_negative(name: str, value: float) -> float:
    v = float(value)
    if not math.isfinite(v) or v < 0.0:
        raise RoadError(f"{name} must be >= 0, got {value}")
    return v


def _lane_count(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise RoadError(f"lanes must be an integer >= 1, got {value!r}")
    return int(value)


# ------------------------------------------------------------------ geometry


def _arc(
    start: tuple[float, float], heading: float, radius: float, angle: float
) -> tuple[np.ndarray, np.ndarray]:
    """Points (K, 2) and tangent headings (K,) of a circular arc of ``radius`` (m)
    turning ``angle`` (rad, > 0 left) from ``start`` at ``heading`` (rad)."""
    sign = 1.0 if angle > 0 else -1.0
    n = max(1, math.ceil(radius * abs(angle) / _MAX_STEP), math.ceil(abs(angle) / _MAX_TURN))
    phi = heading + np.linspace(0.0, angle, n + 1)
    cx = start[0] - sign * radius * math.sin(heading)
    cy = start[1] + sign * radius * math.cos(heading)
    pts = np.column_stack((cx + sign * radius * np.sin(phi), cy - sign * radius * np.cos(phi)))
    pts[0] = start  # exact start point
    return pts, phi


def _rotate(points: np.ndarray, angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    return points @ np.array([[c, s], [-s, c]])


def _chain(
    ids: Sequence[str], relation: Callable[[int], int | None]
) -> dict[str, str | None]:
    """``ids[i] -> ids[relation(i)]`` (None when relation gives None or out of range)."""
    out: dict[str, str | None] = {}
    for i, lid in enumerate(ids):
        j = relation(i)
        out[lid] = ids[j] if j is not None and 0 <= j < len(ids) else None
    return out


# ------------------------------------------------------------------ builders


def straight(*, lanes: int = 1, lane_width: float = 3.5, length: float = 200.0, lanes_reverse: int = 0) -> RoadNetwork:
    """Parallel straight lanes ``"0"``..``"n-1"`` heading +x (rad 0), and ``lanes_reverse`` lanes
    ``"r0"``..``"r{m-1}"`` heading -x on their left.

    Lane ``i`` runs from ``(0, i*lane_width)`` to ``(length, i*lane_width)``; ``"0"`` is the
    rightmost. The other direction's rightmost lane ``"r0"`` is the farthest from the forward lanes;
    the two innermost lanes (``"n-1"`` and ``"r{m-1}"``) are each other's ``opposite``. No successors.
    """
    n = _lane_count(lanes)
    w = _positive("lane_width", lane_width)
    L = _positive("length", length)
    m = _reverse_count(lanes_reverse)
    ids = [str(i) for i in range(n)]
    lane_objs = [Lane(ids[i], [(0.0, i * w), (L, i * w)], w) for i in range(n)]
    rev = [f"r{k}" for k in range(m)]
    lane_objs += [Lane(rev[k], [(L, (n + m - 1 - k) * w), (0.0, (n + m - 1 - k) * w)], w) for k in range(m)]
    return _two_way(lane_objs, ids, rev)


def _reverse_count(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= int(value) <= 16:
        raise RoadError(f"lanes_reverse must be an integer in 0..16, got {value!r}")
    return int(value)


def _two_way(lane_objs: list[Lane], ids: list[str], rev: list[str]) -> RoadNetwork:
    """The network of forward lanes ``ids`` and reverse lanes ``rev``, each direction's lanes
    chained as neighbours and the two innermost lanes opposite each other."""
    left, right = _chain(ids, lambda i: i + 1), _chain(ids, lambda i: i - 1)
    left.update(_chain(rev, lambda i: i + 1))
    right.update(_chain(rev, lambda i: i - 1))
    return RoadNetwork(lane_objs, left=left, right=right, opposite={ids[-1]: rev[-1]} if rev else None)


def curve(
    *, lanes: int = 1, lane_width: float = 3.5, radius: float = 100.0, angle_deg: float = 90.0,
    lanes_reverse: int = 0,
) -> RoadNetwork:
    """Parallel circular lanes ``"0"``..``"n-1"`` starting at the origin heading +x.

    ``angle_deg`` > 0 turns left, < 0 right (|angle| < 360). ``radius`` (m) is the
    radius of lane ``"0"``'s centreline; lane ``i`` starts at ``(0, i*lane_width)``,
    offset to the left, so its radius is ``radius - i*w`` on a left turn and
    ``radius + i*w`` on a right turn. ``lanes_reverse`` lanes ``"r0"``..``"r{m-1}"`` of the other
    direction follow on the left (as for :func:`straight`). Every lane's inner edge must keep a
    positive radius (``radius_i > lane_width/2``), else RoadError.
    """
    n = _lane_count(lanes)
    w = _positive("lane_width", lane_width)
    R = _positive("radius", radius)
    a_deg = float(angle_deg)
    if not math.isfinite(a_deg) or a_deg == 0.0 or abs(a_deg) >= 360.0:
        raise RoadError(f"angle_deg must be non-zero and within (-360, 360), got {angle_deg}")
    angle = math.radians(a_deg)
    sign = 1.0 if angle > 0 else -1.0
    m = _reverse_count(lanes_reverse)
    inner = R - (n + m - 1) * w if sign > 0 else R  # centreline radius of the innermost lane
    if inner - w / 2 <= 0.0:
        side = "left" if sign > 0 else "right"
        need = (n + m - 1) * w + w / 2 if sign > 0 else w / 2
        raise RoadError(
            f"curve radius {R} m is too small for {n} lane(s){f' and {m} the other way' if m else ''} of {w} m "
            f"turning {side}: the innermost "
            f"lane's centreline radius is {inner} m, its inner edge {inner - w / 2} m; "
            f"need radius > {need} m"
        )
    ids = [str(i) for i in range(n)]
    lane_objs = []
    for i in range(n):
        pts, hdg = _arc((0.0, i * w), 0.0, R - sign * i * w, angle)
        lane_objs.append(Lane(ids[i], pts, w, headings=hdg))
    rev = [f"r{k}" for k in range(m)]
    for k in range(m):
        j = n + m - 1 - k  # position across the road, counted from lane "0"
        pts, hdg = _arc((0.0, j * w), 0.0, R - sign * j * w, angle)
        lane_objs.append(Lane(rev[k], pts[::-1], w, headings=hdg[::-1] + math.pi))
    return _two_way(lane_objs, ids, rev)


def merge(
    *,
    lanes: int = 1,
    lane_width: float = 3.5,
    length: float = 200.0,
    ramp_length: float = 150.0,
    merge_start: float = 100.0,
    merge_length: float = 80.0,
    ramp_angle_deg: float = 10.0,
) -> RoadNetwork:
    """A straight main road with an on-ramp joining from the right.

    * ``"0"``..``"n-1"``: main lanes as in :func:`straight` over ``length``.
    * ``"accel"``: acceleration lane at ``y = -lane_width`` from
      ``x = merge_start`` to ``merge_start + merge_length``, then it ENDS (no
      successors); its left neighbour is ``"0"`` and ``"0"``'s right is ``"accel"``.
    * ``"ramp"``: ``ramp_length`` m long, ending at the start of ``"accel"``
      (its only successor). Its first half is straight at ``ramp_angle_deg``
      (0 < angle < 90) to the main road, coming from below-left; its second half
      is a circular arc bending tangentially into ``"accel"`` (heading 0 at the join).
    """
    n = _lane_count(lanes)
    w = _positive("lane_width", lane_width)
    L = _positive("length", length)
    Lr = _positive("ramp_length", ramp_length)
    ms = _non_negative("merge_start", merge_start)
    ml = _positive("merge_length", merge_length)
    if ms + ml > L + 1e-9:
        raise RoadError(
            f"merge_start + merge_length ({ms} + {ml} = {ms + ml} m) exceeds the main road length {L} m"
        )
    a_deg = float(ramp_angle_deg)
    if not (0.0 < a_deg < 90.0):
        raise RoadError(f"ramp_angle_deg must be within (0, 90), got {ramp_angle_deg}")
    alpha = math.radians(a_deg)

    ids = [str(i) for i in range(n)]
    main = [Lane(ids[i], [(0.0, i * w), (L, i * w)], w) for i in range(n)]
    accel = Lane("accel", [(ms, -w), (ms + ml, -w)], w)

    blend = Lr / 2.0  # arc length of the bend into the acceleration lane
    rb = blend / alpha
    arc_start = (ms - rb * math.sin(alpha), -w - rb * (1.0 - math.cos(alpha)))
    arc_pts, arc_h = _arc(arc_start, alpha, rb, -alpha)
    arc_pts[-1] = (ms, -w)  # exact join
    straight_len = Lr - blend
    ramp_start = (
        arc_start[0] - straight_len * math.cos(alpha),
        arc_start[1] - straight_len * math.sin(alpha),
    )
    ramp = Lane(
        "ramp",
        np.vstack(([ramp_start], arc_pts)),
        w,
        headings=np.concatenate(([alpha], arc_h)),
    )

    left = _chain(ids, lambda i: i + 1)
    right = _chain(ids, lambda i: i - 1)
    right["0"] = "accel"
    left["accel"] = "0"
    return RoadNetwork(main + [ramp, accel], successors={"ramp": ("accel",)}, left=left, right=right)


def intersection(
    *, lanes: int = 1, lane_width: float = 3.5, length: float = 200.0, turn_radius: float = 8.0,
    control: str = "uncontrolled", major: Sequence[str] = (), sign: str = "yield",
    phases: Sequence[Sequence[str]] = (), crosswalks: Sequence[str] = (),
) -> RoadNetwork:
    """A four-way intersection centred at the origin with arms N, E, S, W.

    Each arm has ``lanes`` incoming lanes ``"<A>_in_<i>"`` (driving towards the
    centre) and ``lanes`` outgoing lanes ``"<A>_out_<i>"`` (driving away), each
    ``length`` m long from the junction edge; ``i = 0`` is the rightmost.

    The junction box is the square ``|x|, |y| <= H`` with
    ``H = lanes * lane_width + turn_radius``: each road is ``2 * lanes *
    lane_width`` wide and the kerb corners are quarter circles of radius
    ``turn_radius`` tangent to both road edges.

    Connectors ``"<A>_in_<i>><B>_out_<j>"`` inside the box:

    * straight: ``A_in_i -> opposite_out_i`` (length ``2H``);
    * right turn: ``A_in_0 -> right_out_0``, quarter circle of radius
      ``turn_radius + lane_width/2``;
    * left turn: ``A_in_{n-1} -> left_out_{n-1}``, quarter circle of radius
      ``H + lane_width/2``.

    Lane order: per arm N, E, S, W its in lanes then its out lanes; then all
    straight connectors, all right turns, all left turns. Successors of
    ``A_in_i`` in order: straight, right (i = 0), left (i = n-1); each
    connector's only successor is its out lane, and an out lane's predecessors
    come straight first; out lanes end.
    """
    n = _lane_count(lanes)
    w = _positive("lane_width", lane_width)
    L = _positive("length", length)
    tr = _non_negative("turn_radius", turn_radius)
    H = n * w + tr

    # Canonical geometry for the south arm: incoming lanes head north (+y).
    def r(i: int) -> float:  # distance of lane i to the right of the road centreline
        return (n - i - 0.5) * w

    canon: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    half_pi = math.pi / 2
    for i in range(n):
        canon[f"in_{i}"] = (np.array([(r(i), -H - L), (r(i), -H)]), np.array([half_pi, half_pi]))
        canon[f"out_{i}"] = (np.array([(-r(i), -H), (-r(i), -H - L)]), np.array([-half_pi, -half_pi]))
        canon[f"straight_{i}"] = (np.array([(r(i), -H), (r(i), H)]), np.array([half_pi, half_pi]))
    canon["right"] = _arc((r(0), -H), half_pi, H - r(0), -half_pi)
    canon["left"] = _arc((r(n - 1), -H), half_pi, H + r(n - 1), half_pi)

    def lane(lid: str, key: str, arm: str) -> Lane:
        pts, hdg = canon[key]
        rot = _ARM_ROTATION[arm]
        return Lane(lid, _rotate(pts, rot), w, headings=hdg + rot)

    lane_objs: list[Lane] = []
    left: dict[str, str | None] = {}
    right: dict[str, str | None] = {}
    succ: dict[str, list[str]] = {}
    for arm in ARMS:
        for kind in ("in", "out"):
            ids = [f"{arm}_{kind}_{i}" for i in range(n)]
            lane_objs += [lane(ids[i], f"{kind}_{i}", arm) for i in range(n)]
            left.update(_chain(ids, lambda i: i + 1))
            right.update(_chain(ids, lambda i: i - 1))
    # All straight connectors first, then right turns, then left turns: lane order is
    # predecessor order, so driving backwards out of an out lane prefers going straight.
    moves = [(arm, f"straight_{i}", i, _OPPOSITE[arm], i) for arm in ARMS for i in range(n)]
    moves += [(arm, "right", 0, _RIGHT_OF[arm], 0) for arm in ARMS]
    moves += [(arm, "left", n - 1, _LEFT_OF[arm], n - 1) for arm in ARMS]
    for arm, key, i, to_arm, j in moves:
        src, dst = f"{arm}_in_{i}", f"{to_arm}_out_{j}"
        cid = f"{src}>{dst}"
        lane_objs.append(lane(cid, key, arm))
        succ.setdefault(src, []).append(cid)
        succ[cid] = [dst]
    controls = _junction_controls(n, control, major, sign, phases)
    walks = []
    for arm in crosswalks:
        if arm not in ARMS:
            raise RoadError(f"crosswalk on unknown arm {arm!r} (arms: {', '.join(ARMS)})")
        canon_walk = np.array([(-n * w, -H - 0.5), (n * w, -H - 0.5), (n * w, -H - 3.5), (-n * w, -H - 3.5)])
        pts = _rotate(canon_walk, _ARM_ROTATION[arm])
        walks.append(Crosswalk(f"{arm}_crosswalk", tuple((float(x), float(y)) for x, y in pts)))
    controls = replace(controls, crosswalks=tuple(walks))
    return RoadNetwork(lane_objs, successors=succ, left=left, right=right, controls=controls)


CONTROLS = ("uncontrolled", "priority", "all_way_stop", "signal")


def _junction_controls(n: int, control: str, major: Sequence[str], sign: str,
                       phases: Sequence[Sequence[str]]) -> Controls:
    """The controls of an intersection's in lanes (see :func:`intersection`)."""
    if control not in CONTROLS:
        close = difflib.get_close_matches(str(control), CONTROLS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise RoadError(f"unknown control {control!r}{hint} (controls: {', '.join(CONTROLS)})")
    for arm in [*major, *(a for p in phases for a in p)]:
        if arm not in ARMS:
            raise RoadError(f"unknown arm {arm!r} (arms: {', '.join(ARMS)})")
    lanes_of = {arm: [f"{arm}_in_{i}" for i in range(n)] for arm in ARMS}
    if control == "priority":
        if not major:
            raise RoadError("a priority junction needs its major arms")
        minor = [a for a in ARMS if a not in major]
        return Controls(priority={lid: 2 for a in major for lid in lanes_of[a]},
                        sign={lid: sign for a in minor for lid in lanes_of[a]})
    if control == "all_way_stop":
        return Controls(sign={lid: "stop" for a in ARMS for lid in lanes_of[a]}, all_way_stop=True)
    if control == "signal":
        if not phases:
            raise RoadError("a signal junction needs its phases (the arms of each)")
        seen = [a for p in phases for a in p]
        if len(seen) != len(set(seen)):
            raise RoadError("an arm belongs to two signal phases")
        return Controls(signal={lid: k for k, p in enumerate(phases) for a in p for lid in lanes_of[a]},
                        n_groups=len(phases))
    return Controls()


def polylines(specs: Sequence[PolylineLaneSpec]) -> RoadNetwork:
    """Lanes given explicitly: each spec's ``id``, ``points`` (m), ``width`` (m),
    ``successors`` and optional ``left`` / ``right`` neighbour ids.

    Headings are the bisectors of adjacent segments (see :class:`Lane`).
    RoadError for fewer than two distinct points, non-positive width, duplicate
    ids, or a successor / neighbour id that names no lane.
    """
    if not specs:
        raise RoadError("road type 'lanes' needs at least one polyline lane")
    lane_objs = []
    for spec in specs:
        try:
            width = float(spec.width)
        except (TypeError, ValueError):
            raise RoadError(f"lane {spec.id!r}: width must be a number, got {spec.width!r}") from None
        lane_objs.append(Lane(spec.id, spec.points, width))
    return RoadNetwork(
        lane_objs,
        successors={s.id: tuple(s.successors) for s in specs},
        left={s.id: s.left for s in specs},
        right={s.id: s.right for s in specs},
        opposite={s.id: s.opposite for s in specs if s.opposite is not None},
        controls=Controls(sign={s.id: s.sign for s in specs if s.sign is not None},
                          priority={s.id: s.priority for s in specs if s.priority != 1}),
    )


def imported(spec: RoadSpec) -> RoadNetwork:
    """The road of a map file (``road: {from: PATH}``): the lanes of ``spec.region_*`` of the map
    at ``spec.map_file`` (see :mod:`scenariogen.road.maps`; memoised and cached on disk)."""
    from .maps import Region, map_road

    net, _ = map_road(spec.map_file or spec.map_path, spec.map_format or None,
                      Region(spec.region_bbox, tuple(spec.region_ids)))
    return net


def seeded(spec: RoadSpec) -> RoadNetwork:
    """The maps of a seeded family's scenes side by side (``spec.seed_maps``): each scene's lanes,
    moved by its shift, with ids ``"{scene}/{lane id}"``; signs and priorities kept (signal plans and
    crosswalks of the maps are not)."""
    from .maps import map_road

    lanes: list[Lane] = []
    succ: dict[str, tuple[str, ...]] = {}
    left: dict[str, str | None] = {}
    right: dict[str, str | None] = {}
    opposite: dict[str, str] = {}
    sign: dict[str, str] = {}
    priority: dict[str, int] = {}
    for sm in spec.seed_maps:
        net, _ = map_road(sm.map_file, sm.map_format)

        def name(lid: str | None, _scene: str = sm.name) -> str | None:
            return None if lid is None else f"{_scene}/{lid}"

        for lid, lane in net.lanes.items():
            n = name(lid)
            lanes.append(Lane(n, lane.points + np.asarray(sm.shift), lane.width, headings=lane.vertex_headings))
            succ[n] = tuple(name(t) for t in net.successors(lid))
            left[n], right[n] = name(net.left(lid)), name(net.right(lid))
            if net.opposite(lid) is not None:
                opposite[n] = name(net.opposite(lid))
        sign.update({name(k): v for k, v in net.controls.sign.items()})
        priority.update({name(k): v for k, v in net.controls.priority.items()})
    return RoadNetwork(lanes, successors=succ, left=left, right=right, opposite=opposite,
                       controls=Controls(sign=sign, priority=priority))


# ------------------------------------------------------------------ dispatch

BUILDERS: dict[str, Callable[[RoadSpec], RoadNetwork]] = {
    "straight": lambda sp: straight(lanes=sp.lanes, lane_width=sp.lane_width, length=sp.length,
                                    lanes_reverse=sp.lanes_reverse),
    "curve": lambda sp: curve(
        lanes=sp.lanes, lane_width=sp.lane_width, radius=sp.radius, angle_deg=sp.angle_deg,
        lanes_reverse=sp.lanes_reverse,
    ),
    "merge": lambda sp: merge(
        lanes=sp.lanes,
        lane_width=sp.lane_width,
        length=sp.length,
        ramp_length=sp.ramp_length,
        merge_start=sp.merge_start,
        merge_length=sp.merge_length,
        ramp_angle_deg=sp.ramp_angle_deg,
    ),
    "intersection": lambda sp: intersection(
        lanes=sp.lanes, lane_width=sp.lane_width, length=sp.length, turn_radius=sp.turn_radius,
        control=sp.control.type, major=sp.control.major, sign=sp.control.sign,
        phases=tuple(p.arms for p in sp.control.phases), crosswalks=sp.crosswalks,
    ),
    "lanes": lambda sp: polylines(sp.polylines),
    "map": lambda sp: imported(sp),
    "seed": seeded,
}
"""Road type name -> builder taking a ``RoadSpec``."""


def build_road(spec: RoadSpec) -> RoadNetwork:
    """Build the :class:`RoadNetwork` that ``spec`` describes (see :data:`BUILDERS`)."""
    builder = BUILDERS.get(spec.type)
    if builder is None:
        close = difflib.get_close_matches(str(spec.type), list(BUILDERS), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise RoadError(f"unknown road type {spec.type!r}{hint} (valid: {', '.join(BUILDERS)})")
    return builder(spec)
