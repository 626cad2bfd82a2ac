"""Honest probabilities at default options (issue 26): coverage, spread and warnings over seeds.

    python -m benchmarks.honest_estimates run CASE [--seeds 24] [--first 0] [--part N]
    python -m benchmarks.honest_estimates report

``run`` estimates CASE's probability with ``ce`` at default options (``run_estimate`` as
``scenariogen estimate`` calls it, 90 % intervals) once per seed, against the plain-MC reference
in ``benchmarks/data`` (:mod:`benchmarks.plain_mc_reference`; the Gaussian toy's p is exact), and
appends each run's estimate, intervals (the default tail interval and the normal one) and
diagnostics to ``benchmarks/data/honest_CASE.json`` (resumable: seeds already there are skipped;
``--part N`` writes ``honest_CASE.partN.json`` instead, so a second process can run other seeds).
Seed s draws with sampler seed s and simulation seed 900 + s.

``report`` prints, per case: the 90 % intervals' coverage of the reference, the estimates' mean
and spread (the actual 90 % relative half-width: 1.645 sd / reference, and the 90 % quantile of
|p / reference - 1|), plain MC's need for a 0.3 half-width at 90 % and the ratio to the budget;
then, pooled over the simulated cases (not the toy), each warning diagnostic's hit rate (runs whose
interval misses that it flags) and false-alarm rate (runs whose interval covers that it flags) at a
few thresholds, and the threshold kept for it: the one with the largest hit minus false-alarm rate
among those that flag at least 2 misses at no less than twice their false-alarm rate (none: the
warning is dropped).
Everything goes to ``benchmarks/data/honest_report.json`` too.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "benchmarks" / "data"
CONF, Z, RHW = 0.90, 1.6448536269514722, 0.3
#: case -> (scenario or "toy", event, budget)
CASES = {
    "toy": ("toy", "", 2000),
    "emergency_brake-collision-2100": ("emergency_brake", "collision", 2100),
    "emergency_brake-collision-3000": ("emergency_brake", "collision", 3000),
    "cut_in-near_miss-5000": ("highway_cut_in", "near_miss", 5000),
    "cut_in-near_miss-20000": ("highway_cut_in", "near_miss", 20000),
    "cut_in-collision-40000": ("highway_cut_in", "collision", 40000),
}
#: diagnostic -> (direction, thresholds tried): a warning fires when the diagnostic is above
#: (">") or below ("<") the threshold
DIAGNOSTICS = {"pareto_k": (">", (0.5, 0.6, 0.7, 0.8, 0.9)),
               "max_share": (">", (0.01, 0.05, 0.1, 0.2, 0.3)),
               "ess_events_fraction": ("<", (0.02, 0.05, 0.1, 0.2, 0.3)),
               "unseen_ratio": (">", (1.5, 3.0, 5.0, 10.0))}


def _path(case: str, part: int = 0) -> Path:
    """Where ``run`` writes (``part`` > 0: a second process on other seeds writes its own file)."""
    return DATA / (f"honest_{case}.json" if not part else f"honest_{case}.part{part}.json")


def _runs(case: str) -> list[dict]:
    """The runs of every file of ``case``, one per seed, by seed."""
    runs = {}
    for path in sorted(DATA.glob(f"honest_{case}.*json")):
        for r in json.loads(path.read_text())["runs"]:
            runs.setdefault(r["seed"], r)
    return [runs[s] for s in sorted(runs)]


def _reference(case: str) -> float:
    example, event, _ = CASES[case]
    if example == "toy":
        return 1e-4
    from benchmarks.plain_mc_reference import load_reference

    return load_reference(example, event)["p"]


def run(case: str, seeds: int, first: int, part: int = 0) -> None:
    import scenariogen
    from scenariogen.sampling import GaussianTail, run_estimate

    example, event, budget = CASES[case]
    path = _path(case, part)
    doc = json.loads(path.read_text()) if path.exists() else {"case": case, "budget": budget, "runs": []}
    done = {r["seed"] for r in _runs(case)}
    if example == "toy":
        toy = GaussianTail(d=2, p=1e-4)
        space, make = toy.space, (lambda s: toy)
    else:
        spec = scenariogen.load_scenario(REPO / "scenarios" / f"{example}.yaml")
        space = spec.parameters

        def make(s):
            nxt = [0]

            def evaluate(theta):
                b = scenariogen.simulate(spec, theta=theta, seed=900 + s, start_index=nxt[0], record="none")
                nxt[0] += theta.shape[0]
                return b.robustness[event]
            return evaluate
    for s in range(first, first + seeds):
        if s in done:
            continue
        t0 = time.process_time()
        e = run_estimate("ce", space, make(s), budget=budget, seed=s, confidence=CONF)
        d = e.details
        doc["runs"].append({"seed": s, "p": e.p, "ci": [e.ci_low, e.ci_high], "normal_ci": d.get("normal_ci"),
                            "n_sims": e.n_sims, "n_adapt": d["n_adapt"], "events": e.n_events,
                            "cpu_seconds": round(time.process_time() - t0, 1),
                            **{k: d.get(k) for k in DIAGNOSTICS}, "tail_terms": d.get("tail_terms")})
        doc.update(processor=platform.processor() or platform.machine(), loadavg=os.getloadavg()[0],
                   command=f"python -m benchmarks.honest_estimates run {case} --seeds {seeds} --first {first}"
                           + (f" --part {part}" if part else ""))
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc, indent=1) + "\n")
        tmp.replace(path)
        print(f"{case} seed {s}: {e.p:.3e} [{e.ci_low:.3e}, {e.ci_high:.3e}]", flush=True)


def _fires(value, direction: str, thr: float) -> bool:
    if value is None or not math.isfinite(value):
        return False
    return value > thr if direction == ">" else value < thr


def report() -> dict:
    from scenariogen.sampling import mc_sims_needed

    out, pooled = {}, []
    for case in CASES:
        runs = _runs(case)
        if not runs:
            continue
        ref = _reference(case)
        budget = CASES[case][2]
        ps = np.array([r["p"] for r in runs]) / ref
        # the default interval: at least the normal one on either side (runs stored before that rule
        # kept the tail interval alone in "ci"; min / max gives what the code returns now, exactly)
        cover = [min(r["ci"][0], r["normal_ci"][0]) <= ref <= max(r["ci"][1], r["normal_ci"][1]) for r in runs]
        cover_n = [r["normal_ci"][0] <= ref <= r["normal_ci"][1] for r in runs]
        rhw_sd = Z * float(ps.std(ddof=1)) if len(ps) > 1 else math.nan
        rhw_q = float(np.quantile(np.abs(ps - 1), 0.9))
        need = mc_sims_needed(ref, RHW, CONF)
        own = float(np.median([(max(r["ci"][1], r["normal_ci"][1]) - min(r["ci"][0], r["normal_ci"][0])) / (2 * r["p"])
                               for r in runs if r["p"] > 0]))
        out[case] = {"seeds": len(runs), "reference": ref, "budget": budget, "covered": int(sum(cover)),
                     "covered_normal": int(sum(cover_n)), "mean_over_reference": float(ps.mean()),
                     "actual_rhw90_sd": rhw_sd, "actual_rhw90_quantile": rhw_q, "median_own_rhw": own,
                     "mc_sims_for_rhw_0.3": need, "budget_ratio": need / budget}
        print(f"{case}: {len(runs)} seeds, ref {ref:.3e}; 90 % intervals cover {sum(cover)}/{len(runs)} "
              f"(normal interval {sum(cover_n)}/{len(runs)}), median own rhw {own:.2f}; mean/ref {ps.mean():.2f}; "
              f"actual rhw90 {rhw_sd:.2f} (1.645 sd) / {rhw_q:.2f} (90 % quantile of |error|); plain MC needs "
              f"{need:.0f} for 0.3 = {need / budget:.0f}x this budget")
        if CASES[case][0] != "toy":  # warnings are calibrated on the simulated families only
            pooled += [(r, c) for r, c in zip(runs, cover)]
    misses = sum(1 for _, c in pooled if not c)
    print(f"warnings, pooled over {len(pooled)} runs ({misses} intervals miss): hit rate (misses flagged) / "
          f"false-alarm rate (covering runs flagged)")
    rates = {}
    for diag, (direction, thresholds) in DIAGNOSTICS.items():
        row = []
        for thr in thresholds:
            hit = sum(1 for r, c in pooled if not c and _fires(r.get(diag), direction, thr))
            fa = sum(1 for r, c in pooled if c and _fires(r.get(diag), direction, thr))
            row.append({"threshold": thr, "hits": hit, "misses": misses, "false_alarms": fa,
                        "covering": len(pooled) - misses})
        rates[diag] = row
        print(f"  {diag} {direction}: " + ", ".join(
            f"{x['threshold']:g}: {x['hits']}/{misses} vs {x['false_alarms']}/{len(pooled) - misses}" for x in row))
    out["warnings"] = rates
    out["warnings_kept"] = {}
    for diag, row in rates.items():  # the rule: best hit minus false-alarm rate among thresholds that
        ok = [x for x in row if x["hits"] >= 2 and x["hits"] / max(misses, 1)  # flag 2+ misses at twice
              >= 2 * x["false_alarms"] / max(len(pooled) - misses, 1)]  # the false-alarm rate
        best = max(ok, key=lambda x: x["hits"] / max(misses, 1) - x["false_alarms"] / max(len(pooled) - misses, 1),
                   default=None)
        out["warnings_kept"][diag] = best
        print(f"  {diag}: " + (f"keep {DIAGNOSTICS[diag][0]} {best['threshold']:g}" if best else "drop (cannot separate)"))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("case", choices=list(CASES))
    r.add_argument("--seeds", type=int, default=24)
    r.add_argument("--first", type=int, default=0)
    r.add_argument("--part", type=int, default=0, help="write a file of its own (a second process)")
    sub.add_parser("report")
    a = ap.parse_args(argv)
    if a.cmd == "run":
        run(a.case, a.seeds, a.first, a.part)
    else:
        (DATA / "honest_report.json").write_text(json.dumps(report(), indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
