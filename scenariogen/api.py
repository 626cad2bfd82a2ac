"""The public API: the whole job of the command line, as functions.

Each function imports what it needs when called, so ``import scenariogen`` stays cheap and a
validator or a writer never loads the simulator. The CLI (:mod:`scenariogen.cli`) is argument
parsing over these functions.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import ParameterError

if TYPE_CHECKING:
    from .calibrate import CalibrationResult
    from .coverage.metrics import CoverageSettings
    from .data.batch import Batch
    from .data.run import Manifest, Run
    from .dsl.schema import ScenarioSpec
    from .export.base import WriteReport
    from .logs.scenes import LogScenes
    from .parallel.backends import Backend
    from .report import ScenarioTable
    from .report.page import ReportResult
    from .sampling.estimate import Estimate

Progress = Callable[[int], Any]  # called with the number of scenarios (or simulations) just finished

DEFAULT_CHUNK = 4096  # scenarios per kernel call of simulate


def load_scenario(path: str | Path) -> ScenarioSpec:
    """Read and validate a scenario file; a :class:`~scenariogen.errors.DSLError` lists every problem
    with its file, line and column."""
    from .dsl.parse import load_scenario as load

    return load(path)


def kernels_ready() -> bool:
    """True when the simulation kernels are compiled or cached; False when the next simulation
    compiles them first (once per install and version: one to two minutes of CPU, see the README)."""
    from .sim.engine import kernels_cached

    return kernels_cached()


def simulate(spec: ScenarioSpec, n: int | None = None, *, theta: np.ndarray | None = None, seed: int | None = None,
             record: str = "full", record_every: int = 1, chunk_size: int = DEFAULT_CHUNK, start_index: int = 0,
             progress: Progress | None = None, out: str | Path | None = None) -> Batch:
    """Simulate ``n`` scenarios drawn from the family's own distribution p(theta), or one per row of
    ``theta`` (B, d).

    ``seed`` defaults to the spec's seed; scenario ``k`` has global index ``start_index + k``, which
    keys both its theta draw and its simulation stream, so the output is bit-identical for any
    thread count or chunk size. ``record``: ``full`` (every ``record_every``-th frame) or ``none``
    (metrics, labels and theta only). The memory the recorded frames need is checked against half
    of this machine's memory before anything runs. ``out``: also write the batch there (an .npz,
    atomically; the path is checked before the simulations)."""
    from .data.batch import concat
    from .data.files import check_output_file
    from .data.npz import save_npz
    from .sampling.prior import sample_theta
    from .sim.engine import iter_batches, memory_estimate

    _check_seed(seed)
    if out is not None:
        if not str(out).endswith(".npz"):
            raise ParameterError("out", f"{out}: the output file must end in .npz")
        check_output_file(out)
    if theta is None:
        if n is None or n < 1:
            raise ParameterError("n", f"must be a positive number of scenarios, got {n}")
        seed = spec.seed if seed is None else seed
        rows = int(n)
    else:
        rows = len(theta)
        if n is not None and n != rows:
            raise ParameterError("n", f"= {n} but theta has {rows} rows")
    if chunk_size < 1:
        raise ParameterError("chunk_size", f"must be a positive number of scenarios, got {chunk_size}")
    if record == "full" and record_every > spec.steps:
        raise ParameterError("record_every", f"{record_every}: {spec.name} runs {spec.steps} steps, so only its "
                             f"first frame would be kept; give at most {spec.steps}, or record='none'")
    need = memory_estimate(spec, rows, None if record == "none" else record_every, chunk_size=chunk_size)
    if need.total > memory_budget():
        raise ParameterError("n", f": {rows} scenarios would take {need.describe()}, more than the memory budget "
                             f"({memory_budget() / 2**30:.1f} GiB, half of this machine's); simulate fewer, record "
                             "fewer frames (record_every) or metrics only (record='none'), or shorten the scenario")
    parts = []
    for lo in range(0, rows, chunk_size):  # theta drawn chunk by chunk: rows depend on their index only
        idx = np.arange(start_index + lo, start_index + min(rows, lo + chunk_size), dtype=np.int64)
        th = sample_theta(spec.parameters, idx, seed) if theta is None else theta[lo:lo + chunk_size]
        for part in iter_batches(spec, th, seed, record=record, record_every=record_every, chunk_size=chunk_size,
                                 start_index=int(idx[0]), max_chunk_bytes=sys.maxsize):
            parts.append(part)
            if progress is not None:
                progress(part.size)
    batch = concat(parts)
    if out is not None:
        save_npz(batch, out)
    return batch


def generate(spec: ScenarioSpec, out: str | Path, *, count: int | None = None, budget: int | None = None,
             sampler: str = "ce", target: str | None = None, seed: int | None = None,
             options: dict | None = None, shard_size: int = 1000, stage_size: int | None = None, keep: str = "events",
             record_every: int = 1, resume: bool = False, backend: Backend | None = None,
             progress: bool = False) -> Manifest:
    """Sample and simulate until ``count`` target events are found or ``budget`` simulations are
    spent, into the run directory ``out`` (resumable with ``resume=True``); returns its manifest.
    ``target`` defaults to the file's target event, ``seed`` to its seed; ``options`` are the
    sampler's (e.g. ``{"preset": "diverse"}`` for ce); ``stage_size`` defaults to ce's automatic
    size with a budget (a twelfth of it within [250, 2000]), else 2000."""
    from .runs.generate import GenerateSettings
    from .runs.generate import generate as run

    settings = GenerateSettings(sampler=sampler, target=target or spec.target or "",
                                seed=spec.seed if seed is None else seed, count=count, budget=budget,
                                shard_size=shard_size, stage_size=stage_size, keep=keep, record_every=record_every,
                                sampler_options=dict(options or {}))
    return run(spec, out, settings, resume=resume, progress=progress, backend=backend)


def estimate(spec: ScenarioSpec, event: str, *, budget: int, sampler: str = "ce", seed: int | None = None,
             stage_size: int | None = None, options: dict | None = None, backend: Backend | None = None,
             progress: Callable[[int, int], Any] | None = None) -> Estimate:
    """Estimate P(``event``) under the family's own distribution with at most ``budget`` simulations;
    ``stage_size`` defaults to ce's automatic size (a twelfth of the budget within [250, 2000]) or
    1000 for the other samplers. ``progress(simulations, events)`` is called after each batch of
    simulations."""
    from .runs.estimate import estimate as run

    _check_seed(seed)
    return run(spec, event, budget=budget, sampler=sampler, seed=spec.seed if seed is None else seed,
               stage_size=stage_size, options=dict(options or {}), backend=backend, progress=progress)


def open_run(path: str | Path, *, complete: bool = True) -> Run:
    """Open a run directory of :func:`generate` for reading, verified (manifest structure, content
    hash, each shard's SHA-256 as it is read)."""
    from .data.run import open_run as open_

    return open_(path, complete=complete)


def export(source: str | Path | Batch, fmt: str, out: str | Path, *, only_events: bool = False,
           limit: int | None = None, progress: Callable[[int, int], Any] | None = None) -> WriteReport:
    """Write a run directory (or a Batch) with the writer plugin ``fmt`` to ``out``, atomically."""
    from .export import export as run

    return run(source, fmt, out, only_events=only_events, limit=limit, progress=progress)


def read_log(path: str | Path, reader: str | None = None, **options: Any) -> LogScenes:
    """Read a real log (file or log directory) with the reader ``reader`` (default: by extension
    and content) into the simulator's array layout."""
    from .logs import read_log as read

    return read(path, reader, **options)


def coverage(run: str | Path, real: str | Path, out: str | Path, *, reader: str | None = None,
             window: float | None = None, stride: float | None = None, seed: int = 0, splits: int | None = None,
             settings: CoverageSettings | None = None, progress: bool = False,
             measurement_noise: str | Path | None = None) -> dict:
    """Score a run (or a simulated .npz) against real logs and write the report to ``out``; returns
    the report as a dict (verdicts, real-vs-real baseline, tails, fidelity, drift, diversity,
    classifier test). ``seed`` drives the subsamples, the splits and the classifier, and ``splits``
    sets the number of real-versus-real splits, unless ``settings`` are given. ``measurement_noise``:
    logs on which the logs' smoothed position noise is fitted and given to the simulated egos (default:
    white noise of the ``real`` logs' measured size; docs/coverage.md, "Measured like the logs")."""
    from dataclasses import replace

    from .coverage.metrics import CoverageSettings
    from .coverage.report import coverage_report

    _check_seed(seed)
    if settings is None:
        settings = CoverageSettings(seed=seed)
        if splits is not None:
            settings = replace(settings, splits=splits)  # validated by the settings

    for name, v in (("window", window), ("stride", stride)):
        if v is not None and not v > 0:
            raise ParameterError(name, f"must be a positive number of seconds, got {v}")
    return coverage_report(run, real, out, reader=reader, window=window, stride=stride, settings=settings,
                           progress=progress, measurement_noise=measurement_noise)


def calibrate(spec: ScenarioSpec, real: str | Path | list, out: str | Path | None = None, *,
              reader: str | None = None, seed: int | None = None, progress: bool = False) -> CalibrationResult:
    """Fit the distributions the family marks in its ``calibrate:`` block to the real logs ``real``
    (a log, a folder of logs, or a list of them) and, when ``out`` is given, write the calibrated
    family there (atomically, only once the fit succeeded). ``seed`` defaults to the family's; the
    same inputs and seed give the same file."""
    from .calibrate import calibrate as fit
    from .data.files import check_output_file, write_bytes_atomic

    _check_seed(seed)
    if out is not None:
        out = check_output_file(out)
    paths = list(real) if isinstance(real, (list, tuple)) else [real]
    result = fit(spec, paths, reader=reader, seed=seed, progress=progress)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(out, result.text.encode("utf-8"))
    return result


def describe(spec: ScenarioSpec) -> str:
    """The resolved spec as text: road, actors, manoeuvres, sensor, events, parameter space."""
    from .dsl.describe import summary

    return summary(spec)


def plugins() -> dict:
    """The installed plugin registries: ``{"writers": ..., "readers": ...}``
    (:class:`~scenariogen.registry.Registry`; ``available()`` tries each plugin)."""
    from .export import writers
    from .logs import readers

    return {"writers": writers(), "readers": readers()}


def render(source: str | Path, out: str | Path, *, id: int | None = None, row: int | None = None,
           time: float | None = None, max_frames: int = 100, fps: int = 10, follow: str | None = None,
           window: Sequence[float] | None = None, whole: bool = False) -> tuple[Path, str]:
    """Draw one scenario of a simulated .npz, a directory of .npz shards or a run directory (its kept
    scenarios), chosen by its global scenario ``id`` or its ``row`` among those held (the columns of
    :func:`list_scenarios`; default row 0), as a frame (.png, .svg; at ``time`` s, default the
    closest approach) or an animation (.gif). The camera follows the ego, or the agent named
    ``follow``, or shows the fixed ``window`` (x0, y0, x1, y1 m), or every agent over the ``whole``
    scenario. Returns the file written and a caption naming the scenario's id and row."""
    from .render import FORMATS, View, find_scenario
    from .render import render as draw

    suffix = Path(out).suffix.lower()
    if suffix not in FORMATS:
        raise ParameterError("out", f"{out}: the output file must end in .png, .svg or .gif")
    if time is not None and suffix == ".gif":
        raise ParameterError("time", "picks one frame of a .png or .svg; a .gif shows the whole scenario")
    if id is not None and row is not None:
        raise ParameterError("id", "and row both choose the scenario: give one of them")
    view = View(follow=follow, window=tuple(window) if window is not None else None, whole=whole)
    batch, r, over = find_scenario(source, id=id, row=0 if id is None and row is None else row)
    written = draw(batch, r, out, time=time, max_frames=max_frames, fps=fps, view=view)
    name = batch.provenance.get("spec_name", "scenario")
    return written, f"{name} scenario id {int(batch.indices[r])} (row {over} of {Path(source).name})"


def list_scenarios(source: str | Path, *, where: str | None = None, sort: str | None = None,
                   descending: bool = False) -> ScenarioTable:
    """The table of a run directory's kept scenarios (or of a simulate .npz): id, row, events, min
    TTC, min distance, collision, weight, conflict type... (:data:`scenariogen.report.COLUMNS`),
    keeping the rows that satisfy ``where`` (e.g. ``"min_ttc < 0.5 and not collision"``), ordered
    by the column ``sort`` (the largest first with ``descending``)."""
    from dataclasses import replace

    from .report import scenario_table, select

    table = scenario_table(source)
    return replace(table, rows=tuple(select(table, where, sort, descending)))


def report(source: str | Path, out: str | Path, *, coverage: str | Path | None = None,
           progress: bool = False) -> ReportResult:
    """Write the static HTML report of a run directory to the folder ``out`` (atomically): the run's
    summary (spec, sampler, estimate with its interval, conflict types, the verdicts of the
    ``coverage`` report folder when given) and the table of its kept scenarios, sortable and
    filterable in the browser, each with an animated picture."""
    from .report.page import write_report

    return write_report(source, out, coverage=coverage, progress=progress)


def backend(name: str = "local", *, workers: int | None = None, address: str | None = None) -> Backend:
    """An execution backend for :func:`generate` and :func:`estimate`: ``local`` (``workers``
    kernel threads) or ``ray`` (``workers`` tasks at once, on the cluster at ``address`` or a
    private one); checked before anything runs."""
    from .parallel import make_backend

    return make_backend(name, workers=workers, address=address)


def sampler_note(manifest: Manifest) -> str | None:
    """One line on the sampler's state after a run (ce's novelty component), or None."""
    from .sampling import ce_state_summary

    return ce_state_summary(manifest.sampler_state)


def _check_seed(seed: int | None) -> None:
    from .dsl.parse import SEED_LIMIT

    if seed is not None and not 0 <= seed < SEED_LIMIT:  # the range a scenario file's seed has
        raise ParameterError("seed", f"must be an integer in [0, 2^63), got {seed}")


def memory_budget() -> int:
    """Bytes a simulation may allocate: half of this machine's physical memory."""
    from .sim.engine import memory_budget as budget

    return budget()


__all__ = ["backend", "calibrate", "coverage", "describe", "estimate", "export", "generate", "kernels_ready",
           "list_scenarios", "load_scenario", "open_run", "plugins", "read_log", "render", "report", "sampler_note",
           "simulate"]
