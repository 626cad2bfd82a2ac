"""Hostile logs for the reader-hardening tests and benchmarks (issue 23), built in a given folder.

Large inputs are synthetic (their sizes match the issue's probes); malformed ones are copies of the
real samples with one thing broken. Nothing here is written inside the repository.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from logs_helpers import ETH, FORECAST, NGSIM, SENSOR, need

SENSOR_LOG = "adcf7d18-0510-35b0-a2fa-b4cea13a6d76"


# ------------------------------------------------------------------------------------ large inputs
def eth_corrupt_timestamp(folder: Path, frame: str = "-1e9") -> Path:
    """A real ETH/UCY file with one line ``<frame> 1 0 0`` appended (the issue's probe: ``-1e9``)."""
    p = Path(folder) / "zara01_corrupt_time.txt"
    text = need(ETH / "crowds_zara01.txt").read_text()
    p.write_text(text.rstrip("\n") + f"\n{frame} 1 0 0\n")
    return p


def eth_many_tracks(folder: Path, n: int = 15_000, span: float = 600.0, seed: int = 0) -> Path:
    """``n`` pedestrians of 3 samples (0.8 s) each, starts uniform over ``span`` seconds, in a
    100 m x 100 m square walking at 1.3 m/s; 15 000 tracks make a 0.9 MB file. One track in ten
    is continued by another (a hand-off 0.4 s later, a few cm away) so cleaning has work to do."""
    rng = np.random.default_rng(seed)
    f0 = rng.integers(0, int(span / 0.4), n) * 10
    p0 = rng.uniform(0, 100, (n, 2))
    ang = rng.uniform(-np.pi, np.pi, n)
    v = 1.3 * np.stack([np.cos(ang), np.sin(ang)], 1) * 0.4  # m per 10 frame ids
    cont = np.flatnonzero((rng.random(n) < 0.2) & (np.arange(n) % 2 == 0))  # no chains: i + 1 is never in it
    cont = cont[cont + 1 < n]
    f0[cont + 1] = f0[cont] + 30  # next track starts one step after this one ends ...
    p0[cont + 1] = p0[cont] + 3 * v[cont] + rng.normal(0, 0.03, (len(cont), 2))  # ... where it would be
    v[cont + 1] = v[cont]
    rows = []
    for k in range(3):
        xy = p0 + k * v
        rows.append(np.column_stack([f0 + 10 * k, np.arange(n), xy]))
    a = np.concatenate(rows)
    a = a[np.lexsort((a[:, 1], a[:, 0]))]
    p = Path(folder) / f"eth_{n}_tracks.txt"
    p.write_text("".join(f"{int(f)}\t{int(i)}\t{x:.2f}\t{y:.2f}\n" for f, i, x, y in a))
    return p


def commonroad_sparse_hours(folder: Path, n: int = 3000, hours: float = 4.0, seed: int = 0) -> Path:
    """A 2020a CommonRoad file of ``n`` short cars (2 states at 10 Hz; one in fifty has up to 30),
    driving at 10 m/s, with start times spread uniformly over ``hours`` hours: 1.5 MB for 3000."""
    rng = np.random.default_rng(seed)
    steps = int(hours * 36000)
    parts = ['<?xml version="1.0" ?>\n<commonRoad commonRoadVersion="2020a" benchmarkID="HOSTILE_1_T-1" '
             'timeStepSize="0.1">\n']
    for i in range(n):
        k0 = int(rng.integers(0, steps))
        m = int(rng.integers(2, 30)) if i % 50 == 0 else 1
        x0, y0 = rng.uniform(0, 500), 3.5 * int(rng.integers(0, 4))

        def state(tag, k, x0=x0, y0=y0, k0=k0):
            return (f"<{tag}><position><point><x>{x0 + (k - k0):.1f}</x><y>{y0}</y></point></position>"
                    f"<orientation><exact>0</exact></orientation><time><exact>{k}</exact></time></{tag}>")

        traj = "".join(state("state", k) for k in range(k0 + 1, k0 + m + 1))
        parts.append(f'<dynamicObstacle id="{1000 + i}"><type>car</type><shape><rectangle><length>4.5</length>'
                     f'<width>1.8</width></rectangle></shape>{state("initialState", k0)}'
                     f"<trajectory>{traj}</trajectory></dynamicObstacle>\n")
    parts.append("</commonRoad>\n")
    p = Path(folder) / "commonroad_3000_over_4h.xml"
    p.write_text("".join(parts))
    return p


# ------------------------------------------------------------------------------------ malformed
def _parquet(folder: Path, name: str, change) -> Path:
    import pyarrow.parquet as pq

    t = change(pq.read_table(need(FORECAST)))
    p = Path(folder) / f"{name}.parquet"
    pq.write_table(t, p)
    return p


def _pa():
    import pyarrow

    return pyarrow


def _replace(table, column: str, values):
    pa = _pa()
    arr = values if isinstance(values, (pa.Array, pa.ChunkedArray)) else pa.array(values)
    return table.set_column(table.column_names.index(column), column, arr)


def _sensor(folder: Path, name: str, change_annotations=None, change_poses=None) -> Path:
    import pyarrow.feather as pf

    src = need(SENSOR / SENSOR_LOG)
    d = Path(folder) / name
    d.mkdir()
    for fname, change in (("annotations.feather", change_annotations), ("city_SE3_egovehicle.feather", change_poses)):
        if change is None:
            shutil.copy(src / fname, d / fname)
        else:
            pf.write_feather(change(pf.read_table(src / fname)), d / fname)
    return d / "annotations.feather"


def _commonroad(folder: Path, name: str, change) -> Path:
    text = need(NGSIM / "USA_US101-4_1_T-1.xml").read_text()
    bad = change(text)
    assert bad != text, name
    p = Path(folder) / f"{name}.xml"
    p.write_text(bad)
    return p


def _strings(table, column):
    return [str(v) for v in table.column(column).to_pylist()]


# name -> (builder(folder) -> path, what the error message must mention)
MALFORMED = {
    # the twelve that crashed with a traceback before (issue 23, finding 8)
    "empty parquet": (lambda d: _parquet(d, "empty", lambda t: t.slice(0, 0)), "no rows"),
    "string object_category": (
        lambda d: _parquet(d, "cat_str", lambda t: _replace(t, "object_category",
                                                            ["scored"] * t.num_rows)), "object_category"),
    "list object_category": (
        lambda d: _parquet(d, "cat_list", lambda t: _replace(t, "object_category",
                                                             [[v] for v in t.column("object_category").to_pylist()])),
        "object_category"),
    "string start_timestamp": (
        lambda d: _parquet(d, "start_str", lambda t: _replace(t, "start_timestamp",
                                                              ["2021-05-01T12:00"] * t.num_rows)), "start_timestamp"),
    "string end_timestamp": (
        lambda d: _parquet(d, "end_str", lambda t: _replace(t, "end_timestamp", ["later"] * t.num_rows)),
        "end_timestamp"),
    "null num_timestamps": (
        lambda d: _parquet(d, "num_null", lambda t: _replace(t, "num_timestamps",
                                                             _pa().nulls(t.num_rows, "int64"))),
        "num_timestamps"),
    "string num_timestamps": (
        lambda d: _parquet(d, "num_str", lambda t: _replace(t, "num_timestamps", _strings(t, "num_timestamps"))),
        "num_timestamps"),
    "binary track_id": (
        lambda d: _parquet(d, "tid_bin", lambda t: _replace(t, "track_id", _pa().array(
            [s.encode() + b"\xff" for s in t.column("track_id").to_pylist()], "binary"))), "track_id"),
    "string timestamp_ns in feather": (
        lambda d: _sensor(d, "ts_str", lambda t: _replace(t, "timestamp_ns",
                                                          [v + " ns" for v in _strings(t, "timestamp_ns")])),
        "timestamp_ns"),
    "string timestamp_ns in ego poses": (
        lambda d: _sensor(d, "pose_str", None, lambda t: _replace(t, "timestamp_ns",
                                                                  [v + " ns" for v in _strings(t, "timestamp_ns")])),
        "timestamp_ns"),
    "binary track_uuid in feather": (
        lambda d: _sensor(d, "uuid_bin", lambda t: _replace(t, "track_uuid", _pa().array(
            [b"\xff" + s.encode() for s in t.column("track_uuid").to_pylist()], "binary"))), "track_uuid"),
    "timeStepSize inf": (lambda d: _commonroad(d, "step_inf", lambda s: s.replace('timeStepSize="0.1"',
                                                                                  'timeStepSize="inf"')),
                         "timeStepSize"),
}

# further impossible values that must be refused with a LogFormatError
IMPOSSIBLE = {
    "negative length in CommonRoad": (
        lambda d: _commonroad(d, "neg_len", lambda s: s.replace("<length>", "<length>-", 1)), "length"),
    "zero width in CommonRoad": (lambda d: _commonroad(d, "zero_width", _zero_first_width), "width"),
    "negative length_m in feather": (
        lambda d: _sensor(d, "neg_len", lambda t: _replace(
            t, "length_m", -abs(t.column("length_m").to_numpy()))), "length_m"),
    "time step far out in CommonRoad": (
        lambda d: _commonroad(d, "far_time", lambda s: s.replace("<exact>5</exact>", "<exact>1e15</exact>", 1)),
        "max_span"),
    "timeStepSize huge": (
        lambda d: _commonroad(d, "step_huge", lambda s: s.replace('timeStepSize="0.1"', 'timeStepSize="1e300"')),
        "max_span"),
    "string timestep in parquet": (
        lambda d: _parquet(d, "timestep_str", lambda t: _replace(t, "timestep", _strings(t, "timestep"))),
        "timestep"),
    "list object_type in parquet": (
        lambda d: _parquet(d, "type_list", lambda t: _replace(t, "object_type",
                                                              [[v] for v in t.column("object_type").to_pylist()])),
        "object_type"),
    "empty annotations feather": (lambda d: _sensor(d, "empty", lambda t: t.slice(0, 0)), "no rows"),
    "ETH frame id 1e300": (lambda d: eth_corrupt_timestamp(d, "1e300"), "max_span"),
    "position 1e300 in CommonRoad": (lambda d: _commonroad(d, "far_x", _far_first_state_x), "out of range"),
    "non-unit quaternion in ego poses": (
        lambda d: _sensor(d, "quat", None, lambda t: _replace(t, "qw", t.column("qw").to_numpy() * 1e300)),
        "not a rotation"),
}


def _zero_first_width(s: str) -> str:
    i = s.index("<width>") + len("<width>")
    j = s.index("</width>", i)
    return s[:i] + "0" + s[j:]


def _far_first_state_x(s: str) -> str:
    i = s.index("<x>", s.index("<state>")) + len("<x>")
    j = s.index("</x>", i)
    return s[:i] + "1e300" + s[j:]
