"""The run directory of ``scenariogen generate``: its one reader and its one writer.

Layout::

    RUN_DIR/manifest.json            settings, spec (text and hash), sampler state per stage,
                                     shards with their SHA-256, totals, the estimate
    RUN_DIR/shards/shard-000000.npz  the scenarios of one piece of one sampler stage
    RUN_DIR/.lock                    the writer's lock: an OS lock held for the run's life, and
                                     the host and process of the last writer

Every file is written to a temporary name in the same folder and renamed when
complete, so a run killed at any moment leaves only whole files; the first
manifest is written before any shard and rewritten after each one, so every
kill leaves a run that can be resumed. One writer at a time: a second one is
refused while the first holds the lock (the OS releases it when a writer
dies). Every read is verified: the manifest's structure and types, the
``content_hash`` of a finished run over its shard list, and each shard's
SHA-256 as its bytes are read.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import socket
import time
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from ..errors import RunError
from .batch import Batch, concat
from .files import file_sha256, jsonable, write_bytes_atomic, write_json_atomic
from .npz import load_npz

MANIFEST = "manifest.json"
SHARDS = "shards"
LOCK = ".lock"
FORMAT = "scenariogen-run/1"


@dataclass(frozen=True)
class ShardRecord:
    """One shard as the manifest lists it: ``file`` relative to the run directory, the sampler
    ``stage`` and row ``offset`` in it, ``size`` simulations starting at global index
    ``first_index``, how many were target ``events`` and how many were ``kept``, and its ``sha256``."""

    file: str
    stage: int
    offset: int
    size: int
    first_index: int
    events: int
    kept: int
    sha256: str


@dataclass(frozen=True)
class Totals:
    """Simulations, target events and kept scenarios so far."""

    simulations: int = 0
    events: int = 0
    kept: int = 0


@dataclass(frozen=True)
class Manifest:
    """The contents of ``manifest.json``. ``settings``, ``stages``, ``sampler_state`` and
    ``estimate`` are the JSON objects their writers produce; the fields after ``complete`` are
    set when the run finishes."""

    spec_name: str
    spec_hash: str
    spec_text: str
    version: str
    settings: dict
    parameters: tuple[str, ...]
    stages: tuple[dict, ...] = ()
    shards: tuple[ShardRecord, ...] = ()
    sampler_state: dict | None = None
    totals: Totals = field(default_factory=Totals)
    estimate: dict | None = None
    complete: bool = False
    failure_clusters: int | None = None
    conflict_types: dict | None = None
    conflict_shares_under_p: dict | None = None
    content_hash: str | None = None
    format: str = FORMAT
    spec_file: str = ""  # absolute path of the scenario file ("" when unknown): resolves its relative map path

    _DONE = ("failure_clusters", "conflict_types", "conflict_shares_under_p", "content_hash")

    def to_dict(self) -> dict:
        """The JSON object written to disk (the completion fields only once they are set)."""
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        for k in self._DONE:
            if d[k] is None:
                del d[k]
        if not d["spec_file"]:
            del d["spec_file"]
        d["parameters"] = list(self.parameters)
        d["stages"] = list(self.stages)
        d["shards"] = [asdict(r) for r in self.shards]
        d["totals"] = asdict(self.totals)
        return d

    def hash(self) -> str:
        """Hash of what the run produced: settings, spec, stages, shard contents, totals and the
        estimate (no timings, no version)."""
        d = self.to_dict()
        keep = {k: d[k] for k in ("spec_hash", "settings", "stages", "shards", "totals", "estimate")}
        return hashlib.sha256(json.dumps(keep, sort_keys=True).encode("utf-8")).hexdigest()

    def finish(self, **done: Any) -> Manifest:
        """The manifest of the finished run: ``done`` (estimate and the summaries), ``complete``, and
        the ``content_hash`` over it all."""
        m = replace(self, complete=True, **done)
        return replace(m, content_hash=m.hash())

    @classmethod
    def from_dict(cls, data: Any, where: Path | str = MANIFEST) -> Manifest:
        """A manifest from its JSON object; a clear error naming ``where`` for a damaged structure
        (edited by hand, cut short by a disk failure) instead of a KeyError deep inside a reader."""
        def bad(what: str) -> RunError:
            return RunError(f"{where}: damaged run manifest: {what}")

        if not isinstance(data, dict) or data.get("format") != FORMAT:
            found = data.get("format") if isinstance(data, dict) else type(data).__name__
            raise RunError(f"{where}: not a scenariogen run manifest (format {found!r}, expected {FORMAT!r})")
        for key, kind in _LAYOUT.items():
            if not isinstance(data.get(key), kind) or isinstance(data.get(key), bool) and kind is not bool:
                raise bad(f"'{key}' should be {_JSON_NAMES[kind]}{', but it is missing' if key not in data else ''}")
        for key, kind in _OPTIONAL.items():
            v = data.get(key)
            if v is not None and (not isinstance(v, kind) or isinstance(v, bool) and kind is not bool):
                raise bad(f"'{key}' should be {_JSON_NAMES[kind]} or null")
        if not all(isinstance(p, str) for p in data["parameters"]):
            raise bad("'parameters' should be an array of names")
        shards = []
        for i, rec in enumerate(data["shards"]):
            if not isinstance(rec, dict):
                raise bad(f"shards[{i}] should be an object")
            for key, kind in _SHARD_KEYS.items():
                if not isinstance(rec.get(key), kind) or isinstance(rec.get(key), bool):
                    raise bad(f"shards[{i}].{key} is missing or not {'a text' if kind is str else 'an integer'}")
            if Path(rec["file"]).is_absolute() or ".." in Path(rec["file"]).parts:
                raise bad(f"shards[{i}].file {rec['file']!r} points outside the run directory")
            shards.append(ShardRecord(**{k: rec[k] for k in _SHARD_KEYS}))
        for i, st in enumerate(data["stages"]):
            if not isinstance(st, dict) or not isinstance(st.get("stage"), int) or "adapting" not in st:
                raise bad(f"stages[{i}] should be an object with 'stage' and 'adapting'")
        totals = data["totals"]
        for key in ("simulations", "events", "kept"):
            if not isinstance(totals.get(key), int) or isinstance(totals.get(key), bool):
                raise bad(f"totals.{key} is missing or not an integer")
        known = {f.name for f in fields(cls)}
        m = cls(**{k: v for k, v in data.items() if k in known and k not in ("parameters", "stages", "shards",
                                                                                "totals")},
                parameters=tuple(data["parameters"]), stages=tuple(data["stages"]), shards=tuple(shards),
                totals=Totals(**{k: totals[k] for k in ("simulations", "events", "kept")}))
        if m.complete and m.content_hash != m.hash():
            raise bad("its content_hash does not match its shard list, stages and totals (shard records "
                      "dropped, duplicated, reordered or edited)")
        return m


#: the manifest keys every reader relies on, with the JSON type each must have
_LAYOUT = {"settings": dict, "stages": list, "shards": list, "totals": dict, "spec_hash": str, "spec_name": str,
           "parameters": list}
_OPTIONAL = {"spec_text": str, "spec_file": str, "version": str, "sampler_state": dict, "estimate": dict, "complete": bool,
             "failure_clusters": int, "conflict_types": dict, "conflict_shares_under_p": dict, "content_hash": str}
_SHARD_KEYS = {"file": str, "stage": int, "offset": int, "size": int, "first_index": int, "events": int, "kept": int,
               "sha256": str}
_JSON_NAMES = {dict: "a JSON object", list: "a JSON array", str: "a text", int: "an integer", bool: "true or false"}


def read_manifest(run_dir: str | Path) -> Manifest | None:
    """The verified manifest of ``run_dir``, or None if it has none; a clear error if it is
    unreadable or damaged. Manifests written before non-finite numbers were stored as strings read
    as now."""
    path = Path(run_dir) / MANIFEST
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RunError(f"{path}: not a readable run manifest ({exc})") from None
    return Manifest.from_dict(jsonable(data), path)


@dataclass(frozen=True)
class Run:
    """A run directory opened for reading: its verified ``manifest``, and its shards, each checked
    against its SHA-256 as it is read."""

    path: Path
    manifest: Manifest

    def shard_path(self, rec: ShardRecord) -> Path:
        return self.path / rec.file

    def shard_bytes(self, rec: ShardRecord) -> bytes:
        """A shard's bytes, verified against its SHA-256."""
        path = self.shard_path(rec)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise RunError(f"{path}: shard listed in the manifest is missing") from None
        except OSError as exc:
            raise RunError(f"{path}: cannot read shard ({exc.strerror or exc})") from None
        if hashlib.sha256(data).hexdigest() != rec.sha256:
            raise RunError(f"{path}: shard is corrupt (content differs from its SHA-256 in the manifest)")
        return data

    def read_shard(self, rec: ShardRecord, *, frames: bool = True) -> tuple[Batch, dict]:
        """One shard, read once and verified: its kept scenarios (``frames=False``: without their
        recorded frames) and its per-simulation ``sim/*`` arrays."""
        data = self.shard_bytes(rec)
        path = self.shard_path(rec)
        batch = load_npz(io.BytesIO(data), name=path, frames=frames)
        return batch, _sim_arrays(data, path)

    def sim_arrays(self, rec: ShardRecord) -> dict:
        """One shard's per-simulation arrays (index, theta, log_weight, robustness, event, stage,
        conflict), verified."""
        return _sim_arrays(self.shard_bytes(rec), self.shard_path(rec))

    def kept(self, *, frames: bool = True) -> Iterator[tuple[ShardRecord, Batch, dict]]:
        """Every shard that kept scenarios, in order, with its batch and sim arrays."""
        for rec in self.manifest.shards:
            if rec.kept > 0:
                batch, sim = self.read_shard(rec, frames=frames)
                yield rec, batch, sim

    def batch(self) -> Batch:
        """Every kept scenario as one batch (for small runs; writers stream shard by shard)."""
        parts = [b for _rec, b, _sim in self.kept()]
        if not parts:
            raise RunError(f"{self.path}: the run kept no scenarios")
        return concat(parts)

    def scenario(self, index: int) -> tuple[Batch, int]:
        """``(batch, row)``: the shard holding kept scenario number ``index`` (counted over the
        shards in order) and its row in it."""
        recs = [r for r in self.manifest.shards if r.kept > 0]
        total = sum(r.kept for r in recs)
        if not isinstance(index, (int, np.integer)) or not 0 <= index < total:
            span = f"0..{total - 1}" if total else "none"
            raise RunError(f"index {index} out of range: {self.path} holds {total} kept scenarios "
                           f"(index {span})")
        for rec in recs:
            if index < rec.kept:
                return self.read_shard(rec)[0], int(index)
            index -= rec.kept
        raise AssertionError("unreachable")  # pragma: no cover

    def check_shards(self) -> None:
        """A clear error unless every listed shard is on disk with its recorded SHA-256 (all are
        checked, so the message lists every damaged one)."""
        bad = []
        for rec in self.manifest.shards:
            path = self.shard_path(rec)
            if not path.is_file():
                bad.append(f"{rec.file} (missing)")
            elif file_sha256(path) != rec.sha256:
                bad.append(f"{rec.file} (content differs from its SHA-256)")
        if bad:
            more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
            raise RunError(f"{self.path}: {len(bad)} shard(s) listed in the manifest are damaged: "
                           f"{', '.join(bad[:3])}{more}; the run cannot be used or resumed as it is")


def open_run(run_dir: str | Path, *, complete: bool = True) -> Run:
    """Open a run directory for reading; with ``complete``, refuse a run that has not finished.
    Every listed shard must be present (their contents are verified as they are read)."""
    path = Path(run_dir)
    if not path.is_dir():
        why = "it is a file" if path.exists() else "no such directory"
        raise RunError(f"{path}: not a run directory ({why})")
    manifest = read_manifest(path)
    if manifest is None:
        raise RunError(f"{path}: not a scenariogen run (not a run directory: it has no {MANIFEST})")
    if complete and not manifest.complete:
        raise RunError(f"{path}: the run is incomplete ({len(manifest.shards)} shards so far); "
                       "resume it to the end first (scenariogen generate ... --resume)")
    missing = [rec.file for rec in manifest.shards if not (path / rec.file).is_file()]
    if missing:
        raise RunError(f"{path}: {len(missing)} shard(s) listed in the manifest are missing "
                       f"(first: {missing[0]})")
    return Run(path, manifest)


class RunWriter:
    """The one writer of a run directory: holds its lock, writes the manifest and the shards
    atomically, and removes what an interrupted writer left behind.

    Use as a context manager: entering creates the directory if needed and takes the lock (a
    :class:`~scenariogen.errors.RunError` names the holder while another writer has it); leaving
    releases it, and removes the directory again if this writer created it and wrote nothing."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._fd: int | None = None
        self._created = False
        self._had_lock = False
        self._wrote = False

    def __enter__(self) -> RunWriter:
        if self.path.exists() and not self.path.is_dir():
            raise RunError(f"{self.path}: is a file, not a directory; choose a new or empty directory")
        self._created = not self.path.exists()
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RunError(f"{self.path}: cannot create the run directory ({exc.strerror or exc})") from None
        self._had_lock = (self.path / LOCK).exists()
        self._fd = _lock(self.path / LOCK)
        return self

    def __exit__(self, *exc_info) -> None:
        if self._fd is None:
            return
        if not self._wrote:  # nothing of this run reached the disk: leave nothing behind either
            if not self._had_lock:
                (self.path / LOCK).unlink(missing_ok=True)
            if self._created:
                for d in (self.path / SHARDS, self.path):
                    try:
                        d.rmdir()
                    except OSError:
                        pass
        os.close(self._fd)  # closing the descriptor releases the lock
        self._fd = None

    def temporaries(self) -> list[Path]:
        """Temporary files an interrupted writer left (``.NAME.*.tmp``)."""
        return list(self.path.glob(".*.tmp")) + list((self.path / SHARDS).glob(".*.tmp"))

    def is_empty(self) -> bool:
        """True when the directory holds nothing but the lock, temporaries and an empty shard folder."""
        stale = {LOCK, SHARDS} | {p.name for p in self.temporaries()}
        shards = self.path / SHARDS
        return all(p.name in stale for p in self.path.iterdir()) and (
            not shards.exists() or all(p.name.startswith(".") for p in shards.iterdir()))

    def open(self, manifest: Manifest) -> None:
        """Start writing: clear stale temporaries, write the first manifest, then the shard folder."""
        if self._fd is None:
            raise RunError(f"{self.path}: the run directory is not locked for writing")
        os.ftruncate(self._fd, 0)  # who writes, for a second writer's message
        os.pwrite(self._fd, json.dumps({"host": socket.gethostname(), "pid": os.getpid(),
                                        "since": time.strftime("%Y-%m-%dT%H:%M:%S%z")}).encode("utf-8"), 0)
        for p in self.temporaries():
            p.unlink(missing_ok=True)
        self.write_manifest(manifest)
        try:
            (self.path / SHARDS).mkdir(exist_ok=True)
        except OSError as exc:
            raise RunError(f"{self.path}: cannot create the shard folder ({exc.strerror or exc})") from None

    def write_manifest(self, manifest: Manifest) -> None:
        write_json_atomic(self.path / MANIFEST, manifest.to_dict())
        self._wrote = True

    def write_shard(self, k: int, data: bytes, *, stage: int, offset: int, size: int, first_index: int,
                    events: int, kept: int) -> ShardRecord:
        """Write shard number ``k`` (the bytes of an .npz) and return its manifest record."""
        path = self.path / SHARDS / f"shard-{k:06d}.npz"
        write_bytes_atomic(path, data)
        return ShardRecord(file=str(path.relative_to(self.path)), stage=stage, offset=offset, size=size,
                           first_index=first_index, events=events, kept=kept,
                           sha256=hashlib.sha256(data).hexdigest())


def _lock(path: Path) -> int:
    """An open descriptor of ``path`` holding its exclusive lock. The lock file may be removed by a
    writer that leaves nothing behind; a descriptor locked after that names a removed file, so the
    lock is taken again on the file that is there now."""
    import fcntl

    for _ in range(100):
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise RunError(f"{path.parent}: cannot create the run directory's lock ({exc.strerror or exc})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = _read_holder(fd)
            os.close(fd)
            raise RunError(f"{path.parent}: another writer is using this run directory ({holder}); wait for it "
                           "to finish, or write to another directory") from None
        try:
            if os.fstat(fd).st_ino == os.stat(path).st_ino:
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)
    raise RunError(f"{path.parent}: could not lock the run directory (its lock file keeps changing)")


def _read_holder(fd: int) -> str:
    try:
        who = json.loads(os.pread(fd, 4096, 0).decode("utf-8"))
        return f"process {who['pid']} on {who['host']} since {who['since']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "holder unknown"


def _sim_arrays(data: bytes, path: Path) -> dict:
    try:
        with np.load(io.BytesIO(data)) as z:
            return {k.split("/", 1)[1]: z[k] for k in z.files if k.startswith("sim/")}
    except Exception as exc:  # the hash matches but it does not parse: not written by generate
        raise RunError(f"{path}: shard is unreadable ({type(exc).__name__}: {exc})") from None
