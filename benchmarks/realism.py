"""Realism audit of the shipped families (issue 21): plain Monte Carlo under each family's own
p(theta), the collision and near-miss rates, and up to 20 collisions per family re-simulated,
rendered and described by the facts a cause is named from.

    python benchmarks/realism.py --n 20000 --out realism-audit      # every family
    python benchmarks/realism.py --n 2000 --family on_ramp_merge    # one

Writes ``<out>/summary.md`` (the table of docs/realism.md and one line per audited collision) and
``<out>/<family>/<index>.png`` at the moment of each collision. Runs in chunks with
``record="none"`` so memory stays bounded; a collision is re-simulated alone by its index (the
output is bit-identical by index). Not a test: it takes minutes.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import time
from pathlib import Path

import numpy as np

import scenariogen
from scenariogen.data import layout as Lo

ROOT = Path(__file__).resolve().parents[1]
CHUNK = 2000


def _lane_ids(spec) -> tuple[str, ...]:
    from scenariogen.sim.compile import compiled_road

    return compiled_road(spec).arrays.lane_ids


def describe_collision(spec, batch, row: int) -> str:
    """The facts of the collision in ``row``: who, where, how fast, who was changing lanes or
    moving aside, what the ego's sensor did, whether the other was hidden."""
    m, names = batch.metrics, batch.agent_names
    t = float(m["collision_time"][row])
    a, b = int(m["collision_a"][row]), int(m["collision_b"][row])
    tr = batch.trajectories[row]
    k = min(int(round(t / spec.dt)), tr.shape[1] - 1)
    k0 = max(k - int(round(3.0 / spec.dt)), 0)
    lanes = _lane_ids(spec)
    facts = []
    for i in (a, b):
        lane = int(tr[i, k, Lo.F_LANE])
        was = int(tr[i, k0, Lo.F_LANE])
        lane_s = lanes[lane] if 0 <= lane < len(lanes) else "off-lane"
        moved = "" if lane == was or was < 0 or lane < 0 else f" (from {lanes[was]} in the last 3 s)"
        aside = abs(float(tr[i, k, Lo.F_OFFSET])) > 1.0 and lane >= 0
        facts.append(f"{names[i]} {float(tr[i, k, Lo.F_SPEED]):.1f} m/s on {lane_s}{moved}"
                     + (f", {float(tr[i, k, Lo.F_OFFSET]):+.1f} m aside" if aside else "")
                     + f", braking {max(-float(tr[i, k0:k + 1, Lo.F_ACCEL].min()), 0.0) + 0.0:.1f} m/s^2 at most")
    extra = []
    if "dropout_longest" in m and float(m["dropout_longest"][row]) > 0:
        extra.append(f"ego sensor dropout up to {float(m['dropout_longest'][row]):.1f} s")
    occ = batch.agent_metrics[row, :, Lo.A_OCC_AT_ENTRY]
    if 0 in (a, b):
        other = b if a == 0 else a
        if occ[other] == 1.0:
            extra.append(f"{names[other]} hidden from the ego when it entered its lane")
    if math.isfinite(float(m["aeb_time"][row])):
        extra.append(f"AEB at {float(m['aeb_time'][row]):.1f} s")
    return f"t={t:.1f} s: " + "; ".join(facts) + ("; " + "; ".join(extra) if extra else "")


def audit(path: Path, n: int, seed: int, out: Path, keep: int) -> dict:
    spec = scenariogen.load_scenario(path)
    coll = np.zeros(0, dtype=bool)
    ego_coll = np.zeros(0, dtype=bool)
    labels: dict[str, list] = {}
    cpu0 = time.process_time()
    for start in range(0, n, CHUNK):
        b = scenariogen.simulate(spec, n=min(CHUNK, n - start), seed=seed, record="none", start_index=start)
        coll = np.concatenate([coll, np.isfinite(b.metrics["collision_time"])])
        ego_coll = np.concatenate([ego_coll, np.isfinite(b.metrics["ego_collision_time"])])
        for k, v in b.labels.items():
            labels.setdefault(k, []).append(np.asarray(v, dtype=bool))
    cpu = time.process_time() - cpu0
    rates = {k: float(np.concatenate(v).mean()) for k, v in labels.items()}
    lines = []
    fam_dir = out / spec.name
    for idx in np.flatnonzero(coll)[:keep]:
        one = scenariogen.simulate(spec, n=1, seed=seed, start_index=int(idx))
        lines.append(f"- {spec.name} #{int(idx)}: {describe_collision(spec, one, 0)}")
        fam_dir.mkdir(parents=True, exist_ok=True)
        from scenariogen.render.write import render_frame

        render_frame(one, 0, fam_dir / f"{int(idx)}.png", time=float(one.metrics["collision_time"][0]))
    return {"name": spec.name, "n": n, "collision": float(coll.mean()), "n_collision": int(coll.sum()),
            "ego_collision": float(ego_coll.mean()), "labels": rates, "target": spec.target,
            "cpu_s": cpu, "lines": lines}


def _ci(k: int, n: int) -> str:
    """Upper 95 % bound of a rate with ``k`` events in ``n`` (3/n when none: the rule of three)."""
    if k == 0:
        return f"< {3.0 / n:.1e}"
    p = k / n
    return f"{p:.1e} +- {1.96 * math.sqrt(p * (1 - p) / n):.0e}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", type=int, default=20, help="collisions rendered and described per family")
    ap.add_argument("--family", action="append", help="a family's name (default: every one in scenarios/)")
    ap.add_argument("--out", type=Path, default=Path("realism-audit"))
    args = ap.parse_args()
    paths = sorted((ROOT / "scenarios").glob("*.yaml"))
    if args.family:
        paths = [p for p in paths if p.stem in args.family]
    args.out.mkdir(parents=True, exist_ok=True)
    rows = [audit(p, args.n, args.seed, args.out, args.keep) for p in paths]
    head = (f"{args.n} draws per family, seed {args.seed}; {platform.processor() or platform.machine()}, "
            f"load average {os.getloadavg()[0]:.2f}\n\n"
            "| family | collision (any) | ego collision | near_miss | target (rate) | CPU s |\n|---|---|---|---|---|---|\n")
    table = "".join(
        f"| {r['name']} | {_ci(r['n_collision'], r['n'])} | {r['ego_collision']:.1e} | "
        f"{r['labels'].get('near_miss', float('nan')):.2e} | {r['target']} ({r['labels'].get(r['target'], float('nan')):.2e}) | "
        f"{r['cpu_s']:.0f} |\n" for r in rows)
    audited = "\n".join(line for r in rows for line in r["lines"])
    (args.out / "summary.md").write_text(head + table + "\n## Audited collisions\n\n" + audited + "\n")
    print(head + table)
    print(audited)


if __name__ == "__main__":
    main()
