"""Exporting scenarios to other formats through writer plugins.

Writers (built-in ``jsonl`` and ``npz``, and any installed plugin) are found
through the ``scenariogen.writers`` entry-point group and imported only when
used; see :mod:`scenariogen.export.base` for the contract a writer fulfils.
"""

from __future__ import annotations

from pathlib import Path

from ..registry import PluginError, Registry
from .base import Progress, Writer, WriteReport, atomic_output, check_writer
from .source import Chunk, ScenarioStream, open_source

__all__ = [
    "Chunk", "PluginError", "Progress", "ScenarioStream", "WriteReport", "Writer", "atomic_output",
    "check_reader", "check_writer", "export", "open_source", "readers", "writers",
]  # fmt: skip

WRITERS_GROUP = "scenariogen.writers"
READERS_GROUP = "scenariogen.readers"


def check_reader(obj: object) -> list[str]:
    """The problems with a reader plugin's shape: it needs a string ``name`` and a callable ``read``."""
    problems = [] if isinstance(getattr(obj, "name", None), str) else ["'name' must be a string"]
    if not callable(getattr(obj, "read", None)):
        problems.append("'read' must be callable")
    return problems


def writers() -> Registry:
    """The installed writers (a fresh view of the installed distributions)."""
    return Registry(WRITERS_GROUP, "writer", check_writer)


def readers() -> Registry:
    """The installed readers."""
    return Registry(READERS_GROUP, "reader", check_reader)


def export(source, fmt: str, out: str | Path, *, only_events: bool = False, limit: int | None = None,
           progress: Progress | None = None) -> WriteReport:
    """Write ``source`` (a run directory or a Batch) in format ``fmt`` to ``out``."""
    writer = writers().get(fmt)
    return writer.write(source, out, only_events=only_events, limit=limit, progress=progress)
