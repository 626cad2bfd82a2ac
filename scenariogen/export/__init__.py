"""Exporting scenarios to other formats through writer plugins.

Writers (built-in ``jsonl`` and ``npz``, and any installed plugin) are found
through the ``scenariogen.writers`` entry-point group and imported only when
used; see :mod:`scenariogen.export.base` for the contract a writer fulfils.
"""

from __future__ import annotations

from pathlib import Path

from ..registry import Registry
from .base import Progress, Writer, WriteReport, atomic_output, check_writer
from .source import Chunk, ScenarioStream, open_source

__all__ = [
    "Chunk", "Progress", "ScenarioStream", "WriteReport", "Writer", "atomic_output", "check_writer", "export",
    "open_source", "writers",
]  # fmt: skip

WRITERS_GROUP = "scenariogen.writers"


def writers() -> Registry:
    """The installed writers (a fresh view of the installed distributions)."""
    return Registry(WRITERS_GROUP, "writer", check_writer)


def export(source, fmt: str, out: str | Path, *, only_events: bool = False, limit: int | None = None,
           progress: Progress | None = None) -> WriteReport:
    """Write ``source`` (a run directory or a Batch) in format ``fmt`` to ``out``."""
    writer = writers().get(fmt)
    return writer.write(source, out, only_events=only_events, limit=limit, progress=progress)
