"""Opening what to draw: one scenario of an ``.npz`` batch, a directory of ``.npz`` shards or a
``scenariogen generate`` run directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ScenarioGenError


def _shard_rows(path: Path) -> int:
    try:
        with np.load(path) as z:
            return int(z["indices"].shape[0])
    except KeyError:
        raise ScenarioGenError(f"{path}: not a scenariogen batch file (no 'indices' array)") from None
    except Exception:  # noqa: BLE001 - any unreadable shard is a user-facing error
        raise ScenarioGenError(f"{path}: not a scenariogen batch file (cannot read it as an .npz archive)") from None


def load_run(path: str | Path, index: int) -> tuple[Any, int]:
    """Open ``path`` (an ``.npz`` from ``scenariogen simulate``, a ``scenariogen generate`` run
    directory, whose kept scenarios are taken in the manifest's order, or a directory of ``.npz``
    shards, taken in name order) and return ``(batch, row)`` holding scenario number ``index``
    (counted over the file, or over the shards in order)."""
    from ..data.npz import load_npz
    from ..data.run import MANIFEST, open_run

    path = Path(path)
    if not path.exists():
        raise ScenarioGenError(f"{path}: no such file or directory")
    if path.is_dir() and (path / MANIFEST).exists():
        run = open_run(path, complete=False)
        if not any(rec.kept for rec in run.manifest.shards):
            raise ScenarioGenError(f"{path}: the run kept no scenarios")
        return run.scenario(index)
    if path.is_dir():
        shards = sorted(p for p in path.glob("*.npz") if p.is_file())
        if not shards:
            raise ScenarioGenError(f"{path}: directory holds no .npz shards and no run manifest")
    elif path.suffix == ".npz":
        shards = [path]
    else:
        raise ScenarioGenError(f"{path}: expected an .npz file written by 'scenariogen simulate' "
                               "or a run directory of .npz shards")
    counts = [_shard_rows(p) for p in shards]
    total = sum(counts)
    if not isinstance(index, (int, np.integer)) or not 0 <= index < total:
        span = f"0..{total - 1}" if total else "none"
        raise ScenarioGenError(f"index {index} out of range: {path} holds {total} scenarios (index {span})")
    start = 0
    for shard, count in zip(shards, counts):
        if index < start + count:
            return load_npz(shard), int(index - start)
        start += count
    raise AssertionError("unreachable")  # pragma: no cover
