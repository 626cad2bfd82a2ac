"""Files written whole or not at all: temporary names renamed when complete, plain permissions,
and output paths checked before any work starts."""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ScenarioGenError


def default_mode(path: str | Path, directory: bool = False) -> None:
    """Give ``path`` the permissions a plain open() or mkdir() would (mkstemp and mkdtemp make them
    private, and a rename keeps that)."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, (0o777 if directory else 0o666) & ~umask)


def atomic_path(path: Path):
    """A temporary file next to ``path`` (same filesystem, so the final rename is atomic), with the
    permissions of a plain new file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    default_mode(tmp)
    return Path(tmp)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file renamed when complete."""
    tmp = atomic_path(path)
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_json_atomic(path: Path, data: dict) -> None:
    """Write ``data`` as indented JSON with sorted keys (no NaN or infinity) atomically."""
    write_bytes_atomic(path, (json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n").encode("utf-8"))


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check_output_file(path: str | Path) -> Path:
    """A clear error now, before any work, if ``path`` cannot become a file: it is a directory, or
    the nearest existing folder above it (missing folders are created when writing) is a file or
    not writable."""
    path = Path(path).absolute()
    if path.is_dir():
        raise ScenarioGenError(f"{path}: is a directory; give a file name")
    _check_parent(path)
    return path


def check_output_dir(path: str | Path) -> Path:
    """Like :func:`check_output_file`, for an output folder: it is not a file, and it can be created."""
    path = Path(path).absolute()
    if path.exists() and not path.is_dir():
        raise ScenarioGenError(f"{path}: exists and is not a directory")
    _check_parent(path)
    return path


def _check_parent(path: Path) -> None:
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise ScenarioGenError(f"{path}: cannot write here ({parent} is not a directory)")
    if not os.access(parent, os.W_OK):
        raise ScenarioGenError(f"{path}: cannot write here ({parent} is not writable)")


def jsonable(x: Any, *, nonfinite_as_null: bool = False) -> Any:
    """Plain JSON values (dicts, lists, str, int, float, bool, None) from numpy arrays and scalars,
    with non-finite numbers as the strings 'inf', '-inf' and 'nan' (the form the sampler states
    use, read back with :func:`decode_float`), or as null with ``nonfinite_as_null`` (reports,
    where such a number means "undefined"): strict JSON either way, which other tools can read
    (they reject NaN and Infinity)."""
    if isinstance(x, dict):
        return {str(k): jsonable(v, nonfinite_as_null=nonfinite_as_null) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v, nonfinite_as_null=nonfinite_as_null) for v in x]
    if isinstance(x, np.ndarray):
        return jsonable(x.tolist(), nonfinite_as_null=nonfinite_as_null)
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        x = float(x)
        return x if math.isfinite(x) else (None if nonfinite_as_null else repr(x))
    return x
