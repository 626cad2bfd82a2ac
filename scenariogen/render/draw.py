"""Drawing a :class:`~.scene.Scene` on matplotlib axes: the static road and occluders, and the
artists of one frame (sensor field of view and shadows, trails, agents, tracks, closest approach,
badges). matplotlib is imported only when drawing."""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry import Polygon
from shapely.ops import unary_union

from ..data import layout as Lo
from .scene import Scene
from .style import (ALERT, ASPHALT, CENTRELINE, DIVIDER, EGO, FOV, FOV_EDGE, KIND_COLORS, MARKING, OCCLUDER,
                    SHADOW, TRACK, TRAIL_SECONDS)


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


# ---------------------------------------------------- sensor geometry


def _sensor_pose(scene: Scene, t: int) -> tuple[float, float, float]:
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


# ----------------------------------------- static: road and occluders


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


def draw_road(ax, scene: Scene) -> None:
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


def draw_occluders(ax, scene: Scene) -> None:
    for name, poly in scene.occluders:
        patch = _geom_patch(poly, facecolor=OCCLUDER, edgecolor="#90a4ae", hatch="///", linewidth=1.0,
                            zorder=7)
        if patch is not None:
            ax.add_patch(patch)
        c = poly.representative_point()
        ax.text(c.x, c.y, name, color="#eceff1", fontsize=7, ha="center", va="center", zorder=8,
                bbox=dict(boxstyle="round,pad=0.15", fc=OCCLUDER, ec="none", alpha=0.85), clip_on=True)


# ---------------------------------------------------------- per frame


def _agent_color(scene: Scene, i: int) -> str:
    return EGO if i == 0 else KIND_COLORS.get(scene.kinds[i], KIND_COLORS["car"])


def _hidden(scene: Scene, i: int, t: int) -> bool:
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


def _draw_sensor(ax, scene: Scene, t: int, arts: list) -> None:
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


def _trail_frames(scene: Scene) -> int:
    dt_frame = scene.times[1] - scene.times[0] if len(scene.times) > 1 else 0.1
    return max(2, int(round(TRAIL_SECONDS / max(dt_frame, 1e-6))))


def _draw_trails(ax, scene: Scene, t: int, arts: list) -> None:
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


def _draw_agents(ax, scene: Scene, t: int, arts: list) -> None:
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
            # on the side of the box away from the ego, tied to it by a short line: a label between
            # two boxes side by side cannot be read as the other one's
            below = scene.mask[0, t] and y < scene.traj[0, t, Lo.F_Y] - 0.5
            lo, hi = (y - r, y + r) if scene.kinds[i] == "pedestrian" else scene.boxes[i, t].bounds[1::2]
            arts.append(ax.annotate(label, (x, lo if below else hi), xytext=(0, -9 if below else 9),
                                    textcoords="offset points", ha="center", va="top" if below else "bottom",
                                    fontsize=8, color="#102027", zorder=12, clip_on=True,
                                    arrowprops=dict(arrowstyle="-", color="#102027", lw=0.8, shrinkA=0, shrinkB=0),
                                    bbox=dict(boxstyle="round,pad=0.2", fc="white", ec=color, lw=1.0, alpha=0.85)))


def _draw_tracks(ax, scene: Scene, t: int, arts: list) -> None:
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


def _draw_closest(ax, scene: Scene, t: int, arts: list) -> None:
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
    # beside both boxes, level with the line (the agents' labels sit above and below their boxes):
    # on their left, or on their right when the left edge of the view is too close
    left = min(scene.boxes[0, t].bounds[0], scene.boxes[k, t].bounds[0])
    right = max(scene.boxes[0, t].bounds[2], scene.boxes[k, t].bounds[2])
    x_lo, x_hi = ax.get_xlim()
    on_left = left - x_lo > 0.25 * (x_hi - x_lo)
    arts.append(ax.annotate(text, (left if on_left else right, (y0 + y1) / 2), xytext=(-6 if on_left else 6, 0),
                            textcoords="offset points", ha="right" if on_left else "left", va="center",
                            fontsize=8.5, color="white" if at_key else "#102027",
                            fontweight="bold" if at_key else "normal", zorder=14, clip_on=True,
                            bbox=dict(boxstyle="round,pad=0.25", fc=ALERT if at_key else "white", ec="none",
                                      alpha=0.9)))


def _badges(ax, scene: Scene, t: int, arts: list) -> None:
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


def draw_frame(ax, scene: Scene, t: int) -> list:
    arts: list = []
    _draw_sensor(ax, scene, t, arts)
    _draw_trails(ax, scene, t, arts)
    _draw_agents(ax, scene, t, arts)
    _draw_tracks(ax, scene, t, arts)
    _draw_closest(ax, scene, t, arts)
    _badges(ax, scene, t, arts)
    return arts
