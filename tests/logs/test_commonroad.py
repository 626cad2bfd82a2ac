"""CommonRoad reader on the four NGSIM scenarios (two 2018b, two 2020a)."""

from __future__ import annotations

import numpy as np
import pytest

from scenariogen.logs import make_windows, read_log
from scenariogen.logs.commonroad import CommonRoadReader
from scenariogen.data import layout as Lo

from logs_helpers import NGSIM, min_vehicle_gap, need

# file: (version, vehicles, duration s, lanelets, max state velocity m/s) from the data README;
# US101-3_3 and Peach have 12 and 79 <lanelet> elements: the README (13, 83) also counts goal-state references
CASES = {
    "USA_US101-3_3_T-1.xml": ("2018b", 12, 3.1, 12, 17.7),
    "USA_US101-4_1_T-1.xml": ("2020a", 22, 10.0, 12, 19.1),
    "USA_Lanker-1_1_T-1.xml": ("2018b", 24, 4.0, 91, 15.6),
    "USA_Peach-4_8_T-1.xml": ("2020a", 9, 6.0, 79, 15.6),
}


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request):
    path = need(NGSIM / request.param)
    return path, CASES[request.param], read_log(path)


def test_counts_dt_and_speeds(case):
    path, (version, vehicles, duration, lanelets, vmax), s = case
    info = s.info[str(path)]
    assert info["format_version"] == version
    assert info["raw_dt"] == pytest.approx(0.1)
    assert s.dt == pytest.approx(0.1)
    assert info["stats"]["tracks_read"] == vehicles
    st = info["stats"]
    assert s.size == 1
    assert s.n_agents == vehicles - len(st["static_dropped"]) - len(st["duplicates_merged"]) - len(st["handoffs_joined"])
    assert read_log(path, clean=False).n_agents == vehicles
    assert s.duration == pytest.approx(duration, abs=0.11)
    assert np.all(s.kinds == Lo.KIND_CODES["car"])
    sp = s.trajectories[..., Lo.F_SPEED][s.mask]
    assert np.all(np.isfinite(sp)) and sp.min() >= 0 and sp.max() == pytest.approx(vmax, abs=0.1)
    assert np.all((s.sizes[0, :, 0] > 2.5) & (s.sizes[0, :, 0] < 20) & (s.sizes[0, :, 1] > 1.2))
    assert np.all(s.trajectories[..., Lo.F_LANE] == -1) and np.all(np.isnan(s.trajectories[..., Lo.F_S]))
    assert min_vehicle_gap(s) > 2.0  # README: min centre gaps 2.5-2.8 m


def test_lanelets(case):
    path, (_v, _n, _d, lanelets, _vmax), s = case
    lanes = s.lanes[str(path)]
    assert len(lanes) == lanelets
    for ln in lanes:
        assert ln.centre.shape == ln.left.shape == ln.right.shape
        np.testing.assert_allclose(ln.centre, 0.5 * (ln.left + ln.right))


def test_both_layouts_same_result_shape(tmp_path):
    """The same agent written in the 2018b and the 2020a layout reads the same."""
    state = ("<state><position><point><x>{x}</x><y>0</y></point></position><orientation><exact>0</exact>"
             "</orientation><time><exact>{k}</exact></time><velocity><exact>10</exact></velocity></state>")
    states = "".join(state.format(x=k * 1.0, k=k) for k in range(1, 20))
    body = ("<type>car</type><shape><rectangle><length>4.5</length><width>1.8</width></rectangle></shape>"
            f"<trajectory>{states}</trajectory>")
    old = f'<commonRoad timeStepSize="0.1" commonRoadVersion="2018b"><obstacle id="1"><role>dynamic</role>{body}</obstacle>' \
          f'<obstacle id="2"><role>static</role>{body}</obstacle></commonRoad>'
    new = f'<commonRoad timeStepSize="0.1" commonRoadVersion="2020a"><dynamicObstacle id="1">{body}</dynamicObstacle>' \
          '</commonRoad>'
    (tmp_path / "a.xml").write_text(old)
    (tmp_path / "b.xml").write_text(new)
    a, b = CommonRoadReader.read(tmp_path / "a.xml"), CommonRoadReader().read(tmp_path / "b.xml")
    assert a.n_agents == b.n_agents == 1
    np.testing.assert_allclose(a.trajectories, b.trajectories, equal_nan=True)
    assert a.info[str(tmp_path / "a.xml")]["stats"]["static_class_dropped"] == 1
    np.testing.assert_allclose(a.trajectories[0, 0, :, Lo.F_SPEED], 10.0, atol=1e-5)


def test_windows_give_many_samples():
    parts = [read_log(need(NGSIM / f)) for f in sorted(CASES)]
    total = 0
    for s in parts:
        w = make_windows(s, 3.0, stride=1.0)
        total += w.size
        assert np.all(w.mask[:, 0, :])  # the ego is present throughout
        assert np.all(np.nanmean(w.trajectories[:, 0, :, Lo.F_SPEED], axis=1) >= 1.0)
    assert total >= 100
