"""Speed of what a user looks at: the report of a 2 000-scenario run, a PNG and a 100-frame GIF.

    python -m pytest benchmarks/test_report.py --benchmark-only -s

- ``scenariogen report`` of 2 000 kept cut-ins (plain MC, every scenario kept; 18 agent slots x
  80 frames each): the table, one animated SVG per scenario and the page. Target: under a minute.
- ``render`` of one ``leader_hard_brake`` scenario (100 recorded frames) as a PNG, and as a GIF
  of all 100 frames. Target for the GIF: under 10 s. The reference, measured in the same run, is
  how the GIF was made before issue 28: matplotlib's ``PillowWriter`` redrawing the whole figure
  and Pillow's median-cut palette for every frame.

CPU times are of this process (``time.process_time``); the load average says how busy the shared
machine was.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import scenariogen
from benchmarks.conftest import REPO_ROOT, machine_info, summary

pytest.importorskip("matplotlib")


def _timed(fn):
    c, w = time.process_time(), time.perf_counter()
    out = fn()
    return out, time.process_time() - c, time.perf_counter() - w


def test_report_of_2000_scenarios(benchmark, tmp_path):
    from scenariogen.api import report
    from scenariogen.runs import GenerateSettings, generate

    spec = scenariogen.load_scenario(REPO_ROOT / "scenarios" / "highway_cut_in.yaml")
    generate(spec, tmp_path / "run", GenerateSettings(sampler="mc", target="near_miss", budget=2000, keep="all",
                                                      seed=1), progress=False)
    res, cpu, wall = benchmark.pedantic(lambda: _timed(lambda: report(tmp_path / "run", tmp_path / "page")),
                                        rounds=1, iterations=1)
    size = sum(p.stat().st_size for p in Path(res.out).rglob("*") if p.is_file())
    info = {"scenarios": res.scenarios, "cpu_s": round(cpu, 2), "wall_s": round(wall, 2),
            "page_kb": round(res.page.stat().st_size / 1024), "folder_mb": round(size / 2**20, 1), **machine_info()}
    benchmark.extra_info.update(info)
    assert res.scenarios == 2000
    summary(f"report of {res.scenarios} scenarios: {wall:.1f} s wall, {cpu:.1f} s CPU (target < 60 s); "
            f"index.html {info['page_kb']} kB, folder {info['folder_mb']} MB; load {info['loadavg_1min']}")


def _old_gif(batch, out, frames):
    """The GIF as it was made before issue 28: every frame a full figure redraw through PillowWriter."""
    from matplotlib.animation import PillowWriter

    from scenariogen.render.draw import draw_frame
    from scenariogen.render.figure import aspect_for, figure, fit, focus_box, scale_bar, set_view
    from scenariogen.render.scene import build_scene

    scene = build_scene(batch, 0)
    boxes = [focus_box(scene, t) for t in frames]
    aspect = aspect_for(boxes)
    fig, ax, tl = figure(scene, aspect)
    set_view(ax, fit(boxes[0], aspect))
    scale_bar(ax)
    cursor = tl.axvline(0, color="#102027", linewidth=1.2)
    writer = PillowWriter(fps=10)
    with writer.saving(fig, str(out), 80):
        for b, t in zip(boxes, frames):
            set_view(ax, fit(b, aspect))
            cursor.set_xdata([scene.times[t]] * 2)
            arts = draw_frame(ax, scene, t)
            writer.grab_frame(facecolor="white")
            for a in arts:
                a.remove()


def test_png_and_gif(benchmark, tmp_path):
    from PIL import Image

    from scenariogen.render import animation_frames, render

    spec = scenariogen.load_scenario(REPO_ROOT / "scenarios" / "leader_hard_brake.yaml")
    batch = scenariogen.simulate(spec, 1, seed=1)
    T = batch.trajectories.shape[2]
    assert T >= 100
    render(batch, 0, tmp_path / "warm.png")  # fonts and caches, as in any later call
    _, png_cpu, png_wall = _timed(lambda: render(batch, 0, tmp_path / "a.png"))
    _, gif_cpu, gif_wall = benchmark.pedantic(lambda: _timed(lambda: render(batch, 0, tmp_path / "a.gif",
                                                                            max_frames=100)),
                                              rounds=1, iterations=1)
    frames = animation_frames(T, 100)
    _, old_cpu, old_wall = _timed(lambda: _old_gif(batch, tmp_path / "old.gif", frames))
    with Image.open(tmp_path / "a.gif") as im:
        assert im.n_frames == len(frames) == 100
    info = {"png_cpu_s": round(png_cpu, 2), "png_wall_s": round(png_wall, 2), "gif_cpu_s": round(gif_cpu, 2),
            "gif_wall_s": round(gif_wall, 2), "old_gif_cpu_s": round(old_cpu, 2),
            "old_gif_wall_s": round(old_wall, 2), **machine_info()}
    benchmark.extra_info.update(info)
    summary(f"render leader_hard_brake: PNG {png_wall:.2f} s wall ({png_cpu:.2f} s CPU); 100-frame GIF "
            f"{gif_wall:.1f} s wall ({gif_cpu:.1f} s CPU; target < 10 s), the pre-issue-28 way "
            f"{old_wall:.1f} s ({old_cpu:.1f} s CPU): {old_cpu / gif_cpu:.1f}x CPU; load {info['loadavg_1min']}")
