"""Coverage metrics: exact pieces against brute force, and the properties that make them trustworthy
(held-out real data looks like real data; injected collapse, drift and missing tails are called)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from coverage_helpers import real_pool, real_pool_grouped
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
    score,
    vendi,
)
from scenariogen.coverage.verdict import Thresholds, summary, verdicts
from scenariogen.errors import TooFewSamplesError

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
    with pytest.raises(TooFewSamplesError):
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


# ---------------------------------------------------------------------------- grouped folds


def test_grouped_folds_keep_a_vehicles_windows_in_one_fold(heldout):
    """Real vs real, split by vehicle: the overlapping 3 s windows (1 s stride) of one vehicle are
    near-copies. With plain folds the classifier learns the vehicles and "tells the sets apart";
    with folds grouped by vehicle it is at chance, and no shortcut risk is called."""
    D, g = real_pool_grouped()
    names, codes = np.unique(g.astype(str), return_inverse=True)
    assert len(names) < len(D) / 3  # several windows per vehicle
    first = np.isin(codes, np.random.default_rng(0).permutation(len(names))[: len(names) // 2])
    st, _ = fit_standardiser(D[first])
    X, Y = st(D[first]), st(D[~first])
    okx, oky = np.isfinite(X).all(1), np.isfinite(Y).all(1)
    X, Y, gx, gy = X[okx], Y[oky], g[first][okx], g[~first][oky]
    c = classifier_test(X, Y, st.names, 5000, 5, 0, gx, gy)
    assert c.grouped and c.n_per_class == len(X) < len(Y)  # every real window is used
    assert c.groups_real == len(np.unique(gx)) and c.groups_synthetic <= len(np.unique(gy))
    assert c.effective_real < c.n_per_class  # the chance interval counts sources, not windows
    assert c.accuracy_chance[0] <= c.accuracy <= c.accuracy_chance[1]
    assert c.auc_chance[0] <= c.auc <= c.auc_chance[1]
    assert not {v.name: v for v in verdicts(dataclasses.replace(heldout, classifier=c))}["shortcut risk"].fired
    plain = classifier_test(X, Y, st.names, 5000, 5, 0)
    assert not plain.grouped and plain.auc > 0.75  # the leak the grouping removes


# ---------------------------------------------------------------------------- verdict wording


def test_partial_enrichment_names_the_missing_and_the_enriched_tails(split):
    """Held-out data without the real ego_max_decel tail and with the min-TTC tail four times over:
    missing tails names ego_max_decel (only), and enriching still credits min_ttc."""
    X, Y = split
    st, _ = fit_standardiser(X)
    ttc = Y[:, COL["min_ttc"]] <= np.quantile(X[:, COL["min_ttc"]], 0.05)
    decel = Y[:, COL["ego_max_decel"]] >= np.quantile(X[:, COL["ego_max_decel"]], 0.95)
    extra = np.repeat(Y[ttc & ~decel], 4, axis=0)
    extra[:, list(st.columns)] += 0.02 * st.scale * np.random.default_rng(7).normal(size=(len(extra), len(st.columns)))
    r = score(X, np.concatenate([Y[~decel], extra]))
    vs = {v.name: v for v in verdicts(r)}
    miss, rich = vs["missing tails"], vs["enriching"]
    assert miss.fired and miss.descriptors == ("ego_max_decel",)
    assert "ego_max_decel (0x the real mass" in miss.message and "enrich min_ttc" in miss.message
    assert rich.fired and rich.descriptors[0] == "min_ttc" and "ego_max_decel" not in rich.descriptors
    assert "other risky tails are missing" in rich.message
    assert not vs["simulator drift"].fired and not vs["collapse"].fired


def test_low_tail_reach_under_drift_is_not_called_a_missing_tail(heldout):
    """The measured cut-in case: CE puts 5.6x the real joint-tail mass and 4.5x the min-TTC tail's
    there, but the simulator drifts
    (80 % off-support, coverage 0.15), so only a third of the joint tail's real samples are reached in
    the full space. That is the drift's doing: missing tails stays quiet and says so, enriching names
    the tails it raises but does not count them while drift holds."""
    r = heldout
    tails = []
    for t in r.tails:
        if t.descriptor == "joint":
            t = dataclasses.replace(t, enrichment=5.6, reach=0.33)
        elif t.descriptor == "min_ttc":
            t = dataclasses.replace(t, enrichment=4.5, reach_1d=1.0, reach=0.0)
        elif t.descriptor in r.settings.risky:
            t = dataclasses.replace(t, enrichment=1.0, reach_1d=1.0)
        tails.append(t)
    drift = dataclasses.replace(r.fidelity, off_support=0.8, coverage=0.15)
    vs = {v.name: v for v in verdicts(dataclasses.replace(r, tails=tuple(tails), fidelity=drift))}
    assert vs["simulator drift"].fired
    assert not vs["missing tails"].fired and "see simulator drift" in vs["missing tails"].message
    e = vs["enriching"]
    assert not e.fired and "min_ttc 4.5x the real mass of its 0.05 tail" in e.message
    assert "simulator drift" in e.message
    # the same tail reach with the bulk well covered is a missing tail
    vs = {v.name: v for v in verdicts(dataclasses.replace(r, tails=tuple(tails)))}
    assert vs["missing tails"].fired and "joint" in vs["missing tails"].descriptors
    assert vs["enriching"].fired and "min_ttc" in vs["enriching"].message
