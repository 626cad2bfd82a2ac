"""Parameter distributions and the parameter space of a scenario family.

Every randomised field of a spec refers, through a :class:`Value`, to one
:class:`Parameter`. The :class:`ParameterSpace` orders them into the columns of
theta (B x d), samples them, maps uniforms through inverse CDFs (for quasi-MC),
and gives log p(theta) for importance weights. The densities and inverse CDFs use
``scipy.special`` only (never ``scipy.stats``, whose import costs a simulation's
start more CPU than the rest of it), imported by the first density or inverse CDF, so
reading and checking a spec (bounds only) loads no SciPy at all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Union

import numpy as np

# ---------------------------------------------------------------- distributions


@dataclass(frozen=True)
class Uniform:
    """Uniform on [low, high]."""

    low: float
    high: float

    def bounds(self) -> tuple[float, float]:
        return (self.low, self.high)

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        inside = (x >= self.low) & (x <= self.high)
        width = self.high - self.low
        if width == 0.0:
            return np.where(x == self.low, 0.0, -np.inf)
        return np.where(inside, -math.log(width), -np.inf)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return self.low + u * (self.high - self.low)


@dataclass(frozen=True)
class Normal:
    """Normal(mean, std), optionally truncated to [low, high] (either may be None)."""

    mean: float
    std: float
    low: float | None = None
    high: float | None = None

    def _standard(self) -> tuple[float, float]:
        """The truncation bounds in standard deviations from the mean (infinite where open)."""
        a = -math.inf if self.low is None else (self.low - self.mean) / self.std
        b = math.inf if self.high is None else (self.high - self.mean) / self.std
        return a, b

    def bounds(self) -> tuple[float, float]:
        lo = -math.inf if self.low is None else self.low
        hi = math.inf if self.high is None else self.high
        return (lo, hi)

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        a, b = self._standard()
        z = (np.asarray(x, dtype=float) - self.mean) / self.std
        lp = (-0.5 * z * z - _LOG_SQRT_2PI - _log_normal_mass(a, b)) - math.log(self.std)
        return np.where((z >= a) & (z <= b), lp, -np.inf)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        from scipy.special import log_ndtr, ndtri_exp

        a, b = self._standard()
        u = np.asarray(u, dtype=float)
        log_mass = _log_normal_mass(a, b)
        if a < 0.0:  # Phi(z) = Phi(a) + u * mass, in logs: exact far out in the left tail
            z = ndtri_exp(np.logaddexp(float(log_ndtr(a)), np.log(u) + log_mass))
        else:  # the window lies right of the mean: the mirror image, Phi(-z) = Phi(-b) + (1 - u) * mass
            z = -ndtri_exp(np.logaddexp(float(log_ndtr(-b)), np.log1p(-u) + log_mass))
        return self.mean + self.std * np.clip(z, a, b)


_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def _log1mexp(d: float) -> float:
    """log(1 - e^d) for d <= 0, accurate at both ends."""
    return math.log(-math.expm1(d)) if d > -math.log(2.0) else math.log1p(-math.exp(d))


def _log_poisson_tail(high: int, lam: float) -> float:
    """log P(X >= high) of a Poisson(lam): the regularised lower incomplete gamma P(high, lam), or,
    where that underflows (high far above lam), the log of the sum of the pmf from high on."""
    from scipy.special import gammainc, gammaln

    g = float(gammainc(high, lam))
    if g > 1e-300:
        return math.log(g)
    k = high + np.arange(2000.0)  # the terms shrink at least geometrically here (lam / k << 1)
    lp = k * math.log(lam) - gammaln(k + 1.0) - lam
    top = float(lp.max())
    return top + math.log(float(np.exp(lp - top).sum()))


def _log_normal_mass(a: float, b: float) -> float:
    """log(Phi(b) - Phi(a)) for a < b, without cancellation in either tail."""
    from scipy.special import log_ndtr, ndtr

    if a > 0.0:  # both bounds right of the mean: the mirror image lies in the left tail
        a, b = -b, -a
    if b <= 0.0:  # both in the left tail: difference of logs
        hi = float(log_ndtr(b))
        return hi + _log1mexp(float(log_ndtr(a)) - hi)
    return math.log1p(-float(ndtr(a)) - float(ndtr(-b)))  # the mean inside: 1 minus both tails


@dataclass(frozen=True)
class LogNormal:
    """Log-normal: log(X) ~ Normal(mu, sigma); ``median`` = exp(mu)."""

    mu: float
    sigma: float

    def bounds(self) -> tuple[float, float]:
        return (0.0, math.inf)

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            lx = np.log(x)
            z = (lx - self.mu) / self.sigma
            lp = -0.5 * z * z - _LOG_SQRT_2PI - math.log(self.sigma) - lx
        return np.where(x > 0.0, lp, -np.inf)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        from scipy.special import ndtri

        return math.exp(self.mu) * np.exp(self.sigma * ndtri(np.asarray(u, dtype=float)))


@dataclass(frozen=True)
class Choice:
    """One of ``values`` with probabilities ``weights`` (normalised; equal if not given)."""

    values: tuple[float, ...]
    weights: tuple[float, ...]

    def bounds(self) -> tuple[float, float]:
        return (min(self.values), max(self.values))

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        out = np.full(x.shape, -np.inf)
        for v, w in zip(self.values, self.weights):
            out = np.where(x == v, np.logaddexp(out, math.log(w)) if w > 0 else out, out)
        return out

    def ppf(self, u: np.ndarray) -> np.ndarray:
        cdf = np.cumsum(self.weights)
        cdf[-1] = 1.0
        idx = np.searchsorted(cdf, np.asarray(u), side="right")
        idx = np.minimum(idx, len(self.values) - 1)
        return np.asarray(self.values, dtype=float)[idx]


@dataclass(frozen=True)
class Poisson:
    """Poisson(lam) for counts, optionally capped at ``high`` (mass above folded into high)."""

    lam: float
    high: int | None = None

    def bounds(self) -> tuple[float, float]:
        return (0.0, math.inf if self.high is None else float(self.high))

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        from scipy.special import gammaln

        x = np.asarray(x, dtype=float)
        count = (x >= 0.0) & (x < math.inf)
        k = np.where(count, x, 0.0)
        lp = np.where(count, k * math.log(self.lam) - gammaln(k + 1.0) - self.lam, -np.inf)
        if self.high is not None:  # log P(X >= high) = log of the regularised lower gamma P(high, lam)
            tail = _log_poisson_tail(self.high, self.lam) if self.high > 0 else 0.0
            lp = np.where(x == self.high, tail, np.where(x > self.high, -np.inf, lp))
        return np.where(np.floor(x) == x, lp, -np.inf)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """The least count k with P(X <= k) >= u (above the median through P(X > k) <= 1 - u, which
        keeps its precision where P(X <= k) rounds to 1)."""
        from scipy.special import pdtr, pdtrc, pdtrik

        u = np.asarray(u, dtype=float)
        upper = u > 0.5

        def enough(k):  # P(X <= k) >= u
            return np.where(upper, pdtrc(k, self.lam) <= 1.0 - u, pdtr(k, self.lam) >= u)

        k = np.maximum(np.ceil(pdtrik(u, self.lam)), 0.0)  # the continuous inversion, then exact steps
        for _ in range(1000):  # pdtrik is off by a few counts at most: this ends after one or two rounds
            down = (k > 0.0) & enough(np.maximum(k - 1.0, 0.0))
            up = ~enough(k) & ~np.isnan(k)
            if not (down.any() or up.any()):
                break
            k = k - down + up
        if self.high is not None:
            k = np.minimum(k, self.high)
        return np.asarray(k, dtype=float)


Distribution = Union[Uniform, Normal, LogNormal, Choice, Poisson]

# ------------------------------------------------------------------------ values


@dataclass(frozen=True)
class Const:
    """A fixed number."""

    value: float

    def resolve(self, row: np.ndarray | None = None, space: "ParameterSpace | None" = None) -> float:
        return self.value


@dataclass(frozen=True)
class Ref:
    """The value of parameter ``name`` (a column of theta)."""

    name: str

    def resolve(self, row: np.ndarray, space: "ParameterSpace") -> float:
        return float(row[space.index(self.name)])


Value = Union[Const, Ref]


# --------------------------------------------------------------- parameter space


@dataclass(frozen=True)
class Parameter:
    """One dimension of theta: its name (a ``params`` name or the key path where it
    was declared), its distribution, and whether it takes integer values."""

    name: str
    dist: Distribution
    discrete: bool = False

    @property
    def bounds(self) -> tuple[float, float]:
        return self.dist.bounds()


@dataclass(frozen=True)
class ParameterSpace:
    """The ordered parameters of a spec: theta has one column per parameter."""

    parameters: tuple[Parameter, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)

    @property
    def dim(self) -> int:
        return len(self.parameters)

    def __len__(self) -> int:
        return len(self.parameters)

    def index(self, name: str) -> int:
        for i, p in enumerate(self.parameters):
            if p.name == name:
                return i
        raise KeyError(name)

    def bounds(self) -> np.ndarray:
        """(d, 2) array of [low, high] per parameter (inf where unbounded)."""
        return np.array([p.bounds for p in self.parameters], dtype=float).reshape(-1, 2)

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        """Map uniforms u (n x d, in (0, 1)) through each inverse CDF to theta (n x d)."""
        u = np.atleast_2d(np.asarray(u, dtype=float))
        out = np.empty_like(u)
        for j, p in enumerate(self.parameters):
            out[:, j] = p.dist.ppf(u[:, j])
        return out

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw theta (n x d) from p(theta) with the given generator."""
        u = rng.random((n, self.dim))
        # keep u strictly inside (0, 1) so inverse CDFs stay finite
        np.clip(u, 1e-16, 1.0 - 1e-16, out=u)
        return self.from_unit(u)

    def logpdf(self, theta: np.ndarray) -> np.ndarray:
        """log p(theta) per row (n,); -inf outside the support."""
        theta = np.atleast_2d(np.asarray(theta, dtype=float))
        out = np.zeros(theta.shape[0])
        for j, p in enumerate(self.parameters):
            out = out + p.dist.logpdf(theta[:, j])
        return out


def lognormal_from_mean_std(mean: float, std: float) -> LogNormal:
    """The log-normal with the given mean and standard deviation (of X itself)."""
    sigma2 = math.log1p((std / mean) ** 2)
    return LogNormal(mu=math.log(mean) - 0.5 * sigma2, sigma=math.sqrt(sigma2))


__all__ = [
    "Uniform",
    "Normal",
    "LogNormal",
    "Choice",
    "Poisson",
    "Distribution",
    "Const",
    "Ref",
    "Value",
    "Parameter",
    "ParameterSpace",
    "lognormal_from_mean_std",
]
