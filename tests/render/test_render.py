"""Rendering: a frame (.png/.svg) and an animation (.gif) of every example scenario,
perception overlays, the ``render`` command and its user errors."""

from __future__ import annotations

import dataclasses
import math
import sys
from pathlib import Path

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
Image = pytest.importorskip("PIL.Image")

import scenariogen  # noqa: E402
from scenariogen.cli import main  # noqa: E402
from scenariogen.errors import ScenarioGenError  # noqa: E402
from scenariogen.render import animation_frames, find_scenario, render, render_animation, render_frame  # noqa: E402
from scenariogen.data.npz import save_npz  # noqa: E402

SCENARIOS = sorted(Path(__file__).resolve().parents[2].joinpath("scenarios").glob("*.yaml"))
GIF_FRAMES = 12


@pytest.fixture(scope="module")
def batches() -> dict:
    return {p.stem: scenariogen.simulate(scenariogen.load_scenario(p), n=2, seed=1) for p in SCENARIOS}


def _with_perception(batch):
    """The batch with made-up perception arrays: agent 1 unseen for the first half,
    a dropout burst in frames 30..35, noisy tracks of everything detected."""
    B, N, T, _ = batch.trajectories.shape
    visible = np.ones((B, N, T), np.float32)
    visible[:, 1, : T // 2] = 0.05
    dropout = np.zeros((B, T), bool)
    dropout[:, 30:36] = True
    detected = (visible >= 0.3) & ~dropout[:, None, :]
    tracked = detected.copy()
    tracked[:, :, 30:36] = True
    rng = np.random.default_rng(0)
    track_xy = batch.trajectories[..., :2] + rng.normal(0, 0.3, (B, N, T, 2)).astype(np.float32)
    perception = dict(visible=visible, detected=detected, tracked=tracked, track_xy=track_xy, dropout=dropout)
    return dataclasses.replace(batch, perception=perception)


def _svg_text(batch, tmp_path: Path, **kw) -> str:
    out = tmp_path / "frame.svg"
    with matplotlib.rc_context({"svg.fonttype": "none"}):  # keep text as <text>, so it can be searched
        render_frame(batch, 0, out, **kw)
    return out.read_text()


def test_every_example_is_in_the_fixture(batches):
    assert len(batches) >= 6


@pytest.mark.parametrize("name", [p.stem for p in SCENARIOS])
def test_png_and_gif_of_every_example(batches, name, tmp_path):
    batch = batches[name]
    png = render(batch, 0, tmp_path / f"{name}.png")
    with Image.open(png) as im:
        assert im.format == "PNG"
        assert im.size[0] >= 1000 and im.size[1] >= 400
    gif = render(batch, 0, tmp_path / f"{name}.gif", max_frames=GIF_FRAMES)
    T = batch.trajectories.shape[2]
    expected = len(range(0, T, math.ceil(T / GIF_FRAMES)))
    assert expected == len(animation_frames(T, GIF_FRAMES)) <= GIF_FRAMES
    with Image.open(gif) as im:
        assert im.format == "GIF"
        assert im.n_frames == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([f"{name}.png", f"{name}.gif"])  # no temp files


def test_animation_frame_step():
    assert animation_frames(80, 100) == list(range(80))
    assert animation_frames(120, 100) == list(range(0, 120, 2))
    assert len(animation_frames(1000, 100)) == 100
    assert animation_frames(1, 12) == [0]


def test_svg_frame_shows_closest_approach_and_events(batches, tmp_path):
    batch = batches["highway_cut_in"]
    text = _svg_text(batch, tmp_path)
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    assert "highway_cut_in" in text and "closest approach" in text and "min TTC" in text
    assert "SENSOR DROPOUT" not in text  # no perception arrays: no badge, no tracks


def test_perception_overlays(batches, tmp_path):
    batch = _with_perception(batches["pedestrian_behind_van"])
    dt = batch.provenance["dt"] * batch.provenance["frame_step"]
    text = _svg_text(batch, tmp_path, time=32 * dt)  # inside the dropout burst
    assert "SENSOR DROPOUT" in text and "ego track" in text and "occluder" in text
    text = _svg_text(batch, tmp_path, time=50 * dt)
    assert "SENSOR DROPOUT" not in text
    gif = render_animation(batch, 1, tmp_path / "p.gif", max_frames=6)
    with Image.open(gif) as im:
        assert im.n_frames == len(animation_frames(batch.trajectories.shape[2], 6))


def test_perception_with_wrong_shapes_is_ignored(batches, tmp_path):
    batch = batches["highway_cut_in"]
    bad = dataclasses.replace(batch, perception={"visible": np.zeros((1, 2, 3), np.float32),
                                                 "dropout": np.ones((2, 5), bool)})
    assert "SENSOR DROPOUT" not in _svg_text(bad, tmp_path)


def test_time_picks_the_frame(batches, tmp_path):
    batch = batches["leader_hard_brake"]
    assert "t = 2.0 s" in _svg_text(batch, tmp_path, time=2.0)
    with pytest.raises(ScenarioGenError, match="outside the scenario"):
        render_frame(batch, 0, tmp_path / "x.png", time=1e3)
    with pytest.raises(ScenarioGenError, match="whole scenario"):
        render(batch, 0, tmp_path / "x.gif", time=1.0)


def test_api_errors(batches, tmp_path):
    batch = batches["highway_cut_in"]
    with pytest.raises(ScenarioGenError, match="out of range"):
        render(batch, 2, tmp_path / "x.png")
    with pytest.raises(ScenarioGenError, match=r"\.png, \.svg, \.gif"):
        render(batch, 0, tmp_path / "x.jpg")
    no_traj = dataclasses.replace(batch, trajectories=batch.trajectories[:, :, :0], mask=batch.mask[:, :, :0])
    with pytest.raises(ScenarioGenError, match="no trajectories"):
        render(no_traj, 0, tmp_path / "x.png")
    no_spec = dataclasses.replace(batch, provenance={k: v for k, v in batch.provenance.items() if k != "spec_text"})
    with pytest.raises(ScenarioGenError, match="scenario YAML"):
        render(no_spec, 0, tmp_path / "x.png")
    assert list(tmp_path.iterdir()) == []


def test_matplotlib_missing(batches, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    with pytest.raises(ScenarioGenError, match=r"pip install scenariogen\[viz\]"):
        render(batches["highway_cut_in"], 0, tmp_path / "x.png")


def test_find_scenario_by_row_in_a_file_and_shards(batches, tmp_path):
    batch = batches["highway_cut_in"]
    save_npz(batch, tmp_path / "run" / "shard-000.npz")
    save_npz(batch, tmp_path / "run" / "shard-001.npz")
    b, row = find_scenario(tmp_path / "run" / "shard-000.npz", row=1)[:2]
    assert row == 1 and b.size == 2
    b, row = find_scenario(tmp_path / "run", row=3)[:2]  # the second row of the second shard
    assert row == 1
    with pytest.raises(ScenarioGenError, match="holds 4 scenarios"):
        find_scenario(tmp_path / "run", row=4)[:2]
    (tmp_path / "empty").mkdir()
    with pytest.raises(ScenarioGenError, match="no .npz shards"):
        find_scenario(tmp_path / "empty", row=0)[:2]


def test_find_scenario_by_row_in_a_generate_run_directory(tmp_path):
    """A ``scenariogen generate`` run directory: its kept scenarios, in the manifest's order."""
    from scenariogen.data.run import open_run
    from scenariogen.runs import GenerateSettings, generate

    spec = scenariogen.load_scenario(next(p for p in SCENARIOS if p.stem == "highway_cut_in"))
    generate(spec, tmp_path / "gen", GenerateSettings(sampler="mc", target="near_miss", budget=600, shard_size=200,
                                                      keep="all"), progress=False)
    whole = open_run(tmp_path / "gen").batch()
    b, row = find_scenario(tmp_path / "gen", row=450)[:2]
    assert b.indices[row] == whole.indices[450] == 450


# ------------------------------------------------------------------ CLI


@pytest.fixture(scope="module")
def saved(batches, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("render_cli") / "cut_in.npz"
    save_npz(batches["highway_cut_in"], path)
    return path


def test_cli_render_png(saved, tmp_path, capsys):
    out = tmp_path / "pics" / "one.png"
    assert main(["render", str(saved), "--index", "1", "--out", str(out)]) == 0
    assert "highway_cut_in scenario id 1 (row 1 of cut_in.npz)" in capsys.readouterr().out
    with Image.open(out) as im:
        assert im.format == "PNG"
    assert main(["render", str(saved), "--out", str(tmp_path / "t.png"), "--time", "1.5"]) == 0


def test_cli_render_gif(saved, tmp_path):
    out = tmp_path / "a.gif"
    assert main(["render", str(saved), "--out", str(out), "--max-frames", "5"]) == 0
    with Image.open(out) as im:
        assert im.n_frames == 5


@pytest.mark.parametrize("args, message", [
    (["--index", "7"], "out of range"),
    (["--index", "-1"], "out of range"),
    (["--out", "{tmp}/x.jpg"], "must end in .png, .svg or .gif"),
    (["--out", "{tmp}/x"], "must end in .png, .svg or .gif"),
    (["--time", "100"], "outside the scenario"),
    (["--time", "1", "--out", "{tmp}/x.gif"], "whole scenario"),
])
def test_cli_render_errors(saved, tmp_path, capsys, args, message):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    if "--out" not in args:
        args += ["--out", str(tmp_path / "x.png")]
    assert main(["render", str(saved), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_cli_render_bad_inputs(tmp_path, capsys):
    assert main(["render", str(tmp_path / "missing.npz"), "--out", str(tmp_path / "x.png")]) == 2
    assert "no such file" in capsys.readouterr().err
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not an archive")
    assert main(["render", str(junk), "--out", str(tmp_path / "x.png")]) == 2
    assert "not a scenariogen batch file" in capsys.readouterr().err
