"""Coverage metrics: exact pieces against brute force, tails judged only from enough real windows with
cluster-bootstrap bounds, determinism, importance weights and grouped folds on real data (the calibrated
verdicts' statistical tests are in test_assess.py)."""

from __future__ import annotations

import numpy as np
import pytest
from coverage_helpers import heldout_real
from scipy.spatial.distance import cdist

from scenariogen.coverage import DESCRIPTOR_NAMES
from scenariogen.coverage.metrics import (
    CoverageSettings,
    _inside_union,
    _intervals_1d,
    _joint_scores,
    ball_hits,
    classifier_test,
    fit_standardiser,
    knn_radii,
    ratio_bounds,
    score,
    vendi,
)
from scenariogen.errors import ParameterError, TooFewSamplesError

COL = {n: k for k, n in enumerate(DESCRIPTOR_NAMES)}


# ---------------------------------------------------------------------------- exact pieces


def test_balls_match_brute_force():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 4))
    Y = rng.normal(0.3, 1.2, size=(500, 4))
    r = knn_radii(X, 5)
    d = cdist(X, X)
    np.testing.assert_allclose(r, np.sort(d, axis=1)[:, 5])
    counts, inside = ball_hits(X, r, Y)
    dyx = cdist(Y, X)
    np.testing.assert_array_equal(counts, (dyx <= r[None, :]).sum(0))
    np.testing.assert_array_equal(inside, (dyx <= r[None, :]).any(1))


def test_one_dimensional_union_of_balls():
    rng = np.random.default_rng(4)
    x = np.concatenate([rng.normal(size=200), rng.normal(8, 0.5, size=50)])
    y = rng.uniform(-5, 12, size=2000)
    starts, ends, r = _intervals_1d(x, 5)
    brute = (np.abs(y[:, None] - x[None, :]) <= r[None, :]).any(1)
    np.testing.assert_array_equal(_inside_union(starts, ends, y), brute)


def test_vendi_closed_form():
    far = np.eye(6) * 1e3  # six points far apart: six distinct modes
    v1, vh = vendi(far, 1.0)
    assert v1 == pytest.approx(6.0) and vh == pytest.approx(6.0)
    same = np.zeros((10, 3))  # ten copies of one point: one mode
    assert vendi(same, 1.0)[0] == pytest.approx(1.0)


def test_joint_score_is_the_most_extreme_risky_tail():
    X = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0], [4.0, 40.0]])
    Y = np.array([[0.5, 25.0], [3.5, 45.0], [2.5, 25.0]])
    sx, sy = _joint_scores(X, Y, ["low", "high"])
    np.testing.assert_allclose(sx, [0.25, 0.5, 0.5, 0.25])
    np.testing.assert_allclose(sy, [0.0, 0.0, 0.5])


def test_constant_columns_are_ignored_and_bad_input_refused():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(100, 13))
    X[:, COL["min_pet"]] = 10.0
    st, ignored = fit_standardiser(X)
    assert "min_pet" in ignored and "min_pet" not in st.names and len(st.names) == 12
    with pytest.raises(TooFewSamplesError):
        score(X[:4], X)
    with pytest.raises(ValueError):
        score(X, X[:, :5])
    with pytest.raises(ValueError):
        score(X, X, weights=-np.ones(100))


# ---------------------------------------------------------------------------- tails: support and bounds


def test_ratio_bounds_resample_real_clusters():
    """Bootstrap bounds bracket the ratio, widen when the real tail sits in few clusters, and a
    region the synthetic set never enters has both bounds at 0; bounds for several tails at once
    are wider than for one alone, and no wider than Bonferroni's for tails that move together."""
    rng = np.random.default_rng(0)
    n = 2000
    spread = np.arange(n) % 40  # 40 clusters, the tail spread over all of them
    tail = rng.random(n) < 0.05
    lumped = np.where(tail, np.arange(n) % 4, 4 + np.arange(n) % 36)  # the same tail in 4 clusters
    ((lo, hi),), c_lo, c_hi = ratio_bounds([tail], [0.15], spread, 2000, 0.05, 0)
    ((lo2, hi2),), _, _ = ratio_bounds([tail], [0.15], lumped, 2000, 0.05, 0)
    ratio = 0.15 / tail.mean()
    assert lo < ratio < hi and lo2 < lo and hi2 > hi
    assert 1.4 < c_lo < 2.0 and 1.4 < c_hi < 2.0  # one tail: about the one-sided normal quantile 1.64
    assert ratio_bounds([tail], [0.0], spread, 500, 0.05, 0)[0] == [(0.0, 0.0)]
    # six tails: three copies of one (they move together) and three independent ones
    others = [rng.random(n) < 0.05 for _ in range(3)]
    got, c6, _ = ratio_bounds([tail] * 3 + others, [0.15] * 6, spread, 4000, 0.05, 0)
    assert c_lo < c6 < 2.64  # more than one tail alone, less than Bonferroni's z(0.05 / 6) = 2.39 + slack
    assert got[0][0] < lo and got[0] == got[1] == got[2]


def test_tails_are_judged_from_enough_real_windows_with_corrected_bounds():
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(600, 13)), rng.normal(size=(900, 13))
    groups = np.arange(600) % 30
    r = score(X, Y, real_groups=groups, settings=CoverageSettings(bootstrap=300))
    risky = set(CoverageSettings().risky) | {"joint"}
    for t in r.tails:
        assert t.judged == (t.descriptor in risky and t.n_real >= 20)
        assert np.isnan(t.enrichment_low) != t.judged
        if t.judged:
            assert t.enrichment_low <= t.enrichment <= t.enrichment_high
    judged = sum(t.judged for t in r.tails)
    assert r.tail("min_ttc", 0.05).judged and not r.tail("min_ttc", 0.01).judged  # 30 and 6 real windows
    assert r.tail_test.judged == judged and r.tail_test.critical_low > 1.64  # several tails at once
    assert r.tail_test.real_units == 30
    with pytest.raises(ParameterError, match="min_tail_real"):
        CoverageSettings(min_tail_real=0)


def test_classifier_can_be_skipped():
    rng = np.random.default_rng(2)
    X, Y = rng.normal(size=(200, 13)), rng.normal(size=(200, 13))
    r = score(X, Y, classify=False, bounds=False)
    assert r.classifier is None and r.tail_test is None
    assert set(r.fidelity.separation) == set(r.names)


# ---------------------------------------------------------------------------- properties on real data


@pytest.fixture(scope="module")
def split():
    """Held-out NGSIM recordings split in two by recording: the real side and a synthetic stand-in."""
    D, rec, _src = heldout_real()
    names = np.unique(rec)
    other = np.isin(rec, np.random.default_rng(1).permutation(names)[: len(names) // 2])
    return D[~other], D[other], rec[~other], rec[other]


def test_same_inputs_same_numbers(split):
    X, Y, gx, gy = split
    a = score(X, Y, real_groups=gx, synthetic_groups=gy, settings=CoverageSettings(bootstrap=200))
    b = score(X, Y, real_groups=gx, synthetic_groups=gy, settings=CoverageSettings(bootstrap=200))
    assert a.classifier == b.classifier and a.fidelity == b.fidelity
    assert a.tails == b.tails and a.diversity == b.diversity and a.tail_test == b.tail_test


def test_importance_weights_undo_tail_oversampling(split):
    """Synthetic = the other recordings with the real min-TTC 5 % tail drawn 4x as often, weights p/q."""
    X, Y, _gx, _gy = split
    t = np.quantile(X[:, COL["min_ttc"]], 0.05)
    tail = Y[:, COL["min_ttc"]] <= t
    assert tail.sum() >= 5
    rng = np.random.default_rng(6)
    p = np.where(tail, 4.0, 1.0)
    p /= p.sum()
    rows = rng.choice(len(Y), 4000, p=p)
    w = (1.0 / len(Y)) / p[rows]
    r = score(X, Y[rows], weights=w, classify=False, bounds=False)
    tr = r.tail("min_ttc", 0.05)
    plain = score(X, Y, classify=False, bounds=False).tail("min_ttc", 0.05)
    assert tr.enrichment > 2.5 * plain.enrichment
    assert tr.weighted_enrichment == pytest.approx(plain.enrichment, rel=0.35)
    assert r.weighted


# ---------------------------------------------------------------------------- grouped folds


def test_folds_grouped_by_recording_not_by_vehicle():
    """Real vs real, split by recording (half of the held-out NGSIM recordings on each side), with
    overlapping 3 s windows (1 s stride). Plain folds learn the vehicles and recordings and "tell real
    from real"; folds grouped by ego track still do (the windows of one recording share traffic, the
    leak the issue found); grouped by recording the AUC is inside the chance interval, which counts
    recordings, not windows."""
    D, rec, src = heldout_real(3.0, 1.0)
    names = np.unique(rec)
    first = np.isin(rec, np.random.default_rng(0).permutation(names)[: len(names) // 2])
    st, _ = fit_standardiser(D[first])
    X, Y = st(D[first]), st(D[~first])
    okx, oky = np.isfinite(X).all(1), np.isfinite(Y).all(1)
    X, Y = X[okx], Y[oky]
    (rx, ry), (sx, sy) = (rec[first][okx], rec[~first][oky]), (src[first][okx], src[~first][oky])
    assert len(np.unique(sx)) < len(X) / 2  # several windows per vehicle
    plain = classifier_test(X, Y, st.names, 5000, 5, 0)
    by_vehicle = classifier_test(X, Y, st.names, 5000, 5, 0, sx, sy)
    c = classifier_test(X, Y, st.names, 5000, 5, 0, rx, ry)
    assert not plain.grouped and plain.auc > 0.7
    assert by_vehicle.grouped and by_vehicle.auc > by_vehicle.auc_chance[1]  # the leak grouping by vehicle leaves
    assert c.grouped and c.n_per_class == min(len(X), len(Y))
    assert c.groups_real == len(np.unique(rx)) and c.groups_synthetic == len(np.unique(ry))
    assert c.effective_real <= c.groups_real  # the chance interval counts recordings, not windows
    assert c.auc_chance[0] <= c.auc <= c.auc_chance[1]
    assert c.accuracy_chance[0] <= c.accuracy <= c.accuracy_chance[1]
