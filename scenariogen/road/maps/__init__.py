"""Real maps as roads: OpenDRIVE, Lanelet2, CommonRoad and Argoverse 2 files -> :class:`RoadNetwork`.

:func:`load_map` reads a file into the format-neutral :class:`MapData` (through the on-disk cache
of :mod:`.cache`); :func:`cut_region` keeps a piece of it; :func:`map_network` turns it into the
road model. :func:`map_road` does all three, memoised in the process, which is what
``road: {from: PATH}`` of a scenario uses.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Callable

from .model import (MapArea, MapControls, MapData, MapError, MapLane, Region, Signal, StopLine, cut_region,
                    map_controls, map_network)

__all__ = ["FORMATS", "MapArea", "MapControls", "MapData", "MapError", "MapLane", "Region", "Signal", "StopLine",
           "cut_region", "detect_format", "load_map", "map_controls", "map_network", "map_road", "file_sha256"]

#: format name -> (file suffixes, reader version: bump when a reader's output changes, to invalidate caches)
FORMATS: dict[str, tuple[tuple[str, ...], int]] = {
    "opendrive": ((".xodr",), 2),
    "lanelet2": ((".osm",), 2),
    "commonroad": ((".xml",), 2),
    "av2": ((".json",), 1),
}


def _reader(fmt: str) -> Callable[[Path, bytes], MapData]:
    if fmt == "commonroad":
        from .commonroad import read_commonroad as r
    elif fmt == "av2":
        from .av2 import read_av2 as r
    elif fmt == "opendrive":
        from .opendrive import read_opendrive as r
    else:
        from .lanelet2 import read_lanelet2 as r
    return r


def detect_format(path: Path, head: bytes) -> str:
    """The format of a map file from its suffix, else from its first bytes; MapError if neither tells."""
    suffix = path.suffix.lower()
    for fmt, (suffixes, _) in FORMATS.items():
        if suffix in suffixes:
            return fmt
    text = head[:4096].decode("utf-8", "replace")
    for marker, fmt in (("<OpenDRIVE", "opendrive"), ("<osm", "lanelet2"), ("<commonRoad", "commonroad"),
                        ('"lane_segments"', "av2")):
        if marker in text:
            return fmt
    raise MapError(path, f"cannot tell the map format from the suffix {suffix or '(none)'!r} or the content; "
                   f"give 'format:' ({', '.join(FORMATS)})")


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise MapError(path, "no such map file") from None
    except IsADirectoryError:
        raise MapError(path, "is a directory, not a map file") from None
    except OSError as exc:
        raise MapError(path, f"cannot read the map file ({exc.strerror or exc})") from None


_MEMO: dict[tuple, MapData] = {}
_NET_MEMO: dict[tuple, object] = {}
_MEMO_SIZE = 8


def _remember(memo: dict, key: tuple, value):
    memo[key] = value
    while len(memo) > _MEMO_SIZE:
        memo.pop(next(iter(memo)))
    return value


def load_map(path: str | os.PathLike, format: str | None = None, *,
             cache: str | os.PathLike | bool | None = None) -> MapData:
    """The whole map in ``path`` (``format`` from the suffix or content when None).

    ``cache``: a directory, False for none, None for the default (:func:`.cache.cache_dir`).
    MapError (a :class:`~scenariogen.errors.RoadError`) names the file, the element or line, and
    what is malformed or unsupported."""
    from .cache import cache_dir, load_cached, store_cached

    p = Path(path)
    data = _read_bytes(p)
    fmt = format or detect_format(p, data)
    if fmt not in FORMATS:
        raise MapError(p, f"unknown map format {fmt!r} (known: {', '.join(FORMATS)})")
    sha = file_sha256(data)
    key = f"{sha[:40]}-{fmt}-r{FORMATS[fmt][1]}"
    memo_key = (key,)
    if memo_key in _MEMO:
        return _MEMO[memo_key]
    directory = cache_dir(cache)
    found = load_cached(directory, key)
    if found is None:
        found = _reader(fmt)(p, data)
        if not found.lanes:
            raise MapError(p, f"the {fmt} map has no drivable lane")
        store_cached(directory, key, found)
    return _remember(_MEMO, memo_key, found)


def map_road(path: str | os.PathLike, format: str | None = None, region: Region | None = None, *,
             cache: str | os.PathLike | bool | None = None):
    """``(RoadNetwork, MapData)`` of the ``region`` of the map in ``path`` (memoised per file
    content, format and region)."""
    p = Path(path)
    try:
        st = p.stat()
        stamp = (str(p.resolve()), st.st_mtime_ns, st.st_size)
    except OSError:
        stamp = (str(p), 0, 0)
    key = (stamp, format, region)
    if key in _NET_MEMO:
        return _NET_MEMO[key]
    data = cut_region(load_map(p, format, cache=cache), region or Region())
    return _remember(_NET_MEMO, key, (map_network(data), data))
