"""The figures of docs/calibration.md: calibrate a family on the US-101 recordings the coverage
thresholds were tuned on, then score plain-MC and CE runs of the calibrated family against the
US-101 recordings held out from both (docs/coverage.md, "Tuned on some recordings, tested on others").

    python benchmarks/calibration_proof.py calibrate scenarios/calibrated/highway_cut_in_us101.source.yaml
    python benchmarks/calibration_proof.py score scenarios/calibrated/highway_cut_in_us101.yaml --budget 3000
    python benchmarks/calibration_proof.py tail DIR/highway_cut_in_us101   # after score --keep DIR
    ... score/tail ... --measured   # the simulated egos get the logs' smoothed position noise (docs/coverage.md)

``calibrate`` writes the calibrated family next to its template (``NAME.source.yaml`` -> ``NAME.yaml``)
and prints the report; ``score`` generates ``--budget`` simulations with each sampler (``--keep all``,
stage size 500) into a temporary folder (or ``--keep DIR``), runs ``coverage --window 3`` against the held-out
recordings and prints the numbers the issue asks for, the typical-traffic block among them; ``tail`` reads the runs
a ``score --keep`` left and prints why the real min-TTC 5 % tail is (not) reached and which typical descriptors a
classifier tells apart. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REAL = REPO / ".." / "shared" / "data" / "real"
# the coverage thresholds were tuned on these US-101 recordings; calibration uses them too
CALIBRATION = [REAL / "ngsim-commonroad-more" / f"USA_US101-{n}_1_T-1.xml" for n in (1, 2, 6, 7, 8, 10, 11, 12, 13, 14)]
# never looked at while tuning or calibrating
HELD_OUT = ([REAL / "ngsim-commonroad-more" / f"USA_US101-{n}_1_T-1.xml"
             for n in (15, 17, 18, 19, 20, 22, 23, 24, 25, 26, 27, 29)]
            + [REAL / "ngsim-commonroad" / "USA_US101-3_3_T-1.xml", REAL / "ngsim-commonroad" / "USA_US101-4_1_T-1.xml"])


def _cli(*args) -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    subprocess.run([sys.executable, "-m", "scenariogen.cli", *map(str, args)], check=True, env=env)


def _linked(folder: Path, logs: list[Path]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for p in logs:
        if not (folder / p.name).is_symlink():
            (folder / p.name).symlink_to(p.resolve())
    return folder


def calibrate(template: Path) -> None:
    out = template.with_name(template.name.replace(".source.yaml", ".yaml"))
    with tempfile.TemporaryDirectory() as tmp:
        real = _linked(Path(tmp) / "calibration", CALIBRATION)
        t = time.process_time()
        _cli("calibrate", template, "--real", real, "--out", out, "-q")
        print(f"CPU time of the calibration (this process and children): "
              f"{time.process_time() - t + sum(os.times()[2:4]):.0f} s")


def _f(x) -> str:
    return "-" if x is None else f"{x:.3f}"


def _same_run(run: Path, family: Path, sampler: str, budget: int, seed: int) -> bool:
    """A complete run of this family's text with these settings is in ``run``."""
    try:
        m = json.loads((run / "manifest.json").read_text())
    except (OSError, ValueError):
        return False
    st = m.get("settings", {})
    return (m.get("complete") and m.get("spec_text") == family.read_text() and st.get("sampler") == sampler
            and st.get("budget") == budget and st.get("seed") == seed)


def score(family: Path, budget: int, seed: int, keep: Path | None, measured: bool = False) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = keep / family.stem if keep is not None else Path(tmp)
        held = _linked(tmp / "held_out", HELD_OUT)
        # --measured: the logs' smoothed position noise, fitted on the calibration recordings only
        extra = ("--measurement-noise", _linked(tmp / "calibration", CALIBRATION)) if measured else ()
        for sampler in ("mc", "ce"):
            run = tmp / sampler
            if _same_run(run, family, sampler, budget, seed):  # kept by an earlier --keep: scored again, not redone
                print(f"reusing the run {run} (same family text, sampler, budget and seed)")
            else:
                _cli("generate", family, "--sampler", sampler, "--out", run, "--budget", budget, "--keep", "all",
                     "--stage-size", 500, "--seed", seed)
            rep_dir = tmp / f"{sampler}_report{'_measured' if measured else ''}"
            _cli("coverage", run, "--real", held, "--out", rep_dir, "--window", 3, "-q", *extra)
            rep = json.loads((rep_dir / "report.json").read_text())
            cal = rep["baseline"]["calibrated"]
            print(f"\n== {family.name} {sampler} ({budget} simulations, seed {seed}) against {rep['counts']['real']} "
                  f"held-out windows of {rep['real']['recordings']} recordings: {rep['summary']}")
            me = rep["measurement"]
            print("  measurement model: " + (f"white, {me['sd']:.4f} m" if me["model"] == "white" else
                  f"smoothed, along {me['along_sd']:.4f} m / {me['along_smooth']:.3f} s, across {me['across_sd']:.4f} m"
                  f" / {me['across_smooth']:.3f} s, fitted on {me['stretches']} stretches of the calibration recordings"))
            for k in ("auc", "density", "coverage", "off_support"):
                b = cal[k]["real"] or {}
                print(f"  {k}: {_f(cal[k]['synthetic'])} (real vs real {_f(b.get('lo'))} to {_f(b.get('hi'))}; "
                      f"against all held-out real {_f(cal[k]['all_real'])})")
            ty = rep["typical"]
            print(f"  typical traffic ({', '.join(ty['descriptors'])}): "
                  f"{'indistinguishable' if ty['indistinguishable'] else 'distinguishable'}")
            for k, v in ty["numbers"].items():
                b = v["band"] or {}
                print(f"    {k}: {_f(v['synthetic'])} (real vs real {_f(b.get('lo'))} to {_f(b.get('hi'))}, "
                      f"{'inside' if v['inside'] else 'outside' if v['tells'] else 'outside, on the real side'}; "
                      f"against all held-out real {_f(v['all_real'])})")
            for t in rep["tails"]:
                if t["descriptor"] == "min_ttc" and abs(t["level"] - 0.05) < 1e-9:
                    rk = rep["baseline"]["numbers"].get("reach_full:min_ttc:0.05") or {}
                    b = rk.get("real") or {}
                    print(f"  min_ttc 5 % tail reach at the held-out halves' size: {_f(rk.get('synthetic'))} "
                          f"(real vs real {_f(b.get('lo'))} to {_f(b.get('hi'))}, median {_f(b.get('median'))})")
                    print(f"  min_ttc 5 % tail: {t['n_real']} real windows, reach {_f(t['reach'])}, synthetic share "
                          f"{_f(t['synthetic_share'])}, enrichment {_f(t['enrichment'])} (weighted "
                          f"{_f(t['weighted_enrichment'])}, bounds {_f(t.get('enrichment_low'))} to "
                          f"{_f(t.get('enrichment_high'))})")
            for d, dd in rep["descriptors"].items():
                if dd["used"]:
                    print(f"  shift {d}: {_f(rep['fidelity']['median_shift'][d])} sd")
            print(f"  training: {rep['training']['advice']}")


def tail(folder: Path, measured: bool = False) -> None:
    """Why the real min-TTC 5 % tail is (not) reached, and what separates typical traffic, from the runs
    and held-out links a ``score --keep`` left in ``folder`` (docs/calibration.md, "Typical traffic and
    the min-TTC tail, scored apart")."""
    import numpy as np
    from scipy.spatial import cKDTree

    from scenariogen.coverage.metrics import ball_hits, classifier_test, fit_standardiser, knn_radii
    from scenariogen.coverage.report import measure_noise, real_descriptors, synthetic_descriptors, synthetic_timing
    from scenariogen.data.layout import DESCRIPTOR_NAMES as N
    from scenariogen.data.layout import TYPICAL_DESCRIPTORS

    dt, frames = synthetic_timing(folder / "mc", window=3)
    rl = real_descriptors(folder / "held_out", window=frames * dt, dt=dt)
    X = rl.D
    j, k = N.index("min_ttc"), N.index("min_thw")
    in_tail = X[:, j] <= np.quantile(X[:, j], 0.05)
    show = ("min_distance", "rel_speed_at_closest", "max_drac", "ego_max_decel", "min_thw", "ego_speed_mean",
            "ego_max_lat_accel")

    def medians(D, rows):
        return ", ".join(f"{n} {np.nanmedian(D[rows, N.index(n)]):.2f}" for n in show)

    # a car ahead in the ego's corridor has TTC = gap / closing speed >= gap / ego speed = headway, so a
    # min TTC below the min headway is a conflict beside or behind the ego
    print(f"real min-TTC 5 % tail: {in_tail.sum()} of {len(X)} windows; conflict outside the corridor ahead in "
          f"{(X[in_tail, j] < X[in_tail, k]).mean():.0%}; medians: {medians(X, in_tail)}")
    st, _ = fit_standardiser(X, N)
    Xs = st(X)
    radii = knn_radii(Xs, 5)
    cols = [N.index(n) for n in TYPICAL_DESCRIPTORS]
    noise = rl.info["position_noise"]
    if measured:  # the logs' smoothed noise, fitted on the calibration recordings (as score --measured)
        noise = measure_noise(_linked(folder / "calibration", CALIBRATION), dt=dt)
        print(f"measurement model: smoothed, {noise}")
    for sampler in ("mc", "ce"):
        syn = synthetic_descriptors(folder / sampler, window=frames * dt, position_noise=noise)
        Y = syn.D
        Ys = st(Y)
        ok = np.isfinite(Ys).all(axis=1)
        counts, _ = ball_hits(Xs, radii, Ys[ok])
        missed = np.flatnonzero(in_tail & (counts == 0))
        _, nn = cKDTree(Ys[ok]).query(Xs[missed], k=1)
        d2 = (Xs[missed] - Ys[ok][nn]) ** 2
        share = (d2 / d2.sum(axis=1, keepdims=True)).mean(axis=0)
        top = ", ".join(f"{st.names[c]} {share[c]:.2f}" for c in np.argsort(-share)[:5])
        y_tail = Y[:, j] <= np.quantile(X[:, j], 0.05)
        print(f"\n== {sampler}: {len(Y)} windows; reach {(counts[in_tail] > 0).mean():.2f}; the {len(missed)} real "
              f"tail windows not reached, share of the squared distance to the nearest synthetic window: {top}")
        print(f"  synthetic tail: {y_tail.sum()} windows; conflict outside the corridor ahead in "
              f"{(Y[y_tail, j] < Y[y_tail, k]).mean():.0%}; medians: {medians(Y, y_tail)}")
        v, c = np.unique(np.round(Y[:, N.index("min_distance")], 2), return_counts=True)
        vr, cr = np.unique(np.round(X[:, N.index("min_distance")], 2), return_counts=True)
        print(f"  min_distance most repeated (0.01 m): synthetic {v[c.argmax()]:g} m in {c.max()} windows, "
              f"real {vr[cr.argmax()]:g} m in {cr.max()}")

        def auc(use):
            sx, _ = fit_standardiser(X[:, use], [N[u] for u in use])
            a, b = sx(X[:, use]), sx(Y[:, use])
            fa, fb = np.isfinite(a).all(axis=1), np.isfinite(b).all(axis=1)
            return classifier_test(a[fa], b[fb], sx.names, 5000, 5, 0, rl.recordings[fa], syn.groups[fb]).auc

        pair = [N.index("ego_speed_std"), N.index("ego_max_decel")]
        print(f"  typical classifier AUC {auc(cols):.3f}; ego_speed_std x ego_max_decel {auc(pair):.3f}; " + ", ".join(
            f"{N[c]} alone {auc([c]):.2f} / left out {auc([u for u in cols if u != c]):.2f}" for c in cols))


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("calibrate")
    c.add_argument("template", type=Path)
    s = sub.add_parser("score")
    s.add_argument("family", type=Path)
    s.add_argument("--budget", type=int, default=3000)
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--keep", type=Path, default=None, help="keep the runs and reports in this folder")
    s.add_argument("--measured", action="store_true",
                   help="give the simulated egos the logs' smoothed position noise, fitted on the calibration "
                        "recordings (coverage --measurement-noise), instead of white noise")
    t = sub.add_parser("tail", help="the min-TTC tail's reach and the typical classifier, from a score --keep")
    t.add_argument("folder", type=Path, help="DIR/NAME of 'score --keep DIR' (holds held_out, mc and ce)")
    t.add_argument("--measured", action="store_true", help="as score --measured")
    args = ap.parse_args()
    print(subprocess.run(["lscpu"], capture_output=True, text=True).stdout.split("Model name:")[1].split("\n")[0].strip(),
          f"load average {os.getloadavg()}")
    if args.cmd == "calibrate":
        calibrate(args.template)
    elif args.cmd == "score":
        score(args.family, args.budget, args.seed, args.keep, args.measured)
    else:
        tail(args.folder, args.measured)


if __name__ == "__main__":
    main()
