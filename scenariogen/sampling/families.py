"""The ``ce`` proposal families: what q is made of, each fitted by weighted maximum likelihood.

- :class:`_LatentGaussian`: a full-covariance normal N(m, C) on the standard-normal latents of
  the continuous parameters (:mod:`~scenariogen.sampling.latent`), ``family='gaussian'``;
- :class:`_NormalFamily`: a one-dimensional normal on theta (or log theta), truncated to the
  parameter's bounds, ``family='product'``;
- :class:`_CategoricalFamily`: the discrete parameters, in every family (``Poisson``: over
  0..cap, the cap if given, else a 1 - 1e-12 quantile of p; q puts no mass above it, the
  defensive mixture's share of p does).

Each refit moves from the previous fit towards the elites' own by a step that shrinks when
the elites' Kish effective size is small against the numbers being fitted (:func:`_step`).
The mixture of latent normals (``family='mixture'``) is in :mod:`~scenariogen.sampling.mixture`.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special, stats

from ..dsl.distributions import Choice, LogNormal, Normal, Poisson, Uniform
from .latent import _LOG_SQRT_2PI, _log_mass
from .weights import kish_ess

# ------------------------------------------------------------------ 1-d families


def _tn_ppf(u: np.ndarray, a: float, b: float) -> np.ndarray:
    """Inverse CDF of the standard normal truncated to [a, b] (a < b, either infinite)."""
    if a >= 0:
        sa, sb = special.ndtr(-a), special.ndtr(-b)
        z = -special.ndtri(sa - u * (sa - sb))
    else:
        fa, fb = special.ndtr(a), special.ndtr(b)
        z = special.ndtri(fa + u * (fb - fa))
    return np.clip(z, a, b)


def _step(alpha: float, ess: float, n_free: int, shrink: float) -> float:
    """How far a refit moves from the previous fit towards the elites' own: ``alpha``, lowered
    to ``ess / (ess + shrink * n_free)`` when the elites' Kish effective size ``ess`` is small
    against the ``n_free`` parameters being fitted (a prior worth ``shrink`` effective samples
    per parameter, centred on the previous fit). A few dominant likelihood ratios otherwise
    make a needle-thin fit, or a categorical that puts most of its mass on one value."""
    if shrink <= 0.0:
        return alpha
    return min(alpha, ess / (ess + shrink * max(n_free, 1)))


class _NormalFamily:
    """Normal(mu, sigma) on y = x (or y = log x), truncated to [lo, hi] in y."""

    kind = "normal"

    def __init__(self, lo: float, hi: float, mu: float, sigma: float, floor: float, log: bool = False):
        self.lo, self.hi, self.floor, self.log = lo, hi, floor, log
        self.mu, self.sigma = float(mu), float(max(sigma, floor))

    def _y(self, x: np.ndarray) -> np.ndarray:
        if self.log:
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.where(x > 0, np.log(np.where(x > 0, x, 1.0)), -np.inf)
        return x

    def _ab(self) -> tuple[float, float]:
        return (self.lo - self.mu) / self.sigma, (self.hi - self.mu) / self.sigma

    def ppf(self, u: np.ndarray) -> np.ndarray:
        a, b = self._ab()
        y = self.mu + self.sigma * _tn_ppf(u, a, b)
        y = np.clip(y, self.lo, self.hi)
        return np.exp(y) if self.log else y

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        y = self._y(np.asarray(x, dtype=float))
        a, b = self._ab()
        z = (y - self.mu) / self.sigma
        with np.errstate(invalid="ignore"):
            lp = -0.5 * z * z - _LOG_SQRT_2PI - math.log(self.sigma) - _log_mass(a, b)
            if self.log:
                lp = lp - y
        inside = (y >= self.lo) & (y <= self.hi) & np.isfinite(y)
        return np.where(inside, lp, -np.inf)

    def stats(self, x: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Weighted sums (sum w, sum w y, sum w y^2) of the rows x with weights w (additive:
        stages pooled by adding them)."""
        y = self._y(np.asarray(x, dtype=float))
        ok = np.isfinite(y) & (w > 0)
        y, w = y[ok], w[ok]
        return np.array([w.sum(), np.dot(w, y), np.dot(w, y * y)])

    def refit(self, x: np.ndarray, w: np.ndarray, alpha: float, shrink: float = 0.0) -> None:
        self.refit_stats(self.stats(x, w), kish_ess(w), alpha, shrink)

    def refit_stats(self, st: np.ndarray, ess: float, alpha: float, shrink: float = 0.0) -> None:
        """Move towards the normal with the moments of :meth:`stats` ``st`` (see :func:`_step`)."""
        if not st[0] > 0:
            return
        alpha = _step(alpha, ess, 2, shrink)
        m = float(st[1] / st[0])
        s = float(math.sqrt(max(st[2] / st[0] - m * m, 0.0)))
        self.mu = alpha * m + (1.0 - alpha) * self.mu
        self.sigma = max(alpha * s + (1.0 - alpha) * self.sigma, self.floor)
        self.mu = min(max(self.mu, self.lo), self.hi)

    def widened(self, factor: float) -> _NormalFamily:
        """A copy with the std multiplied by ``factor`` (heavier tails for final proposals)."""
        out = _NormalFamily(self.lo, self.hi, self.mu, self.sigma * factor, self.floor, self.log)
        return out

    def get(self) -> dict:
        return {"mu": self.mu, "sigma": self.sigma}

    def set(self, d: dict) -> None:
        self.mu, self.sigma = float(d["mu"]), float(d["sigma"])


class _CategoricalFamily:
    """Categorical over a finite set of values."""

    kind = "categorical"

    def __init__(self, values: np.ndarray, probs: np.ndarray, floor: float = 0.1):
        order = np.argsort(values)
        self.values = np.asarray(values, dtype=float)[order]
        self.floor = floor
        self.probs = self._norm(np.asarray(probs, dtype=float)[order])
        # defensive base mixed into every refit: half p, half uniform over the support
        self.base = 0.5 * self.probs + 0.5 * (self.probs > 0) / max(int((self.probs > 0).sum()), 1)

    def _norm(self, p: np.ndarray) -> np.ndarray:
        p = np.maximum(p, 0.0)
        return p / p.sum()

    def _index(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = np.asarray(x, dtype=float)
        idx = np.clip(np.searchsorted(self.values, x), 0, len(self.values) - 1)
        return idx, self.values[idx] == x

    def ppf(self, u: np.ndarray) -> np.ndarray:
        cdf = np.cumsum(self.probs)
        cdf[-1] = 1.0
        idx = np.minimum(np.searchsorted(cdf, u, side="right"), len(self.values) - 1)
        return self.values[idx]

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        idx, hit = self._index(x)
        with np.errstate(divide="ignore"):
            lp = np.log(self.probs)[idx]
        return np.where(hit, lp, -np.inf)

    def stats(self, x: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Weighted count of each value among the rows x (additive over stages)."""
        idx, hit = self._index(x)
        ok = hit & (w > 0)
        return np.bincount(idx[ok], weights=w[ok], minlength=len(self.values)).astype(float)

    def refit(self, x: np.ndarray, w: np.ndarray, alpha: float, shrink: float = 0.0) -> None:
        self.refit_stats(self.stats(x, w), kish_ess(w), alpha, shrink)

    def refit_stats(self, st: np.ndarray, ess: float, alpha: float, shrink: float = 0.0) -> None:
        """Move towards the frequencies of :meth:`stats` ``st`` (see :func:`_step`)."""
        if not st.sum() > 0:
            return
        freq = st / st.sum()
        alpha = _step(alpha, ess, int((self.base > 0).sum()) - 1, shrink)
        p = alpha * freq + (1.0 - alpha) * self.probs
        self.probs = self._norm((1.0 - self.floor) * p + self.floor * self.base)

    def widened(self, factor: float) -> _CategoricalFamily:
        return self

    def get(self) -> dict:
        return {"probs": [float(v) for v in self.probs]}

    def set(self, d: dict) -> None:
        self.probs = np.asarray(d["probs"], dtype=float)


# ---------------------------------------------------------------- latent normal


class _LatentGaussian:
    """A full-covariance normal N(m, C) on the standard-normal latents of the continuous
    parameters (a Gaussian-copula proposal): it can follow a failure region that is
    tilted against the parameter axes, which a product of one-dimensional families
    cannot. Its density ratio to p is ``phi(z) / N(z; m, C)`` (the Jacobians of the
    per-column maps cancel), so the weights are exact p/q in theta."""

    kind = "latent_gaussian"

    def __init__(self, maps: list, floor: float):
        self.maps = maps
        self.k = len(maps)
        self.floor = floor
        self.mean = np.zeros(self.k)
        self.cov = np.eye(self.k)

    def _chol(self, factor: float, floor: float = 0.0) -> np.ndarray:
        """Cholesky factor of C widened by ``factor``: each principal variance v of C (raised to
        ``floor``^2 first) becomes ``v * factor^2``, but not above 1, p's own latent variance, and
        v is kept where it is 1 or more. Widening guards a fit against being too narrow; a
        direction already as broad as p's (typically an irrelevant parameter's) needs no guard,
        and widening it would only add variance (docs/sampling.md)."""
        vals, vecs = np.linalg.eigh(0.5 * (self.cov + self.cov.T))
        vals = np.maximum(vals, floor ** 2)
        if factor != 1.0:
            vals = np.where(vals >= 1.0, vals, np.minimum(vals * factor ** 2, 1.0))
        cov = (vecs * vals) @ vecs.T
        return np.linalg.cholesky(0.5 * (cov + cov.T))

    def sample_latent(self, u: np.ndarray, factor: float, floor: float = 0.0) -> np.ndarray:
        # row by row in plain elementwise arithmetic (no BLAS): a row's value must not depend on
        # how many rows are drawn together, so that pieces of a stage equal the whole
        x = special.ndtri(u)
        L = self._chol(factor, floor)
        z = np.empty_like(x)
        for i in range(self.k):
            acc = np.full(x.shape[0], self.mean[i])
            for j in range(i + 1):
                acc = acc + L[i, j] * x[:, j]
            z[:, i] = acc
        return z

    def to_theta(self, z: np.ndarray) -> np.ndarray:
        return np.column_stack([m.to_theta(z[:, i]) for i, m in enumerate(self.maps)]) if self.k else z

    def to_latent(self, theta: np.ndarray) -> np.ndarray:
        cols = [m.to_latent(theta[:, i]) for i, m in enumerate(self.maps)]
        return np.column_stack(cols) if cols else np.zeros((theta.shape[0], 0))

    def log_ratio(self, z: np.ndarray, factor: float, floor: float = 0.0) -> np.ndarray:
        """log phi(z) - log N(z; m, C') per row, C' = C floored and widened as in :meth:`_chol`."""
        L = self._chol(factor, floor)
        sol = np.empty_like(z)  # forward substitution L sol = z - m, elementwise (see sample_latent)
        out = np.full(z.shape[0], float(np.sum(np.log(np.diag(L)))))
        for i in range(self.k):
            acc = z[:, i] - self.mean[i]
            for j in range(i):
                acc = acc - L[i, j] * sol[:, j]
            sol[:, i] = acc / L[i, i]
            out = out + 0.5 * (sol[:, i] * sol[:, i] - z[:, i] * z[:, i])
        return out

    def stats(self, z: np.ndarray, w: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """Weighted sums (sum w, sum w z, sum w z z^T) of the latent rows z (additive over stages)."""
        ok = np.all(np.isfinite(z), axis=1) & (w > 0)
        z, w = z[ok], w[ok]
        return float(w.sum()), w @ z, (z * w[:, None]).T @ z

    def refit(self, z: np.ndarray, w: np.ndarray, alpha: float, shrink: float = 0.0) -> None:
        ok = np.all(np.isfinite(z), axis=1) & (w > 0)
        if not ok.any():
            return
        z, w = z[ok], w[ok] / w[ok].sum()
        m = w @ z
        dz = z - m
        self._move(m, (dz * w[:, None]).T @ dz, kish_ess(w), alpha, shrink)

    def refit_stats(self, st: tuple, ess: float, alpha: float, shrink: float = 0.0) -> None:
        """Move towards the normal with the moments of :meth:`stats` ``st``."""
        sw, s1, s2 = st
        if not sw > 0:
            return
        m = s1 / sw
        self._move(m, s2 / sw - np.outer(m, m), ess, alpha, shrink)

    def _move(self, m: np.ndarray, c: np.ndarray, ess: float, alpha: float, shrink: float) -> None:
        """Smooth the fit towards mean m and covariance c, the mean by at most
        ``_step(alpha, ess, k, shrink)``, the covariance (k (k + 1) / 2 numbers, noisier) by at
        most ``_step(alpha, ess, k (k + 1) / 2, shrink)``: with a few effective elites the centre
        still moves on, while the shape stays near the previous one."""
        a_mean = _step(alpha, ess, self.k, shrink)
        a_cov = _step(alpha, ess, self.k * (self.k + 1) // 2, shrink)
        self.mean = a_mean * m + (1.0 - a_mean) * self.mean
        cov = a_cov * c + (1.0 - a_cov) * self.cov
        # floor the principal stds (a handful of elites gives a singular or needle-thin fit)
        vals, vecs = np.linalg.eigh(0.5 * (cov + cov.T))
        vals = np.maximum(vals, self.floor ** 2)
        self.cov = (vecs * vals) @ vecs.T
        self.cov = 0.5 * (self.cov + self.cov.T)

    def get(self) -> dict:
        return {"mean": [float(v) for v in self.mean], "cov": [[float(v) for v in row] for row in self.cov]}

    def set(self, d: dict) -> None:
        self.mean = np.asarray(d["mean"], dtype=float).reshape(self.k)
        self.cov = np.asarray(d["cov"], dtype=float).reshape(self.k, self.k)


def _floor_cov(cov: np.ndarray, floor: float) -> np.ndarray:
    """``cov`` symmetrised with its eigenvalues raised to ``floor**2`` (principal stds >= floor)."""
    vals, vecs = np.linalg.eigh(0.5 * (cov + cov.T))
    out = (vecs * np.maximum(vals, floor ** 2)) @ vecs.T
    return 0.5 * (out + out.T)


# ------------------------------------------------------------- one per parameter


def _family_for(dist, std_floor: float, cat_floor: float):
    """The p-matched proposal family of one parameter (``std_floor``: a fraction of p's scale;
    ``cat_floor``: the categorical's share of a defensive base)."""
    if isinstance(dist, Normal):
        lo, hi = dist.bounds()
        return _NormalFamily(lo, hi, dist.mean, dist.std, std_floor * dist.std)
    if isinstance(dist, Uniform):
        width = dist.high - dist.low
        if width <= 0:
            return _CategoricalFamily(np.array([dist.low]), np.array([1.0]), cat_floor)
        # a wide normal on [low, high] (nearly flat) as the p-matched start
        return _NormalFamily(dist.low, dist.high, 0.5 * (dist.low + dist.high), width,
                             std_floor * width / math.sqrt(12.0))
    if isinstance(dist, LogNormal):
        return _NormalFamily(-math.inf, math.inf, dist.mu, dist.sigma, std_floor * dist.sigma, log=True)
    if isinstance(dist, Choice):
        vals = np.asarray(dist.values, dtype=float)
        uniq, inv = np.unique(vals, return_inverse=True)
        probs = np.bincount(inv, weights=np.asarray(dist.weights, dtype=float), minlength=len(uniq))
        return _CategoricalFamily(uniq, probs, cat_floor)
    if isinstance(dist, Poisson):
        pois = stats.poisson(dist.lam)
        if dist.high is not None:
            k = np.arange(0, int(dist.high) + 1)
            probs = pois.pmf(k)
            probs[-1] = pois.sf(int(dist.high) - 1)
        else:
            kmax = int(max(pois.ppf(1.0 - 1e-12), 1))
            k = np.arange(0, kmax + 1)
            probs = pois.pmf(k)
        return _CategoricalFamily(k.astype(float), probs, cat_floor)
    raise TypeError(f"no cross-entropy family for distribution {type(dist).__name__}")
