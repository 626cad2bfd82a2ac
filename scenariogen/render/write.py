"""Writing pictures atomically: a frame (.png/.svg) at a chosen time, an animated .gif with a
camera that follows the ego, and :func:`render`, which picks one by the file name."""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

import numpy as np

from ..data.files import check_output_file, default_mode
from ..errors import ParameterError, ScenarioGenError
from .draw import draw_frame
from .figure import View, agent_index, aspect_for, figure, fit, fixed_box, focus_box, scale_bar, set_view, smooth
from .scene import Scene, build_scene
from .style import DEFAULT_FPS, DEFAULT_MAX_FRAMES, FORMATS


def _require_matplotlib():
    try:
        import matplotlib  # noqa: F401
        from matplotlib.figure import Figure  # noqa: F401
    except ImportError:
        raise ScenarioGenError(
            "rendering needs matplotlib, which is not installed: pip install scenariogen[viz]") from None


def _check_out(out_path: str | Path, allowed: tuple[str, ...]) -> Path:
    out = Path(out_path)
    if out.suffix.lower() not in allowed:
        raise ScenarioGenError(f"{out}: output must end in {', '.join(allowed)} (got {out.suffix or 'no extension'!r})")
    return out


def _tmp_for(out: Path) -> Path:
    check_output_file(out)  # a parent that is a file is named as such, not reported as "File exists"
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{out.stem}.", suffix=f".tmp{out.suffix.lower()}", dir=out.parent)
    except OSError as exc:
        raise ScenarioGenError(f"{out}: cannot write here ({exc.strerror or exc})") from None
    os.close(fd)
    default_mode(tmp)  # the picture gets ordinary file permissions, not mkstemp's 0600
    return Path(tmp)


def _frame_of(scene: Scene, time: float | None) -> int:
    if time is None:
        return scene.key_frame
    t = float(time)
    end = scene.times[-1]
    if not math.isfinite(t) or t < -1e-9 or t > end + 1e-9:
        raise ParameterError("time", f"{time:g} s is outside the scenario (0 .. {end:g} s)")
    return int(np.argmin(np.abs(scene.times - t)))


def render_frame(batch, index: int, out_path: str | Path, time: float | None = None, *, dpi: int = 110,
                 view: View | None = None) -> Path:
    """Draw scenario ``index`` (row of ``batch``) at ``time`` seconds (default: the
    closest approach of the ego to any agent) to a ``.png`` or ``.svg`` file, atomically;
    ``view``: what the camera shows (default: around the ego)."""
    _require_matplotlib()
    out = _check_out(out_path, (".png", ".svg"))
    view = view or View()
    scene = build_scene(batch, int(index))
    t = _frame_of(scene, time)
    follow = agent_index(scene, view.follow) if view.follow else 0
    box = fixed_box(scene, view) if view.fixed() else focus_box(scene, t, follow)
    aspect = aspect_for([box])
    fig, ax, tl = figure(scene, aspect)
    set_view(ax, fit(box, aspect, margin=0.0 if view.window is not None else 5.0))
    scale_bar(ax)
    draw_frame(ax, scene, t)
    tl.axvline(scene.times[t], color="#102027", linewidth=1.2)
    tmp = _tmp_for(out)
    try:
        fig.savefig(tmp, dpi=dpi, format=out.suffix.lower()[1:], facecolor="white")
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out


def render_animation(batch, index: int, out_path: str | Path, *, max_frames: int = DEFAULT_MAX_FRAMES,
                     fps: int = DEFAULT_FPS, dpi: int = 80, view: View | None = None) -> Path:
    """Animate scenario ``index`` (row of ``batch``) to a ``.gif`` file, atomically: at
    most ``max_frames`` frames (every k-th recorded frame), ``fps`` frames per second,
    with a camera that follows the ego (or what ``view`` says)."""
    _require_matplotlib()
    from PIL import Image

    out = _check_out(out_path, (".gif",))
    if int(max_frames) < 1:
        raise ScenarioGenError(f"max_frames must be at least 1, got {max_frames}")
    if int(fps) < 1:
        raise ScenarioGenError(f"fps must be at least 1, got {fps}")
    view = view or View()
    scene = build_scene(batch, int(index))
    frames = animation_frames(len(scene.times), max_frames)
    if view.fixed():
        box = fixed_box(scene, view)
        aspect = aspect_for([box])
        views = np.repeat(fit(box, aspect, margin=0.0 if view.window is not None else 5.0)[None], len(frames), 0)
    else:
        follow = agent_index(scene, view.follow) if view.follow else 0
        boxes = [focus_box(scene, t, follow) for t in frames]
        aspect = aspect_for(boxes)
        views = np.array([fit(b, aspect) for b in boxes])
        # one view size for the whole clip (no zoom pumping): what 90 % of the frames need
        w = float(np.clip(max(np.quantile(views[:, 2], 0.9), np.quantile(views[:, 3], 0.9) * aspect), 60.0, 160.0))
        views[:, 2], views[:, 3] = w, w / aspect
        views[:, :2] = smooth(views[:, :2], 5)
    fig, ax, tl = figure(scene, aspect)
    fig.set_dpi(dpi)
    set_view(ax, views[0])
    scale_bar(ax)
    cursor = tl.axvline(scene.times[frames[0]], color="#102027", linewidth=1.2, animated=True)
    # Everything but the map and the time cursor is drawn once; each frame restores that
    # background and draws only the map axes and the cursor over it (blitting).
    ax.set_animated(True)
    canvas = fig.canvas
    canvas.draw()
    background = canvas.copy_from_bbox(fig.bbox)
    size = canvas.get_width_height()
    tmp = _tmp_for(out)
    try:
        images = []
        for v, t in zip(views, frames):
            canvas.restore_region(background)
            set_view(ax, v)
            cursor.set_xdata([scene.times[t], scene.times[t]])
            arts = draw_frame(ax, scene, t)
            fig.draw_artist(ax)
            tl.draw_artist(cursor)
            rgb = Image.frombuffer("RGBA", size, canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB")
            images.append(rgb.quantize(255, method=Image.Quantize.FASTOCTREE))  # 3 ms; median cut takes 30
            for a in arts:
                a.remove()
        images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:], loop=0,
                       duration=int(round(1000 / int(fps))), disposal=1)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out


def animation_frames(n_recorded: int, max_frames: int = DEFAULT_MAX_FRAMES) -> list[int]:
    """The recorded frames a GIF shows: every k-th, k the smallest step giving at most ``max_frames``."""
    step = max(1, math.ceil(n_recorded / max(1, int(max_frames))))
    return list(range(0, n_recorded, step))


def render(batch, index: int, out_path: str | Path, time: float | None = None, *,
           max_frames: int = DEFAULT_MAX_FRAMES, fps: int = DEFAULT_FPS, view: View | None = None) -> Path:
    """Render scenario ``index`` of ``batch``: a frame for ``.png``/``.svg`` (at ``time``
    seconds, default the closest approach), an animation for ``.gif``; ``view``: the camera."""
    out = _check_out(out_path, FORMATS)
    if out.suffix.lower() == ".gif":
        if time is not None:
            raise ParameterError("time", "picks one frame of a .png or .svg; a .gif shows the whole scenario")
        return render_animation(batch, index, out, max_frames=max_frames, fps=fps, view=view)
    return render_frame(batch, index, out, time, view=view)
