"""``av2``: Argoverse 2 motion-forecasting scenarios, one parquet file and one map JSON per scenario.

Needs ``pyarrow`` (``pip install scenariogen[parquet]``). The output is a new
folder laid out like an Argoverse 2 split, so the Argoverse 2 tools
(``load_argoverse_scenario_parquet``, ``ArgoverseStaticMap.from_json``) and
this project's ``av2`` log reader open each scenario folder as they are::

    OUT/<scenario_id>/scenario_<scenario_id>.parquet
    OUT/<scenario_id>/log_map_archive_<scenario_id>.json

``scenario_id`` is ``<spec name>_<global scenario index, 9 digits>``, the spec
name made a safe file name by :func:`scenariogen.data.files.safe_name` (the name
itself is ``spec_name`` in the metadata below).

Parquet columns, one row per track per timestep, with the dtypes of the
Argoverse 2 release files: ``observed`` bool, ``track_id`` string,
``object_type`` string, ``object_category`` int64, ``timestep`` int64,
``position_x``, ``position_y`` (m), ``heading`` (rad), ``velocity_x``,
``velocity_y`` (m/s) float64, then per scenario (repeated on every row)
``scenario_id`` string, ``start_timestamp``, ``end_timestamp`` (ns) float64,
``num_timestamps`` int64, ``focal_track_id`` string, ``city`` string,
``map_id`` uint64, ``slice_id`` string.

Frame: the simulator's world frame (x east, y north, m; headings counter-
clockwise from +x), written as the "city" frame; ``city`` is ``scenariogen``.
Velocity is speed along the heading (the simulator's vehicles do not slip).

Time base: Argoverse 2 is 10 Hz. The recorded frames (``dt * frame_step`` s
apart, frame k at k * frame_dt s) are resampled onto the 0.1 s grid by linear
interpolation of x, y, unwrapped heading and speed (exact copies when the frame
step is already 0.1 s); a grid time is present for an agent when both frames
around it are. The scenario keeps its own length (a 10 s spec gives 100
timesteps, not Argoverse's 110; nothing is extrapolated); ``observed`` is true
for the first 5 s (timesteps 0-49), as in Argoverse 2. ``start_timestamp`` is 0
and ``end_timestamp`` (num_timestamps - 1) * 1e8 ns.

Tracks: the ego is track ``AV`` (category 1, unscored, as in the release
files); every other agent keeps its name as track id. The focal track
(category 3) is the threat actor (:func:`threat_agent`: the target event's
named target or non-ego actor, else the agent the ego first collided with,
else the lowest TTC to the ego, else the closest agent); other agents present
over the whole scenario are scored (2), the rest unscored (1). Kinds map to
object types car/truck -> ``vehicle``, bus -> ``bus``, motorcycle ->
``motorcyclist``, bicycle -> ``cyclist``, pedestrian -> ``pedestrian``.

Event labels travel in the parquet file's key-value metadata under the key
``scenariogen`` (UTF-8 JSON: spec name, target, index, theta, labels,
robustness, metrics, log_weight, the focal agent and the time mapping), which
Argoverse 2 tools ignore; read it with ``scenario_labels(path)``.

Map (``log_map_archive_*.json``): one lane segment per lane of the road model
(id = lane index + 1) with left/right lane boundaries, centerline,
successors/predecessors, same-direction neighbours, ``lane_type`` VEHICLE,
``is_intersection`` for the connectors of an intersection, mark types
(DASHED_WHITE between lanes of one direction, SOLID_WHITE at the road edge,
NONE inside a junction); ``drivable_areas`` are the outlines of the union of
the lanes; ``pedestrian_crossings`` is empty (the road model has none); z = 0.
"""

from __future__ import annotations

import json
import zlib
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import ScenarioGenError
from ..errors import MissingDependencyError
from ..data import layout as Lo
from ..data.batch import Batch
from ..data.files import safe_name, valid_text
from .base import Writer
from .lanemap import lane_geometry
from .values import json_number, wrap_heading

__all__ = ["Av2Writer", "av2_map", "resample_10hz", "scenario_labels", "threat_agent"]

AV2_DT = 0.1  # s, Argoverse 2 sampling interval
OBSERVED_STEPS = 50  # the first 5 s are the observed history
CITY = "scenariogen"
META_KEY = b"scenariogen"
OBJECT_TYPE = {"car": "vehicle", "truck": "vehicle", "bus": "bus", "motorcycle": "motorcyclist",
               "bicycle": "cyclist", "pedestrian": "pedestrian"}
UNSCORED, SCORED, FOCAL = 1, 2, 3


def _pyarrow():
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise MissingDependencyError("writer 'av2' needs the optional dependency pyarrow: "
                                     'pip install "scenariogen[parquet]"') from None
    return pyarrow


def threat_agent(b: Batch, target_actor: str | None = None) -> np.ndarray:
    """The index of each scenario's threat actor, the agent the scenario is about, (B,) int64:

    ``target_actor`` (the target event's named ``target``, or its non-ego ``actor``); else the agent the ego first
    collided with; else the agent with the smallest TTC to the ego (finite); else the
    one that came closest. Only agents present in the recording count; -1 when the ego
    is alone."""
    B, N = b.kinds.shape
    present = b.mask.any(axis=2) if b.mask.shape[2] else np.ones((B, N), bool)
    present[:, 0] = False
    ttc = np.where(present, b.agent_metrics[:, :, Lo.A_MIN_TTC], np.inf)
    dist = np.where(present, b.agent_metrics[:, :, Lo.A_MIN_DIST], np.inf)
    rows = np.arange(B)
    by_ttc = ttc.argmin(axis=1)
    out = np.where(np.isfinite(ttc[rows, by_ttc]), by_ttc, dist.argmin(axis=1))
    ca = b.metrics["collision_a"].astype(np.int64)
    cb = b.metrics["collision_b"].astype(np.int64)
    other = np.where(ca == 0, cb, np.where(cb == 0, ca, -1))
    hit = (other > 0) & (other < N)
    hit[hit] &= present[rows[hit], other[hit]]
    out = np.where(hit, other, out)
    if target_actor is not None and target_actor in b.agent_names:
        k = b.agent_names.index(target_actor)
        out = np.where(present[:, k], k, out)
    return np.where(present.any(axis=1), out, -1).astype(np.int64)


def resample_10hz(b: Batch, frame_dt: float) -> tuple[np.ndarray, ...]:
    """The recorded frames on the 0.1 s grid: x, y, heading, speed (B, N, J) float64 and valid
    (B, N, J) bool, J = floor(last frame time / 0.1) + 1 (linear interpolation; exact when
    ``frame_dt`` is 0.1 s)."""
    T = b.trajectories.shape[2]
    tr = b.trajectories.astype(np.float64)
    heading = np.unwrap(tr[..., Lo.F_HEADING], axis=2)
    if abs(frame_dt - AV2_DT) < 1e-9:
        return tr[..., Lo.F_X], tr[..., Lo.F_Y], heading, tr[..., Lo.F_SPEED], b.mask.copy()
    J = int(np.floor((T - 1) * frame_dt / AV2_DT + 1e-9)) + 1
    u = np.arange(J) * AV2_DT / frame_dt  # position on the frame axis
    lo = np.minimum(np.floor(u + 1e-9).astype(np.int64), T - 1)
    hi = np.minimum(lo + 1, T - 1)
    w = np.clip(u - lo, 0.0, 1.0)
    def lerp(a):
        return a[..., lo] * (1 - w) + a[..., hi] * w

    valid = b.mask[..., lo] & (b.mask[..., hi] | (w < 1e-9))
    return lerp(tr[..., Lo.F_X]), lerp(tr[..., Lo.F_Y]), lerp(heading), lerp(tr[..., Lo.F_SPEED]), valid


def _pts(a: np.ndarray) -> list[dict]:
    return [{"x": round(float(x), 4), "y": round(float(y), 4), "z": 0.0} for x, y in a]


def _mark(lane, neighbour: int) -> str:
    """Argoverse 2 mark type of one side of a lane."""
    if lane.junction:
        return "NONE"
    return "DASHED_WHITE" if neighbour >= 0 else "SOLID_WHITE"


@lru_cache(maxsize=8)
def av2_map(spec_text: str) -> dict:
    """The spec's road as an Argoverse 2 static map (the ``log_map_archive_*.json`` content)."""
    from shapely.geometry import Polygon
    from shapely.ops import unary_union

    lanes = lane_geometry(spec_text)
    segs = {}
    for k, ln in enumerate(lanes):
        segs[str(k + 1)] = {
            "id": k + 1, "is_intersection": ln.junction, "lane_type": "VEHICLE",
            "left_lane_boundary": _pts(ln.left), "right_lane_boundary": _pts(ln.right),
            "centerline": _pts(ln.centre),
            "left_lane_mark_type": _mark(ln, ln.left_id), "right_lane_mark_type": _mark(ln, ln.right_id),
            "successors": [s + 1 for s in ln.successors], "predecessors": [p + 1 for p in ln.predecessors],
            "left_neighbor_id": ln.left_id + 1 if ln.left_id >= 0 else None,
            "right_neighbor_id": ln.right_id + 1 if ln.right_id >= 0 else None,
        }
    area = unary_union([Polygon(np.vstack([ln.left, ln.right[::-1]])).buffer(0.01) for ln in lanes])
    polys = list(getattr(area, "geoms", [area]))
    base = len(lanes) + 1
    drivable = {str(base + i): {"area_boundary": _pts(np.asarray(p.exterior.coords)[:-1]), "id": base + i}
                for i, p in enumerate(polys) if not p.is_empty}
    return {"drivable_areas": drivable, "lane_segments": segs, "pedestrian_crossings": {}}


def scenario_labels(path: str | Path) -> dict:
    """The scenariogen metadata (labels, robustness, theta, ...) of an exported scenario parquet."""
    pa = _pyarrow()
    meta = pa.parquet.read_schema(path).metadata or {}
    if META_KEY not in meta:
        raise ScenarioGenError(f"{path}: no scenariogen metadata (not written by the av2 writer)")
    return json.loads(meta[META_KEY].decode("utf-8"))


class Av2Writer(Writer):
    """Argoverse 2 motion-forecasting scenario parquet + map JSON, one folder per scenario."""

    name = "av2"
    extensions = ()
    directory = True
    format_version = "Argoverse 2 motion forecasting (scenario parquet, map JSON)"
    requires = ("pyarrow",)
    extra = "parquet"
    cannot_carry = (
        "agent box sizes as columns (Argoverse 2 has none; they stay in the file's scenariogen metadata)",
        "truck vs car (both are object_type 'vehicle')",
        "acceleration, lane index, s and lateral offset",
        "perception arrays (visible, detected, tracked, track_xy, dropout)",
        "agent metrics",
        "static occluder polygons of the map",
    )

    def write_stream(self, stream, tmp, report, progress) -> None:
        pa = _pyarrow()
        meta = stream.meta
        spec = stream.spec(self.name)
        map_bytes = json.dumps(av2_map(meta["spec_text"])).encode("utf-8")
        map_id = zlib.crc32(map_bytes)
        slice_id = valid_text((meta.get("run") or {}).get("content_hash") or meta["spec_name"])
        target_actor = None
        if meta["target"]:
            ev = next((e for e in spec.events if e.name == meta["target"]), None)
            if ev is not None:
                target_actor = ev.target or (ev.actor if ev.actor != "ego" else None)
        for d in (0, 2, 4):
            report.drop(self.cannot_carry[d])
        if spec.occluders:
            report.drop(self.cannot_carry[5])
        schema = pa.schema([
            ("observed", pa.bool_()), ("track_id", pa.string()), ("object_type", pa.string()),
            ("object_category", pa.int64()), ("timestep", pa.int64()), ("position_x", pa.float64()),
            ("position_y", pa.float64()), ("heading", pa.float64()), ("velocity_x", pa.float64()),
            ("velocity_y", pa.float64()), ("scenario_id", pa.string()), ("start_timestamp", pa.float64()),
            ("end_timestamp", pa.float64()), ("num_timestamps", pa.int64()), ("focal_track_id", pa.string()),
            ("city", pa.string()), ("map_id", pa.uint64()), ("slice_id", pa.string()),
        ])
        for chunk in stream:
            b = chunk.batch
            self.require_frames(b, 1)
            if b.perception:
                report.drop(self.cannot_carry[3])
            if np.any(b.kinds[b.mask.any(axis=2)] == Lo.KIND_CODES["truck"]):
                report.drop(self.cannot_carry[1])
            frame_dt = b.frame_dt(spec.dt)
            self._write_chunk(pa, schema, b, chunk, frame_dt, meta, target_actor, map_bytes, map_id, slice_id, tmp)
            report.scenarios += b.size
            if progress:
                progress(b.size, stream.total)

    def _write_chunk(self, pa, schema, b: Batch, chunk, frame_dt, meta, target_actor, map_bytes, map_id,
                     slice_id, tmp: Path) -> None:
        import pyarrow.parquet as pq

        x, y, h, v, valid = resample_10hz(b, frame_dt)
        J = x.shape[2]
        vx, vy = v * np.cos(h), v * np.sin(h)
        h = wrap_heading(h)
        focal = threat_agent(b, target_actor)
        names = np.array(["AV", *(valid_text(n) for n in b.agent_names[1:])], dtype=object)  # UTF-8 strings
        otype = np.array([OBJECT_TYPE[Lo.KIND_NAMES[k]] for k in range(len(Lo.KIND_NAMES))], dtype=object)
        whole = valid.all(axis=2)
        lw = chunk.log_weight
        steps = np.arange(J, dtype=np.int64)
        obs = steps < OBSERVED_STEPS
        end_ts = float((J - 1) * AV2_DT * 1e9)
        stem = safe_name(meta["spec_name"])  # a folder and file name, whatever the spec is called
        for r in range(b.size):
            sid = f"{stem}_{int(b.indices[r]):09d}"
            ai, ti = np.nonzero(valid[r])
            n = len(ai)
            cat = np.where(whole[r], SCORED, UNSCORED)
            cat[0] = UNSCORED
            f = int(focal[r])
            if f > 0:
                cat[f] = FOCAL
            focal_id = names[f] if f > 0 else "AV"

            def rep(val, typ, n=n):
                return pa.repeat(pa.scalar(val, typ), n)

            table = pa.Table.from_arrays([
                pa.array(obs[ti]), pa.array(names[ai], pa.string()),
                pa.array(otype[b.kinds[r, ai]], pa.string()), pa.array(cat[ai].astype(np.int64)),
                pa.array(steps[ti]), pa.array(x[r, ai, ti]), pa.array(y[r, ai, ti]), pa.array(h[r, ai, ti]),
                pa.array(vx[r, ai, ti]), pa.array(vy[r, ai, ti]), rep(sid, pa.string()),
                rep(0.0, pa.float64()), rep(end_ts, pa.float64()), rep(J, pa.int64()),
                rep(focal_id, pa.string()), rep(CITY, pa.string()), rep(map_id, pa.uint64()),
                rep(slice_id, pa.string()),
            ], schema=schema)
            labels = {
                "schema": "scenariogen-av2", "schema_version": 1, "spec_name": meta["spec_name"],
                "target": meta["target"], "index": int(b.indices[r]),
                "parameter_names": list(b.parameter_names), "theta": [float(t) for t in b.theta[r]],
                "labels": {k: bool(val[r]) for k, val in b.labels.items()},
                "robustness": {k: json_number(val[r]) for k, val in b.robustness.items()},
                "metrics": {k: json_number(val[r]) for k, val in b.metrics.items()},
                "log_weight": None if lw is None else float(lw[r]),
                "focal_agent": b.agent_names[f] if f > 0 else None, "track_of_agent": {"ego": "AV"},
                "sim_frame_dt": frame_dt, "av2_dt": AV2_DT,
                "sizes": {str(names[k]): [float(s) for s in b.sizes[r, k]] for k in np.unique(ai)},
                "run": meta.get("run"),
            }
            table = table.replace_schema_metadata({META_KEY: json.dumps(labels).encode("utf-8")})
            folder = tmp / sid
            folder.mkdir()
            pq.write_table(table, folder / f"scenario_{sid}.parquet")
            (folder / f"log_map_archive_{sid}.json").write_bytes(map_bytes)
