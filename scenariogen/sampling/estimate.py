"""Probability estimates with intervals and diagnostics, and failure-cluster counts.

- plain Monte Carlo (all weights 1): p = k / n with the exact Clopper-Pearson
  interval;
- importance sampling: the unbiased estimator ``mean(1{event} * w)`` over *all*
  n samples (not self-normalised), by default the tail interval
  (:func:`tail_interval`: normal for the bulk of the terms, a Poisson count for the
  few largest), Kish effective sample sizes, the largest share a single sample holds
  of the estimate, the Pareto tail shape k of the terms (PSIS diagnostic,
  :func:`pareto_khat`), and the warnings of :data:`WARNING_RULES`, calibrated over seeds.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy import stats
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from ..dsl.distributions import Choice, Poisson, Uniform
from .latent import _is_continuous, _LatentMap
from .weights import kish_ess


@dataclass
class Estimate:
    """An estimate of P(event) with its 95 % (or ``confidence``) interval.

    - ``rel_half_width``: (ci_high - ci_low) / (2 p) (inf when p = 0);
    - ``ess``: Kish effective sample size (sum w)^2 / sum w^2 over all samples
      (n for plain MC; the equivalent plain-MC sample size p(1-p)/Var for splitting);
    - ``ess_events``: the same over the event samples only;
    - ``n_sims``: simulations spent (for :func:`run_estimate`, adaptation included);
    - ``max_weight_share``: the largest single term's share of the estimate's sum;
    - ``method``: ``mc``, ``is`` or ``splitting`` from :func:`estimate_probability`;
      the sampler name from :func:`run_estimate` (estimator in ``details["estimator"]``);
    - ``warnings``: human-readable diagnostics; ``details``: method specifics.
    """

    p: float
    ci_low: float
    ci_high: float
    rel_half_width: float
    ess: float
    n_sims: int
    n_events: int
    max_weight_share: float
    method: str
    warnings: list[str] = field(default_factory=list)
    ess_events: float = math.nan
    confidence: float = 0.95
    details: dict = field(default_factory=dict)

    def covers(self, p_true: float) -> bool:
        return self.ci_low <= p_true <= self.ci_high

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dict (non-finite floats as strings)."""
        from .base import jsonable

        return jsonable(asdict(self))

    def summary(self) -> str:
        return (f"P = {self.p:.4g}  [{self.ci_low:.4g}, {self.ci_high:.4g}]  "
                f"(±{100 * self.rel_half_width:.1f} %, {self.method}, n_sims {self.n_sims}, "
                f"events {self.n_events}, ESS {self.ess:.4g})")


def clopper_pearson(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper-Pearson) binomial interval for k successes in n trials."""
    if n <= 0:
        return (0.0, 1.0)
    a = 1.0 - confidence
    lo = 0.0 if k == 0 else float(stats.beta.ppf(a / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(stats.beta.ppf(1 - a / 2, k + 1, n - k))
    return (lo, hi)


def _events_from(x: np.ndarray) -> np.ndarray:
    """Labels from labels (bool or integer 0/1) or robustness (float: event iff < 0)."""
    x = np.asarray(x).reshape(-1)
    if x.dtype == bool:
        return x
    if np.issubdtype(x.dtype, np.integer):
        return x != 0
    return np.asarray(x, dtype=float) < 0  # NaN compares False: no event


def pareto_khat(values, tail_size: int | None = None) -> float:
    """Tail shape k of the positive ``values`` (importance-sampling terms): a generalised Pareto
    distribution fitted by maximum likelihood (scipy) to the excesses of the ``tail_size``
    largest values over the next largest, by default ``min(n / 5, 3 sqrt(n))`` of the n values
    (zeros included in n), as in Pareto-smoothed importance sampling (Vehtari et al.). k < 0.5:
    the mean has a finite variance that the sample estimates well; k > 0.7: the sample variance,
    hence a normal interval, is unreliable (typically too small: the rare large terms that
    carry much of the mean have not been seen often enough). NaN with fewer than 10 tail values."""
    x = np.asarray(values, dtype=float).reshape(-1)
    n = x.size
    pos = np.sort(x[x > 0])
    m = int(min(0.2 * n, 3.0 * math.sqrt(n))) if tail_size is None else int(tail_size)
    m = min(m, pos.size - 1)
    if m < 10:
        return math.nan
    exc = pos[-m:] - pos[-m - 1]
    top = float(exc.max())
    if not top > 0:
        return math.nan
    with np.errstate(all="ignore"):
        try:
            shape, _, _ = stats.genpareto.fit(exc / top, floc=0.0)
        except (ValueError, RuntimeError, FloatingPointError):  # pragma: no cover - degenerate tails
            return math.nan
    return float(shape)


#: the interval's largest terms: the events whose term is within this factor of the largest one
TAIL_FACTOR = 5.0


def garwood(m: int, confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Garwood) interval for the mean of a Poisson count observed as ``m``."""
    a = 1.0 - confidence
    lo = 0.0 if m == 0 else float(stats.chi2.ppf(a / 2, 2 * m)) / 2
    return lo, float(stats.chi2.ppf(1 - a / 2, 2 * m + 2)) / 2


def tail_interval(y: np.ndarray, z: float, confidence: float, seen: float = 0.0,
                  factor: float = TAIL_FACTOR) -> tuple[float, float, int]:
    """Interval for mean(y) (importance-sampling terms, >= 0) that does not trust a handful of
    large terms to stand for their own frequency.

    The large terms are those within ``factor`` of the largest, s_max = max(max y, ``seen``), where
    ``seen`` is the largest term an event found outside y would make (e.g. ce's adaptation events,
    reweighted by the final proposal): the event set holds such points even when y drew none. They
    count as a Poisson number m (possibly 0) of draws of size s/n (s: their root mean square, or
    s_max when m = 0): the exact (Garwood) bounds of m give that part the half-widths
    (m - m_lo) s/n and (m_hi - m) s/n, which add in quadrature to the normal half-width of the other
    terms. With many similar large terms this is the normal interval; with a few, or none of a
    size the run has seen, the upper end moves out by what their count can be (one term: about
    4.6 s/n at 95 %, against 1.96 s/n). Returns (lo, hi, m); measurements: docs/sampling.md."""
    n = y.size
    p = float(y.mean())
    s_max = max(float(y.max()), float(seen))
    top = y >= s_max / factor
    m = int(top.sum())
    rest = np.where(top, 0.0, y)
    h = z * float(rest.std(ddof=1)) / math.sqrt(n) if n > 1 else math.inf
    size = (math.sqrt(float(np.mean(y[top] ** 2))) if m else s_max) / n  # one large term's part of the mean
    g_lo, g_hi = garwood(m, confidence)
    lo = p - math.hypot(h, (m - g_lo) * size)
    hi = p + math.hypot(h, (g_hi - m) * size)
    return max(lo, 0.0), hi, m


def estimate_probability(labels_or_robustness, log_weight=None, method: str = "auto", *,
                         confidence: float = 0.95, interval: str = "tail", bootstrap: int = 0, seed: int = 0,
                         tail_diagnostic: bool = True, seen_weight: float = 0.0) -> Estimate:
    """Estimate P(event) from labels or robustness and optional log importance weights.

    ``labels_or_robustness``: bool (or integer 0/1) labels, or float robustness
    (event iff < 0, NaN = no event). ``log_weight``: ``log p - log q`` per sample.
    ``method``: ``auto`` (``mc`` when all log weights are 0 or absent, else ``is``),
    ``mc`` or ``is``. ``interval`` (IS): ``tail`` (default, :func:`tail_interval`: the few
    largest terms counted as a Poisson number; widened to the normal interval on a side where
    that one reaches further), ``normal`` (from the sample variance) or
    ``bootstrap`` (percentile, ``bootstrap`` resamples, default 1000; ``bootstrap > 0`` alone
    also selects it). ``seen_weight``: the largest weight p/q that an event found outside these
    samples has under their proposal (``tail``: the event set holds terms of that size, drawn or not).

    Warnings (IS; rules and their measured hit and false-alarm rates: docs/sampling.md), each
    naming the rule that fired: :data:`WARNING_RULES`. ``details`` holds every diagnostic:
    ``pareto_k`` (:func:`pareto_khat`; ``tail_diagnostic=False`` skips that fit, about 20 ms,
    e.g. for interim checks of a sequential stop), ``ess_fraction``, ``ess_events_fraction``,
    ``max_share``, ``unseen_ratio`` (``seen_weight`` over the largest event weight drawn, at
    least 1), ``tail_terms`` (m of the tail interval) and the normal interval (``normal_ci``).
    (The ESS over all samples is reported but not warned on: with a defensive
    mixture of share eps it sits near eps by design, however good the estimate.)
    """
    events = _events_from(labels_or_robustness)
    n = int(events.size)
    k = int(events.sum())
    if method not in ("auto", "mc", "is"):
        raise ValueError(f"method must be 'auto', 'mc' or 'is', got {method!r}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if bootstrap and bootstrap > 0:
        interval = "bootstrap"
    if interval not in ("tail", "normal", "bootstrap"):
        raise ValueError(f"interval must be 'tail', 'normal' or 'bootstrap', got {interval!r}")
    lw = None
    if log_weight is not None:
        lw = np.asarray(log_weight, dtype=float).reshape(-1)
        if lw.size != n:
            raise ValueError(f"{lw.size} log weights for {n} samples")
        if np.isnan(lw).any() or np.isposinf(lw).any():
            raise ValueError("log weights hold NaN or +inf")
    uniform = lw is None or not np.any(lw)
    if method == "auto":
        method = "mc" if uniform else "is"
    if method == "mc" and not uniform:
        raise ValueError("method 'mc' needs all log weights to be 0 (use 'is' or 'auto')")
    warns: list[str] = []
    if n == 0:
        return Estimate(math.nan, 0.0, 1.0, math.inf, 0.0, 0, 0, math.nan, method,
                        ["no samples"], math.nan, confidence)
    if method == "mc":
        p = k / n
        lo, hi = clopper_pearson(k, n, confidence)
        rhw = (hi - lo) / (2 * p) if p > 0 else math.inf
        if k == 0:
            warns.append(f"no events in {n} samples: the interval is an upper bound only")
        return Estimate(p, lo, hi, rhw, float(n), n, k, 1.0 / k if k else math.nan, "mc", warns,
                        float(k), confidence)

    lw = np.zeros(n) if lw is None else lw
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    ess = kish_ess(np.exp(lw - lw.max())) if np.isfinite(lw.max()) else 0.0
    if k == 0:
        warns.append(f"no events in {n} samples: the estimate is 0 and its interval is undefined")
        return Estimate(0.0, 0.0, math.nan, math.inf, ess, n, 0, math.nan, "is", warns, 0.0, confidence)
    y = np.where(events, np.exp(np.where(events, lw, 0.0)), 0.0)
    p = float(y.mean())
    sd = float(y.std(ddof=1)) if n > 1 else math.inf
    half = z * sd / math.sqrt(n)
    details: dict[str, Any] = {"std_error": sd / math.sqrt(n), "ess_fraction": ess / n,
                               "normal_ci": [max(p - half, 0.0), p + half]}
    if interval == "bootstrap":
        rng = np.random.default_rng(seed)
        draws = int(bootstrap) if bootstrap and bootstrap > 0 else 1000
        means = np.empty(draws)
        for b in range(draws):
            means[b] = y[rng.integers(0, n, n)].mean()
        a = 1.0 - confidence
        lo, hi = (float(v) for v in np.quantile(means, [a / 2, 1 - a / 2]))
        details["interval"] = f"bootstrap percentile ({draws} resamples)"
    elif interval == "tail":
        lo, hi, m = tail_interval(y, z, confidence, seen_weight)
        # never narrower than the normal interval on either side: with one large term that is also
        # high, the normal lower end (which removes z such terms) is the more careful one
        lo, hi = min(lo, max(p - half, 0.0)), max(hi, p + half)
        details["interval"] = (f"normal for the bulk + Poisson count of the {m} largest terms "
                               f"(within a factor {TAIL_FACTOR:g} of the largest), at least the normal interval")
        details["tail_terms"] = m
    else:
        lo, hi = max(p - half, 0.0), p + half
        details["interval"] = "normal"
    ye = y[events]
    ess_ev = kish_ess(ye / ye.max()) if ye.max() > 0 else 0.0
    share = float(ye.max() / ye.sum()) if ye.sum() > 0 else math.nan
    details["pareto_k"] = pareto_khat(y) if tail_diagnostic else math.nan
    details["ess_events_fraction"] = ess_ev / k
    details["max_share"] = share
    # how much larger a term the run knows of than the largest it drew (1: none larger)
    details["unseen_ratio"] = max(1.0, float(seen_weight) / float(ye.max())) if ye.max() > 0 else 1.0
    warns += _warnings(details)
    rhw = (hi - lo) / (2 * p) if p > 0 else math.inf
    return Estimate(p, lo, hi, rhw, ess, n, k, share, "is", warns, ess_ev, confidence, details)


#: the warnings, calibrated over seeds (benchmarks/honest_estimates.py; hit and false-alarm rates
#: in docs/sampling.md): (diagnostic in ``details``, ">" or "<", threshold, what it means). Rules
#: that measured no better than chance at singling out the runs whose interval misses are not here.
WARNING_RULES: tuple[tuple[str, str, float, str], ...] = (
    ("unseen_ratio", ">", 1.5, "events found while adapting have larger weights under the final proposal "
                               "than any event it drew: part of the event set is under-sampled, and the "
                               "estimate is more likely low than high; check with a larger budget or "
                               "--sampler mc"),
)


def _warnings(details: dict) -> list[str]:
    """The messages of the rules that fire, each starting with the rule and the value that fired it."""
    out = []
    for diag, op, thr, text in WARNING_RULES:
        v = details.get(diag, math.nan)
        if math.isfinite(v) and (v > thr if op == ">" else v < thr):
            out.append(f"[{diag} = {v:.3g} {op} {thr:g}] {text}")
    return out


# ---------------------------------------------------------------------- clusters


def cluster_labels(theta_or_descriptors, labels=None, *, k: int = 5, radius_factor: float = 2.5,
                   min_size: int | None = None, min_fraction: float = 0.05,
                   scale=None) -> tuple[int, np.ndarray]:
    """Failure clusters among the event samples: (number of clusters, label per event sample).

    Columns are divided by ``scale`` (a number or one per column, e.g. the
    parameters' prior std), by default by the std of *all* rows (so each
    parameter counts in its own scale; constant columns are dropped). Pass the
    whole sample, non-events included: if only the event rows are given, a wide
    separation between clusters inflates the default scale of its column. Event
    points closer than ``radius_factor`` times the median distance to their
    ``k``-th nearest event neighbour are linked; connected components with at
    least ``min_size`` points (default ``max(3, min_fraction * n_events)``) are
    clusters, smaller ones are noise (label -1). Deterministic."""
    x = np.asarray(theta_or_descriptors, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    ev = np.ones(x.shape[0], bool) if labels is None else _events_from(labels)
    if ev.size != x.shape[0]:
        raise ValueError(f"{ev.size} labels for {x.shape[0]} rows")
    finite_rows = np.all(np.isfinite(x), axis=1)
    mu = x[finite_rows].mean(axis=0) if finite_rows.any() else np.zeros(x.shape[1])
    if scale is not None:
        sd = np.broadcast_to(np.asarray(scale, dtype=float), (x.shape[1],)).copy()
    else:
        sd = x[finite_rows].std(axis=0) if finite_rows.any() else np.ones(x.shape[1])
    keep = sd > 0
    pts = ((x[ev & finite_rows][:, keep] - mu[keep]) / sd[keep])
    m = pts.shape[0]
    out = np.full(m, -1, dtype=np.int64)
    if m == 0:
        return 0, out
    if min_size is None:
        min_size = max(3, math.ceil(min_fraction * m))
    if m < max(min_size, 2) or pts.shape[1] == 0:
        if m >= min_size:
            out[:] = 0
            return 1, out
        return 0, out
    tree = cKDTree(pts)
    kk = min(k, m - 1)
    dist, _ = tree.query(pts, k=kk + 1)
    scale = float(np.median(dist[:, kk]))
    if scale <= 0:
        scale = float(np.max(dist[:, kk])) or 1.0
    pairs = tree.query_pairs(radius_factor * scale, output_type="ndarray")
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(m, m))
    _, comp = connected_components(graph, directed=False)
    sizes = np.bincount(comp)
    big = np.flatnonzero(sizes >= min_size)
    # number clusters by size (largest first), ties by first member: deterministic
    first = np.array([np.flatnonzero(comp == c)[0] for c in big], dtype=np.int64)
    order = big[np.lexsort((first, -sizes[big]))]
    for new, c in enumerate(order):
        out[comp == c] = new
    return len(order), out


def cluster_count(theta_or_descriptors, labels=None, **options) -> int:
    """Number of distinct failure clusters among the event samples (see :func:`cluster_labels`).

    ``labels``: event labels (bool / 0-1) or robustness (event iff < 0); None =
    every row is an event sample."""
    return cluster_labels(theta_or_descriptors, labels, **options)[0]


# ------------------------------------------------- failure clusters in p-quantile space


def quantiles_of(space, theta) -> np.ndarray:
    """theta (n, d) -> u (n, d) with u_j = F_j(theta_j), each parameter's CDF under p (mid-CDF
    ``F(k) - P(k) / 2`` for discrete ones): a scale-free space where equal distances mean equal
    prior probability, the same for every sampler."""
    theta = np.atleast_2d(np.asarray(theta, dtype=float))
    out = np.empty_like(theta)
    for j, prm in enumerate(space.parameters):
        dist, x = prm.dist, theta[:, j]
        if _is_continuous(dist):
            out[:, j] = stats.norm.cdf(_LatentMap(dist).to_latent(x))
        elif isinstance(dist, Uniform):  # a single value
            out[:, j] = 0.5
        elif isinstance(dist, Choice):
            vals = np.asarray(dist.values, dtype=float)
            w = np.asarray(dist.weights, dtype=float) / float(np.sum(dist.weights))
            cdf = np.array([w[vals <= v].sum() for v in x]) if x.size else np.zeros(0)
            pmf = np.array([w[vals == v].sum() for v in x]) if x.size else np.zeros(0)
            out[:, j] = cdf - 0.5 * pmf
        elif isinstance(dist, Poisson):
            pmf = np.exp(dist.logpdf(x))
            cdf = stats.poisson(dist.lam).cdf(x)
            if dist.high is not None:
                cdf = np.where(x >= dist.high, 1.0, cdf)
            out[:, j] = cdf - 0.5 * pmf
        else:  # pragma: no cover - every distribution kind is handled above
            raise TypeError(f"no CDF for {type(dist).__name__}")
    return np.clip(out, 0.0, 1.0)


def subsample_events(x, n: int | None, seed: int = 0) -> np.ndarray:
    """At most ``n`` rows of x, chosen without replacement by a fixed-seed generator (all rows,
    in order, when n is None or x has no more than n): compares samplers at equal event counts."""
    x = np.asarray(x)
    if n is None or x.shape[0] <= n:
        return x
    idx = np.sort(np.random.default_rng(seed).choice(x.shape[0], int(n), replace=False))
    return x[idx]


@dataclass(frozen=True)
class FailureClusters:
    """Diversity of a set of failure (target-event) scenarios at a fixed resolution.

    Each parameter's p-quantile range [0, 1] is cut into ``bins`` equal bins; ``cells``
    is the number of distinct occupied grid cells, ``clusters`` the number of groups of
    occupied cells that touch (share a face, edge or corner), ``events`` the number of
    event scenarios they were counted on (after subsampling)."""

    clusters: int
    cells: int
    events: int
    bins: int

    def to_dict(self) -> dict:
        return asdict(self)


def failure_clusters_u(u, *, bins: int = 4, n_events: int | None = None, seed: int = 0) -> FailureClusters:
    """:class:`FailureClusters` of event points u (n, d) in p-quantile space (see :func:`quantiles_of`),
    subsampled to ``n_events`` first (:func:`subsample_events`) so that two samplers are compared on
    the same number of events."""
    if bins < 1:
        raise ValueError(f"bins must be positive, got {bins}")
    u = np.asarray(u, dtype=float)
    if u.ndim == 1:
        u = u[:, None]
    u = subsample_events(u[np.all(np.isfinite(u), axis=1)], n_events, seed)
    m = u.shape[0]
    if m == 0:
        return FailureClusters(0, 0, 0, bins)
    cell = np.minimum((u * bins).astype(np.int64), bins - 1)
    occupied = np.unique(cell, axis=0)
    k = occupied.shape[0]
    if k == 1 or u.shape[1] == 0:
        return FailureClusters(1, k, m, bins)
    tree = cKDTree(occupied.astype(float))
    pairs = tree.query_pairs(1.0, p=np.inf, output_type="ndarray")
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(k, k))
    n_comp, _ = connected_components(graph, directed=False)
    return FailureClusters(int(n_comp), int(k), int(m), bins)


def failure_clusters_theta(space, theta, labels=None, **options) -> FailureClusters:
    """:func:`failure_clusters_u` of the event rows of theta (``labels``: bool / 0-1 labels or
    robustness, event iff < 0; None = all rows are events)."""
    theta = np.atleast_2d(np.asarray(theta, dtype=float))
    ev = np.ones(theta.shape[0], bool) if labels is None else _events_from(labels)
    if ev.size != theta.shape[0]:
        raise ValueError(f"{ev.size} labels for {theta.shape[0]} rows")
    return failure_clusters_u(quantiles_of(space, theta[ev]), **options)
