"""Coverage metrics: exact pieces against brute force, and the properties that make them trustworthy
(held-out real data looks like real data; injected collapse, drift and missing tails are called)."""

from __future__ import annotations

import numpy as np
import pytest
from coverage_helpers import real_pool
from scipy.spatial.distance import cdist

from scenariogen.coverage import DESCRIPTOR_NAMES
from scenariogen.coverage.metrics import (
    CoverageSettings,
    _inside_union,
    _intervals_1d,
    _joint_scores,
    ball_hits,
    fit_standardiser,
    knn_radii,
    score,
    vendi,
)
from scenariogen.coverage.verdict import Thresholds, summary, verdicts

COL = {n: k for k, n in enumerate(DESCRIPTOR_NAMES)}
FAILURES = {"missing tails", "simulator drift", "collapse", "shortcut risk"}


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
    with pytest.raises(ValueError):
        score(X[:4], X)
    with pytest.raises(ValueError):
        score(X, X[:, :5])
    with pytest.raises(ValueError):
        score(X, X, weights=-np.ones(100))


# ---------------------------------------------------------------------------- properties on real data


@pytest.fixture(scope="module")
def split():
    D = real_pool()
    assert len(D) >= 500
    perm = np.random.default_rng(1).permutation(len(D))
    half = len(D) // 2
    return D[perm[:half]], D[perm[half:]]


@pytest.fixture(scope="module")
def heldout(split):
    X, Y = split
    return score(X, Y)


def test_heldout_real_is_neutral(heldout):
    r = heldout
    assert abs(r.fidelity.density - 1.0) <= 0.15
    assert r.fidelity.coverage >= 0.9
    c = r.classifier
    assert c.accuracy_chance[0] <= c.accuracy <= c.accuracy_chance[1]
    vs = {v.name: v for v in verdicts(r)}
    assert not any(vs[n].fired for n in FAILURES), summary(tuple(vs.values()))
    assert summary(tuple(vs.values())) in ("neutral", "enriching")
    assert 0.7 <= r.diversity.vendi_ratio <= 1.3


def test_same_inputs_same_numbers(split, heldout):
    again = score(*split)
    assert again.classifier == heldout.classifier and again.fidelity == heldout.fidelity
    assert again.tails == heldout.tails and again.diversity == heldout.diversity


def test_injected_collapse(split, heldout):
    X, Y = split
    st, _ = fit_standardiser(X)
    rng = np.random.default_rng(2)
    modes = Y[rng.choice(len(Y), 5, replace=False)]
    Yc = modes[rng.integers(0, 5, len(Y))]
    Yc[:, list(st.columns)] += 0.05 * st.scale * rng.normal(size=(len(Y), len(st.columns)))
    r = score(X, Yc)
    assert heldout.fidelity.coverage - r.fidelity.coverage >= 0.3
    assert r.diversity.vendi_synthetic <= 0.6 * heldout.diversity.vendi_synthetic
    vs = {v.name: v for v in verdicts(r)}
    assert vs["collapse"].fired and "Vendi" in vs["collapse"].message
    assert not vs["enriching"].fired


def test_injected_drift_is_named(split):
    X, Y = split
    st, _ = fit_standardiser(X)
    name = "ego_speed_mean"
    Yd = Y.copy()
    Yd[:, COL[name]] += 3.0 * st.scale[st.names.index(name)]  # 3 sd of the standardised descriptor
    r = score(X, Yd)
    assert r.fidelity.density < 0.2
    assert r.classifier.accuracy > 0.9
    vs = {v.name: v for v in verdicts(r)}
    assert vs["simulator drift"].fired
    assert vs["simulator drift"].descriptors[0] == name and name in vs["simulator drift"].message
    assert next(iter(r.classifier.separation)) == name
    assert vs["shortcut risk"].fired and name in vs["shortcut risk"].descriptors


def test_bulk_without_tail_misses_tails(split):
    X, Y = split
    risky = CoverageSettings().risky
    cols = [COL[n] for n in risky if n != "min_pet"]
    sides = ["high" if n in ("ego_max_decel", "max_drac") else "low" for n in risky if n != "min_pet"]
    sx, sy = _joint_scores(X[:, cols], Y[:, cols], sides)
    bulk = Y[sy > np.quantile(sx, 0.3)]  # held-out samples away from every risky tail
    r = score(X, bulk)
    vs = {v.name: v for v in verdicts(r)}
    assert vs["missing tails"].fired and not vs["enriching"].fired
    assert r.tail("joint", 0.05).enrichment < 0.5
    assert not vs["simulator drift"].fired


def test_importance_weights_undo_tail_oversampling(split):
    """Synthetic = held-out data with the real min-TTC 5 % tail drawn 4x as often, weights p/q."""
    X, Y = split
    t = np.quantile(X[:, COL["min_ttc"]], 0.05)
    tail = Y[:, COL["min_ttc"]] <= t
    rng = np.random.default_rng(6)
    p = np.where(tail, 4.0, 1.0)
    p /= p.sum()
    rows = rng.choice(len(Y), 4000, p=p)
    w = (1.0 / len(Y)) / p[rows]
    r = score(X, Y[rows], weights=w)
    tr = r.tail("min_ttc", 0.05)
    assert tr.enrichment > 2.5
    assert abs(tr.weighted_enrichment - 1.0) < 0.4
    assert r.weighted


def test_thresholds_move_the_verdicts(heldout):
    strict = Thresholds(drift_off_support=0.0, shortcut_auc=0.0)
    vs = {v.name: v for v in verdicts(heldout, strict)}
    assert vs["simulator drift"].fired == (heldout.fidelity.off_support > 0)
