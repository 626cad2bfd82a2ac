"""``commonroad``: CommonRoad XML 2020a, one scenario file per simulated scenario, plus a labels side file.

The output is a new folder::

    OUT/ZAM_<MapName>-1_<index + 1>_T-1.xml    one per scenario
    OUT/labels.jsonl                           one JSON line per scenario (see below)

Benchmark ids follow the CommonRoad convention ``COUNTRY_MapName-MapId_ConfigId_T-PredId``:
country ``ZAM`` (the code CommonRoad reserves for artificial scenarios),
``MapName`` the spec name in CamelCase (ASCII letters and digits only, at most 64), map id 1 (one
spec, one road), configuration id the global scenario index + 1 (ids start at
1), prediction type ``T`` (recorded trajectories), prediction id 1.

Each file (valid against the official 2020a XSD; no line breaks or indentation,
to keep files small):

- ``location``: geoNameId -999, GPS 999/999 (CommonRoad's "no real location");
  ``scenarioTags``: ``simulated``, the road's kind (``multi_lane`` or
  ``single_lane``, ``intersection``, ``merging_lanes``) and ``critical`` when the
  run's target event happened in this scenario.
- one ``lanelet`` per lane of the road model (id = lane index + 1): left and
  right bounds with equal point counts (the centreline offset by half the lane
  width, points at most 5 m apart), line markings (``dashed`` towards a
  neighbour lane, ``solid`` at the road edge, ``no_marking`` inside a
  junction), predecessors, successors, same-direction ``adjacentLeft`` /
  ``adjacentRight``, ``laneletType`` (``intersection`` for junction connectors,
  ``accessRamp`` for a merge's ramp and acceleration lane, ``urban`` on an
  intersection's arms, else ``highway``), ``userOneWay`` vehicle.
- one ``dynamicObstacle`` per non-ego agent present in the first frame (id =
  lanes + 1 + agent slot): its kind as ``type``, a ``rectangle`` shape (length,
  width m), the first frame as ``initialState`` and the following frames as
  ``trajectory`` states (position m, orientation rad wrapped to [-pi, pi),
  time step, velocity m/s along the heading, acceleration m/s^2), up to the
  first frame it is missing.
- one ``planningProblem`` for the ego (id = lanes + 1 + agent slots): its first
  frame as the exact initial state (yaw rate from the first two frames, slip
  angle 0) and a goal region: a rectangle 10 m long and two lane widths wide
  centred on where the simulated ego ended, along its final heading, to be
  reached between time step 0 and the last frame.

The ``date`` attribute is the day of ``SOURCE_DATE_EPOCH`` when that is set, else
2020-01-01, so exporting the same run twice gives identical files.

Frame, units and time base: the simulator's world frame (x east, y north, m;
orientation counter-clockwise from +x, rad); ``timeStepSize`` is the recorded
frame interval ``dt * frame_step`` (s), time step k is frame k, no resampling.

``labels.jsonl`` (the XML has no place for named events): per scenario
``benchmark_id``, ``file``, ``index``, ``theta`` (``parameter_names`` order),
``labels`` and ``robustness`` per event, ``metrics``, ``log_weight`` and the
agent names behind the obstacle ids (``obstacles``: id -> agent name,
``planning_problem``: id of the ego's problem).

Dropped: the ego's simulated trajectory (CommonRoad holds the ego as a planning
problem), agents absent from the first frame, lane index / s / offset, the
perception arrays, the agent metrics and static occluder polygons.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from datetime import datetime, timezone
from functools import lru_cache

import numpy as np

from ..data import layout as Lo
from ..data.batch import Batch
from .base import Writer
from .lanemap import lane_geometry
from .values import json_number, wrap_heading

__all__ = ["CommonRoadWriter", "benchmark_id", "lanelet_xml"]

VERSION = "2020a"
FIXED_DATE = "2020-01-01"  # CommonRoad requires a date; the run has none (it is deterministic)
GOAL_LENGTH = 10.0  # m, goal rectangle along the ego's final heading
MAX_MAP_NAME = 64  # characters of the MapName part of a benchmark id (it names the files)
STATE = ("<state><position><point><x>%.4f</x><y>%.4f</y></point></position>"
         "<orientation><exact>%.6f</exact></orientation><time><exact>%d</exact></time>"
         "<velocity><exact>%.4f</exact></velocity><acceleration><exact>%.4f</exact></acceleration></state>")
LOCATION = ("<location><geoNameId>-999</geoNameId><gpsLatitude>999</gpsLatitude>"
            "<gpsLongitude>999</gpsLongitude></location>")  # CommonRoad's "no real location"
INITIAL = ("<initialState><position><point><x>%.4f</x><y>%.4f</y></point></position>"
           "<orientation><exact>%.6f</exact></orientation><time><exact>0</exact></time>"
           "<velocity><exact>%.4f</exact></velocity><acceleration><exact>%.4f</exact></acceleration></initialState>")


def file_date() -> str:
    """The ``date`` attribute: the day of ``SOURCE_DATE_EPOCH`` when set (the reproducible-builds
    convention), else a fixed day, so the same run always exports to identical files."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc).date().isoformat()
    return FIXED_DATE


def _map_name(spec_name: str) -> str:
    """The spec name in CamelCase, ASCII letters and digits only, at most ``MAX_MAP_NAME``
    characters (a longer one is cut and ends in 8 hex digits of its SHA-256)."""
    words = re.findall(r"[A-Za-z0-9]+", spec_name)
    name = "".join(w[:1].upper() + w[1:] for w in words) or "Scenario"
    if len(name) > MAX_MAP_NAME:
        digest = hashlib.sha256(spec_name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        name = name[:MAX_MAP_NAME - 8] + digest
    return name


def benchmark_id(spec_name: str, index: int) -> str:
    """The CommonRoad benchmark id of scenario ``index`` of a spec (module docstring)."""
    return f"ZAM_{_map_name(spec_name)}-1_{int(index) + 1}_T-1"


def _bound(tag: str, pts: np.ndarray, marking: str) -> str:
    body = "".join(f"<point><x>{x:.4f}</x><y>{y:.4f}</y></point>" for x, y in pts.tolist())
    return f"<{tag}>{body}<lineMarking>{marking}</lineMarking></{tag}>"


def _marking(lane, neighbour: int) -> str:
    """CommonRoad line marking of one bound of a lane."""
    if lane.junction:
        return "no_marking"
    return "dashed" if neighbour >= 0 else "solid"


@lru_cache(maxsize=8)
def lanelet_xml(spec_text: str, road_type: str) -> str:
    """The ``<lanelet>`` elements of the spec's road (ids = lane index + 1)."""
    out = []
    for k, ln in enumerate(lane_geometry(spec_text)):
        if ln.junction:
            ltype = "intersection"
        elif ln.id in ("ramp", "accel"):
            ltype = "accessRamp"
        else:
            ltype = "urban" if road_type == "intersection" else "highway"
        parts = [f'<lanelet id="{k + 1}">', _bound("leftBound", ln.left, _marking(ln, ln.left_id)),
                 _bound("rightBound", ln.right, _marking(ln, ln.right_id))]
        parts += [f'<predecessor ref="{p + 1}"/>' for p in ln.predecessors]
        parts += [f'<successor ref="{s + 1}"/>' for s in ln.successors]
        if ln.left_id >= 0:
            parts.append(f'<adjacentLeft ref="{ln.left_id + 1}" drivingDir="same"/>')
        if ln.right_id >= 0:
            parts.append(f'<adjacentRight ref="{ln.right_id + 1}" drivingDir="same"/>')
        parts += [f"<laneletType>{ltype}</laneletType>", "<userOneWay>vehicle</userOneWay>", "</lanelet>"]
        out.append("".join(parts))
    return "".join(out)


def _road_tags(spec) -> list[str]:
    tags = ["simulated"]
    rt = spec.road.type
    if rt == "intersection":
        tags.append("intersection")
    if rt == "merge":
        tags.append("merging_lanes")
    if rt in ("map", "seed"):  # an imported road: multi-lane when some lane has a same-direction neighbour
        from ..road import build_road

        net = build_road(spec.road)
        multi = any(net.left(lid) or net.right(lid) for lid in net.lane_ids)
    else:
        multi = spec.road.lanes > 1 or rt in ("merge", "intersection")
    tags.append("multi_lane" if multi else "single_lane")
    return tags


class CommonRoadWriter(Writer):
    """CommonRoad 2020a XML scenarios (lanelets, dynamic obstacles, the ego's planning problem)."""

    name = "commonroad"
    extensions = ()
    directory = True
    format_version = VERSION
    cannot_carry = (
        "the ego's simulated trajectory (CommonRoad holds the ego as a planning problem: initial state and goal)",
        "agents absent from the first frame (CommonRoad 2020a initial states are at time step 0)",
        "lane index, s and lateral offset",
        "perception arrays (visible, detected, tracked, track_xy, dropout)",
        "agent metrics",
        "static occluder polygons of the map",
    )

    def write_stream(self, stream, tmp, report, progress) -> None:
        meta = stream.meta
        spec = stream.spec(self.name)
        lanelets = lanelet_xml(meta["spec_text"], spec.road.type)
        n_lanes = len(lane_geometry(meta["spec_text"]))
        lane_w = float(spec.road.lane_width)
        road_tags = _road_tags(spec)
        today = file_date()
        for d in (0, 2, 4):
            report.drop(self.cannot_carry[d])
        if spec.occluders:
            report.drop(self.cannot_carry[5])
        with open(tmp / "labels.jsonl", "w", encoding="utf-8") as side:
            for chunk in stream:
                b = chunk.batch
                self.require_frames(b, 2)
                if b.perception:
                    report.drop(self.cannot_carry[3])
                frame_dt = b.frame_dt(spec.dt)
                for r in range(b.size):
                    bid = benchmark_id(meta["spec_name"], b.indices[r])
                    xml, obstacles, absent, pp_id = self._scenario(b, r, bid, frame_dt, n_lanes, lane_w, lanelets,
                                                                   road_tags, meta["target"], today)
                    if absent:
                        report.drop(self.cannot_carry[1])
                    (tmp / f"{bid}.xml").write_text(xml, encoding="utf-8")
                    lw = chunk.log_weight
                    side.write(json.dumps({
                        "benchmark_id": bid, "file": f"{bid}.xml", "index": int(b.indices[r]),
                        "parameter_names": list(b.parameter_names), "theta": [float(t) for t in b.theta[r]],
                        "labels": {k: bool(v[r]) for k, v in b.labels.items()},
                        "robustness": {k: json_number(v[r]) for k, v in b.robustness.items()},
                        "metrics": {k: json_number(v[r]) for k, v in b.metrics.items()},
                        "log_weight": None if lw is None else float(lw[r]),
                        "obstacles": obstacles, "planning_problem": pp_id, "time_step_size": frame_dt,
                    }) + "\n")
                report.scenarios += b.size
                if progress:
                    progress(b.size, stream.total)

    @staticmethod
    def _scenario(b: Batch, r: int, bid: str, frame_dt: float, n_lanes: int, lane_w: float, lanelets: str,
                  road_tags: list[str], target: str, today: str) -> tuple[str, dict, int, int]:
        tr = b.trajectories[r].astype(np.float64)  # (N, T, F)
        mask = b.mask[r]
        N = mask.shape[0]
        x, y, v, a = tr[..., Lo.F_X], tr[..., Lo.F_Y], tr[..., Lo.F_SPEED], tr[..., Lo.F_ACCEL]
        h = wrap_heading(tr[..., Lo.F_HEADING])
        # frames up to the first missing one
        run = np.cumprod(mask, axis=1).sum(axis=1)
        tags = list(road_tags)
        if target and bool(b.labels[target][r]):
            tags.append("critical")
        head = (f'<?xml version="1.0" encoding="UTF-8"?>\n<commonRoad timeStepSize="{frame_dt:g}" '
                f'commonRoadVersion="{VERSION}" author="scenariogen" affiliation="scenariogen" '
                f'source="scenariogen simulation" benchmarkID="{bid}" date="{today}">')
        parts = [head, LOCATION,
                 "<scenarioTags>" + "".join(f"<{t}/>" for t in sorted(tags)) + "</scenarioTags>", lanelets]
        obstacles = {}
        absent = 0
        for i in range(1, N):
            if run[i] < 2:
                absent += bool(mask[i].any())
                continue
            oid = n_lanes + 1 + i
            obstacles[str(oid)] = b.agent_names[i]
            L, W = (float(s) for s in b.sizes[r, i])
            n = int(run[i])
            states = "".join(STATE % s for s in zip(x[i, 1:n].tolist(), y[i, 1:n].tolist(), h[i, 1:n].tolist(),
                                                    range(1, n), v[i, 1:n].tolist(), a[i, 1:n].tolist()))
            parts.append(f'<dynamicObstacle id="{oid}"><type>{Lo.KIND_NAMES[b.kinds[r, i]]}</type>'
                         f"<shape><rectangle><length>{L:.4f}</length><width>{W:.4f}</width></rectangle></shape>"
                         + INITIAL % (x[i, 0], y[i, 0], h[i, 0], v[i, 0], a[i, 0])
                         + f"<trajectory>{states}</trajectory></dynamicObstacle>")
        pp_id = n_lanes + 1 + N
        last = max(int(run[0]) - 1, 0)
        yaw_rate = 0.0
        if run[0] >= 2:
            yaw_rate = float(wrap_heading(tr[0, 1, Lo.F_HEADING] - tr[0, 0, Lo.F_HEADING])) / frame_dt
        parts.append(
            f'<planningProblem id="{pp_id}"><initialState>'
            f"<position><point><x>{x[0, 0]:.4f}</x><y>{y[0, 0]:.4f}</y></point></position>"
            f"<velocity><exact>{v[0, 0]:.4f}</exact></velocity><orientation><exact>{h[0, 0]:.6f}</exact></orientation>"
            f"<yawRate><exact>{yaw_rate:.6f}</exact></yawRate><slipAngle><exact>0</exact></slipAngle>"
            f"<time><exact>0</exact></time><acceleration><exact>{a[0, 0]:.4f}</exact></acceleration></initialState>"
            f"<goalState><position><rectangle><length>{GOAL_LENGTH:.4f}</length><width>{2 * lane_w:.4f}</width>"
            f"<orientation>{h[0, last]:.6f}</orientation><center><x>{x[0, last]:.4f}</x><y>{y[0, last]:.4f}</y>"
            f"</center></rectangle></position><time><intervalStart>0</intervalStart>"
            f"<intervalEnd>{max(last, 1)}</intervalEnd></time></goalState></planningProblem></commonRoad>\n")
        return "".join(parts), obstacles, absent, pp_id
