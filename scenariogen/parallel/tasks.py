"""The units of work a backend runs: one shard of ``generate``, or one piece of an ``estimate`` stage.

A task carries everything its result depends on besides the spec: the parameter
rows (proposed on the driver), the global index of its first scenario (which
keys each scenario's random stream, see :func:`scenariogen.sim.simulate`) and
the run seed. No new seeds are drawn for a task: a scenario's stream depends on
(seed, global index) only, so a task computes the same numbers on any worker,
any number of times, however the rows are split into tasks.

Workers never write into the run directory: a shard task returns the finished
``.npz`` file as bytes and the driver writes it (temporary name, then rename)
in index order, so a retried or duplicated task cannot leave a duplicate, a gap
or a half-written file.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data.layout import TTC_HORIZON
from ..data.npz import write_npz
from ..dsl import schema as S
from ..events.conflicts import CODE_COLUMNS, conflict_codes
from ..events.labels import party_mask
from ..sim.compile import lane_relations
from ..sim.engine import simulate

#: Testing hook: a folder where a file named ``kill-task-<k>`` makes the worker that picks up task ``k``
#: claim (delete) the file and exit at once with ``os._exit`` (a crashed worker, once). Unset: no effect.
FAULT_DIR_ENV = "SCENARIOGEN_FAULT_DIR"


def _fault_hook(k: int) -> None:
    folder = os.environ.get(FAULT_DIR_ENV)
    if not folder:
        return
    marker = Path(folder) / f"kill-task-{k}"
    try:
        marker.unlink()  # only one worker can claim the marker
    except FileNotFoundError:
        return
    os._exit(17)


@dataclass(frozen=True)
class ShardResult:
    """A simulated shard: the ``.npz`` file's bytes and the per-scenario arrays the driver needs.

    ``robustness``: (m,) float64, negative iff the target event happened."""

    k: int
    data: bytes
    robustness: np.ndarray
    events: int
    kept: int


@dataclass(frozen=True, eq=False)
class ShardTask:
    """Simulate rows ``offset .. offset + m - 1`` of sampler stage ``stage`` and encode them as shard ``k``.

    - ``theta``: (m, d) parameter rows; ``log_weight``: (m,) their importance log-weights;
    - ``first_index``: global index of the first scenario (scenarios before it in the run);
    - ``seed``: the run seed; ``target``: the event hunted; ``keep``: ``events`` or ``all``;
      ``record_every``: frame step of the stored trajectories."""

    k: int
    stage: int
    offset: int
    first_index: int
    theta: np.ndarray
    log_weight: np.ndarray
    seed: int
    target: str
    keep: str
    record_every: int

    @property
    def size(self) -> int:
        return int(self.theta.shape[0])

    def run(self, spec: S.ScenarioSpec) -> ShardResult:
        _fault_hook(self.k)
        batch = simulate(spec, theta=self.theta, seed=self.seed, start_index=self.first_index, record="full",
                         record_every=self.record_every)
        rob = batch.robustness[self.target]
        event = rob < 0.0
        keep = event if self.keep == "events" else np.ones(batch.size, bool)
        conflict = np.full((batch.size, len(CODE_COLUMNS)), -1, np.int16)
        ev = batch.select(event)
        target = next(e for e in spec.events if e.name == self.target)
        party = party_mask(target, ev.kinds, ev.agent_names) if target.with_kind or target.with_actors else None
        conflict[event] = conflict_codes(ev.trajectories, ev.mask, ev.agent_metrics, ev.metrics,
                                         ev.frame_dt(spec.dt), TTC_HORIZON, lane_relations(spec), party)
        extra = {
            "sim/index": batch.indices,
            "sim/theta": batch.theta,
            "sim/log_weight": np.asarray(self.log_weight),
            "sim/robustness": rob,
            "sim/event": event,
            "sim/stage": np.full(batch.size, self.stage, np.int64),
            "sim/conflict": conflict,  # conflict-type codes of the target events (events/conflicts.py), -1 elsewhere
        }
        # write_npz is the one writer of the shard layout; the driver places the bytes in the run directory
        buf = io.BytesIO()
        write_npz(batch.select(keep), buf, extra=extra)
        data = buf.getvalue()
        return ShardResult(k=self.k, data=data, robustness=rob, events=int(event.sum()), kept=int(keep.sum()))


@dataclass(frozen=True)
class RobustnessResult:
    """Robustness (m,) float64 of one event for the rows of a :class:`RobustnessTask`."""

    k: int
    robustness: np.ndarray


@dataclass(frozen=True, eq=False)
class RobustnessTask:
    """Simulate ``theta`` (m, d) with metrics only and return the robustness of ``event`` (for ``estimate``)."""

    k: int
    first_index: int
    theta: np.ndarray
    seed: int
    event: str

    @property
    def size(self) -> int:
        return int(self.theta.shape[0])

    def run(self, spec: S.ScenarioSpec) -> RobustnessResult:
        _fault_hook(self.k)
        b = simulate(spec, theta=self.theta, seed=self.seed, start_index=self.first_index, record="none")
        return RobustnessResult(k=self.k, robustness=b.robustness[self.event])


__all__ = ["FAULT_DIR_ENV", "RobustnessResult", "RobustnessTask", "ShardResult", "ShardTask"]
