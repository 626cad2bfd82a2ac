"""Files written whole or not at all: temporary names renamed when complete, plain permissions,
output paths checked before any work starts, and the one place where names become file names,
archive entries or XML text.

Names: a scenario or event name comes from a user (a scenario file, an edited manifest, a Batch
built in memory) and may hold ``/``, ``..``, NUL, control characters or thousands of characters.
:func:`safe_name` makes a file or folder name of it, :func:`entry_name` an archive entry name
(reversibly, :func:`entry_name_decoded`), and :func:`valid_text` text that XML 1.0 and UTF-8 can
hold. Writers keep the original name in their metadata.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import secrets
import shutil
import tempfile
import unicodedata
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import unquote

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


def check_report_dir(out: Path, marker: str, what: str) -> None:
    """``out`` can take a report folder: not a file, creatable, and empty or an earlier report (it
    holds ``marker``). Raises :class:`ParameterError` ``out`` naming ``what`` report it expected."""
    from ..errors import ParameterError

    try:
        check_output_dir(out)
    except ScenarioGenError as exc:
        raise ParameterError("out", str(exc)) from None
    if out.exists() and any(out.iterdir()) and not (out / marker).exists():
        raise ParameterError("out", f"{out}: directory is not empty and holds no {what}; choose another")


@contextmanager
def directory_written_whole(out: Path) -> Iterator[Path]:
    """A new temporary folder next to ``out`` to fill: when the block ends without an error it
    takes ``out``'s place (an existing ``out`` is swapped aside, then removed), else it is removed."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    default_mode(tmp, directory=True)
    try:
        yield tmp
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
            os.replace(out, old / "r")
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


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


# ---------------------------------------------------------------------------------- names

#: bytes of UTF-8 a file or folder name made by :func:`safe_name` takes at most (file systems allow
#: 255; writers add a prefix, an index and a suffix)
MAX_NAME_BYTES = 100
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
# characters XML 1.0 cannot hold (not even as references), lone surrogates included, which UTF-8
# cannot encode either
_NOT_XML = re.compile("[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]")


def safe_name(name: str, default: str = "scenario") -> str:
    """A file or folder name made from ``name``, unchanged when it is one already: letters and
    digits of any script, ``_``, ``-`` and ``.``, where every other run of characters (``/``,
    ``\\``, spaces, control characters, ...) becomes one ``_``; no leading or trailing ``.`` or
    ``_`` (never ``.``, ``..`` or a hidden file), not a name Windows reserves (``NUL``, ``COM1``),
    at most :data:`MAX_NAME_BYTES` bytes (a longer one is cut and ends in ``-`` and 8 hex digits of
    its SHA-256, so that different long names stay apart); ``default`` when nothing is left."""
    text = unicodedata.normalize("NFC", str(name))
    out, gap = [], False
    for ch in text:
        if ch.isalnum() or ch in "_-.":
            out.append(ch)
            gap = False
        elif not gap:
            out.append("_")
            gap = True
    stem = "".join(out).strip("._")
    if not stem:
        return default
    if stem.split(".")[0].upper() in _RESERVED:
        stem = "_" + stem
    raw = stem.encode("utf-8")
    if len(raw) > MAX_NAME_BYTES:
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        stem = raw[:MAX_NAME_BYTES - 9].decode("utf-8", "ignore").rstrip("._") + "-" + digest
    return stem


def entry_name(name: str) -> str:
    """``name`` as one component of an archive entry (``label/<name>.npy``): ``%``, ``/``, ``\\``
    and every control, format, private or unassigned character written ``%XX`` (its UTF-8 bytes),
    so that it never splits into folders or climbs out with ``..``; read back by
    :func:`entry_name_decoded`. Plain names are unchanged."""
    out = []
    for ch in str(name):
        if ch in "%/\\" or unicodedata.category(ch).startswith("C"):
            out.append("".join(f"%{b:02X}" for b in ch.encode("utf-8", "surrogatepass")))
        else:
            out.append(ch)
    return "".join(out)


def entry_name_decoded(entry: str) -> str:
    """The name :func:`entry_name` wrote as ``entry``."""
    return unquote(entry, errors="surrogatepass") if "%" in entry else entry


def valid_text(text: str) -> str:
    """``text`` with every character XML 1.0 cannot hold (control characters but tab, line feed
    and carriage return; lone surrogates; U+FFFE, U+FFFF) replaced by U+FFFD, so that it can go
    into XML text or attributes, or be encoded as UTF-8."""
    return _NOT_XML.sub("\ufffd", text)


# ------------------------------------------------------------------------ temporaries


def _temp_re(path: Path) -> re.Pattern:
    """The names of ``path``'s temporaries: ``.NAME.<8 characters>.tmp`` (NAME cut to 200 bytes)."""
    return re.compile(re.escape(_temp_prefix(path)) + r"[a-z0-9_]{8}\.tmp")


def _temp_prefix(path: Path) -> str:
    return "." + path.name.encode("utf-8", "surrogateescape")[:200].decode("utf-8", "ignore") + "."


@contextmanager
def locked_temporary(path: Path, directory: bool = False) -> Iterator[Path]:
    """A new empty file (or folder) ``.NAME.<8 hex>.tmp`` next to ``path``, holding an OS lock
    (flock) while the block runs. A process killed during the block leaves it behind, unlocked:
    :func:`remove_stale_temporaries` finds it by name and lock. The caller renames or removes it."""
    import fcntl

    for _ in range(100):
        tmp = path.parent / f"{_temp_prefix(path)}{secrets.token_hex(4)}.tmp"
        try:
            if directory:
                os.mkdir(tmp, 0o700)
                fd = os.open(tmp, os.O_RDONLY)
            else:
                fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        break
    else:  # pragma: no cover - 100 collisions of 32 random bits
        raise FileExistsError(f"{path}: no free temporary name")
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield tmp
    finally:
        os.close(fd)


def remove_stale_temporaries(path: Path) -> list[Path]:
    """Remove the temporaries of ``path`` (``.NAME.*.tmp`` next to it, see :func:`locked_temporary`)
    that no live process holds: what writers killed before renaming left behind. Returns them."""
    import fcntl

    pattern = _temp_re(path)
    try:
        names = [p for p in path.parent.iterdir() if pattern.fullmatch(p.name)]
    except OSError:
        return []
    removed = []
    for p in names:
        try:
            fd = os.open(p, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # a writer is still at work
            os.close(fd)
            continue
        try:
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            else:
                p.unlink()
            removed.append(p)
        except OSError:
            pass
        finally:
            os.close(fd)
    return removed
