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


def find_scenario(path: str | Path, *, id: int | None = None, row: int | None = None) -> tuple[Any, int, int]:
    """Open one scenario of ``path`` (an ``.npz`` from ``scenariogen simulate``, a ``scenariogen
    generate`` run directory, whose kept scenarios are taken in the manifest's order, or a directory
    of ``.npz`` shards, taken in name order), chosen by its global scenario index ``id`` or by
    its position ``row`` among the scenarios held (what ``scenariogen list`` calls id and row).
    Returns ``(batch, row in batch, row over the source)``."""
    from ..data.npz import load_npz
    from ..data.run import MANIFEST, open_run

    if (id is None) == (row is None):
        raise ScenarioGenError("choose the scenario either by its id or by its row, not both and not neither")
    path = Path(path)
    if not path.exists():
        raise ScenarioGenError(f"{path}: no such file or directory")
    if path.is_dir() and (path / MANIFEST).exists():
        run = open_run(path, complete=False)
        recs = [r for r in run.manifest.shards if r.kept > 0]
        total = sum(r.kept for r in recs)
        if not total:
            raise ScenarioGenError(f"{path}: the run kept no scenarios")
        if row is not None:
            _check_row(row, total, f"{path} holds {total} kept scenarios")
            batch, r = run.scenario(row)
            return batch, r, int(row)
        start = 0
        for rec in run.manifest.shards:
            if rec.first_index <= id < rec.first_index + rec.size:
                if rec.kept:
                    batch = run.read_shard(rec)[0]
                    hit = np.flatnonzero(np.asarray(batch.indices) == id)
                    if len(hit):
                        start += sum(r.kept for r in recs[:recs.index(rec)])
                        return batch, int(hit[0]), start + int(hit[0])
                raise ScenarioGenError(f"scenario {id} of {path} was simulated but not kept (only the scenarios "
                                       f"where '{run.manifest.settings.get('target')}' happened are; "
                                       "'scenariogen list' shows their ids)")
        last = max((r.first_index + r.size for r in run.manifest.shards), default=0)
        raise ScenarioGenError(f"no scenario {id} in {path}: its ids run from 0 to {last - 1}, and "
                               "'scenariogen list' shows the kept ones")
    if path.is_dir():
        shards = sorted(p for p in path.glob("*.npz") if p.is_file())
        if not shards:
            raise ScenarioGenError(f"{path}: directory holds no .npz shards and no run manifest")
    elif path.suffix == ".npz":
        shards = [path]
    else:
        raise ScenarioGenError(f"{path}: expected an .npz file written by 'scenariogen simulate' "
                               "or a run directory of .npz shards")
    start = 0
    if row is not None:
        counts = [_shard_rows(p) for p in shards]
        total = sum(counts)
        _check_row(row, total, f"{path} holds {total} scenarios")
        for shard, count in zip(shards, counts):
            if row < start + count:
                return load_npz(shard), int(row - start), int(row)
            start += count
    for shard in shards:
        batch = load_npz(shard)
        hit = np.flatnonzero(np.asarray(batch.indices) == id)
        if len(hit):
            return batch, int(hit[0]), start + int(hit[0])
        start += batch.size
    hint = f" ('scenariogen list {path}' shows the ids it holds)" if len(shards) == 1 else ""
    raise ScenarioGenError(f"no scenario {id} in {path}{hint}")


def _check_row(row: Any, total: int, what: str) -> None:
    if not isinstance(row, (int, np.integer)) or not 0 <= row < total:
        raise ScenarioGenError(f"row {row} out of range: {what} (rows 0..{total - 1})")
