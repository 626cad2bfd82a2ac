"""Readers of real logged scenarios, all returning :class:`LogScenes` (the simulator's array layout).

Built-in readers (also registered as ``scenariogen.readers`` entry points):

=============== ============================= =================================================
name            files                         what
=============== ============================= =================================================
``commonroad``  ``.xml``                      CommonRoad 2018b / 2020a (NGSIM, ...), lanelets
``av2``         ``.parquet``, ``.feather``,   Argoverse 2 forecasting scenarios and sensor-log
                log directories               annotations (needs ``scenariogen[parquet]``)
``eth-ucy``     ``.txt``                      ETH/UCY pedestrians (frame ped x y, 2.5 Hz)
``scenariogen`` ``.npz``, run directories     scenariogen's own batches
=============== ============================= =================================================

``read_log(path)`` picks the reader by extension, then by content; every reader
resamples to ``dt`` (default 0.1 s) and cleans the tracks (static objects,
duplicate boxes, track hand-offs: see :mod:`scenariogen.logs.tracks`).
``make_windows`` cuts the logs into fixed-length samples with each eligible
vehicle as the ego.

Bounded memory: tracks are kept sparse while read and cleaned, and a log is one
scene only while its padded (agents x frames) grid has at most ``max_cells``
cells (default 4 000 000, about 130 MB); a larger one is split where no agent is
present, then, if need be, cut into consecutive scenes of at least 20 s (the
details, and ``info[path]["split"]``, in :mod:`scenariogen.logs.tracks`). A log
with more than ``max_tracks`` tracks (100 000), samples spread over more than
``max_span`` seconds (86 400: a corrupt time stamp) or too dense to fit even cut
is refused. These limits are options of ``read_log``.

Errors: a bad file raises :class:`LogFormatError` naming the file and the row,
column or element: unreadable or truncated files, missing or mistyped columns
(text where numbers belong, lists, binary ids, nulls), non-finite values, sizes
that are not positive or above 100 m, empty tables, and the limits above; a
missing optional dependency raises :class:`MissingDependencyError`; bad options
raise :class:`ParameterError`. Nothing else escapes a reader.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import LogFormatError, PluginError
from ..registry import Registry
from .base import Reader
from .native import batch_to_scenes
from .scenes import LanePolyline, LogScenes, concat_scenes
from .windows import make_windows

READERS_GROUP = "scenariogen.readers"


def check_reader(obj: object) -> list[str]:
    """The problems with a reader plugin's shape: it needs a string ``name`` and a callable ``read``."""
    problems = [] if isinstance(getattr(obj, "name", None), str) else ["'name' must be a string"]
    if not callable(getattr(obj, "read", None)):
        problems.append("'read' must be callable")
    return problems


def readers() -> Registry:
    """The installed readers, built-in ones included (entry-point group ``scenariogen.readers``)."""
    return Registry(READERS_GROUP, "reader", check_reader)


def installed_readers(registry: Registry | None = None) -> list:
    """Every reader that loads, in name order, including those whose optional dependency is missing
    (reading with one says which extra to install); a broken plugin is left out (``scenariogen
    formats`` reports it)."""
    return [st.plugin for st in (registry or readers()).available() if st.status in ("ok", "missing")]


def _pick(path: Path, found: list) -> object:
    if path.is_dir():
        for r in found:
            if r.sniff(path):
                return r
        raise LogFormatError(path, "directory is neither a scenariogen run (manifest.json) nor an Argoverse 2 "
                                   "sensor log (annotations*.feather)")
    suffix = path.suffix.lower()
    by_ext = [r for r in found if suffix in r.extensions]
    for r in by_ext:
        if r.sniff(path):
            return r
    for r in found:
        if r not in by_ext and r.sniff(path):
            return r
    if by_ext:
        return by_ext[0]  # let the reader report what is wrong with the content
    known = ", ".join(f"{r.name} ({' '.join(r.extensions)})" for r in found)
    raise LogFormatError(path, f"unknown log format; readers: {known}")


def read_log(path, reader: str | Reader | None = None, **options) -> LogScenes:
    """Read one log file or directory into a :class:`LogScenes`.

    ``reader``: a reader name (``commonroad``, ``av2``, ``eth-ucy``, ``scenariogen`` or a plugin's),
    or a reader object; None picks one by extension, then by content. ``options`` go to the
    reader (``dt`` seconds, ``clean``, the cleaning thresholds and the limits ``max_tracks``,
    ``max_span``, ``max_cells`` of :func:`scenariogen.logs.tracks.build_scenes`)."""
    path = Path(path)
    if not path.exists():
        raise LogFormatError(path, "no such file or directory")
    if reader is None:
        r = _pick(path, installed_readers())
    elif isinstance(reader, str):
        try:
            r = readers().get(reader)
        except PluginError as exc:
            raise LogFormatError(path, str(exc)) from None
    else:
        r = reader
    return r.read(path, **options)


__all__ = [
    "LanePolyline", "LogScenes", "READERS_GROUP", "Reader", "batch_to_scenes", "check_reader", "concat_scenes",
    "make_windows", "read_log", "readers", "installed_readers",
]
