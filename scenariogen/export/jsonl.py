"""``jsonl``: the native, lossless export, and its reader.

One JSON object per line (UTF-8, strict JSON: no NaN or Infinity literals),
optionally gzip-compressed when the file name ends in ``.jsonl.gz``.

Line 1, the header::

    {"record": "header", "schema": "scenariogen-jsonl", "schema_version": 1,
     "spec_name": str, "spec_text": str (the scenario YAML), "target": str (target event or ""),
     "parameter_names": [str], "agent_names": [str], "features": [str] (trajectory columns),
     "kind_names": [str] (agent kind codes), "metric_names": [str], "agent_metric_names": [str],
     "events": [str], "provenance": {...} (the Batch provenance), "weights": bool,
     "run": null | {"content_hash", "spec_hash", "version", "sampler", "seed", "keep",
                    "simulations", "estimate"}}

Every further line is one scenario::

    {"record": "scenario", "index": int (global scenario index; keys its random stream),
     "stage": int | null (sampler stage), "log_weight": num | null (log p(theta) - log q(theta)),
     "theta": [num] (parameter_names order), "labels": {event: bool}, "robustness": {event: num},
     "metrics": {name: num}, "agents": {"names": [str], "kinds": [int], "sizes": [[length, width]]},
     "trajectories": ARRAY (N, T, F) float32, "mask": ARRAY (N, T) bool,
     "agent_metrics": ARRAY (N, A) float64, "perception": {name: ARRAY} (empty without a sensor)}

``num`` is a JSON number written with Python's shortest round-trip repr, so it
reads back to the identical float64 (float32 values are widened exactly and
narrowed back exactly), or one of the strings ``"inf"``, ``"-inf"``, ``"nan"``.
``ARRAY`` is ``{"dtype": numpy dtype string, "shape": [int], "b64": base64 of the
raw little-endian C-order bytes}``, bit-exact by construction.
"""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path

import numpy as np

from ..errors import ScenarioGenError
from ..data import layout as Lo
from ..data.batch import Batch
from .base import Writer
from .values import json_number

__all__ = ["JsonlReader", "JsonlWriter", "read_jsonl"]

SCHEMA = "scenariogen-jsonl"
SCHEMA_VERSION = 1


def _unnum(v) -> float:
    return float(v)  # float("inf"), float("-inf"), float("nan") parse the strings too


def _enc(a: np.ndarray) -> dict:
    a = np.ascontiguousarray(a)
    a = a.astype(a.dtype.newbyteorder("<"), copy=False)
    return {"dtype": a.dtype.str, "shape": list(a.shape), "b64": base64.b64encode(a.tobytes()).decode("ascii")}


def _dec(d: dict) -> np.ndarray:
    dtype = np.dtype(d["dtype"])
    return np.frombuffer(base64.b64decode(d["b64"]), dtype=dtype).reshape(d["shape"]).astype(dtype.newbyteorder("="))


def _open(path: Path, mode: str, gz: bool):
    """A text file, gzip-compressed when ``gz``."""
    if gz:
        return gzip.open(path, mode + "t", encoding="utf-8", compresslevel=4)
    return open(path, mode, encoding="utf-8")


class JsonlWriter(Writer):
    name = "jsonl"
    extensions = (".jsonl", ".jsonl.gz")
    format_version = f"{SCHEMA_VERSION}"
    cannot_carry = ()

    def write_stream(self, stream, tmp, report, progress) -> None:
        gz = report.path.name.endswith(".gz")
        with _open(tmp, "w", gz) as fh:
            header_done = False
            for chunk in stream:
                b = chunk.batch
                if not header_done:
                    fh.write(json.dumps(_header(stream.meta, b, chunk.log_weight is not None)) + "\n")
                    header_done = True
                for i in range(b.size):
                    fh.write(json.dumps(_scenario(b, i, chunk), allow_nan=False) + "\n")
                report.scenarios += b.size
                if progress:
                    progress(b.size, stream.total)
            if not header_done:
                fh.write(json.dumps(_header(stream.meta, None, False)) + "\n")
        if stream.meta.get("run") is None:
            report.notes.append("the source is a Batch: no importance weights (log_weight is null)")


def _header(meta: dict, b: Batch | None, weights: bool) -> dict:
    return {
        "record": "header", "schema": SCHEMA, "schema_version": SCHEMA_VERSION,
        "spec_name": meta["spec_name"], "spec_text": meta["spec_text"], "target": meta["target"],
        "parameter_names": list(b.parameter_names) if b is not None else list(meta["parameters"]),
        "agent_names": list(b.agent_names) if b is not None else [],
        "features": list(Lo.FEATURES), "kind_names": list(Lo.KIND_NAMES),
        "metric_names": list(b.metrics) if b is not None else list(Lo.METRIC_NAMES),
        "agent_metric_names": list(Lo.AGENT_METRIC_NAMES),
        "events": list(b.labels) if b is not None else [],
        "provenance": b.provenance if b is not None else {},
        "weights": weights, "run": meta["run"],
    }


def _scenario(b: Batch, i: int, chunk) -> dict:
    return {
        "record": "scenario",
        "index": int(b.indices[i]),
        "stage": None if chunk.stage is None else int(chunk.stage[i]),
        "log_weight": None if chunk.log_weight is None else json_number(chunk.log_weight[i]),
        "theta": [json_number(v) for v in b.theta[i]],
        "labels": {k: bool(v[i]) for k, v in b.labels.items()},
        "robustness": {k: json_number(v[i]) for k, v in b.robustness.items()},
        "metrics": {k: json_number(v[i]) for k, v in b.metrics.items()},
        "agents": {"names": list(b.agent_names), "kinds": b.kinds[i].tolist(),
                   "sizes": [[json_number(x) for x in row] for row in b.sizes[i]]},
        "trajectories": _enc(b.trajectories[i]),
        "mask": _enc(b.mask[i]),
        "agent_metrics": _enc(b.agent_metrics[i]),
        "perception": {k: _enc(v[i]) for k, v in b.perception.items()},
    }


def read_jsonl(path: str | Path) -> tuple[Batch, np.ndarray | None]:
    """Read a ``jsonl`` export back: the Batch (bit-identical to what was written) and the
    importance log-weights per scenario (None when the export came from a Batch)."""
    path = Path(path)
    rows: list[dict] = []
    try:
        with _open(path, "r", path.name.endswith(".gz")) as fh:
            header = _parse(fh.readline(), path, 1)
            if header.get("record") != "header" or header.get("schema") != SCHEMA:
                raise ScenarioGenError(f"{path}:1: not a scenariogen jsonl export")
            if header["schema_version"] > SCHEMA_VERSION:
                raise ScenarioGenError(f"{path}: schema version {header['schema_version']} is newer than this "
                                       f"scenariogen reads ({SCHEMA_VERSION}); upgrade scenariogen")
            for k, line in enumerate(fh, start=2):
                if line.strip():
                    rows.append(_parse(line, path, k))
    except OSError as exc:
        raise ScenarioGenError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return _to_batch(header, rows), (np.array([_unnum(r["log_weight"]) for r in rows]) if header["weights"] else None)


def _parse(line: str, path: Path, k: int) -> dict:
    try:
        return json.loads(line)
    except ValueError as exc:
        raise ScenarioGenError(f"{path}:{k}: not valid JSON ({exc})") from None


def _to_batch(h: dict, rows: list[dict]) -> Batch:
    n_agents = len(h["agent_names"])
    if not rows:
        F = len(h["features"])
        return Batch(np.zeros((0, n_agents, 0, F), np.float32), np.zeros((0, n_agents, 0), bool),
                     np.zeros((0, n_agents), np.int8), np.zeros((0, n_agents, 2), np.float32),
                     tuple(h["agent_names"]), {k: np.zeros(0) for k in h["metric_names"]},
                     np.zeros((0, n_agents, len(h["agent_metric_names"]))), {k: np.zeros(0, bool) for k in h["events"]},
                     {k: np.zeros(0) for k in h["events"]}, np.zeros((0, len(h["parameter_names"]))),
                     tuple(h["parameter_names"]), np.zeros(0, np.int64), h["provenance"], {})
    stack = lambda key: np.stack([_dec(r[key]) for r in rows])  # noqa: E731
    first = rows[0]
    return Batch(
        trajectories=stack("trajectories"),
        mask=stack("mask"),
        kinds=np.array([r["agents"]["kinds"] for r in rows], dtype=np.int8),
        sizes=np.array([[[_unnum(x) for x in s] for s in r["agents"]["sizes"]] for r in rows]).astype(np.float32),
        agent_names=tuple(h["agent_names"]),
        metrics={k: np.array([_unnum(r["metrics"][k]) for r in rows]) for k in first["metrics"]},
        agent_metrics=stack("agent_metrics"),
        labels={k: np.array([r["labels"][k] for r in rows], dtype=bool) for k in first["labels"]},
        robustness={k: np.array([_unnum(r["robustness"][k]) for r in rows]) for k in first["robustness"]},
        theta=np.array([[_unnum(x) for x in r["theta"]] for r in rows], dtype=np.float64).reshape(len(rows), -1),
        parameter_names=tuple(h["parameter_names"]),
        indices=np.array([r["index"] for r in rows], dtype=np.int64),
        provenance=h["provenance"],
        perception={k: np.stack([_dec(r["perception"][k]) for r in rows]) for k in first["perception"]},
    )


class JsonlReader:
    """``read`` for the ``scenariogen.readers`` group: a jsonl export back to a Batch."""

    name = "jsonl"
    extensions = (".jsonl", ".jsonl.gz")
    format_version = f"{SCHEMA_VERSION}"

    def read(self, path: str | Path) -> Batch:
        return read_jsonl(path)[0]
