"""``npz``: fixed-shape training tensors, one ``.npz`` file per shard, in a new folder.

``OUT/part-000000.npz``, ``OUT/part-000001.npz``, ... (one per run shard, or per
1000 scenarios of a Batch; a shard with nothing to export gives no file). In each
file, for B scenarios, N agent slots, T frames, F features, L lanes, P points
per lane, E events, M metrics, A agent metrics and d parameters:

==================  ======================  ==========================================================
key                 dtype, shape            meaning
==================  ======================  ==========================================================
agents/features     float32 (B, N, T, F)    ``header.features``: x, y (m), heading (rad), speed (m/s),
                                            accel (m/s^2), lane index, s, offset (m); 0 where invalid
agents/valid        bool (B, N, T)          the agent is present at that frame
agents/kind         int8 (B, N)             codes of ``header.kind_names``
agents/size         float32 (B, N, 2)       length, width (m)
map/polylines       float32 (L, P, 3)       lane centrelines: x, y (m), heading (rad), every ~1 m;
                                            the same for every scenario of a run (one spec, one road)
map/valid           bool (L, P)             the point exists (lanes are padded to the longest)
map/lane_width      float32 (L,)            m; ``header.lane_ids`` names the lanes
labels              bool (B, E)             ``header.events`` order
robustness          float64 (B, E)          negative exactly when the event happened
event_time          float64 (B, E)          s, first time the event's condition holds where it can be
                                            told (collision: first contact; hard_braking: first frame
                                            braking harder than the threshold), NaN otherwise
collision_time      float64 (B,)            s, first collision between any two agents, NaN if none
metrics             float64 (B, M)          ``header.metric_names``
agent_metrics       float64 (B, N, A)       ``header.agent_metric_names``
theta               float64 (B, d)          ``header.parameter_names``
index               int64 (B,)              global scenario index
log_weight          float64 (B,)            log p(theta) - log q(theta) (0 for plain Monte Carlo or a Batch)
weight              float64 (B,)            exp(log_weight): the importance weight for unbiased averages
header              uint8 (bytes,)          UTF-8 JSON: schema, names above, frame_dt (s), spec, provenance
==================  ======================  ==========================================================

Loading for training (numpy only)::

    from scenariogen.export.npz import iter_parts

    for part in iter_parts("out/train_npz"):             # one dict of arrays per file
        x = part["agents/features"][..., :4]              # (B, N, T, 4): x, y, heading, speed
        valid = part["agents/valid"]                      # (B, N, T)
        y = part["labels"][:, part["header"]["events"].index("collision")]
        w = part["weight"] / part["weight"].mean()        # importance weights, normalised per file
        for lo in range(0, len(y), 64):                   # minibatches
            xb, mb, yb, wb = x[lo:lo + 64], valid[lo:lo + 64], y[lo:lo + 64], w[lo:lo + 64]
            # loss = (wb * per_example_loss(model(xb, mb), yb)).mean()
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Iterator

import numpy as np

from ..errors import ScenarioGenError
from ..data import layout as Lo
from ..data.batch import Batch
from ..data.npz import write_arrays
from .base import Writer
from .source import parse_spec

__all__ = ["NpzWriter", "event_times", "iter_parts", "map_tensors"]

SCHEMA = "scenariogen-npz"
SCHEMA_VERSION = 1
MAP_DS = 1.0  # m, spacing of the map polyline points


@lru_cache(maxsize=8)
def map_tensors(spec_text: str) -> dict:
    """The spec's road as padded polylines: ``polylines`` (L, P, 3), ``valid`` (L, P),
    ``lane_width`` (L,), ``lane_ids``."""
    from ..road import build_road, compile_road

    road = compile_road(build_road(parse_spec(spec_text).road), ds=MAP_DS)
    L = road.n_lanes
    counts = np.diff(road.lane_offset)
    P = int(counts.max()) if L else 0
    poly = np.zeros((L, P, 3), np.float32)
    valid = np.zeros((L, P), bool)
    for k in range(L):
        sl = slice(road.lane_offset[k], road.lane_offset[k + 1])
        n = int(counts[k])
        poly[k, :n] = np.stack([road.px[sl], road.py[sl], road.heading[sl]], axis=-1)
        valid[k, :n] = True
    return {"polylines": poly, "valid": valid, "lane_width": road.lane_width.astype(np.float32),
            "lane_ids": list(road.lane_ids)}


def event_times(spec, b: Batch, frame_dt: float) -> dict[str, np.ndarray]:
    """First time (s) each event's condition holds, per scenario; NaN where it did not happen
    or the data cannot tell (near misses, occlusion and dropout events)."""
    idx = {n: i for i, n in enumerate(b.agent_names)}
    out = {}
    for ev in spec.events:
        t = np.full(b.size, np.nan)
        a = idx.get(ev.actor, 0)
        if ev.type == "collision":
            tc = b.metrics["ego_collision_time"] if a == 0 else b.agent_metrics[:, a, Lo.A_COLL_TIME]
            t = np.where(np.isfinite(tc), tc, np.nan)
        elif ev.type == "hard_braking" and b.trajectories.shape[2] > 0:
            hit = (b.trajectories[:, a, :, Lo.F_ACCEL] <= -ev.decel_above) & b.mask[:, a, :]
            first = hit.argmax(axis=1)
            t = np.where(hit.any(axis=1), first * frame_dt, np.nan)
        out[ev.name] = np.where(b.labels[ev.name], t, np.nan)
    return out


class NpzWriter(Writer):
    name = "npz"
    extensions = ()
    directory = True
    format_version = f"{SCHEMA_VERSION}"
    cannot_carry = ("perception arrays (visible, detected, tracked, track_xy, dropout): use jsonl",
                    "static occluder polygons of the map")

    def write_stream(self, stream, tmp, report, progress) -> None:
        meta = stream.meta
        spec = stream.spec(self.name)
        road = map_tensors(meta["spec_text"])
        if spec.occluders:
            report.drop(self.cannot_carry[1])
        for k, chunk in enumerate(stream):
            b = chunk.batch
            if b.perception:
                report.drop(self.cannot_carry[0])
            frame_dt = b.frame_dt(spec.dt)
            arrays = _tensors(b, chunk, spec, road, frame_dt)
            header = {"schema": SCHEMA, "schema_version": SCHEMA_VERSION, "features": list(Lo.FEATURES),
                      "kind_names": list(Lo.KIND_NAMES), "events": list(b.labels), "metric_names": list(b.metrics),
                      "agent_metric_names": list(Lo.AGENT_METRIC_NAMES), "parameter_names": list(b.parameter_names),
                      "agent_names": list(b.agent_names), "lane_ids": road["lane_ids"], "frame_dt": frame_dt,
                      "spec_name": meta["spec_name"], "target": meta["target"], "weights": chunk.log_weight is not None,
                      "provenance": {k: v for k, v in b.provenance.items() if k != "spec_text"},
                      "spec_text": meta["spec_text"], "run": meta["run"]}
            arrays["header"] = np.frombuffer(json.dumps(header).encode("utf-8"), np.uint8)
            write_arrays(tmp / f"part-{k:06d}.npz", arrays)
            report.scenarios += b.size
            if progress:
                progress(b.size, stream.total)
        if meta.get("run") is None:
            report.notes.append("the source is a Batch: no importance weights (weight = 1)")


def _tensors(b: Batch, chunk, spec, road: dict, frame_dt: float) -> dict:
    times = event_times(spec, b, frame_dt)
    events = list(b.labels)
    lw = chunk.log_weight if chunk.log_weight is not None else np.zeros(b.size)
    coll = b.metrics["collision_time"]
    return {
        "agents/features": np.where(b.mask[..., None], b.trajectories, np.float32(0)),
        "agents/valid": b.mask,
        "agents/kind": b.kinds,
        "agents/size": b.sizes,
        "map/polylines": road["polylines"],
        "map/valid": road["valid"],
        "map/lane_width": road["lane_width"],
        "labels": np.stack([b.labels[e] for e in events], axis=1) if events else np.zeros((b.size, 0), bool),
        "robustness": np.stack([b.robustness[e] for e in events], axis=1) if events else np.zeros((b.size, 0)),
        "event_time": np.stack([times[e] for e in events], axis=1) if events else np.zeros((b.size, 0)),
        "collision_time": np.where(np.isfinite(coll), coll, np.nan),
        "metrics": np.stack([b.metrics[m] for m in b.metrics], axis=1),
        "agent_metrics": b.agent_metrics,
        "theta": b.theta,
        "index": b.indices,
        "log_weight": lw,
        "weight": np.exp(lw),
    }


def iter_parts(path: str | Path) -> Iterator[dict]:
    """Each part file of an npz export as a dict of arrays, with ``header`` decoded to a dict."""
    folder = Path(path)
    if not folder.is_dir():
        raise ScenarioGenError(f"{folder}: not an npz export folder")
    for f in sorted(folder.glob("part-*.npz")):
        with np.load(f) as z:
            part = {k: z[k] for k in z.files}
        part["header"] = json.loads(bytes(part["header"]).decode("utf-8"))
        if part["header"].get("schema") != SCHEMA or part["header"]["schema_version"] > SCHEMA_VERSION:
            raise ScenarioGenError(f"{f}: not a scenariogen npz part this version can read")
        yield part

