"""What a render shows (issue 28): the camera options (``--follow``, ``--window``, ``--whole``), a
stuck merger far from the ego, and labels on the side of their own box, away from the ego."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import scenariogen  # noqa: E402
from scenariogen.cli import main  # noqa: E402
from scenariogen.data import layout as Lo  # noqa: E402
from scenariogen.data.npz import save_npz  # noqa: E402
from scenariogen.errors import ParameterError  # noqa: E402
from scenariogen.render import View, render_frame  # noqa: E402

MERGE = Path(__file__).resolve().parents[2] / "scenarios" / "on_ramp_merge.yaml"


@pytest.fixture(scope="module")
def stuck(tmp_path_factory):
    """An on-ramp merge whose merger never moves from its start while the ego drives 250 m on."""
    batch = scenariogen.simulate(scenariogen.load_scenario(MERGE), 1, seed=1)
    m = batch.agent_names.index("merger")
    traj = batch.trajectories.copy()
    traj[0, m] = traj[0, m, 0]
    traj[0, m, :, Lo.F_SPEED] = 0.0
    mask = batch.mask.copy()
    mask[0, m] = True
    batch = dataclasses.replace(batch, trajectories=traj, mask=mask)
    path = tmp_path_factory.mktemp("stuck") / "stuck.npz"
    save_npz(batch, path)
    return batch, path


def _svg(batch, tmp_path, name, **kw) -> str:
    out = tmp_path / f"{name}.svg"
    with matplotlib.rc_context({"svg.fonttype": "none"}):  # text stays <text>
        render_frame(batch, 0, out, **kw)
    return out.read_text()


def test_whole_and_follow_show_the_stuck_merger(stuck, tmp_path):
    batch, _ = stuck
    end = float((batch.trajectories.shape[2] - 1) * batch.frame_dt())
    label = "merger  0.0 m/s"  # its label, drawn when it is in view
    assert label not in _svg(batch, tmp_path, "ego", time=end)  # 250 m behind the ego's camera
    assert label in _svg(batch, tmp_path, "whole", time=end, view=View(whole=True))
    assert label in _svg(batch, tmp_path, "follow", time=end, view=View(follow="merger"))
    x0, y0 = (float(v) for v in batch.trajectories[0, 1, 0, :2])
    assert label in _svg(batch, tmp_path, "win", time=end, view=View(window=(x0 - 20, y0 - 10, x0 + 20, y0 + 10)))
    assert label not in _svg(batch, tmp_path, "away", time=end, view=View(window=(x0 + 50, y0 - 10, x0 + 90, y0 + 10)))


def test_cli_view_options(stuck, tmp_path, capsys):
    _, path = stuck
    assert main(["render", str(path), "--whole", "--out", str(tmp_path / "w.png")]) == 0
    assert main(["render", str(path), "--follow", "merger", "--out", str(tmp_path / "f.gif"), "--max-frames", "4"]) == 0
    assert main(["render", str(path), "--window", "0", "-20", "200", "20", "--out", str(tmp_path / "x.png")]) == 0
    capsys.readouterr()
    assert main(["render", str(path), "--follow", "mergr", "--out", str(tmp_path / "e.png")]) == 2
    err = capsys.readouterr().err
    assert "--follow" in err and "no agent 'mergr'" in err and "merger" in err
    assert main(["render", str(path), "--window", "10", "0", "5", "20", "--out", str(tmp_path / "e.png")]) == 2
    assert "--window" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["render", str(path), "--whole", "--follow", "ego", "--out", str(tmp_path / "e.png")])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.gif", "w.png", "x.png"]


def test_view_is_checked():
    with pytest.raises(ParameterError, match="give one of them"):
        View(follow="ego", whole=True)
    with pytest.raises(ParameterError, match="X0 < X1"):
        View(window=(0, 0, 0, 5))


@pytest.mark.parametrize("side", [-1, 1])
def test_a_label_sits_on_its_own_box_away_from_the_ego(stuck, side):
    """The merger drives 1.6 m beside the ego, below it or above it: its label never covers the ego."""
    from scenariogen.render.draw import draw_frame
    from scenariogen.render.figure import aspect_for, figure, fit, focus_box, set_view
    from scenariogen.render.scene import build_scene

    batch, _ = stuck
    traj = batch.trajectories.copy()
    m = batch.agent_names.index("merger")
    traj[0, m] = traj[0, 0]
    traj[0, m, :, Lo.F_Y] += side * (float(batch.sizes[0, 0, 1]) / 2 + float(batch.sizes[0, m, 1]) / 2 + 1.6)
    scene = build_scene(dataclasses.replace(batch, trajectories=traj), 0)
    t = scene.key_frame
    fig, ax, _ = figure(scene, aspect_for([focus_box(scene, t)]))
    set_view(ax, fit(focus_box(scene, t), aspect_for([focus_box(scene, t)])))
    arts = draw_frame(ax, scene, t)
    fig.canvas.draw()
    label = next(a for a in arts if getattr(a, "get_text", lambda: "")().startswith("merger"))
    box = label.get_bbox_patch().get_window_extent()
    ego = ax.transData.transform(np.asarray(scene.boxes[0, t].exterior.coords))
    merger = ax.transData.transform(np.asarray(scene.boxes[m, t].exterior.coords))
    if side < 0:
        assert box.y1 <= merger[:, 1].min() + 1e-6 < ego[:, 1].min()  # under the merger, the ego above it
    else:
        assert box.y0 >= merger[:, 1].max() - 1e-6 > ego[:, 1].max()
