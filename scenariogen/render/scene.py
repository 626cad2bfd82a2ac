"""One scenario of a batch as a :class:`Scene`: the parsed spec and road, the recorded arrays of
its row, every agent's box as a shapely polygon, box distances to the ego, the closest approach,
the ego sensor and the perception arrays."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Polygon
from shapely.ops import unary_union

from ..data import layout as Lo
from ..errors import ScenarioGenError


@dataclass
class Scene:
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


def build_scene(batch, row: int) -> Scene:
    """The scene of row ``row`` of ``batch``, its scenario parsed from the YAML in the provenance."""
    from ..dsl import parse_text
    from ..road import build_road

    prov = batch.provenance or {}
    text = prov.get("spec_text")
    if not text:
        raise ScenarioGenError("the batch carries no scenario YAML (provenance['spec_text']); "
                               "re-simulate it with this version of scenariogen")
    spec = parse_text(text, file=prov.get("spec_file") or f"<{prov.get('spec_name', 'scenario')} from provenance>")
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
    return Scene(
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


def _lane_polygons(road) -> dict[str, Polygon]:
    return {lid: lane.centerline.buffer(lane.width / 2.0, cap_style="flat") for lid, lane in road.lanes.items()}
