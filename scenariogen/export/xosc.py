"""The OpenSCENARIO XML 1.2 document of one scenario, rendered straight to text.

Frame and time base as in :mod:`scenariogen.export.openscenario`. The document:

* ``FileHeader`` (revMajor 1, revMinor 2): description names the spec and the
  scenario index; the date is fixed at 1970-01-01T00:00:00 so that the same run
  exports byte-identical files. The scenario's facts are header ``Properties``
  (not ``ParameterDeclarations``: nothing in the storyboard uses them as
  parameters): ``scenariogen.index``, ``.spec_name``, ``.spec_hash``, ``.seed``,
  ``.version``, ``.target`` (the target event), ``.sampler``, ``.stage``,
  ``.run_content_hash``, ``.log_weight`` (log p(theta) - log q(theta)) and
  ``.importance_weight`` (its exp; 1 for a Batch), then ``label.<event>``
  (true/false), ``robustness.<event>`` (negative exactly when the event
  happened), ``event_time.<event>`` (s, where the data tells it; see
  :func:`scenariogen.export.npz.event_times`), ``theta.<parameter>`` and
  ``metric.<name>`` (the scenario's surrogate-safety metrics).
* ``Entities``: one ``ScenarioObject`` per agent present at least once; the ego
  is ``Ego``, the others keep their scenariogen names. Cars, trucks, buses,
  motorcycles and bicycles are ``Vehicle`` (vehicleCategory car, truck, bus,
  motorbike, bicycle), pedestrians ``Pedestrian``. The bounding box has the
  simulated length and width and an assumed height per kind (our model is 2D).
  The entity's reference point is the centre of its box, i.e. the simulated
  position (not the rear axle): ``BoundingBox/Center`` is (0, 0, height/2) and
  the nominal axles sit at +-30 % of the length. ``Performance`` covers both
  the kind's nominal limits and what the agent actually did, so a player never
  clips the replay. Per-agent metrics are the entity's ``Properties``.
* ``Storyboard``: ``Init`` teleports every agent to its first recorded pose
  and sets its speed; one ``Act`` holds one ``ManeuverGroup`` per agent whose
  ``Event`` carries a ``FollowTrajectoryAction`` with a ``Polyline`` of
  ``Vertex(time, WorldPosition x, y, h)`` at every recorded frame, timing
  ``absolute`` (scale 1, offset 0) and following mode ``position``, so a player
  (esmini, CARLA's ScenarioRunner) replays the simulated motion exactly. The
  storyboard's ``StopTrigger`` fires when simulation time exceeds the last frame.
* Agents present only part of the time (the validity mask): each maximal run
  of valid frames is one event that starts at its first frame; an agent absent
  at 0 s starts invisible (``VisibilityAction`` graphics, traffic and sensors
  false) at its first pose and is made visible when its span starts; an agent
  that leaves is made invisible one frame after its span ends. Agent slots that
  are never present in a scenario (unused traffic slots) are not entities.
  A span of a single frame is a ``TeleportAction`` (a polyline needs two vertices).
* The target event is a header property (``scenariogen.target`` and its
  ``label.``/``robustness.``/``event_time.`` entries), not a trigger: the
  replay is driven by time, and the event is a label of the scenario.
"""

from __future__ import annotations

import math

import numpy as np

from ..data import layout as Lo
from ..data.batch import Batch
from ..errors import ScenarioGenError
from .xmltext import XmlLines, attrs, escape, float_text as _f

__all__ = ["REV_MAJOR", "REV_MINOR", "ShardDocuments", "scenario_bytes"]

REV_MAJOR = 1
REV_MINOR = 2
DATE = "1970-01-01T00:00:00"  # fixed: the same run exports the same bytes
EGO = "Ego"

# per kind (layout.KIND_NAMES order): OpenSCENARIO category, assumed height (m), nominal max speed (m/s),
# max acceleration (m/s^2), wheel diameter (m); the model is 2D, these only describe the entity
_VEHICLE_CATEGORY = ("car", "truck", "bus", "motorbike", "bicycle", None)
_HEIGHT = (1.5, 3.5, 3.2, 1.4, 1.7, 1.8)
_MAX_SPEED = (70.0, 35.0, 35.0, 60.0, 15.0, 4.0)
_MAX_ACCEL = (5.0, 2.5, 2.5, 6.0, 2.0, 2.0)
_WHEEL = (0.65, 1.0, 1.0, 0.6, 0.7, 0.0)
_PEDESTRIAN_MASS = 75.0  # kg, nominal
_METRIC_KEYS = tuple(f"metric.{m}" for m in Lo.AGENT_METRIC_NAMES)  # plain names: nothing to escape


def _spans(valid: np.ndarray) -> list[tuple[int, int]]:
    """Maximal runs ``[a, b]`` (inclusive frame indices) where ``valid`` is true."""
    d = np.diff(np.concatenate(([0], valid.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1) - 1
    return list(zip(starts.tolist(), ends.tolist()))


def _headings(h: np.ndarray) -> list[str]:
    """Headings unwrapped along a span, so that a player interpolating between vertices never
    turns the long way round; exact float32 text when no wrap was needed."""
    hu = np.unwrap(h.astype(np.float64))
    if np.array_equal(hu, h.astype(np.float64)):
        return np.asarray(h, np.float32).astype(str).tolist()
    return [_f(v) for v in hu]


def _header_attrs(b: Batch, index: int, meta: dict) -> dict[str, str]:
    return {"revMajor": str(REV_MAJOR), "revMinor": str(REV_MINOR), "date": DATE,
            "description": f"scenariogen scenario {index} of {meta['spec_name']}",
            "author": f"scenariogen {b.provenance.get('version', '')}".strip()}


def _facts(b: Batch, i: int, meta: dict, frame_dt: float, log_weight: float | None, stage: int | None,
           times: dict[str, np.ndarray]) -> list[tuple[str, str]]:
    """The header properties of scenario ``i`` (name, value)."""
    run = meta.get("run") or {}
    facts = [("scenariogen.index", str(int(b.indices[i]))), ("scenariogen.spec_name", meta["spec_name"]),
             ("scenariogen.spec_hash", str(b.provenance.get("spec_hash", ""))),
             ("scenariogen.seed", str(b.provenance.get("seed", ""))),
             ("scenariogen.version", str(b.provenance.get("version", ""))),
             ("scenariogen.target", meta.get("target") or ""),
             ("scenariogen.sampler", str(run.get("sampler") or "")),
             ("scenariogen.stage", "" if stage is None else str(stage)),
             ("scenariogen.run_content_hash", str(run.get("content_hash") or "")),
             ("scenariogen.log_weight", _f(0.0 if log_weight is None else log_weight)),
             ("scenariogen.importance_weight", _f(1.0 if log_weight is None else math.exp(log_weight))),
             ("scenariogen.frame_dt", _f(frame_dt))]
    facts += [(f"label.{e}", "true" if b.labels[e][i] else "false") for e in b.labels]
    facts += [(f"robustness.{e}", _f(b.robustness[e][i])) for e in b.robustness]
    facts += [(f"event_time.{e}", _f(t[i])) for e, t in times.items() if np.isfinite(t[i])]
    facts += [(f"theta.{p}", _f(b.theta[i, k])) for k, p in enumerate(b.parameter_names)]
    facts += [(f"metric.{m}", _f(v[i])) for m, v in b.metrics.items()]
    return facts


def _entity_names(b: Batch) -> list[str]:
    """Entity name per agent slot: the ego (slot 0) is ``Ego`` unless another agent has that name."""
    names = list(b.agent_names)
    if EGO not in names[1:]:
        names[0] = EGO
    return names


class _Xosc(XmlLines):
    """:class:`XmlLines` with the element groups an OpenSCENARIO document repeats."""

    __slots__ = ()

    def world(self, x: str, y: str, h: str) -> None:
        pad = " " * self.depth
        self.lines += [f"{pad}<Position>", f'{pad} <WorldPosition x="{x}" y="{y}" z="0" h="{h}" />',
                       f"{pad}</Position>"]

    def visibility(self, visible: bool) -> None:
        v = "true" if visible else "false"
        self.open("PrivateAction")
        self.empty("VisibilityAction", f' graphics="{v}" traffic="{v}" sensors="{v}"')
        self.close("PrivateAction")

    def time_trigger(self, tag: str, name: str, t: str, rule: str, edge: str) -> None:
        """A SimulationTimeCondition trigger; ``name`` is already escaped."""
        self.open(tag)
        self.open("ConditionGroup")
        self.open("Condition", f' name="{name}" delay="0" conditionEdge="{edge}"')
        self.open("ByValueCondition")
        self.empty("SimulationTimeCondition", f' value="{t}" rule="{rule}"')
        self.close("ByValueCondition")
        self.close("Condition")
        self.close("ConditionGroup")
        self.close(tag)

    def properties(self, items: list[tuple[str, str]], escaped: bool = False) -> None:
        """A ``Properties`` element of (name, value) pairs; ``escaped``: they are escaped already."""
        if not items:
            self.empty("Properties")
            return
        self.open("Properties")
        pad = " " * self.depth
        if not escaped:
            items = [(escape(k), escape(v)) for k, v in items]
        self.lines += [f'{pad}<Property name="{k}" value="{v}" />' for k, v in items]
        self.close("Properties")


class ShardDocuments:
    """What the scenario files of one Batch share, computed once and vectorised: the frame times
    as text, each agent's extreme speed and acceleration, which agents need unwrapped headings."""

    def __init__(self, b: Batch, *, meta: dict, road_file: str, frame_dt: float,
                 times: dict[str, np.ndarray]) -> None:
        self.b, self.meta, self.frame_dt, self.times = b, meta, frame_dt, times
        self.road_attrs = attrs(filepath=road_file)
        T = b.trajectories.shape[2]
        self.t_text = [_f(round(k * frame_dt, 9)) for k in range(T)]  # s, the time of each frame
        tr, m = b.trajectories, b.mask
        # max(0, extreme over valid frames): the nominal limits dominate any sign of zero
        self.v_max = np.where(m, tr[..., Lo.F_SPEED], 0).max(axis=2, initial=0.0).tolist()
        self.a_max = np.where(m, tr[..., Lo.F_ACCEL], 0).max(axis=2, initial=0.0).tolist()
        self.a_min = np.where(m, tr[..., Lo.F_ACCEL], 0).min(axis=2, initial=0.0).tolist()
        # a heading step of pi or more (or not finite) inside a span: that span may need unwrapping
        h = tr[..., Lo.F_HEADING].astype(np.float64)
        step_ok = np.abs(np.diff(h, axis=2)) < np.pi
        self.wraps = (~step_ok & m[..., 1:] & m[..., :-1]).any(axis=2)
        self.names = _entity_names(b)
        self.esc = [escape(n) for n in self.names]  # escaped once: escaping is per character
        self.esc_agent = [escape(n) for n in b.agent_names]
        self.metrics = np.asarray(b.agent_metrics, np.float64)

    def render(self, i: int, log_weight: float | None, stage: int | None) -> bytes:
        """The scenario file of scenario ``i`` (the bytes :func:`scenario_bytes` returns)."""
        b, frame_dt, ts = self.b, self.frame_dt, self.t_text
        index = int(b.indices[i])
        T = len(ts)
        present = np.flatnonzero(b.mask[i].any(axis=1))
        if not len(present):
            raise ScenarioGenError(f"scenario {index}: no agent is ever present; nothing to write")
        spans_of = [_spans(b.mask[i, a]) for a in present.tolist()]
        first = np.array([spans[0][0] for spans in spans_of])
        # float32 text of x, y, heading at every frame, of the first speed and of the sizes; numpy's
        # shortest-repr formatting is the costly part, so each distinct value is formatted once
        P = len(present)
        values = np.concatenate([np.asarray(b.trajectories[i, present, :, :3], np.float32).ravel(),
                                 np.asarray(b.trajectories[i, present, first, Lo.F_SPEED], np.float32),
                                 np.asarray(b.sizes[i, present], np.float32).ravel()])
        bits, inverse = np.unique(values.view(np.uint32), return_inverse=True)  # bits: -0.0 is not 0.0
        text = bits.view(np.float32).astype(str)[inverse].tolist()
        n_traj = P * T * 3
        texts = [text[p * T * 3:(p + 1) * T * 3] for p in range(P)]  # per agent: x, y, h of frame f at 3f..3f+2

        doc = _Xosc()
        doc.open("OpenSCENARIO")
        doc.open("FileHeader", attrs(**_header_attrs(b, index, self.meta)))
        doc.properties(_facts(b, i, self.meta, frame_dt, log_weight, stage, self.times))
        doc.close("FileHeader")
        doc.empty("CatalogLocations")
        doc.open("RoadNetwork")
        doc.empty("LogicFile", self.road_attrs)
        doc.close("RoadNetwork")

        doc.open("Entities")
        for p, a in enumerate(present.tolist()):
            w_txt, l_txt = text[n_traj + P + 2 * p + 1], text[n_traj + P + 2 * p]
            self._entity(doc, i, a, w_txt, l_txt)
        doc.close("Entities")

        doc.open("Storyboard")
        doc.open("Init")
        doc.open("Actions")
        for p, a in enumerate(present.tolist()):
            t3, f = texts[p], spans_of[p][0][0]
            doc.open("Private", f' entityRef="{self.esc[a]}"')
            doc.open("PrivateAction")
            doc.open("TeleportAction")
            doc.world(t3[3 * f], t3[3 * f + 1], t3[3 * f + 2])
            doc.close("TeleportAction")
            doc.close("PrivateAction")
            doc.open("PrivateAction")
            doc.open("LongitudinalAction")
            doc.open("SpeedAction")
            doc.empty("SpeedActionDynamics", ' dynamicsShape="step" value="0" dynamicsDimension="time"')
            doc.open("SpeedActionTarget")
            doc.empty("AbsoluteTargetSpeed", f' value="{text[n_traj + p]}"')
            doc.close("SpeedActionTarget")
            doc.close("SpeedAction")
            doc.close("LongitudinalAction")
            doc.close("PrivateAction")
            if f > 0:
                doc.visibility(False)
            doc.close("Private")
        doc.close("Actions")
        doc.close("Init")
        doc.open("Story", ' name="replay"')
        doc.open("Act", ' name="replay"')
        for p, a in enumerate(present.tolist()):
            self._group(doc, i, a, spans_of[p], texts[p], T)
        doc.time_trigger("StartTrigger", "replay starts", "0", "greaterOrEqual", "none")
        doc.close("Act")
        doc.close("Story")
        doc.time_trigger("StopTrigger", "last frame reached", _f(round((T - 1) * frame_dt, 9)), "greaterThan",
                         "rising")
        doc.close("Storyboard")
        doc.close("OpenSCENARIO")
        return doc.bytes()

    def _entity(self, doc: _Xosc, i: int, a: int, w_txt: str, l_txt: str) -> None:
        b = self.b
        name, kind = self.esc[a], int(b.kinds[i, a])
        length, width = (float(v) for v in b.sizes[i, a])
        height = _HEIGHT[kind]
        doc.open("ScenarioObject", f' name="{name}"')
        category = _VEHICLE_CATEGORY[kind]
        tag = "Pedestrian" if category is None else "Vehicle"
        if category is None:
            doc.open(tag, f' name="{name}" mass="{_f(_PEDESTRIAN_MASS)}" pedestrianCategory="pedestrian"')
        else:
            doc.open(tag, f' name="{name}" vehicleCategory="{category}"')
        doc.open("BoundingBox")
        doc.empty("Center", f' x="0" y="0" z="{_f(height / 2)}"')
        doc.empty("Dimensions", f' width="{w_txt}" length="{l_txt}" height="{_f(height)}"')
        doc.close("BoundingBox")
        if category is not None:
            doc.empty("Performance",
                      f' maxSpeed="{_f(max(_MAX_SPEED[kind], self.v_max[i][a] * 1.1))}"'
                      f' maxAcceleration="{_f(max(_MAX_ACCEL[kind], self.a_max[i][a]))}"'
                      f' maxDeceleration="{_f(max(Lo.KIND_MAX_BRAKE[kind], -self.a_min[i][a]))}"')
            doc.open("Axles")
            wheel = _WHEEL[kind]
            track = 0.0 if kind in (Lo.KIND_CODES["motorcycle"], Lo.KIND_CODES["bicycle"]) else 0.85 * width
            for axle, x, steer in (("FrontAxle", 0.3 * length, Lo.KIND_MAX_STEER[kind]),
                                   ("RearAxle", -0.3 * length, 0.0)):
                doc.empty(axle, f' maxSteering="{_f(steer)}" wheelDiameter="{_f(wheel)}"'
                                f' trackWidth="{_f(round(track, 6))}" positionX="{_f(round(x, 6))}"'
                                f' positionZ="{_f(wheel / 2)}"')
            doc.close("Axles")
        doc.properties([("scenariogen.agent", self.esc_agent[a]), ("scenariogen.kind", Lo.KIND_NAMES[kind])]
                       + [(k, _f(v)) for k, v in zip(_METRIC_KEYS, self.metrics[i, a].tolist())], escaped=True)
        doc.close(tag)
        doc.close("ScenarioObject")

    def _group(self, doc: _Xosc, i: int, a: int, spans: list[tuple[int, int]], t3: list[str], T: int) -> None:
        name, ts = self.esc[a], self.t_text  # escaped: the attributes below are written as they are
        doc.open("ManeuverGroup", f' maximumExecutionCount="1" name="{name}"')
        doc.open("Actors", ' selectTriggeringEntities="false"')
        doc.empty("EntityRef", f' entityRef="{name}"')
        doc.close("Actors")
        doc.open("Maneuver", f' name="{name} replay"')
        for k, (lo, hi) in enumerate(spans):
            doc.open("Event", f' name="{name} span {k}" priority="parallel" maximumExecutionCount="1"')
            if lo > 0:
                doc.open("Action", f' name="{name} appears {k}"')
                doc.visibility(True)
                doc.close("Action")
            doc.open("Action", f' name="{name} trajectory {k}"')
            doc.open("PrivateAction")
            if hi == lo:  # one frame: no polyline (it needs two vertices), a teleport
                doc.open("TeleportAction")
                doc.world(t3[3 * lo], t3[3 * lo + 1], t3[3 * lo + 2])
                doc.close("TeleportAction")
            else:
                self._follow(doc, f"{name} span {k}", i, a, lo, hi, t3)
            doc.close("PrivateAction")
            doc.close("Action")
            doc.time_trigger("StartTrigger", f"{name} span {k} starts", ts[lo], "greaterOrEqual", "none")
            doc.close("Event")
            if hi < T - 1:  # it leaves: hide it one frame later
                doc.open("Event", f' name="{name} leaves {k}" priority="parallel" maximumExecutionCount="1"')
                doc.open("Action", f' name="{name} disappears {k}"')
                doc.visibility(False)
                doc.close("Action")
                doc.time_trigger("StartTrigger", f"{name} span {k} ends", ts[hi + 1], "greaterOrEqual", "none")
                doc.close("Event")
        doc.close("Maneuver")
        doc.close("ManeuverGroup")

    def _follow(self, doc: _Xosc, name: str, i: int, a: int, lo: int, hi: int, t3: list[str]) -> None:
        doc.open("RoutingAction")
        doc.open("FollowTrajectoryAction")
        doc.open("TrajectoryRef")
        doc.open("Trajectory", f' name="{name}" closed="false"')
        doc.open("Shape")
        doc.open("Polyline")
        xs, ys = t3[3 * lo:3 * hi + 3:3], t3[3 * lo + 1:3 * hi + 3:3]
        if self.wraps[i, a]:
            hs = _headings(self.b.trajectories[i, a, lo:hi + 1, Lo.F_HEADING])
        else:
            hs = t3[3 * lo + 2:3 * hi + 3:3]
        pad = " " * doc.depth  # one vertex a line: ElementTree would indent its Position too, the same XML
        doc.lines += [f'{pad}<Vertex time="{t}"><Position><WorldPosition x="{x}" y="{y}" z="0" h="{h}" />'
                      "</Position></Vertex>" for t, x, y, h in zip(self.t_text[lo:hi + 1], xs, ys, hs)]
        doc.close("Polyline")
        doc.close("Shape")
        doc.close("Trajectory")
        doc.close("TrajectoryRef")
        doc.open("TimeReference")
        doc.empty("Timing", ' domainAbsoluteRelative="absolute" scale="1" offset="0"')
        doc.close("TimeReference")
        doc.empty("TrajectoryFollowingMode", ' followingMode="position"')
        doc.close("FollowTrajectoryAction")
        doc.close("RoutingAction")


def scenario_bytes(b: Batch, i: int, *, meta: dict, road_file: str, frame_dt: float,
                   log_weight: float | None, stage: int | None, times: dict[str, np.ndarray]) -> bytes:
    """The scenario file of scenario ``i`` of ``b`` (UTF-8, indented one space per level)."""
    shard = ShardDocuments(b, meta=meta, road_file=road_file, frame_dt=frame_dt, times=times)
    return shard.render(i, log_weight, stage)
