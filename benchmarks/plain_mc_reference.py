"""Large plain-MC references for the rare-event benchmarks (issue 26), kept in ``benchmarks/data``.

    python -m benchmarks.plain_mc_reference EXAMPLE N [--seed S] [--batch B]

simulates scenarios 0..N-1 of ``scenarios/EXAMPLE.yaml`` drawn from the family's own distribution
p (``scenariogen.simulate(spec, n=B, seed=S, start_index=i*B, record="none")``, so scenario k is
the same whatever B), and writes ``benchmarks/data/plain_mc_EXAMPLE.json``: for every event the
number of scenarios where it happened, the estimate and its exact 95 % / 90 % Clopper-Pearson
intervals, with the command, seed, count, commit and machine. It saves after every batch and
resumes from the file (same seed and batch) when started again, so it can be stopped at any time.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "benchmarks" / "data"


def reference_path(example: str) -> Path:
    return DATA / f"plain_mc_{example}.json"


def load_reference(example: str, event: str) -> dict:
    """The stored reference of ``event`` in ``example``: {"p", "n", "k", "ci95", "ci90", ...}."""
    d = json.loads(reference_path(example).read_text())
    return {**d["events"][event], "n": d["n"], "seed": d["seed"], "command": d["command"]}


def _commit() -> str:
    try:
        return subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    import numpy as np

    import scenariogen
    from scenariogen.sampling.estimate import clopper_pearson

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("example")
    ap.add_argument("n", type=int)
    ap.add_argument("--seed", type=int, default=4242)
    ap.add_argument("--batch", type=int, default=50_000)
    a = ap.parse_args(argv)
    spec = scenariogen.load_scenario(REPO / "scenarios" / f"{a.example}.yaml")
    names = [e.name for e in spec.events]
    out = reference_path(a.example)
    command = f"python -m benchmarks.plain_mc_reference {a.example} {a.n} --seed {a.seed} --batch {a.batch}"
    done, counts, cpu = 0, dict.fromkeys(names, 0), 0.0
    if out.exists():
        old = json.loads(out.read_text())
        if old["seed"] == a.seed and old["batch"] == a.batch:
            done, cpu = old["n"], old.get("cpu_seconds", 0.0)
            counts = {k: old["events"][k]["k"] for k in names}
    DATA.mkdir(parents=True, exist_ok=True)
    while done < a.n:
        m = min(a.batch, a.n - done)
        t0 = time.process_time()
        b = scenariogen.simulate(spec, n=m, seed=a.seed, start_index=done, record="none")
        cpu += time.process_time() - t0
        for k in names:
            counts[k] += int(np.sum(b.robustness[k] < 0))
        done += m
        events = {}
        for k in names:
            c = counts[k]
            events[k] = {"k": c, "p": c / done, "ci95": list(clopper_pearson(c, done, 0.95)),
                         "ci90": list(clopper_pearson(c, done, 0.90))}
        doc = {"example": a.example, "n": done, "n_target": a.n, "seed": a.seed, "batch": a.batch,
               "command": command, "how": "scenarios 0..n-1 from p: scenariogen.simulate(spec, n=batch, seed=seed, "
                                          "start_index=i*batch, record='none'); event iff robustness < 0",
               "commit": _commit(), "processor": platform.processor() or platform.machine(),
               "cpu_seconds": round(cpu, 1), "events": events}
        tmp = out.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc, indent=1) + "\n")
        tmp.replace(out)
        print(f"{a.example}: {done}/{a.n} " + ", ".join(f"{k} {counts[k]}" for k in names), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
