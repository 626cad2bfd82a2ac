"""How often each calibrated verdict fires on real data: the measurements quoted in docs/coverage.md.

    python benchmarks/coverage_calibration.py tune     # the 12 recordings the thresholds were tuned on
    python benchmarks/coverage_calibration.py heldout  # the 17 others (what tests/tail_coverage/test_assess.py uses)
    python benchmarks/coverage_calibration.py heldout --outer 20 --splits 20
    python benchmarks/coverage_calibration.py eight    # real vs real on eight held-out recordings,
                                                       # split by vehicle and by recording
    python benchmarks/coverage_calibration.py descriptors  # the numbers of "Comparable descriptors"
    python benchmarks/coverage_calibration.py noise RUN_DIR REAL  # separation of the derivative
                                                       # descriptors without and with the logs' noise

Not a speed benchmark and not collected by pytest. For each of ``--outer`` splits of the chosen NGSIM
recordings (a third of each road's recordings held out; a road with one recording stays on the real
side), the held-out recordings are scored against the rest as if synthetic (``null``), and so are
sets built from them with one failure injected: ``collapse`` (five windows repeated with 5 % sd of
noise), ``drift:NAME`` (one descriptor 3 real sd higher), ``bulk`` (only windows away from every
risky tail) and ``tail3`` (resampled so that the real min-TTC 5 % tail region holds three times
the real share). ``tail3-all`` scores the real windows themselves with every min-TTC tail window
twice more (a 3x heavier tail, as in test_assess.py) against all chosen recordings, once per outer
seed. Prints, per kind, how many splits gave each verdict line.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "tail_coverage"))

from coverage_helpers import NGSIM, NGSIM_MORE, TUNING  # noqa: E402

from scenariogen.coverage import DESCRIPTOR_NAMES, real_descriptors, recording_of  # noqa: E402
from scenariogen.coverage.assess import assess  # noqa: E402
from scenariogen.coverage.metrics import (  # noqa: E402
    JOINT_TAIL_DESCRIPTORS,
    CoverageSettings,
    _joint_scores,
    fit_standardiser,
)
from scenariogen.coverage.verdict import summary  # noqa: E402

COL = {n: k for k, n in enumerate(DESCRIPTOR_NAMES)}
KINDS = ("null", "collapse", "drift:ego_speed_mean", "drift:min_thw", "drift:n_agents_30m", "bulk", "tail3")


def load(which: str):
    paths = sorted(NGSIM_MORE.glob("*.xml")) + sorted(NGSIM.glob("*.xml"))
    keep = [p for p in paths if (recording_of(p) in TUNING) == (which == "tune")]
    sets = [real_descriptors(p, window=3.0, dt=0.1) for p in keep]
    return np.concatenate([s.D for s in sets]), np.concatenate([s.recordings for s in sets]).astype(str)


def held_out(rec: np.ndarray, share: float, rng) -> np.ndarray:
    sites = defaultdict(list)
    for r in np.unique(rec):
        sites[r.split("_")[1].split("-")[0]].append(r)
    held = []
    for _s, rs in sorted(sites.items()):
        if len(rs) >= 2:
            held += rng.permutation(rs)[: max(1, round(share * len(rs)))].tolist()
    return np.isin(rec, held)


def inject(kind: str, X, Y, gy, rng):
    st, _ = fit_standardiser(X)
    cols = list(st.columns)
    if kind == "null":
        return Y, gy
    if kind == "collapse":
        pick = rng.choice(len(Y), 5, replace=False)[rng.integers(0, 5, len(Y))]
        Z = Y[pick].copy()
        Z[:, cols] += 0.05 * st.scale * rng.normal(size=(len(Y), len(cols)))
        return Z, gy[pick]
    if kind.startswith("drift:"):
        name = kind.split(":")[1]
        Z = Y.copy()
        Z[:, COL[name]] += 3.0 * st.scale[st.names.index(name)]
        return Z, gy
    if kind == "bulk":
        risky = [n for n in JOINT_TAIL_DESCRIPTORS if n in st.names]
        sides = ["high" if n in ("ego_max_decel", "max_drac") else "low" for n in risky]
        sx, sy = _joint_scores(X[:, [COL[n] for n in risky]], Y[:, [COL[n] for n in risky]], sides)
        keep = sy > np.quantile(sx, 0.3)
        return Y[keep], gy[keep]
    if kind == "tail3":
        t = np.quantile(X[:, COL["min_ttc"]], 0.05)
        share = (X[:, COL["min_ttc"]] <= t).mean()
        tail, bulk = np.flatnonzero(Y[:, COL["min_ttc"]] <= t), np.flatnonzero(Y[:, COL["min_ttc"]] > t)
        k = int(round(3 * share * len(Y)))
        if not len(tail):
            return Y, gy
        ti = np.concatenate([tail, rng.choice(tail, max(0, k - len(tail)))]) if k > len(tail) else rng.choice(tail, k, replace=False)
        idx = np.concatenate([rng.choice(bulk, len(Y) - k, replace=False), ti])
        Z = Y[idx].copy()
        dup = np.zeros(len(idx), bool)
        dup[len(Y) - k + len(tail):] = True
        Z[np.ix_(dup, cols)] += 0.02 * st.scale * rng.normal(size=(int(dup.sum()), len(cols)))
        return Z, gy[idx]
    raise ValueError(kind)


def tail3_all(X, seed: int):
    st, _ = fit_standardiser(X)
    cols = list(st.columns)
    rng = np.random.default_rng(seed)
    tail = np.flatnonzero(X[:, COL["min_ttc"]] <= np.quantile(X[:, COL["min_ttc"]], 0.05))
    copies = np.repeat(tail, 2)
    C = X[copies][:, cols]
    lo, hi = np.nanmin(X[:, cols], 0), np.nanmax(X[:, cols], 0)
    Z = X[copies].copy()
    Z[:, cols] = np.where((C == lo) | (C == hi), C, np.clip(C + 0.02 * st.scale * rng.normal(size=C.shape), lo, hi))
    return np.concatenate([X, Z]), np.concatenate([np.arange(len(X)), copies])


# eight held-out recordings of the three roads (about 300 disjoint 3 s windows), for the measurements
# of the issue that asked for calibrated verdicts: real against real split by vehicle and by recording
EIGHT = ("USA_Peach-3", "USA_Peach-4", "USA_Lanker-1", "USA_US101-15", "USA_US101-17", "USA_US101-19",
         "USA_US101-25", "USA_US101-27")


def eight() -> None:
    import itertools

    paths = sorted(NGSIM_MORE.glob("*.xml")) + sorted(NGSIM.glob("*.xml"))
    sets = [real_descriptors(p, window=3.0, dt=0.1) for p in paths if recording_of(p) in EIGHT]
    D = np.concatenate([s.D for s in sets])
    rec = np.concatenate([s.recordings for s in sets]).astype(str)
    src = np.concatenate([s.groups for s in sets]).astype(str)
    print(f"eight recordings: {len(D)} windows, {len(np.unique(src))} ego tracks", flush=True)
    settings = CoverageSettings()
    for label, splits in (("by vehicle, 20 random halvings", None), ("by recording, all 35 halvings both ways", True)):
        verdicts, nums = Counter(), defaultdict(list)
        if splits is None:
            rng = np.random.default_rng(0)
            u = np.unique(src)
            cases = [np.isin(src, rng.permutation(u)[: len(u) // 2]) for _ in range(20)]
            units = src
        else:
            cases = [np.isin(rec, c) for c in itertools.combinations(EIGHT, 4)]  # 35 halvings, both ways
            units = rec
        for k, h in enumerate(cases):
            a = assess(D[~h], D[h], real_units=rec[~h], real_sources=src[~h], synthetic_units=units[h],
                       settings=dataclasses.replace(settings, seed=k))
            verdicts[summary(a.verdicts)] += 1
            r = a.result
            nums["density"].append(r.fidelity.density)
            nums["coverage"].append(r.fidelity.coverage)
            nums["auc"].append(r.classifier.auc)
            nums["judged tails"].append(r.tail_test.judged if r.tail_test else 0)
        print(f"{label} ({len(cases)}): " + "; ".join(f"{v}: {n}" for v, n in verdicts.most_common()))
        print("   medians: " + ", ".join(f"{k} {np.median(v):.2f}" for k, v in nums.items()), flush=True)


def descriptors() -> None:
    """Lateral acceleration from headings and from smoothed positions over the disjoint 3 s windows
    of all 32 NGSIM scenes, the annotation errors left out, the kept windows whose boxes overlap
    inside the window, and a straight constant-speed track with US-101's measured noise."""
    from scipy.signal import savgol_filter

    from scenariogen.coverage import descriptors as descriptors_fn
    from scenariogen.coverage.artefacts import annotation_errors, boxes_overlap
    from scenariogen.data import layout as Lo
    from scenariogen.logs import make_windows, read_log

    j = COL["ego_max_lat_accel"]
    paths = sorted(NGSIM_MORE.glob("*.xml")) + sorted(NGSIM.glob("*.xml"))
    for smooth in ("smoothed positions", None):
        kw = {} if smooth else {"smooth": None}
        sets = [real_descriptors(p, window=3.0, dt=0.1, **kw) for p in paths]
        x = np.concatenate([s.D[:, j] for s in sets])
        x = x[np.isfinite(x)]
        errors = Counter()
        for s in sets:
            errors.update(s.info["annotation_errors"])
        print(f"{len(paths)} scenes, {sum(len(s.D) for s in sets)} windows kept, {sum(errors.values())} left out "
              f"{dict(errors)}; ego_max_lat_accel from {smooth or 'the logged headings'}: median {np.median(x):.2f}, "
              f"95th percentile {np.quantile(x, 0.95):.2f} m/s^2")
    for s, p in zip(sets, paths):
        for log, why in s.info["excluded"].items():
            print(f"   left out in {Path(log).name}: {why}")
    # real-vs-real separation per descriptor (as assess computes it) over 20 half splits of the 29
    # recordings, next to a made-up descriptor that is nothing but the recording's identity
    from scenariogen.coverage.assess import real_separation
    from scenariogen.coverage.baseline import group_splits

    sets = [real_descriptors(p, window=3.0, dt=0.1) for p in paths]
    D = np.concatenate([s.D for s in sets])
    rec = np.concatenate([s.recordings for s in sets]).astype(str)
    ident = np.searchsorted(np.unique(rec), rec) * 100.0 + np.random.default_rng(0).normal(size=len(rec))
    names = list(DESCRIPTOR_NAMES) + ["recording identifier"]
    per = [real_separation(np.column_stack([D, ident]), rec, names, [held]) for held in group_splits(rec, 20, 0)]
    print(f"real-vs-real separation |2 AUC - 1| over 20 half splits of {len(np.unique(rec))} recordings "
          "(median, smallest to largest split):")
    for n in names:
        v = np.array([x[n] for x in per])
        print(f"   {n:24s} {np.median(v):.2f} ({v.min():.2f} to {v.max():.2f})")
    inside = []
    for p in paths:  # kept windows whose ego box overlaps another box at a later frame of the window
        w = make_windows(read_log(p, dt=0.1), 3.0, stride=3.0)
        keep = annotation_errors(w.trajectories, w.mask, w.kinds, w.sizes, w.dt) == ""
        tr, m, sz = w.trajectories[keep].astype(float), w.mask[keep], w.sizes[keep].astype(float)
        x, y, h = tr[..., Lo.F_X], tr[..., Lo.F_Y], tr[..., Lo.F_HEADING]
        ov = boxes_overlap(x[:, :1], y[:, :1], h[:, :1], sz[:, :1, :1], sz[:, :1, 1:], x, y, h, sz[:, :, :1], sz[:, :, 1:])
        ov &= m & m[:, :1] & np.isfinite(h) & np.isfinite(h[:, :1])
        ov[:, 0] = False
        frames = ov.any(axis=1).sum(axis=1)
        inside += [(p.name, int(f)) for f in frames[frames > 0]]
    print(f"kept windows with boxes overlapping inside the window: {len(inside)} "
          + ", ".join(f"{n} ({f} frames)" for n, f in inside))
    # a straight constant-speed track with the noise of NGSIM US-101 4 (as in test_derivatives.py)
    w = make_windows(read_log(NGSIM / "USA_US101-4_1_T-1.xml"), 3.0, stride=3.0)
    ego = w.trajectories[:, 0].astype(float)

    def noise(z):
        return float((z - savgol_filter(z, 11, 2, axis=-1)).std())

    sd_xy = np.hypot(noise(ego[..., 0]), noise(ego[..., 1])) / np.sqrt(2)
    sd_h, sd_v = noise(np.unwrap(ego[..., 2], axis=-1)), noise(ego[..., 3])
    rng = np.random.default_rng(0)
    B, T, v, h0 = 200, 30, 15.0, 0.3
    t = np.arange(T) * 0.1
    traj = np.full((B, 1, T, 8), np.nan)
    traj[:, 0, :, 0] = v * t * np.cos(h0) + rng.normal(0, sd_xy, (B, T))
    traj[:, 0, :, 1] = v * t * np.sin(h0) + rng.normal(0, sd_xy, (B, T))
    traj[:, 0, :, 2] = h0 + rng.normal(0, sd_h, (B, T))
    traj[:, 0, :, 3] = v + rng.normal(0, sd_v, (B, T))
    args = (traj, np.ones((B, 1, T), bool), np.zeros((B, 1), np.int8), np.tile([4.5, 1.8], (B, 1, 1)), 0.1)
    smooth = descriptors_fn(*args)[0][:, j]
    raw = descriptors_fn(*args, smooth=None)[0][:, j]
    print(f"straight track with US-101 noise (position {100 * sd_xy:.1f} cm, heading {sd_h:.3f} rad): lateral "
          f"acceleration from positions median {np.median(smooth):.2f}, max {smooth.max():.2f}; from headings median "
          f"{np.median(raw):.1f} m/s^2")


def noise(run: str, real: str) -> None:
    """|2 AUC - 1| of each derivative descriptor alone between a run's 3 s ego windows and the real
    logs' windows, with the simulated egos exact and with the logs' measured position noise added."""
    from scenariogen.coverage.metrics import univariate_auc
    from scenariogen.coverage.report import synthetic_descriptors

    rl = real_descriptors(real, window=3.0, dt=0.1)
    sigma = rl.info["position_noise"]
    print(f"real: {len(rl.D)} windows of {rl.info['recordings']} recordings, position noise {100 * sigma:.2f} cm")
    for label, pn in (("exact simulated egos", 0.0), ("with the logs' noise", sigma)):
        sy = synthetic_descriptors(run, window=3.0, position_noise=pn, seed=0)
        seps = []
        for n in ("ego_max_lat_accel", "ego_max_decel"):
            a, b = rl.D[:, COL[n]], sy.D[:, COL[n]]
            a, b = a[np.isfinite(a)], b[np.isfinite(b)]
            seps.append(f"{n} {abs(2 * univariate_auc(a, b) - 1):.2f}")
        print(f"{label}: separation " + ", ".join(seps))


def main() -> None:
    if sys.argv[1:2] == ["eight"]:
        eight()
        return
    if sys.argv[1:2] == ["descriptors"]:
        descriptors()
        return
    if sys.argv[1:2] == ["noise"]:
        if len(sys.argv) != 4:
            sys.exit("usage: python benchmarks/coverage_calibration.py noise RUN_DIR REAL")
        noise(*sys.argv[2:4])
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("which", choices=("tune", "heldout"))
    ap.add_argument("--outer", type=int, default=12)
    ap.add_argument("--splits", type=int, default=20)
    ap.add_argument("--share", type=float, default=1 / 3)
    args = ap.parse_args()
    D, rec = load(args.which)
    print(f"{args.which}: {len(D)} windows of {len(np.unique(rec))} recordings; {args.outer} outer splits, "
          f"baselines of {args.splits} splits", flush=True)
    settings = CoverageSettings(splits=args.splits)
    counts = {k: Counter() for k in KINDS + ("tail3-all",)}
    inside = 0
    t0 = time.perf_counter()
    rng0 = np.random.default_rng(7)
    base_all = None
    for o in range(args.outer):
        h = held_out(rec, args.share, rng0)
        X, gx, Y, gy = D[~h], rec[~h], D[h], rec[h]
        base = None
        st = dataclasses.replace(settings, seed=o)
        for kind in KINDS:
            Z, gz = inject(kind, X, Y, gy, np.random.default_rng(o))
            a = assess(X, Z, real_units=gx, synthetic_units=gz, settings=st, baseline=base)
            base = a.baseline
            counts[kind][summary(a.verdicts)] += 1
            if kind == "null":
                cal = a.calibration
                inside += all(cal.band(k).lo <= cal.value(k) <= cal.band(k).hi for k in ("density", "coverage"))
        Z, rows = tail3_all(D, o)
        a = assess(D, Z, real_units=rec, synthetic_units=rec[rows], settings=st, baseline=base_all)
        base_all = a.baseline
        counts["tail3-all"][summary(a.verdicts)] += 1
        print(f"  split {o + 1}/{args.outer} done ({time.perf_counter() - t0:.0f} s)", flush=True)
    for kind, c in counts.items():
        print(f"{kind:22s} " + "; ".join(f"{v}: {n}" for v, n in c.most_common()))
    print(f"null: density and coverage inside the real-vs-real range in {inside} of {args.outer}")


if __name__ == "__main__":
    main()
