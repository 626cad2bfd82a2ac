"""Argoverse 2 reader: forecasting scenarios (.parquet) and sensor-log annotations (.feather).

Needs ``pyarrow`` (``pip install scenariogen[parquet]``).

Forecasting scenario: one row per track per timestep (``track_id``, ``object_type``,
``object_category``, ``timestep``, ``position_x/y`` m in the city frame,
``heading`` rad, ``velocity_x/y`` m/s), 10 Hz. The recording vehicle (track ``AV``)
becomes agent 0; the focal track id is kept in ``info``. Static types (static,
background, unknown) are dropped; box sizes are not in the format, so every
agent gets the nominal footprint of its kind (the AV 4.877 m x 2.0 m).
Fragments (``object_category`` 0) that hand over to one another are joined by
the common cleaning (:mod:`scenariogen.logs.tracks`).

Sensor log: ``annotations*.feather`` (one row per box per lidar sweep; boxes in
the ego frame) placed in the city frame with the ego pose of
``city_SE3_egovehicle.feather`` nearest to each sweep: city = R(yaw_ego) (tx, ty)
+ t_ego, yaw = yaw_ego + yaw_box, yaw = atan2(2(qw qz + qx qy), 1 - 2(qy^2 + qz^2)).
Static classes (bollards, cones, signs, ...) are dropped. The ``EGO_VEHICLE``
track is agent 0; a log without it gets one built from the poses (4.877 m x 2.0 m).
``path`` may be the feather file or the log directory.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from ..errors import LogFormatError
from .base import (BICYCLE, BUS, CAR, MAX_COORD, MAX_SIZE, MOTORCYCLE, NOMINAL_SIZE, PEDESTRIAN, TRUCK, Reader,
                   check_exists, head_bytes, require)
from .scenes import LanePolyline, LogScenes
from .tracks import RawTrack, build_scenes

EGO_SIZE = (4.877, 2.0)

FORECAST_KIND = {"vehicle": CAR, "bus": BUS, "motorcyclist": MOTORCYCLE, "cyclist": BICYCLE,
                 "riderless_bicycle": BICYCLE, "pedestrian": PEDESTRIAN}
FORECAST_STATIC = {"static", "background", "unknown", "construction"}

SENSOR_KIND = {
    "REGULAR_VEHICLE": CAR, "EGO_VEHICLE": CAR, "LARGE_VEHICLE": TRUCK, "BOX_TRUCK": TRUCK, "TRUCK": TRUCK,
    "TRUCK_CAB": TRUCK, "VEHICULAR_TRAILER": TRUCK, "BUS": BUS, "ARTICULATED_BUS": BUS, "SCHOOL_BUS": BUS,
    "RAILED_VEHICLE": BUS, "MOTORCYCLE": MOTORCYCLE, "MOTORCYCLIST": MOTORCYCLE, "BICYCLE": BICYCLE,
    "BICYCLIST": BICYCLE, "WHEELED_DEVICE": BICYCLE, "WHEELED_RIDER": BICYCLE, "PEDESTRIAN": PEDESTRIAN,
    "STROLLER": PEDESTRIAN, "WHEELCHAIR": PEDESTRIAN, "OFFICIAL_SIGNALER": PEDESTRIAN, "DOG": PEDESTRIAN,
    "ANIMAL": PEDESTRIAN,
}
SENSOR_STATIC = {"BOLLARD", "CONSTRUCTION_BARREL", "CONSTRUCTION_CONE", "MESSAGE_BOARD_TRAILER",
                 "MOBILE_PEDESTRIAN_CROSSING_SIGN", "MOBILE_PEDESTRIAN_SIGN", "SIGN", "STOP_SIGN",
                 "TRAFFIC_LIGHT_TRAILER"}

FORECAST_COLUMNS = ("track_id", "object_type", "object_category", "timestep", "position_x", "position_y", "heading",
                    "velocity_x", "velocity_y")
ANNOT_COLUMNS = ("timestamp_ns", "track_uuid", "category", "length_m", "width_m", "qw", "qx", "qy", "qz", "tx_m",
                 "ty_m")
POSE_COLUMNS = ("timestamp_ns", "qw", "qx", "qy", "qz", "tx_m", "ty_m")


def _yaw(qw, qx, qy, qz):
    return np.arctan2(2.0 * (qw * qz + qx * qy), 1.0 - 2.0 * (qy * qy + qz * qz))


def _arrow():
    require(("pyarrow",), "parquet", "reading Argoverse 2 logs")
    import pyarrow  # noqa: F401
    import pyarrow.feather
    import pyarrow.parquet

    return pyarrow


def _load_table(path: Path, kind: str):
    pa = _arrow()
    try:
        if kind == "parquet":
            return pa.parquet.read_table(path)
        return pa.feather.read_table(path)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise LogFormatError(path, f"not a readable {kind} file ({str(exc).splitlines()[0][:200]})") from None


# what a column must hold: "int" integers, "num" integers or floats, "str" text, "id" text or integers
FORECAST_TYPES = {"track_id": "id", "object_type": "str", "object_category": "int", "timestep": "num",
                  "position_x": "num", "position_y": "num", "heading": "num", "velocity_x": "num", "velocity_y": "num",
                  "scenario_id": "str", "focal_track_id": "id", "city": "str", "start_timestamp": "num",
                  "end_timestamp": "num", "num_timestamps": "int"}
ANNOT_TYPES = {"timestamp_ns": "int", "track_uuid": "id", "category": "str", **{c: "num" for c in ANNOT_COLUMNS[3:]}}
POSE_TYPES = {"timestamp_ns": "int", **{c: "num" for c in POSE_COLUMNS[1:]}}
_TYPE_WORDS = {"int": "integers", "num": "numbers", "str": "text", "id": "text or integer ids"}


def _type_ok(pa, typ, want: str) -> bool:
    if pa.types.is_dictionary(typ):
        typ = typ.value_type
    is_int = pa.types.is_integer(typ)
    is_str = pa.types.is_string(typ) or pa.types.is_large_string(typ)
    return {"int": is_int, "num": is_int or pa.types.is_floating(typ), "str": is_str, "id": is_str or is_int}[want]


def _column(path: Path, table, name: str, want: str):
    """Column ``name`` as a NumPy array (text as str, numbers as int64/float64), checked for its type
    and for nulls."""
    pa = _arrow()
    if len(table.schema.get_all_field_indices(name)) > 1:
        raise LogFormatError(path, f"column {name} appears more than once")
    col = table.column(name)
    if not _type_ok(pa, col.type, want):
        raise LogFormatError(path, f"column {name} holds {col.type}, not {_TYPE_WORDS[want]}")
    if col.null_count:
        bad = int(np.flatnonzero(np.asarray(col.is_null()))[0])
        raise LogFormatError(path, f"column {name} is empty", f"row {bad}")
    try:
        v = col.to_numpy(zero_copy_only=False)
    except Exception as exc:  # noqa: BLE001 - arrow raises many types here
        raise LogFormatError(path, f"column {name} cannot be read ({exc})") from None
    if want in ("str", "id"):
        return np.asarray(v).astype(str)
    return np.asarray(v, dtype=np.int64 if want == "int" else np.float64)


def _columns(path: Path, table, names, types: dict) -> dict:
    missing = [c for c in names if c not in table.column_names]
    if missing:
        raise LogFormatError(path, f"missing column(s) {', '.join(missing)} (has {', '.join(table.column_names)})")
    if table.num_rows == 0:
        raise LogFormatError(path, "the table has no rows")
    return {c: _column(path, table, c, types[c]) for c in names}


def _check_finite(path: Path, cols: dict, names) -> None:
    for c in names:
        v = np.asarray(cols[c], dtype=np.float64)
        bad = np.flatnonzero(~np.isfinite(v))
        if len(bad):
            raise LogFormatError(path, f"{c} = {v[bad[0]]} is not finite", f"row {int(bad[0])}")
        cols[c] = v


def _check_pose(path: Path, cols: dict) -> None:
    """Unit quaternions (norm within 1 % of 1) and translations within ``MAX_COORD`` metres."""
    norm = np.hypot(np.hypot(cols["qw"], cols["qx"]), np.hypot(cols["qy"], cols["qz"]))  # no overflow
    bad = np.flatnonzero(~(np.abs(norm - 1.0) <= 0.01))
    if len(bad):
        raise LogFormatError(path, f"quaternion (qw, qx, qy, qz) of norm {norm[bad[0]]:g} is not a rotation",
                             f"row {int(bad[0])}")
    for c in ("tx_m", "ty_m"):
        bad = np.flatnonzero(~(np.abs(cols[c]) <= MAX_COORD))
        if len(bad):
            raise LogFormatError(path, f"{c} = {cols[c][bad[0]]:g} m is out of range (at most {MAX_COORD:g} m)",
                                 f"row {int(bad[0])}")


def _check_sizes(path: Path, cols: dict, names) -> None:
    for c in names:
        bad = np.flatnonzero(~((cols[c] > 0) & (cols[c] <= MAX_SIZE)))
        if len(bad):
            raise LogFormatError(path, f"{c} = {cols[c][bad[0]]:g} m is impossible (must be positive and at most "
                                       f"{MAX_SIZE:g} m)", f"row {int(bad[0])}")


def _meta(path: Path, table) -> dict:
    """The scenario's metadata columns (row 0), each checked like a data column."""
    meta = {}
    for k in ("scenario_id", "focal_track_id", "city", "start_timestamp", "end_timestamp", "num_timestamps"):
        if k in table.column_names:
            v = _column(path, table.slice(0, 1), k, FORECAST_TYPES[k])[0]
            meta[k] = v.item() if isinstance(v, np.generic) else v
    sid = meta.get("scenario_id")
    if sid is not None and not re.fullmatch(r"[A-Za-z0-9_.-]+", sid):
        raise LogFormatError(path, f"scenario_id {sid[:60]!r} is not a plain id (letters, digits, _ . -)", "row 0")
    for k in ("start_timestamp", "end_timestamp"):
        if k in meta and not np.isfinite(meta[k]):
            raise LogFormatError(path, f"{k} = {meta[k]} is not finite", "row 0")
    return meta


def _read_map(folder: Path, pattern: str) -> tuple[LanePolyline, ...]:
    files = sorted(folder.glob(pattern))
    if not files:
        return ()
    path = files[0]
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        lanes = []
        for lid, seg in data.get("lane_segments", {}).items():
            left = np.array([[p["x"], p["y"]] for p in seg["left_lane_boundary"]], float)
            right = np.array([[p["x"], p["y"]] for p in seg["right_lane_boundary"]], float)
            if "centerline" in seg:
                centre = np.array([[p["x"], p["y"]] for p in seg["centerline"]], float)
            elif len(left) == len(right):
                centre = 0.5 * (left + right)
            else:
                centre = left
            lanes.append(LanePolyline(id=str(lid), centre=centre, left=left, right=right))
        return tuple(lanes)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise LogFormatError(path, f"not a readable Argoverse 2 map ({type(exc).__name__}: {exc})") from None


class Av2Reader(Reader):
    """Argoverse 2 forecasting scenarios and sensor-log annotations."""

    name = "av2"
    extensions = (".parquet", ".feather")
    format_version = "av2 forecasting scenario parquet; av2 sensor annotations feather v2"
    requires = ("pyarrow",)
    description = "Argoverse 2 forecasting scenarios (.parquet) and sensor-log annotations (.feather, log dirs)"

    @classmethod
    def sniff(cls, path: Path) -> bool:
        if path.is_dir():
            return any(path.glob("annotations*.feather"))
        head = head_bytes(path, 8)
        return head.startswith(b"PAR1") or head.startswith(b"ARROW1")

    @classmethod
    def read(cls, path, *, dt: float = 0.1, clean: bool = True, **options) -> LogScenes:
        path = check_exists(path)
        if path.is_dir():
            files = sorted(path.glob("annotations_with_ego.feather")) or sorted(path.glob("annotations*.feather"))
            if not files:
                raise LogFormatError(path, "no annotations*.feather in this Argoverse 2 log directory")
            return cls._read_sensor(files[0], dt, clean, options)
        head = head_bytes(path, 8)
        if path.suffix == ".parquet" or head.startswith(b"PAR1"):
            return cls._read_forecasting(path, dt, clean, options)
        return cls._read_sensor(path, dt, clean, options)

    # ------------------------------------------------------------------ forecasting
    @classmethod
    def _read_forecasting(cls, path: Path, dt, clean, options) -> LogScenes:
        table = _load_table(path, "parquet")
        c = _columns(path, table, FORECAST_COLUMNS, FORECAST_TYPES)
        _check_finite(path, c, ("timestep", "position_x", "position_y", "heading", "velocity_x", "velocity_y"))
        meta = _meta(path, table)
        step = 0.1
        if {"start_timestamp", "end_timestamp", "num_timestamps"} <= meta.keys() and meta["num_timestamps"] > 1:
            step = (float(meta["end_timestamp"]) - float(meta["start_timestamp"])) / 1e9 / (meta["num_timestamps"] - 1)
            if not 0.01 < step < 1.0:
                step = 0.1
        ids = c["track_id"]
        types = c["object_type"]
        order = np.lexsort((c["timestep"], ids))
        ids_s = ids[order]
        cuts = np.flatnonzero(ids_s[1:] != ids_s[:-1]) + 1
        tracks = []
        n_static = 0
        cats = {}
        for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, len(order)]):
            rows = order[lo:hi]
            tid = ids[rows[0]]
            typ = types[rows[0]]
            cats[tid] = int(c["object_category"][rows[0]])
            if typ in FORECAST_STATIC:
                n_static += 1
                continue
            if typ not in FORECAST_KIND:
                raise LogFormatError(path, f"unknown object_type {typ!r}", f"row {int(rows[0])}")
            kind = FORECAST_KIND[typ]
            length, width = EGO_SIZE if tid == "AV" else NOMINAL_SIZE[kind]
            tracks.append(RawTrack(
                id=tid, kind=kind, length=length, width=width, t=c["timestep"][rows] * step,
                x=c["position_x"][rows], y=c["position_y"][rows], heading=c["heading"][rows],
                speed=np.hypot(c["velocity_x"][rows], c["velocity_y"][rows])))
        lanes = _read_map(path.parent, f"log_map_archive_{meta.get('scenario_id', '')}*.json")
        info = dict(format="av2-forecasting", format_version="av2", raw_dt=step, object_category=cats,
                    stats={"static_class_dropped": n_static}, **{k: meta[k] for k in meta if k != "num_timestamps"})
        ego = "AV" if any(tr.id == "AV" for tr in tracks) else meta.get("focal_track_id")
        return build_scenes(tracks, str(path), dt=dt, ego_id=ego, clean=clean, lanes=lanes, info=info, **options)

    # ------------------------------------------------------------------ sensor logs
    @classmethod
    def _read_sensor(cls, path: Path, dt, clean, options) -> LogScenes:
        table = _load_table(path, "feather")
        c = _columns(path, table, ANNOT_COLUMNS, ANNOT_TYPES)
        _check_finite(path, c, ANNOT_COLUMNS[3:])
        _check_sizes(path, c, ("length_m", "width_m"))
        _check_pose(path, c)
        pose_path = path.parent / "city_SE3_egovehicle.feather"
        if not pose_path.exists():
            raise LogFormatError(path, f"the ego poses {pose_path.name} are missing next to the annotations")
        ptab = _load_table(pose_path, "feather")
        p = _columns(pose_path, ptab, POSE_COLUMNS, POSE_TYPES)
        _check_finite(pose_path, p, POSE_COLUMNS[1:])
        _check_pose(pose_path, p)
        po = np.argsort(p["timestamp_ns"], kind="stable")
        pts = np.asarray(p["timestamp_ns"], np.int64)[po]
        pyaw = _yaw(p["qw"][po], p["qx"][po], p["qy"][po], p["qz"][po])
        ptx, pty = p["tx_m"][po], p["ty_m"][po]

        ts = np.asarray(c["timestamp_ns"], np.int64)
        k = np.clip(np.searchsorted(pts, ts), 1, max(len(pts) - 1, 1))
        if len(pts) > 1:
            k = np.where(np.abs(pts[k - 1] - ts) <= np.abs(pts[k] - ts), k - 1, k)
        else:
            k = np.zeros_like(ts)
        far = np.abs(pts[k] - ts) > 100_000_000  # 0.1 s
        if far.any():
            r = int(np.flatnonzero(far)[0])
            raise LogFormatError(path, f"no ego pose within 0.1 s of timestamp {ts[r]}", f"row {r}")
        ey, cy_, sy_ = pyaw[k], np.cos(pyaw[k]), np.sin(pyaw[k])
        x = ptx[k] + cy_ * c["tx_m"] - sy_ * c["ty_m"]
        y = pty[k] + sy_ * c["tx_m"] + cy_ * c["ty_m"]
        yaw = ey + _yaw(c["qw"], c["qx"], c["qy"], c["qz"])
        t0 = int(ts.min()) if len(ts) else 0
        t = (ts - t0) / 1e9
        cat = c["category"]
        uuid = c["track_uuid"]
        order = np.lexsort((ts, uuid))
        us = uuid[order]
        cuts = np.flatnonzero(us[1:] != us[:-1]) + 1
        tracks = []
        stats = {"static_class_dropped": 0, "unknown_class_dropped": 0}
        classes: dict = {}
        ego_id = None
        for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, len(order)]):
            rows = order[lo:hi]
            cname = cat[rows[0]]
            if cname in SENSOR_STATIC:
                stats["static_class_dropped"] += 1
                continue
            if cname not in SENSOR_KIND:
                stats["unknown_class_dropped"] += 1
                continue
            classes[cname] = classes.get(cname, 0) + 1
            tid = uuid[rows[0]]
            if cname == "EGO_VEHICLE":
                ego_id = tid
            tracks.append(RawTrack(id=tid, kind=SENSOR_KIND[cname], length=float(np.median(c["length_m"][rows])),
                                   width=float(np.median(c["width_m"][rows])), t=t[rows], x=x[rows], y=y[rows],
                                   heading=yaw[rows]))
        if ego_id is None and len(ts):
            sweeps = np.unique(ts)
            kk = np.clip(np.searchsorted(pts, sweeps), 0, len(pts) - 1)
            ego_id = "EGO_VEHICLE"
            tracks.append(RawTrack(id=ego_id, kind=CAR, length=EGO_SIZE[0], width=EGO_SIZE[1], t=(sweeps - t0) / 1e9,
                                   x=ptx[kk], y=pty[kk], heading=pyaw[kk]))
            stats["ego_from_poses"] = True
        stats["dynamic_tracks"] = sum(v for kname, v in classes.items() if kname != "EGO_VEHICLE")
        lanes = _read_map(path.parent / "map", "log_map_archive_*.json")
        sw = np.unique(ts)
        raw_dt = float(np.median(np.diff(sw)) / 1e9) if len(sw) > 1 else 0.1
        info = dict(format="av2-sensor", format_version="av2", raw_dt=raw_dt, log_id=path.parent.name,
                    start_timestamp_ns=t0, classes=classes, stats=stats)
        return build_scenes(tracks, str(path), dt=dt, ego_id=ego_id, clean=clean, lanes=lanes, info=info, **options)
