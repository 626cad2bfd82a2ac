"""The cross-entropy sampler's Gaussian-mixture family (``family='mixture'``) and the
Pareto tail diagnostic of the importance weights."""

from __future__ import annotations

import json

import numpy as np
import pytest

from scenariogen.errors import SamplerOptionsError
from scenariogen.sampling import (
    Proposal,
    estimate_probability,
    get_sampler,
    run_estimate,
)
from scenariogen.sampling.estimate import pareto_khat
from scenariogen.sampling.mixture import _weighted_em
from scenariogen.sampling.toy import GaussianTail, TwoSidedTail


def _adapt(s, model, n=500):
    st = 0
    while s.adapting:
        prop = s.propose(n, st)
        s.update(prop, model(prop.theta))
        st += 1
    return st


def test_weighted_em_finds_two_separated_clusters():
    rng = np.random.default_rng(0)
    z = np.vstack([rng.normal(-3.0, 0.5, (300, 2)), rng.normal(3.0, 0.5, (100, 2))])
    w = np.full(400, 1.0 / 400)
    pis, means, covs, _ = _weighted_em(z, w, 2, 0.1, key=7)
    order = np.argsort(means[:, 0])
    assert np.allclose(pis[order], [0.75, 0.25], atol=0.01)
    assert np.allclose(means[order], [[-3, -3], [3, 3]], atol=0.15)
    # the weights act like frequencies: triple the weight of the second cluster
    w2 = np.where(np.arange(400) >= 300, 3.0, 1.0)
    pis2, _, _, _ = _weighted_em(z, w2 / w2.sum(), 2, 0.1, key=7)
    assert np.allclose(np.sort(pis2), [0.5, 0.5], atol=0.01)
    # deterministic; the covariance floor holds
    again = _weighted_em(z, w, 2, 0.1, key=7)
    assert all(np.array_equal(a, b) for a, b in zip((pis, means, covs), again[:3]))
    assert np.all(np.linalg.eigvalsh(covs) >= 0.1 ** 2 - 1e-12)


def test_mixture_covers_both_modes_and_beats_one_gaussian():
    """TwoSidedTail: two failure regions on opposite sides. One normal fitted to both sits
    between them (or on one side); the mixture puts a component on each, so its final proposal
    has a far smaller relative variance per sample, E_q[(1{E} w)^2] / p^2 - 1."""
    toy = TwoSidedTail(2, 1e-4)
    relvar = {}
    for fam in ("gaussian", "mixture"):
        rv = []
        for seed in range(3):
            s = get_sampler("ce", toy.space, seed, family=fam)
            st = _adapt(s, toy)
            if fam == "mixture":
                assert s.gauss.n_components == 2
                sides = np.sign(s.gauss.means @ toy.a)
                assert sorted(sides) == [-1.0, 1.0]
            prop = s.propose(40_000, st)
            y = np.where(toy(prop.theta) < 0, np.exp(prop.log_weight), 0.0)
            rv.append(np.mean(y ** 2) / toy.p ** 2 - 1.0)
        relvar[fam] = float(np.median(rv))
    assert relvar["mixture"] < 0.5 * relvar["gaussian"], relvar


def test_mixture_estimates_two_sided_tail():
    toy = TwoSidedTail(2, 1e-4)
    ests = [run_estimate("ce", toy.space, toy, 6000, seed=s, n_per_stage=500, max_adapt_fraction=0.6,
                         family="mixture") for s in range(20)]
    ps = np.array([e.p for e in ests])
    assert abs(ps.mean() / toy.p - 1) < 0.05
    assert np.mean([e.covers(toy.p) for e in ests]) >= 0.85


def test_mixture_is_one_gaussian_on_a_single_mode():
    """With one failure region, BIC keeps a single component."""
    toy = GaussianTail(2, 1e-4)
    s = get_sampler("ce", toy.space, 3, family="mixture")
    _adapt(s, toy)
    assert s.gauss.n_components == 1


def test_mixture_rows_addressable_and_state_round_trips(mixed_space):
    toy = TwoSidedTail(2, 1e-4)
    s = get_sampler("ce", toy.space, 5, family="mixture")
    st = _adapt(s, toy)
    for stage in (st - 1, st):  # an adaptation stage's rows and final rows
        if stage == st - 1:
            s2 = get_sampler("ce", toy.space, 5, family="mixture")
            s2.load_state(json.loads(json.dumps(s.state_dict())))
            s2._adapting = True  # an adaptation-stage proposal from the same fit
            src = s2
        else:
            src = s
        whole = src.propose(700, stage)
        parts = Proposal.concat([src.propose(b - a, stage, a) for a, b in ((0, 1), (1, 333), (333, 700))])
        assert np.array_equal(whole.theta, parts.theta)
        assert np.array_equal(whole.log_weight, parts.log_weight)
    # JSON round trip of the state proposes bit-identically
    r = get_sampler("ce", toy.space, 5, family="mixture")
    r.load_state(json.loads(json.dumps(s.state_dict())))
    a, b = s.propose(300, st, 50), r.propose(300, st, 50)
    assert np.array_equal(a.theta, b.theta) and np.array_equal(a.log_weight, b.log_weight)
    # the weights are exact: log p - log q_mix
    assert np.allclose(a.log_weight, s.space.logpdf(a.theta) - s.log_q_mix(a.theta), atol=1e-9)
    # a state of the other family is refused
    g = get_sampler("ce", toy.space, 5, family="gaussian")
    with pytest.raises(ValueError, match="latent"):
        g.load_state(json.loads(json.dumps(s.state_dict())) | {"options": {**s.options, "family": "gaussian"}})


def test_mixture_on_mixed_space(mixed_space):
    def robustness_of(theta):  # event rate a few per cent, driven by several parameter kinds
        return 2.6 - 0.8 * (theta[:, 0] - 1.75) ** 2 - 0.2 * theta[:, 2] - 0.3 * theta[:, 5] \
            - 0.2 * theta[:, 4] + 0.1 * (theta[:, 1] - 25.0) - 0.1 * theta[:, 6]

    s = get_sampler("ce", mixed_space, 2, family="mixture")
    st = 0
    for st in range(4):
        if not s.adapting:
            break
        prop = s.propose(400, st)
        s.update(prop, robustness_of(prop.theta))
    prop = s.propose(500, st + 1)
    lo, hi = mixed_space.bounds().T
    assert np.all(prop.theta >= lo) and np.all(prop.theta <= hi)
    assert np.all(np.isfinite(prop.log_weight))


def test_bad_mixture_options():
    space = GaussianTail(2, 1e-3).space
    for opts, msg in (({"components": 0}, "components"), ({"min_component": 0.6}, "min_component"),
                      ({"select": "aic"}, "select")):
        with pytest.raises(SamplerOptionsError, match=msg):
            get_sampler("ce", space, 0, family="mixture", **opts)


def test_pareto_khat_separates_light_and_heavy_tails():
    rng = np.random.default_rng(4)
    light = rng.exponential(1.0, 20_000)          # k = 0
    bounded = rng.uniform(0.0, 1.0, 20_000)       # k = -1
    heavy = rng.pareto(1.0, 20_000) + 1.0         # k = 1 (infinite mean)
    assert abs(pareto_khat(light)) < 0.2
    assert pareto_khat(bounded) < -0.5
    assert pareto_khat(heavy) > 0.8
    assert np.isnan(pareto_khat(np.ones(5)))


def test_heavy_tail_diagnostic():
    """The weights' Pareto k is reported (not warned on: over seeds it flagged the runs whose
    interval missed no more often than the others, docs/sampling.md); tail_diagnostic=False skips it."""
    rng = np.random.default_rng(5)
    n = 20_000
    r = np.where(rng.random(n) < 0.3, -1.0, 1.0)
    heavy = np.log(rng.pareto(0.9, n) + 1.0) - 10.0
    e = estimate_probability(r, heavy)
    assert e.details["pareto_k"] > 0.7
    assert not any("pareto_k" in w for w in e.warnings)
    skipped = estimate_probability(r, heavy, tail_diagnostic=False)
    assert np.isnan(skipped.details["pareto_k"])
    assert skipped.p == e.p and skipped.ci_low == e.ci_low
    light = rng.normal(-5.0, 0.3, n)
    e = estimate_probability(r, light)
    assert e.details["pareto_k"] < 0.5
