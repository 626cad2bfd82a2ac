"""The ``ce`` mixture family (``family='mixture'``): up to ``components`` full-covariance
normals on the latents, refitted at each level by weighted EM on the elites.

Deterministic: a k-means++ start from a counter-based stream, then EM with each component's
principal stds floored at ``latent_floor`` (latent units); the number of components is chosen
by BIC on the elites' Kish effective size (or, with ``select='max'``, the most that each keep
``min_component`` of the mixture). A component is picked per row from the uniform column that
picks p or q, so rows stay addressable. Measurements against the single normal:
docs/sampling.md.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, special

from .base import derive_key, stream_uniforms
from .families import _floor_cov, _LatentGaussian
from .latent import _LOG_SQRT_2PI
from .weights import kish_ess


def _component_logpdf(z: np.ndarray, mean: np.ndarray, L: np.ndarray) -> np.ndarray:
    """log N(z; mean, L L^T) per row, in plain elementwise arithmetic (a row's value does not
    depend on the other rows: pieces of a stage equal the whole)."""
    k = mean.shape[0]
    sol = np.empty_like(z)
    out = np.full(z.shape[0], -float(np.sum(np.log(np.diag(L)))) - k * _LOG_SQRT_2PI)
    for i in range(k):
        acc = z[:, i] - mean[i]
        for j in range(i):
            acc = acc - L[i, j] * sol[:, j]
        sol[:, i] = acc / L[i, i]
        out = out - 0.5 * sol[:, i] * sol[:, i]
    return out


def _weighted_em(z: np.ndarray, w: np.ndarray, n_comp: int, floor: float, key: int,
                 iters: int = 200, tol: float = 1e-9) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Weighted EM for a ``n_comp``-component Gaussian mixture on rows z with normalised weights w.

    Deterministic: k-means++ seeding (weighted by w times the squared distance to the nearest
    centre chosen so far) driven by the counter-based stream ``key``, then EM with every
    component's principal stds floored at ``floor`` (a constrained maximum likelihood that
    never degenerates onto a single point). Components whose weight falls below 1e-9 are
    dropped. Returns (weights, means, covariances, weighted mean log-likelihood)."""
    n, k = z.shape
    u = stream_uniforms(key, 0, n_comp, 1)[:, 0]
    centres = []
    d2 = np.full(n, np.inf)
    for c in range(n_comp):
        score = w if c == 0 else w * d2
        total = float(score.sum())
        if not total > 0:
            break
        cdf = np.cumsum(score) / total
        i = int(min(np.searchsorted(cdf, u[c], side="right"), n - 1))
        centres.append(z[i])
        d2 = np.minimum(d2, np.sum((z - z[i]) ** 2, axis=1))
    centres = np.asarray(centres)
    dist = np.sum((z[:, None, :] - centres[None, :, :]) ** 2, axis=2)
    resp = np.zeros((n, len(centres)))
    resp[np.arange(n), np.argmin(dist, axis=1)] = 1.0
    ll_prev = -math.inf
    pis = means = covs = None
    ll = -math.inf
    for _ in range(iters):
        nk = resp.T @ w
        keep = nk > 1e-9
        resp, nk = resp[:, keep], nk[keep]
        pis = nk / nk.sum()
        means = (resp * w[:, None]).T @ z / nk[:, None]
        covs = np.empty((len(nk), k, k))
        logs = np.empty((n, len(nk)))
        for c in range(len(nk)):
            dz = z - means[c]
            covs[c] = _floor_cov((dz * (resp[:, c] * w)[:, None]).T @ dz / nk[c], floor)
            logs[:, c] = math.log(pis[c]) + _component_logpdf(z, means[c], np.linalg.cholesky(covs[c]))
        lse = special.logsumexp(logs, axis=1)
        ll = float(np.dot(w, lse))
        resp = np.exp(logs - lse[:, None])
        if ll - ll_prev < tol * max(1.0, abs(ll)):
            break
        ll_prev = ll
    return pis, means, covs, ll


class _LatentMixture(_LatentGaussian):
    """A mixture of up to ``max_components`` full-covariance normals on the latents
    (``family='mixture'``): a failure set with several separate regions (e.g. a near-miss
    reached with a close cutter *or* with a far, fast one) gets a component on each
    instead of one peak that reaches the others only through its tails. Fitted at each
    level by weighted EM (k-means++ start from a counter-based stream: deterministic),
    the number of components chosen by BIC on the elites' Kish effective size; a
    component is kept only with at least ``min_weight`` of the mixture. Sampling takes
    the component from one uniform column and the normal from the others, row by row."""

    kind = "latent_mixture"

    def __init__(self, maps: list, floor: float, max_components: int, min_weight: float, select: str = "bic"):
        super().__init__(maps, floor)
        self.max_components = int(max_components)
        self.min_weight = float(min_weight)
        self.select = select
        self.weights = np.ones(1)
        self.means = np.zeros((1, self.k))
        self.covs = np.eye(self.k)[None].copy()

    @property
    def n_components(self) -> int:
        return int(self.weights.shape[0])

    def _chols(self, factor: float, floor: float = 0.0) -> list[np.ndarray]:
        out = []
        for c in range(self.n_components):
            cov = _floor_cov(self.covs[c], floor) if floor > self.floor else self.covs[c]
            out.append(np.linalg.cholesky(cov) * factor)
        return out

    def _pick(self, uc: np.ndarray) -> np.ndarray:
        cdf = np.cumsum(self.weights)
        cdf[-1] = 1.0
        return np.minimum(np.searchsorted(cdf, uc, side="right"), self.n_components - 1)

    def sample_latent(self, u: np.ndarray, factor: float, floor: float = 0.0,
                      uc: np.ndarray | None = None) -> np.ndarray:
        """Latents for uniforms u (n, k); ``uc`` (n,): the uniform that picks each row's component."""
        x = special.ndtri(u)
        comp = self._pick(np.zeros(u.shape[0]) if uc is None else uc)
        z = np.empty_like(x)
        for c, L in enumerate(self._chols(factor, floor)):
            rows = comp == c
            if not rows.any():
                continue
            xc = x[rows]
            zc = np.empty_like(xc)
            for i in range(self.k):
                acc = np.full(xc.shape[0], self.means[c, i])
                for j in range(i + 1):
                    acc = acc + L[i, j] * xc[:, j]
                zc[:, i] = acc
            z[rows] = zc
        return z

    def log_ratio(self, z: np.ndarray, factor: float, floor: float = 0.0) -> np.ndarray:
        """log phi(z) - log sum_c pi_c N(z; m_c, factor^2 C_c) per row."""
        lq = None
        for c, L in enumerate(self._chols(factor, floor)):
            lc = math.log(self.weights[c]) + _component_logpdf(z, self.means[c], L)
            lq = lc if lq is None else np.logaddexp(lq, lc)
        lp = -0.5 * np.sum(z * z, axis=1) - self.k * _LOG_SQRT_2PI
        return lp - lq

    def refit(self, z: np.ndarray, w: np.ndarray, alpha: float, key: int = 0) -> None:
        ok = np.all(np.isfinite(z), axis=1) & (w > 0)
        if not ok.any():
            return
        z, w = z[ok], w[ok] / w[ok].sum()
        n_eff = kish_ess(sum_w=1.0, sum_w2=float(np.dot(w, w)))  # w is normalised: sum w = 1
        n_par1 = self.k + self.k * (self.k + 1) // 2
        best = None
        for n_comp in range(1, self.max_components + 1):
            if n_comp > 1 and n_eff < n_comp * (self.k + 2):
                break  # too few effective elites for that many components
            pis, means, covs, ll = _weighted_em(z, w, n_comp, self.floor, derive_key(key, n_comp))
            if n_comp > 1 and (len(pis) < n_comp or pis.min() < self.min_weight):
                continue
            if self.select == "bic":
                score = -2.0 * n_eff * ll + (n_comp * n_par1 + n_comp - 1) * math.log(n_eff)
            else:  # "max": the most components that all keep min_weight
                score = -n_comp
            if best is None or score < best[0]:
                best = (score, pis, means, covs)
        _, pis, means, covs = best
        if len(pis) == self.n_components:
            # smooth each component towards its closest match in the previous fit
            cost = np.sum((means[:, None, :] - self.means[None, :, :]) ** 2, axis=2)
            _, match = optimize.linear_sum_assignment(cost)
            pis = alpha * pis + (1.0 - alpha) * self.weights[match]
            means = alpha * means + (1.0 - alpha) * self.means[match]
            covs = np.stack([_floor_cov(alpha * covs[c] + (1.0 - alpha) * self.covs[match[c]], self.floor)
                             for c in range(len(pis))])
        self.weights = pis / pis.sum()
        self.means, self.covs = means, covs
        self.mean = self.weights @ self.means

    def get(self) -> dict:
        return {"weights": [float(v) for v in self.weights],
                "means": [[float(v) for v in row] for row in self.means],
                "covs": [[[float(v) for v in row] for row in cov] for cov in self.covs]}

    def set(self, d: dict) -> None:
        w = np.asarray(d["weights"], dtype=float).reshape(-1)
        self.weights = w
        self.means = np.asarray(d["means"], dtype=float).reshape(len(w), self.k)
        self.covs = np.asarray(d["covs"], dtype=float).reshape(len(w), self.k, self.k)
        self.mean = self.weights @ self.means
