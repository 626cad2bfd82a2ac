"""The logged vehicles' longitudinal signals against the simulated ones (docs/calibration.md,
"Short braking bursts: the logs' position noise").

    python benchmarks/longitudinal_signals.py                     # the ten calibration recordings only
    python benchmarks/longitudinal_signals.py --run DIR [--run DIR]  # and runs of 'generate --keep all'

For every vehicle's contiguous stretch of at least 3 s (moving, mean speed >= 1 m/s): the longitudinal
acceleration from positions (the coverage filter: quadratic Savitzky-Golay over 1 s) and the log's own
(the derivative of its speed), their sd and autocorrelation, the jerk of the position-based one (share
of |jerk| above 10 and 20 m/s^3), its sign changes per second, how far the speed of the positions is
from the log's speed, and the power spectrum of the raw second difference of the along-track position
(white position noise of sd s gives 6 s^2 / dt^4 in total; driving itself sits below 1 Hz). Then the
3 s windows' ego_speed_std and ego_max_decel, as coverage computes them, and their correlation.
Simulated vehicles are shown with exact positions, with the logs' measured white position noise (what
coverage gives the simulated egos by default) and with the logs' smoothed noise fitted on the calibration
recordings (coverage --measurement-noise; scenariogen/coverage/measurement.py). Not collected by pytest.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from calibration_proof import CALIBRATION, _linked  # noqa: E402

from scenariogen.coverage.derivatives import _derivatives, _runs, _window_frames, noisy_positions  # noqa: E402
from scenariogen.data import layout as Lo  # noqa: E402

DT = 0.1
MIN_FRAMES = 30


def stretches(traj, mask):
    """(x, y, speed, accel, heading) of every vehicle's moving stretch of at least MIN_FRAMES frames."""
    out = []
    B, N = mask.shape[:2]
    for b in range(B):
        for i in range(N):
            ok = mask[b, i] & np.isfinite(traj[b, i, :, Lo.F_X]) & np.isfinite(traj[b, i, :, Lo.F_SPEED])
            for a, e in _runs(ok):
                if e - a >= MIN_FRAMES and np.mean(traj[b, i, a:e, Lo.F_SPEED]) >= 1.0:
                    out.append(np.stack([np.asarray(traj[b, i, a:e, k], np.float64) for k in (Lo.F_X, Lo.F_Y, Lo.F_SPEED, Lo.F_ACCEL, Lo.F_HEADING)], axis=1))
    return out


def signals(runs, noise: float, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    w = _window_frames(1.0, DT)
    a_all, j_all, dv_all, own, flips, secs = [], [], [], [], 0, 0.0
    ac = {lag: [0.0, 0.0] for lag in (1, 2, 5, 10, 20)}
    psd_sum, psd_n = None, 0
    from scipy.signal import welch

    for r in runs:
        x, y, v = r[:, 0], r[:, 1], r[:, 2]
        own.append(r[:, 3])
        xx, yy = noisy_positions(x[None], y[None], r[None, :, 4], noise, rng)
        x, y = xx[0], yy[0]
        (vx, ax), (vy, ay) = _derivatives(x, DT, w), _derivatives(y, DT, w)
        sp = np.maximum(np.hypot(vx, vy), 1.0)
        a = (vx * ax + vy * ay) / sp
        h = w // 2
        a_in = a[h:len(a) - h]  # the centre fits only
        if len(a_in) < 10:
            continue
        a_all.append(a_in)
        j_all.append(np.diff(a_in) / DT)
        dv_all.append((np.hypot(vx, vy) - v)[h:len(a) - h])
        flips += int(np.sum(np.diff(np.sign(a_in)) != 0))
        secs += len(a_in) * DT
        d = a_in - a_in.mean()
        for lag in ac:
            if len(d) > lag:
                ac[lag][0] += float(np.dot(d[:-lag], d[lag:]) / (len(d) - lag))
                ac[lag][1] += float(np.dot(d, d) / len(d))
        # raw second difference of the along-track position
        ux, uy = vx / sp, vy / sp
        dd = ((x[2:] - 2 * x[1:-1] + x[:-2]) * ux[1:-1] + (y[2:] - 2 * y[1:-1] + y[:-2]) * uy[1:-1]) / DT ** 2
        if len(dd) >= 32:
            f, p = welch(dd, fs=1 / DT, nperseg=32)
            psd_sum = p * len(dd) if psd_sum is None else psd_sum + p * len(dd)
            psd_n += len(dd)
    a, j, dv = np.concatenate(a_all), np.concatenate(j_all), np.concatenate(dv_all)
    psd = psd_sum / psd_n
    o = np.concatenate(own)
    o_flips = sum(int(np.sum(np.diff(np.sign(q)) != 0)) for q in own) / (len(o) * DT)
    band = lambda lo, hi: float(np.sum(psd[(f >= lo) & (f < hi)]) * (f[1] - f[0]))  # noqa: E731
    return {"stretches": len(a_all), "frames": len(a), "accel_sd": float(a.std()),
            "accel_p95_abs": float(np.quantile(np.abs(a), 0.95)),
            "acf": {f"{lag * DT:.1f}s": s[0] / s[1] for lag, s in ac.items()},
            "jerk_gt10": float(np.mean(np.abs(j) > 10)), "jerk_gt20": float(np.mean(np.abs(j) > 20)),
            "jerk_sd": float(j.std()), "sign_changes_per_s": flips / secs,
            "speed_pos_minus_log_sd": float(dv.std()),
            "own_accel_sd": float(o.std()), "own_accel_sign_changes_per_s": o_flips,
            "ddpos_power_0_1Hz": band(0, 1.01), "ddpos_power_1_3Hz": band(1.01, 3.01),
            "ddpos_power_3_5Hz": band(3.01, 5.01), "psd_f": f.tolist(), "psd": psd.tolist()}


def windows_corr(D) -> dict:
    from scipy.stats import spearmanr

    from scenariogen.data.layout import DESCRIPTOR_NAMES as N

    s, d = D[:, N.index("ego_speed_std")], D[:, N.index("ego_max_decel")]
    ok = np.isfinite(s) & np.isfinite(d)
    s, d = s[ok], d[ok]
    return {"windows": int(ok.sum()), "pearson": float(np.corrcoef(s, d)[0, 1]),
            "spearman": float(spearmanr(s, d)[0]),
            "speed_std_q": np.quantile(s, [0.25, 0.5, 0.75]).round(3).tolist(),
            "max_decel_q": np.quantile(d, [0.25, 0.5, 0.75]).round(3).tolist(),
            "decel_gt1_speed_std_lt_0.3": float(np.mean((d > 1.0) & (s < 0.3)))}


def show(name, r):
    print(f"\n== {name}: {r['stretches']} stretches, {r['frames']} frames")
    for k, v in r.items():
        if k not in ("psd", "psd_f", "stretches", "frames"):
            print(f"  {k}: {v if not isinstance(v, float) else round(v, 4)}"
                  if not isinstance(v, dict) else f"  {k}: " + ", ".join(f"{a} {b:.3f}" for a, b in v.items()))
    print("  psd of the second difference ((m/s^2)^2/Hz): "
          + ", ".join(f"{f:.2f} Hz {p:.2f}" for f, p in zip(r["psd_f"], r["psd"])))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", type=Path, action="append", default=[])
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    from scenariogen.coverage.report import _shards, measure_noise, real_descriptors, synthetic_descriptors
    from scenariogen.logs import read_log

    runs = []
    for p in CALIBRATION:
        sc = read_log(p, reader="commonroad", dt=DT)
        runs += stretches(sc.trajectories, sc.mask)
    with tempfile.TemporaryDirectory() as tmp:
        rl = real_descriptors(_linked(Path(tmp) / "cal", CALIBRATION), window=3.0, dt=DT)
        model = measure_noise(Path(tmp) / "cal", dt=DT)
    noise = rl.info["position_noise"]
    print(f"calibration recordings: position noise (white, per axis) {noise:.4f} m; smoothed: {model}")
    show("real, every logged vehicle", signals(runs, 0.0))
    print("  3 s windows (ego = every eligible vehicle):", windows_corr(rl.D))
    for run in args.run:
        sruns = []
        for _path, read in _shards(run)[0]:
            b, _ = read()
            sruns += stretches(b.trajectories, b.mask)
        show(f"{run.name}, every simulated vehicle, exact positions", signals(sruns, 0.0))
        show(f"{run.name}, every simulated vehicle, + {noise:.3f} m white position noise",
             signals(sruns, noise, args.seed))
        sd = synthetic_descriptors(run, window=3.0, position_noise=noise)
        print("  3 s windows (as coverage scores them):", windows_corr(sd.D))
        show(f"{run.name}, every simulated vehicle, + the smoothed noise", signals(sruns, model, args.seed))
        sd = synthetic_descriptors(run, window=3.0, position_noise=model)
        print("  3 s windows (coverage --measurement-noise):", windows_corr(sd.D))


if __name__ == "__main__":
    main()
