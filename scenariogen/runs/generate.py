"""``scenariogen generate``: sample, simulate and store rare scenarios, stage by stage, resumably.

A run is a sequence of sampler stages; a stage is drawn in pieces of at most
``shard_size`` scenarios, and each piece is simulated and written as one
shard. Everything a stage draws is a pure function of (spec, seed, sampler
state before the stage, stage number, row offset), and each scenario's
simulation random stream is keyed by its global index (the number of
simulations before it in the run), so a run killed at any point and resumed
from its manifest writes exactly the shards an uninterrupted run writes.
"""

from __future__ import annotations

import collections
import math
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from .._version import __version__
from ..data.files import jsonable
from ..data.run import MANIFEST, Manifest, Run, RunWriter, Totals, read_manifest
from ..dsl import schema as S
from ..errors import ParameterError, ScenarioGenError
from ..parallel import Backend, ShardResult, ShardTask
from ..sim.engine import spec_file, spec_hash
from .summary import (
    conflict_shares_under_p,
    conflict_types,
    counts_for_estimate,
    failure_clusters,
    final_estimate,
)

# with --count and no --budget, a run that has drawn this many stages without reaching the target
# event (or without a single one) stops with an error instead of running on forever
MAX_STAGES_WITHOUT_EVENT = 200


@dataclass(frozen=True)
class GenerateSettings:
    """What to generate: ``count`` target events or a ``budget`` of simulations (at least one of them)."""

    sampler: str = "ce"
    target: str = ""
    seed: int = 0
    count: int | None = None
    budget: int | None = None
    shard_size: int = 1000
    stage_size: int | None = None  # scenarios per adaptation stage (cross-entropy levels); None: see resolved()
    keep: str = "events"  # "events": trajectories of target events only; "all": every scenario
    record_every: int = 1
    sampler_options: dict = field(default_factory=dict)  # e.g. {"family": "mixture", "eps": 0.2} for ce


GENERATE_STAGE = 2000  # rows per adaptation stage of a run given a count only


def resolved(st: GenerateSettings) -> GenerateSettings:
    """``st`` with its stage size filled in when left to the default: ``ce`` with a budget takes the
    estimate's rule (a twelfth of the budget within [250, 2000]: ``sampling.run.default_stage_size``),
    everything else :data:`GENERATE_STAGE`."""
    if st.stage_size is not None:
        return st
    from ..sampling.run import default_stage_size

    size = default_stage_size(st.sampler, st.budget) if st.sampler == "ce" and st.budget else GENERATE_STAGE
    return replace(st, stage_size=size)


def check_settings(spec: S.ScenarioSpec, st: GenerateSettings) -> None:
    """Everything that can be wrong with the request, before anything is written."""
    from ..dsl.parse import SEED_LIMIT
    from ..sampling import SAMPLERS
    from ..sim.engine import MAX_CHUNK_BYTES, record_bytes

    names = [e.name for e in spec.events]
    if not st.target:
        raise ParameterError("target", f": {spec.source} names no target event; give one (events: "
                             f"{', '.join(names) or 'none'})")
    if st.target not in names:
        raise ParameterError("target", f"{st.target!r} is not an event of {spec.source} (events: "
                             f"{', '.join(names) or 'none'})")
    if st.sampler not in SAMPLERS:
        raise ParameterError("sampler", f"{st.sampler!r} is unknown (samplers: {', '.join(SAMPLERS)})")
    check_sampler_options(st.sampler, spec, st.sampler_options, st.budget)
    if st.count is None and st.budget is None:
        raise ParameterError("count", ": give a count (target events wanted) and/or a budget (simulations allowed)")
    for name, v in (("count", st.count), ("budget", st.budget)):
        if v is not None and v < 1:
            raise ParameterError(name, f"must be a positive number, got {v}")
    for name, v in (("shard_size", st.shard_size), ("stage_size", st.stage_size)):
        if v < 1:
            raise ParameterError(name, f"must be a positive number of scenarios, got {v}")
    if st.record_every < 1:
        raise ParameterError("record_every", f"must be a positive number of steps, got {st.record_every}")
    if st.record_every > spec.steps:
        raise ParameterError("record_every", f"{st.record_every}: {spec.name} runs {spec.steps} steps, so only "
                             f"its first frame would be kept; give at most {spec.steps}")
    per = record_bytes(spec, st.record_every)
    if per > MAX_CHUNK_BYTES:
        raise ParameterError("record_every", f": {spec.source}: one scenario would record {per / 2**30:.1f} GiB "
                             f"of trajectories ({spec.steps} steps); record fewer frames")
    if st.keep not in ("events", "all"):
        raise ParameterError("keep", f"must be 'events' or 'all', got {st.keep!r}")
    if not (0 <= st.seed < SEED_LIMIT):
        raise ParameterError("seed", f"must be an integer in [0, 2^63), got {st.seed}")


def check_sampler_options(sampler: str, spec: S.ScenarioSpec, options: dict, budget: int | None = None) -> None:
    """Build the sampler once so that a bad option is reported before anything runs, and a budget
    too small for one stage of a sampler with a fixed stage size (splitting) too."""
    from ..sampling import get_sampler

    s = get_sampler(sampler, spec.parameters, 0, **options)  # a bad option raises SamplerOptionsError
    if budget is not None and s.stage_size is not None and budget < s.stage_size:
        raise ParameterError("budget", f"{budget} is smaller than one stage of {sampler} ({s.stage_size} "
                             "simulations); give a larger budget or a smaller n_particles option")


def _new_manifest(spec: S.ScenarioSpec, st: GenerateSettings) -> Manifest:
    return Manifest(spec_name=spec.name, spec_hash=spec_hash(spec), spec_text=spec.source_text,
                    spec_file=spec_file(spec), version=__version__,
                    settings=asdict(st), parameters=tuple(spec.parameters.names))


def _prepare_dir(writer: RunWriter, spec: S.ScenarioSpec, st: GenerateSettings, resume: bool) -> Manifest:
    """The manifest to continue from (resume) or a new one; refuses a directory holding something else.
    Called with the directory locked, so no other writer changes it meanwhile."""
    out = writer.path
    existing = read_manifest(out)
    if resume:
        if existing is None:
            raise ScenarioGenError(f"{out}: nothing to resume (no {MANIFEST})")
        if existing.spec_hash != spec_hash(spec):
            raise ScenarioGenError(f"{out}: holds a run of another scenario ({existing.spec_name}, spec hash "
                                   f"{existing.spec_hash}); resume it with the same scenario file")
        if existing.settings != asdict(st):
            diff = [k for k, v in asdict(st).items() if existing.settings.get(k) != v]
            raise ScenarioGenError(f"{out}: the run was started with other settings ({', '.join(diff)}); "
                                   "resume with the same options")
        Run(out, existing).check_shards()  # a deleted or damaged shard would leave a gap in the run
        return existing
    if existing is not None:
        same = existing.spec_hash == spec_hash(spec)
        what = "this scenario" if same else f"another scenario ({existing.spec_name})"
        hint = "resume it or " if same else ""
        raise ScenarioGenError(f"{out}: already holds a run of {what}; {hint}choose an empty directory")
    if not writer.is_empty():
        raise ScenarioGenError(f"{out}: directory is not empty; choose a new or empty directory")
    return _new_manifest(spec, st)


@dataclass
class _StagePlan:
    """A sampler stage being drawn: its pieces proposed so far, and what the written ones returned."""

    stage: int
    size: int  # rows wanted
    offset: int = 0  # rows proposed so far (including pieces written before a resume)
    closed: bool = False  # every piece proposed
    outstanding: int = 0  # pieces proposed, not yet written
    rob: list = field(default_factory=list)  # per written piece, in order
    theta: list = field(default_factory=list)
    log_weight: list = field(default_factory=list)


def generate(spec: S.ScenarioSpec, out_dir: str | Path, st: GenerateSettings, *, resume: bool = False,
             progress: bool = True, stop_after_shards: int | None = None, backend: Backend | None = None) -> Manifest:
    """Run (or resume) a generation into ``out_dir``; returns the final manifest.

    Shards are simulated on ``backend`` (default: :class:`~scenariogen.parallel.LocalBackend`), several at
    once where the sampler allows: all pieces of a stage together, and, once the sampler stops adapting
    (its later proposals no longer depend on results), the following stages too. Results come back in any
    order; shards, stage updates and the manifest are written here, in index order, so the output is the
    same for every backend and worker count. ``stop_after_shards`` stops after writing that many new
    shards (for tests of interrupted runs)."""
    st = resolved(st)
    check_settings(spec, st)
    with RunWriter(out_dir) as writer:
        manifest = _prepare_dir(writer, spec, st, resume)
        if manifest.complete:
            return manifest
        return _run(spec, writer, manifest, st, progress, stop_after_shards, backend)


def _run(spec: S.ScenarioSpec, writer: RunWriter, manifest: Manifest, st: GenerateSettings, progress: bool,
         stop_after_shards: int | None, backend: Backend | None) -> Manifest:
    """The stages of a run, into the locked ``writer`` from ``manifest`` on (see :func:`generate`)."""
    from tqdm import tqdm

    from ..parallel import LocalBackend
    from ..sampling import Proposal, get_sampler

    out = writer.path
    sampler = get_sampler(st.sampler, spec.parameters, st.seed, **st.sampler_options)
    if manifest.sampler_state is not None:
        sampler.load_state(manifest.sampler_state)

    bar = tqdm(total=st.count if st.count is not None else st.budget, unit="evt" if st.count else "sim",
               desc=f"{spec.name} [{st.sampler}]", disable=not progress or None, initial=0)
    bar.update(manifest.totals.events if st.count is not None else manifest.totals.simulations)

    def finished() -> bool:
        totals = manifest.totals
        if st.budget is not None and totals.simulations >= st.budget:
            return True
        # with --count, stop once enough events are found and at least one stage was drawn from a
        # final proposal (the probability estimate uses those stages only; ce may still be refining)
        final_done = any(counts_for_estimate(s) for s in manifest.stages)
        return st.count is not None and totals.events >= st.count and sampler.estimable and final_done

    plans: collections.deque[_StagePlan] = collections.deque()  # stages proposed, not yet updated
    tasks: dict[int, ShardTask] = {}  # submitted, not yet written, by shard number
    results: dict = {}  # finished out of order, waiting for the shards before them
    levels: dict[int, float | None] = {}
    planned = _sims_before_stage(manifest, len(manifest.stages))  # global index of the next proposed row
    next_k = len(manifest.shards)
    no_more_stages = False

    def plan_task() -> ShardTask | None:
        """The next shard to simulate, or None when none can be proposed before results come back."""
        nonlocal planned, next_k, no_more_stages
        cur = plans[-1] if plans and not plans[-1].closed else None
        if cur is None:
            # a new stage: right away once the sampler stopped adapting (its update cannot change what it
            # proposes), else only after the stages before it were simulated and fed back
            if no_more_stages or (plans and sampler.adapting) or (not plans and finished()):
                no_more_stages = no_more_stages or not plans
                return None
            stage = len(manifest.stages) + len(plans)
            # splitting fixes its own stage size (one move per renewed particle); the others take ours
            n_stage = sampler.stage_size or (st.stage_size if sampler.adapting else st.shard_size)
            if st.budget is not None:
                left = st.budget - planned
                if sampler.stage_size is not None and left < n_stage:
                    no_more_stages = True  # splitting cannot use part of a stage: stop within the budget
                    return None
                n_stage = min(n_stage, left)
            if n_stage <= 0:
                no_more_stages = True
                return None
            cur = _StagePlan(stage, n_stage)
            plans.append(cur)
            for rec in manifest.shards:  # pieces written before a resume
                if rec.stage == stage:
                    sim = Run(out, manifest).sim_arrays(rec)
                    cur.rob.append(sim["robustness"])
                    cur.theta.append(sim["theta"])
                    cur.log_weight.append(sim["log_weight"])
                    cur.offset = rec.offset + rec.size
                    planned += rec.size
        if cur.offset >= cur.size:
            cur.closed = True
            return None
        m = min(st.shard_size, cur.size - cur.offset)
        prop = sampler.propose(m, cur.stage, cur.offset)
        m = prop.theta.shape[0]
        if m == 0:
            cur.closed = True
            return None
        task = ShardTask(k=next_k, stage=cur.stage, offset=cur.offset, first_index=planned, theta=prop.theta,
                         log_weight=prop.log_weight, seed=st.seed, target=st.target, keep=st.keep,
                         record_every=st.record_every)
        levels[next_k] = prop.level
        next_k += 1
        planned += m
        cur.offset += m
        cur.outstanding += 1
        if cur.offset >= cur.size:
            cur.closed = True
        return task

    def complete_stages() -> bool:
        """Feed every fully written stage back to the sampler, in order; True when the run is finished."""
        nonlocal manifest
        while plans and plans[0].closed and plans[0].outstanding == 0:
            cur = plans.popleft()
            rob = np.concatenate(cur.rob) if cur.rob else np.zeros(0)
            full = Proposal(theta=np.concatenate(cur.theta) if cur.theta else np.zeros((0, spec.parameters.dim)),
                            log_weight=np.concatenate(cur.log_weight) if cur.log_weight else np.zeros(0),
                            stage=cur.stage, level=None)
            adapting, estimable = sampler.adapting, sampler.estimable
            info = sampler.update(full, rob)
            record = {"stage": cur.stage, "size": int(full.theta.shape[0]), "adapting": bool(adapting),
                      "estimate": bool(estimable), "events": int((rob < 0).sum()), "info": jsonable(info)}
            manifest = replace(manifest, stages=manifest.stages + (record,),
                               sampler_state=jsonable(sampler.state_dict()))
            writer.write_manifest(manifest)
            if st.budget is None and len(manifest.stages) > MAX_STAGES_WITHOUT_EVENT:
                if adapting and not estimable:
                    raise ScenarioGenError(f"the sampler did not reach the target event in {MAX_STAGES_WITHOUT_EVENT} "
                                           "stages; give a budget or check that the event can happen")
                if manifest.totals.events == 0:
                    raise ScenarioGenError(f"no target event in {manifest.totals.simulations} simulations "
                                           f"({MAX_STAGES_WITHOUT_EVENT} stages); give a budget or check that "
                                           "the event can happen")
            if finished():
                return True
        return False

    def write_shard(task: ShardTask, res: ShardResult) -> None:
        nonlocal manifest
        m = task.size
        rec = writer.write_shard(task.k, res.data, stage=task.stage, offset=task.offset, size=m,
                                 first_index=task.first_index, events=res.events, kept=res.kept)
        t = manifest.totals
        totals = Totals(t.simulations + m, t.events + res.events, t.kept + res.kept)
        manifest = replace(manifest, shards=manifest.shards + (rec,), totals=totals)
        writer.write_manifest(manifest)
        bar.update(res.events if st.count is not None else m)
        bar.set_postfix(sims=totals.simulations, events=totals.events,
                        rate=f"{totals.events / max(totals.simulations, 1):.2e}",
                        level=_fmt_level(levels.pop(task.k, None)))
        cur = next(p for p in plans if p.stage == task.stage)
        cur.rob.append(res.robustness)
        cur.theta.append(task.theta)
        cur.log_weight.append(task.log_weight)
        cur.outstanding -= 1

    def fill(session) -> None:
        while session.pending < session.window:
            task = plan_task()
            if task is None:
                return
            tasks[task.k] = task
            session.submit(task)

    new_shards = 0
    try:
        # the backend starts (or fails) before anything is written, so a bad backend leaves no run behind
        with (backend or LocalBackend()).session(spec) as session:
            _check_memory(spec, st, session.window)
            writer.open(manifest)
            done = False
            while not done:
                fill(session)
                if session.pending == 0:
                    # nothing running: either a stage ended without new pieces, or the run is over
                    if plans and plans[0].closed and plans[0].outstanding == 0:
                        done = complete_stages()
                        continue
                    if plans and not plans[-1].closed:
                        continue
                    break
                res = session.next_result()
                results[res.k] = res
                fill(session)  # keep the workers busy while this result is written
                while not done and len(manifest.shards) in results:
                    k = len(manifest.shards)
                    write_shard(tasks.pop(k), results.pop(k))
                    new_shards += 1
                    if stop_after_shards is not None and new_shards >= stop_after_shards:
                        return manifest
                    done = complete_stages()
    finally:
        bar.close()

    if st.sampler == "splitting":  # its estimate is a product of level probabilities, not an IS average
        est = sampler.estimate()
    else:
        est = final_estimate(Run(out, manifest), sampler)
    run = Run(out, replace(manifest, estimate=jsonable(asdict(est))))
    manifest = run.manifest.finish(failure_clusters=failure_clusters(run), conflict_types=conflict_types(run),
                                   conflict_shares_under_p=conflict_shares_under_p(run))
    writer.write_manifest(manifest)
    return manifest


def _check_memory(spec: S.ScenarioSpec, st: GenerateSettings, tasks: int) -> None:
    """Refuse, before anything is written, a run whose shards in flight need more than the budget."""
    from ..sim.engine import memory_budget, memory_estimate

    one = memory_estimate(spec, st.shard_size, st.record_every, joined=True)
    if tasks * one.total > memory_budget():
        raise ParameterError("shard_size", f": {tasks} shard(s) of {st.shard_size} scenarios at once would take "
                             f"{tasks} x {one.describe()}, more than the memory budget ({memory_budget() / 2**30:.1f} "
                             "GiB, half of this machine's); give smaller shards, record fewer frames or shorten "
                             "the scenario")


def _sims_before_stage(manifest: Manifest, stage: int) -> int:
    return sum(rec.size for rec in manifest.shards if rec.stage < stage)


def _fmt_level(level) -> str:
    return "-" if level is None or not math.isfinite(level) else f"{level:.3g}"


__all__ = ["GenerateSettings", "check_sampler_options", "check_settings", "generate"]
