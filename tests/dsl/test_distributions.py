"""Distributions of the parameter space against closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from scenariogen.dsl.distributions import (
    Choice,
    LogNormal,
    Normal,
    Parameter,
    ParameterSpace,
    Poisson,
    Uniform,
    lognormal_from_mean_std,
)

N = 200_000  # samples for moment checks; the tolerance is 5 standard errors


def _phi(z: float) -> float:
    return math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi) if math.isfinite(z) else 0.0


def _Phi(z: float) -> float:
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))


def truncnorm_moments(mu, sd, low, high):
    """Mean and std of Normal(mu, sd) truncated to [low, high] (closed form)."""
    a = -math.inf if low is None else (low - mu) / sd
    b = math.inf if high is None else (high - mu) / sd
    z = _Phi(b) - _Phi(a)
    pa, pb = _phi(a), _phi(b)
    apa = a * pa if math.isfinite(a) else 0.0
    bpb = b * pb if math.isfinite(b) else 0.0
    mean = mu + sd * (pa - pb) / z
    var = sd**2 * (1 + (apa - bpb) / z - ((pa - pb) / z) ** 2)
    return mean, math.sqrt(var)


def capped_poisson_moments(lam, high):
    k = np.arange(0, (high or 0) + 200)
    pmf = np.exp(-lam + k * np.log(lam) - np.array([math.lgamma(i + 1) for i in k]))
    if high is not None:
        pmf = np.append(pmf[:high], pmf[high:].sum())
        k = np.arange(0, high + 1)
    mean = float((k * pmf).sum())
    return mean, math.sqrt(float(((k - mean) ** 2 * pmf).sum()))


# (distribution, closed-form mean, closed-form std)
CONTINUOUS = {
    "uniform": (Uniform(2.0, 5.0), 3.5, 3.0 / math.sqrt(12)),
    "normal": (Normal(3.0, 2.0), 3.0, 2.0),
    "normal_truncated": (Normal(27.0, 3.0, 15.0, 40.0), *truncnorm_moments(27.0, 3.0, 15.0, 40.0)),
    "normal_tight": (Normal(0.0, 1.0, 0.5, 1.5), *truncnorm_moments(0.0, 1.0, 0.5, 1.5)),
    "normal_low_only": (Normal(1.0, 2.0, low=0.0), *truncnorm_moments(1.0, 2.0, 0.0, None)),
    "normal_high_only": (Normal(1.0, 2.0, high=1.0), *truncnorm_moments(1.0, 2.0, None, 1.0)),
    "lognormal": (
        LogNormal(math.log(2.0), 0.4),
        2.0 * math.exp(0.08),
        math.sqrt(math.expm1(0.16)) * 2.0 * math.exp(0.08),
    ),
}
DISCRETE = {
    "choice": (Choice((0.0, 1.0, 2.0), (0.5, 0.3, 0.2)), 0.7, math.sqrt(0.3 + 0.8 - 0.49)),
    "choice_uniform": (Choice((-1.0, 4.0), (0.5, 0.5)), 1.5, 2.5),
    "poisson": (Poisson(6.0), 6.0, math.sqrt(6.0)),
    "poisson_capped": (Poisson(6.0, 8), *capped_poisson_moments(6.0, 8)),
}
ALL = {**CONTINUOUS, **DISCRETE}


def _space(dist) -> ParameterSpace:
    return ParameterSpace((Parameter("x", dist, discrete=isinstance(dist, Poisson)),))


@pytest.mark.parametrize("name", sorted(ALL))
def test_ppf_maps_unit_grid_inside_bounds(name):
    dist = ALL[name][0]
    u = np.linspace(1e-9, 1 - 1e-9, 1001)
    x = dist.ppf(u)
    lo, hi = dist.bounds()
    assert x.shape == u.shape
    assert np.all(np.isfinite(x))
    assert np.all((x >= lo) & (x <= hi))
    assert np.all(np.diff(x) >= 0), "an inverse CDF is non-decreasing"
    assert np.all(np.isfinite(dist.logpdf(x))), "ppf values lie in the support"


@pytest.mark.parametrize("name", sorted(ALL))
def test_sample_moments_match_closed_form(name):
    dist, mean, std = ALL[name]
    x = _space(dist).sample(np.random.default_rng(1234), N)[:, 0]
    assert x.mean() == pytest.approx(mean, abs=5 * std / math.sqrt(N))
    # the std of the sample std is about std / sqrt(2N) for near-normal data; allow heavier tails
    assert x.std() == pytest.approx(std, rel=0.02)


@pytest.mark.parametrize("name", sorted(CONTINUOUS))
def test_continuous_density_integrates_to_one(name):
    dist = CONTINUOUS[name][0]
    lo, hi = dist.bounds()
    # finite integration limits: the support, else far into the tails
    lo = lo if math.isfinite(lo) else float(dist.ppf(np.array([1e-12]))[0])
    hi = hi if math.isfinite(hi) else float(dist.ppf(np.array([1 - 1e-12]))[0])
    total, _ = integrate.quad(lambda t: float(np.exp(dist.logpdf(np.array([t]))[0])), lo, hi, limit=200)
    assert total == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("name", sorted(DISCRETE))
def test_discrete_mass_sums_to_one(name):
    dist = DISCRETE[name][0]
    lo, hi = dist.bounds()
    hi = hi if math.isfinite(hi) else 200.0
    k = np.arange(lo, hi + 1)
    assert np.exp(dist.logpdf(k)).sum() == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize(
    "dist, outside",
    [
        (Uniform(2.0, 5.0), [1.999, 5.001, -np.inf, np.inf]),
        (Normal(27.0, 3.0, 15.0, 40.0), [14.99, 40.01]),
        (Normal(1.0, 2.0, low=0.0), [-1e-6, -100.0]),
        (Normal(1.0, 2.0, high=1.0), [1.0001, 100.0]),
        (LogNormal(0.0, 1.0), [0.0, -1.0]),
        (Choice((0.0, 1.0, 2.0), (0.5, 0.3, 0.2)), [0.5, -1.0, 3.0]),
        (Choice((0.0, 1.0), (1.0, 0.0)), [1.0]),  # a value with zero weight
        (Poisson(6.0), [-1.0, 2.5]),
        (Poisson(6.0, 8), [9.0, 100.0, 7.5]),
    ],
    ids=repr,
)
def test_logpdf_is_minus_inf_outside_support(dist, outside):
    lp = dist.logpdf(np.array(outside, dtype=float))
    assert np.all(lp == -np.inf), lp


def test_uniform_point_mass():
    d = Uniform(3.0, 3.0)
    assert d.logpdf(np.array([3.0, 3.1])).tolist() == [0.0, -np.inf]
    assert np.all(d.ppf(np.linspace(0, 1, 5)) == 3.0)


def test_uniform_ppf_endpoints_exact():
    d = Uniform(-5.0, 20.0)
    np.testing.assert_allclose(d.ppf(np.array([0.0, 0.5, 1.0])), [-5.0, 7.5, 20.0])


def test_choice_ppf_splits_unit_interval_by_weight():
    d = Choice((10.0, 20.0, 30.0), (0.2, 0.5, 0.3))
    u = (np.arange(1000) + 0.5) / 1000
    x = d.ppf(u)
    assert [np.mean(x == v) for v in d.values] == pytest.approx([0.2, 0.5, 0.3], abs=1e-3)


def test_capped_poisson_puts_tail_on_cap():
    d = Poisson(6.0, 8)
    p8 = float(np.exp(d.logpdf(np.array([8.0])))[0])
    from scipy import stats

    assert p8 == pytest.approx(stats.poisson(6.0).sf(7))
    assert d.ppf(np.array([1 - 1e-12]))[0] == 8.0


def test_lognormal_from_mean_std_round_trip():
    d = lognormal_from_mean_std(3.0, 1.5)
    mean = math.exp(d.mu + d.sigma**2 / 2)
    std = mean * math.sqrt(math.expm1(d.sigma**2))
    assert (mean, std) == (pytest.approx(3.0), pytest.approx(1.5))


# ------------------------------------------------------------------ parameter space

SPACE = ParameterSpace(
    (
        Parameter("speed", Uniform(20.0, 30.0)),
        Parameter("gap", Normal(10.0, 2.0, 5.0, 20.0)),
        Parameter("count", Poisson(4.0, 10), discrete=True),
        Parameter("lanes", Choice((0.0, 1.0), (0.25, 0.75))),
        Parameter("react", LogNormal(math.log(0.5), 0.3)),
    )
)


def test_space_sample_is_deterministic_for_seeded_generator():
    a = SPACE.sample(np.random.default_rng(7), 64)
    b = SPACE.sample(np.random.default_rng(7), 64)
    c = SPACE.sample(np.random.default_rng(8), 64)
    assert a.shape == (64, SPACE.dim)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_space_sample_inside_bounds_with_finite_logpdf():
    theta = SPACE.sample(np.random.default_rng(0), 5000)
    b = SPACE.bounds()
    assert np.all((theta >= b[:, 0]) & (theta <= b[:, 1]))
    assert np.all(np.isfinite(SPACE.logpdf(theta)))
    assert np.all(theta[:, 2] == np.round(theta[:, 2]))


def test_space_logpdf_is_sum_of_columns():
    theta = SPACE.sample(np.random.default_rng(3), 10)
    want = sum(p.dist.logpdf(theta[:, j]) for j, p in enumerate(SPACE.parameters))
    np.testing.assert_allclose(SPACE.logpdf(theta), want)
    bad = theta.copy()
    bad[4, 0] = 31.0  # speed outside [20, 30]
    lp = SPACE.logpdf(bad)
    assert lp[4] == -np.inf and np.all(np.isfinite(np.delete(lp, 4)))


def test_space_from_unit_matches_ppf_per_column():
    u = np.random.default_rng(5).random((20, SPACE.dim))
    theta = SPACE.from_unit(u)
    for j, p in enumerate(SPACE.parameters):
        np.testing.assert_array_equal(theta[:, j], p.dist.ppf(u[:, j]))


def test_space_names_index_bounds():
    assert SPACE.names == ("speed", "gap", "count", "lanes", "react")
    assert SPACE.dim == len(SPACE) == 5
    assert SPACE.index("count") == 2
    with pytest.raises(KeyError):
        SPACE.index("nope")
    b = SPACE.bounds()
    np.testing.assert_array_equal(b[:4], [[20, 30], [5, 20], [0, 10], [0, 1]])
    assert b[4, 0] == 0.0 and b[4, 1] == np.inf


def test_empty_space():
    ps = ParameterSpace()
    assert ps.dim == 0
    assert ps.bounds().shape == (0, 2)
    theta = ps.sample(np.random.default_rng(0), 3)
    assert theta.shape == (3, 0)
    np.testing.assert_array_equal(ps.logpdf(theta), np.zeros(3))


# ------------------------------------------------ against scipy.stats (which the simulate path never loads)

# the uniforms the samplers hand to ppf reach 1e-300 (sampling.base) and 1 - 2**-53
_U = np.concatenate([[1e-300, 1e-100, 1e-30, 1e-16, 1e-12, 1e-6], np.linspace(0.001, 0.999, 97),
                     [1 - 1e-6, 1 - 1e-12, 1 - 2.0**-53]])
# (mean, std, low, high): open, one-sided, central, far out in either tail (up to 38 std), narrow
_TRUNCATIONS = [(0.0, 1.0, None, None), (3.0, 0.5, 2.0, 4.0), (0.0, 1.0, -0.1, 0.1), (0.0, 1.0, 5.0, None),
                (0.0, 1.0, None, -5.0), (0.0, 1.0, 20.0, 21.0), (10.0, 2.0, -66.0, -64.0), (0.0, 1.0, 38.0, None),
                (0.0, 1.0, -1e-9, 1e-9), (1.0, 3.0, 1.0, None), (1.0, 3.0, None, 1.0), (0.0, 1.0, 8.0, 8.000001),
                (5.0, 0.8, 3.5, 7.5)]


@pytest.mark.parametrize("mean,std,low,high", _TRUNCATIONS)
def test_truncated_normal_matches_scipy(mean, std, low, high):
    from scipy import stats

    d = Normal(mean, std, low, high)
    a = -np.inf if low is None else (low - mean) / std
    b = np.inf if high is None else (high - mean) / std
    ref = stats.truncnorm(a, b, loc=mean, scale=std)
    x = d.ppf(_U)
    want = ref.ppf(_U)
    # relative to the value, or to the std where the value is near 0 (a quantile's own precision)
    np.testing.assert_allclose(x, want, rtol=1e-12, atol=1e-12 * std)
    lo, hi = d.bounds()
    assert np.all((x >= lo) & (x <= hi))
    inside = x[(x > lo) & (x < hi)]
    np.testing.assert_allclose(d.logpdf(inside), ref.logpdf(inside), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mu,sigma", [(0.0, 1.0), (math.log(30.0), 0.3), (-3.0, 2.5)])
def test_lognormal_matches_scipy(mu, sigma):
    from scipy import stats

    d, ref = LogNormal(mu, sigma), stats.lognorm(s=sigma, scale=math.exp(mu))
    np.testing.assert_allclose(d.ppf(_U), ref.ppf(_U), rtol=1e-13)
    x = d.ppf(_U[1:-1])
    np.testing.assert_allclose(d.logpdf(x), ref.logpdf(x), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("lam,high", [(0.01, None), (0.7, None), (4.0, 9), (37.5, None), (2500.0, None),
                                      (1e6, None), (3.0, 0)])
def test_poisson_matches_scipy(lam, high):
    from scipy import stats

    from scipy.special import pdtrc

    d, ref = Poisson(lam, high), stats.poisson(lam)
    k = d.ppf(_U)
    want = ref.ppf(_U)
    if high is not None:
        want = np.minimum(want, high)
    mid = _U < 1 - 1e-9
    np.testing.assert_array_equal(k[mid], want[mid])  # counts: exact
    if high is None:  # where P(X <= k) rounds to 1 (scipy is off by one there): P(X > k) <= 1 - u < P(X > k - 1)
        top = ~mid
        assert np.all(pdtrc(k[top], lam) <= 1 - _U[top]) and np.all(pdtrc(k[top] - 1, lam) > 1 - _U[top])
    k = np.unique(np.concatenate([want, np.arange(0, 12)]))
    lp = d.logpdf(k)
    ref_lp = ref.logpmf(k)
    if high is not None:
        ref_lp = np.where(k == high, ref.logsf(high - 1), np.where(k > high, -np.inf, ref_lp))
    finite = np.isfinite(ref_lp)
    np.testing.assert_array_equal(np.isfinite(lp), finite)
    np.testing.assert_allclose(lp[finite], ref_lp[finite], rtol=1e-12, atol=1e-12)


def test_a_poisson_capped_far_above_its_mean_has_a_finite_log_density_at_the_cap():
    """P(X >= high) underflows in double precision for high far above lam (gammainc(500, 5) is 0):
    its log comes from the pmf's sum instead of raising a math domain error."""
    from scipy.special import gammaln

    from scenariogen.dsl.distributions import Poisson

    lp = Poisson(lam=5.0, high=500).logpdf(np.array([500.0, 501.0, 3.0]))
    pmf_500 = 500 * math.log(5.0) - float(gammaln(501.0)) - 5.0
    assert pmf_500 < lp[0] < pmf_500 + 0.02  # the next terms add about lam / 501 of the first
    assert lp[1] == -np.inf and np.isfinite(lp[2])
