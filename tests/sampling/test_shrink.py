"""ESS-aware refits of the cross-entropy sampler (options ``shrink`` and ``cat_shrink``): a refit
moves towards the elites' own fit only as far as their effective size supports."""

from __future__ import annotations

import numpy as np
import pytest

from scenariogen.dsl.distributions import Parameter, ParameterSpace, Poisson, Uniform
from scenariogen.errors import SamplerOptionsError
from scenariogen.sampling import get_sampler
from scenariogen.sampling.families import _CategoricalFamily, _step
from scenariogen.sampling.weights import kish_ess


def test_step_is_alpha_for_many_even_weights_and_small_for_one_dominant():
    even = np.ones(1000)
    assert kish_ess(even) == pytest.approx(1000.0)
    assert _step(0.7, kish_ess(even), 10, 2.0) == 0.7
    dominant = np.r_[1.0, np.full(99, 1e-6)]  # Kish ESS ~ 1
    assert _step(0.7, kish_ess(dominant), 10, 2.0) == pytest.approx(1.0 / 21.0, rel=1e-3)
    assert _step(0.7, kish_ess(dominant), 10, 0.0) == 0.7  # off


def test_categorical_does_not_collapse_on_a_few_heavy_elites():
    """Thirty elites whose weights are dominated by two rows with the value 2: without shrinkage
    the refit puts most of the mass on 2; with it, the fit stays near the previous one."""
    values = np.arange(6.0)
    base = np.full(6, 1 / 6)
    x = np.r_[2.0, 2.0, np.tile(values, 5)[:28]]
    w = np.r_[1.0, 0.8, np.full(28, 0.01)]
    plain = _CategoricalFamily(values, base.copy())
    plain.refit(x, w, 0.7)
    shrunk = _CategoricalFamily(values, base.copy())
    shrunk.refit(x, w, 0.7, shrink=2.0)
    assert plain.probs[2] > 0.5
    assert shrunk.probs[2] < 0.35  # the step is ESS / (ESS + 2 * 5), about 0.2
    assert np.isclose(shrunk.probs.sum(), 1.0)


def _space():
    return ParameterSpace((
        Parameter("gap", Uniform(0.0, 1.0)),
        Parameter("speed", Uniform(0.0, 1.0)),
        Parameter("count", Poisson(4.0, high=12), discrete=True),
    ))


def _robustness(theta):
    """Event when gap and speed are both small; the count does not matter."""
    return np.maximum(theta[:, 0], theta[:, 1]) - 0.02


@pytest.mark.parametrize("shrink", [0.0, 0.3])
def test_weights_stay_exact_with_and_without_shrinkage(shrink, run_stages):
    space = _space()
    s = get_sampler("ce", space, 3, shrink=shrink, cat_shrink=shrink / 0.3)
    prop = s.propose(4000, run_stages(s, _robustness, 200))
    assert np.allclose(prop.log_weight, space.logpdf(prop.theta) - s.log_q_mix(prop.theta))
    # an irrelevant discrete parameter keeps most of p's spread under shrinkage
    probs = s.families[0].probs
    if shrink:
        assert probs.max() < 0.5, probs


@pytest.mark.parametrize("key", ["shrink", "cat_shrink"])
def test_bad_shrink(key):
    with pytest.raises(SamplerOptionsError, match=key):
        get_sampler("ce", _space(), 1, **{key: -1.0})


def test_latent_normal_moves_its_mean_further_than_its_covariance():
    """A k-dimensional latent normal fits k numbers for its mean and k(k + 1) / 2 for its
    covariance: with a few effective elites (Kish size about 6.5 here) the mean moves most of the
    way towards theirs (step 6.5 / (6.5 + 0.3 k)), the covariance only a little (step 6.5 /
    (6.5 + 0.3 k(k + 1) / 2)), and the bigger block's covariance least."""
    from scenariogen.sampling.families import _LatentGaussian

    rng = np.random.default_rng(0)
    w = np.r_[1.0, 0.9, 0.8, np.full(27, 0.05)]
    ess = kish_ess(w)
    diag = {}
    for k in (2, 10):
        g = _LatentGaussian([None] * k, 0.3)
        z = rng.normal(2.0, 0.3, (30, k))
        g.refit(z, w, 0.7, shrink=0.3)
        m = (w / w.sum()) @ z
        assert np.allclose(g.mean, _step(0.7, ess, k, 0.3) * m)
        diag[k] = float(np.mean(np.diag(g.cov)))
    assert _step(0.7, ess, 10, 0.3) > 0.6
    assert diag[2] < diag[10] and diag[10] > 0.7  # from 1 towards about 0.09
