"""Analytic rare-event oracles: parameter spaces with robustness functions whose
event probability is known exactly, for testing and benchmarking samplers.

Each model has ``space`` (a :class:`ParameterSpace`), ``p`` (the exact
P(robustness < 0) under p(theta)) and is callable: ``model(theta) -> robustness``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, stats

from ..dsl.distributions import (
    Choice,
    Normal,
    Parameter,
    ParameterSpace,
    Poisson,
    Uniform,
)


def mc_sims_needed(p: float, rel_half_width: float = 0.3, confidence: float = 0.95) -> float:
    """Plain-MC sample size for a normal interval of the given relative half-width:
    z^2 (1 - p) / (rhw^2 p)."""
    z = stats.norm.ppf(0.5 + confidence / 2)
    return float(z * z * (1 - p) / (rel_half_width ** 2 * p))


@dataclass(frozen=True)
class GaussianTail:
    """theta ~ N(0, I_d); r(theta) = t - a . theta with |a| = 1 and t = Phi^{-1}(1 - p),
    so P(r < 0) = p exactly. ``direction`` defaults to (1, ..., 1) / sqrt(d)."""

    d: int = 2
    p: float = 1e-4
    direction: tuple[float, ...] | None = None
    space: ParameterSpace = field(init=False, repr=False)
    a: np.ndarray = field(init=False, repr=False)
    t: float = field(init=False, repr=False)

    def __post_init__(self):
        if self.d < 1 or not 0.0 < self.p < 1.0:
            raise ValueError("GaussianTail needs d >= 1 and 0 < p < 1")
        a = np.ones(self.d) if self.direction is None else np.asarray(self.direction, dtype=float)
        if a.shape != (self.d,) or not np.linalg.norm(a) > 0:
            raise ValueError(f"direction must be a non-zero vector of length {self.d}")
        object.__setattr__(self, "a", a / np.linalg.norm(a))
        object.__setattr__(self, "t", float(stats.norm.isf(self.p)))
        object.__setattr__(self, "space", ParameterSpace(tuple(
            Parameter(f"x{i}", Normal(0.0, 1.0)) for i in range(self.d))))

    def __call__(self, theta: np.ndarray) -> np.ndarray:
        return self.t - np.atleast_2d(theta) @ self.a


@dataclass(frozen=True)
class TwoSidedTail:
    """theta ~ N(0, I_d); r = t - |a . theta| with t = Phi^{-1}(1 - p/2): two
    separated failure regions (a . theta > t and a . theta < -t), P = p exactly."""

    d: int = 2
    p: float = 1e-3
    space: ParameterSpace = field(init=False, repr=False)
    a: np.ndarray = field(init=False, repr=False)
    t: float = field(init=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "a", np.ones(self.d) / math.sqrt(self.d))
        object.__setattr__(self, "t", float(stats.norm.isf(self.p / 2)))
        object.__setattr__(self, "space", ParameterSpace(tuple(
            Parameter(f"x{i}", Normal(0.0, 1.0)) for i in range(self.d))))

    def __call__(self, theta: np.ndarray) -> np.ndarray:
        return self.t - np.abs(np.atleast_2d(theta) @ self.a)


@dataclass(frozen=True)
class MixedTail:
    """Bounded, truncated and discrete parameters with an exact event probability.

    - ``u ~ Uniform(0, 1)``; ``x ~ Normal(0, 1)`` truncated below at -3;
      ``k ~ Choice((0, 1, 2), weights (0.6, 0.3, 0.1))``; ``m ~ Poisson(2)`` capped at 10.
    - event iff ``u > b`` and ``x + c[k] + 0.4 m > t``, robustness
      ``r = max(b - u, t - x - c[k] - 0.4 m)`` with c = (0, 0.5, 1.5), b = 0.8;
    - t solves P(event) = p (exactly, by summing over k and m).
    """

    p: float = 1e-4
    b: float = 0.8
    space: ParameterSpace = field(init=False, repr=False)
    t: float = field(init=False, repr=False)

    C = (0.0, 0.5, 1.5)
    K_WEIGHTS = (0.6, 0.3, 0.1)
    LAM, CAP, SLOPE, X_LOW = 2.0, 10, 0.4, -3.0

    def __post_init__(self):
        object.__setattr__(self, "space", ParameterSpace((
            Parameter("u", Uniform(0.0, 1.0)),
            Parameter("x", Normal(0.0, 1.0, low=self.X_LOW)),
            Parameter("k", Choice((0.0, 1.0, 2.0), self.K_WEIGHTS), discrete=True),
            Parameter("m", Poisson(self.LAM, high=self.CAP), discrete=True),
        )))
        if not self.prob(30.0) < self.p < self.prob(-5.0):
            raise ValueError(f"MixedTail cannot reach p = {self.p}")
        t = optimize.brentq(lambda t: math.log(self.prob(t)) - math.log(self.p), -5.0, 30.0, xtol=1e-13)
        object.__setattr__(self, "t", float(t))

    def prob(self, t: float) -> float:
        """P(event) for threshold t."""
        pois = stats.poisson(self.LAM)
        pm = pois.pmf(np.arange(self.CAP + 1))
        pm[-1] = pois.sf(self.CAP - 1)
        z_low = stats.norm.sf(self.X_LOW)
        total = 0.0
        for c, wk in zip(self.C, self.K_WEIGHTS):
            s = t - c - self.SLOPE * np.arange(self.CAP + 1)
            px = np.where(s <= self.X_LOW, 1.0, stats.norm.sf(np.maximum(s, self.X_LOW)) / z_low)
            total += wk * float(np.dot(pm, px))
        return (1.0 - self.b) * total

    def __call__(self, theta: np.ndarray) -> np.ndarray:
        th = np.atleast_2d(theta)
        c = np.asarray(self.C)[th[:, 2].astype(int)]
        return np.maximum(self.b - th[:, 0], self.t - th[:, 1] - c - self.SLOPE * th[:, 3])


__all__ = ["GaussianTail", "MixedTail", "TwoSidedTail", "mc_sims_needed"]
