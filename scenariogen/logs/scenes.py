"""`LogScenes`: real logged scenes in the simulator's own array layout.

Same arrays and meanings as :class:`scenariogen.sim.engine.Batch` (so the
coverage code treats real and synthetic scenes alike):

- ``trajectories``: float32 (B, N, T, 8), features ``layout.FEATURES`` = x, y (m, the
  log's own world frame), heading (rad, CCW from +x), speed (m/s), accel (m/s^2,
  longitudinal, d speed / dt), lane (-1: logs carry no simulator lane index),
  s and offset (NaN: no Frenet coordinates). Frames where an agent is absent
  hold NaN in every feature except lane (-1).
- ``mask``: bool (B, N, T), agent present at that frame.
- ``kinds``: int8 (B, N) codes of ``layout.KIND_CODES`` (-1 for padding slots);
  ``sizes``: float32 (B, N, 2) length, width in metres (0 for padding).
- ``dt``: seconds between frames; frame k of scene b is at ``t0[b] + k * dt``
  seconds of its source log.
- ``sources``: (B,) the file each scene came from; ``track_ids``: (B, N) the
  log's own track ids ("" for padding).
- ``lanes``: source -> tuple of :class:`LanePolyline` (empty when the format has no map).
- ``info``: source -> what the reader did (format, counts of tracks read, dropped,
  merged, joined; windowing settings).

Agent 0 is the ego: the recording vehicle for logs that have one (Argoverse 2),
the first track otherwise; :func:`scenariogen.logs.make_windows` gives every
eligible vehicle the ego's role in turn.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..data import layout as Lo


@dataclass(frozen=True, eq=False)
class LanePolyline:
    """One lane of a log's map: ``centre``, ``left``, ``right`` (K, 2) float64 polylines (m).

    ``left``/``right`` may be None when the map gives only a centre line."""

    id: str
    centre: np.ndarray
    left: np.ndarray | None = None
    right: np.ndarray | None = None


@dataclass(frozen=True, eq=False)
class LogScenes:
    trajectories: np.ndarray
    mask: np.ndarray
    kinds: np.ndarray
    sizes: np.ndarray
    dt: float
    sources: np.ndarray
    track_ids: np.ndarray
    t0: np.ndarray
    lanes: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)

    @property
    def features(self) -> tuple[str, ...]:
        return Lo.FEATURES

    @property
    def size(self) -> int:
        return int(self.trajectories.shape[0])

    def __len__(self) -> int:
        return self.size

    @property
    def n_agents(self) -> int:
        return int(self.trajectories.shape[1])

    @property
    def n_frames(self) -> int:
        return int(self.trajectories.shape[2])

    @property
    def duration(self) -> float:
        """Seconds covered by the frames: ``(T - 1) * dt``."""
        return max(self.n_frames - 1, 0) * self.dt

    @property
    def source(self) -> str:
        """The source file when all scenes come from one, else ``"<n sources>"``."""
        u = np.unique(self.sources)
        return str(u[0]) if len(u) == 1 else f"<{len(u)} sources>"

    def agent_counts(self) -> np.ndarray:
        """(B,) number of agents present at some frame of each scene."""
        return self.mask.any(axis=2).sum(axis=1)

    def select(self, rows) -> "LogScenes":
        """The scenes picked by a boolean mask or index array."""
        rows = np.asarray(rows)
        keep = set(np.unique(self.sources[rows]).tolist())
        return LogScenes(
            trajectories=self.trajectories[rows], mask=self.mask[rows], kinds=self.kinds[rows],
            sizes=self.sizes[rows], dt=self.dt, sources=self.sources[rows], track_ids=self.track_ids[rows],
            t0=self.t0[rows], lanes={k: v for k, v in self.lanes.items() if k in keep},
            info={k: v for k, v in self.info.items() if k in keep},
        )


def empty_scenes(B: int, N: int, T: int, dt: float) -> dict:
    """Freshly allocated padded arrays for B scenes of N agents and T frames."""
    traj = np.full((B, N, T, Lo.N_FEATURES), np.nan, np.float32)
    traj[..., Lo.F_LANE] = -1.0
    return dict(
        trajectories=traj,
        mask=np.zeros((B, N, T), np.bool_),
        kinds=np.full((B, N), -1, np.int8),
        sizes=np.zeros((B, N, 2), np.float32),
        track_ids=np.full((B, N), "", dtype=object),
    )


def concat_scenes(parts: list[LogScenes]) -> LogScenes:
    """Join scenes of several logs (same dt and frame count); agents are padded to the largest N."""
    parts = [p for p in parts if p.size > 0] or parts[:1]
    if not parts:
        raise ValueError("concat_scenes needs at least one LogScenes")
    dts = {round(p.dt, 9) for p in parts}
    Ts = {p.n_frames for p in parts}
    if len(dts) > 1 or len(Ts) > 1:
        raise ValueError(f"cannot join scenes with different dt {sorted(dts)} or frame counts {sorted(Ts)}; "
                         "resample and window them alike first")
    B = sum(p.size for p in parts)
    N = max(p.n_agents for p in parts)
    T = parts[0].n_frames
    out = empty_scenes(B, N, T, parts[0].dt)
    lo = 0
    lanes: dict = {}
    info: dict = {}
    for p in parts:
        hi = lo + p.size
        n = p.n_agents
        out["trajectories"][lo:hi, :n] = p.trajectories
        out["mask"][lo:hi, :n] = p.mask
        out["kinds"][lo:hi, :n] = p.kinds
        out["sizes"][lo:hi, :n] = p.sizes
        out["track_ids"][lo:hi, :n] = p.track_ids
        lanes.update(p.lanes)
        info.update(p.info)
        lo = hi
    return LogScenes(dt=parts[0].dt, sources=np.concatenate([p.sources for p in parts]),
                     t0=np.concatenate([p.t0 for p in parts]), lanes=lanes, info=info, **out)
