"""Export throughput on a few thousand scenarios (prints figures, asserts nothing).

    python tests/export/throughput.py [--n 3000] [--formats jsonl,npz]

Generates a plain Monte Carlo run of ``leader_hard_brake`` keeping every
scenario with full trajectories, then exports it with each format.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import scenariogen
from scenariogen.export import export, writers
from scenariogen.runs import GenerateSettings, generate

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--formats", default="jsonl,npz")
    args = ap.parse_args()
    spec = scenariogen.load_scenario(ROOT / "scenarios" / "leader_hard_brake.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "run"
        t0 = time.perf_counter()
        st = GenerateSettings(sampler="mc", target="collision", seed=1, budget=args.n, shard_size=1000, keep="all")
        generate(spec, run, st, progress=False)
        size = sum(p.stat().st_size for p in (run / "shards").iterdir())
        print(f"run: {args.n} scenarios in {time.perf_counter() - t0:.1f} s, shards {size / 1e6:.0f} MB")
        available = set(writers().names())
        for fmt in args.formats.split(","):
            if fmt.split(".")[0] not in available:
                print(f"{fmt}: not installed")
                continue
            out = Path(tmp) / ("out.jsonl.gz" if fmt == "jsonl.gz" else f"out_{fmt}" + (".jsonl" if fmt == "jsonl" else ""))
            r = export(run, fmt.split(".")[0], out)
            print(f"{fmt:>9}: {r.scenarios / r.seconds:8.0f} scenarios/s  {r.bytes / 1e6 / r.seconds:6.0f} MB/s written  "
                  f"{r.bytes / 1e6:7.0f} MB in {r.files} files, {r.seconds:.2f} s")


if __name__ == "__main__":
    main()
