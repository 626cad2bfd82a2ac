"""One call from descriptor rows to calibrated verdicts: pick the unit real data is split by, leave
out descriptors that separate real from real, score, build the real-vs-real baseline, place the
synthetic set against it and decide the verdicts."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .baseline import Baseline, Calibration, calibrate, choose_unit, group_splits, real_baseline
from .descriptors import DESCRIPTOR_NAMES
from .metrics import CoverageResult, CoverageSettings, score, univariate_auc
from .verdict import Thresholds, Verdict, verdicts


@dataclass(frozen=True, eq=False)
class Assessment:
    """Everything behind a report: the ``result`` (synthetic against all real windows), the
    ``baseline`` and the synthetic set's ``calibration`` against it, the ``verdicts``, and per
    descriptor its real-vs-real ``separation`` (median |2 AUC - 1| of one split's halves, over the
    splits); the descriptors at or above ``settings.unreliable_separation`` are ``unreliable``:
    left out of every number that judges the simulator."""

    result: CoverageResult
    baseline: Baseline
    calibration: Calibration
    verdicts: tuple[Verdict, ...]
    separation: dict
    unreliable: tuple[str, ...]


def real_separation(X: np.ndarray, labels: np.ndarray, names, splits) -> dict[str, float]:
    """Per descriptor, the median over ``splits`` (held-out label sets) of |2 AUC - 1| between the
    held-out and reference real rows on that descriptor alone (finite values only)."""
    X = np.asarray(X, float)
    vals: dict[str, list] = {n: [] for n in names}
    for held in splits:
        h = np.isin(labels, held)
        for j, n in enumerate(names):
            a, b = X[~h, j], X[h, j]
            a, b = a[np.isfinite(a)], b[np.isfinite(b)]
            if len(a) and len(b):
                vals[n].append(abs(2 * univariate_auc(a, b) - 1))
    return {n: float(np.median(v)) if v else math.nan for n, v in vals.items()}


def assess(real: np.ndarray, synthetic: np.ndarray, *, real_units, real_sources=None, synthetic_units=None,
           weights=None, names=DESCRIPTOR_NAMES, settings: CoverageSettings = CoverageSettings(),
           thresholds: Thresholds = Thresholds(), progress=None, baseline: Baseline | None = None) -> Assessment:
    """Score ``synthetic`` against ``real`` descriptor rows (raw units, columns ``names``) and decide
    calibrated verdicts. ``real_units``: each real row's recording; ``real_sources``: its ego track
    (used when there are fewer than ``settings.min_groups`` recordings); ``synthetic_units``: each
    synthetic row's scenario; ``weights``: importance weights of the synthetic rows.
    ``baseline``: a baseline already built on these real rows with these settings (reused, e.g.
    for several synthetic sets against one real set). ``progress``: callable(step_name)."""
    tick = progress or (lambda _name: None)
    X = np.asarray(real, float)
    Y = np.asarray(synthetic, float)
    names = tuple(names)
    labels, unit, note = choose_unit(real_units, real_sources, settings.min_groups)
    if baseline is not None and (baseline.unit != unit or len(Y) < max(baseline.sizes)):
        baseline = None  # built for another unit, or for held-out sides larger than this synthetic set
    splits = group_splits(labels, settings.splits, settings.seed) if baseline is None else baseline.held_out
    sep = real_separation(X, labels, names, splits)
    unreliable = tuple(n for n in names if sep[n] >= settings.unreliable_separation)
    cols = [j for j, n in enumerate(names) if n not in unreliable]
    used = tuple(names[j] for j in cols)
    tick("score")
    result = score(X[:, cols], Y[:, cols], names=used, weights=weights, settings=settings, real_groups=labels,
                   synthetic_groups=synthetic_units, progress=tick)
    if unit != "recording":
        result = _note(result, note)
    tick("baseline")
    if baseline is None:
        sizes = [int(np.isin(labels, h).sum()) for h in splits]
        baseline = real_baseline(X[:, cols], labels, unit=unit, names=used, settings=settings,
                                 size=len(Y) if len(Y) < max(sizes) else None, note=note)
    tick("calibration")
    cal = calibrate(baseline, X[:, cols], Y[:, cols], names=used, settings=settings)
    vs = verdicts(result, thresholds, cal)
    return Assessment(result, baseline, cal, vs, sep, unreliable)


def _note(r: CoverageResult, note: str) -> CoverageResult:
    from dataclasses import replace

    return replace(r, notes=r.notes + (note,))
