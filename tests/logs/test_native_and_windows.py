"""scenariogen's own batches and run directories as logs; reader choice; windows; entry points."""

from __future__ import annotations

import tomllib
from importlib import import_module
from pathlib import Path

import numpy as np
import pytest

import scenariogen
from scenariogen.logs import LogScenes, batch_to_scenes, concat_scenes, make_windows, read_log, readers
from scenariogen.data import layout as Lo
from scenariogen.data.npz import save_npz
from scenariogen.errors import ScenarioGenError

from logs_helpers import ETH, NGSIM, SENSOR, need

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cut_in():
    spec = scenariogen.load_scenario(REPO / "scenarios" / "highway_cut_in.yaml")
    return spec, scenariogen.simulate(spec, n=6, seed=1)


def test_npz_batch_round_trip(tmp_path, cut_in):
    _spec, batch = cut_in
    path = save_npz(batch, tmp_path / "b.npz")
    s = read_log(path)
    assert isinstance(s, LogScenes) and s.size == 6 and s.dt == pytest.approx(0.1)
    assert s.trajectories.shape == batch.trajectories.shape
    m = batch.mask
    np.testing.assert_array_equal(s.trajectories[m], batch.trajectories[m])
    assert np.all(np.isnan(s.trajectories[..., Lo.F_X][~m]))
    assert s.track_ids[0, 0] == "ego" and s.info[str(path)]["spec_name"] == "highway_cut_in"
    np.testing.assert_array_equal(read_log(path, reader="scenariogen").kinds, batch.kinds)


def test_simulated_scenarios_as_real_data_are_each_a_recording(tmp_path, cut_in):
    """A run or batch used as the real side (coverage --real, calibrate --real, the collapse
    experiment): its scenarios share no traffic, so each is a recording of its own."""
    from scenariogen.coverage import real_descriptors

    spec, batch = cut_in
    path = save_npz(batch, tmp_path / "b.npz")
    rl = real_descriptors(path, window=3.0, dt=spec.dt)
    recs = set(rl.recordings.tolist())
    assert 1 < len(recs) <= 6 and all(r.startswith(f"{path}#") for r in recs)
    assert len(set(rl.groups.tolist())) > len(recs)  # every vehicle takes the ego's role, as in real logs
    with pytest.raises(ScenarioGenError, match="recorded at every step"):
        real_descriptors(path, window=3.0, dt=0.2)


def test_run_directory(tmp_path):
    from scenariogen.runs.generate import GenerateSettings, generate

    spec = scenariogen.load_scenario(REPO / "scenarios" / "highway_cut_in.yaml")
    out = tmp_path / "run"
    generate(spec, out, GenerateSettings(sampler="mc", target="near_miss", seed=1, budget=60, shard_size=25,
                                         stage_size=60, keep="all"), progress=False)
    s = read_log(out)
    assert s.size == 60 and s.n_frames == 80
    assert sorted(s.info[str(out)]["indices"].tolist()) == list(range(60))


def test_reader_choice_by_extension_and_content(tmp_path):
    xml = need(NGSIM / "USA_US101-3_3_T-1.xml")
    renamed = tmp_path / "scene.dat"
    renamed.write_bytes(xml.read_bytes())
    a, b = read_log(xml), read_log(renamed)
    np.testing.assert_array_equal(a.trajectories, b.trajectories)
    eth = tmp_path / "peds.log"
    eth.write_bytes(need(ETH / "crowds_zara03.txt").read_bytes())
    assert read_log(eth).info[str(eth)]["format"] == "eth-ucy"
    if (SENSOR / "adcf7d18-0510-35b0-a2fa-b4cea13a6d76").exists():
        pytest.importorskip("pyarrow")
        s = read_log(SENSOR / "adcf7d18-0510-35b0-a2fa-b4cea13a6d76")
        assert s.info[s.source]["format"] == "av2-sensor"


def test_reader_protocol_and_entry_points():
    conf = tomllib.loads((REPO / "pyproject.toml").read_text())
    eps = conf["project"]["entry-points"]["scenariogen.readers"]
    reg = readers()
    assert set(eps) == {"commonroad", "av2", "eth-ucy", "scenariogen"} <= set(reg.names())
    for name, target in eps.items():
        mod, attr = target.split(":")
        r = getattr(import_module(mod), attr)
        assert type(reg.get(name)) is r and r.name == name
        assert isinstance(r.extensions, tuple) and all(e.startswith(".") for e in r.extensions)
        assert isinstance(r.format_version, str) and r.format_version
        assert isinstance(r.requires, tuple) and callable(r.read)
    assert reg.get("av2").requires == ("pyarrow",)
    assert "pyarrow>=14" in conf["project"]["optional-dependencies"]["parquet"]
    assert any(d.startswith("pyarrow") for d in conf["project"]["optional-dependencies"]["test"])


def test_windows_reorder_ego_and_concat(cut_in):
    _spec, batch = cut_in
    s = batch_to_scenes(batch, "sim")
    w = make_windows(s, 4.0, stride=2.0, max_agents=5)
    T = s.n_frames
    starts = len(range(0, T - 40 + 1, 20))
    assert w.n_frames == 40 and w.n_agents <= 5 and w.size >= starts * s.size  # several egos per window
    assert np.all(w.mask[:, 0]) and np.all(np.isin(w.kinds[:, 0], [0, 1, 2, 3]))
    assert len(set(w.track_ids[:, 0])) > 1  # different agents took the ego's role
    both = concat_scenes([w, make_windows(read_log(need(NGSIM / "USA_US101-4_1_T-1.xml")), 4.0)])
    assert both.size > w.size and both.n_frames == 40
    assert set(np.unique(both.sources)) >= {"sim"}
    with pytest.raises(ValueError, match="different dt"):
        concat_scenes([w, make_windows(s, 3.0)])


def test_window_content_matches_source():
    s = read_log(need(NGSIM / "USA_US101-4_1_T-1.xml"))
    w = make_windows(s, 5.0, stride=2.5)
    assert w.size >= 20
    for r in range(0, w.size, 7):
        k = int(round(w.t0[r] / s.dt))
        for n, tid in enumerate(w.track_ids[r]):
            if tid == "":
                continue
            i = int(np.flatnonzero(s.track_ids[0] == tid)[0])
            np.testing.assert_array_equal(w.trajectories[r, n], s.trajectories[0, i, k:k + 50])
        # agents after the ego are ordered by their closest approach to it
        rel = w.trajectories[r, 1:, :, :2] - w.trajectories[r, :1, :, :2]
        d = np.hypot(rel[..., 0], rel[..., 1])
        dmin = np.nanmin(np.where(w.mask[r, 1:], d, np.inf), axis=1)
        assert np.all(np.diff(dmin[np.isfinite(dmin)]) >= -1e-4)
