"""Typical traffic alone: the fidelity numbers on the typical-traffic descriptors only.

A family built to enrich a rare event (a cut-in in every scenario) differs from the logs on the
descriptors of that event by construction, so a classifier on all descriptors separates it however
real its traffic is. Scored on :data:`~scenariogen.data.layout.TYPICAL_DESCRIPTORS` alone (the
ones ``calibrate`` matches: speeds, spacing, density, braking), the classifier AUC, density,
coverage and off-support say whether the traffic around the event is real, each against its
real-vs-real band from the same splits of the recordings as the all-descriptor figures. It is a
measure, not a verdict: the verdicts keep judging all descriptors (``docs/coverage.md``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data.layout import TYPICAL_DESCRIPTORS
from ..errors import TooFewSamplesError
from .baseline import Baseline, Calibration, calibrate, real_baseline
from .descriptors import DESCRIPTOR_NAMES
from .metrics import CoverageResult, CoverageSettings, score

#: the numbers of the block and the side of its real-vs-real band where the synthetic set is told from real
#: data (a lower AUC or off-support, or a higher coverage, than real data against real data tells nothing)
TYPICAL_NUMBERS = {"auc": "high", "density": "both", "coverage": "low", "off_support": "high"}


@dataclass(frozen=True, eq=False)
class TypicalTraffic:
    """The typical-traffic block: ``names``, the typical descriptors scored (those the assessment
    used: constant or unreliable ones left out); ``result``, the synthetic set against all real
    windows on them (classifier included); its ``baseline`` and ``calibration`` on the same
    splits as the assessment's."""

    names: tuple[str, ...]
    result: CoverageResult
    baseline: Baseline
    calibration: Calibration

    def numbers(self) -> dict[str, dict]:
        """Per number of :data:`TYPICAL_NUMBERS`: the synthetic value (median over the splits; the
        AUC against all real windows, as the all-descriptor one), its real-vs-real band, the value
        against all real windows, whether it lies ``inside`` the band and whether it is outside on
        the side that tells it from real data (``tells``); both None when undefined."""
        out = {}
        for k, side in TYPICAL_NUMBERS.items():
            b = self.calibration.band(k)
            allr = _all_real(self.result, k)
            v = allr if k == "auc" else self.calibration.value(k)
            o = b.outside(v) if b.n and np.isfinite(v) else None
            tells = None if o is None else (o != 0 if side == "both" else o == (1 if side == "high" else -1))
            out[k] = {"synthetic": v, "band": b, "all_real": allr, "inside": None if o is None else o == 0,
                      "tells": tells}
        return out

    def indistinguishable(self) -> bool:
        """No number of the block outside its real-vs-real band on the side that tells it from real."""
        return all(v["tells"] is False for v in self.numbers().values())


def _all_real(r: CoverageResult, key: str) -> float:
    if key == "auc":
        return r.classifier.auc if r.classifier is not None else float("nan")
    return float(getattr(r.fidelity, key))


def typical_traffic(real: np.ndarray, synthetic: np.ndarray, *, labels, splits, unit: str = "recording",
                    used=None, synthetic_units=None, names=DESCRIPTOR_NAMES,
                    settings: CoverageSettings = CoverageSettings(), previous: TypicalTraffic | None = None,
                    note: str = "") -> TypicalTraffic:
    """The typical-traffic block of ``synthetic`` against ``real`` (rows in raw units, columns ``names``).
    ``labels``: each real row's unit (recording, or ego track), ``splits``: the held-out label sets of
    the all-descriptor baseline (:attr:`Baseline.held_out`) and ``unit``/``note`` its unit and note, so
    that both bands come from the same held-out sides at the same sizes; ``used``: the descriptors
    the assessment judged (:attr:`CoverageResult.names`; default all). ``previous``: an earlier block
    on these real rows, whose baseline is reused when its descriptors, splits and sizes are these."""
    X = np.asarray(real, float)
    Y = np.asarray(synthetic, float)
    names = tuple(names)
    labels = np.asarray(labels).astype(str)
    used = tuple(n for n in TYPICAL_DESCRIPTORS if n in names and (used is None or n in used))
    if not used:
        raise TooFewSamplesError("no typical-traffic descriptor is usable in the real set")
    cols = [names.index(n) for n in used]
    Xt, Yt = X[:, cols], Y[:, cols]
    result = score(Xt, Yt, names=used, settings=settings, real_groups=labels, synthetic_groups=synthetic_units,
                   bounds=False)
    # as assess does: held-out sides larger than the synthetic set are subsampled to its size
    sizes = [int(np.isin(labels, h).sum()) for h in splits]
    size = len(Y) if len(Y) < max(sizes) else None
    want = (used, tuple(splits), tuple(min(s, len(Y)) for s in sizes))
    if previous is not None and (previous.names, previous.baseline.held_out, previous.baseline.sizes) == want:
        baseline = previous.baseline
    else:
        baseline = real_baseline(Xt, labels, unit=unit, names=used, settings=settings, size=size, note=note,
                                 splits=splits)
    return TypicalTraffic(used, result, baseline, calibrate(baseline, Xt, Yt, names=used, settings=settings))
