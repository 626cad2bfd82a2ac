"""``openscenario``: ASAM OpenSCENARIO XML 1.2 (.xosc) per scenario, with an ASAM OpenDRIVE 1.7 road.

Output: a new folder with one road file for the run (``<spec>.xodr``, one spec
has one road; see :mod:`scenariogen.export.opendrive`) and one scenario file
per scenario, ``<spec>-<index:09d>.xosc`` (``index``: the global scenario
index), whose ``RoadNetwork/LogicFile`` names the road file by its relative path.

Frame, units, time base: the world frame of the simulation unchanged (x east,
y north in metres, heading in radians counter-clockwise from +x, z = 0), which
is also the OpenDRIVE inertial frame of the road file. Simulation time starts
at 0 s with the first recorded frame; frame ``k`` is at ``k * dt * frame_step``
seconds (the spec's ``dt``, and the recording step of the run).

What each scenario file holds:

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

What the format cannot carry is reported by each export: acceleration, lane
index, arc length and offset per frame (speed follows from the vertex timing),
the ego's perception (visibility, detections, tracks, dropouts) and the static
occluder polygons.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import numpy as np

from ..errors import ScenarioGenError
from ..data import layout as Lo
from ..data.batch import Batch
from .base import Writer
from .npz import event_times
from .opendrive import xodr_bytes

__all__ = ["REV_MAJOR", "REV_MINOR", "OpenScenarioWriter", "scenario_bytes", "scenario_xml"]

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


def _f(x) -> str:
    """A float as the shortest text that reads back to the same double."""
    x = float(x)
    return "0" if x == 0.0 else repr(x)


def _stem(name: str) -> str:
    """A file-name-safe form of the spec name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "scenario"


def _spans(valid: np.ndarray) -> list[tuple[int, int]]:
    """Maximal runs ``[a, b]`` (inclusive frame indices) where ``valid`` is true."""
    d = np.diff(np.concatenate(([0], valid.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1) - 1
    return list(zip(starts.tolist(), ends.tolist()))


def _strings(a: np.ndarray) -> list[str]:
    """Shortest decimal text of each float32 value (reads back to the same float32)."""
    return np.asarray(a, np.float32).astype(str).tolist()


def _headings(h: np.ndarray) -> list[str]:
    """Headings unwrapped along a span, so that a player interpolating between vertices never
    turns the long way round; exact float32 text when no wrap was needed."""
    hu = np.unwrap(h.astype(np.float64))
    if np.array_equal(hu, h.astype(np.float64)):
        return _strings(h)
    return [_f(v) for v in hu]


def _world(parent: ET.Element, x: str, y: str, h: str) -> None:
    ET.SubElement(ET.SubElement(parent, "Position"), "WorldPosition", x=x, y=y, z="0", h=h)


def _private(parent: ET.Element) -> ET.Element:
    return ET.SubElement(parent, "PrivateAction")


def _visibility(parent: ET.Element, visible: bool) -> None:
    v = "true" if visible else "false"
    ET.SubElement(_private(parent), "VisibilityAction", graphics=v, traffic=v, sensors=v)


def _time_trigger(parent: ET.Element, tag: str, name: str, t: float, rule: str, edge: str) -> None:
    cond = ET.SubElement(ET.SubElement(ET.SubElement(parent, tag), "ConditionGroup"), "Condition",
                         name=name, delay="0", conditionEdge=edge)
    ET.SubElement(ET.SubElement(cond, "ByValueCondition"), "SimulationTimeCondition", value=_f(t), rule=rule)


def _properties(parent: ET.Element, items: list[tuple[str, str]]) -> None:
    props = ET.SubElement(parent, "Properties")
    for k, v in items:
        ET.SubElement(props, "Property", name=k, value=v)


def _entity(objs: ET.Element, name: str, agent: str, kind: int, length: float, width: float,
            traj: np.ndarray, valid: np.ndarray, metrics: list[tuple[str, str]]) -> None:
    so = ET.SubElement(objs, "ScenarioObject", name=name)
    height = _HEIGHT[kind]
    props = [("scenariogen.agent", agent), ("scenariogen.kind", Lo.KIND_NAMES[kind])] + metrics
    if _VEHICLE_CATEGORY[kind] is None:
        el = ET.SubElement(so, "Pedestrian", name=name, mass=_f(_PEDESTRIAN_MASS), pedestrianCategory="pedestrian")
    else:
        el = ET.SubElement(so, "Vehicle", name=name, vehicleCategory=_VEHICLE_CATEGORY[kind])
    bb = ET.SubElement(el, "BoundingBox")
    ET.SubElement(bb, "Center", x="0", y="0", z=_f(height / 2))
    w_txt, l_txt = _strings(np.array([width, length]))
    ET.SubElement(bb, "Dimensions", width=w_txt, length=l_txt, height=_f(height))
    if _VEHICLE_CATEGORY[kind] is not None:
        speed = traj[valid, Lo.F_SPEED]
        accel = traj[valid, Lo.F_ACCEL]
        ET.SubElement(el, "Performance",
                      maxSpeed=_f(max(_MAX_SPEED[kind], float(speed.max(initial=0.0)) * 1.1)),
                      maxAcceleration=_f(max(_MAX_ACCEL[kind], float(accel.max(initial=0.0)))),
                      maxDeceleration=_f(max(Lo.KIND_MAX_BRAKE[kind], -float(accel.min(initial=0.0)))))
        axles = ET.SubElement(el, "Axles")
        wheel = _WHEEL[kind]
        track = 0.0 if kind in (Lo.KIND_CODES["motorcycle"], Lo.KIND_CODES["bicycle"]) else 0.85 * width
        for tag, x, steer in (("FrontAxle", 0.3 * length, Lo.KIND_MAX_STEER[kind]), ("RearAxle", -0.3 * length, 0.0)):
            ET.SubElement(axles, tag, maxSteering=_f(steer), wheelDiameter=_f(wheel), trackWidth=_f(round(track, 6)),
                          positionX=_f(round(x, 6)), positionZ=_f(wheel / 2))
    _properties(el, props)


def scenario_xml(b: Batch, i: int, *, spec, meta: dict, road_file: str, frame_dt: float,
                 log_weight: float | None, stage: int | None, times: dict[str, np.ndarray]) -> ET.Element:
    """The ``OpenSCENARIO`` element of scenario ``i`` of ``b``, built with ElementTree.

    This is the plain reference form of the document; the writer renders the same document
    straight to text (:func:`scenario_bytes`), which is many times faster than serialising
    thousands of small elements."""
    root = ET.Element("OpenSCENARIO")
    index = int(b.indices[i])
    header = ET.SubElement(root, "FileHeader", **_header_attrs(b, index, meta))
    _properties(header, _facts(b, i, meta, frame_dt, log_weight, stage, times))

    ET.SubElement(root, "CatalogLocations")
    ET.SubElement(ET.SubElement(root, "RoadNetwork"), "LogicFile", filepath=road_file)
    entities = ET.SubElement(root, "Entities")
    board = ET.SubElement(root, "Storyboard")
    init = ET.SubElement(ET.SubElement(board, "Init"), "Actions")
    story = ET.SubElement(board, "Story", name="replay")
    act = ET.SubElement(story, "Act", name="replay")

    T = b.trajectories.shape[2]
    end_time = round((T - 1) * frame_dt, 9)
    names = _entity_names(b)
    groups = []
    for a, name in enumerate(names):
        valid = b.mask[i, a]
        spans = _spans(valid)
        if not spans:
            continue  # an agent slot never present in this scenario
        traj = b.trajectories[i, a]
        length, width = (float(v) for v in b.sizes[i, a])
        metrics = [(f"metric.{m}", _f(b.agent_metrics[i, a, k])) for k, m in enumerate(Lo.AGENT_METRIC_NAMES)]
        _entity(entities, name, b.agent_names[a], int(b.kinds[i, a]), length, width, traj, valid, metrics)

        first = spans[0][0]
        x, y, h = _strings(traj[first, :3])
        priv = ET.SubElement(init, "Private", entityRef=name)
        _world(ET.SubElement(_private(priv), "TeleportAction"), x, y, h)
        speed = ET.SubElement(ET.SubElement(_private(priv), "LongitudinalAction"), "SpeedAction")
        ET.SubElement(speed, "SpeedActionDynamics", dynamicsShape="step", value="0", dynamicsDimension="time")
        ET.SubElement(ET.SubElement(speed, "SpeedActionTarget"), "AbsoluteTargetSpeed",
                      value=_strings(traj[first, Lo.F_SPEED:Lo.F_SPEED + 1])[0])
        if first > 0:
            _visibility(priv, False)

        group = ET.Element("ManeuverGroup", maximumExecutionCount="1", name=name)
        actors = ET.SubElement(group, "Actors", selectTriggeringEntities="false")
        ET.SubElement(actors, "EntityRef", entityRef=name)
        man = ET.SubElement(group, "Maneuver", name=f"{name} replay")
        for k, (lo, hi) in enumerate(spans):
            ev = ET.SubElement(man, "Event", name=f"{name} span {k}", priority="parallel", maximumExecutionCount="1")
            if lo > 0:
                act_el = ET.SubElement(ev, "Action", name=f"{name} appears {k}")
                _visibility(act_el, True)
            act_el = ET.SubElement(ev, "Action", name=f"{name} trajectory {k}")
            if hi == lo:  # one frame: no polyline (it needs two vertices), a teleport
                tx, ty, th = _strings(traj[lo, :3])
                _world(ET.SubElement(_private(act_el), "TeleportAction"), tx, ty, th)
            else:
                _follow(act_el, f"{name} span {k}", traj[lo:hi + 1], lo, frame_dt)
            _time_trigger(ev, "StartTrigger", f"{name} span {k} starts", round(lo * frame_dt, 9), "greaterOrEqual", "none")
            if hi < T - 1:  # it leaves: hide it one frame later
                gone = ET.SubElement(man, "Event", name=f"{name} leaves {k}", priority="parallel",
                                     maximumExecutionCount="1")
                _visibility(ET.SubElement(gone, "Action", name=f"{name} disappears {k}"), False)
                _time_trigger(gone, "StartTrigger", f"{name} span {k} ends", round((hi + 1) * frame_dt, 9),
                              "greaterOrEqual", "none")
        groups.append(group)
    if not groups:
        raise ScenarioGenError(f"scenario {index}: no agent is ever present; nothing to write")
    act.extend(groups)
    _time_trigger(act, "StartTrigger", "replay starts", 0.0, "greaterOrEqual", "none")
    _time_trigger(board, "StopTrigger", "last frame reached", end_time, "greaterThan", "rising")
    return root


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


def _follow(parent: ET.Element, name: str, traj: np.ndarray, first_frame: int, frame_dt: float) -> None:
    """A FollowTrajectoryAction through every frame of ``traj`` at absolute times."""
    fta = ET.SubElement(ET.SubElement(_private(parent), "RoutingAction"), "FollowTrajectoryAction")
    tr = ET.SubElement(ET.SubElement(fta, "TrajectoryRef"), "Trajectory", name=name, closed="false")
    poly = ET.SubElement(ET.SubElement(tr, "Shape"), "Polyline")
    xs, ys, hs = _strings(traj[:, Lo.F_X]), _strings(traj[:, Lo.F_Y]), _headings(traj[:, Lo.F_HEADING])
    for k in range(len(xs)):
        t = _f(round((first_frame + k) * frame_dt, 9))
        _world(ET.SubElement(poly, "Vertex", time=t), xs[k], ys[k], hs[k])
    ET.SubElement(ET.SubElement(fta, "TimeReference"), "Timing", domainAbsoluteRelative="absolute", scale="1",
                  offset="0")
    ET.SubElement(fta, "TrajectoryFollowingMode", followingMode="position")


# ---------------------------------------------------------------- the fast text rendering

_METRIC_KEYS = tuple(f"metric.{m}" for m in Lo.AGENT_METRIC_NAMES)  # plain names: nothing to escape
_ESCAPE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\r": "&#13;", "\n": "&#10;",
                         "\t": "&#09;"})  # ElementTree's escaping of attribute values


def _attrs(**kw: str) -> str:
    """`` k="v"`` for each keyword, values escaped as ElementTree writes them."""
    return "".join(f' {k}="{v.translate(_ESCAPE)}"' for k, v in kw.items())


class _Doc:
    """An indented XML document written line by line, byte-identical to ``ET.indent(root, space=" ")``
    followed by ``ET.tostring``: one element per line, one space per level, ``<Tag a="v" />`` when empty."""

    __slots__ = ("depth", "lines")

    def __init__(self) -> None:
        self.lines = ["<?xml version='1.0' encoding='utf-8'?>"]
        self.depth = 0

    def open(self, tag: str, attrs: str = "") -> None:
        self.lines.append(f"{' ' * self.depth}<{tag}{attrs}>")
        self.depth += 1

    def close(self, tag: str) -> None:
        self.depth -= 1
        self.lines.append(f"{' ' * self.depth}</{tag}>")

    def empty(self, tag: str, attrs: str = "") -> None:
        self.lines.append(f"{' ' * self.depth}<{tag}{attrs} />")

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
            items = [(k.translate(_ESCAPE), v.translate(_ESCAPE)) for k, v in items]
        self.lines += [f'{pad}<Property name="{k}" value="{v}" />' for k, v in items]
        self.close("Properties")

    def bytes(self) -> bytes:
        return ("\n".join(self.lines) + "\n").encode("utf-8", "xmlcharrefreplace")


class _ShardText:
    """What the scenario files of one Batch share, computed once and vectorised: the frame times
    as text, each agent's extreme speed and acceleration, which agents need unwrapped headings."""

    def __init__(self, b: Batch, *, meta: dict, road_file: str, frame_dt: float,
                 times: dict[str, np.ndarray]) -> None:
        self.b, self.meta, self.frame_dt, self.times = b, meta, frame_dt, times
        self.road_attrs = _attrs(filepath=road_file)
        T = b.trajectories.shape[2]
        self.t_text = [_f(round(k * frame_dt, 9)) for k in range(T)]  # s, the time of each frame
        tr, m = b.trajectories, b.mask
        # max(0, extreme over valid frames), as in _entity (the nominal limits dominate any sign of zero)
        self.v_max = np.where(m, tr[..., Lo.F_SPEED], 0).max(axis=2, initial=0.0).tolist()
        self.a_max = np.where(m, tr[..., Lo.F_ACCEL], 0).max(axis=2, initial=0.0).tolist()
        self.a_min = np.where(m, tr[..., Lo.F_ACCEL], 0).min(axis=2, initial=0.0).tolist()
        # a heading step of pi or more (or not finite) inside a span: that span may need unwrapping
        h = tr[..., Lo.F_HEADING].astype(np.float64)
        step_ok = np.abs(np.diff(h, axis=2)) < np.pi
        self.wraps = (~step_ok & m[..., 1:] & m[..., :-1]).any(axis=2)
        self.names = _entity_names(b)
        self.esc = [n.translate(_ESCAPE) for n in self.names]  # escaped once: escaping is per character
        self.esc_agent = [n.translate(_ESCAPE) for n in b.agent_names]
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

        doc = _Doc()
        doc.open("OpenSCENARIO")
        doc.open("FileHeader", _attrs(**_header_attrs(b, index, self.meta)))
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

    def _entity(self, doc: _Doc, i: int, a: int, w_txt: str, l_txt: str) -> None:
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

    def _group(self, doc: _Doc, i: int, a: int, spans: list[tuple[int, int]], t3: list[str], T: int) -> None:
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

    def _follow(self, doc: _Doc, name: str, i: int, a: int, lo: int, hi: int, t3: list[str]) -> None:
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
        pad = " " * doc.depth
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


def scenario_bytes(b: Batch, i: int, *, spec, meta: dict, road_file: str, frame_dt: float,
                   log_weight: float | None, stage: int | None, times: dict[str, np.ndarray]) -> bytes:
    """The scenario file of scenario ``i`` of ``b`` (UTF-8, indented one space per level): the
    document of :func:`scenario_xml`, rendered straight to text."""
    del spec  # the road is a separate file; the signature matches scenario_xml
    shard = _ShardText(b, meta=meta, road_file=road_file, frame_dt=frame_dt, times=times)
    return shard.render(i, log_weight, stage)


class OpenScenarioWriter(Writer):
    """OpenSCENARIO XML 1.2 scenario files plus one OpenDRIVE 1.7 road file, in a new folder."""

    name = "openscenario"
    extensions = ()
    directory = True
    format_version = f"OpenSCENARIO {REV_MAJOR}.{REV_MINOR} + OpenDRIVE 1.7"
    cannot_carry = (
        ("acceleration, lane index, arc length and lateral offset per frame (polylines carry time, x, y, "
         "heading; speed follows from the timing)"),
        "perception arrays (visible, detected, tracked, track_xy, dropout): use jsonl",
        "static occluder polygons of the map",
    )

    def write_stream(self, stream, tmp, report, progress) -> None:
        meta = stream.meta
        spec = stream.spec(self.name)
        stem = _stem(meta["spec_name"] or spec.name)
        road_file = f"{stem}.xodr"
        (tmp / road_file).write_bytes(xodr_bytes(spec.road, stem))
        report.drop(self.cannot_carry[0])
        if spec.occluders:
            report.drop(self.cannot_carry[2])
        empty = 0
        for chunk in stream:
            b = chunk.batch
            if b.trajectories.shape[2] < 2:
                raise ScenarioGenError("openscenario needs recorded trajectories (at least two frames); "
                                       "the source kept metrics only")
            if b.perception:
                report.drop(self.cannot_carry[1])
            frame_dt = b.frame_dt(spec.dt)
            times = event_times(spec, b, frame_dt)
            empty += int((~b.mask.any(axis=2)).sum())
            shard = _ShardText(b, meta=meta, road_file=road_file, frame_dt=frame_dt, times=times)
            weights = None if chunk.log_weight is None else chunk.log_weight.tolist()
            stages = None if chunk.stage is None else chunk.stage.tolist()
            for i, index in enumerate(b.indices.tolist()):
                doc = shard.render(i, None if weights is None else float(weights[i]),
                                   None if stages is None else int(stages[i]))
                (tmp / f"{stem}-{int(index):09d}.xosc").write_bytes(doc)
            report.scenarios += b.size
            if progress:
                progress(b.size, stream.total)
        if empty:
            report.notes.append(f"{empty} agent slot(s) never present in their scenario (unused traffic slots) "
                                "are not entities")
        if meta.get("run") is None:
            report.notes.append("the source is a Batch: no importance weights (scenariogen.importance_weight = 1)")
