"""PNG plots of a coverage report (needs matplotlib: ``pip install scenariogen[viz]``).

- ``histograms.png``: real vs synthetic histograms (share of each set per bin) of every used
  descriptor over its whole range, the real tail regions at each level shaded on the risky side;
  a heavy-tailed descriptor (decided from the data by :func:`histogram_axis`, e.g. ``max_drac``,
  where one near-zero gap gives thousands of m/s^2) gets a symlog axis instead of a linear one;
- ``risky_map.png``: the two leading risky descriptors of the joint tail against each other,
  real and synthetic points, with the real tail thresholds.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np

from .metrics import CoverageResult

VIZ_HINT = "plots need matplotlib: pip install scenariogen[viz]"

# a set is heavy-tailed on an axis when its central 90 % spans less than this share of its full range
# (normal data: about 0.4; exponential: about 0.3; one DRAC of 8000 m/s^2 among values of 0-4: 0.0005)
HEAVY_BULK_SHARE = 0.2


def histogram_axis(*sets: np.ndarray) -> tuple[str, float]:
    """The x axis for histograms of ``sets`` (1-D arrays of one descriptor, non-finite values
    ignored): ``("symlog", linthresh)`` when some set is heavy-tailed (its central 90 % spans less
    than ``HEAVY_BULK_SHARE`` of its own range, so a linear axis would squeeze the bulk into a few
    bins), with the linear part as wide as the largest interquartile range; else ``("linear", nan)``.
    A set with no interquartile spread (a point mass and a few other values) is not heavy-tailed:
    a log axis shows it no better."""
    heavy, width = False, 0.0
    for v in sets:
        v = np.asarray(v, float)
        v = v[np.isfinite(v)]
        if len(v) < 2:
            continue
        q05, q25, q75, q95 = np.quantile(v, [0.05, 0.25, 0.75, 0.95])
        span = float(v.max() - v.min())
        if q75 > q25:  # a point mass (no spread in the middle) is shown no better on a log axis
            heavy = heavy or (q95 - q05) < HEAVY_BULK_SHARE * span
            width = max(width, float(q75 - q25))
    if not heavy:
        return "linear", math.nan
    return "symlog", width if width > 0 else 1.0


def plot_report(folder: Path, real: np.ndarray, synthetic: np.ndarray, result: CoverageResult):
    """Write the plots into ``folder``; returns (file names, a note or "" if all were written, the
    x axis of each histogram: ``{descriptor: "linear" | "symlog"}``)."""
    if importlib.util.find_spec("matplotlib") is None:
        return [], VIZ_HINT, {}
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.scale import SymmetricalLogTransform

    from .descriptors import DESCRIPTOR_NAMES, DESCRIPTOR_UNITS

    col = {n: k for k, n in enumerate(DESCRIPTOR_NAMES)}
    names = result.names
    files, axes_used = [], {}
    ncol = 4
    nrow = math.ceil(len(names) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(4 * ncol, 2.8 * nrow), squeeze=False)
    for ax, n in zip(axes.ravel(), names):
        x = real[:, col[n]]
        y = synthetic[:, col[n]]
        x, y = x[np.isfinite(x)], y[np.isfinite(y)]
        both = np.concatenate([x, y])
        lo, hi = (float(both.min()), float(both.max())) if len(both) else (0.0, 1.0)
        hi = hi if hi > lo else lo + 1.0
        scale, linthresh = histogram_axis(x, y)
        axes_used[n] = scale
        if scale == "symlog":  # bins of equal width on the symlog axis: the whole range, nothing clipped
            tr = SymmetricalLogTransform(10, linthresh, 1.0)
            edges = tr.transform(np.array([[lo], [hi]]))[:, 0]
            bins = tr.inverted().transform(np.linspace(edges[0], edges[1], 41)[:, None])[:, 0]
            bins[0], bins[-1] = lo, hi
            ax.set_xscale("symlog", linthresh=linthresh)
        else:
            bins = np.linspace(lo, hi, 41)
        # share of each set per bin (not a density: bins of a symlog axis differ in width)
        for v, label, colour in ((x, "real", "tab:blue"), (y, "synthetic", "tab:orange")):
            if len(v):
                ax.hist(v, bins=bins, weights=np.full(len(v), 1.0 / len(v)), alpha=0.5, label=label, color=colour)
        for t in result.tails:
            if t.descriptor != n:
                continue
            shade = 0.12 if t.level >= 0.05 else 0.22
            if t.side == "low":
                ax.axvspan(bins[0], min(t.threshold, bins[-1]), color="red", alpha=shade, lw=0)
            elif t.side == "high":
                ax.axvspan(max(t.threshold, bins[0]), bins[-1], color="red", alpha=shade, lw=0)
            else:
                ax.axvspan(bins[0], t.threshold, color="red", alpha=shade, lw=0)
                ax.axvspan(t.threshold_high, bins[-1], color="red", alpha=shade, lw=0)
        ax.set_title(f"{n} [{DESCRIPTOR_UNITS[n]}]" + (" (symlog axis)" if scale == "symlog" else ""), fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in axes.ravel()[len(names):]:
        ax.axis("off")
    axes[0, 0].legend(fontsize=7)
    axes[0, 0].set_ylabel("share per bin", fontsize=8)
    fig.suptitle("real vs synthetic descriptors (share of each set per bin); shaded: real tails (5 %, 1 %) on the "
                 "risky side; symlog axes where a set is heavy-tailed", fontsize=10)
    fig.tight_layout()
    fig.savefig(folder / "histograms.png", dpi=80)
    plt.close(fig)
    files.append("histograms.png")

    risky = [n for n in result.settings.risky if n in names][:2]
    if len(risky) == 2:
        a, b = risky
        fig, ax = plt.subplots(figsize=(6, 5))
        rng = np.random.default_rng(0)
        ys = synthetic if len(synthetic) <= 20000 else synthetic[rng.choice(len(synthetic), 20000, replace=False)]
        ax.scatter(ys[:, col[a]], ys[:, col[b]], s=4, alpha=0.3, color="tab:orange", label="synthetic")
        ax.scatter(real[:, col[a]], real[:, col[b]], s=8, alpha=0.7, color="tab:blue", label="real")
        for t in result.tails:
            if t.level >= 0.05 and t.descriptor == a:
                ax.axvline(t.threshold, color="red", lw=0.8, ls="--")
            if t.level >= 0.05 and t.descriptor == b:
                ax.axhline(t.threshold, color="red", lw=0.8, ls="--")
        for name, setter in ((a, ax.set_xscale), (b, ax.set_yscale)):
            sc, lt = histogram_axis(real[:, col[name]], synthetic[:, col[name]])
            if sc == "symlog":
                setter("symlog", linthresh=lt)
        ax.set_xlabel(f"{a} [{DESCRIPTOR_UNITS[a]}]")
        ax.set_ylabel(f"{b} [{DESCRIPTOR_UNITS[b]}]")
        ax.set_title("risky descriptors; dashed: real 5 % tail thresholds", fontsize=10)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(folder / "risky_map.png", dpi=80)
        plt.close(fig)
        files.append("risky_map.png")
    return files, "", axes_used
