"""Pictures of one simulated scenario: a PNG/SVG frame or an animated GIF.

This is what a user opens first to understand a rare case, so every frame shows:

* the road (lanes as asphalt, white lane edges, dashed between lanes of one
  direction, faint dotted centrelines) and the occluders (dark, hatched);
* every agent as an oriented box (pedestrians as circles) coloured by kind, the
  ego in blue, with a heading tick, a fading trail of its last seconds and, for
  named actors, its name and speed;
* the ego sensor's field of view (range and opening from the spec) with the
  regions shadowed by occluders shaded; with perception outputs in the batch,
  agents the sensor cannot see are drawn dashed, the ego's tracks as crosses,
  and a "SENSOR DROPOUT" badge marks frames of a dropout burst;
* the closest approach of the ego to any agent (box distance, from the recorded
  trajectories): a line between the two boxes with the distance;
* a header with the scenario name and index, the time, the events that fired
  and the key metrics, and a timeline of the ego's gap to its nearest agent
  with the current time, the closest approach, dropouts and collisions.

Public API: :func:`render` (format from the file name), :func:`render_frame`,
:func:`render_animation`, and :func:`load_run` for an ``.npz`` file or a
directory of ``.npz`` shards. matplotlib is optional (``pip install
scenariogen[viz]``); without it every entry point raises
:class:`~scenariogen.errors.ScenarioGenError`.
"""

from __future__ import annotations

import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Polygon
from shapely.ops import unary_union

from .errors import ScenarioGenError
from .data import layout as Lo
from .data.files import check_output_file, default_mode

__all__ = ["FORMATS", "animation_frames", "load_run", "render", "render_animation", "render_frame"]

FORMATS = (".png", ".svg", ".gif")
DEFAULT_MAX_FRAMES = 100
DEFAULT_FPS = 10
TRAIL_SECONDS = 3.0

# ---------------------------------------------------------------- colours
GROUND = "#e4e9df"
ASPHALT = "#50555c"
MARKING = "#f4f4f4"
DIVIDER = "#f2c14e"
CENTRELINE = "#8a9098"
OCCLUDER = "#263238"
EGO = "#1e88e5"
KIND_COLORS = {
    "car": "#b8c4cc",
    "truck": "#a1887f",
    "bus": "#9575cd",
    "motorcycle": "#4db6ac",
    "bicycle": "#81c784",
    "pedestrian": "#ff9800",
}
FOV = "#ffe066"
FOV_EDGE = "#f9a825"
SHADOW = "#11151a"
TRACK = "#ff3fa4"
ALERT = "#e53935"


def _require_matplotlib():
    try:
        import matplotlib  # noqa: F401
        from matplotlib.figure import Figure  # noqa: F401
    except ImportError:
        raise ScenarioGenError(
            "rendering needs matplotlib, which is not installed: pip install scenariogen[viz]") from None


# ====================================================================== input


def _shard_rows(path: Path) -> int:
    try:
        with np.load(path) as z:
            return int(z["indices"].shape[0])
    except KeyError:
        raise ScenarioGenError(f"{path}: not a scenariogen batch file (no 'indices' array)") from None
    except Exception:  # noqa: BLE001 - any unreadable shard is a user-facing error
        raise ScenarioGenError(f"{path}: not a scenariogen batch file (cannot read it as an .npz archive)") from None


def load_run(path: str | Path, index: int) -> tuple[Any, int]:
    """Open ``path`` (an ``.npz`` from ``scenariogen simulate``, a ``scenariogen generate`` run
    directory, whose kept scenarios are taken in the manifest's order, or a directory of ``.npz``
    shards, taken in name order) and return ``(batch, row)`` holding scenario number ``index``
    (counted over the file, or over the shards in order)."""
    from .data.npz import load_npz
    from .data.run import MANIFEST, open_run

    path = Path(path)
    if not path.exists():
        raise ScenarioGenError(f"{path}: no such file or directory")
    if path.is_dir() and (path / MANIFEST).exists():
        run = open_run(path, complete=False)
        if not any(rec.kept for rec in run.manifest.shards):
            raise ScenarioGenError(f"{path}: the run kept no scenarios")
        return run.scenario(index)
    if path.is_dir():
        shards = sorted(p for p in path.glob("*.npz") if p.is_file())
        if not shards:
            raise ScenarioGenError(f"{path}: directory holds no .npz shards and no run manifest")
    elif path.suffix == ".npz":
        shards = [path]
    else:
        raise ScenarioGenError(f"{path}: expected an .npz file written by 'scenariogen simulate' "
                               "or a run directory of .npz shards")
    counts = [_shard_rows(p) for p in shards]
    total = sum(counts)
    if not isinstance(index, (int, np.integer)) or not 0 <= index < total:
        span = f"0..{total - 1}" if total else "none"
        raise ScenarioGenError(f"index {index} out of range: {path} holds {total} scenarios (index {span})")
    start = 0
    for shard, count in zip(shards, counts):
        if index < start + count:
            return load_npz(shard), int(index - start)
        start += count
    raise AssertionError("unreachable")  # pragma: no cover


# ====================================================================== scene


@dataclass
class _Scene:
    """Everything one picture of scenario ``row`` needs, in plain arrays."""

    spec: Any
    road: Any
    row: int
    scenario_id: int
    name: str
    agent_names: tuple[str, ...]
    kinds: list[str]
    sizes: np.ndarray  # (N, 2) length, width
    traj: np.ndarray  # (N, T, F)
    mask: np.ndarray  # (N, T)
    times: np.ndarray  # (T,) s
    agents: np.ndarray  # indices of agents present at some frame
    boxes: np.ndarray  # (N, T) shapely polygons (None where absent)
    dist: np.ndarray  # (N, T) box distance to the ego (inf where absent); row 0 inf
    key_agent: int  # agent of the closest approach (-1: none)
    key_frame: int  # frame of the closest approach
    key_dist: float
    sensor: dict | None  # range, fov (rad), mount (x, y), threshold
    perception: dict  # the batch's arrays for this row, checked shapes
    labels: dict
    metrics: dict
    events: tuple
    occluders: list  # (name, Polygon)
    collision: tuple[float, int, int]  # time, a, b (inf, -1, -1)
    named: np.ndarray  # (N,) bool named actor (not background traffic)
    lanes: dict  # lane id -> lane polygon (m)
    asphalt: Any  # union of the lane polygons


def _box_polygons(traj: np.ndarray, sizes: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(N, T) array of shapely polygons of every agent's box, None where absent."""
    N, T = mask.shape
    x, y, h = traj[..., Lo.F_X], traj[..., Lo.F_Y], traj[..., Lo.F_HEADING]
    hl = sizes[:, 0, None] / 2.0
    hw = sizes[:, 1, None] / 2.0
    c, s = np.cos(h), np.sin(h)
    corners = []
    for sl, sw in ((1, 1), (-1, 1), (-1, -1), (1, -1)):
        corners.append(np.stack([x + sl * hl * c - sw * hw * s, y + sl * hl * s + sw * hw * c], axis=-1))
    ring = np.stack(corners + [corners[0]], axis=-2).astype(np.float64)  # (N, T, 5, 2)
    polys = np.empty((N, T), dtype=object)
    polys[mask] = shapely.polygons(ring[mask])
    return polys


def _resolve(value, theta_row, space) -> float | None:
    try:
        return float(value.resolve(theta_row, space))
    except Exception:  # noqa: BLE001 - a theta that does not match the spec: fall back
        try:
            lo, hi = space.parameters[space.index(value.name)].bounds
            return float((lo + hi) / 2) if np.isfinite(lo + hi) else None
        except Exception:  # noqa: BLE001
            return None


def _scene(batch, row: int) -> _Scene:
    from .dsl import parse_text
    from .road import build_road

    prov = batch.provenance or {}
    text = prov.get("spec_text")
    if not text:
        raise ScenarioGenError("the batch carries no scenario YAML (provenance['spec_text']); "
                               "re-simulate it with this version of scenariogen")
    spec = parse_text(text, file=f"<{prov.get('spec_name', 'scenario')} from provenance>")
    B = batch.size
    if not 0 <= row < B:
        raise ScenarioGenError(f"index {row} out of range: the batch holds {B} scenarios (index 0..{B - 1})")
    traj = np.asarray(batch.trajectories[row], dtype=np.float64)
    if traj.shape[1] == 0:
        raise ScenarioGenError("the batch holds no trajectories (simulated with --metrics-only / record='none'); "
                               "simulate again with trajectories to render it")
    mask = np.asarray(batch.mask[row], dtype=bool)
    N, T = mask.shape
    step = int(prov.get("frame_step", 1) or 1)
    dt = float(prov.get("dt", spec.dt))
    times = np.arange(T) * dt * step
    sizes = np.asarray(batch.sizes[row], dtype=np.float64)
    kinds = [Lo.KIND_NAMES[int(k)] if 0 <= int(k) < len(Lo.KIND_NAMES) else "car" for k in batch.kinds[row]]
    agents = np.flatnonzero(mask.any(axis=1))
    boxes = _box_polygons(traj, sizes, mask)

    dist = np.full((N, T), np.inf)
    for t in range(T):
        if not mask[0, t]:
            continue
        others = np.flatnonzero(mask[1:, t]) + 1
        if len(others):
            dist[others, t] = shapely.distance(boxes[0, t], boxes[others, t])
    if np.isfinite(dist).any():
        key_agent, key_frame = (int(v) for v in np.unravel_index(np.argmin(dist), dist.shape))
        key_dist = float(dist[key_agent, key_frame])
    else:
        key_agent, key_frame, key_dist = -1, 0, math.inf

    sensor = None
    ego_spec = next((a for a in spec.actors if a.name == "ego"), None)
    if ego_spec is not None and ego_spec.sensor is not None:
        sen = ego_spec.sensor
        theta_row = np.asarray(batch.theta[row]) if batch.theta.ndim == 2 else None
        rng = _resolve(sen.range, theta_row, spec.parameters)
        fov = _resolve(sen.fov_deg, theta_row, spec.parameters)
        if rng and fov:
            sensor = {"range": rng, "fov": math.radians(min(fov, 360.0)), "mount": (sen.mount_x, sen.mount_y),
                      "threshold": float(sen.visible_threshold)}

    perception = {}
    shapes = {"visible": (N, T), "detected": (N, T), "tracked": (N, T), "track_xy": (N, T, 2), "dropout": (T,)}
    for key, shape in shapes.items():
        arr = (batch.perception or {}).get(key)
        if arr is not None and tuple(np.shape(arr)[1:]) == shape and np.shape(arr)[0] == B:
            perception[key] = np.asarray(arr[row])

    road = build_road(spec.road)
    lanes = _lane_polygons(road)
    asphalt = unary_union(list(lanes.values())).buffer(0.05).buffer(-0.05)
    named_set = {a.name for a in spec.actors}
    named = np.array([n in named_set for n in batch.agent_names])
    m = batch.metrics
    ctime = float(m.get("collision_time", [math.inf] * B)[row])
    ca = int(m.get("collision_a", [-1] * B)[row])
    cb = int(m.get("collision_b", [-1] * B)[row])
    return _Scene(
        spec=spec, road=road, row=row, scenario_id=int(batch.indices[row]), name=spec.name,
        agent_names=tuple(batch.agent_names), kinds=kinds, sizes=sizes, traj=traj, mask=mask, times=times,
        agents=agents, boxes=boxes, dist=dist, key_agent=key_agent, key_frame=key_frame, key_dist=key_dist,
        sensor=sensor, perception=perception,
        labels={k: bool(v[row]) for k, v in batch.labels.items()},
        metrics={k: float(v[row]) for k, v in m.items()},
        events=spec.events,
        occluders=[(o.name, Polygon(o.polygon)) for o in spec.occluders],
        collision=(ctime, ca, cb), named=named, lanes=lanes, asphalt=asphalt,
    )


# ====================================================================== geometry helpers


def _geom_patch(geom, **kw):
    """A matplotlib patch for a shapely (Multi)Polygon, holes included; None if empty."""
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MPath

    if geom is None or geom.is_empty:
        return None
    polys = [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, Polygon) and not g.is_empty]
    if not polys:
        return None
    paths = []
    for p in polys:
        for ring in [p.exterior, *p.interiors]:
            xy = np.asarray(ring.coords)
            codes = np.full(len(xy), MPath.LINETO, dtype=np.uint8)
            codes[0] = MPath.MOVETO
            codes[-1] = MPath.CLOSEPOLY
            paths.append(MPath(xy, codes))
    return PathPatch(MPath.make_compound_path(*paths), **kw)


def _sensor_pose(scene: _Scene, t: int) -> tuple[float, float, float]:
    x, y, h = scene.traj[0, t, Lo.F_X], scene.traj[0, t, Lo.F_Y], scene.traj[0, t, Lo.F_HEADING]
    mx, my = scene.sensor["mount"]
    return x + mx * math.cos(h) - my * math.sin(h), y + mx * math.sin(h) + my * math.cos(h), h


def _wedge(sx: float, sy: float, h: float, rng: float, fov: float) -> Polygon:
    a = np.linspace(h - fov / 2, h + fov / 2, max(8, int(math.degrees(fov) / 3)))
    arc = np.stack([sx + rng * np.cos(a), sy + rng * np.sin(a)], axis=1)
    pts = arc if fov >= 2 * math.pi - 1e-6 else np.vstack([[sx, sy], arc])
    return Polygon(pts).buffer(0)


def _shadow(poly: Polygon, sx: float, sy: float, reach: float) -> Polygon | None:
    """The region hidden behind ``poly`` as seen from (sx, sy), out to ``reach`` m."""
    if poly.contains(shapely.Point(sx, sy)):
        return None
    hull = poly.convex_hull
    pts = np.asarray(hull.exterior.coords)[:-1]
    d = pts - [sx, sy]
    n = np.hypot(d[:, 0], d[:, 1])
    far = np.array([sx, sy]) + d / np.maximum(n, 1e-9)[:, None] * reach
    return shapely.MultiPoint(np.vstack([pts, far])).convex_hull.difference(poly)


# ====================================================================== drawing: static


def _lane_polygons(road) -> dict[str, Polygon]:
    return {lid: lane.centerline.buffer(lane.width / 2.0, cap_style="flat") for lid, lane in road.lanes.items()}


def _overlapping_lanes(road, polys: dict[str, Polygon]) -> set[str]:
    """Lanes that substantially overlap unrelated lanes (junction connectors): no edge lines for them."""
    ids = list(polys)
    tree = shapely.STRtree([polys[i] for i in ids])
    out = set()
    for lid in ids:
        p = polys[lid]
        related = {lid, road.left(lid), road.right(lid), *road.successors(lid), *road.predecessors(lid)}
        for j in tree.query(p):
            other = ids[int(j)]
            if other in related:
                continue
            if p.intersection(polys[other]).area > 0.1 * p.area:
                out.add(lid)
                break
    return out


def _draw_road(ax, scene: _Scene) -> None:
    from matplotlib.collections import LineCollection

    road, polys = scene.road, scene.lanes
    patch = _geom_patch(scene.asphalt, facecolor=ASPHALT, edgecolor="#3b3f44", linewidth=0.8, zorder=1)
    if patch is not None:
        ax.add_patch(patch)
    junction = _overlapping_lanes(road, polys)
    solid, dashed, divider, centre = [], [], [], []
    left_edges = {}
    for lid, lane in road.lanes.items():
        centre.append(lane.centerline)
        if lid in junction:
            continue
        w = lane.width / 2.0
        left = lane.centerline.offset_curve(w)
        right = lane.centerline.offset_curve(-w)
        if road.left(lid):
            dashed.append(left)
        else:
            left_edges[lid] = left
        if not road.right(lid):
            solid.append(right)
    # A left edge with no same-direction neighbour that runs along another lane's left
    # edge is the divider between the two directions; otherwise it is the road's edge.
    ids = list(left_edges)
    for lid in ids:
        edge = left_edges[lid]
        near = edge.buffer(0.15)
        shared = any(o != lid and near.intersection(left_edges[o]).length > 0.5 * edge.length for o in ids)
        (divider if shared else solid).append(edge)

    def segs(lines):
        out = []
        for g in lines:
            for part in getattr(g, "geoms", [g]):
                if not part.is_empty:
                    out.append(np.asarray(part.coords))
        return out

    ax.add_collection(LineCollection(segs(centre), colors=CENTRELINE, linewidths=0.6, linestyles=(0, (1, 4)),
                                     alpha=0.7, zorder=2))
    ax.add_collection(LineCollection(segs(solid), colors=MARKING, linewidths=1.4, zorder=3))
    ax.add_collection(LineCollection(segs(dashed), colors=MARKING, linewidths=1.2, linestyles=(0, (6, 6)),
                                     zorder=3))
    ax.add_collection(LineCollection(segs(divider), colors=DIVIDER, linewidths=1.6, zorder=3))


def _draw_occluders(ax, scene: _Scene) -> None:
    for name, poly in scene.occluders:
        patch = _geom_patch(poly, facecolor=OCCLUDER, edgecolor="#90a4ae", hatch="///", linewidth=1.0,
                            zorder=7)
        if patch is not None:
            ax.add_patch(patch)
        c = poly.representative_point()
        ax.text(c.x, c.y, name, color="#eceff1", fontsize=7, ha="center", va="center", zorder=8,
                bbox=dict(boxstyle="round,pad=0.15", fc=OCCLUDER, ec="none", alpha=0.85), clip_on=True)


# ====================================================================== drawing: per frame


def _agent_color(scene: _Scene, i: int) -> str:
    return EGO if i == 0 else KIND_COLORS.get(scene.kinds[i], KIND_COLORS["car"])


def _hidden(scene: _Scene, i: int, t: int) -> bool:
    """True when the agent lies in the sensor's field of view but the sensor cannot see it."""
    vis = scene.perception.get("visible")
    if vis is None or scene.sensor is None or i == 0:
        return False
    if vis[i, t] >= scene.sensor["threshold"]:
        return False
    sx, sy, h = _sensor_pose(scene, t)
    dx, dy = scene.traj[i, t, Lo.F_X] - sx, scene.traj[i, t, Lo.F_Y] - sy
    bearing = (math.atan2(dy, dx) - h + math.pi) % (2 * math.pi) - math.pi
    return math.hypot(dx, dy) <= scene.sensor["range"] and abs(bearing) <= scene.sensor["fov"] / 2


def _draw_sensor(ax, scene: _Scene, t: int, arts: list) -> None:
    if scene.sensor is None or not scene.mask[0, t]:
        return
    sx, sy, h = _sensor_pose(scene, t)
    rng, fov = scene.sensor["range"], scene.sensor["fov"]
    wedge = _wedge(sx, sy, h, rng, fov)
    dropout = bool(scene.perception.get("dropout", np.zeros(len(scene.times), bool))[t])
    shadows = [s for _, p in scene.occluders if (s := _shadow(p, sx, sy, rng * 1.5)) is not None]
    shadow = unary_union(shadows).intersection(wedge) if shadows else None
    visible = wedge.difference(shadow) if shadow is not None and not shadow.is_empty else wedge
    if dropout:
        p = _geom_patch(wedge, facecolor=ALERT, alpha=0.10, edgecolor=ALERT, linestyle="--", linewidth=1.0,
                        zorder=4)
    else:
        p = _geom_patch(visible, facecolor=FOV, alpha=0.16, edgecolor="none", zorder=4)
        if p is not None:
            arts.append(ax.add_patch(p))
        p = _geom_patch(wedge, facecolor="none", edgecolor=FOV_EDGE, alpha=0.9, linewidth=1.0, zorder=4)
    if p is not None:
        arts.append(ax.add_patch(p))
    if shadow is not None and not shadow.is_empty:
        p = _geom_patch(shadow, facecolor=SHADOW, alpha=0.35, edgecolor="none", zorder=4)
        if p is not None:
            arts.append(ax.add_patch(p))


def _trail_frames(scene: _Scene) -> int:
    dt_frame = scene.times[1] - scene.times[0] if len(scene.times) > 1 else 0.1
    return max(2, int(round(TRAIL_SECONDS / max(dt_frame, 1e-6))))


def _draw_trails(ax, scene: _Scene, t: int, arts: list) -> None:
    from matplotlib.collections import LineCollection
    from matplotlib.colors import to_rgba

    n = _trail_frames(scene)
    t0 = max(0, t - n)
    segs, cols = [], []
    for i in scene.agents:
        ok = scene.mask[i, t0:t + 1]
        xy = scene.traj[i, t0:t + 1, :2]
        base = to_rgba(_agent_color(scene, i))
        for k in range(len(xy) - 1):
            if ok[k] and ok[k + 1]:
                segs.append(xy[k:k + 2])
                age = (t - (t0 + k)) / n
                cols.append((*base[:3], 0.75 * (1.0 - age) ** 1.5))
    if segs:
        lw = 2.2 if len(scene.agents) < 40 else 1.4
        arts.append(ax.add_collection(LineCollection(segs, colors=cols, linewidths=lw, capstyle="round",
                                                     zorder=5)))


def _draw_agents(ax, scene: _Scene, t: int, arts: list) -> None:
    from matplotlib.patches import Circle

    ctime, ca, cb = scene.collision
    crashed = {ca, cb} if scene.times[t] >= ctime else set()
    for i in scene.agents:
        if not scene.mask[i, t]:
            continue
        x, y, h = scene.traj[i, t, Lo.F_X], scene.traj[i, t, Lo.F_Y], scene.traj[i, t, Lo.F_HEADING]
        L, W = scene.sizes[i]
        color = _agent_color(scene, i)
        hidden = _hidden(scene, i, t)
        edge = ALERT if i in crashed else ("#0d47a1" if i == 0 else "#1c2226")
        small = scene.kinds[i] in ("pedestrian", "bicycle", "motorcycle")
        style = dict(facecolor=color, edgecolor=edge, linewidth=2.2 if i in crashed else 1.0,
                     zorder=9.5 if small else 9,
                     alpha=0.4 if hidden else 1.0, linestyle=(0, (3, 2)) if hidden else "-")
        if hidden:
            style.update(edgecolor="#fff59d", linewidth=1.4)
        r = max(0.3, 0.5 * max(L, W))
        if scene.kinds[i] == "pedestrian":
            arts.append(ax.add_patch(Circle((x, y), r, **style)))
            front = r
        else:
            p = _geom_patch(scene.boxes[i, t], **style)
            arts.append(ax.add_patch(p))
            front = L / 2
        c, s = math.cos(h), math.sin(h)
        tick = max(0.8, 0.25 * L)
        tc = "#0d47a1" if i == 0 else "#263238"
        arts.extend(ax.plot([x + c * front, x + c * (front + tick)], [y + s * front, y + s * (front + tick)],
                            color=tc, linewidth=1.6, solid_capstyle="round", zorder=10, alpha=0.5 if hidden else 1.0))
        if i != 0 and (scene.named[i] or i == scene.key_agent):
            v = scene.traj[i, t, Lo.F_SPEED]
            label = f"{scene.agent_names[i]}  {v:.1f} m/s" + ("  (hidden)" if hidden else "")
            top = y + r if scene.kinds[i] == "pedestrian" else scene.boxes[i, t].bounds[3]
            arts.append(ax.annotate(label, (x, top), xytext=(0, 5), textcoords="offset points", ha="center",
                                    va="bottom", fontsize=8, color="#102027", zorder=12, clip_on=True,
                                    bbox=dict(boxstyle="round,pad=0.2", fc="white", ec=color, lw=1.0, alpha=0.85)))


def _draw_tracks(ax, scene: _Scene, t: int, arts: list) -> None:
    tracked, xy = scene.perception.get("tracked"), scene.perception.get("track_xy")
    if tracked is None or xy is None:
        return
    det = scene.perception.get("detected")
    on = np.flatnonzero(tracked[:, t] & scene.mask[:, t])
    on = on[on != 0]
    if not len(on):
        return
    seen = det[on, t] if det is not None else np.ones(len(on), bool)
    for sel, alpha in ((seen, 1.0), (~seen, 0.45)):
        if sel.any():
            arts.append(ax.scatter(xy[on[sel], t, 0], xy[on[sel], t, 1], marker="x", s=38, linewidths=2.0,
                                   color=TRACK, alpha=alpha, zorder=11))


def _draw_closest(ax, scene: _Scene, t: int, arts: list) -> None:
    k = scene.key_agent
    if k < 0 or not (scene.mask[0, t] and scene.mask[k, t]):
        return
    d = scene.dist[k, t]
    if not np.isfinite(d) or d > 60:
        return
    at_key = t == scene.key_frame
    if d > 1e-6:
        line = shapely.shortest_line(scene.boxes[0, t], scene.boxes[k, t])
        (x0, y0), (x1, y1) = np.asarray(line.coords)
    else:
        p = scene.boxes[0, t].intersection(scene.boxes[k, t]).centroid
        x0 = x1 = p.x
        y0 = y1 = p.y
    color = ALERT if at_key else "#fafafa"
    arts.extend(ax.plot([x0, x1], [y0, y1], color=color, linewidth=2.0 if at_key else 1.2,
                        linestyle="-" if at_key else (0, (2, 2)), zorder=13, solid_capstyle="round"))
    arts.append(ax.scatter([x0, x1], [y0, y1], s=14, color=color, zorder=13))
    text = f"{d:.2f} m" + ("  closest approach" if at_key else "")
    bottom = min(scene.boxes[0, t].bounds[1], scene.boxes[k, t].bounds[1])
    arts.append(ax.annotate(text, ((x0 + x1) / 2, bottom), xytext=(0, -5), textcoords="offset points",
                            ha="center", va="top", fontsize=8.5, color="white" if at_key else "#102027",
                            fontweight="bold" if at_key else "normal", zorder=14, clip_on=True,
                            bbox=dict(boxstyle="round,pad=0.25", fc=ALERT if at_key else "white", ec="none",
                                      alpha=0.9)))


def _badges(ax, scene: _Scene, t: int, arts: list) -> None:
    y = 0.965
    badges = []
    if bool(scene.perception.get("dropout", np.zeros(len(scene.times), bool))[t]):
        badges.append("SENSOR DROPOUT")
    if scene.times[t] >= scene.collision[0]:
        badges.append("COLLISION")
    for text in badges:
        arts.append(ax.text(0.012, y, text, transform=ax.transAxes, ha="left", va="top", fontsize=11,
                            fontweight="bold", color="white", zorder=20,
                            bbox=dict(boxstyle="round,pad=0.35", fc=ALERT, ec="white", lw=1.2)))
        y -= 0.09
    ego_v = f"   ego {scene.traj[0, t, Lo.F_SPEED]:.1f} m/s" if scene.mask[0, t] else ""
    arts.append(ax.text(0.988, 0.965, f"t = {scene.times[t]:.1f} s{ego_v}", transform=ax.transAxes, ha="right",
                        va="top", fontsize=11, color="#102027", zorder=20, family="monospace",
                        bbox=dict(boxstyle="round,pad=0.3", fc="white", ec="#90a4ae", alpha=0.9)))


def _draw_frame(ax, scene: _Scene, t: int) -> list:
    arts: list = []
    _draw_sensor(ax, scene, t, arts)
    _draw_trails(ax, scene, t, arts)
    _draw_agents(ax, scene, t, arts)
    _draw_tracks(ax, scene, t, arts)
    _draw_closest(ax, scene, t, arts)
    _badges(ax, scene, t, arts)
    return arts


# ====================================================================== camera


def _focus_box(scene: _Scene, t: int) -> np.ndarray:
    """xmin, ymin, xmax, ymax (m) of what frame ``t`` must show: the ego, the road
    around and just ahead of it, and the agent of the closest approach when it is near."""
    pts = []
    if scene.mask[0, t]:
        x, y, h = scene.traj[0, t, :3]
        c, s = math.cos(h), math.sin(h)
        pts += [(x, y), (x + 28 * c, y + 28 * s), (x - 12 * c, y - 12 * s)]
        near = scene.asphalt.intersection(shapely.Point(x + 8 * c, y + 8 * s).buffer(22.0))
        if not near.is_empty:
            b = near.bounds
            pts += [(b[0], b[1]), (b[2], b[3])]
    k = scene.key_agent
    if k >= 0 and scene.mask[k, t] and scene.dist[k, t] < 40:
        pts.append(tuple(scene.traj[k, t, :2]))
    if not pts:  # ego absent: everything present
        pts = [tuple(p) for p in scene.traj[scene.mask[:, t], t, :2]] or [(0.0, 0.0)]
    pts = np.asarray(pts)
    return np.concatenate([pts.min(axis=0), pts.max(axis=0)])


def _fit(box: np.ndarray, aspect: float, margin: float = 5.0, min_w: float = 60.0) -> np.ndarray:
    """Grow ``box`` by ``margin`` and to at least ``min_w`` wide, then to width/height ``aspect``."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    w = max(box[2] - box[0] + 2 * margin, min_w)
    h = max(box[3] - box[1] + 2 * margin, min_w / 3.0)
    if w / h < aspect:
        w = h * aspect
    else:
        h = w / aspect
    return np.array([cx, cy, w, h])


def _aspect_for(boxes: list[np.ndarray], margin: float = 5.0, min_w: float = 60.0) -> float:
    """Width/height of the view: that of the largest fitted box, kept within [1.25, 3]."""
    w = max(max(b[2] - b[0] + 2 * margin, min_w) for b in boxes)
    h = max(max(b[3] - b[1] + 2 * margin, min_w / 3.0) for b in boxes)
    return float(np.clip(w / h, 1.25, 3.0))


def _set_view(ax, view: np.ndarray) -> None:
    cx, cy, w, h = view
    ax.set_xlim(cx - w / 2, cx + w / 2)
    ax.set_ylim(cy - h / 2, cy + h / 2)


# ====================================================================== figure


def _fmt(v: float, unit: str, digits: int = 2) -> str:
    return f"{v:.{digits}f} {unit}" if np.isfinite(v) else "none"


def _figure(scene: _Scene, aspect: float):
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
    _draw_road(ax, scene)
    _draw_occluders(ax, scene)

    # header: name, fired events, key metrics
    fig.text(0.2 / W, 1 - 0.12 / H, f"{scene.name}  ·  scenario {scene.scenario_id}", fontsize=14,
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


def _timeline(fig, scene: _Scene, W: float, H: float, foot_h: float):
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


def _legend(fig, scene: _Scene, W: float, H: float, foot_h: float) -> None:
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


def _scale_bar(ax) -> None:
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


# ====================================================================== writing


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


def _frame_of(scene: _Scene, time: float | None) -> int:
    if time is None:
        return scene.key_frame
    t = float(time)
    end = scene.times[-1]
    if not math.isfinite(t) or t < -1e-9 or t > end + 1e-9:
        raise ScenarioGenError(f"--time {time:g} s is outside the scenario (0 .. {end:g} s)")
    return int(np.argmin(np.abs(scene.times - t)))


def render_frame(batch, index: int, out_path: str | Path, time: float | None = None, *, dpi: int = 110) -> Path:
    """Draw scenario ``index`` (row of ``batch``) at ``time`` seconds (default: the
    closest approach of the ego to any agent) to a ``.png`` or ``.svg`` file, atomically."""
    _require_matplotlib()
    out = _check_out(out_path, (".png", ".svg"))
    scene = _scene(batch, int(index))
    t = _frame_of(scene, time)
    box = _focus_box(scene, t)
    aspect = _aspect_for([box])
    fig, ax, tl = _figure(scene, aspect)
    _set_view(ax, _fit(box, aspect))
    _scale_bar(ax)
    _draw_frame(ax, scene, t)
    tl.axvline(scene.times[t], color="#102027", linewidth=1.2)
    tmp = _tmp_for(out)
    try:
        fig.savefig(tmp, dpi=dpi, format=out.suffix.lower()[1:], facecolor="white")
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out


def _smooth(a: np.ndarray, k: int) -> np.ndarray:
    if len(a) <= 2 or k <= 1:
        return a
    pad = np.pad(a, ((k // 2, k // 2), (0, 0)), mode="edge")
    kern = np.ones(k) / k
    return np.stack([np.convolve(pad[:, j], kern, mode="valid") for j in range(a.shape[1])], axis=1)[:len(a)]


def render_animation(batch, index: int, out_path: str | Path, *, max_frames: int = DEFAULT_MAX_FRAMES,
                     fps: int = DEFAULT_FPS, dpi: int = 80) -> Path:
    """Animate scenario ``index`` (row of ``batch``) to a ``.gif`` file, atomically: at
    most ``max_frames`` frames (every k-th recorded frame), ``fps`` frames per second,
    with a camera that follows the ego."""
    _require_matplotlib()
    from matplotlib.animation import PillowWriter

    out = _check_out(out_path, (".gif",))
    if int(max_frames) < 1:
        raise ScenarioGenError(f"max_frames must be at least 1, got {max_frames}")
    if int(fps) < 1:
        raise ScenarioGenError(f"fps must be at least 1, got {fps}")
    scene = _scene(batch, int(index))
    frames = animation_frames(len(scene.times), max_frames)
    boxes = [_focus_box(scene, t) for t in frames]
    aspect = _aspect_for(boxes)
    views = np.array([_fit(b, aspect) for b in boxes])
    # one view size for the whole clip (no zoom pumping): what 90 % of the frames need
    w = float(np.clip(max(np.quantile(views[:, 2], 0.9), np.quantile(views[:, 3], 0.9) * aspect), 60.0, 160.0))
    views[:, 2], views[:, 3] = w, w / aspect
    views[:, :2] = _smooth(views[:, :2], 5)
    fig, ax, tl = _figure(scene, aspect)
    _set_view(ax, views[0])
    _scale_bar(ax)
    cursor = tl.axvline(scene.times[frames[0]], color="#102027", linewidth=1.2)
    tmp = _tmp_for(out)
    try:
        writer = PillowWriter(fps=int(fps))
        with writer.saving(fig, str(tmp), dpi):
            for view, t in zip(views, frames):
                _set_view(ax, view)
                cursor.set_xdata([scene.times[t], scene.times[t]])
                arts = _draw_frame(ax, scene, t)
                writer.grab_frame(facecolor="white")
                for a in arts:
                    a.remove()
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
           max_frames: int = DEFAULT_MAX_FRAMES, fps: int = DEFAULT_FPS) -> Path:
    """Render scenario ``index`` of ``batch``: a frame for ``.png``/``.svg`` (at ``time``
    seconds, default the closest approach), an animation for ``.gif``."""
    out = _check_out(out_path, FORMATS)
    if out.suffix.lower() == ".gif":
        if time is not None:
            raise ScenarioGenError("--time picks one frame of a .png or .svg; a .gif shows the whole scenario")
        return render_animation(batch, index, out, max_frames=max_frames, fps=fps)
    return render_frame(batch, index, out, time)
