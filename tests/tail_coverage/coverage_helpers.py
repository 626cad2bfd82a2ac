"""Real descriptor sets for the coverage tests, built from ../shared/data/real through the log readers."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

import numpy as np

from real_data import NGSIM, NGSIM_MORE, REAL, need  # noqa: F401  (shared by the coverage tests)

from scenariogen.coverage import descriptors_of, real_descriptors, recording_of
from scenariogen.logs import make_windows, read_log

REPO = Path(__file__).resolve().parents[2]
# the recordings the verdicts' thresholds were tuned on (docs/coverage.md); the statistical tests use
# only the others, which were never looked at while tuning
TUNING = ("USA_US101-1", "USA_US101-2", "USA_US101-6", "USA_US101-7", "USA_US101-8", "USA_US101-10",
          "USA_US101-11", "USA_US101-12", "USA_US101-13", "USA_US101-14", "USA_Lanker-2", "USA_Peach-1")
HIGHWAY = ("USA_US101-3_3_T-1.xml", "USA_US101-4_1_T-1.xml")
CUT_IN = REPO / "scenarios" / "highway_cut_in.yaml"



@cache
def real_pool_grouped(window: float = 3.0, stride: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Descriptor rows of every vehicle window in the NGSIM CommonRoad scenes and (with pyarrow) the
    Argoverse 2 logs: about a thousand 3 s windows, each eligible vehicle taking the ego's role; and
    per row its source (log + ego track: the overlapping windows of one vehicle share it)."""
    paths = sorted(need(NGSIM).glob("*.xml"))
    if importlib.util.find_spec("pyarrow") is not None:
        paths += sorted(p for p in (REAL / "av2-api-fixtures" / "sensor").iterdir() if p.is_dir())
        paths += sorted((REAL / "av2-api-fixtures" / "forecasting").glob("*.parquet"))
    parts, groups = [], []
    for p in paths:
        w = make_windows(read_log(p), window, stride=stride)
        parts.append(descriptors_of(w)[0])
        groups.append(np.array([f"{p.name}|{t}" for t in w.track_ids[:, 0]], dtype=object))
    D, g = np.concatenate(parts), np.concatenate(groups)
    ok = np.isfinite(D).any(axis=1)
    return D[ok], g[ok]


def real_pool(window: float = 3.0, stride: float = 1.0) -> np.ndarray:
    """The descriptor rows of :func:`real_pool_grouped`."""
    return real_pool_grouped(window, stride)[0]


def highway_dir(tmp: Path) -> Path:
    """A folder holding links to the two NGSIM US-101 highway scenes (the real set of the cut-in tests)."""
    d = tmp / "real_highway"
    d.mkdir(exist_ok=True)
    for name in HIGHWAY:
        link = d / name
        if not link.exists():
            link.symlink_to(need(NGSIM / name).resolve())
    return d


@cache
def heldout_real(window: float = 3.0, stride: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Descriptor rows of the ``window`` s windows (disjoint, or every ``stride`` s) of every NGSIM
    recording not in ``TUNING`` (US-101 15-29, 3 and 4, Peachtree 3 and 4, Lankershim 1: about 950
    disjoint 3 s windows of 17 recordings), read through ``real_descriptors`` (annotation errors left
    out); with each row's recording and source (log + ego track)."""
    paths = [p for p in sorted(need(NGSIM_MORE).glob("*.xml")) + sorted(need(NGSIM).glob("*.xml"))
             if recording_of(p) not in TUNING]
    sets = [real_descriptors(p, window=window, dt=0.1, stride=stride) for p in paths]
    return (np.concatenate([s.D for s in sets]), np.concatenate([s.recordings for s in sets]).astype(str),
            np.concatenate([s.groups for s in sets]).astype(str))
