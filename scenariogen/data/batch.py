"""A batch of simulated scenarios: trajectories, masks, metrics, labels and provenance, as arrays."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import layout as Lo


@dataclass(frozen=True, eq=False)
class Batch:
    """B simulated scenarios of one spec.

    - ``trajectories``: float32 (B, N, T, F), features named in ``features``
      (x, y m; heading rad; speed m/s; accel m/s^2; lane index; s, offset m);
      shape (B, N, 0, F) when only metrics were kept.
    - ``mask``: bool (B, N, T), agent present at that frame.
    - ``kinds``: int8 (B, N) codes of ``layout.KIND_NAMES``; ``sizes``: float32 (B, N, 2) length, width (m).
    - ``metrics``: dict name -> (B,) float64 (see ``layout.METRIC_NAMES``); ``agent_metrics``: (B, N, A).
    - ``labels`` / ``robustness``: dict event name -> (B,) bool / float64 (negative iff the event happened).
    - ``theta``: (B, d) parameter rows; ``indices``: (B,) global scenario indices.
    - ``provenance``: spec name and hash, seed, package version, dt, frame step, the spec's YAML.
    - ``perception`` (when the ego has a sensor and frames were recorded): ``visible`` float32
      (B, N, T) visible fraction of each agent from the ego sensor; ``detected`` bool (B, N, T)
      seen this frame; ``tracked`` bool (B, N, T) in the ego's track list (seen or coasting);
      ``track_xy`` float32 (B, N, T, 2) where the ego believes the agent is (m; nan while not
      tracked; the ego's own row is its true position); ``dropout``
      bool (B, T) sensor in a dropout burst.
    """

    trajectories: np.ndarray
    mask: np.ndarray
    kinds: np.ndarray
    sizes: np.ndarray
    agent_names: tuple[str, ...]
    metrics: dict
    agent_metrics: np.ndarray
    labels: dict
    robustness: dict
    theta: np.ndarray
    parameter_names: tuple[str, ...]
    indices: np.ndarray
    provenance: dict = field(default_factory=dict)
    perception: dict = field(default_factory=dict)

    @property
    def size(self) -> int:
        return int(self.theta.shape[0])

    @property
    def features(self) -> tuple[str, ...]:
        return Lo.FEATURES

    def frame_dt(self, default_dt: float = 0.1) -> float:
        """Seconds between recorded frames: the simulation step (``default_dt`` when the
        provenance has none) times the frame step."""
        prov = self.provenance or {}
        return float(prov.get("dt", default_dt)) * int(prov.get("frame_step", 1) or 1)

    def select(self, rows: np.ndarray) -> "Batch":
        """The scenarios picked by a boolean mask or index array, as a new batch."""
        pick = lambda x: x[rows]  # noqa: E731
        return Batch(
            trajectories=pick(self.trajectories), mask=pick(self.mask), kinds=pick(self.kinds),
            sizes=pick(self.sizes), agent_names=self.agent_names,
            metrics={k: pick(v) for k, v in self.metrics.items()}, agent_metrics=pick(self.agent_metrics),
            labels={k: pick(v) for k, v in self.labels.items()},
            robustness={k: pick(v) for k, v in self.robustness.items()}, theta=pick(self.theta),
            parameter_names=self.parameter_names, indices=pick(self.indices), provenance=self.provenance,
            perception={k: pick(v) for k, v in self.perception.items()},
        )


def concat(parts: list[Batch]) -> Batch:
    """Join chunks of one spec (same agents) into one batch."""
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    cat = np.concatenate
    return Batch(
        trajectories=cat([p.trajectories for p in parts]),
        mask=cat([p.mask for p in parts]),
        kinds=cat([p.kinds for p in parts]),
        sizes=cat([p.sizes for p in parts]),
        agent_names=first.agent_names,
        metrics={k: cat([p.metrics[k] for p in parts]) for k in first.metrics},
        agent_metrics=cat([p.agent_metrics for p in parts]),
        labels={k: cat([p.labels[k] for p in parts]) for k in first.labels},
        robustness={k: cat([p.robustness[k] for p in parts]) for k in first.robustness},
        theta=cat([p.theta for p in parts]),
        parameter_names=first.parameter_names,
        indices=cat([p.indices for p in parts]),
        provenance=first.provenance,
        perception={k: cat([p.perception[k] for p in parts]) for k in first.perception},
    )
