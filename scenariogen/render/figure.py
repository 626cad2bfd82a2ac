"""The figure around the scene: the camera (what a frame shows, the view's aspect, smoothing for
animations), the layout with its header, the gap timeline, the legend and the scale bar."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely

from ..errors import ParameterError
from .draw import draw_occluders, draw_road
from .scene import Scene
from .style import ALERT, EGO, FOV, GROUND, KIND_COLORS, OCCLUDER, SHADOW, TRACK


# ------------------------------------------------------------- camera


@dataclass(frozen=True)
class View:
    """What the camera shows. Default: it follows the ego (and the agent of the closest approach
    when it is near). ``follow``: an agent's name (``merger``, ``traffic0.3``) to follow instead;
    ``window``: a fixed x0, y0, x1, y1 (m); ``whole``: every agent over the whole scenario."""

    follow: str | None = None
    window: tuple[float, float, float, float] | None = None
    whole: bool = False

    def __post_init__(self) -> None:
        if sum((self.follow is not None, self.window is not None, self.whole)) > 1:
            raise ParameterError("view", "follow, window and whole each choose the view: give one of them")
        if self.window is not None:
            x0, y0, x1, y1 = (float(v) for v in self.window)
            if not all(math.isfinite(v) for v in (x0, y0, x1, y1)) or x1 <= x0 or y1 <= y0:
                raise ParameterError("window", f"{' '.join(f'{v:g}' for v in self.window)}: expected X0 Y0 X1 Y1 "
                                     "in metres with X0 < X1 and Y0 < Y1")

    def fixed(self) -> bool:
        """True when the view does not move (window or whole)."""
        return self.window is not None or self.whole


def agent_index(scene: Scene, name: str) -> int:
    """The slot of the agent called ``name``; a clear error listing the names otherwise."""
    if name in scene.agent_names:
        i = scene.agent_names.index(name)
        if i in scene.agents:
            return i
    present = [scene.agent_names[i] for i in scene.agents]
    raise ParameterError("follow", f"no agent {name!r} in this scenario; its agents: {', '.join(present)}")


def fixed_box(scene: Scene, view: View) -> np.ndarray:
    """xmin, ymin, xmax, ymax (m) of a fixed view: the window, or every agent over the whole scenario."""
    if view.window is not None:
        return np.asarray(view.window, dtype=np.float64)
    xy = scene.traj[..., :2][scene.mask]
    if not len(xy):
        return np.array([-30.0, -10.0, 30.0, 10.0])
    r = float(np.max(scene.sizes[scene.agents])) if len(scene.agents) else 5.0
    return np.concatenate([xy.min(axis=0) - r, xy.max(axis=0) + r])


def focus_box(scene: Scene, t: int, follow: int = 0) -> np.ndarray:
    """xmin, ymin, xmax, ymax (m) of what frame ``t`` must show: the followed agent (the ego by
    default), the road around and just ahead of it, and the agent of the closest approach when it
    is near (or the ego, when following another agent)."""
    pts = []
    if scene.mask[follow, t]:
        x, y, h = scene.traj[follow, t, :3]
        c, s = math.cos(h), math.sin(h)
        pts += [(x, y), (x + 28 * c, y + 28 * s), (x - 12 * c, y - 12 * s)]
        near = scene.asphalt.intersection(shapely.Point(x + 8 * c, y + 8 * s).buffer(22.0))
        if not near.is_empty:
            b = near.bounds
            pts += [(b[0], b[1]), (b[2], b[3])]
    other = scene.key_agent if follow == 0 else 0
    near_ego = scene.key_agent if follow == 0 else follow  # dist holds box distances to the ego
    if other >= 0 and scene.mask[other, t] and scene.dist[near_ego, t] < 40:
        pts.append(tuple(scene.traj[other, t, :2]))
    if not pts:  # followed agent absent: everything present
        pts = [tuple(p) for p in scene.traj[scene.mask[:, t], t, :2]] or [(0.0, 0.0)]
    pts = np.asarray(pts)
    return np.concatenate([pts.min(axis=0), pts.max(axis=0)])


def fit(box: np.ndarray, aspect: float, margin: float = 5.0, min_w: float = 60.0) -> np.ndarray:
    """Grow ``box`` by ``margin`` and to at least ``min_w`` wide, then to width/height ``aspect``."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    w = max(box[2] - box[0] + 2 * margin, min_w)
    h = max(box[3] - box[1] + 2 * margin, min_w / 3.0)
    if w / h < aspect:
        w = h * aspect
    else:
        h = w / aspect
    return np.array([cx, cy, w, h])


def aspect_for(boxes: list[np.ndarray], margin: float = 5.0, min_w: float = 60.0) -> float:
    """Width/height of the view: that of the largest fitted box, kept within [1.25, 3]."""
    w = max(max(b[2] - b[0] + 2 * margin, min_w) for b in boxes)
    h = max(max(b[3] - b[1] + 2 * margin, min_w / 3.0) for b in boxes)
    return float(np.clip(w / h, 1.25, 3.0))


def set_view(ax, view: np.ndarray) -> None:
    cx, cy, w, h = view
    ax.set_xlim(cx - w / 2, cx + w / 2)
    ax.set_ylim(cy - h / 2, cy + h / 2)


def smooth(a: np.ndarray, k: int) -> np.ndarray:
    if len(a) <= 2 or k <= 1:
        return a
    pad = np.pad(a, ((k // 2, k // 2), (0, 0)), mode="edge")
    kern = np.ones(k) / k
    return np.stack([np.convolve(pad[:, j], kern, mode="valid") for j in range(a.shape[1])], axis=1)[:len(a)]


# ------------------------------------------------------------- figure


def _fmt(v: float, unit: str, digits: int = 2) -> str:
    return f"{v:.{digits}f} {unit}" if np.isfinite(v) else "none"


def figure(scene: Scene, aspect: float):
    """Figure, main axes and timeline axes with everything static drawn."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    W = 12.0
    main_w = W - 0.4
    main_h = main_w / aspect
    head_h, foot_h = 1.2, 1.25
    H = head_h + main_h + foot_h + 0.15
    fig = Figure(figsize=(W, H), facecolor="white")
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.2 / W, (foot_h + 0.05) / H, main_w / W, main_h / H))
    ax.set_facecolor(GROUND)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    for sp in ax.spines.values():
        sp.set_color("#90a4ae")
    draw_road(ax, scene)
    draw_occluders(ax, scene)

    # header: name, fired events, key metrics
    fig.text(0.2 / W, 1 - 0.12 / H, f"{scene.name}  ·  scenario id {scene.scenario_id}", fontsize=14,
             fontweight="bold", color="#102027", va="top")
    fired = [k for k, v in scene.labels.items() if v]
    target = scene.spec.target
    x = 0.2 / W
    y = 1 - 0.5 / H
    renderer = fig.canvas.get_renderer()
    chips = fired or ["no events fired"]
    for name in chips:
        hit = name in fired
        label = name + (" (target)" if name == target else "")
        txt = fig.text(x, y, label, fontsize=10, va="top", color="white" if hit else "#546e7a",
                       fontweight="bold" if hit else "normal",
                       bbox=dict(boxstyle="round,pad=0.3", fc=ALERT if hit else "#eceff1", ec="none"))
        x += txt.get_window_extent(renderer).width / fig.bbox.width + 0.012
    m = scene.metrics
    parts = [f"min TTC {_fmt(m.get('min_ttc', math.inf), 's')}",
             f"min distance {_fmt(m.get('min_distance', math.inf), 'm')}",
             f"max DRAC {_fmt(m.get('max_drac', math.inf), 'm/s²', 1)}",
             f"ego max decel {_fmt(m.get('ego_max_decel', math.inf), 'm/s²', 1)}"]
    ctime, ca, cb = scene.collision
    if np.isfinite(ctime) and ca >= 0 and cb >= 0:
        parts.append(f"collision {scene.agent_names[ca]} × {scene.agent_names[cb]} at {ctime:.1f} s")
    fig.text(0.2 / W, 1 - 0.86 / H, "   ·   ".join(parts), fontsize=10, va="top", color="#263238")
    if scene.key_agent >= 0:
        fig.text(1 - 0.2 / W, 1 - 0.12 / H,
                 f"closest approach {scene.key_dist:.2f} m to {scene.agent_names[scene.key_agent]} "
                 f"at t = {scene.times[scene.key_frame]:.1f} s", fontsize=10, ha="right", va="top", color=ALERT)

    tl = _timeline(fig, scene, W, H, foot_h)
    _legend(fig, scene, W, H, foot_h)
    return fig, ax, tl


def _timeline(fig, scene: Scene, W: float, H: float, foot_h: float):
    tl = fig.add_axes((0.75 / W, 0.35 / H, 6.6 / W, (foot_h - 0.55) / H))
    gap = scene.dist[1:].min(axis=0) if scene.dist.shape[0] > 1 else np.full(len(scene.times), np.inf)
    gap = np.where(np.isfinite(gap), gap, np.nan)
    tl.plot(scene.times, gap, color=EGO, linewidth=1.5)
    top = np.nanmax(gap) if np.isfinite(gap).any() else 10.0
    top = float(min(max(top * 1.1, 5.0), 60.0))
    tl.set_ylim(0, top)
    tl.set_xlim(scene.times[0], scene.times[-1] if len(scene.times) > 1 else 1.0)
    for e in scene.events:
        if e.type == "near_miss" and e.distance_below is not None and e.distance_below < top:
            tl.axhline(e.distance_below, color=ALERT, linewidth=0.8, linestyle=":")
    drop = scene.perception.get("dropout")
    if drop is not None and drop.any():
        step = scene.times[1] - scene.times[0] if len(scene.times) > 1 else 0.1
        d = np.concatenate([[False], drop.astype(bool), [False]]).astype(np.int8)
        starts, ends = np.flatnonzero(np.diff(d) == 1), np.flatnonzero(np.diff(d) == -1)
        for a, b in zip(starts, ends):
            tl.axvspan(scene.times[a], scene.times[b - 1] + step, color=ALERT, alpha=0.18, linewidth=0)
    if np.isfinite(scene.collision[0]):
        tl.axvline(scene.collision[0], color=ALERT, linewidth=1.5)
    if scene.key_agent >= 0:
        tl.scatter([scene.times[scene.key_frame]], [scene.key_dist], color=ALERT, s=30, zorder=5)
    tl.set_xlabel("time (s)", fontsize=8, labelpad=1)
    tl.set_ylabel("gap (m)", fontsize=8)
    tl.set_title("ego box distance to the nearest agent" + ("  (red bands: sensor dropout)"
                                                            if drop is not None and drop.any() else ""),
                 fontsize=8, loc="left", pad=3, color="#37474f")
    tl.tick_params(labelsize=7)
    for sp in ("top", "right"):
        tl.spines[sp].set_visible(False)
    return tl


def _legend(fig, scene: Scene, W: float, H: float, foot_h: float) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [Patch(facecolor=EGO, edgecolor="#0d47a1", label="ego")]
    for kind in dict.fromkeys(scene.kinds[i] for i in scene.agents if i != 0):
        handles.append(Patch(facecolor=KIND_COLORS.get(kind, KIND_COLORS["car"]), edgecolor="#1c2226", label=kind))
    if scene.occluders:
        handles.append(Patch(facecolor=OCCLUDER, edgecolor="#90a4ae", hatch="///", label="occluder"))
    if scene.sensor is not None:
        handles.append(Patch(facecolor=FOV, alpha=0.5, edgecolor=FOV, label="sensor field of view"))
        if scene.occluders:
            handles.append(Patch(facecolor=SHADOW, alpha=0.45, label="occluded"))
    if "visible" in scene.perception and scene.sensor is not None:
        handles.append(Patch(facecolor="#cfd8dc", alpha=0.5, edgecolor="#f9a825", linestyle="--",
                             label="unseen by the ego"))
    if "tracked" in scene.perception and "track_xy" in scene.perception:
        handles.append(Line2D([], [], marker="x", color=TRACK, linestyle="none", markersize=7,
                              markeredgewidth=2, label="ego track"))
    handles.append(Line2D([], [], color=ALERT, linewidth=2, label="closest approach"))
    lax = fig.add_axes((7.7 / W, 0.1 / H, (W - 7.9) / W, (foot_h - 0.15) / H))
    lax.axis("off")
    lax.legend(handles=handles, loc="center", ncol=2 if len(handles) <= 8 else 3, fontsize=8, frameon=False,
               handlelength=1.6, columnspacing=1.2)


def scale_bar(ax) -> None:
    """A scale bar in the lower left, sized to the current view (call after the limits are set)."""
    from matplotlib.font_manager import FontProperties
    from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

    x0, x1 = ax.get_xlim()
    length = next((v for v in (5, 10, 20, 25, 50, 100, 200) if v >= (x1 - x0) / 8), 500)
    bar = AnchoredSizeBar(ax.transData, length, f"{length} m", "lower left", pad=0.4, borderpad=0.6,
                          color="#102027", frameon=True, size_vertical=0.0,
                          fontproperties=FontProperties(size=8))
    bar.patch.set_alpha(0.8)
    bar.set_zorder(20)
    ax.add_artist(bar)
