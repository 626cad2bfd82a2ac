"""The ``highd`` writer: each scenario as one highD-style recording of three CSV files.

Output folder (written atomically by scenariogen's Writer base class)::

    OUT/01_tracks.csv          one row per agent and frame (columns: tracks.TRACK_COLUMNS)
    OUT/01_tracksMeta.csv      one row per agent
    OUT/01_recordingMeta.csv   one row for the recording
    OUT/02_tracks.csv ...      recording ids 1, 2, ... in export order (at least two digits)
    OUT/recordings.csv         recording id -> scenariogen scenario index, target event, log weight

The recording number links back to the scenario through ``recordings.csv``.
"""

from __future__ import annotations

import csv
import io
from functools import lru_cache
from pathlib import Path

import numpy as np

from scenariogen import parse_text
from scenariogen.export import Writer
from scenariogen.road import build_road, compile_road

from .csvtext import format_rows
from .tracks import INT_COLUMNS, TRACK_COLUMNS, track_columns

META_COLUMNS = ("id", "width", "height", "initialFrame", "finalFrame", "numFrames", "class", "drivingDirection",
                "traveledDistance", "minXVelocity", "maxXVelocity", "meanXVelocity", "minDHW", "minTHW", "minTTC",
                "numLaneChanges")
RECORDING_COLUMNS = ("id", "frameRate", "locationId", "speedLimit", "month", "weekDay", "startTime", "duration",
                     "totalDrivenDistance", "totalDrivenTime", "numVehicles", "numCars", "numTrucks",
                     "upperLaneMarkings", "lowerLaneMarkings")
KIND_NAMES = ("car", "truck", "bus", "motorcycle", "bicycle", "pedestrian")  # scenariogen.sim.layout.KIND_NAMES
CLASSES = {"car": "Car", "truck": "Truck", "bus": "Truck"}  # highD has these two classes only
ID_COLUMNS = ("id", "precedingId", "followingId", "leftPrecedingId", "leftAlongsideId", "leftFollowingId",
              "rightPrecedingId", "rightAlongsideId", "rightFollowingId")  # agent ids (slot + 1, 0: none)
_DECIMALS = np.array([c not in INT_COLUMNS for c in TRACK_COLUMNS])  # "%.3f" columns; the others "%d"


@lru_cache(maxsize=4)
def _road(spec_text: str) -> dict:
    spec = parse_text(spec_text)
    road = compile_road(build_road(spec.road), ds=1.0)
    upper, lower = set(), set()
    if spec.road.type == "straight":  # highD's lane markings: lateral positions of the lane borders
        for k in range(road.n_lanes):
            i = road.lane_offset[k]
            w = road.lane_width[k] / 2
            side = lower if np.cos(road.heading[i]) > 0 else upper
            side.update((round(road.py[i] - w, 2), round(road.py[i] + w, 2)))
    return {"straight": spec.road.type == "straight", "left": np.asarray(road.left), "right": np.asarray(road.right), "length": np.asarray(road.lane_length),
            "upper": ";".join(f"{y:g}" for y in sorted(upper)), "lower": ";".join(f"{y:g}" for y in sorted(lower))}


class HighDWriter(Writer):
    name = "highd"
    extensions = ()
    directory = True
    format_version = "1"
    cannot_carry = (
        "headings (highD boxes are axis-aligned)",
        "lane arc length and lateral offset",
        "metrics, labels, robustness and parameters (theta)",
        "per-agent metrics",
        "perception arrays",
        "road geometry beyond the lane markings of straight roads",
    )

    def write_stream(self, stream, tmp, report, progress) -> None:
        road = _road(stream.meta["spec_text"])
        digits = max(2, len(str(stream.total)))
        rec_id = 0
        with open(tmp / "recordings.csv", "w", newline="") as fh:
            index = csv.writer(fh)
            index.writerow(["id", "scenarioIndex", "spec", "targetEvent", "event", "logWeight"])
            for chunk in stream:
                b = chunk.batch
                frame_dt = float(b.provenance.get("dt", 0.1)) * int(b.provenance.get("frame_step", 1))
                target = stream.meta["target"]
                for i in range(b.size):
                    rec_id += 1
                    prefix = tmp / f"{rec_id:0{digits}d}"
                    _write_recording(prefix, rec_id, b.trajectories[i], b.mask[i], b.kinds[i], b.sizes[i], road,
                                     frame_dt, report)
                    event = bool(b.labels[target][i]) if target in b.labels else ""
                    lw = "" if chunk.log_weight is None else repr(float(chunk.log_weight[i]))
                    index.writerow([rec_id, int(b.indices[i]), stream.meta["spec_name"], target, event, lw])
                report.scenarios += b.size
                if b.perception:
                    report.drop("perception arrays")
                if progress:
                    progress(b.size, stream.total)
        for what in self.cannot_carry[:4]:
            report.drop(what)
        if not road["straight"]:
            report.drop(self.cannot_carry[-1])


def _write_recording(prefix: Path, rec_id: int, traj, mask, kinds, sizes, road: dict, frame_dt: float,
                     report) -> None:
    agents = np.flatnonzero(mask.any(axis=1))
    # neighbours are only ever agents present at that frame: the columns of the present agents alone are
    # the same numbers, for a fraction of the pairwise work; their ids map back to agent slots + 1
    sel = agents if len(agents) else np.arange(len(mask))  # (no agent at all: the columns are never read)
    cols = track_columns(traj[sel], mask[sel], sizes[sel], road["left"], road["right"], road["length"])
    slot_id = np.concatenate(([0], sel + 1))
    for c in ID_COLUMNS:
        cols[c] = slot_id[cols[c]]
    # tracks.csv: grouped by id, then frame, valid frames only
    ii, tt = np.nonzero(mask[sel])  # row-major: agent by agent, frames ascending
    table = np.column_stack([np.asarray(cols[c], np.float64)[tt, ii] for c in TRACK_COLUMNS])
    rows = format_rows(table, _DECIMALS)
    header = ",".join(TRACK_COLUMNS) + "\n"
    if rows is None:  # a value csvtext cannot format exactly (not finite, huge): numpy's own formatting
        fmt = ["%d" if c in INT_COLUMNS else "%.3f" for c in TRACK_COLUMNS]
        np.savetxt(f"{prefix}_tracks.csv", table, fmt=fmt, delimiter=",", header=header[:-1], comments="")
    else:
        with open(f"{prefix}_tracks.csv", "wb") as fh:
            fh.write(header.encode() + rows)

    n_cars = n_trucks = 0
    driven = 0.0
    buf = io.StringIO(newline="")
    w = csv.writer(buf)
    w.writerow(META_COLUMNS)
    for p, i in enumerate(agents.tolist()):
        t = np.flatnonzero(mask[i])
        kind = KIND_NAMES[kinds[i]] if 0 <= kinds[i] < len(KIND_NAMES) else "unknown"
        cls = CLASSES.get(kind, kind.capitalize())
        if cls not in ("Car", "Truck"):
            report.drop(f"highD classes are Car and Truck only: {kind} agents are written with class {cls!r}")
        n_cars += cls == "Car"
        n_trucks += cls == "Truck"
        xv = cols["xVelocity"][t, p]
        step = np.hypot(np.diff(traj[i, t, 0]), np.diff(traj[i, t, 1]))
        driven += float(step.sum())
        lead = cols["precedingId"][t, p] > 0
        ttc = cols["ttc"][t, p]
        pos_ttc = ttc[lead & (ttc > 0)]
        w.writerow([i + 1, f"{sizes[i, 0]:.3f}", f"{sizes[i, 1]:.3f}", t[0] + 1, t[-1] + 1, len(t), cls,
                    2 if xv.mean() >= 0 else 1, f"{step.sum():.3f}", f"{xv.min():.3f}", f"{xv.max():.3f}",
                    f"{xv.mean():.3f}",
                    f"{cols['dhw'][t, p][lead].min():.3f}" if lead.any() else -1,
                    f"{cols['thw'][t, p][lead].min():.3f}" if lead.any() else -1,
                    f"{pos_ttc.min():.3f}" if len(pos_ttc) else -1,
                    int(np.count_nonzero(np.diff(cols["laneId"][t, p])))])
    with open(f"{prefix}_tracksMeta.csv", "w", newline="") as fh:
        fh.write(buf.getvalue())

    rate = 1.0 / frame_dt
    buf = io.StringIO(newline="")
    w = csv.writer(buf)
    w.writerow(RECORDING_COLUMNS)
    w.writerow([rec_id, f"{rate:g}", 0, -1, "", "", "", f"{mask.shape[1] * frame_dt:.3f}", f"{driven:.3f}",
                f"{mask[agents].sum() * frame_dt:.3f}", len(agents), n_cars, n_trucks,
                road["upper"], road["lower"]])
    with open(f"{prefix}_recordingMeta.csv", "w", newline="") as fh:
        fh.write(buf.getvalue())
