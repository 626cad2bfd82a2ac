"""Model collapse, measured (docs/calibration.md, "Replace or accumulate"): generations of a family,
each calibrated on the last generation's data, scored by ``coverage`` against held-out real scenes.

    python benchmarks/collapse.py [FAMILY.yaml] [--fit NAME...] [--generations 3] [--scenarios 60]
                                  [--evaluations 300] [--per-generation 60] [--seed 7]

Generation 0 is the real data: the ego windows of the ten US-101 calibration recordings
(``calibration_proof.CALIBRATION``). Generation k is the family calibrated
(:func:`scenariogen.calibrate.generations.iterate`) on generation k-1's windows alone (``replace``)
or on the real windows and every generation's so far (``accumulate``), then simulated
(``--per-generation`` scenarios). Every generation's windows, and the calibration recordings' own
windows for reference, are scored with the coverage assessment against the fourteen held-out
recordings (``calibration_proof.HELD_OUT``): the min-TTC 5 % tail's reach and mass, the verdicts,
and the spread of key descriptors. The default family is the calibrated cut-in; each generation
refits its ego speed and its traffic's spacing and count (``--fit``; IDM parameters fitted per
trajectory cannot be: a generation's data are windows, not trajectories). Not collected by pytest.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from calibration_proof import CALIBRATION, HELD_OUT, _linked  # noqa: E402

from scenariogen.calibrate.dists import to_yaml  # noqa: E402
from scenariogen.calibrate.fit import _frames, _Real, energy  # noqa: E402
from scenariogen.calibrate.generations import MODES, iterate, simulate_windows  # noqa: E402
from scenariogen.coverage import DESCRIPTOR_NAMES, real_descriptors  # noqa: E402
from scenariogen.coverage.assess import assess  # noqa: E402
from scenariogen.coverage.report import report_dict  # noqa: E402
from scenariogen.coverage.verdict import Thresholds  # noqa: E402
from scenariogen.dsl.parse import load_scenario  # noqa: E402

FAMILY = REPO / "scenarios" / "calibrated" / "highway_cut_in_us101.yaml"
FIT = ("actors.ego.speed", "traffic[0].spacing", "traffic[0].count")


def _q(D, name, q):
    x = D[:, DESCRIPTOR_NAMES.index(name)]
    x = x[np.isfinite(x)]
    return float(np.quantile(x, q)) if len(x) else float("nan")


def score(data, held) -> dict:
    """The coverage numbers of one set of windows against the held-out real windows, and the energy
    distance calibration minimises (typical-traffic descriptors standardised by the held-out ones)."""
    rl = _Real(held.D, held.recordings)
    a = assess(held.D, data.D, real_units=held.recordings, real_sources=held.groups, synthetic_units=data.recordings)
    rep = report_dict(a, Thresholds(), data, held)
    tail = next(t for t in rep["tails"] if t["descriptor"] == "min_ttc" and abs(t["level"] - 0.05) < 1e-9)
    D = data.D
    return {"windows": len(D), "summary": rep["summary"], "auc": (rep["classifier"] or {}).get("auc"),
            "energy": energy(rl.z(data.D), rl.Z),
            "reach": tail["reach"], "mass": tail["enrichment"], "n_tail": tail["n_real"],
            "speed": (_q(D, "ego_speed_mean", 0.05), _q(D, "ego_speed_mean", 0.95)),
            "agents": (_q(D, "n_agents_30m", 0.05), _q(D, "n_agents_30m", 0.95)),
            "ttc05": _q(D, "min_ttc", 0.05), "gap05": _q(D, "min_distance", 0.05)}


def _row(name, s, laws="") -> str:
    f = lambda x: "-" if x is None or not np.isfinite(x) else f"{x:.2f}"  # noqa: E731
    return (f"| {name} | {s['windows']} | {f(s['energy'])} | {f(s['reach'])} | {f(s['mass'])} | {f(s['ttc05'])} | "
            f"{f(s['speed'][0])} to {f(s['speed'][1])} | {f(s['agents'][0])} to {f(s['agents'][1])} | "
            f"{f(s['gap05'])} | {f(s['auc'])} | {s['summary']} | {laws} |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("family", type=Path, nargs="?", default=FAMILY)
    ap.add_argument("--fit", nargs="+", default=FIT, help="the distributions each generation fits")
    ap.add_argument("--generations", type=int, default=3)
    ap.add_argument("--scenarios", type=int, default=60, help="scenarios per evaluation of each fit")
    ap.add_argument("--evaluations", type=int, default=300, help="most evaluations of each fit")
    ap.add_argument("--per-generation", type=int, default=60, help="scenarios simulated per generation")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    cpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout.split("Model name:")[1].split("\n")[0]
    print(f"{cpu.strip()}, load average {os.getloadavg()}")
    spec = load_scenario(args.family)
    c = spec.calibrate
    if c is None:
        sys.exit(f"{args.family}: the family has no 'calibrate:' block (docs/calibration.md)")
    fit = tuple(args.fit)
    spec = dataclasses.replace(spec, calibrate=dataclasses.replace(c, fit=fit, scenarios=args.scenarios,
                                                                   evaluations=args.evaluations, bootstrap=0))
    window, frames = _frames(spec)
    t0 = time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        real = real_descriptors(_linked(Path(tmp) / "calibration", CALIBRATION), window=window, dt=spec.dt)
        held = real_descriptors(_linked(Path(tmp) / "held_out", HELD_OUT), window=window, dt=spec.dt)
    print(f"generation 0: {len(real.D)} windows of {window:g} s from {real.info['recordings']} calibration "
          f"recordings; scored against {len(held.D)} windows of {held.info['recordings']} held-out recordings; "
          f"fitted: {', '.join(fit)}; {args.scenarios} scenarios x at most {args.evaluations} evaluations per fit, "
          f"{args.per_generation} scenarios per generation, seed {args.seed}\n")
    head = ("| generation | windows | energy distance | min-TTC 5 % tail reach | tail mass (x real) | min TTC q05 (s) | ego speed q05 to "
            "q95 (m/s) | agents within 30 m q05 to q95 | min distance q05 (m) | AUC | verdicts | fitted |\n"
            + "| --- " * 12 + "|")
    ref = score(real, held)
    given = score(simulate_windows(spec, args.per_generation, args.seed, real.info["position_noise"], "given"), held)
    runs = iterate(spec, real, args.generations, scenarios=args.per_generation, seed=args.seed, progress=True)
    for mode in MODES:
        print(f"\n{mode}:\n\n{head}\n{_row('0 (real, calibration recordings)', ref)}\n{_row('the family as given', given)}")
        for g in runs[mode]:
            laws = "; ".join(f"{n} {to_yaml(d)}" for n, d in g.laws)
            print(_row(f"{g.index} ({g.real_share:.0%} real)", score(g.data, held), laws), flush=True)
    print(f"\nCPU time: {time.process_time() - t0:.0f} s; load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
