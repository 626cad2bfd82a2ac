"""Cut long logs into fixed-length windows, each eligible agent taking the ego's role in turn.

For every window start (``0, stride, 2 stride, ...`` seconds while the window
fits in the log) and every *eligible* agent, one sample: that agent becomes
agent 0 and the other agents present at some frame of the window follow,
nearest (minimum centre distance over the window) first. Eligible: its kind is in
``ego_kinds``, it is present at every frame of the window and its mean speed
over the window is at least ``min_ego_speed`` (m/s; default 1.0 for vehicles
and bicycles, 0.3 for pedestrians). Overlapping windows (stride < length) give
correlated samples; use ``stride=length`` for disjoint ones.
"""

from __future__ import annotations

import numpy as np

from ..data import layout as Lo
from ..errors import ParameterError
from .base import PEDESTRIAN, VEHICLE_KINDS
from .scenes import LogScenes, empty_scenes


def min_ego_speed_default(kind: int) -> float:
    """The slowest mean speed (m/s) over a window at which an agent of ``kind`` can be its ego:
    0.3 for pedestrians, 1.0 for the rest (a parked or crashed car is no ego)."""
    return 0.3 if kind == PEDESTRIAN else 1.0


def make_windows(
    scenes: LogScenes,
    length: float = 8.0,
    *,
    stride: float | None = None,
    ego_kinds: tuple[int, ...] | None = VEHICLE_KINDS,
    min_ego_speed: float | None = None,
    max_agents: int | None = None,
) -> LogScenes:
    """Samples of ``length`` seconds (``round(length / dt)`` frames, like a simulation of that
    duration) from every scene; ``stride`` defaults to half the length. ``ego_kinds``: kind
    codes allowed as ego (None: any). ``max_agents`` keeps the ego and its nearest agents."""
    dt = scenes.dt
    W = int(round(length / dt))
    if W < 2:
        raise ParameterError("length", f"{length} s is shorter than two frames of {dt} s")
    S = max(1, int(round((length / 2 if stride is None else stride) / dt)))
    samples = []  # (scene, start, ego, others)
    per_source: dict = {}
    pos = scenes.trajectories[..., :2]
    for b in range(scenes.size):
        T = scenes.n_frames
        src = str(scenes.sources[b])
        cnt = per_source.setdefault(src, 0)
        for start in range(0, T - W + 1, S):
            m = scenes.mask[b, :, start:start + W]
            sp = scenes.trajectories[b, :, start:start + W, Lo.F_SPEED]
            present = m.any(axis=1)
            full = m.all(axis=1)
            for e in np.flatnonzero(full):
                k = int(scenes.kinds[b, e])
                if ego_kinds is not None and k not in ego_kinds:
                    continue
                vmin = min_ego_speed if min_ego_speed is not None else min_ego_speed_default(k)
                if not np.nanmean(sp[e]) >= vmin:
                    continue
                others = np.flatnonzero(present)
                others = others[others != e]
                if len(others):
                    d = pos[b, others, start:start + W] - pos[b, e, start:start + W][None]
                    hyp = np.hypot(d[..., 0], d[..., 1])
                    dmin = np.where(m[others] & np.isfinite(hyp), hyp, np.inf).min(axis=1)
                    others = others[np.argsort(dmin, kind="stable")]
                if max_agents is not None:
                    others = others[: max(0, max_agents - 1)]
                samples.append((b, start, e, others))
                cnt += 1
        per_source[src] = cnt
    N = max((1 + len(o) for *_x, o in samples), default=0)
    out = empty_scenes(len(samples), N, W, dt)
    t0 = np.zeros(len(samples))
    sources = np.empty(len(samples), dtype=object)
    for r, (b, start, e, others) in enumerate(samples):
        agents = np.concatenate([[e], others]).astype(np.int64)
        n = len(agents)
        out["trajectories"][r, :n] = scenes.trajectories[b, agents, start:start + W]
        out["mask"][r, :n] = scenes.mask[b, agents, start:start + W]
        out["kinds"][r, :n] = scenes.kinds[b, agents]
        out["sizes"][r, :n] = scenes.sizes[b, agents]
        out["track_ids"][r, :n] = scenes.track_ids[b, agents]
        t0[r] = scenes.t0[b] + start * dt
        sources[r] = scenes.sources[b]
    info = {}
    for src, v in scenes.info.items():
        info[src] = dict(v, windows=dict(length=length, frames=W, stride=S * dt, count=per_source.get(src, 0)))
    return LogScenes(dt=dt, sources=sources, t0=t0, lanes=dict(scenes.lanes), info=info, **out)
