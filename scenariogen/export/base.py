"""The writer contract: what a format plugin provides and what it reports back.

A writer is any object with these attributes (the registry checks them when
it loads the plugin):

- ``name``: str, the format name users pass to ``--format``;
- ``extensions``: tuple of str, the accepted output suffixes (``(".jsonl",)``);
  empty for a writer whose output is a directory;
- ``format_version``: str, the version of the written schema;
- ``requires``: tuple of importable module names it needs beyond scenariogen's
  own dependencies, with ``extra`` (optional) the pip extra that installs them;
- ``cannot_carry``: tuple of str, the parts of a scenario the format cannot hold
  (documentation; the report of each write says what was actually dropped);
- ``write(source, out_path, *, only_events=False, limit=None, progress=None) -> WriteReport``.

:class:`Writer` implements ``write`` once for every format: it opens the source
(a run directory streamed shard by shard, or a :class:`~scenariogen.sim.Batch`),
checks the output path, writes to a temporary file or folder next to it and
renames it into place only when complete, so a failed export leaves nothing
behind; the temporaries of an export that was killed (no ``finally`` runs) are
removed by the next export to the same path. Names that become file names or XML
go through :mod:`scenariogen.data.files` (``safe_name``, ``valid_text``).
A subclass fills in :meth:`Writer.write_stream`.
"""

from __future__ import annotations

import os
import shutil
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from ..errors import ScenarioGenError
from ..data.files import (check_output_dir, check_output_file, default_mode, locked_temporary,
                          remove_stale_temporaries)
from .source import ScenarioStream, open_source

__all__ = ["Progress", "WriteReport", "Writer", "atomic_output", "check_writer"]

Progress = Callable[[int, int], None]  # (scenarios just written, total expected)


@dataclass
class WriteReport:
    """What one export wrote (``scenarios``, ``files``, ``bytes``) and what it left out:
    ``dropped`` names parts of the data the format cannot carry, ``skipped`` counts scenarios
    filtered out by ``only_events``."""

    format: str
    path: Path
    scenarios: int = 0
    files: int = 0
    bytes: int = 0
    skipped: int = 0
    dropped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def drop(self, what: str) -> None:
        if what not in self.dropped:
            self.dropped.append(what)

    def summary(self) -> str:
        plural = lambda n: "s" if n != 1 else ""  # noqa: E731
        lines = [f"{self.format}: {self.scenarios} scenario{plural(self.scenarios)} -> {self.path} "
                 f"({self.files} file{plural(self.files)}, {self.bytes / 1e6:.1f} MB, {self.seconds:.1f} s)"]
        if self.skipped:
            lines.append(f"  skipped {self.skipped} scenarios without the target event")
        lines += [f"  dropped (the format cannot carry it): {d}" for d in self.dropped]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def check_writer(obj: object) -> list[str]:
    """The problems with a writer plugin's shape (empty when it fits the contract)."""
    problems = []
    for attr, typ in (("name", str), ("format_version", str)):
        if not isinstance(getattr(obj, attr, None), typ):
            problems.append(f"'{attr}' must be a string")
    for attr in ("extensions", "requires", "cannot_carry"):
        v = getattr(obj, attr, None)
        if not isinstance(v, (tuple, list)) or not all(isinstance(x, str) for x in v):
            problems.append(f"'{attr}' must be a tuple of strings")
    if not callable(getattr(obj, "write", None)):
        problems.append("'write' must be callable")
    return problems


@contextmanager
def atomic_output(out: Path, directory: bool, stale: list[Path] | None = None) -> Iterator[Path]:
    """A temporary file or folder next to ``out`` (``.NAME.<8 hex>.tmp``, locked while in use),
    renamed to ``out`` when the block succeeds and removed when it fails. First removes the
    temporaries that killed exports to ``out`` left, listing them in ``stale`` when given."""
    created = next((p for p in reversed(out.parents) if not p.exists()), None)  # removed again on failure
    if not out.exists():  # a parent that is a file is named as such, not reported as "File exists"
        (check_output_dir if directory else check_output_file)(out)
    with ExitStack() as lock:  # the temporary's lock, released on the way out
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            removed = remove_stale_temporaries(out)
            tmp = lock.enter_context(locked_temporary(out, directory))
        except OSError as exc:
            raise ScenarioGenError(f"{out}: cannot write here ({exc.strerror or exc})") from None
        if stale is not None:
            stale.extend(removed)
        try:
            yield tmp
            default_mode(tmp, directory)
            os.replace(tmp, out)  # a folder replaces only an empty one: checked before writing
        except BaseException as exc:
            shutil.rmtree(tmp, ignore_errors=True) if tmp.is_dir() else tmp.unlink(missing_ok=True)
            if created is not None:
                shutil.rmtree(created, ignore_errors=True)
            if isinstance(exc, OSError):
                raise ScenarioGenError(f"{out}: writing failed ({exc.strerror or exc})") from None
            raise


class Writer:
    """Base class of the writers: set the attributes, implement :meth:`write_stream`."""

    name: str = ""
    extensions: tuple[str, ...] = ()
    format_version: str = ""
    requires: tuple[str, ...] = ()
    extra: str | None = None
    cannot_carry: tuple[str, ...] = ()
    directory: bool = False  # the output is a folder of files rather than one file

    def check_out_path(self, out: Path) -> None:
        """A clear error for an output path this format cannot produce."""
        if self.directory:
            if out.exists() and (not out.is_dir() or any(out.iterdir())):
                raise ScenarioGenError(f"{out}: already exists; {self.name} writes a new folder, "
                                       "choose a new or empty one")
        else:
            if self.extensions and not any(out.name.endswith(e) for e in self.extensions):
                raise ScenarioGenError(f"{out}: a {self.name} file must end in {' or '.join(self.extensions)}")
            if out.is_dir():
                raise ScenarioGenError(f"{out}: is a directory; {self.name} writes one file")

    def require_frames(self, b, least: int) -> None:
        """A clear error when Batch ``b`` holds fewer than ``least`` recorded frames (a source
        that kept metrics only has none)."""
        T = b.trajectories.shape[2]
        if T < least:
            frames = "1 frame" if least == 1 else f"{least} frames"
            raise ScenarioGenError(f"{self.name} needs recorded trajectories (at least {frames}); this source has {T}")

    def write(self, source, out_path, *, only_events: bool = False, limit: int | None = None,
              progress: Progress | None = None) -> WriteReport:
        """Export ``source`` (run directory or Batch) to ``out_path``, atomically."""
        start = time.perf_counter()
        out = Path(out_path)
        self.check_out_path(out)
        stream = open_source(source, only_events=only_events, limit=limit)
        report = WriteReport(self.name, out)
        if progress is not None:
            progress(0, stream.total)
        stale: list[Path] = []
        with atomic_output(out, self.directory, stale) as tmp:
            self.write_stream(stream, tmp, report, progress)
        if stale:
            report.notes.append(f"removed {len(stale)} temporary file(s) left by an interrupted export to {out}")
        report.skipped = stream.skipped
        run = stream.meta.get("run")
        if run and run.get("keep") == "events":
            report.notes.append(f"the run stored trajectories of its target events only ({run['simulations']} "
                                "simulations; their parameters and scores stay in the run's shards)")
        files = [p for p in out.rglob("*") if p.is_file()] if out.is_dir() else [out]
        report.files = len(files)
        report.bytes = sum(p.stat().st_size for p in files)
        report.seconds = time.perf_counter() - start
        return report

    def write_stream(self, stream: ScenarioStream, tmp: Path, report: WriteReport,
                     progress: Progress | None) -> None:
        """Write every chunk of ``stream`` to ``tmp`` (a file, or a folder when ``directory``);
        count ``report.scenarios``, call ``report.drop`` for what the format leaves out and
        ``progress(n, stream.total)`` after each chunk."""
        raise NotImplementedError
