"""Where real drivers hold themselves in their lane: the per-vehicle lateral offset from the lane's
centre on the US-101 calibration recordings (never the held-out ones), for the traffic blocks'
``offset_sd`` (docs/dsl.md section 8; docs/calibration.md, "Lateral offsets within the lane").

    python benchmarks/lateral_offsets.py

Each logged vehicle's frames are projected onto the recording's lanelets the way seeded families
place logged agents (``dsl.sections.seed.project``); its offset is the median over the frames on the
lane it spends most time on (a median, so the frames of a lane change do not pull it), for vehicles
seen at least 2 s on that lane. Prints, per recording and pooled, the number of vehicles, the mean
and sd of their offsets across vehicles (and a robust sd, 1.4826 x MAD), and the median sd of one
vehicle's offset over time (how much a driver wanders around its own offset). Not collected by pytest.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from calibration_proof import CALIBRATION  # noqa: E402

MIN_FRAMES = 20  # 2 s at the logs' 0.1 s


def vehicle_offsets(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per vehicle of one recording: its median offset (m, left positive) on its main lane, the sd
    of its offset over time there, and that lane."""
    from scenariogen.api import read_log
    from scenariogen.dsl.sections.seed import project
    from scenariogen.logs.base import VEHICLE_KINDS
    from scenariogen.road.maps import map_road

    log = read_log(path, "commonroad", dt=0.1)
    net, _ = map_road(path, "commonroad")
    lane_ids = tuple(net.lanes)
    half = 0.5 * np.array([net.lane(lid).width for lid in lane_ids])
    med, wander, lanes = [], [], []
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
    return np.array(med), np.array(wander), np.array(lanes)


def _row(name: str, d: np.ndarray, w: np.ndarray) -> str:
    mad = 1.4826 * np.median(np.abs(d - np.median(d)))
    return f"{name:28s} {len(d):5d} {d.mean():+7.3f} {d.std(ddof=1):7.3f} {mad:7.3f} {np.median(w):7.3f}"


def _within(groups: list[np.ndarray]) -> float:
    """sd around each group's own mean, pooled (a recording's or a lane's common shift taken out)."""
    groups = [g for g in groups if len(g) > 1]
    dev = np.concatenate([g - g.mean() for g in groups])
    return float(np.sqrt((dev ** 2).sum() / (len(dev) - len(groups))))


def main() -> None:
    print(f"{'recording':28s} {'veh':>5s} {'mean':>7s} {'sd':>7s} {'rob.sd':>7s} {'wander':>7s}   (m)")
    per_rec, per_lane, pooled_w = [], [], []
    for p in CALIBRATION:
        d, w, lane = vehicle_offsets(p)
        print(_row(p.stem, d, w), flush=True)
        per_rec.append(d)
        per_lane.extend(d[lane == k] for k in np.unique(lane))
        pooled_w.append(w)
    print(_row("pooled", np.concatenate(per_rec), np.concatenate(pooled_w)))
    print(f"sd around each recording's mean: {_within(per_rec):.3f} m; around each lane's of each recording: "
          f"{_within(per_lane):.3f} m")


if __name__ == "__main__":
    main()
