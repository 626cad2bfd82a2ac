"""The real-versus-real baseline: how far real data lands from real data, split by recording.

Real windows of one recording share traffic, so real data is split leaving whole recordings
out: each split takes a share of the recordings as the *held-out* side and the rest as the
*reference*. On every split the held-out real windows are scored against the reference exactly
as a synthetic set is (:func:`~scenariogen.coverage.metrics.score`, classifier included): the
spread of each number over the splits is what real data gives against real data, the band a
synthetic set must leave before a verdict fires.

The synthetic set is scored against the same references (:func:`calibrate`), subsampled to each
split's held-out size, so that both sides of the comparison have the same sizes (density,
coverage, Vendi scores and tail ratios depend on them). Its classifier test is the main one
(against the whole real set), compared with the band of the real-versus-real AUCs.

With fewer than ``min_groups`` recordings real data cannot be split by recording: the splits
then leave whole ego tracks out, which understates how much recordings differ, and the baseline
says so (``unit = "source"``).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace

import numpy as np

from ..errors import TooFewSamplesError
from .descriptors import DESCRIPTOR_NAMES
from .metrics import CoverageResult, CoverageSettings, score

HELD_OUT_SHARE = 0.5  # share of the recordings held out per split


@dataclass(frozen=True)
class Band:
    """The spread of one number over the real-versus-real splits: ``median``, ``lo`` and ``hi``
    (the smallest and largest split), and ``n`` splits where it was defined."""

    median: float
    lo: float
    hi: float
    n: int

    def outside(self, x: float) -> int:
        """-1 below the band, +1 above it, 0 inside (or undefined)."""
        if not (math.isfinite(x) and self.n):
            return 0
        return -1 if x < self.lo else (1 if x > self.hi else 0)


@dataclass(frozen=True, eq=False)
class Baseline:
    """Real versus real. ``unit``: what a split leaves out whole ("recording", or "source" = ego
    track when there are fewer than ``min_groups`` recordings); ``groups``: how many there are;
    ``held_out``: per split, the labels of the held-out units; ``sizes``: held-out windows per
    split; ``real``: per number (:func:`split_numbers`), its value on each split; ``labels``: the
    unit of every real row (the rows the baseline was computed on); ``note``: what a reader must
    know (fallbacks, skipped splits)."""

    unit: str
    groups: int
    held_out: tuple[tuple[str, ...], ...]
    sizes: tuple[int, ...]
    real: dict
    labels: np.ndarray
    note: str = ""

    def band(self, key: str) -> Band:
        v = np.asarray(self.real.get(key, ()), float)
        v = v[np.isfinite(v)]
        if not len(v):
            return Band(math.nan, math.nan, math.nan, 0)
        return Band(float(np.median(v)), float(v.min()), float(v.max()), len(v))


@dataclass(frozen=True, eq=False)
class Calibration:
    """A synthetic set scored against each of the baseline's references: ``synthetic`` holds, per
    number, its value on each split (NaN where undefined); ``sizes``: synthetic windows per split."""

    baseline: Baseline
    synthetic: dict
    sizes: tuple[int, ...]

    def value(self, key: str) -> float:
        """The synthetic set's median over the splits."""
        v = np.asarray(self.synthetic.get(key, ()), float)
        v = v[np.isfinite(v)]
        return float(np.median(v)) if len(v) else math.nan

    def band(self, key: str) -> Band:
        return self.baseline.band(key)


def split_numbers(r: CoverageResult) -> dict[str, float]:
    """The numbers of one score that the baseline tracks: density, coverage, off_support,
    vendi_ratio, duplicate_excess, auc (if the classifier ran), and per used descriptor
    ``shift:NAME`` (median shift, sd), ``separation:NAME``, ``off_support_1d:NAME``; per tail
    ``tail:NAME:LEVEL`` (enrichment), ``reach:NAME:LEVEL`` (1-D reach; full-space for joint) and
    ``reach_full:NAME:LEVEL`` (full-space reach)."""
    f, d = r.fidelity, r.diversity
    out = {"density": f.density, "coverage": f.coverage, "off_support": f.off_support,
           "vendi_ratio": d.vendi_ratio, "duplicate_excess": d.duplicate_rate - d.duplicate_rate_real}
    if r.classifier is not None:
        out["auc"] = r.classifier.auc
    for n in r.names:
        out[f"shift:{n}"] = f.median_shift[n]
        out[f"separation:{n}"] = f.separation[n]
        out[f"off_support_1d:{n}"] = f.off_support_1d[n]
    for t in r.tails:
        out[f"tail:{t.descriptor}:{t.level:g}"] = t.enrichment
        out[f"reach:{t.descriptor}:{t.level:g}"] = t.reach if t.descriptor == "joint" else t.reach_1d
        out[f"reach_full:{t.descriptor}:{t.level:g}"] = t.reach
    return out


def group_splits(labels: np.ndarray, n_splits: int, seed: int, share: float = HELD_OUT_SHARE) -> list[tuple]:
    """Held-out label sets: round(share x G) of the G distinct labels each (at least 1, at most
    G - 1); every such set when there are at most ``n_splits`` of them, else ``n_splits`` distinct
    random ones (seeded)."""
    u = sorted(set(np.asarray(labels).astype(str).tolist()))
    G = len(u)
    if G < 2:
        raise TooFewSamplesError("a real-versus-real baseline needs at least two recordings (or sources)")
    k = min(G - 1, max(1, round(share * G)))
    if math.comb(G, k) <= n_splits:
        return [tuple(c) for c in itertools.combinations(u, k)]
    rng = np.random.default_rng(seed)
    seen, out = set(), []
    while len(out) < n_splits:
        c = tuple(sorted(rng.choice(u, k, replace=False).tolist()))
        if c not in seen:
            seen.add(c)
            out.append(c)
    return out


def choose_unit(recordings, sources, min_groups: int) -> tuple[np.ndarray, str, str]:
    """The unit real data is split by: recordings when there are at least ``min_groups`` of them,
    else ego tracks (``sources``), with the note that says what that costs."""
    rec = None if recordings is None else np.asarray(recordings).astype(str)
    if rec is not None and len(np.unique(rec)) >= min_groups:
        return rec, "recording", ""
    n = 0 if rec is None else len(np.unique(rec))
    src = None if sources is None else np.asarray(sources).astype(str)
    if src is None or len(np.unique(src)) < min_groups:
        raise TooFewSamplesError(f"the real set has {n} recording(s) and too few sources to split: a real-versus-real "
                                 f"baseline needs at least {min_groups} recordings (or ego tracks)")
    return src, "source", (f"only {n} real recording(s) (at least {min_groups} are needed to hold whole recordings "
                           "out): the baseline and the classifier's folds leave out ego tracks instead, which "
                           "understates how much recordings differ; add recordings for a calibrated verdict")


def real_baseline(X: np.ndarray, labels: np.ndarray, *, unit: str = "recording", names=DESCRIPTOR_NAMES,
                  settings: CoverageSettings = CoverageSettings(), size: int | None = None,
                  note: str = "", progress=None, splits=None) -> Baseline:
    """Score held-out real against reference real on every split of ``labels`` (the unit of each
    real row). ``size``: cap on the held-out windows per split (a random subsample beyond it), so
    that a synthetic set smaller than the held-out side is compared at its own size. ``splits``:
    the held-out label sets (default: :func:`group_splits` of ``labels`` by ``settings``).
    ``progress``: optional callable() after each split."""
    X = np.asarray(X, float)
    labels = np.asarray(labels).astype(str)
    splits = group_splits(labels, settings.splits, settings.seed) if splits is None else splits
    real: dict[str, list] = {}
    kept, sizes, skipped = [], [], 0
    for i, held in enumerate(splits):
        h = np.isin(labels, held)
        idx = np.flatnonzero(h)
        if size is not None and len(idx) > size:
            idx = np.sort(np.random.default_rng([settings.seed, i, 1]).choice(idx, size, replace=False))
        try:
            r = score(X[~h], X[idx], names=names, settings=replace(settings, seed=settings.seed + i),
                      real_groups=labels[~h], synthetic_groups=labels[idx], bounds=False)
        except TooFewSamplesError:
            skipped += 1
            continue
        _append(real, split_numbers(r), len(kept))
        kept.append(held)
        sizes.append(len(idx))
        if progress is not None:
            progress()
    if len(kept) < 2:
        raise TooFewSamplesError(f"only {len(kept)} real-versus-real split(s) could be scored: too few real windows")
    if skipped:
        note = (note + "; " if note else "") + f"{skipped} split(s) left too few reference windows and were skipped"
    return Baseline(unit, len(np.unique(labels)), tuple(kept), tuple(sizes),
                    {k: np.asarray(v, float) for k, v in real.items()}, labels, note)


def calibrate(baseline: Baseline, X: np.ndarray, Y: np.ndarray, *, names=DESCRIPTOR_NAMES,
              settings: CoverageSettings = CoverageSettings(), progress=None) -> Calibration:
    """Score the synthetic rows ``Y`` against each reference of ``baseline`` (built on the real rows
    ``X``), subsampled to that split's held-out size (seeded per split)."""
    X = np.asarray(X, float)
    Y = np.asarray(Y, float)
    syn: dict[str, list] = {}
    sizes = []
    for i, (held, n) in enumerate(zip(baseline.held_out, baseline.sizes)):
        h = np.isin(baseline.labels, held)
        m = min(n, len(Y))
        rows = np.sort(np.random.default_rng([settings.seed, i, 2]).choice(len(Y), m, replace=False))
        try:
            r = score(X[~h], Y[rows], names=names, settings=replace(settings, seed=settings.seed + i),
                      classify=False, bounds=False)
        except TooFewSamplesError:
            _append(syn, {}, i)
            sizes.append(0)
            continue
        _append(syn, split_numbers(r), i)
        sizes.append(m)
        if progress is not None:
            progress()
    return Calibration(baseline, {k: np.asarray(v + [math.nan] * (len(sizes) - len(v)), float)
                                  for k, v in syn.items()}, tuple(sizes))


def _append(acc: dict, values: dict, i: int) -> None:
    """Append one split's numbers, padding keys first seen late (or missing) with NaN."""
    for k, v in values.items():
        acc.setdefault(k, [math.nan] * i).append(float(v))
    for k, v in acc.items():
        if len(v) < i + 1:
            v.append(math.nan)
