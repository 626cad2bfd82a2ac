"""Helpers shared by the export tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from scenariogen.data.run import read_manifest


def sim_arrays(run: Path) -> dict:
    """The run's sim/* arrays over all shards, concatenated."""
    parts = [np.load(run / rec.file) for rec in read_manifest(run).shards]
    return {k: np.concatenate([p[f"sim/{k}"] for p in parts]) for k in ("index", "log_weight", "event", "stage")}


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """Identical dtype, shape and bytes (NaNs compared as NaNs)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.kind == "f":
        nan = np.isnan(a)
        return bool(np.array_equal(nan, np.isnan(b)) and a[~nan].tobytes() == b[~nan].tobytes())
    return a.tobytes() == b.tobytes()
