"""The start transient of a seeded family (docs/calibration.md, "The start transient: the hand-over
from the log"): copies of the family without its event (the cutter's lane change, the leader's brake),
the ego's speed change over its first 3 s (quantiles) and the share losing more than 1 m/s in its first
second, for the family as written and variants; with ``--causes``, each ego that loses more than 1 m/s
in its first second classified by what IDM asks at its logged state.

    python benchmarks/seeded_start.py scenarios/calibrated/highway_cut_in_us101_seeded.yaml --n 1000 [--causes 400]

The copies are written to a temporary folder with the logs' paths made absolute. Not a test: it takes
minutes.
"""

from __future__ import annotations

import argparse
import os
import re
import tempfile
import time
from pathlib import Path

import numpy as np

import scenariogen
from scenariogen.data import layout as Lo
from scenariogen.sim import seed as seeding
from scenariogen.sim.compile import compile_batch

TMP = Path(tempfile.mkdtemp(prefix="seeded_start_"))


def copy(path: Path, edits: list[tuple[str, str]], tag: str):
    """The family at ``path`` with each (old, new) of ``edits`` replaced, loaded from a copy."""
    txt = path.read_text()
    for a, b in edits:
        if a not in txt:
            raise SystemExit(f"not in {path.name}: {a!r}")
        txt = txt.replace(a, b)
    txt = txt.replace("../../../shared/data/real", str((path.parent / "../../../shared/data/real").resolve()))
    out = TMP / f"{tag}_{path.name}"
    out.write_text(txt)
    return scenariogen.load_scenario(out)


def edits(path: Path) -> dict[str, list[tuple[str, str]]]:
    """Variants: the family without its event; without ``desired_speed_above``; without the ego's sensor."""
    txt = path.read_text()
    event = [(re.search(r"    maneuver:\n      (lane_change|hard_brake):.*\n", txt).group(0), "")]
    out = {"as written": event}
    kg = re.search(r"  keep_gaps: \{desired_speed_above: [0-9.]+\}\n", txt)
    if kg:
        out["without desired_speed_above"] = event + [(kg.group(0), "")]
    sensor = re.search(r"    sensor:\n(      .*\n)+    aeb: .*\n", txt)
    if sensor:
        out["without the ego's sensor and AEB"] = event + [(sensor.group(0), "")]
    return out


def ego_speed(b) -> np.ndarray:
    return b.trajectories[:, 0, :, Lo.F_SPEED].astype(np.float64)


def summary(v: np.ndarray, dt: float) -> str:
    k1, k3 = int(round(1 / dt)), int(round(3 / dt))
    d3 = v[:, k3] - v[:, 0]
    lose = v[:, :k1 + 1].min(axis=1) - v[:, 0]
    q = np.percentile(d3, [5, 25, 50, 75])
    return (f"speed change over the first 3 s, 5/25/50/75 %: {' / '.join(f'{x:+.2f}' for x in q)} m/s; "
            f"losing more than 1 m/s in the first second {np.mean(lose < -1):.1%}")


def causes(spec, spec_nosensor, n: int, seed: int) -> dict[str, int]:
    """Each ego losing more than 1 m/s in its first second, by the first that applies: its logged speed
    above its desired speed; IDM's approach term (closing on a slower leader: braking harder than
    1 m/s^2 asked with it, not without it); its gap below IDM's equilibrium; gone without the sensor
    (perception); the log brakes as much; its lane index changes (a successor lanelet or MOBIL); other."""
    b = scenariogen.simulate(spec, n=n, seed=seed)
    P = compile_batch(spec, b.theta, b.indices, seed).arrays["params"]
    lengths = b.sizes[:, :, 0]
    names = {nm: i for i, nm in enumerate(spec.parameters.names)}
    rows = seeding.seed_rows(spec, b.theta, names, P.shape[1])
    v = ego_speed(b)
    lose = v[:, :11].min(axis=1) - v[:, 0]
    lose_ns = None
    if spec_nosensor is not None:
        v_ns = ego_speed(scenariogen.simulate(spec_nosensor, n=n, seed=seed))
        lose_ns = v_ns[:, :11].min(axis=1) - v_ns[:, 0]
    out: dict[str, int] = {}
    for r in np.flatnonzero(lose < -1.0):
        p = P[r, 0]
        v0, T, s0, a, bc, dl = (p[c] for c in (Lo.P_V0, Lo.P_T, Lo.P_S0, Lo.P_AMAX, Lo.P_BCOMF, Lo.P_DELTA))
        f0, m0 = b.trajectories[r, :, 0], b.mask[r, :, 0]
        ve, lane, s, off = v[r, 0], f0[0, Lo.F_LANE], f0[0, Lo.F_S], f0[0, Lo.F_OFFSET]
        ahead = [j for j in range(1, f0.shape[0]) if m0[j] and f0[j, Lo.F_LANE] == lane and f0[j, Lo.F_S] > s
                 and abs(f0[j, Lo.F_OFFSET] - off) < 0.5 * (b.sizes[r, 0, 1] + b.sizes[r, j, 1]) + seeding.LAT_MARGIN]
        idm = idm_eq = a * (1 - (ve / v0) ** dl)
        if ahead:
            j = min(ahead, key=lambda q: f0[q, Lo.F_S])
            gap = f0[j, Lo.F_S] - s - 0.5 * (lengths[r, 0] + lengths[r, j])
            seq = s0 + ve * T
            idm = a * (1 - (ve / v0) ** dl - (max(seq + ve * (ve - f0[j, Lo.F_SPEED]) / (2 * np.sqrt(a * bc)), s0) / gap) ** 2)
            idm_eq = a * (1 - (ve / v0) ** dl - (seq / gap) ** 2)
        sc = spec.seed_from.scenes[rows.scene[r]]
        k, m = rows.frame[r], rows.agent[r, 0]
        lv = np.nan_to_num(sc.speed[m, k:k + 11])
        if ve > v0:
            c = "logged speed above the desired speed"
        elif idm < -1 and idm_eq > -1:
            c = "IDM's approach term (closing on a slower leader)"
        elif idm < -1:
            c = "gap below IDM's equilibrium"
        elif lose_ns is not None and lose_ns[r] > -1:
            c = "perception (gone without the ego's sensor)"
        elif lv[-1] - lv[0] < -1:
            c = "the log brakes as much"
        elif np.any(b.trajectories[r, 0, :11, Lo.F_LANE] != lane):
            c = "lane index changes (successor lanelet or MOBIL)"
        else:
            c = "other"
        out[c] = out.get(c, 0) + 1
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("family", type=Path)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--causes", type=int, default=0, help="scenarios whose braking egos are classified")
    args = ap.parse_args()
    cpu0 = time.process_time()
    specs = {name: copy(args.family, ed, f"v{i}") for i, (name, ed) in enumerate(edits(args.family).items())}
    for name, spec in specs.items():
        print(f"{name}: {summary(ego_speed(scenariogen.simulate(spec, n=args.n, seed=args.seed)), spec.dt)}", flush=True)
    if args.causes:
        for name in ("without desired_speed_above", "as written"):
            if name in specs:
                found = causes(specs[name], specs.get("without the ego's sensor and AEB"), args.causes, args.seed)
                print(f"{name}, {sum(found.values())} of {args.causes} egos losing more than 1 m/s in their first "
                      "second: " + ", ".join(f"{c} {k}" for c, k in sorted(found.items(), key=lambda x: -x[1])))
    print(f"{time.process_time() - cpu0:.0f} s of CPU, load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
