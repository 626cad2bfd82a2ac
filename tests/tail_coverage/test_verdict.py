"""Verdict rules on constructed results: each fires only outside the real-vs-real band and beyond its
floor, names its causes with their shift in real sd and an action, and enriching needs a confident,
supported tail from a set no classifier tells apart beyond real vs real."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from scenariogen.coverage.baseline import Baseline, Calibration
from scenariogen.coverage.metrics import CoverageSettings, score
from scenariogen.coverage.verdict import Thresholds, summary, verdicts

NAMES = ("min_ttc", "min_thw", "ego_speed_mean")


@pytest.fixture(scope="module")
def base():
    """A neutral result: synthetic rows drawn like the real ones (independent rows)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1200, 3))
    Y = rng.normal(size=(1200, 3))
    return score(X, Y, names=NAMES, settings=CoverageSettings(bootstrap=300))


def _cal(real: dict, syn: dict) -> Calibration:
    bl = Baseline("recording", 10, ((),) * 3, (100,) * 3, {k: np.asarray(v, float) for k, v in real.items()},
                  np.array([]))
    return Calibration(bl, {k: np.asarray(v, float) for k, v in syn.items()}, (100,) * 3)


def _v(vs):
    return {v.name: v for v in vs}


def test_neutral_without_and_with_a_baseline(base):
    vs = verdicts(base)
    assert summary(vs) == "neutral" and all("uncalibrated" in v.message for v in vs)
    cal = _cal({"off_support": [0.1, 0.2, 0.3], "auc": [0.4, 0.5, 0.6]}, {"off_support": [0.2, 0.2, 0.2]})
    vs = verdicts(base, calibration=cal)
    assert summary(vs) == "neutral" and not any("uncalibrated" in v.message for v in vs)
    assert "real vs real 0.1 to 0.3" in _v(vs)["simulator drift"].message or "10% to 30%" in _v(vs)["simulator drift"].message


def test_drift_fires_only_outside_the_band_and_names_the_shift(base):
    # 40 % off-support: above the floor, but real data itself gives up to 50 %: no drift
    cal = _cal({"off_support": [0.2, 0.3, 0.5]}, {"off_support": [0.4, 0.4, 0.4]})
    assert not _v(verdicts(base, calibration=cal))["simulator drift"].fired
    cal = _cal({"off_support": [0.1, 0.15, 0.2], "shift:ego_speed_mean": [-0.5, 0.2, 0.6]},
               {"off_support": [0.1] * 3, "shift:ego_speed_mean": [4.0, 4.2, 3.9]})
    d = _v(verdicts(base, calibration=cal))["simulator drift"]
    assert d.fired and d.descriptors == ("ego_speed_mean",)
    assert d.actions[0].startswith("ego_speed_mean is 4.0 sd above the logs") and "speed distribution" in d.actions[0]
    # the same shift inside a wide real-vs-real spread is not blamed
    cal = _cal({"shift:ego_speed_mean": [-4.5, 0.0, 4.5]}, {"shift:ego_speed_mean": [4.0] * 3})
    assert not _v(verdicts(base, calibration=cal))["simulator drift"].fired


def test_collapse_needs_the_floor_and_the_band(base):
    cal = _cal({"vendi_ratio": [0.8, 1.0, 1.2]}, {"vendi_ratio": [0.2] * 3})
    c = _v(verdicts(base, calibration=cal))["collapse"]
    assert c.fired and "Vendi" in c.message and c.actions
    cal = _cal({"vendi_ratio": [0.1, 1.0, 1.2]}, {"vendi_ratio": [0.2] * 3})  # real halves get as low
    assert not _v(verdicts(base, calibration=cal))["collapse"].fired


def _tails(r, **changes):
    """The result with every judged tail of min_ttc changed."""
    tails = tuple(dataclasses.replace(t, **changes) if t.descriptor == "min_ttc" else t for t in r.tails)
    return dataclasses.replace(r, tails=tails)


def test_enriching_needs_a_confident_lower_bound_and_no_open_shortcut(base):
    t = base.tail("min_ttc", 0.05)
    assert t.judged and t.n_real >= 20
    rich = _tails(base, enrichment=3.0, enrichment_low=1.8, enrichment_high=4.5, reach_1d=1.0)
    cal = _cal({"tail:min_ttc:0.05": [0.6, 1.0, 1.6], "auc": [0.45, 0.5, 0.6]}, {"tail:min_ttc:0.05": [2.9, 3.0, 3.1]})
    e = _v(verdicts(rich, calibration=cal))["enriching"]
    assert e.fired and e.descriptors == ("min_ttc",) and "at least 1.8x" in e.message
    # a lower bound at 1 (not confidently more than the logs) is not enough
    weak = _tails(rich, enrichment_low=0.9)
    assert not _v(verdicts(weak, calibration=cal))["enriching"].fired
    # a tail with too few real windows is not judged at all, and the message says how much data would do
    few = _tails(rich, judged=False, n_real=6)
    e = _v(verdicts(few, calibration=cal))["enriching"]
    assert not e.fired and "not judged: 6 real windows" in e.message
    # a classifier AUC above the real-vs-real band: never enriching, and the message says what must change
    c = dataclasses.replace(rich.classifier, auc=0.7, auc_chance=(0.3, 0.65))
    vs = _v(verdicts(dataclasses.replace(rich, classifier=c), calibration=cal))
    assert vs["shortcut risk"].fired and not vs["enriching"].fired
    assert "AUC fall to at most 0.6" in vs["enriching"].message and vs["enriching"].actions
    # above the band but inside the chance interval: no shortcut called, still not enriching
    c = dataclasses.replace(rich.classifier, auc=0.68, auc_chance=(0.25, 0.75))
    vs = _v(verdicts(dataclasses.replace(rich, classifier=c), calibration=cal))
    assert not vs["shortcut risk"].fired and not vs["enriching"].fired
    assert "a classifier AUC above the real-vs-real band" in vs["enriching"].message


def test_missing_tail_needs_a_confident_upper_bound_below_every_real_split(base):
    empty = _tails(base, enrichment=0.0, enrichment_low=0.0, enrichment_high=0.0, reach_1d=0.0)
    cal = _cal({"tail:min_ttc:0.05": [0.4, 1.0, 1.5], "reach:min_ttc:0.05": [0.7, 0.9, 1.0]},
               {"tail:min_ttc:0.05": [0.0] * 3, "reach:min_ttc:0.05": [0.0] * 3})
    m = _v(verdicts(empty, calibration=cal))["missing tails"]
    assert m.fired and m.descriptors == ("min_ttc",) and "min_ttc (0x the real mass, at most 0x" in m.message
    # real halves miss that tail too: not a failure of the synthetic set
    cal = _cal({"tail:min_ttc:0.05": [0.0, 1.0, 1.5], "reach:min_ttc:0.05": [0.0, 0.9, 1.0]},
               {"tail:min_ttc:0.05": [0.0] * 3, "reach:min_ttc:0.05": [0.0] * 3})
    assert not _v(verdicts(empty, calibration=cal))["missing tails"].fired
    # with too few real windows the tail is not judged, and the message says so
    few = _tails(empty, judged=False, n_real=8)
    m = _v(verdicts(few, calibration=cal))["missing tails"]
    assert not m.fired and "not enough real tail to judge min_ttc 0.05 (8 real windows)" in m.message


def test_shortcut_names_the_descriptors_beyond_their_own_band(base):
    c = dataclasses.replace(base.classifier, auc=0.95, auc_chance=(0.4, 0.6))
    f = dataclasses.replace(base.fidelity, separation={"min_ttc": 0.9, "min_thw": 0.5, "ego_speed_mean": 0.3},
                            median_shift={"min_ttc": -2.5, "min_thw": 0.3, "ego_speed_mean": 0.1})
    r = dataclasses.replace(base, classifier=c, fidelity=f)
    cal = _cal({"auc": [0.4, 0.5, 0.6], "separation:min_ttc": [0.0, 0.1, 0.2], "separation:min_thw": [0.3, 0.4, 0.5],
                "separation:ego_speed_mean": [0.0, 0.05, 0.1]}, {})
    s = _v(verdicts(r, calibration=cal))["shortcut risk"]
    assert s.fired and s.descriptors == ("min_ttc", "ego_speed_mean")  # min_thw separates real halves as much
    assert s.actions[0].startswith("min_ttc alone separates at 0.90 (real vs real 0 to 0.2; median -2.5 sd")
    # the thresholds move the verdicts
    assert not _v(verdicts(r, Thresholds(shortcut_auc=0.99), calibration=cal))["shortcut risk"].fired
