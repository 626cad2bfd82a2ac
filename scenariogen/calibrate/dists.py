"""The free numbers of a distribution that calibration moves, and the distribution written back.

A fitted distribution keeps its kind: a ``uniform`` moves its two ends, a ``normal`` its mean and
standard deviation (a truncation stays where it was written), a ``lognormal`` its ``mu`` and
``sigma``, a ``poisson`` its mean (its cap stays). A ``choice`` is not fitted (the DSL refuses it).
A distribution whose support was non-negative stays non-negative.
"""

from __future__ import annotations

import math

import numpy as np

from ..dsl.distributions import Distribution, LogNormal, Normal, Poisson, Uniform, lognormal_from_mean_std
from ..errors import ScenarioGenError


def coords(d: Distribution) -> np.ndarray:
    """The free numbers of ``d`` (uniform: low, high; normal: mean, std; lognormal: mu, sigma;
    poisson: lam)."""
    if isinstance(d, Uniform):
        return np.array([d.low, d.high])
    if isinstance(d, Normal):
        return np.array([d.mean, d.std])
    if isinstance(d, LogNormal):
        return np.array([d.mu, d.sigma])
    if isinstance(d, Poisson):
        return np.array([d.lam])
    raise ScenarioGenError(f"a {type(d).__name__.lower()} distribution cannot be fitted")


def coord_names(d: Distribution) -> tuple[str, ...]:
    """Names of :func:`coords`, as the DSL writes them."""
    return {Uniform: ("low", "high"), Normal: ("mean", "std"), LogNormal: ("mu", "sigma"),
            Poisson: ("lam",)}[type(d)]


def scale(d: Distribution) -> float:
    """A typical size of a move of ``d``'s numbers: the step of the first simplex of the fit."""
    if isinstance(d, Uniform):
        return max(d.high - d.low, 0.1 * abs(d.high), 0.1)
    if isinstance(d, Normal):
        return max(d.std, 0.05 * abs(d.mean), 0.05)
    if isinstance(d, LogNormal):
        return max(d.sigma, 0.1)
    return max(0.3 * d.lam, 0.5)


def rebuild(d: Distribution, x: np.ndarray) -> Distribution | None:
    """``d`` with its free numbers set to ``x``; None where ``x`` is not a valid one of its kind
    (ends reversed, a scale <= 0, a mean outside a truncation, a sign the original did not have)."""
    x = [float(v) for v in x]
    if not all(math.isfinite(v) for v in x):
        return None
    if isinstance(d, Uniform):
        lo, hi = x
        if lo > hi or (d.low >= 0 and lo < 0) or (d.low > 0 and lo <= 0):
            return None
        return Uniform(lo, hi)
    if isinstance(d, Normal):
        mean, std = x
        if not std > 0:
            return None
        if (d.low is not None and mean < d.low) or (d.high is not None and mean > d.high):
            return None
        return Normal(mean, std, d.low, d.high)
    if isinstance(d, LogNormal):
        mu, sigma = x
        return LogNormal(mu, sigma) if sigma > 0 else None
    if isinstance(d, Poisson):
        (lam,) = x
        return Poisson(lam, d.high) if 0 < lam <= 1e6 else None
    return None


def moment_match(d: Distribution, mean: float, sd: float) -> Distribution:
    """A distribution of ``d``'s kind with (about) the given mean and standard deviation: a uniform
    ``mean -+ sqrt(3) sd`` (its low end kept >= 0 when the original's was), a normal with that mean
    and std (its truncation kept), a lognormal with that mean and std, a poisson with that mean."""
    sd = max(float(sd), 1e-6)
    if isinstance(d, Uniform):
        lo, hi = mean - math.sqrt(3.0) * sd, mean + math.sqrt(3.0) * sd
        if d.low >= 0:
            lo = max(lo, 0.0 if d.low == 0 else min(d.low, 1e-3))
        return Uniform(lo, max(hi, lo))
    if isinstance(d, Normal):
        lo = -math.inf if d.low is None else d.low
        hi = math.inf if d.high is None else d.high
        return Normal(min(max(mean, lo), hi), sd, d.low, d.high)
    if isinstance(d, LogNormal):
        return lognormal_from_mean_std(max(mean, 1e-6), sd)
    if isinstance(d, Poisson):
        return Poisson(max(mean, 1e-3), d.high)
    raise ScenarioGenError(f"a {type(d).__name__.lower()} distribution cannot be fitted")


def _num(x: float) -> str:
    return f"{x:.4g}" if abs(x) >= 1e-3 or x == 0 else f"{x:.3e}"


def _exact(x: float) -> str:
    """``x`` as the shortest text that reads back exactly (``5``, ``12.345``)."""
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def to_yaml(d: Distribution) -> str:
    """``d`` as the DSL's flow-style text (``{uniform: [9.5, 17.2]}``)."""
    if isinstance(d, Uniform):
        return f"{{uniform: [{_num(d.low)}, {_num(d.high)}]}}"
    if isinstance(d, Normal):
        # the bounds are the user's, kept as written (repr: the shortest text that reads back exactly)
        ends = "".join(f", {k}: {_exact(v)}" for k, v in (("low", d.low), ("high", d.high)) if v is not None)
        return f"{{normal: {{mean: {_num(d.mean)}, std: {_num(d.std)}{ends}}}}}"
    if isinstance(d, LogNormal):
        return f"{{lognormal: {{median: {_num(math.exp(d.mu))}, sigma: {_num(d.sigma)}}}}}"
    if isinstance(d, Poisson):
        cap = f", high: {d.high}" if d.high is not None else ""
        return f"{{poisson: {{lam: {_num(d.lam)}{cap}}}}}"
    raise ScenarioGenError(f"a {type(d).__name__.lower()} distribution cannot be written back")

