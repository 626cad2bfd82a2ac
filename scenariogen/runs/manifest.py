"""The run directory of ``scenariogen generate``: a manifest plus shards, all written atomically.

Layout::

    RUN_DIR/manifest.json          settings, spec (text and hash), sampler state per stage,
                                   shards with their content hashes, totals, the estimate
    RUN_DIR/shards/shard-000000.npz  the scenarios of one piece of one sampler stage

Every file is written to a temporary name in the same folder and renamed when
complete, so a run killed at any moment leaves only whole files; the manifest
is rewritten after each shard and is the single source of truth for
``--resume``.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from ..errors import ScenarioGenError
from ..sim.io import atomic_path

MANIFEST = "manifest.json"
SHARDS = "shards"
FORMAT = "scenariogen-run/1"


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_json_atomic(path: Path, data: dict) -> None:
    tmp = atomic_path(path)
    try:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def read_manifest(run_dir: Path) -> dict | None:
    """The manifest of ``run_dir``, or None if there is none; a clear error if it is unreadable."""
    path = Path(run_dir) / MANIFEST
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ScenarioGenError(f"{path}: not a readable run manifest ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ScenarioGenError(f"{path}: not a scenariogen run manifest (format {data.get('format')!r})")
    return data


def content_hash(manifest: dict) -> str:
    """Hash of what a run produced: settings, spec, stages and shard contents (no timings)."""
    keep = {k: manifest[k] for k in ("spec_hash", "settings", "stages", "shards", "totals", "estimate") if k in manifest}
    return hashlib.sha256(json.dumps(keep, sort_keys=True).encode("utf-8")).hexdigest()


def shard_sim_arrays(path: Path) -> dict:
    """The per-simulation arrays of a shard (index, theta, log_weight, robustness, event, stage)."""
    with np.load(path) as z:
        return {k.split("/", 1)[1]: z[k] for k in z.files if k.startswith("sim/")}
