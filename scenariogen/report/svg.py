"""A light animated SVG of one scenario, for the report page: the road and its occluders, every agent near the ego
and the party of its closest call as a moving box, the ego in blue, the party outlined in red, the
named actors labelled, and a time bar that turns red at a collision.

The animation is SMIL (``animateTransform``), so it plays in an ``<img>`` of any browser with no
script; a camera follows the ego and the party. One file is 10 to 30 kB, written in a few
milliseconds, so a report of thousands of scenarios stays quick to write and to open.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

import numpy as np
from shapely.geometry import box as shapely_box

from ..data import layout as Lo

MAX_FRAMES = 60  # frames of the animation (every k-th recorded one)
MIN_VIEW = 70.0  # m, narrowest view
ASPECT = 3.0  # width / height of the picture
MARGIN = 12.0  # m around the ego and the party
COLORS = {"ego": "#1e88e5", "named": "#ffb74d", "traffic": "#b8c4cc", "pedestrian": "#ff9800",
          "bicycle": "#81c784", "motorcycle": "#4db6ac", "party": "#e53935"}


@dataclass(frozen=True)
class RoadShape:
    """The road's shapely geometries (m, world frame), built once per report."""

    geometry: object  # shapely geometry of the asphalt
    edges: object  # shapely lines between lanes
    occluders: object  # shapely geometry of the static occluders (buildings, parked vans)


def road_shape(road, occluders=()) -> RoadShape:
    """The asphalt and the lane edges of a built road (``scenariogen.road.RoadNetwork``), and the
    ``occluders`` (polygons as point lists, m)."""
    from shapely.geometry import Polygon
    from shapely.ops import unary_union

    polys = [lane.centerline.buffer(lane.width / 2.0, cap_style="flat") for lane in road.lanes.values()]
    asphalt = unary_union(polys).buffer(0.05).buffer(-0.05)
    edges = unary_union([lane.centerline.offset_curve(lane.width / 2.0) for lane in road.lanes.values()])
    return RoadShape(asphalt, edges, unary_union([Polygon(p) for p in occluders]))


def _path(geom, tol: float) -> str:
    """SVG path data of a shapely geometry, y flipped, simplified to ``tol`` m."""
    if geom is None or geom.is_empty:
        return ""
    geom = geom.simplify(tol, preserve_topology=False)
    out = []
    for g in getattr(geom, "geoms", [geom]):
        rings = [g.exterior, *g.interiors] if g.geom_type == "Polygon" else [g] if "Line" in g.geom_type else []
        for ring in rings:
            xy = np.asarray(ring.coords)
            if len(xy) < 2:
                continue
            pts = " ".join(f"{x:.1f} {-y:.1f}" for x, y in xy)
            out.append(f"M{pts}" + ("Z" if g.geom_type == "Polygon" else ""))
    return "".join(out)


def party_of(agent_metrics: np.ndarray, metrics: dict, b: int) -> int:
    """The other agent of the ego's closest call: its collision partner, else the agent of its
    smallest box distance (-1: none)."""
    ca, cb = int(metrics["collision_a"][b]), int(metrics["collision_b"][b])
    if math.isfinite(float(metrics.get("ego_collision_time", [math.inf] * (b + 1))[b])) and 0 in (ca, cb):
        return cb if ca == 0 else ca
    d = np.asarray(agent_metrics[b, 1:, Lo.A_MIN_DIST], np.float64)
    if not len(d) or not np.isfinite(d).any():
        return -1
    return int(np.nanargmin(np.where(np.isfinite(d), d, np.inf))) + 1


def scenario_svg(batch, b: int, road: RoadShape, named: set[str], *, frame_dt: float) -> str:
    """The animated SVG of row ``b`` of ``batch`` (with its recorded frames)."""
    traj = np.asarray(batch.trajectories[b], np.float64)
    mask = np.asarray(batch.mask[b], bool)
    N, T = mask.shape
    step = max(1, math.ceil(T / MAX_FRAMES))
    frames = np.arange(0, T, step)
    dur = max(len(frames) * step * frame_dt, 0.1)
    party = party_of(batch.agent_metrics, batch.metrics, b)

    # the camera: centred on the ego and the party, one size for the whole clip
    focus = [0] + ([party] if party > 0 else [])
    centres, need_w = [], MIN_VIEW
    for t in frames:
        pts = traj[focus, t, :2][mask[focus, t]]
        if not len(pts):
            pts = traj[:, t, :2][mask[:, t]] if mask[:, t].any() else np.zeros((1, 2))
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        centres.append((lo + hi) / 2)
        need_w = max(need_w, hi[0] - lo[0] + 2 * MARGIN, (hi[1] - lo[1] + 2 * MARGIN) * ASPECT)
    centres = np.asarray(centres)
    w, h = float(need_w), float(need_w / ASPECT)
    allx0, ally0 = centres.min(axis=0) - [w / 2, h / 2]
    allx1, ally1 = centres.max(axis=0) + [w / 2, h / 2]
    world = shapely_box(allx0, ally0, allx1, ally1)
    tol = w / 600.0

    anim = f'dur="{dur:.2f}s" repeatCount="indefinite"'
    cam = ";".join([f"{-cx:.1f},{cy:.1f}" for cx, cy in centres])
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{-w / 2:.1f} {-h / 2:.1f} {w:.1f} {h:.1f}" '
             f'width="{int(w * 5)}" height="{int(h * 5)}" font-family="sans-serif">',
             f'<rect x="{-w / 2:.1f}" y="{-h / 2:.1f}" width="{w:.1f}" height="{h:.1f}" fill="#e4e9df"/>',
             f'<g><animateTransform attributeName="transform" type="translate" values="{cam}" {anim}/>',
             f'<path d="{_path(road.geometry.intersection(world), tol)}" fill="#50555c"/>',
             f'<path d="{_path(road.geometry.boundary.intersection(world), tol)}" fill="none" stroke="#f4f4f4" '
             f'stroke-width="{max(0.2, w / 500):.2f}"/>',
             f'<path d="{_path(road.edges.intersection(world), tol)}" fill="none" stroke="#f4f4f4" '
             f'stroke-width="{max(0.15, w / 700):.2f}" stroke-dasharray="3 3"/>',
             f'<path d="{_path(road.occluders.intersection(world), tol)}" fill="#263238"/>']
    label_size = max(2.0, w / 45)
    for i in range(N):
        on = mask[i, frames]
        if not on.any():
            continue
        xy = traj[i, frames, :2]
        inside = (xy[:, 0] >= allx0) & (xy[:, 0] <= allx1) & (xy[:, 1] >= ally0) & (xy[:, 1] <= ally1) & on
        if not inside.any():
            continue
        xy = np.where(on[:, None], xy, xy[np.argmax(on)])  # hold still while absent (hidden anyway)
        heading = -np.degrees(np.unwrap(traj[i, frames, Lo.F_HEADING]))
        L, W = (float(v) for v in batch.sizes[b, i])
        kind = Lo.KIND_NAMES[int(batch.kinds[b, i])] if 0 <= int(batch.kinds[b, i]) < len(Lo.KIND_NAMES) else "car"
        name = batch.agent_names[i]
        color = COLORS["ego"] if i == 0 else COLORS.get(kind, COLORS["named" if name in named else "traffic"])
        stroke = COLORS["party"] if i == party else "#1c2226"
        sw = 0.6 if i == party else 0.2
        pos = ";".join([f"{x:.1f},{-y:.1f}" for x, y in xy])
        rot = ";".join([f"{a:.0f}" for a in heading])
        parts.append(f'<g><animateTransform attributeName="transform" type="translate" values="{pos}" {anim}/>')
        if not on.all():
            vis = ";".join(["visible" if v else "hidden" for v in on])
            parts.append(f'<animate attributeName="visibility" values="{vis}" calcMode="discrete" {anim}/>')
        shape = (f'<circle r="{max(0.4, L / 2):.1f}"' if kind == "pedestrian"
                 else f'<rect x="{-L / 2:.1f}" y="{-W / 2:.1f}" width="{L:.1f}" height="{W:.1f}" rx="0.3"')
        parts.append(f'<g><animateTransform attributeName="transform" type="rotate" values="{rot}" {anim}/>'
                     f'{shape} fill="{color}" stroke="{stroke}" stroke-width="{sw}"/></g>')
        if i == 0 or name in named or i == party:
            parts.append(f'<text y="{-W / 2 - 0.8:.1f}" font-size="{label_size:.1f}" text-anchor="middle" '
                         f'fill="#102027" stroke="#ffffff" stroke-width="{label_size / 6:.2f}" '
                         f'paint-order="stroke">{escape(name)}</text>')
        parts.append("</g>")
    parts.append("</g>")
    # the time bar: red from a collision on
    bar_y, bar_h = h / 2 - h / 30, h / 30
    parts.append(f'<rect x="{-w / 2:.1f}" y="{bar_y:.2f}" width="{w:.1f}" height="{bar_h:.2f}" fill="#cfd8dc"/>')
    parts.append(f'<rect x="{-w / 2:.1f}" y="{bar_y:.2f}" width="0" height="{bar_h:.2f}" fill="#37474f">'
                 f'<animate attributeName="width" values="0;{w:.1f}" {anim}/></rect>')
    ct = float(batch.metrics.get("collision_time", [math.inf] * (b + 1))[b])
    total = T * frame_dt
    if math.isfinite(ct) and total > 0:
        x = -w / 2 + w * min(ct / total, 1.0)
        parts.append(f'<rect x="{x:.1f}" y="{bar_y - bar_h:.2f}" width="{max(w / 300, 0.3):.2f}" '
                     f'height="{3 * bar_h:.2f}" fill="{COLORS["party"]}"/>')
    parts.append("</svg>")
    return "".join(parts)


__all__ = ["RoadShape", "party_of", "road_shape", "scenario_svg"]
