"""ETH/UCY reader: counts, 2.5 Hz input resampled to 0.1 s, pedestrian speeds."""

from __future__ import annotations

import numpy as np
import pytest

from scenariogen.logs import make_windows, read_log
from scenariogen.logs.ethucy import EthUcyReader
from scenariogen.data import layout as Lo

from logs_helpers import ETH, need

# file: (pedestrians, approx duration s, speed p50, p99) from the data README
CASES = {"crowds_zara01.txt": (148, 360, 1.15, 1.82), "students001.txt": (415, 177, 0.52, 1.64),
         "biwi_hotel.txt": (389, 722, 1.27, 2.18)}


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request):
    path = need(ETH / request.param)
    return path, CASES[request.param], read_log(path)


def test_counts_rate_speeds(case):
    path, (peds, duration, p50, p99), s = case
    info = s.info[str(path)]
    assert info["stats"]["tracks_read"] == peds
    assert info["raw_dt"] == pytest.approx(0.4)
    assert s.dt == pytest.approx(0.1)
    assert s.duration == pytest.approx(duration, rel=0.02)
    assert np.all(s.kinds == Lo.KIND_CODES["pedestrian"])
    st = info["stats"]
    assert s.n_agents == peds - len(st["static_dropped"]) - len(st["short_dropped"]) - len(
        st["duplicates_merged"]) - len(st["handoffs_joined"])
    sp = s.trajectories[..., Lo.F_SPEED][s.mask]
    assert np.all(np.isfinite(sp))
    assert np.percentile(sp, 50) == pytest.approx(p50, abs=0.2)
    assert np.percentile(sp, 99) == pytest.approx(p99, abs=0.2)
    assert sp.max() < 4.0
    h = s.trajectories[..., Lo.F_HEADING][s.mask]
    assert np.all(np.abs(h) <= np.pi + 1e-6)


def test_frames_are_interpolated_linearly(tmp_path):
    rows = [f"{f}\t1.0\t{0.5 * k:.3f}\t2.0" for k, f in enumerate(range(0, 200, 10))]
    (tmp_path / "walk.txt").write_text("\n".join(rows) + "\n")
    s = EthUcyReader.read(tmp_path / "walk.txt")
    x = s.trajectories[0, 0, :, Lo.F_X]
    assert s.n_frames == 77  # 19 steps of 0.4 s at 0.1 s
    np.testing.assert_allclose(np.diff(x), 0.125, atol=1e-5)
    np.testing.assert_allclose(s.trajectories[0, 0, :, Lo.F_SPEED], 1.25, atol=1e-4)
    np.testing.assert_allclose(s.trajectories[0, 0, :, Lo.F_HEADING], 0.0, atol=1e-6)


def test_pedestrian_windows():
    s = read_log(need(ETH / "students001.txt"))
    w = make_windows(s, 8.0, ego_kinds=(Lo.KIND_CODES["pedestrian"],))
    assert w.size >= 500
    assert w.n_frames == 80 and np.all(w.mask[:, 0])
    assert make_windows(s, 8.0).size == 0  # no vehicle can be the ego
