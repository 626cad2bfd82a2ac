"""Coverage metrics of a synthetic descriptor set Y against a real one X.

Every metric works on *standardised* descriptors: each column is centred on the
real median and divided by the real robust scale (IQR / 1.349, the standard
deviation where the IQR is 0). Columns that are constant in the real set carry
no distance information and are left out of the joint space (listed in
``ignored``). Rows with a non-finite value in a used column are dropped (counted).

The k-NN balls are those of Naeem et al. (2020), "Reliable fidelity and diversity
metrics for generative models": real sample i's ball has the radius of its k-th
nearest real neighbour. One range query of the synthetic tree (scipy's cKDTree)
with each real point's own radius gives, at once, the density, the coverage,
which real (tail) samples the synthetic set reaches and which synthetic samples
lie outside every ball (off-support). Definitions are in ``docs/coverage.md``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np
from scipy.spatial import cKDTree
from scipy.stats import norm, rankdata
from threadpoolctl import threadpool_limits

from ..errors import ParameterError, TooFewSamplesError
from ..sampling.weights import kish_ess
from .descriptors import DESCRIPTOR_NAMES, RISKY_SIDE

# descriptors whose joint tail is "the dangerous situations"; the default risky set
JOINT_TAIL_DESCRIPTORS = ("min_ttc", "min_thw", "min_distance", "ego_max_decel", "max_drac", "min_pet")


@dataclass(frozen=True)
class CoverageSettings:
    """How to score: ``k`` of the k-NN balls, tail ``levels`` (shares of the real set, e.g. 0.05 =
    beyond the real 5 % quantile), the ``risky`` descriptors of the joint tail, subsample sizes of
    the Vendi score and of the classifier test (per class), CV ``folds`` and the ``seed`` of every
    random choice (same inputs and seed give the same numbers).

    Tails: a tail is judged only when it holds at least ``min_tail_real`` real windows; its
    enrichment gets cluster-bootstrap bounds (``bootstrap`` draws resampling the real recordings;
    the synthetic share is a property of the set judged) that hold for every judged tail at once
    at family-wise level ``tail_alpha`` per direction (max-T; the lower bounds decide
    ``enriching``, the upper bounds ``missing tails``).

    Baseline (:mod:`~scenariogen.coverage.baseline`): ``splits`` real-versus-real splits leaving
    whole recordings out (all of them when fewer exist), and the ``min_groups`` recordings below
    which real data cannot be split by recording (the baseline and the classifier's folds then
    fall back to ego tracks, and the report says so). A descriptor whose two halves of real data
    separate (median |2 AUC - 1| over the splits) at ``unreliable_separation`` or more is left
    out of the judging space: real data does not agree with itself on it."""

    k: int = 5
    levels: tuple[float, ...] = (0.05, 0.01)
    risky: tuple[str, ...] = JOINT_TAIL_DESCRIPTORS
    vendi_size: int = 1000
    classifier_size: int = 5000
    folds: int = 5
    seed: int = 0
    min_tail_real: int = 20
    tail_alpha: float = 0.05
    bootstrap: int = 1000
    splits: int = 20
    min_groups: int = 4
    unreliable_separation: float = 0.8

    def __post_init__(self):
        if self.k < 1:
            raise ParameterError("k", f"must be >= 1, got {self.k}")
        if not self.levels or not all(0 < q < 0.5 for q in self.levels):
            raise ParameterError("levels", f"must lie in (0, 0.5), got {self.levels}")
        if self.folds < 2:
            raise ParameterError("folds", f"must be >= 2, got {self.folds}")
        if self.min_tail_real < 1:
            raise ParameterError("min_tail_real", f"must be >= 1, got {self.min_tail_real}")
        if not 0 < self.tail_alpha < 1:
            raise ParameterError("tail_alpha", f"must lie in (0, 1), got {self.tail_alpha}")
        if self.bootstrap < 100:
            raise ParameterError("bootstrap", f"must be >= 100 draws, got {self.bootstrap}")
        if self.splits < 2:
            raise ParameterError("splits", f"must be >= 2, got {self.splits}")
        if not 0 < self.unreliable_separation <= 1:
            raise ParameterError("unreliable_separation", f"must lie in (0, 1], got {self.unreliable_separation}")
        if self.min_groups < 4:
            raise ParameterError("min_groups", f"must be >= 4 (two recordings on each side), got {self.min_groups}")


@dataclass(frozen=True)
class Standardiser:
    """Real-set location (median) and robust scale per used column; ``names`` are the used columns."""

    names: tuple[str, ...]
    columns: tuple[int, ...]
    loc: np.ndarray
    scale: np.ndarray

    def __call__(self, D: np.ndarray) -> np.ndarray:
        return (np.asarray(D, float)[:, list(self.columns)] - self.loc) / self.scale


@dataclass(frozen=True)
class TailResult:
    """One tail region of the real set (one descriptor, or the joint tail) at one level.

    ``threshold`` in the descriptor's unit (for the joint tail: the real quantile of the joint
    score, a share; for a two-sided descriptor the low one, ``threshold_high`` the high one); ``real_share``: the real mass in the region (close to ``level`` unless the
    descriptor has ties there); ``synthetic_share`` / ``weighted_share``: the synthetic mass in it,
    raw and with the importance weights; ``enrichment`` = synthetic_share / real_share (and
    ``weighted_enrichment``); ``reach``: share of the real tail samples whose k-NN ball (all used
    descriptors) holds a synthetic sample; ``reach_1d``: the same with the ball on this descriptor
    alone (NaN for the joint tail). ``judged``: the region holds at least ``min_tail_real`` real
    samples; ``enrichment_low`` / ``enrichment_high``: the cluster-bootstrap bounds of the
    enrichment at the corrected level (:class:`TailTest`; NaN when not judged)."""

    descriptor: str
    side: str
    level: float
    threshold: float
    n_real: int
    n_synthetic: int
    real_share: float
    synthetic_share: float
    weighted_share: float
    enrichment: float
    weighted_enrichment: float
    reach: float
    reach_1d: float
    threshold_high: float = math.nan
    judged: bool = False
    enrichment_low: float = math.nan
    enrichment_high: float = math.nan


@dataclass(frozen=True)
class TailTest:
    """How the tails were tested: ``judged`` tails (risky descriptors and the joint tail, every
    level, with at least ``min_real`` real samples) out of ``formed``; their bounds hold together
    at family-wise level ``alpha`` per direction (max-T over ``draws`` cluster-bootstrap draws,
    :func:`ratio_bounds`), with critical values ``critical_low`` / ``critical_high`` (in units of
    each tail's bootstrap spread of the log ratio; Bonferroni would use z at alpha / judged);
    ``real_units``: the real clusters resampled (recordings; rows when none were given). The
    synthetic set's share is what the set holds, not an estimate, so it is not resampled."""

    formed: int
    judged: int
    min_real: int
    alpha: float
    critical_low: float
    critical_high: float
    draws: int
    real_units: int


@dataclass(frozen=True)
class FidelityResult:
    """Naeem et al. density (expected 1 for identical distributions; > 1 crowds the real modes),
    coverage (share of real samples whose ball holds a synthetic one), off-support rate (share of
    synthetic samples outside every real ball) overall and per descriptor on its own axis, and each
    descriptor's share of the squared standardised distance from off-support samples to their
    nearest real sample (which descriptors drive the drift); per descriptor the median shift
    (synthetic median - real median, in real robust sd) and the separation |2 AUC - 1| of that
    descriptor alone over all rows."""

    k: int
    density: float
    coverage: float
    off_support: float
    off_support_1d: dict[str, float]
    drift_share: dict[str, float]
    median_shift: dict[str, float]
    separation: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class DiversityResult:
    """Vendi scores (orders 1 and 0.5, RBF kernel with the real median squared distance as width)
    of equal-size subsamples of each set, their ratio synthetic / real, and duplicate rates (share
    of samples with an exact copy in their own set)."""

    n: int
    vendi_real: float
    vendi_synthetic: float
    vendi_ratio: float
    vendi_real_half: float
    vendi_synthetic_half: float
    vendi_ratio_half: float
    duplicate_rate: float
    duplicate_rate_real: float


@dataclass(frozen=True)
class ClassifierResult:
    """Classifier two-sample test: gradient-boosted trees, stratified *grouped* k-fold (every window
    of one source, a simulated scenario or one vehicle of one real log, stays in one fold, so
    near-copies from overlapping windows cannot sit on both sides of a split), on equal numbers of
    real and synthetic samples. Held-out ``accuracy`` and ``auc`` with the 95 % interval of each
    under the null hypothesis that the sets cannot be told apart (binomial for accuracy,
    Mann-Whitney for the AUC); ``separation``: per descriptor |2 AUC - 1| of that descriptor alone,
    largest first. ``groups_real`` / ``groups_synthetic``: distinct sources in the subsample, and
    ``effective_real`` / ``effective_synthetic`` their Kish effective sizes (the chance intervals use
    these: windows of one source held out together count as about one independent sample);
    ``grouped`` is False when no sources were given (rows independent) or a set had fewer than two
    sources; then the folds are plain stratified ones."""

    n_per_class: int
    folds: int
    accuracy: float
    accuracy_chance: tuple[float, float]
    auc: float
    auc_chance: tuple[float, float]
    separation: dict[str, float]
    grouped: bool = False
    groups_real: int = 0
    groups_synthetic: int = 0
    effective_real: float = math.nan
    effective_synthetic: float = math.nan


@dataclass(frozen=True)
class CoverageResult:
    """Everything measured for one synthetic set against one real set (``classifier`` None when
    scored without the classifier test)."""

    names: tuple[str, ...]
    ignored: dict[str, str]
    n_real: int
    n_synthetic: int
    dropped_real: int
    dropped_synthetic: int
    weighted: bool
    settings: CoverageSettings
    standardiser: Standardiser
    tails: tuple[TailResult, ...]
    fidelity: FidelityResult
    diversity: DiversityResult
    classifier: ClassifierResult | None
    notes: tuple[str, ...] = field(default=())
    tail_test: TailTest | None = None

    def tail(self, descriptor: str, level: float) -> TailResult:
        """The tail result of ``descriptor`` (or ``"joint"``) at ``level``."""
        for t in self.tails:
            if t.descriptor == descriptor and math.isclose(t.level, level):
                return t
        raise KeyError(f"no tail result for {descriptor!r} at level {level}")


# ----------------------------------------------------------------------------- standardising


def fit_standardiser(X: np.ndarray, names=DESCRIPTOR_NAMES) -> tuple[Standardiser, dict[str, str]]:
    """Robust location and scale of each real column; constant (or all-NaN) columns are ignored."""
    X = np.asarray(X, float)
    cols, loc, scale, ignored = [], [], [], {}
    for j, name in enumerate(names):
        x = X[:, j][np.isfinite(X[:, j])]
        if len(x) < 2:
            ignored[name] = "fewer than two finite real values"
            continue
        q25, med, q75 = np.quantile(x, [0.25, 0.5, 0.75])
        s = (q75 - q25) / 1.349
        if not s > 0:
            s = float(np.std(x))
        if not s > 1e-12 * max(1.0, abs(med)):
            ignored[name] = f"constant in the real set ({med:g})"
            continue
        cols.append(j)
        loc.append(med)
        scale.append(s)
    if not cols:
        raise TooFewSamplesError("every descriptor is constant in the real set: nothing to compare")
    st = Standardiser(tuple(names[j] for j in cols), tuple(cols), np.array(loc), np.array(scale))
    return st, ignored


def _finite_rows(Z: np.ndarray) -> np.ndarray:
    return np.isfinite(Z).all(axis=1)


# ----------------------------------------------------------------------------- k-NN balls


def knn_radii(Xs: np.ndarray, k: int, tree: cKDTree | None = None) -> np.ndarray:
    """Distance from each row of ``Xs`` to its k-th nearest other row (the Naeem ball radius)."""
    tree = tree if tree is not None else cKDTree(Xs)
    kk = min(k + 1, len(Xs))
    d, _ = tree.query(Xs, k=kk, workers=-1)
    d = d.reshape(len(Xs), -1)
    return d[:, -1]


def ball_hits(Xs: np.ndarray, radii: np.ndarray, Ys: np.ndarray, ytree: cKDTree | None = None):
    """Per real ball, the number of synthetic samples inside it, and per synthetic sample whether
    it lies inside at least one real ball. One cKDTree range query with per-ball radii."""
    ytree = ytree if ytree is not None else cKDTree(Ys)
    lists = ytree.query_ball_point(Xs, r=radii, workers=-1)
    counts = np.fromiter((len(v) for v in lists), np.int64, len(lists))
    inside = np.zeros(len(Ys), bool)
    if counts.sum():
        inside[np.concatenate([np.asarray(v, np.int64) for v in lists if len(v)])] = True
    return counts, inside


def _intervals_1d(x: np.ndarray, k: int):
    """Sorted real values of one column with the merged union of their 1-D k-NN balls, and each
    value's radius: the distance to its k-th nearest *distinct* real value (overlapping windows
    repeat values exactly, which would shrink plain k-NN radii to 0)."""
    u, inv = np.unique(x, return_inverse=True)
    r = knn_radii(u[:, None], k)[inv] if len(u) > 1 else np.zeros(len(x))
    lo, hi = x - r, x + r
    o = np.argsort(lo, kind="stable")
    return lo[o], np.maximum.accumulate(hi[o]), r


def _inside_union(starts: np.ndarray, run_max_end: np.ndarray, y: np.ndarray) -> np.ndarray:
    i = np.searchsorted(starts, y, side="right") - 1
    ok = i >= 0
    out = np.zeros(len(y), bool)
    out[ok] = run_max_end[i[ok]] >= y[ok]
    return out


def _reached_1d(xt: np.ndarray, rt: np.ndarray, ysorted: np.ndarray) -> np.ndarray:
    a = np.searchsorted(ysorted, xt - rt, side="left")
    b = np.searchsorted(ysorted, xt + rt, side="right")
    return b > a


# ----------------------------------------------------------------------------- tails


def _tail_mask(x: np.ndarray, side: str, q: float, ref: np.ndarray):
    """Tail region of the reference column ``ref`` on ``side`` at level ``q``, applied to ``x``.
    Returns (mask of x, mask of ref, (threshold, high threshold or NaN)) or None if the region is degenerate (ties)."""

    def one(sd, qq):
        t = float(np.quantile(ref, qq if sd == "low" else 1 - qq))
        cmp = (lambda v: v <= t) if sd == "low" else (lambda v: v >= t)
        if cmp(ref).mean() > 2 * qq + 2.0 / len(ref):  # a point mass at the threshold: keep what lies beyond it
            cmp = (lambda v: v < t) if sd == "low" else (lambda v: v > t)
        return cmp, t

    if side == "both":
        (c1, t1), (c2, _t2) = one("low", q / 2), one("high", q / 2)
        mref, mx, t = c1(ref) | c2(ref), c1(x) | c2(x), (t1, _t2)
    else:
        c, t = one(side, q)
        mref, mx, t = c(ref), c(x), (t, math.nan)
    if not mref.any():
        return None
    return mx, mref, t


def _joint_scores(Xr: np.ndarray, Y: np.ndarray, sides: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Joint tail score: min over the risky descriptors of the real tail probability on the risky
    side (share of real values at least as extreme). Small = deep in some risky tail."""
    n = len(Xr)
    sx = np.ones(n)
    sy = np.ones(len(Y))
    for j, side in enumerate(sides):
        ref = np.sort(Xr[:, j])
        for v, s in ((Xr[:, j], sx), (Y[:, j], sy)):
            if side == "low":
                p = np.searchsorted(ref, v, side="right") / n
            else:
                p = (n - np.searchsorted(ref, v, side="left")) / n
            np.minimum(s, p, out=s)
    return sx, sy


def _share(mask: np.ndarray, w: np.ndarray | None) -> float:
    if w is None:
        return float(mask.mean()) if len(mask) else math.nan
    return float(w[mask].sum() / w.sum()) if w.sum() > 0 else math.nan


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else math.nan


def _codes(g: np.ndarray | None, n: int) -> np.ndarray:
    return np.arange(n) if g is None else g


def ratio_bounds(real_in: list[np.ndarray], syn_share: list[float], gx: np.ndarray, draws: int, alpha: float,
                 seed: int) -> tuple[list[tuple[float, float]], float, float]:
    """Simultaneous cluster-bootstrap bounds of tail enrichment ratios (family-wise level ``alpha``
    per direction). ``real_in``: per tail, the boolean region membership of the real rows;
    ``syn_share``: per tail, the synthetic set's share in the region (a property of the set being
    judged, so it is not resampled); ``gx``: the real rows' cluster codes (recordings).

    Each draw resamples the real clusters with replacement and takes synthetic share / real share.
    On the log scale, each tail's deviation from its estimate is scaled by its bootstrap spread
    (half the 16-84 % range); the critical value is the (1 - alpha) quantile over the draws of the
    largest scaled deviation across the tails (max-T, Westfall and Young 1993): one bound for all
    tails at once, less conservative than Bonferroni where tails move together (they share
    recordings). Returns the (lower, upper) bound per tail and the two critical values. A tail
    whose draws do not spread (no synthetic mass: every draw 0) gets its one value as both bounds."""
    if not real_in:
        return [], math.nan, math.nan
    ux, gx = np.unique(gx, return_inverse=True)
    G = len(ux)
    cx = np.stack([np.bincount(gx.ravel(), weights=m.astype(float), minlength=G) for m in real_in], 1)
    nx = np.bincount(gx.ravel(), minlength=G).astype(float)
    sy = np.asarray(syn_share, float)
    rng = np.random.default_rng(seed)
    chunk = max(1, 4_000_000 // G)  # draws per block: at most a few million cluster weights in memory
    rx = np.concatenate([_resampled_shares(rng, G, min(chunk, draws - d), cx, nx) for d in range(0, draws, chunk)])
    with np.errstate(divide="ignore", invalid="ignore"):
        R = np.where(rx > 0, sy[None, :] / rx, np.where(sy[None, :] > 0, np.inf, 0.0))
        r0 = sy / (cx.sum(0) / nx.sum())
    L = np.log(np.clip(R, 1e-6, 1e6))
    l0 = np.log(np.clip(r0, 1e-6, 1e6))
    spread = (np.quantile(L, 0.84, axis=0) - np.quantile(L, 0.16, axis=0)) / 2
    live = spread > 1e-9
    if live.any():
        z = (L[:, live] - l0[live]) / spread[live]
        c_lo = float(np.quantile((-z).max(axis=1), 1 - alpha))
        c_hi = float(np.quantile(z.max(axis=1), 1 - alpha))
    else:
        c_lo = c_hi = math.nan
    out = []
    for k in range(len(sy)):
        if live[k]:
            out.append((float(np.exp(l0[k] - c_lo * spread[k])), float(np.exp(l0[k] + c_hi * spread[k]))))
        else:
            v = float(r0[k]) if np.isfinite(r0[k]) else math.inf
            out.append((v, v))
    return out, c_lo, c_hi


def _resampled_shares(rng, G: int, draws: int, cx: np.ndarray, nx: np.ndarray) -> np.ndarray:
    """Real shares of each region (columns of cx, counts per cluster) in ``draws`` resamples of the
    G clusters with replacement."""
    w = rng.multinomial(G, np.full(G, 1.0 / G), size=draws).astype(float)
    return (w @ cx) / (w @ nx)[:, None]


def separation(Xs: np.ndarray, Ys: np.ndarray, names) -> dict[str, float]:
    """Per column |2 AUC - 1| of telling Ys from Xs with that column alone, largest first."""
    sep = {nm: abs(2 * univariate_auc(Xs[:, j], Ys[:, j]) - 1) for j, nm in enumerate(names)}
    return dict(sorted(sep.items(), key=lambda kv: -kv[1]))


# ----------------------------------------------------------------------------- diversity


def vendi(Z: np.ndarray, width2: float) -> tuple[float, float]:
    """Vendi scores of order 1 and 0.5 of the rows of Z with the kernel exp(-d^2 / width2)."""
    n = len(Z)
    if n == 0:
        return math.nan, math.nan
    sq = (Z * Z).sum(1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2.0 * Z @ Z.T, 0.0)
    with threadpool_limits(limits=1):  # 1000 x 1000: threads cost more than they save on a busy machine
        lam = np.clip(np.linalg.eigvalsh(np.exp(-d2 / width2) / n), 0.0, None)
    lam = lam[lam > 1e-15]
    lam = lam / lam.sum()
    v1 = float(np.exp(-(lam * np.log(lam)).sum()))
    v_half = float(np.sqrt(lam).sum() ** 2)
    return v1, v_half


def duplicate_rate(Z: np.ndarray) -> float:
    """Share of rows with an exact copy elsewhere in the same set (row-wise unique; a tree query
    for the nearest neighbour costs minutes at 100 000 rows in 13 dimensions)."""
    if len(Z) < 2:
        return 0.0
    _, inv, counts = np.unique(np.ascontiguousarray(Z), axis=0, return_inverse=True, return_counts=True)
    return float((counts[inv.ravel()] > 1).mean())


# ----------------------------------------------------------------------------- classifier


def univariate_auc(a: np.ndarray, b: np.ndarray) -> float:
    """AUC of telling b from a with one column alone (Mann-Whitney U / (n_a n_b))."""
    r = rankdata(np.concatenate([a, b]))
    na, nb = len(a), len(b)
    u = r[na:].sum() - nb * (nb + 1) / 2
    return float(u / (na * nb))


def _group_codes(groups, n: int) -> np.ndarray | None:
    """Integer codes of per-row source labels (None stays None: the rows are independent)."""
    if groups is None:
        return None
    g = np.asarray(groups)
    if g.shape != (n,):
        raise ParameterError("groups", f"must hold one label per row ({n}), got shape {g.shape}")
    return np.unique(g.astype(str) if g.dtype == object else g, return_inverse=True)[1].ravel()


def _kish(codes: np.ndarray) -> float:
    """Kish's effective sample size of rows in clusters: (sum of sizes)^2 / sum of squared sizes."""
    c = np.unique(codes, return_counts=True)[1].astype(float)
    return kish_ess(c)


def classifier_test(Xs: np.ndarray, Ys: np.ndarray, names, size: int, folds: int, seed: int,
                    groups_real=None, groups_synthetic=None) -> ClassifierResult:
    """Cross-validated real-vs-synthetic classifier on equal-size subsamples (see ClassifierResult).

    ``groups_real`` / ``groups_synthetic``: per row, the source it was cut from (a real log's
    vehicle, a simulated scenario); the folds keep each source whole. None: rows are independent."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import (
        StratifiedGroupKFold,
        StratifiedKFold,
        cross_val_predict,
    )

    rng = np.random.default_rng(seed)
    gx, gy = _group_codes(groups_real, len(Xs)), _group_codes(groups_synthetic, len(Ys))
    n = int(min(len(Xs), len(Ys), size))
    ix = rng.choice(len(Xs), n, replace=False)
    iy = rng.choice(len(Ys), n, replace=False)
    xa, ya = Xs[ix], Ys[iy]
    Z = np.concatenate([xa, ya])
    lab = np.r_[np.zeros(n, int), np.ones(n, int)]
    # without labels a row is its own source
    gx = np.arange(len(Xs)) if gx is None else gx
    gy = np.arange(len(Ys)) if gy is None else gy
    ngx, ngy = len(np.unique(gx[ix])), len(np.unique(gy[iy]))
    given = groups_real is not None or groups_synthetic is not None
    grouped = given and min(ngx, ngy) >= 2
    nf = int(min(folds, n, ngx, ngy) if grouped else min(folds, n))
    if nf < 2:
        raise TooFewSamplesError("the classifier test needs at least two samples of each set")
    clf = HistGradientBoostingClassifier(max_iter=100, learning_rate=0.1, max_leaf_nodes=15,
                                         early_stopping=False, random_state=seed)
    if grouped:  # real and synthetic sources are distinct groups: offset the synthetic codes
        g = np.r_[gx[ix], gy[iy] + gx.max() + 1]
        splits = list(StratifiedGroupKFold(nf, shuffle=True, random_state=seed).split(Z, lab, g))
    else:
        splits = list(StratifiedKFold(nf, shuffle=True, random_state=seed).split(Z, lab))
    # one thread: the trees are small, and OpenMP's start-up per split costs more than it saves on a
    # shared machine (measured 0.45 s against 10 s for 10 000 rows)
    with threadpool_limits(limits=1):
        p = cross_val_predict(clf, Z, lab, cv=splits, method="predict_proba")[:, 1]
    acc = float(((p > 0.5) == lab).mean())
    auc = float(roc_auc_score(lab, p))
    # effective sample sizes: windows of one source held out together err together, so the null
    # spread is that of (at worst) one draw per source, weighted by size (Kish: (sum c)^2 / sum c^2)
    ex, ey = (_kish(gx[ix]), _kish(gy[iy])) if grouped else (float(n), float(n))
    z = norm.ppf(0.975)
    ha = z * math.sqrt(0.25 / (ex + ey))
    hu = z * math.sqrt((ex + ey + 1) / (12.0 * ex * ey))
    sep = separation(xa, ya, names)
    return ClassifierResult(n, nf, acc, (0.5 - ha, 0.5 + ha), auc, (0.5 - hu, 0.5 + hu), sep, grouped, ngx, ngy,
                            ex, ey)


# ----------------------------------------------------------------------------- the whole score


def score(real: np.ndarray, synthetic: np.ndarray, *, names=DESCRIPTOR_NAMES, weights=None,
          settings: CoverageSettings = CoverageSettings(), progress=None, real_groups=None,
          synthetic_groups=None, classify: bool = True, bounds: bool = True) -> CoverageResult:
    """Score synthetic descriptor rows against real ones (both (n, len(names)), raw units).

    ``weights``: optional importance weights of the synthetic rows (e.g. exp(log p - log q) of a
    run), used for the weighted tail shares. ``real_groups`` / ``synthetic_groups``: optional
    per-row labels of the independent units the rows come from (a real recording, a simulated
    scenario): the classifier's folds keep each unit whole, its chance interval counts units, and
    the tail bootstrap resamples the real ones. ``classify=False`` skips the classifier test and
    ``bounds=False`` the tail bootstrap (the real-versus-real baseline's splits need neither).
    ``progress``: optional callable(step_name) called before each step (for a progress bar)."""
    tick = progress or (lambda _name: None)
    X = np.asarray(real, float)
    Y = np.asarray(synthetic, float)
    names = tuple(names)
    if X.ndim != 2 or Y.ndim != 2 or X.shape[1] != len(names) or Y.shape[1] != len(names):
        raise ParameterError("synthetic", f"{Y.shape} and real {X.shape} must both have {len(names)} columns")
    w = None if weights is None else np.asarray(weights, float)
    if w is not None and (w.shape != (len(Y),) or not np.all(np.isfinite(w)) or np.any(w < 0)):
        raise ParameterError("weights", "must be finite, non-negative, one per synthetic row")
    gx, gy = _group_codes(real_groups, len(X)), _group_codes(synthetic_groups, len(Y))
    st, ignored = fit_standardiser(X, names)
    Xs, Ys = st(X), st(Y)
    okx, oky = _finite_rows(Xs), _finite_rows(Ys)
    Xs, Ys, Xr, Yr = Xs[okx], Ys[oky], X[okx][:, list(st.columns)], Y[oky][:, list(st.columns)]
    gx = None if gx is None else gx[okx]
    gy = None if gy is None else gy[oky]
    if w is not None:
        w = w[oky]
    k = settings.k
    if len(Xs) < k + 2 or len(Ys) < 2:
        raise TooFewSamplesError(f"too few usable samples: {len(Xs)} real (need > {k + 1}), {len(Ys)} synthetic")
    notes = []

    tick("k-NN balls")
    xtree = cKDTree(Xs)
    radii = knn_radii(Xs, k, xtree)
    ytree = cKDTree(Ys)
    counts, inside = ball_hits(Xs, radii, Ys, ytree)
    density = float(counts.sum() / (k * len(Ys)))
    coverage = float((counts > 0).mean())
    off = ~inside
    p = len(st.names)
    drift_share = dict.fromkeys(st.names, 0.0)
    if off.any():
        _, nn = xtree.query(Ys[off], k=1, workers=-1)
        d2 = (Ys[off] - Xs[nn]) ** 2
        tot = d2.sum(1, keepdims=True)
        share = np.divide(d2, tot, out=np.full_like(d2, 1.0 / p), where=tot > 0).mean(0)
        drift_share = {nm: float(s) for nm, s in zip(st.names, share)}
    off1, med_shift, ivals = {}, {}, {}
    for j, nm in enumerate(st.names):
        starts, ends, r1 = _intervals_1d(Xs[:, j], k)
        ivals[nm] = r1
        off1[nm] = float((~_inside_union(starts, ends, Ys[:, j])).mean())
        med_shift[nm] = float(np.median(Ys[:, j]) - np.median(Xs[:, j]))
    fid = FidelityResult(k, density, coverage, float(off.mean()), off1, drift_share, med_shift,
                         separation(Xs, Ys, st.names))

    tick("tails")
    tails = []
    regions = []  # per tail: (real mask, synthetic mask), for the bootstrap
    ysorted = {nm: np.sort(Ys[:, j]) for j, nm in enumerate(st.names)}
    for j, nm in enumerate(st.names):
        side = RISKY_SIDE.get(nm, "both")
        for q in settings.levels:
            got = _tail_mask(Yr[:, j], side, q, Xr[:, j])
            if got is None:
                notes.append(f"{nm}: no real tail beyond the {q:g} quantile (ties at the extreme)")
                continue
            my, mx, thr = got
            rs = float(mx.mean())
            reach1 = float(_reached_1d(Xs[mx, j], ivals[nm][mx], ysorted[nm]).mean())
            regions.append((mx, my))
            tails.append(TailResult(nm, side, q, thr[0], int(mx.sum()), int(my.sum()), rs, _share(my, None),
                                    _share(my, w) if w is not None else math.nan,
                                    _ratio(_share(my, None), rs),
                                    _ratio(_share(my, w), rs) if w is not None else math.nan,
                                    float((counts[mx] > 0).mean()), reach1, thr[1]))
    risky = [nm for nm in settings.risky if nm in st.names]
    if risky:
        cols = [st.names.index(nm) for nm in risky]
        sides = [RISKY_SIDE[nm] if RISKY_SIDE[nm] != "both" else "low" for nm in risky]
        sx, sy = _joint_scores(Xr[:, cols], Yr[:, cols], sides)
        for q in settings.levels:
            got = _tail_mask(sy, "low", q, sx)
            if got is None:
                notes.append(f"joint tail: degenerate at level {q:g}")
                continue
            my, mx, thr = got
            rs = float(mx.mean())
            regions.append((mx, my))
            tails.append(TailResult("joint", "low", q, thr[0], int(mx.sum()), int(my.sum()), rs, _share(my, None),
                                    _share(my, w) if w is not None else math.nan,
                                    _ratio(_share(my, None), rs),
                                    _ratio(_share(my, w), rs) if w is not None else math.nan,
                                    float((counts[mx] > 0).mean()), math.nan))
    else:
        notes.append("no risky descriptor is usable: no joint tail")
    tails, tail_test = _test_tails(tails, regions, gx, gy, settings, bounds)

    tick("diversity")
    rng = np.random.default_rng(settings.seed)
    n = int(min(len(Xs), len(Ys), settings.vendi_size))
    xv = Xs[rng.choice(len(Xs), n, replace=False)]
    yv = Ys[rng.choice(len(Ys), n, replace=False)]
    sq = (xv * xv).sum(1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2.0 * xv @ xv.T, 0.0)
    width2 = float(np.median(d2[np.triu_indices(n, 1)])) if n > 1 else 1.0
    width2 = width2 if width2 > 0 else 1.0
    vr1, vrh = vendi(xv, width2)
    vs1, vsh = vendi(yv, width2)
    div = DiversityResult(n, vr1, vs1, _ratio(vs1, vr1), vrh, vsh, _ratio(vsh, vrh),
                          duplicate_rate(Ys), duplicate_rate(Xs))

    clf = None
    if classify:
        tick("classifier")
        clf = classifier_test(Xs, Ys, st.names, settings.classifier_size, settings.folds, settings.seed, gx, gy)
        if (gx is not None or gy is not None) and not clf.grouped:
            notes.append("classifier test: a set has fewer than two sources, so its folds are not grouped by source "
                         "(near-copies of one source may sit on both sides of a split)")
    return CoverageResult(st.names, ignored, len(Xs), len(Ys), int((~okx).sum()), int((~oky).sum()), w is not None,
                          settings, st, tuple(tails), fid, div, clf, tuple(notes), tail_test)


def _test_tails(tails: list[TailResult], regions, gx, gy, settings: CoverageSettings, bounds: bool):
    """Mark the judged tails (risky or joint, enough real samples) and give them bootstrap bounds
    corrected for how many are judged (per direction)."""
    eligible = [i for i, t in enumerate(tails)
                if (t.descriptor == "joint" or t.descriptor in settings.risky) and t.n_real >= settings.min_tail_real]
    m = len(eligible)
    out = list(tails)
    for i in eligible:
        out[i] = dataclasses.replace(out[i], judged=True)
    if not bounds:
        return out, None
    cx = _codes(gx, len(regions[0][0]) if regions else 0)
    got, c_lo, c_hi = (ratio_bounds([regions[i][0] for i in eligible], [tails[i].synthetic_share for i in eligible],
                                    cx, settings.bootstrap, settings.tail_alpha, settings.seed)
                       if m else ([], math.nan, math.nan))
    for i, (lo, hi) in zip(eligible, got):
        out[i] = dataclasses.replace(out[i], enrichment_low=lo, enrichment_high=hi)
    test = TailTest(len(tails), m, settings.min_tail_real, settings.tail_alpha, c_lo, c_hi, settings.bootstrap,
                    int(len(np.unique(cx))))
    return out, test
