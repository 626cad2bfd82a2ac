"""Where real drivers hold themselves in their lane: the per-vehicle lateral offset from the lane's
centre on the US-101 calibration recordings (never the held-out ones), for the traffic blocks'
``offset_sd`` (docs/dsl.md section 8; docs/calibration.md, "Lateral offsets within the lane").

    python benchmarks/lateral_offsets.py

Each logged vehicle's frames are projected onto the recording's lanelets the way seeded families
place logged agents (``dsl.sections.seed.project``); its offset is the median over the frames on the
lane it spends most time on (a median, so the frames of a lane change do not pull it), for vehicles
seen at least 2 s on that lane. Prints, per recording and pooled, the number of vehicles, the mean
and sd of their offsets across vehicles (and a robust sd, 1.4826 x MAD), and the median sd of one
vehicle's offset over time (how much a driver wanders around its own offset).

Then the wander as an Ornstein-Uhlenbeck process (``behavior.driver.wander``, docs/dsl.md 7.5;
docs/calibration.md, "Drivers wander within their lane"): its sd and time constant fitted to the
vehicles' longest stretches on their lane, pooled, per recording and per vehicle; the held offsets'
sd without the wander's share; and the ego max lateral acceleration of the recordings' 3 s windows
against a simulated car that only wanders (the target's sd as fitted, and the one whose realised
wander has the fitted sd). Not collected by pytest.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from calibration_proof import CALIBRATION  # noqa: E402

MIN_FRAMES = 20  # 2 s at the logs' 0.1 s


def vehicle_offsets(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]:
    """Per vehicle of one recording: its median offset (m, left positive) on its main lane, the sd
    of its offset over time there, that lane, and its offsets (m) over its longest stretch of
    consecutive frames on that lane (at least ``MIN_FRAMES``)."""
    from scenariogen.api import read_log
    from scenariogen.dsl.sections.seed import project
    from scenariogen.logs.base import VEHICLE_KINDS
    from scenariogen.road.maps import map_road

    log = read_log(path, "commonroad", dt=0.1)
    net, _ = map_road(path, "commonroad")
    lane_ids = tuple(net.lanes)
    half = 0.5 * np.array([net.lane(lid).width for lid in lane_ids])
    med, wander, lanes, series = [], [], [], []
    for b in range(log.size):
        for i in range(log.n_agents):
            if log.kinds[b, i] not in VEHICLE_KINDS:
                continue
            tr = log.trajectories[b, i][log.mask[b, i]].astype(np.float64)
            tr = tr[np.isfinite(tr[:, :3]).all(axis=1)]
            if len(tr) < MIN_FRAMES:
                continue
            lane, _, d = project(net, lane_ids, tr[:, 0], tr[:, 1], tr[:, 2])
            on = (lane >= 0) & (np.abs(d) <= half[np.maximum(lane, 0)])
            if on.sum() < MIN_FRAMES:
                continue
            main = np.bincount(lane[on]).argmax()
            dm = d[on & (lane == main)]
            if len(dm) < MIN_FRAMES:
                continue
            med.append(np.median(dm))
            wander.append(dm.std())
            lanes.append(main)
            run = _longest_run(on & (lane == main))
            if run.stop - run.start >= MIN_FRAMES:
                series.append(d[run])
    return np.array(med), np.array(wander), np.array(lanes), series


def _longest_run(keep: np.ndarray) -> slice:
    """The longest stretch of consecutive True frames."""
    edges = np.flatnonzero(np.diff(np.r_[0, keep.astype(np.int8), 0]))
    starts, stops = edges[::2], edges[1::2]
    k = int(np.argmax(stops - starts))
    return slice(int(starts[k]), int(stops[k]))


def _row(name: str, d: np.ndarray, w: np.ndarray) -> str:
    mad = 1.4826 * np.median(np.abs(d - np.median(d)))
    return f"{name:28s} {len(d):5d} {d.mean():+7.3f} {d.std(ddof=1):7.3f} {mad:7.3f} {np.median(w):7.3f}"


def _within(groups: list[np.ndarray]) -> float:
    """sd around each group's own mean, pooled (a recording's or a lane's common shift taken out)."""
    groups = [g for g in groups if len(g) > 1]
    dev = np.concatenate([g - g.mean() for g in groups])
    return float(np.sqrt((dev ** 2).sum() / (len(dev) - len(groups))))


DT = 0.1  # s between the logs' frames
TAUS = np.geomspace(0.3, 60.0, 120)  # s, the correlation times tried
MAX_LAG = 30  # frames (3 s) of autocovariance fitted


def _shapes(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Expected autocovariance at lags 0..L of ``n`` frames demeaned by their own mean, per unit
    variance: (len(TAUS), L + 1) for a unit Ornstein-Uhlenbeck process of each correlation time,
    and (L + 1,) for white noise (the tracking's)."""
    lags = min(MAX_LAG, n // 2)
    k = np.arange(n)
    center = np.eye(n) - 1.0 / n

    def diag_means(cov: np.ndarray) -> np.ndarray:
        c = center @ cov @ center
        return np.array([np.diagonal(c, h).mean() for h in range(lags + 1)])

    ou = np.array([diag_means(np.exp(-np.abs(k[:, None] - k[None, :]) * DT / tau)) for tau in TAUS])
    return ou, diag_means(np.eye(n))


def _autocov(x: np.ndarray) -> np.ndarray:
    y = x - x.mean()
    return np.array([np.mean(y[: len(y) - h] * y[h:]) for h in range(min(MAX_LAG, len(y) // 2) + 1)])


def fit_ou(series: list[np.ndarray], cache: dict) -> tuple[float, float, float]:
    """(sigma m, tau s, tracking noise sd m) of an Ornstein-Uhlenbeck offset plus white tracking noise,
    fitted jointly to the vehicles' autocovariances (each series demeaned by its own mean, the bias
    this leaves modelled exactly); least squares over lags 0 to 3 s, each vehicle weighted by its
    frames; tau on a grid (``TAUS``), the two variances by non-negative least squares."""
    from scipy.optimize import nnls

    rows_ou, rows_w, target = [], [], []
    for x in series:
        if len(x) not in cache:
            cache[len(x)] = _shapes(len(x))
        ou, white = cache[len(x)]
        w = np.sqrt(len(x))
        rows_ou.append(w * ou)
        rows_w.append(w * white)
        target.append(w * _autocov(x))
    ou, white, target = np.concatenate(rows_ou, axis=1), np.concatenate(rows_w), np.concatenate(target)
    best = (np.inf, 0.0, 0.0, 0.0)
    for j, tau in enumerate(TAUS):
        (var, noise), res = nnls(np.column_stack([ou[j], white]), target)
        if res < best[0]:
            best = (res, float(np.sqrt(var)), float(tau), float(np.sqrt(noise)))
    return best[1:]


def _wander_figures(per_rec: list[list[np.ndarray]], held_sd: float) -> tuple[float, float]:
    """The wander around each vehicle's own offset as an Ornstein-Uhlenbeck process: pooled, per
    recording, per vehicle, and the pooled fit's bootstrap spread over vehicles; then the sd of the
    held offsets once the share of the wander a vehicle's mean keeps is taken out of ``held_sd`` (m,
    the sd of the vehicles' offsets around their recording's mean)."""
    cache: dict = {}
    pooled = [x for rec in per_rec for x in rec]
    sigma, tau, noise = fit_ou(pooled, cache)
    print(f"\nwander around each vehicle's own offset (Ornstein-Uhlenbeck + white tracking noise, "
          f"{len(pooled)} vehicles, {np.median([len(x) for x in pooled]) * DT:.1f} s median stretch):")
    print(f"  pooled: sigma {sigma:.3f} m, tau {tau:.2f} s, tracking noise {noise:.3f} m")
    rng = np.random.default_rng(0)
    boot = np.array([fit_ou([pooled[k] for k in rng.integers(0, len(pooled), len(pooled))], cache)
                     for _ in range(100)])
    lo, hi = np.percentile(boot, [5, 95], axis=0)
    print(f"  bootstrap over vehicles (100, 5-95 %): sigma {lo[0]:.3f} to {hi[0]:.3f} m, tau {lo[1]:.2f} to "
          f"{hi[1]:.2f} s")
    recs = np.array([fit_ou(rec, cache) for rec in per_rec if len(rec) >= 5])
    print(f"  per recording ({len(recs)}): sigma {recs[:, 0].min():.3f} to {recs[:, 0].max():.3f} m, tau "
          f"{recs[:, 1].min():.2f} to {recs[:, 1].max():.2f} s")
    veh = np.array([fit_ou([x], cache) for x in pooled])
    q = np.percentile(veh, [25, 50, 75], axis=0)
    at_edge = np.mean((veh[:, 1] <= TAUS[0]) | (veh[:, 1] >= TAUS[-1]))
    print(f"  per vehicle (quartiles): sigma {q[0, 0]:.3f} / {q[1, 0]:.3f} / {q[2, 0]:.3f} m, tau {q[0, 1]:.2f} / "
          f"{q[1, 1]:.2f} / {q[2, 1]:.2f} s ({at_edge:.0%} at the grid's ends, {TAUS[0]:g} or {TAUS[-1]:g} s)")
    j = int(np.argmin(np.abs(TAUS - tau)))
    in_mean = np.mean([1.0 - cache[len(x)][0][j, 0] for x in pooled])  # share of the OU variance a stretch's mean keeps
    print(f"  held offset sd without the wander's share ({in_mean:.2f} of sigma^2) in the vehicles' offsets: "
          f"{np.sqrt(held_sd ** 2 - in_mean * sigma ** 2):.3f} m (with it: {held_sd:.3f} m)")
    return sigma, tau


WANDER_SCENARIO = """
scenariogen: 1
name: wander_alone
dt: 0.1
duration: 63.0
seed: 5
road: {type: straight, lanes: 1, lane_width: 3.7, length: 1200}
actors:
  ego:
    kind: car
    lane: 0
    s: 20
    speed: 14.7
    behavior: {constant_speed: {}, driver: {wander: {sd: SD, tau: TAU}}}
events:
  collision: {}
"""


def _simulated_wander(sd: float, tau: float, noise: float, folder: Path) -> tuple[float, float, np.ndarray]:
    """A car alone on a straight 3.7 m lane at 14.7 m/s (the logs' median ego speed) whose target wanders
    with ``sd`` (m) and ``tau`` (s), 64 runs of 63 s: the sd of its offset over time around its own
    mean and the correlation of its offset at lag ``tau`` (after 10 s, once the wander has started),
    and the ego max lateral acceleration of its 3 s windows with the logs' position ``noise`` (m)."""
    from scenariogen.api import simulate
    from scenariogen.coverage.report import synthetic_descriptors
    from scenariogen.data.layout import DESCRIPTOR_NAMES
    from scenariogen.dsl.parse import parse_text

    spec = parse_text(WANDER_SCENARIO.replace("SD", f"{sd:.4f}").replace("TAU", f"{tau:.4f}"))
    out = folder / f"wander_{sd:.4f}.npz"
    batch = simulate(spec, 64, out=out)
    d = batch.trajectories[:, 0, int(10 / DT):, list(batch.features).index("offset")].astype(np.float64)
    d -= d.mean(axis=1, keepdims=True)
    k = max(1, int(round(tau / DT)))
    rho = float((d[:, :-k] * d[:, k:]).mean() / (d ** 2).mean()) if sd > 0 else float("nan")
    lat = synthetic_descriptors(out, window=3.0, position_noise=noise).D[:, DESCRIPTOR_NAMES.index("ego_max_lat_accel")]
    return float(np.sqrt((d ** 2).mean())), rho, lat


def _lateral_accel(sigma: float, tau: float) -> None:
    """The ego max lateral acceleration (3 s windows) of the calibration recordings against a car that
    only wanders, with the target's sd at ``sigma`` and at the value whose realised wander is ``sigma``."""
    import tempfile

    from calibration_proof import _linked

    from scenariogen.coverage.report import real_descriptors
    from scenariogen.data.layout import DESCRIPTOR_NAMES

    with tempfile.TemporaryDirectory() as tmp:
        rl = real_descriptors(_linked(Path(tmp) / "calibration", CALIBRATION), window=3.0, dt=DT)
        real = rl.D[:, DESCRIPTOR_NAMES.index("ego_max_lat_accel")]
        noise = rl.info["position_noise"]
        print(f"\nego max lateral acceleration, 3 s windows (median / 90 %, m/s^2): calibration recordings "
              f"{np.nanmedian(real):.2f} / {np.nanpercentile(real, 90):.2f} ({len(real)} windows, position noise "
              f"{noise:.3f} m)")
        target = sigma
        for label in ("no wander", "target sd = sigma", "realised sd = sigma"):
            sd = 0.0 if label == "no wander" else target
            real_sd, rho, lat = _simulated_wander(sd, tau, noise, Path(tmp))
            print(f"  a car alone, {label} (target sd {sd:.3f} m, tau {tau:.2f} s): realised sd {real_sd:.3f} m, "
                  f"correlation at tau {rho:.2f} (OU: {np.exp(-1):.2f}); lateral acceleration "
                  f"{np.nanmedian(lat):.2f} / {np.nanpercentile(lat, 90):.2f}")
            if label == "target sd = sigma":
                target = sigma * sigma / real_sd


def main() -> None:
    print(f"{'recording':28s} {'veh':>5s} {'mean':>7s} {'sd':>7s} {'rob.sd':>7s} {'wander':>7s}   (m)")
    per_rec, per_lane, pooled_w, stretches = [], [], [], []
    for p in CALIBRATION:
        d, w, lane, series = vehicle_offsets(p)
        stretches.append(series)
        print(_row(p.stem, d, w), flush=True)
        per_rec.append(d)
        per_lane.extend(d[lane == k] for k in np.unique(lane))
        pooled_w.append(w)
    print(_row("pooled", np.concatenate(per_rec), np.concatenate(pooled_w)))
    print(f"sd around each recording's mean: {_within(per_rec):.3f} m; around each lane's of each recording: "
          f"{_within(per_lane):.3f} m")
    sigma, tau = _wander_figures(stretches, _within(per_rec))
    _lateral_accel(sigma, tau)


if __name__ == "__main__":
    main()
