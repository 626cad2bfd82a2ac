"""The cross-entropy sampler's full-covariance latent Gaussian (default ``family='gaussian'``)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from scenariogen.dsl.distributions import (
    LogNormal,
    Normal,
    Parameter,
    ParameterSpace,
    Uniform,
)
from scenariogen.errors import SamplerOptionsError
from scenariogen.sampling import get_sampler, run_estimate
from scenariogen.sampling.latent import _LatentMap
from scenariogen.sampling.toy import GaussianTail


@pytest.mark.parametrize("dist", [Normal(2.0, 3.0), Normal(25.0, 3.0, low=15.0, high=35.0),
                                  Normal(0.0, 1.0, low=2.5), Normal(0.0, 1.0, high=-2.5),
                                  Uniform(0.5, 3.0), LogNormal(1.0, 0.3)])
def test_latent_map_matches_the_cdf_and_round_trips(dist):
    m = _LatentMap(dist)
    z = np.linspace(-7.0, 7.0, 57)
    theta = m.to_theta(z)
    assert np.all(np.diff(theta) >= 0)
    lo, hi = dist.bounds()
    assert np.all((theta >= lo) & (theta <= hi))
    # theta = F^{-1}(Phi(z)) where that is computable in double precision
    mid = np.abs(z) < 5
    assert np.allclose(theta[mid], dist.ppf(stats.norm.cdf(z[mid])), rtol=1e-7, atol=1e-9)
    back = m.to_latent(theta)
    assert np.allclose(back[mid], z[mid], atol=1e-6)


def test_gaussian_block_follows_a_tilted_failure_region():
    """On GaussianTail(2) the failure region is tilted 45 degrees against the axes: the fitted
    latent covariance is strongly negatively correlated and the final proposal has a smaller
    relative variance than the product family's."""
    toy = GaussianTail(2, 1e-4)
    relvar = {}
    for fam in ("gaussian", "product"):
        rv = []
        for seed in range(4):
            s = get_sampler("ce", toy.space, seed, family=fam, rho=0.2)
            st = 0
            while s.adapting:
                prop = s.propose(200, st)
                s.update(prop, toy(prop.theta))
                st += 1
            if fam == "gaussian":
                c = s.gauss.cov
                assert c[0, 1] / np.sqrt(c[0, 0] * c[1, 1]) < -0.5
            prop = s.propose(40_000, st)
            y = np.where(toy(prop.theta) < 0, np.exp(prop.log_weight), 0.0)
            rv.append(y.var() / toy.p ** 2)
        relvar[fam] = np.median(rv)
    assert relvar["gaussian"] < 0.7 * relvar["product"], relvar


def test_unknown_family_and_bad_floor():
    space = ParameterSpace((Parameter("x", Normal(0.0, 1.0)),))
    with pytest.raises(SamplerOptionsError, match="family"):
        get_sampler("ce", space, 0, family="beta")
    with pytest.raises(SamplerOptionsError, match="latent_floor"):
        get_sampler("ce", space, 0, latent_floor=0.0)


def test_sequential_stop_keeps_coverage():
    """The sequential stop at a target relative half-width (with its 20-event guard), as the
    cost benchmark uses it: 90 % intervals cover the truth for most seeds and the mean is right.
    Each estimate has a relative sd of about 0.3 / 1.645, so the mean of 40 has one of about
    3 %: the mean is checked to 10 % here (the fixed-budget oracle tests hold it to 5 %).
    Measured on 100 seeds: coverage 0.90, mean/true 1.01."""
    toy = GaussianTail(2, 1e-4)
    ests = [run_estimate("ce", toy.space, toy, 20_000, seed=s, n_per_stage=30, rho=0.2, target_rhw=0.3,
                         chunk=10, confidence=0.9) for s in range(40)]
    assert all(e.rel_half_width <= 0.3 and e.details["n_final"] > 0 for e in ests)
    assert all(e.n_events >= 20 for e in ests)
    cover = np.mean([e.covers(toy.p) for e in ests])
    mean_ratio = np.mean([e.p for e in ests]) / toy.p
    assert cover >= 0.8, cover
    assert abs(mean_ratio - 1) <= 0.1, mean_ratio
