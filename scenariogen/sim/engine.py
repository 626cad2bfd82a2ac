"""The simulator: theta rows -> kernel inputs -> kernel -> :class:`Batch`.

Large batches run in chunks (so the kernel's inputs stay small), and
``record="none"`` keeps metrics only, so a 100 000-scenario batch fits in
memory; ``iter_batches`` yields chunk after chunk for streaming writers. Theta is
always given: drawing it is the samplers' job (``scenariogen.simulate`` draws
from p(theta) when asked for ``n`` scenarios).
"""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from .._version import __version__
from ..data import layout as Lo
from ..data.layout import TTC_HORIZON
from ..data.batch import Batch, concat
from ..dsl import schema as S
from ..errors import SimulationError
from ..events.labels import event_scores, labels_from_scores
from .compile import compile_batch

DEFAULT_CHUNK = 4096
MAX_CHUNK_BYTES = 1 << 30  # recorded frames held per chunk (1 GiB); longer recordings get smaller chunks


def kernels_cached() -> bool:
    """False when the first simulation of this process will compile the kernels (no cached copy on
    disk for this version of their sources), which takes minutes; True otherwise."""
    from ..kernels.step import simulate_range

    if simulate_range.signatures:
        return True
    try:  # Numba's cache index of the kernel (the package drops it when any kernel source changed)
        return os.path.isfile(simulate_range._cache._cache_file._index_path)
    except AttributeError:  # a Numba without these internals: say nothing
        return True


def spec_file(spec: S.ScenarioSpec) -> str:
    """The absolute path of the file a spec whose road comes from a map file (``road: {from: PATH}``,
    or from the logs of ``seed_from:``) was loaded from, kept in provenance so that re-reading the spec
    text resolves the relative paths as the original did; "" for every other road (their provenance, and so their shards' bytes,
    stay independent of where the scenario file is), for a text or a pipe, or a file gone since."""
    src = spec.source
    if spec.road.type not in ("map", "seed") or not src or src.startswith("<"):
        return ""
    p = os.path.abspath(src)
    return p if os.path.isfile(p) else ""


def spec_hash(spec: S.ScenarioSpec) -> str:
    """Content hash of the resolved spec (independent of file name and formatting; fields at their
    defaults are left out, ``dsl.schema.canonical``)."""
    return hashlib.sha256(S.canonical(spec).encode("utf-8")).hexdigest()[:16]


def _check_theta(spec: S.ScenarioSpec, theta: np.ndarray) -> np.ndarray:
    theta = np.asarray(theta, dtype=np.float64)
    if theta.ndim != 2 or theta.shape[1] != spec.parameters.dim:
        raise SimulationError(
            f"theta must have shape (B, {spec.parameters.dim}) for {spec.name} "
            f"(parameters: {', '.join(spec.parameters.names) or 'none'}), got {theta.shape}")
    if not np.all(np.isfinite(theta)):
        raise SimulationError("theta holds NaN or infinite values")
    return theta


def _threads() -> int:
    try:
        import numba

        return int(numba.get_num_threads())
    except Exception:  # pragma: no cover
        return os.cpu_count() or 1


def _curved_lanes(r) -> np.ndarray:
    """(L,) bool: lanes with a segment of curvature above 1e-4 1/m (radius under 10 km)."""
    k = np.abs(np.asarray(r.curvature))
    return np.array([k[r.lane_offset[i]:r.lane_offset[i + 1]].max(initial=0.0) > 1e-4
                     for i in range(len(r.lane_length))], dtype=np.bool_)


def kernel_road(rp):
    """The kernels' :class:`~scenariogen.kernels.groups.Road` of a compiled road
    (:class:`~scenariogen.sim.compile.CompiledRoadPlus`)."""
    from ..kernels import groups as G

    r, ru = rp.arrays, rp.rules
    return G.Road(offset=r.lane_offset, length=r.lane_length, width=r.lane_width, successor=r.successor,
                  n_successor=r.n_successor, left=r.left, right=r.right, dead_end=rp.dead_end, px=r.px,
                  py=r.py, heading=r.heading, curvature=r.curvature, curved=_curved_lanes(r), opposite=r.opposite,
                  predecessor=r.predecessor, n_predecessor=r.n_predecessor, cf_first=ru.cf_first,
                  cf_other=ru.cf_other, cf_in=ru.cf_in, cf_out=ru.cf_out, cf_oin=ru.cf_oin, cf_oout=ru.cf_oout,
                  cf_rule=ru.cf_rule, lane_sign=ru.lane_sign, lane_group=ru.lane_group,
                  all_way=np.array([ru.all_way]), cw_first=ru.cw_first, cw_in=ru.cw_in, cw_out=ru.cw_out,
                  cw_walk=ru.cw_walk, walk_x=ru.walk_x, walk_y=ru.walk_y, walk_n=ru.walk_n)


def _run_chunk(spec: S.ScenarioSpec, theta: np.ndarray, indices: np.ndarray, seed: int,
               record_every: int | None) -> Batch:
    from ..kernels import groups as G
    from ..kernels.step import simulate_batch

    ki = compile_batch(spec, theta, indices, seed)
    a = ki.arrays
    st = ki.state
    B, N = st.shape
    T = spec.steps
    frames = 0 if record_every is None else (T + record_every - 1) // record_every
    traj = np.zeros((B, N, frames, Lo.N_FEATURES), np.float32)
    tmask = np.zeros((B, N, frames), np.bool_)
    metrics = np.zeros((B, Lo.N_METRICS))
    agent_metrics = np.zeros((B, N, Lo.N_AGENT_METRICS))
    sensed = spec.ego.sensor is not None and frames > 0
    pf = frames if sensed else 0
    p_vis = np.zeros((B, N, pf), np.float32)
    p_det = np.zeros((B, N, pf), np.bool_)
    p_trk = np.zeros((B, N, pf), np.bool_)
    p_txy = np.zeros((B, N, pf, 2), np.float32)
    p_drop = np.zeros((B, pf), np.bool_)
    ttc_thr = min((e.ttc_below for e in spec.events if e.type == "near_miss" and e.ttc_below is not None),
                  default=1.5)
    n_threads = _threads()
    n_chunks = min(B, max(1, n_threads * 4))
    road = kernel_road(ki.road)
    world = G.World(**a["signals"])
    agents = G.Agents(kind=st.kind, length=st.length, width=st.width, valid=st.valid, free=a["free"],
                      model=a["model"], params=a["params"], man_type=a["man_type"], man_trig=a["man_trig"],
                      man_other=a["man_other"], man_to=a["man_to"], man_trig2=a["man_trig2"],
                      man_other2=a["man_other2"], man_combo=a["man_combo"], man_val=a["man_val"], route=a["route"],
                      route_len=a["route_len"], path=a["path"], path_len=a["path_len"], max_brake=a["max_brake"],
                      max_jerk=a["max_jerk"], max_steer=a["max_steer"])
    rp = a["replay"]
    if rp["replay"].any() or (a["params"][:, :, Lo.P_LEAVE] > 0.0).any():
        # the kernel moves replayed agents in and out of it, and takes out those that leave the map
        agents = agents._replace(valid=st.valid.copy())
    init = G.Init(x=st.x, y=st.y, heading=st.heading, speed=st.speed, lane=st.lane, s=st.s, offset=st.offset,
                  lc_to=a["lc_to"], lc_dur=a["lc_dur"], **rp)
    settings = G.Settings(dt=float(spec.dt), n_steps=int(T), record_every=int(record_every or 1),
                          ttc_threshold=float(ttc_thr), ttc_horizon=float(TTC_HORIZON), n_named=len(spec.actors))
    sensor = G.Sensor(params=a["sensor"], seeds=a["seeds"], occ_px=a["occ_px"], occ_py=a["occ_py"],
                      occ_start=a["occ_start"], occ_count=a["occ_count"])
    out = G.Outputs(traj=traj, mask=tmask, metrics=metrics, agent_metrics=agent_metrics, visible=p_vis,
                    detected=p_det, tracked=p_trk, track_xy=p_txy, dropout=p_drop)
    simulate_batch(road, world, agents, init, settings, sensor, out, int(n_chunks), n_threads)
    scores = event_scores(spec, metrics, agent_metrics, ki.agent_names, TTC_HORIZON, st.kind)
    return Batch(
        trajectories=traj,
        mask=tmask,
        kinds=st.kind.astype(np.int8),
        sizes=np.stack([st.length, st.width], axis=-1).astype(np.float32),
        agent_names=ki.agent_names,
        metrics={name: metrics[:, k].copy() for k, name in enumerate(Lo.METRIC_NAMES)},
        agent_metrics=agent_metrics,
        labels=labels_from_scores(scores),
        robustness=scores,
        theta=theta,
        parameter_names=spec.parameters.names,
        indices=np.asarray(indices, dtype=np.int64),
        perception=dict(visible=p_vis, detected=p_det, tracked=p_trk, track_xy=p_txy, dropout=p_drop) if sensed else {},
    )


def record_bytes(spec: S.ScenarioSpec, record_every: int | None) -> int:
    """Bytes one scenario's recorded frames take (trajectories, mask and, with a sensor, perception);
    0 without recording (``record_every`` None)."""
    if record_every is None:
        return 0
    if record_every < 1:
        raise SimulationError("record_every must be a positive number of steps")
    n_agents = agent_slots(spec)
    frames = (spec.steps + record_every - 1) // record_every
    per_frame = n_agents * (Lo.N_FEATURES * 4 + 1)
    if spec.ego.sensor is not None:
        per_frame += n_agents * (4 + 1 + 1 + 8) + 1
    return frames * per_frame


def agent_slots(spec: S.ScenarioSpec) -> int:
    """Agent slots of a batch: the named actors, the largest count of each traffic block and, in a
    seeded family, the other logged vehicles of its largest scene."""
    from .compile import max_count
    from .seed import slots

    logged = slots(spec) if spec.seed_from is not None else 0
    return len(spec.actors) + sum(max_count(t.count, spec) for t in spec.traffic) + logged


# bytes per scenario and agent slot of the kernel's inputs and non-recorded outputs: initial state and
# sizes, parameters, manoeuvre values per slot of a manoeuvre, and the per-agent metrics
_INPUT_BYTES = 8 * (16 + Lo.N_PARAMS + Lo.N_AGENT_METRICS)
_MANEUVER_BYTES = 8 * (Lo.N_MAN_VALUES + 4)


def memory_budget() -> int:
    """Bytes a simulation may allocate: half of this machine's physical memory (a large number where
    it cannot be read)."""
    try:
        return int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")) // 2
    except (AttributeError, ValueError, OSError):
        return 1 << 50


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes a simulation allocates at its peak: ``kept`` (the recorded frames the caller holds, and
    their copy when chunks are joined), ``chunk`` (one kernel call's inputs and outputs) and
    ``scratch`` (one kernel thread's work arrays, (agents, steps) histories included) times
    ``threads`` running at once."""

    kept: int
    chunk: int
    scratch: int
    threads: int

    @property
    def total(self) -> int:
        return self.kept + self.chunk + self.threads * self.scratch

    def describe(self) -> str:
        gib = 2.0**30
        return (f"{self.total / gib:.1f} GiB: {self.kept / gib:.1f} GiB of recorded frames, {self.chunk / gib:.1f} "
                f"GiB per kernel call, {self.threads} thread(s) x {self.scratch / gib:.2f} GiB of work arrays")


def memory_estimate(spec: S.ScenarioSpec, scenarios: int, record_every: int | None, *,
                    chunk_size: int = DEFAULT_CHUNK, joined: bool = True, threads: int | None = None) -> MemoryEstimate:
    """What simulating ``scenarios`` scenarios allocates (see :class:`MemoryEstimate`); ``joined``:
    the chunks are joined into one batch at the end (``simulate``), which copies the frames once."""
    n, T = agent_slots(spec), spec.steps
    per = record_bytes(spec, record_every)
    chunk = max(1, min(chunk_size, scenarios))
    if per:
        chunk = max(1, min(chunk, MAX_CHUNK_BYTES // per))
    k = max((len(a.maneuvers) for a in spec.actors), default=0)
    per_scenario = n * (_INPUT_BYTES + k * _MANEUVER_BYTES) + 8 * Lo.N_METRICS
    sd = spec.seed_from
    if sd is not None and (sd.replay != "none" or any(a.replay for a in spec.actors)):
        per_scenario += n * (T + 1) * 8 * 8  # the recorded states of the replayed agents (kernels.groups.Init)
    kept = scenarios * per * (2 if joined else 1)
    # per thread: four (agents, steps) histories and the visibility history, plus per-step flags
    scratch = 8 * 5 * n * T + 10 * T + 64 * n * (k + 40)
    return MemoryEstimate(kept=kept, chunk=chunk * (per_scenario + per), scratch=scratch,
                          threads=threads or min(_threads(), chunk))


def iter_batches(
    spec: S.ScenarioSpec,
    theta: np.ndarray,
    seed: int | None = None,
    *,
    record: str = "full",
    record_every: int = 1,
    chunk_size: int = DEFAULT_CHUNK,
    start_index: int = 0,
    max_chunk_bytes: int | None = None,
) -> Iterator[Batch]:
    """Simulate one scenario per row of ``theta`` (B, d), yielding the batch chunk by chunk (each at
    most ``chunk_size`` scenarios).

    ``seed`` defaults to the spec's ``seed``; the same spec, theta and seed give bit-identical output
    for any thread count or chunk size. Row ``k`` has global index ``start_index + k``, which keys its
    random stream. ``record``: ``full`` (every ``record_every``-th frame of every agent) or ``none``
    (metrics, labels and theta only). ``max_chunk_bytes`` (default ``MAX_CHUNK_BYTES``): recorded
    frames held per chunk, so long recordings come in smaller chunks; one scenario above it is an
    error."""
    if record not in ("full", "none"):
        raise SimulationError(f"record must be 'full' or 'none', got {record!r}")
    if record_every < 1:
        raise SimulationError("record_every must be a positive number of steps")
    if chunk_size < 1:
        raise SimulationError(f"chunk_size must be a positive number of scenarios, got {chunk_size}")
    seed = spec.seed if seed is None else int(seed)
    if not 0 <= seed < 2**64:
        raise SimulationError(f"seed must be an integer in [0, 2**64), got {seed}")
    theta = _check_theta(spec, theta)
    total = theta.shape[0]
    provenance = {
        "spec_name": spec.name,
        "spec_hash": spec_hash(spec),
        "source_hash": spec.source_hash,
        "spec_text": spec.source_text,
        **({"spec_file": spec_file(spec)} if spec_file(spec) else {}),
        "seed": seed,
        "version": __version__,
        "dt": spec.dt,
        "frame_step": record_every,
    }
    per = record_bytes(spec, None if record == "none" else record_every)
    limit = MAX_CHUNK_BYTES if max_chunk_bytes is None else max_chunk_bytes
    if per > limit:
        raise SimulationError(f"{spec.name}: one scenario would record {per / 2**30:.1f} GiB of trajectories "
                              f"({spec.steps} steps); record fewer frames (a larger record_every) or metrics only")
    if per:  # smaller chunks for long recordings; the output does not depend on the chunk size
        chunk_size = max(1, min(chunk_size, limit // per))
    for lo in range(0, total, chunk_size):
        hi = min(total, lo + chunk_size)
        idx = np.arange(start_index + lo, start_index + hi, dtype=np.int64)
        chunk = _run_chunk(spec, theta[lo:hi], idx, seed, None if record == "none" else record_every)
        object.__setattr__(chunk, "provenance", dict(provenance))
        yield chunk


def simulate(spec: S.ScenarioSpec, theta: np.ndarray, seed: int | None = None, *, record: str = "full",
             record_every: int = 1, chunk_size: int = DEFAULT_CHUNK, start_index: int = 0) -> Batch:
    """:func:`iter_batches` joined into one batch (no bound on the bytes per chunk: every chunk is
    held anyway, and joining smaller ones would copy them once more)."""
    return concat(list(iter_batches(spec, theta, seed, record=record, record_every=record_every,
                                    chunk_size=chunk_size, start_index=start_index, max_chunk_bytes=sys.maxsize)))
