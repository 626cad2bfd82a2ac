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
import io
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
        found = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise ScenarioGenError(f"{path}: not a scenariogen run manifest (format {found!r}, expected {FORMAT!r})")
    _check_layout(path, data)
    return data


#: the manifest keys every reader relies on, with the JSON type each must have
_LAYOUT = {"settings": dict, "stages": list, "shards": list, "totals": dict, "spec_hash": str, "spec_name": str,
           "parameters": list}
_SHARD_KEYS = {"file": str, "stage": int, "offset": int, "size": int, "first_index": int, "events": int, "kept": int,
               "sha256": str}


def _check_layout(path: Path, data: dict) -> None:
    """A clear error for a manifest whose structure was damaged (edited by hand, cut short by a
    disk failure), instead of a KeyError or TypeError deep inside a reader."""
    def bad(what: str) -> ScenarioGenError:
        return ScenarioGenError(f"{path}: damaged run manifest: {what}")

    for key, kind in _LAYOUT.items():
        if not isinstance(data.get(key), kind):
            raise bad(f"'{key}' should be a JSON {kind.__name__.replace('dict', 'object').replace('list', 'array')}"
                      f"{', but it is missing' if key not in data else ''}")
    for i, rec in enumerate(data["shards"]):
        if not isinstance(rec, dict):
            raise bad(f"shards[{i}] should be an object")
        for key, kind in _SHARD_KEYS.items():
            if not isinstance(rec.get(key), kind) or isinstance(rec.get(key), bool):
                raise bad(f"shards[{i}].{key} is missing or not {'a text' if kind is str else 'an integer'}")
        if Path(rec["file"]).is_absolute() or ".." in Path(rec["file"]).parts:
            raise bad(f"shards[{i}].file {rec['file']!r} points outside the run directory")
    for i, st in enumerate(data["stages"]):
        if not isinstance(st, dict) or not isinstance(st.get("stage"), int) or "adapting" not in st:
            raise bad(f"stages[{i}] should be an object with 'stage' and 'adapting'")


def open_complete_run(run_dir: Path) -> dict:
    """The manifest of a finished run whose listed shards are all there (their contents are checked
    as :func:`read_shard` reads them); a clear error otherwise."""
    run_dir = Path(run_dir)
    manifest = read_manifest(run_dir)
    if manifest is None:
        raise ScenarioGenError(f"{run_dir}: not a scenariogen run (not a run directory: it has no {MANIFEST})")
    if not manifest.get("complete"):
        raise ScenarioGenError(f"{run_dir}: the run is incomplete ({len(manifest['shards'])} shards so far); "
                               "finish it with 'scenariogen generate ... --resume' first")
    missing = [rec["file"] for rec in manifest["shards"] if not (run_dir / rec["file"]).is_file()]
    if missing:
        raise ScenarioGenError(f"{run_dir}: {len(missing)} shard(s) listed in the manifest are missing "
                               f"(first: {missing[0]})")
    return manifest


def read_shard(run_dir: Path, rec: dict):
    """One shard of a run, read once and checked against its SHA-256 in the manifest: the kept
    :class:`~scenariogen.sim.engine.Batch` and the ``sim/*`` arrays."""
    from ..sim.io import load_npz

    path = Path(run_dir) / rec["file"]
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ScenarioGenError(f"{path}: cannot read shard ({exc.strerror or exc})") from None
    if hashlib.sha256(data).hexdigest() != rec["sha256"]:
        raise ScenarioGenError(f"{path}: shard is corrupt (content differs from its SHA-256 in the manifest)")
    batch = load_npz(io.BytesIO(data), name=path)
    try:
        return batch, shard_sim_arrays(io.BytesIO(data))
    except Exception as exc:  # hash matches but it does not parse: not written by generate
        raise ScenarioGenError(f"{path}: shard is unreadable ({type(exc).__name__}: {exc})") from None


def check_shards(run_dir: Path, manifest: dict) -> None:
    """A clear error unless every shard the manifest lists is on disk with its recorded SHA-256."""
    bad = []
    for rec in manifest["shards"]:
        path = Path(run_dir) / rec["file"]
        if not path.is_file():
            bad.append(f"{rec['file']} (missing)")
        elif file_sha256(path) != rec["sha256"]:
            bad.append(f"{rec['file']} (content differs from its SHA-256)")
    if bad:
        more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
        raise ScenarioGenError(f"{run_dir}: {len(bad)} shard(s) listed in the manifest are damaged: "
                               f"{', '.join(bad[:3])}{more}; the run cannot be used or resumed as it is")


def content_hash(manifest: dict) -> str:
    """Hash of what a run produced: settings, spec, stages and shard contents (no timings)."""
    keep = {k: manifest[k] for k in ("spec_hash", "settings", "stages", "shards", "totals", "estimate") if k in manifest}
    return hashlib.sha256(json.dumps(keep, sort_keys=True).encode("utf-8")).hexdigest()


def shard_sim_arrays(path: Path) -> dict:
    """The per-simulation arrays of a shard (index, theta, log_weight, robustness, event, stage)."""
    with np.load(path) as z:
        return {k.split("/", 1)[1]: z[k] for k in z.files if k.startswith("sim/")}
