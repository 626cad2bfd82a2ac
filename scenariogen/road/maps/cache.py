"""On-disk cache of imported maps: one ``.npz`` of plain arrays plus a JSON header per map.

Key: the SHA-256 of the map file's bytes, the format, and the reader's version (``READERS``
bump it when their output changes), so an edited map or a newer reader never reads a stale entry.
Nothing is unpickled (``allow_pickle=False``); an entry that is unreadable, from another key or
inconsistent in any way is ignored and rebuilt, never trusted.

Where: ``$SCENARIOGEN_MAP_CACHE`` when set (``off`` disables the cache), else
``$XDG_CACHE_HOME/scenariogen/maps`` (default ``~/.cache/scenariogen/maps``): out of the
repository and of the working directory. A directory that cannot be written is skipped silently
(the map is then parsed each time).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

import numpy as np

from .model import MapArea, MapData, MapLane, Signal, StopLine

__all__ = ["cache_dir", "load_cached", "store_cached", "CACHE_FORMAT"]

CACHE_FORMAT = "scenariogen-map-cache/2"
ENV = "SCENARIOGEN_MAP_CACHE"


def cache_dir(override: str | os.PathLike | bool | None = None) -> Path | None:
    """The cache directory: ``override`` (a path; False disables), else the environment, else the
    user cache directory. None when disabled."""
    if override is False:
        return None
    if override not in (None, True):
        return Path(override)
    env = os.environ.get(ENV)
    if env is not None:
        return None if env.strip().lower() in ("", "off", "0", "no", "false") else Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "scenariogen" / "maps"


def _entry(directory: Path, key: str) -> Path:
    return directory / f"{key}.npz"


def _opt(v):
    return None if v is None else str(v)


def store_cached(directory: Path | None, key: str, data: MapData) -> None:
    """Write ``data`` under ``key`` (atomically; errors are ignored: the cache is an optimisation)."""
    if directory is None:
        return
    lanes_meta, lane_xy, lane_h = [], [], []
    for ln in data.lanes:
        lanes_meta.append({"id": ln.id, "width": ln.width, "width_min": ln.width_min, "width_max": ln.width_max,
                           "successors": list(ln.successors), "left": ln.left, "right": ln.right,
                           "opposite": list(ln.opposite), "group": ln.group, "kind": ln.kind,
                           "junction": ln.junction, "speed_limit": ln.speed_limit, "source": ln.source,
                           "n": len(ln.centre), "headings": ln.headings is not None})
        lane_xy.append(ln.centre)
        lane_h.append(ln.headings if ln.headings is not None else np.full(len(ln.centre), np.nan))
    meta = {
        "cache_format": CACHE_FORMAT, "key": key, "format": data.format, "file": data.file, "version": data.version,
        "traffic": data.traffic, "dropped": [list(d) for d in data.dropped], "lanes": lanes_meta,
        "areas": [{"id": a.id, "kind": a.kind, "closed": a.closed, "n": len(a.points)} for a in data.areas],
        "stop_lines": [{"id": s.id, "lanes": list(s.lanes), "signal": s.signal, "n": len(s.points)}
                       for s in data.stop_lines],
        "signals": [{"id": s.id, "kind": s.kind, "code": s.code,
                     "position": None if s.position is None else list(s.position), "lanes": list(s.lanes),
                     "value": s.value, "cycle": [[c, d] for c, d in s.cycle], "offset": s.offset,
                     "active": s.active, "source": s.source} for s in data.signals],
    }

    def cat(parts, width):
        return np.concatenate(parts) if parts else np.zeros((0,) + width)

    arrays = {
        "meta": np.frombuffer(json.dumps(meta, allow_nan=True).encode("utf-8"), dtype=np.uint8),
        "lane_xy": cat(lane_xy, (2,)), "lane_h": cat(lane_h, ()),
        "area_xy": cat([a.points for a in data.areas], (2,)), "stop_xy": cat([s.points for s in data.stop_lines], (2,)),
    }
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=directory)
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, **arrays)
            os.replace(tmp, _entry(directory, key))
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    except OSError:
        return


def load_cached(directory: Path | None, key: str) -> MapData | None:
    """The map stored under ``key``, or None when absent, unreadable, foreign or inconsistent."""
    if directory is None:
        return None
    path = _entry(directory, key)
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(bytes(z["meta"].astype(np.uint8)).decode("utf-8"))
            lane_xy, lane_h = np.asarray(z["lane_xy"], np.float64), np.asarray(z["lane_h"], np.float64)
            area_xy, stop_xy = np.asarray(z["area_xy"], np.float64), np.asarray(z["stop_xy"], np.float64)
        return _rebuild(meta, key, lane_xy, lane_h, area_xy, stop_xy)
    except Exception:  # noqa: BLE001 - any damage means "not cached": the caller parses the map again
        return None


def _split(arr: np.ndarray, counts: list[int], width: int | None) -> list[np.ndarray]:
    if any(not isinstance(n, int) or n < 0 for n in counts) or sum(counts) != len(arr):
        raise ValueError("counts do not match the arrays")
    if width is not None and (arr.ndim != 2 or arr.shape[1] != width):
        raise ValueError("bad array shape")
    out, k = [], 0
    for n in counts:
        out.append(arr[k:k + n])
        k += n
    return out


def _rebuild(meta: dict, key: str, lane_xy, lane_h, area_xy, stop_xy) -> MapData:
    if meta.get("cache_format") != CACHE_FORMAT or meta.get("key") != key:
        raise ValueError("foreign cache entry")
    if lane_h.ndim != 1 or len(lane_h) != len(lane_xy):
        raise ValueError("bad heading array")
    lm = meta["lanes"]
    xy = _split(lane_xy, [m["n"] for m in lm], 2)
    hh = _split(lane_h, [m["n"] for m in lm], None)
    lanes = []
    for m, c, h in zip(lm, xy, hh):
        if not np.all(np.isfinite(c)):
            raise ValueError("non-finite centre")
        width = float(m["width"])
        if not (math.isfinite(width) and width > 0):
            raise ValueError("bad width")
        lanes.append(MapLane(
            id=str(m["id"]), centre=c, width=width, width_min=float(m["width_min"]), width_max=float(m["width_max"]),
            successors=tuple(str(s) for s in m["successors"]), left=_opt(m["left"]), right=_opt(m["right"]),
            opposite=tuple(str(s) for s in m["opposite"]), headings=h if m["headings"] else None,
            group=str(m["group"]), kind=str(m["kind"]), junction=str(m["junction"]),
            speed_limit=None if m["speed_limit"] is None else float(m["speed_limit"]), source=str(m["source"])))
    am = meta["areas"]
    areas = [MapArea(str(m["id"]), str(m["kind"]), p, bool(m["closed"]))
             for m, p in zip(am, _split(area_xy, [m["n"] for m in am], 2))]
    sm = meta["stop_lines"]
    stops = [StopLine(str(m["id"]), p, tuple(str(x) for x in m["lanes"]), str(m["signal"]))
             for m, p in zip(sm, _split(stop_xy, [m["n"] for m in sm], 2))]
    sigs = [Signal(str(m["id"]), str(m["kind"]), str(m["code"]),
                   None if m["position"] is None else (float(m["position"][0]), float(m["position"][1])),
                   tuple(str(x) for x in m["lanes"]), None if m["value"] is None else float(m["value"]),
                   tuple((str(c), float(d)) for c, d in m["cycle"]), float(m["offset"]), bool(m["active"]),
                   str(m["source"]))
            for m in meta["signals"]]
    if not lanes:
        raise ValueError("no lanes")
    return MapData(format=str(meta["format"]), file=str(meta["file"]), lanes=tuple(lanes), version=str(meta["version"]),
                   areas=tuple(areas), stop_lines=tuple(stops), signals=tuple(sigs), traffic=str(meta["traffic"]),
                   dropped=tuple((str(d), int(n)) for d, n in meta["dropped"]))
