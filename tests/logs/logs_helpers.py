"""Paths to the real logs the log tests read, and helpers over read scenes."""

from __future__ import annotations

from real_data import NGSIM, REAL, need  # noqa: F401  (shared by the log tests)

AV2 = REAL / "av2-api-fixtures"
FORECAST = AV2 / "forecasting" / "scenario_0a1e6f0a-1817-4a98-b02e-db8c9327d151.parquet"
SENSOR = AV2 / "sensor"
ETH = REAL / "eth-ucy"


def min_vehicle_gap(scenes, b: int = 0, kinds=(0, 1, 2)) -> float:
    """Smallest centre distance (m) between two vehicles present at the same frame."""
    import numpy as np

    x = scenes.trajectories[b, :, :, :2].astype(float)
    m = scenes.mask[b] & np.isin(scenes.kinds[b], kinds)[:, None]
    best = np.inf
    for t in range(x.shape[1]):
        p = x[m[:, t], t]
        if len(p) < 2:
            continue
        d = np.hypot(p[:, None, 0] - p[None, :, 0], p[:, None, 1] - p[None, :, 1])
        np.fill_diagonal(d, np.inf)
        best = min(best, float(d.min()))
    return best
