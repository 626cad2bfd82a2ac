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
vehicle as the ego. A bad file raises :class:`LogFormatError` naming the file
and the row or element.
"""

from __future__ import annotations

from pathlib import Path

from .av2 import Av2Reader
from .base import LogFormatError, MissingDependencyError, Reader
from .commonroad import CommonRoadReader
from .ethucy import EthUcyReader
from .native import ScenariogenReader, batch_to_scenes
from .scenes import LanePolyline, LogScenes, concat_scenes
from .windows import make_windows

READERS: dict[str, type[Reader]] = {r.name: r for r in (CommonRoadReader, Av2Reader, EthUcyReader, ScenariogenReader)}


def _pick(path: Path) -> type[Reader]:
    if path.is_dir():
        for r in (ScenariogenReader, Av2Reader):
            if r.sniff(path):
                return r
        raise LogFormatError(path, "directory is neither a scenariogen run (manifest.json) nor an Argoverse 2 "
                                   "sensor log (annotations*.feather)")
    suffix = path.suffix.lower()
    by_ext = [r for r in READERS.values() if suffix in r.extensions]
    for r in by_ext:
        if r.sniff(path):
            return r
    for r in READERS.values():
        if r not in by_ext and r.sniff(path):
            return r
    if by_ext:
        return by_ext[0]  # let the reader report what is wrong with the content
    known = ", ".join(f"{r.name} ({' '.join(r.extensions)})" for r in READERS.values())
    raise LogFormatError(path, f"unknown log format; readers: {known}")


def read_log(path, reader: str | type[Reader] | Reader | None = None, **options) -> LogScenes:
    """Read one log file or directory into a :class:`LogScenes`.

    ``reader``: a reader name (``commonroad``, ``av2``, ``eth-ucy``, ``scenariogen``), a reader
    class or object; None picks one by extension, then by content. ``options`` go to the
    reader (``dt`` seconds, ``clean``, and the cleaning thresholds of
    :func:`scenariogen.logs.tracks.build_scenes`)."""
    path = Path(path)
    if not path.exists():
        raise LogFormatError(path, "no such file or directory")
    if reader is None:
        r = _pick(path)
    elif isinstance(reader, str):
        if reader not in READERS:
            raise LogFormatError(path, f"unknown reader {reader!r}; readers: {', '.join(READERS)}")
        r = READERS[reader]
    else:
        r = reader
    return r.read(path, **options)


__all__ = [
    "Av2Reader", "CommonRoadReader", "EthUcyReader", "LanePolyline", "LogFormatError", "LogScenes",
    "MissingDependencyError", "READERS", "Reader", "ScenariogenReader", "batch_to_scenes", "concat_scenes",
    "make_windows", "read_log",
]
