"""How a seeded family's drivers take their logged gaps (docs/calibration.md, "Seeded from the
calibration recordings"): plain simulation under the family's own p(theta), the share of scenarios
ending in each event, how early the ego brakes hardest, how many simulated logged vehicles brake
hard in the first second, and the collisions among the traffic, described (and rendered with
``--out``) by the facts a cause is named from.

    python benchmarks/seeded_gaps.py scenarios/calibrated/highway_cut_in_us101_seeded.yaml --n 2000 [--energy] [--out DIR] [--trace]

Runs in chunks of ``--chunk`` scenarios with full frames (bit-identical to one batch: a scenario
depends on its index only). Not a test: it takes minutes.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

import scenariogen
from realism import describe_collision
from scenariogen.data import layout as Lo
from scenariogen.sim.compile import compiled_road

REAL = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "real" / "ngsim-commonroad-more"
HELD_OUT_4 = [REAL / f"USA_US101-{n}_1_T-1.xml" for n in (15, 20, 24, 29)]  # held out from calibration
EARLY_EGO = 0.5  # s: the ego's hardest braking this early is the start, not the scenario
EARLY_TRAFFIC = 1.0  # s, window of the traffic's early braking
HARD = 3.0  # m/s^2, braking counted as hard in that window


def cause(spec, batch, row: int, road) -> str:
    """What the first collision of ``row`` comes from: a party past the end of a lane with no
    successor (off the map: the straight extrapolation of lanes that converge), a party straddling
    two lanes since the start (its centre more than 1 m aside in one lane all along: the lane it
    sticks into does not see it), else the parties' lanes (one lane: a rear-end; two)."""
    k = min(int(round(float(batch.metrics["collision_time"][row]) / spec.dt)), batch.trajectories.shape[2] - 1)
    pair = [int(batch.metrics[c][row]) for c in ("collision_a", "collision_b")]
    st = batch.trajectories[row, pair, k]
    lane = st[:, Lo.F_LANE].astype(int)
    if any(la >= 0 and road.n_successor[la] == 0 and s > road.lane_length[la] for la, s in zip(lane, st[:, Lo.F_S])):
        return "off the map"
    tr = batch.trajectories[row, pair, :k + 1]
    if np.any((np.abs(tr[:, :, Lo.F_OFFSET]) > 1.0).all(axis=1) & (tr[:, :, Lo.F_LANE] == tr[:, :1, Lo.F_LANE]).all(axis=1)):
        return "straddling two lanes"
    return "rear-end in one lane" if lane[0] == lane[1] else "two lanes"


def trace(spec, batch, row: int, road, every: float = 0.5) -> list[str]:
    """Both parties of the first collision of ``row``, every ``every`` s up to it: lane, arc length,
    offset from the lane's centre (left positive), speed and acceleration; then each lane's
    neighbours, length and successors (what names a cause that a picture centred on the ego misses)."""
    fs = batch.frame_dt(spec.dt)
    k = min(int(round(float(batch.metrics["collision_time"][row]) / fs)), batch.trajectories.shape[2] - 1)
    pair = [int(batch.metrics[c][row]) for c in ("collision_a", "collision_b")]
    tr = batch.trajectories[row]

    def name(la: int) -> str:
        return road.lane_ids[la].split("/")[-1] if la >= 0 else "-"

    lines = []
    for j in list(range(0, k, max(1, int(round(every / fs))))) + [k]:
        cells = [f"{name(int(tr[i, j, Lo.F_LANE]))} s {tr[i, j, Lo.F_S]:.1f} off {tr[i, j, Lo.F_OFFSET]:+.2f} "
                 f"v {tr[i, j, Lo.F_SPEED]:.1f} a {tr[i, j, Lo.F_ACCEL]:+.1f}" if batch.mask[row, i, j] else "absent"
                 for i in pair]
        lines.append(f"      t {j * fs:.1f}: " + " | ".join(cells))
    for la in sorted({int(x) for i in pair for x in tr[i, :k + 1, Lo.F_LANE] if x >= 0}):
        lines.append(f"      lane {name(la)}: left {name(int(road.left[la]))}, right {name(int(road.right[la]))}, "
                     f"{road.lane_length[la]:.0f} m, {int(road.n_successor[la])} successor(s)")
    return lines


def measure(path: Path, n: int, seed: int, chunk: int) -> dict:
    spec = scenariogen.load_scenario(path)
    labels: dict[str, list] = {}
    coll, ego_coll, first_pair, first_time, ego_early, ego_brakes = [], [], [], [], [], []
    causes: dict[tuple[str, str], int] = {}  # (ego or traffic, cause) -> first collisions
    road = compiled_road(spec).arrays
    early_hard = early_n = 0
    k_ego = int(round(EARLY_EGO / spec.dt))
    k_tr = int(round(EARLY_TRAFFIC / spec.dt))
    cpu0 = time.process_time()
    scenariogen.simulate(spec, n=1, seed=seed)  # compiles the kernels or loads them from the cache: not counted below
    warm = time.process_time() - cpu0
    cpu0 = time.process_time()
    for start in range(0, n, chunk):
        b = scenariogen.simulate(spec, n=min(chunk, n - start), seed=seed, start_index=start)
        for k, v in b.labels.items():
            labels.setdefault(k, []).append(np.asarray(v, bool))
        coll.append(np.isfinite(b.metrics["collision_time"]))
        for row in np.flatnonzero(coll[-1]):
            who = "ego" if b.metrics["collision_a"][row] == 0 else "traffic"
            c = (who, cause(spec, b, int(row), road))
            causes[c] = causes.get(c, 0) + 1
        ego_coll.append(np.isfinite(b.metrics["ego_collision_time"]))
        first_pair.append(np.stack([b.metrics["collision_a"], b.metrics["collision_b"]], axis=1))
        first_time.append(np.asarray(b.metrics["collision_time"], np.float64))
        acc = b.trajectories[..., Lo.F_ACCEL].astype(np.float64)
        ego = np.where(b.mask[:, 0], acc[:, 0], np.inf)
        ego_brakes.append(ego.min(axis=1) < 0.0)
        ego_early.append((ego.min(axis=1) < 0.0) & (ego.argmin(axis=1) <= k_ego))
        # every simulated agent but the ego, present at t = 0
        there = b.mask[:, 1:, 0]
        early = np.where(b.mask[:, 1:, :k_tr + 1], acc[:, 1:, :k_tr + 1], np.inf).min(axis=2)
        early_hard += int(np.sum(there & (early < -HARD)))
        early_n += int(np.sum(there))
    cpu = time.process_time() - cpu0
    coll, ego_coll = np.concatenate(coll), np.concatenate(ego_coll)
    pair = np.concatenate(first_pair)
    traffic_first = coll & (pair[:, 0] != 0) & (pair[:, 1] != 0)
    at_start = traffic_first & (np.concatenate(first_time) < 0.5 * spec.dt)
    named = traffic_first & (pair[:, 0] < len(spec.actors))  # a named actor other than the ego (the ego is column 0)
    return {"spec": spec, "n": n, "seed": seed, "cpu_s": cpu, "warm_s": warm,
            "labels": {k: float(np.concatenate(v).mean()) for k, v in labels.items()},
            "collision": float(coll.mean()), "ego_collision": float(ego_coll.mean()),
            "traffic_first": np.flatnonzero(traffic_first), "causes": causes,
            "traffic_at_start": int(at_start.sum()), "traffic_named": int(named.sum()),
            "ego_early": float(np.concatenate(ego_early).mean()),
            "ego_brakes": float(np.concatenate(ego_brakes).mean()),
            "traffic_early_hard": early_hard / max(early_n, 1), "traffic_agents": early_n}


def held_out_energy(spec, seeds=(0, 1), n: int = 60) -> list[float]:
    """Energy distance of the typical-traffic descriptors of the first 3 s of ``n`` scenarios (one
    theta draw per seed) to four held-out US-101 recordings, as ``tests/calibrate/test_shipped_calibrated.py``
    measures the calibrated families. A score: nothing is fitted on it."""
    import tempfile

    from scenariogen.calibrate.fit import _frames, _Real, _sim_descriptors, energy
    from scenariogen.coverage.report import real_descriptors

    with tempfile.TemporaryDirectory() as tmp:
        for f in HELD_OUT_4:
            (Path(tmp) / f.name).symlink_to(f.resolve())
        window, frames = _frames(spec)
        real = real_descriptors(tmp, window=window, dt=spec.dt)
    rl = _Real(real.D, real.recordings)
    return [energy(rl.z(_sim_descriptors(spec, spec.parameters.sample(np.random.default_rng(s), n), 1, frames,
                                         real.info["position_noise"])), rl.Z) for s in seeds]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("family", type=Path)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--chunk", type=int, default=250)
    ap.add_argument("--describe", type=int, default=10, help="collisions among the traffic described")
    ap.add_argument("--out", type=Path, help="folder for a picture of each described collision")
    ap.add_argument("--trace", action="store_true", help="the described collisions' two parties, every 0.5 s")
    ap.add_argument("--energy", action="store_true", help="also the energy distance to four held-out recordings")
    args = ap.parse_args()
    r = measure(args.family, args.n, args.seed, args.chunk)
    spec = r["spec"]
    print(f"{spec.name}: {r['n']} scenarios, seed {r['seed']}; {r['cpu_s']:.0f} s of CPU "
          f"(and {r['warm_s']:.0f} s for the first call, which compiles or loads the kernels), "
          f"load average {os.getloadavg()[0]:.2f}")
    print("  events: " + ", ".join(f"{k} {v:.1%}" for k, v in r["labels"].items()))
    tf = r["traffic_first"]
    print(f"  any collision {r['collision']:.1%}, the ego's {r['ego_collision']:.1%}, first among the traffic "
          f"{len(tf) / r['n']:.1%}")
    for who in ("ego", "traffic"):
        print(f"  first collisions of the {who}, by cause: "
              + ", ".join(f"{c} {k}" for (w, c), k in sorted(r["causes"].items()) if w == who))
    print(f"  of the traffic's: at t = 0 {r['traffic_at_start']}, a named actor (not the ego) a party {r['traffic_named']}")
    print(f"  the ego's hardest braking within the first {EARLY_EGO:g} s: {r['ego_early']:.1%} of the scenarios "
          f"(the ego brakes at all in {r['ego_brakes']:.1%})")
    print(f"  others braking harder than {HARD:g} m/s^2 within the first {EARLY_TRAFFIC:g} s: "
          f"{r['traffic_early_hard']:.2%} of {r['traffic_agents']} agents present at t = 0")
    if args.energy:
        print("  energy distance to held-out US-101 15, 20, 24, 29 (first 3 s of 60 scenarios, theta seeds 0 "
              "and 1): " + ", ".join(f"{e:.2f}" for e in held_out_energy(spec)))
    for idx in tf[:args.describe]:
        one = scenariogen.simulate(spec, n=1, seed=args.seed, start_index=int(idx))
        road = compiled_road(spec).arrays
        print(f"  #{int(idx)} ({cause(spec, one, 0, road)}): {describe_collision(spec, one, 0)}")
        if args.trace:
            print("\n".join(trace(spec, one, 0, road)))
        if args.out is not None:
            from scenariogen.render.write import render_frame

            args.out.mkdir(parents=True, exist_ok=True)
            render_frame(one, 0, args.out / f"{spec.name}-{int(idx)}.png", time=float(one.metrics["collision_time"][0]))


if __name__ == "__main__":
    main()
