"""PNG plots of a coverage report (needs matplotlib: ``pip install scenariogen[viz]``).

- ``histograms.png``: real vs synthetic histograms (densities) of every used descriptor, the
  real tail regions at each level shaded on the risky side;
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


def plot_report(folder: Path, real: np.ndarray, synthetic: np.ndarray, result: CoverageResult):
    """Write the plots into ``folder``; returns (file names, a note or "" if all were written)."""
    if importlib.util.find_spec("matplotlib") is None:
        return [], VIZ_HINT
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .descriptors import DESCRIPTOR_NAMES, DESCRIPTOR_UNITS

    col = {n: k for k, n in enumerate(DESCRIPTOR_NAMES)}
    names = result.names
    files = []
    ncol = 4
    nrow = math.ceil(len(names) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(4 * ncol, 2.8 * nrow), squeeze=False)
    for ax, n in zip(axes.ravel(), names):
        x = real[:, col[n]]
        y = synthetic[:, col[n]]
        x, keep = x[np.isfinite(x)], np.isfinite(y)
        y = y[keep]
        # range without the last 0.1 % on either side (one DRAC of 8000 m/s^2 would flatten the rest);
        # values beyond it are piled into the edge bins
        lo, hi = np.quantile(np.concatenate([x, y]), [0.001, 0.999])
        hi = hi if hi > lo else lo + 1.0
        bins = np.linspace(lo, hi, 41)
        ax.hist(np.clip(x, lo, hi), bins=bins, density=True, alpha=0.5, label="real", color="tab:blue")
        ax.hist(np.clip(y, lo, hi), bins=bins, density=True, alpha=0.5, label="synthetic", color="tab:orange")
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
        ax.set_title(f"{n} [{DESCRIPTOR_UNITS[n]}]", fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in axes.ravel()[len(names):]:
        ax.axis("off")
    axes[0, 0].legend(fontsize=7)
    fig.suptitle("real vs synthetic descriptors; shaded: real tails (5 %, 1 %) on the risky side", fontsize=10)
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
        ax.set_xlabel(f"{a} [{DESCRIPTOR_UNITS[a]}]")
        ax.set_ylabel(f"{b} [{DESCRIPTOR_UNITS[b]}]")
        ax.set_title("risky descriptors; dashed: real 5 % tail thresholds", fontsize=10)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(folder / "risky_map.png", dpi=80)
        plt.close(fig)
        files.append("risky_map.png")
    return files, ""
