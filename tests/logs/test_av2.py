"""Argoverse 2 reader: the forecasting scenario and the four sensor logs."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pyarrow")

from scenariogen.errors import MissingDependencyError  # noqa: E402
from scenariogen.logs import make_windows, read_log  # noqa: E402
from scenariogen.logs.av2 import Av2Reader  # noqa: E402
from scenariogen.logs import base as logs_base  # noqa: E402
from scenariogen.data import layout as Lo  # noqa: E402

from logs_helpers import FORECAST, SENSOR, min_vehicle_gap, need  # noqa: E402

# log: (dynamic tracks incl. the ego where the file has its row, ego max speed m/s, vehicle p99 m/s) from the README
LOGS = {
    "3b3570b4-7b0b-3268-a571-b0889dbf40b6": (116, 5.8, 15.4),
    "3bffdcff-c3a7-38b6-a0f2-64196d130958": (109, 9.2, 11.2),
    "7fab2350-7eaf-3b7e-a39d-6937a4c1bede": (103, 11.2, 11.6),
    "adcf7d18-0510-35b0-a2fa-b4cea13a6d76": (93, 5.5, 9.9),
}


@pytest.fixture(scope="module")
def forecast():
    return read_log(need(FORECAST))


def test_forecasting_counts_and_ego(forecast):
    info = forecast.info[str(FORECAST)]
    st = info["stats"]
    assert st["tracks_read"] + st["static_class_dropped"] == 58  # README: 58 tracks, 10 static/background
    assert st["static_class_dropped"] == 10
    assert forecast.track_ids[0, 0] == "AV" and info["ego"] == "AV"
    assert info["focal_track_id"] in set(forecast.track_ids[0]) and info["city"] == "austin"
    assert forecast.dt == pytest.approx(0.1) and forecast.n_frames == 110
    sp = forecast.trajectories[..., Lo.F_SPEED]
    veh = (forecast.kinds[0] == Lo.KIND_CODES["car"])
    assert np.nanmax(sp[0, veh]) == pytest.approx(10.3, abs=0.1)
    ped = forecast.kinds[0] == Lo.KIND_CODES["pedestrian"]
    assert np.nanmax(sp[0, ped]) < 6.0
    assert len(forecast.lanes[str(FORECAST)]) > 10


def test_forecasting_handoff_joined(forecast):
    st = forecast.info[str(FORECAST)]["stats"]
    assert ("139482", "139590") in [tuple(map(str, p)) for p in st["handoffs_joined"]]
    ids = set(map(str, forecast.track_ids[0]))
    assert "139590" not in ids
    raw = read_log(FORECAST, clean=False)
    assert min_vehicle_gap(raw) == pytest.approx(0.12, abs=0.01)
    assert min_vehicle_gap(forecast) > 0.5


@pytest.fixture(scope="module", params=sorted(LOGS))
def sensor_log(request):
    return request.param, read_log(need(SENSOR / request.param))


def test_sensor_counts_and_speeds(sensor_log):
    log, s = sensor_log
    dynamic, ego_max, p99 = LOGS[log]
    src = s.source
    info = s.info[src]
    st = info["stats"]
    has_ego_row = "EGO_VEHICLE" in info["classes"]
    assert st["dynamic_tracks"] + has_ego_row == dynamic
    assert st["static_class_dropped"] > 0  # bollards, cones, signs
    assert s.dt == pytest.approx(0.1) and info["raw_dt"] == pytest.approx(0.1, abs=1e-3)
    assert s.duration == pytest.approx(15.5, abs=0.2)
    ego = s.trajectories[0, 0]
    assert np.all(s.mask[0, 0])
    assert np.nanmax(ego[:, Lo.F_SPEED]) == pytest.approx(ego_max, abs=0.5)
    veh = np.isin(s.kinds[0], [0, 1, 2])
    sp = s.trajectories[0, veh][..., Lo.F_SPEED][s.mask[0, veh]]
    assert np.percentile(sp, 99) == pytest.approx(p99, rel=0.25)
    # boxes in the city frame: every agent stays within a few hundred metres of the ego
    d = np.hypot(*(s.trajectories[0, :, :, :2] - ego[None, :, :2]).transpose(2, 0, 1))
    assert np.nanmax(d) < 300
    assert min_vehicle_gap(s) > 0.5


def test_duplicate_annotation_removed():
    path = need(SENSOR / "7fab2350-7eaf-3b7e-a39d-6937a4c1bede")
    raw, s = read_log(path, clean=False), read_log(path)
    assert min_vehicle_gap(raw) < 0.01  # README: min gap 0.0 m, a duplicate annotation
    pairs = [tuple(p) for p in s.info[s.source]["stats"]["duplicates_merged"]]
    assert len(pairs) == 1 and {p[:8] for p in pairs[0]} == {"0cf6355a", "56d3999e"}
    assert min_vehicle_gap(s) > 1.0


def test_ego_frame_to_city_frame():
    """The EGO_VEHICLE row of annotations_with_ego sits on the city poses."""
    import pyarrow.feather as pf

    log = need(SENSOR / "3b3570b4-7b0b-3268-a571-b0889dbf40b6")
    s = Av2Reader.read(log / "annotations_with_ego.feather", clean=False)
    pose = pf.read_table(log / "city_SE3_egovehicle.feather")
    tx, ty = pose.column("tx_m").to_numpy(), pose.column("ty_m").to_numpy()
    ego = s.trajectories[0, 0]
    d = np.hypot(ego[:, None, 0] - tx[None], ego[:, None, 1] - ty[None]).min(axis=1)
    assert np.all(d < 0.2)


def test_sensor_windows_many_samples():
    total = 0
    for log in sorted(LOGS):
        w = make_windows(read_log(need(SENSOR / log)), 8.0)
        assert w.size >= 10
        assert np.all(w.mask[:, 0]) and np.all(np.isin(w.kinds[:, 0], [0, 1, 2, 3]))
        total += w.size
    assert total >= 100


def test_missing_pyarrow_message(monkeypatch):
    real = logs_base.importlib.util.find_spec
    monkeypatch.setattr(logs_base.importlib.util, "find_spec", lambda n, *a: None if n == "pyarrow" else real(n, *a))
    with pytest.raises(MissingDependencyError, match=r"pip install scenariogen\[parquet\]"):
        read_log(need(FORECAST))
