"""Frozen dataclasses that a parsed scenario becomes (the ``ScenarioSpec``).

Nothing downstream of the DSL sees raw YAML. Every numeric field that the
author may randomise holds a :class:`~scenariogen.dsl.distributions.Value`:
either a constant or a reference to one parameter of the spec's parameter
space, so a row of theta resolves every field of one concrete scenario.

Units: metres, seconds, metres per second, radians (fields ending in ``_deg``
are degrees, as authored).
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields, is_dataclass

from .distributions import Const, ParameterSpace, Value

# --------------------------------------------------------------------------- road


@dataclass(frozen=True)
class PolylineLaneSpec:
    """One lane given explicitly: centreline points (m), width (m) and successor lane ids."""

    id: str
    points: tuple[tuple[float, float], ...]
    width: float = 3.5
    successors: tuple[str, ...] = ()
    left: str | None = None
    right: str | None = None
    opposite: str | None = None
    sign: str | None = None  # yield or stop at the lane's end
    priority: int = 1  # level at the lane's end: higher goes first


@dataclass(frozen=True)
class SignalPhase:
    """One phase of a junction's signal plan: the ``arms`` that get green for ``green`` s, then
    amber for ``amber`` s."""

    arms: tuple[str, ...]
    green: Value = Const(25.0)
    amber: Value = Const(3.0)


@dataclass(frozen=True)
class JunctionControl:
    """Right of way at an intersection. ``type``: ``uncontrolled`` (the turn rules: yield to the
    right, a left turn yields to oncoming traffic), ``priority`` (the ``major`` arms go first, the
    others have a ``sign``: yield or stop), ``all_way_stop`` or ``signal`` (``phases`` in order,
    ``all_red`` s between them, the cycle starting ``offset`` s before t = 0)."""

    type: str = "uncontrolled"
    major: tuple[str, ...] = ()
    sign: str = "yield"
    phases: tuple[SignalPhase, ...] = ()
    all_red: Value = Const(1.0)
    offset: Value = Const(0.0)


@dataclass(frozen=True)
class SeedMap:
    """The map of one seed scene in a seeded family's road: its lanes get ids ``"{name}/{lane id}"``
    and are moved by ``shift`` (m, added to x and y) so the maps of the scenes lie side by side."""

    name: str  # the scene's name (its log file's stem, ``#k`` for the k-th scene of a split log)
    map_format: str  # map reader: commonroad, av2
    map_sha256: str
    shift: tuple[float, float]
    map_file: str = field(default="", compare=False, repr=False)


@dataclass(frozen=True)
class RoadSpec:
    """Which road to build and its dimensions.

    ``type`` is one of ``straight``, ``curve``, ``merge``, ``intersection``,
    ``lanes``, or ``map`` for a road imported from a map file (``road: {from: PATH}``).
    Only the fields of that builder are meaningful; the others keep
    their defaults. Lane ids follow the builder's naming (see ``docs/dsl.md``).
    """

    type: str
    lanes: int = 1  # lanes per direction / per arm
    lane_width: float = 3.5  # m
    length: float = 200.0  # m; straight length, merge main length, arm length
    radius: float = 100.0  # m, curve radius of the centreline of lane 0
    angle_deg: float = 90.0  # deg, curve angle (positive turns left)
    ramp_length: float = 150.0  # m, merge on-ramp length before it joins
    merge_start: float = 100.0  # m, s on the main road where the ramp joins
    merge_length: float = 80.0  # m, length of the acceleration lane that ends
    ramp_angle_deg: float = 10.0  # deg, angle of the ramp to the main road
    turn_radius: float = 8.0  # m, intersection corner radius (inner edge)
    polylines: tuple[PolylineLaneSpec, ...] = ()
    lanes_reverse: int = 0  # straight and curve: lanes of the other direction, on the left
    control: JunctionControl = JunctionControl()  # intersection: right of way
    crosswalks: tuple[str, ...] = ()  # intersection: arms with a crosswalk
    # type "map": the map file as written (relative to the scenario file), its format, the piece cut
    # out of it (a bounding box in m and/or element ids) and the SHA-256 of its bytes, so the spec hash
    # changes with the map; map_file is the resolved path, out of the repr (the hash must not depend on
    # where the scenario was loaded from)
    map_path: str = ""
    map_format: str = ""
    region_bbox: tuple[float, float, float, float] | None = None
    region_ids: tuple[str, ...] = ()
    map_sha256: str = ""
    map_file: str = field(default="", compare=False, repr=False)
    # type "seed" (``seed_from:``): the maps of the seed scenes side by side, one ``SeedMap`` each
    seed_maps: tuple[SeedMap, ...] = ()


# ------------------------------------------------------------------------ actors

KINDS = ("car", "truck", "bus", "motorcycle", "bicycle", "pedestrian")

# Default (length, width) in metres for each kind.
DEFAULT_SIZE: dict[str, tuple[float, float]] = {
    "car": (4.6, 1.9),
    "truck": (10.0, 2.5),
    "bus": (12.0, 2.55),
    "motorcycle": (2.2, 0.8),
    "bicycle": (1.8, 0.6),
    "pedestrian": (0.5, 0.5),
}


@dataclass(frozen=True)
class LanePlacement:
    """Place on ``lane`` at arc length ``s`` (m) with lateral ``offset`` (m, left positive).

    When ``relative_to`` names an actor, ``s`` is an offset (m) from that
    actor's arc length, measured along the lane graph (positive ahead).
    """

    lane: str
    s: Value
    offset: Value = Const(0.0)
    relative_to: str | None = None


@dataclass(frozen=True)
class LogPlacement:
    """A logged vehicle of a seeded family (``seed_from:``) in its real state: ``role`` is ``ego``,
    one of :data:`SEED_ROLES` (relative to the ego) or ``track`` (the log's track ``track``).
    ``room`` (m, side roles only): the nearest vehicle of the role with no vehicle of the ego's lane
    (ahead of the ego for ``_ahead``, behind for ``_behind``) within this distance of its box
    lengthwise: room to change into the ego's lane."""

    role: str
    track: str | None = None
    room: float | None = None

    @property
    def key(self) -> str:
        """The name of its column in :attr:`SeedScene.roles` (``left_ahead``, ``left_ahead:room=5``,
        ``track:ID``)."""
        if self.role == "track":
            return f"track:{self.track}"
        return self.role if self.room is None else f"{self.role}:room={self.room:g}"


@dataclass(frozen=True)
class PosePlacement:
    """Place at world ``x``, ``y`` (m) with ``heading_deg`` (degrees, counter-clockwise from +x)."""

    x: Value
    y: Value
    heading_deg: Value = Const(0.0)


@dataclass(frozen=True)
class IDMParams:
    """Intelligent Driver Model (Treiber et al. 2000) parameters."""

    desired_speed: Value = Const(30.0)  # m/s
    time_headway: Value = Const(1.5)  # s
    min_gap: Value = Const(2.0)  # m
    max_accel: Value = Const(1.5)  # m/s^2
    comfort_decel: Value = Const(2.0)  # m/s^2 (positive)
    delta: float = 4.0  # acceleration exponent
    reaction_time: Value = Const(0.0)  # s


@dataclass(frozen=True)
class MobilParams:
    """MOBIL lane-change model (Kesting et al. 2007) parameters."""

    politeness: Value = Const(0.3)
    threshold: Value = Const(0.2)  # m/s^2 advantage needed
    safe_decel: Value = Const(4.0)  # m/s^2, largest braking imposed on the new follower
    duration: Value = Const(3.0)  # s, time a lane change takes


@dataclass(frozen=True)
class Wander:
    """A driver's lateral target: its held offset plus an Ornstein-Uhlenbeck process of stationary
    sd ``sd`` (m) and time constant ``tau`` (s), starting at 0 (the target starts where the vehicle
    is), clipped so its box stays inside the lane (or, held closer to the edge, no further out than
    its held offset); its steering tracks the target."""

    sd: Value
    tau: Value


@dataclass(frozen=True)
class DriverParams:
    """Driver traits that hold whatever the longitudinal model: ``lateral_accel`` (m/s^2) kept in
    curves (speed at most ``sqrt(lateral_accel / |curvature|)``), ``critical_gap`` (s) accepted
    before entering a conflict area where the driver must yield, ``follow_up`` (s) after the vehicle
    ahead of it in the queue entered. None: drawn for each driver from the scenario's random
    stream with the default laws of ``docs/dsl.md`` (``sim.compile.DRIVER_DEFAULTS``).
    ``accel_noise`` (m/s^2) and ``accel_noise_time`` (s): the acceleration noise on the driver's
    command, a stationary Ornstein-Uhlenbeck process of that std and correlation time. ``wander``:
    how the driver's lateral target wanders around its held offset within its lane (None: it holds it)."""

    lateral_accel: Value | None = None
    critical_gap: Value | None = None
    follow_up: Value | None = None
    cooperation: Value | None = None  # probability (0-1) that the driver opens a gap for a merging vehicle
    merge_gap: Value | None = None  # s, time gap left to the new follower when merging from a lane that ends
    accel_noise: Value | None = None  # m/s^2, stationary std of the acceleration noise on the command (None: 0)
    accel_noise_time: Value | None = None  # s, its correlation time (None: sim.compile.DEFAULT_NOISE_TIME)
    wander: Wander | None = None



@dataclass(frozen=True)
class BehaviorSpec:
    """Longitudinal model and optional lane-change model of one actor.

    ``model``: ``idm`` (car following), ``keep_lane`` (IDM, never changes lane),
    ``constant_speed`` (ignores others), ``stop`` (brakes to standstill at
    ``stop_decel``).
    """

    model: str = "idm"
    idm: IDMParams = IDMParams()
    mobil: MobilParams | None = None
    stop_decel: Value = Const(3.0)  # m/s^2
    driver: DriverParams = DriverParams()


@dataclass(frozen=True)
class Trigger:
    """When a manoeuvre starts: at ``time`` (s); when the centre distance (m) to
    actor ``other`` first falls below ``below``; when ``other``, driving
    behind this actor, first has a time gap (bumper gap along its heading
    divided by its speed, s) below ``below`` (the moment to cut in front of it);
    or ``value`` s after the actor's previous manoeuvre finished
    (``after_previous``). ``second`` is a second condition, combined by
    ``combine`` (``any`` or ``all``); ``timeout`` (s) starts the manoeuvre then
    whatever the conditions say."""

    kind: str  # "time" | "distance" | "time_gap" | "after_previous"
    value: Value  # time (s) for kind "time", the threshold or delay otherwise
    other: str | None = None
    second: Trigger | None = None
    combine: str = "one"  # "one" | "any" | "all"
    timeout: Value | None = None


@dataclass(frozen=True)
class ManeuverSpec:
    """A scripted manoeuvre.

    ``type``: ``lane_change`` (to lane ``to`` over ``duration`` s; a cut-in is a
    lane change in front of another actor), ``hard_brake`` (``decel`` m/s^2 for
    ``duration`` s, or to standstill when duration is 0), ``stop`` (comfortable
    stop at ``decel``), ``cross`` (walk or ride along ``path`` at ``speed`` m/s;
    the path's points are offsets in metres from the actor's initial position,
    along the world axes, so a randomised start moves the whole path),
    ``offset`` (move within the lane to lateral offset ``offset`` m, left
    positive, over ``duration`` s; beyond the lane's left edge on a two-way road
    it drives in the oncoming lane).

    ``gap_check``: 0 starts the manoeuvre when it fires; for a lane change any
    positive value waits for gaps the new follower accepts; for an offset into
    the oncoming lane, the seconds within which no oncoming vehicle may meet it.
    """

    type: str
    start: Trigger
    to: str | None = None
    duration: Value = Const(0.0)
    decel: Value = Const(0.0)
    speed: Value = Const(0.0)
    path: tuple[tuple[float, float], ...] = ()
    offset: Value = Const(0.0)
    gap_check: Value = Const(0.0)


@dataclass(frozen=True)
class DropoutSpec:
    """Sensor dropout model.

    ``model``: ``none``, ``gilbert_elliott`` (two-state burst chain with per-step
    probabilities ``p_enter`` good->lost and ``p_exit`` lost->good, or given as a
    stationary ``loss_rate`` and ``mean_burst`` length in seconds, see
    :func:`gilbert_elliott_probs`) or ``independent`` (each step lost with
    probability ``p_loss``, the ablation without bursts).

    ``first_burst_start`` / ``first_burst_length`` (Gilbert-Elliott, ``first_burst:
    sampled``): the p-quantiles, uniform on (0, 1), of the first burst's start step and
    length under the chain. They are parameters of the family, so a rare-event sampler
    can steer when the first dropout happens and how long it lasts, while the chain's
    law is unchanged; later bursts are drawn by the chain.
    """

    model: str = "none"
    p_enter: Value | None = None
    p_exit: Value | None = None
    loss_rate: Value | None = None
    mean_burst: Value | None = None  # s
    p_loss: Value = Const(0.0)
    first_burst_start: Value | None = None
    first_burst_length: Value | None = None


def gilbert_elliott_probs(loss_rate: float, mean_burst: float, dt: float) -> tuple[float, float]:
    """Per-step (p_enter, p_exit) of the chain whose stationary loss rate is ``loss_rate``
    and whose bursts last ``mean_burst`` seconds on average: p_exit = dt / mean_burst,
    p_enter = p_exit * rate / (1 - rate)."""
    p_exit = min(1.0, dt / mean_burst)
    p_enter = min(1.0, p_exit * loss_rate / (1.0 - loss_rate))
    return p_enter, p_exit


@dataclass(frozen=True)
class SensorSpec:
    """The ego's perception: range (m), field of view (deg), mounting (m, ego frame),
    detection noise (m, m/s standard deviations), dropout model, latency (s),
    visible-fraction threshold and track memory (s)."""

    range: Value = Const(80.0)
    fov_deg: Value = Const(120.0)
    mount_x: float = 0.0
    mount_y: float = 0.0
    position_noise: Value = Const(0.0)
    speed_noise: Value = Const(0.0)
    dropout: DropoutSpec = DropoutSpec()
    latency: Value = Const(0.0)
    visible_threshold: float = 0.3
    track_memory: Value = Const(0.5)


@dataclass(frozen=True)
class AEBSpec:
    """Automatic emergency braking on perceived objects: trigger TTC (s), reaction (s), max decel (m/s^2)."""

    ttc: Value = Const(1.2)
    reaction_time: Value = Const(0.2)
    max_decel: Value = Const(8.0)


@dataclass(frozen=True)
class ActorSpec:
    """One named actor: kind, size (m), placement, initial speed (m/s), behaviour, manoeuvres."""

    name: str
    kind: str
    length: float
    width: float
    placement: LanePlacement | PosePlacement | LogPlacement
    speed: Value
    behavior: BehaviorSpec
    maneuvers: tuple[ManeuverSpec, ...] = ()
    sensor: SensorSpec | None = None
    aeb: AEBSpec | None = None
    route: tuple[str, ...] = ()  # lane ids to follow at forks (intersections); empty = first successor
    replay: bool = False  # a logged vehicle that follows its recorded trajectory (seeded families)


@dataclass(frozen=True)
class TrafficSpec:
    """Background vehicles: ``count`` of them on ``lanes``, between arc lengths
    ``s_range`` (m), spaced by ``spacing`` (m gap, front to back) or at ``density``
    (vehicles per km per lane), at ``speed`` (m/s), with ``behavior``.

    ``first_position`` / ``first_speed`` (``placement: sampled``, one value per lane of
    ``lanes``, else empty): the p-quantiles, uniform on (0, 1), of where the first vehicle
    of each lane starts (its head start within one spacing) and of its initial speed. They
    are parameters of the family, so a rare-event sampler can steer the vehicles nearest
    the start of the window, while the law of the traffic is unchanged; which lane each
    vehicle takes, the gaps behind the first one and the other speeds stay with the random
    stream (the vehicles behind move with the first).

    ``offset_sd`` (m): each vehicle holds its own lateral offset from its lane's centre until it
    changes lanes, normal with this sd truncated so its box stays inside the lane.
    """

    name: str
    kind: str
    length: float
    width: float
    count: Value
    lanes: tuple[str, ...]
    s_range: tuple[float, float] | None
    spacing: Value | None
    density: Value | None
    speed: Value
    behavior: BehaviorSpec
    # out of the repr (the spec hash): they follow from the lanes and the parameter space, which both
    # are in it, and leaving them out keeps the hash of every spec written before them
    first_position: tuple[Value, ...] = field(default=(), repr=False)
    first_speed: tuple[Value, ...] = field(default=(), repr=False)
    offset_sd: float = 0.0  # 0: every vehicle on the centre, nothing drawn


@dataclass(frozen=True)
class OccluderSpec:
    """A static polygon (m, world frame) that blocks the ego sensor's view."""

    name: str
    polygon: tuple[tuple[float, float], ...]


# ------------------------------------------------------------------------ events

EVENT_TYPES = ("near_miss", "collision", "hard_braking", "occluded_threat", "sensor_dropout")


@dataclass(frozen=True)
class EventSpec:
    """A labelled event and its thresholds.

    ``near_miss``: min TTC below ``ttc_below`` (s) and/or min box distance below
    ``distance_below`` (m); ``hard_braking``: deceleration above ``decel_above``
    (m/s^2); ``occluded_threat``: ``target`` hidden for at least ``min_duration``
    (s) before closest approach; ``sensor_dropout``: a burst of at least
    ``min_duration`` (s) while a threat is in range.

    A ``near_miss`` of the ego counts only the encounters with its party when one is given
    (``with:``): every agent of kind ``with_kind``, or the agents named in ``with_actors``
    (named actors, or traffic blocks for all their vehicles).
    """

    name: str
    type: str
    ttc_below: float | None = None
    distance_below: float | None = None
    decel_above: float | None = None
    actor: str = "ego"
    target: str | None = None
    min_duration: float | None = None
    with_kind: str | None = None
    with_actors: tuple[str, ...] = ()


# --------------------------------------------------------------------- calibrate


@dataclass(frozen=True)
class CalibrateSpec:
    """The ``calibrate`` block: the parameters ``scenariogen calibrate`` fits (``fit``, names of the
    parameter space), the descriptor window (s; None: 3 s or the duration if shorter), the
    scenarios simulated per evaluation, the most evaluations of the fit, and the refits on
    resampled recordings that give each fitted value its uncertainty."""

    fit: tuple[str, ...]
    window: float | None = None
    scenarios: int = 300
    evaluations: int = 200
    bootstrap: int = 8


# -------------------------------------------------------------------------- root


# roles a named actor of a seeded family can take (relative to the ego, in the ego's lane or the lane
# on its left or right, the nearest one ahead or behind; see docs/dsl.md)
SEED_ROLES = ("leader", "follower", "left_ahead", "left_behind", "right_ahead", "right_behind")
SIDE_ROLES = SEED_ROLES[2:]  # the roles that can ask for ``room`` to change into the ego's lane
SEED_ROOM_MAX = 100.0  # m, the most ``room`` a role can ask for (a role's vehicle is at most 100 m from the ego)


@dataclass(frozen=True)
class EgoRule:
    """How a seeded family picks its ego among the vehicles of the log at the chosen moment: the
    one of ``track``, else nearest the point ``nearest`` (m, the log's frame), else (``any``) the
    one the parameter ``seed_from.ego`` picks among them all, else the one with the most vehicles
    within ``busiest`` m; only vehicles in ``lanes`` (the map's lane ids) when given, and only those
    for which every role the family binds exists."""

    track: str | None = None
    nearest: tuple[float, float] | None = None
    busiest: float = 30.0
    lanes: tuple[str, ...] = ()
    any: bool = False

    def text(self) -> str:
        """The rule in words, as ``show`` and the errors say it."""
        what = (f"track {self.track}" if self.track is not None else
                "any eligible vehicle ($seed_from.ego)" if self.any else
                f"nearest ({self.nearest[0]:g}, {self.nearest[1]:g})" if self.nearest is not None else
                f"the most vehicles within {self.busiest:g} m")
        return what + (f" in lanes {', '.join(self.lanes)}" if self.lanes else "")


@dataclass(frozen=True)
class KeepGaps:
    """``seed_from.keep_gaps``: each simulated logged vehicle's IDM minimum gap and time headway are
    set from its gap and speed at the start so that its gap to its leader is its equilibrium gap:
    the minimum gap takes up the difference within ``min_gap`` (m), the time headway the rest
    within ``time_headway`` (s). ``fixed``: the key paths of the ones the family writes (those stay)."""

    time_headway: tuple[float, float] = (0.3, 3.5)  # s
    min_gap: tuple[float, float] = (0.5, 4.0)  # m
    fixed: tuple[str, ...] = ()
    # m/s: each simulated logged driver's desired speed is at least its logged speed plus this (None: as drawn)
    desired_speed_above: float | None = None


@dataclass(frozen=True, eq=False)
class SeedScene:
    """One logged scene of a seeded family, in the family's world (its map's ``shift`` applied).

    M logged agents, T frames ``dt`` apart (the family's dt), frame 0 at ``t0`` s of the log.
    ``x``, ``y`` (m), ``heading`` (rad), ``speed`` (m/s): (M, T) float64, NaN where absent;
    ``present``: (M, T) bool; ``lane``: (M, T) int index into ``lane_ids`` (-1: absent), with
    ``s`` and ``offset`` (m) on it; ``kinds``: (M,) kind codes; ``sizes``: (M, 2) length, width (m).
    ``usable``: (U,) frames a scenario can start at (room for the duration, no two logged boxes
    overlapping, an ego there);
    ``ego``: (U, C) the agents that can be the ego at each (C = 1 unless the rule is ``any``; -1
    pads); ``roles``: role (:attr:`LogPlacement.key`) -> (U, C) the agent taking it for each of
    them. ``overlapping``: frames with room for the duration left out because two logged boxes
    overlap there (a scenario would start in a collision)."""

    name: str
    source: str
    t0: float
    track_ids: tuple[str, ...]
    kinds: object
    sizes: object
    x: object
    y: object
    heading: object
    speed: object
    present: object
    lane: object
    s: object
    offset: object
    lane_ids: tuple[str, ...]
    usable: object
    ego: object
    roles: dict
    overlapping: int = 0


@dataclass(frozen=True)
class SeedSpec:
    """``seed_from:``: each scenario starts from a logged scene (``scene``: a choice of the index
    into ``scenes``) at a moment (``moment``: the fraction of its usable frames, [0, 1], 1 taken as the last); the ego is
    picked by ``ego``; logged vehicles not bound to a named actor drive with ``behavior``, or
    follow their recording when ``replay`` is ``others``."""

    logs: tuple[str, ...]  # the log files, as found from the paths written (relative to the scenario)
    logs_sha256: tuple[str, ...]
    reader: str
    ego: EgoRule
    scene: Value
    moment: Value
    behavior: BehaviorSpec
    replay: str = "none"  # none | others
    keep_gaps: KeepGaps | None = KeepGaps()  # None: the behaviours' own gaps (keep_gaps: false)
    scenes: tuple[SeedScene, ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True)
class ScenarioSpec:
    """A whole scenario family, validated. ``parameters`` is its parameter space."""

    version: int
    name: str
    description: str
    dt: float  # s
    duration: float  # s
    seed: int
    road: RoadSpec
    actors: tuple[ActorSpec, ...]
    traffic: tuple[TrafficSpec, ...]
    occluders: tuple[OccluderSpec, ...]
    events: tuple[EventSpec, ...]
    target: str | None
    parameters: ParameterSpace
    # where the spec came from: out of the repr, so the spec hash (sim.engine.spec_hash) does not depend on
    # the path it was loaded by or on the file's formatting
    source: str = field(default="<string>", compare=False, repr=False)
    source_hash: str = field(default="", compare=False, repr=False)
    source_text: str = field(default="", compare=False, repr=False)  # the YAML, kept for provenance
    # what `scenariogen calibrate` fits; it changes no simulation, so it stays out of the spec hash
    calibrate: CalibrateSpec | None = field(default=None, compare=False, repr=False)
    seed_from: SeedSpec | None = None

    @property
    def steps(self) -> int:
        """Number of simulation steps, duration / dt."""
        return int(round(self.duration / self.dt))

    def actor(self, name: str) -> ActorSpec:
        for a in self.actors:
            if a.name == name:
                return a
        raise KeyError(name)

    @property
    def ego(self) -> ActorSpec:
        return self.actor("ego")

    def event(self, name: str) -> EventSpec:
        for e in self.events:
            if e.name == name:
                return e
        raise KeyError(name)


def canonical(obj) -> str:
    """The text the spec hash is taken of (``sim.engine.spec_hash``): a dataclass as its name and
    the fields that are in its repr and differ from their defaults, recursively; anything else as
    its repr. A field added later with a default therefore leaves the hash of every spec that does
    not use it as it was. The hash names the spec, not the code: a changed default, like any other
    change of the simulator, is told apart by the version a run's manifest records."""
    if is_dataclass(obj) and not isinstance(obj, type):
        shown = []
        for f in fields(obj):
            if not f.repr:
                continue
            v = getattr(obj, f.name)
            default = f.default if f.default is not MISSING else (
                f.default_factory() if f.default_factory is not MISSING else MISSING)
            if default is not MISSING and type(v) is type(default) and v == default:
                continue
            shown.append(f"{f.name}={canonical(v)}")
        return f"{type(obj).__qualname__}({', '.join(shown)})"
    if isinstance(obj, (tuple, list)):
        inner = ", ".join(canonical(v) for v in obj)
        return f"({inner},)" if isinstance(obj, tuple) and len(obj) == 1 else (
            f"({inner})" if isinstance(obj, tuple) else f"[{inner}]")
    if isinstance(obj, dict):
        return "{" + ", ".join(f"{k!r}: {canonical(v)}" for k, v in sorted(obj.items(), key=lambda kv: repr(kv[0]))) + "}"
    return repr(obj)
