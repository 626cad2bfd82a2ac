"""The latent map: each continuous parameter theta_j and its standard-normal latent
z_j = Phi^{-1}(F_j(theta_j)), so that z ~ N(0, I) exactly when theta ~ p.

The ``ce`` proposals on the continuous parameters are normals on these latents (a Gaussian
copula); :func:`~scenariogen.sampling.estimate.quantiles_of` uses the same map for the
p-quantiles of failure clusters.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from ..dsl.distributions import LogNormal, Normal, Uniform

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_Z_MAX = 8.2  # |latent| cap: Phi(8.2) rounds to 1 in double precision


def _is_continuous(dist) -> bool:
    """Whether a parameter gets a latent (normal, log-normal, or a uniform of positive width)."""
    return isinstance(dist, (Normal, LogNormal)) or (isinstance(dist, Uniform) and dist.high > dist.low)


def _log_mass(a: float, b: float) -> float:
    """log(Phi(b) - Phi(a)) for a < b, stable in both tails."""
    if a >= 0:  # both in the upper tail: use survival functions
        return float(special.log_ndtr(-a) + np.log1p(-np.exp(special.log_ndtr(-b) - special.log_ndtr(-a))))
    if b <= 0:
        return float(special.log_ndtr(b) + np.log1p(-np.exp(special.log_ndtr(a) - special.log_ndtr(b))))
    return float(np.log1p(-special.ndtr(a) - special.ndtr(-b)))


class _LatentMap:
    """The monotone map between one continuous parameter theta_j and its standard-normal
    latent z_j = Phi^{-1}(F_j(theta_j)) (so z ~ N(0, 1) iff theta_j ~ p_j), computed from
    whichever tail is more precise; closed form for untruncated normals and log-normals.
    Latents are capped at +-8.2 (beyond, Phi rounds to 1)."""

    def __init__(self, dist):
        self.dist = dist
        if isinstance(dist, Normal):
            self.kind = "normal" if dist.low is None and dist.high is None else "tnormal"
            lo, hi = dist.bounds()
            self.a, self.b = (lo - dist.mean) / dist.std, (hi - dist.mean) / dist.std
            self.mass = math.exp(_log_mass(self.a, self.b))
        elif isinstance(dist, LogNormal):
            self.kind = "lognormal"
        elif isinstance(dist, Uniform):
            self.kind = "uniform"
        else:  # pragma: no cover - guarded by the caller
            raise TypeError(f"no latent map for {type(dist).__name__}")

    def to_theta(self, z: np.ndarray) -> np.ndarray:
        d, z = self.dist, np.asarray(z, dtype=float)
        if self.kind == "normal":
            return d.mean + d.std * z
        if self.kind == "lognormal":
            return np.exp(d.mu + d.sigma * z)
        lower = z < 0
        if self.kind == "uniform":
            w = d.high - d.low
            return np.where(lower, d.low + w * special.ndtr(z), d.high - w * special.ndtr(-z))
        # truncated normal: F(x) = Phi(z) from the lower side, 1 - F(x) = Phi(-z) from the upper side
        with np.errstate(invalid="ignore", divide="ignore"):
            x_lo = special.ndtri(special.ndtr(self.a) + special.ndtr(z) * self.mass)
            x_hi = -special.ndtri(special.ndtr(-self.b) + special.ndtr(-z) * self.mass)
        x = np.clip(np.where(lower, x_lo, x_hi), self.a, self.b)
        return d.mean + d.std * x

    def to_latent(self, theta: np.ndarray) -> np.ndarray:
        d, th = self.dist, np.asarray(theta, dtype=float)
        if self.kind == "normal":
            return (th - d.mean) / d.std
        if self.kind == "lognormal":
            with np.errstate(divide="ignore", invalid="ignore"):
                return (np.log(np.maximum(th, 1e-300)) - d.mu) / d.sigma
        if self.kind == "uniform":
            w = d.high - d.low
            cdf, sf = (th - d.low) / w, (d.high - th) / w
        else:
            x = (th - d.mean) / d.std
            cdf = (special.ndtr(x) - special.ndtr(self.a)) / self.mass
            sf = (special.ndtr(-x) - special.ndtr(-self.b)) / self.mass
        cdf = np.clip(cdf, 1e-300, 1.0)
        sf = np.clip(sf, 1e-300, 1.0)
        return np.clip(np.where(cdf < 0.5, special.ndtri(cdf), -special.ndtri(sf)), -_Z_MAX, _Z_MAX)
