"""What a writer reads: a run directory, streamed shard by shard, or a :class:`Batch` in memory.

:func:`open_source` checks everything that can be wrong with the input before
a writer creates anything (a run must be complete and every shard must be
present); each shard's SHA-256 is checked against the manifest as it is read,
so a corrupt shard fails the export (whose output is atomic) instead of
exporting damaged data. Chunks come out already filtered (``only_events``) and
cut (``limit``), with the importance log-weight of each kept scenario.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterator

import numpy as np

from ..errors import ParameterError, ScenarioGenError
from ..data.batch import Batch
from ..data.run import Run, open_run

CHUNK = 1000  # scenarios per chunk when the source is a Batch


@dataclass(frozen=True)
class Chunk:
    """Consecutive scenarios of the source.

    ``log_weight``: (B,) float64, log p(theta) - log q(theta) of each scenario
    under the run's sampler (0 for plain Monte Carlo), or None when the source
    is a Batch, which carries no weights. ``stage``: (B,) int64 sampler stage, or None.
    """

    batch: Batch
    log_weight: np.ndarray | None
    stage: np.ndarray | None


@dataclass
class ScenarioStream:
    """An opened source: ``meta`` (spec name and text, target, parameters, run facts), ``total``
    scenarios it will yield after filtering and the limit, and the chunks themselves."""

    meta: dict
    total: int
    _chunks: Iterator[Chunk] = field(repr=False)
    skipped: int = 0  # scenarios left out by only_events

    def __iter__(self) -> Iterator[Chunk]:
        return self._chunks

    def spec(self, writer: str):
        """The run's scenario spec, parsed once; writers that build a road or map from it call this."""
        if not self.meta["spec_text"]:
            raise ScenarioGenError(f"{writer} needs the scenario spec (provenance['spec_text']) to build the map")
        return parse_spec(self.meta["spec_text"])


def open_source(source, *, only_events: bool = False, limit: int | None = None) -> ScenarioStream:
    """Open a run directory (path) or a :class:`Batch` for streaming."""
    if isinstance(source, ScenarioStream):
        return source
    if limit is not None and limit < 1:
        raise ParameterError("limit", f"must be a positive number of scenarios, got {limit}")
    if isinstance(source, Batch):
        return _batch_stream(source, only_events, limit)
    if isinstance(source, (str, Path)):
        return _run_stream(Path(source), only_events, limit)
    raise ScenarioGenError(f"cannot export a {type(source).__name__}: give a run directory or a Batch")


#: spec text -> the scenario file it was loaded from, as the opened run or batch recorded it (only specs
#: whose road comes from a map file record one: their relative map path resolves against it)
_SPEC_FILES: dict[str, str] = {}


def _note_spec_file(spec_text: str, spec_file: str) -> None:
    if spec_text and spec_file and _SPEC_FILES.get(spec_text) != spec_file:
        _SPEC_FILES[spec_text] = spec_file
        parse_spec.cache_clear()


@lru_cache(maxsize=8)
def parse_spec(spec_text: str):
    """A spec text from a run's provenance, parsed (cached: writers ask for the same text per shard);
    a relative map path in it resolves against the scenario file the run recorded."""
    from ..dsl import parse_text

    return parse_text(spec_text, _SPEC_FILES.get(spec_text, "<string>"))


def spec_target(spec_text: str) -> str:
    return parse_spec(spec_text).target or ""


# ---- a Batch in memory -------------------------------------------------------------
def _batch_stream(batch: Batch, only_events: bool, limit: int | None) -> ScenarioStream:
    text = batch.provenance.get("spec_text", "")
    _note_spec_file(text, str(batch.provenance.get("spec_file", "") or ""))
    target = spec_target(text) if text else ""
    rows = np.arange(batch.size)
    if only_events:
        if target not in batch.labels:
            raise ScenarioGenError("only_events needs the batch's target event, and its spec names none")
        rows = rows[batch.labels[target]]
    skipped = batch.size - len(rows)
    if limit is not None:
        rows = rows[:limit]
    meta = {"spec_name": batch.provenance.get("spec_name", ""), "spec_text": text, "target": target,
            "parameters": list(batch.parameter_names), "run": None}

    def chunks() -> Iterator[Chunk]:
        for lo in range(0, len(rows), CHUNK):
            yield Chunk(batch.select(rows[lo:lo + CHUNK]), None, None)

    return ScenarioStream(meta, len(rows), chunks(), skipped)


# ---- a run directory ---------------------------------------------------------------
def _run_stream(path: Path, only_events: bool, limit: int | None) -> ScenarioStream:
    if path.is_file():
        raise ScenarioGenError(f"{path}: not a run directory (a file: export reads the run directories of "
                               "'scenariogen generate')")
    run = open_run(path)
    m = run.manifest
    _note_spec_file(m.spec_text, m.spec_file)
    target = m.settings["target"]
    count = sum(rec.events if only_events else rec.kept for rec in m.shards)
    total = count if limit is None else min(count, limit)
    run_facts = {"content_hash": m.content_hash, "version": m.version, "spec_hash": m.spec_hash,
                 "sampler": m.settings["sampler"], "seed": m.settings["seed"], "keep": m.settings["keep"],
                 "simulations": m.totals.simulations, "estimate": m.estimate}
    meta = {"spec_name": m.spec_name, "spec_text": m.spec_text, "target": target, "parameters": list(m.parameters),
            "run": run_facts}
    stream = ScenarioStream(meta, total, iter(()))
    stream._chunks = _run_chunks(run, target, only_events, total, stream)
    return stream


def _run_chunks(run: Run, target: str, only_events: bool, total: int, stream: ScenarioStream) -> Iterator[Chunk]:
    left = total
    for rec in run.manifest.shards:
        if left <= 0:
            return
        if rec.kept == 0:
            continue
        batch, sim = run.read_shard(rec)
        pos = np.minimum(np.searchsorted(sim["index"], batch.indices), len(sim["index"]) - 1)
        if np.any(sim["index"][pos] != batch.indices):
            raise ScenarioGenError(f"{run.shard_path(rec)}: kept scenarios do not match the shard's simulations")
        rows = np.arange(batch.size)
        if only_events:
            rows = rows[batch.labels[target]]
            stream.skipped += batch.size - len(rows)
        rows = rows[:left]
        if len(rows) == 0:
            continue
        left -= len(rows)
        yield Chunk(batch.select(rows), sim["log_weight"][pos[rows]], sim["stage"][pos[rows]])
