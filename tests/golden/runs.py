"""The golden runs: every example scenario generated with a fixed seed by ``mc`` and ``ce``.

Recorded before the redesign (issue 20) and kept equal since: the same ``content_hash`` and
byte-identical shards mean the refactor changed no behaviour. ``python -m tests.golden.runs``
prints the current values as JSON (to record them again when behaviour changes on purpose).
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
SAMPLERS = ("mc", "ce")
BUDGET, SHARD, STAGE, SEED = 600, 200, 200, 7
# the other samplers and the ce options that change its mixture, on the cut-in: (name, sampler, options, budget)
EXTRA = (("qmc", "qmc", {}, 600), ("splitting", "splitting", {"n_particles": 200}, 1400),
         ("ce-diverse", "ce", {"preset": "diverse"}, 3000))


def run_one(path: Path, sampler: str, out: Path, options: dict | None = None, budget: int = BUDGET) -> dict:
    """``generate`` one golden run into ``out``; its content hash and each shard's SHA-256."""
    from scenariogen import load_scenario
    from scenariogen.runs.generate import GenerateSettings, generate

    spec = load_scenario(path)
    st = GenerateSettings(sampler=sampler, target=spec.target or spec.events[0].name, seed=SEED,
                          budget=budget, shard_size=SHARD, stage_size=STAGE, keep="all",
                          sampler_options=dict(options or {}))
    manifest = generate(spec, out, st, progress=False)
    shards = [hashlib.sha256((out / rec.file).read_bytes()).hexdigest() for rec in manifest.shards]
    return {"content_hash": manifest.content_hash, "shards": shards}


def simulate_one(path: Path, out: Path) -> str:
    """SHA-256 of ``simulate``'s .npz of 64 scenarios with full trajectories."""
    from scenariogen import load_scenario, simulate
    from scenariogen.data.npz import save_npz

    spec = load_scenario(path)
    save_npz(simulate(spec, 64, seed=SEED, record="full", record_every=1, chunk_size=32), out)
    return hashlib.sha256(out.read_bytes()).hexdigest()


def run_all() -> dict:
    res = {}
    with tempfile.TemporaryDirectory() as tmp:
        for path in SCENARIOS:
            for sampler in SAMPLERS:
                res[f"{path.stem}/{sampler}"] = run_one(path, sampler, Path(tmp) / f"{path.stem}-{sampler}")
            res[f"{path.stem}/simulate"] = simulate_one(path, Path(tmp) / f"{path.stem}.npz")
        cut_in = ROOT / "scenarios" / "highway_cut_in.yaml"
        for name, sampler, options, budget in EXTRA:
            res[f"highway_cut_in/{name}"] = run_one(cut_in, sampler, Path(tmp) / name, options, budget)
    return res


if __name__ == "__main__":
    json.dump(run_all(), sys.stdout, indent=1, sort_keys=True)
    print()
