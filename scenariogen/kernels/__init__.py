"""Every ``@njit`` function of scenariogen: pure functions over numeric arrays, importing only
:mod:`scenariogen.data.layout` (and each other).

Numba's on-disk cache (``cache=True``) is keyed by the source file of the function it compiled,
not by the files of the functions it calls: after an edit (or an upgrade) of ``control.py``, the
cached ``step.simulate_range`` would still run the old code. So the first import of this package
compares a hash of every kernel source with the one stored next to the cache, and removes the
cached kernels when they differ; Numba then compiles them afresh.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

_HERE = Path(__file__).resolve().parent
_STAMP = "scenariogen-kernels.sha256"


def _cache_probe() -> None:
    """A function of this folder: Numba's cache locator, asked about it, names the cache folder."""


def _drop_stale_cache() -> None:
    try:
        from numba.core.caching import FunctionCache

        cache = Path(FunctionCache(_cache_probe)._cache_path)
    except Exception:  # noqa: BLE001 - a Numba without this internal: its own invalidation applies
        return
    sources = sorted(_HERE.glob("*.py"))
    digest = hashlib.sha256(b"".join(p.name.encode() + p.read_bytes() for p in sources)).hexdigest()
    stamp = cache / _STAMP
    try:
        if stamp.read_text(encoding="utf-8") == digest:
            return
    except OSError:
        pass
    modules = {p.stem for p in sources}
    try:
        for f in cache.glob("*.nb[ic]"):
            if f.name.split(".", 1)[0] in modules:
                f.unlink(missing_ok=True)
        cache.mkdir(parents=True, exist_ok=True)
        stamp.write_text(digest, encoding="utf-8")
    except OSError:  # a read-only cache folder: Numba then compiles in memory anyway
        pass


_drop_stale_cache()
