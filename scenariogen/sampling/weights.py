"""Kish's effective sample size, the one place it is computed (samplers, estimates, coverage)."""

from __future__ import annotations

import numpy as np


def kish_ess(w: np.ndarray | None = None, *, sum_w: float | None = None, sum_w2: float | None = None) -> float:
    """Kish's effective sample size (sum w)^2 / sum w^2 of non-negative weights (0 when no weight
    is positive), from the weights ``w`` or from their running sums ``sum_w`` and ``sum_w2``
    (pooled stages that keep only the sums). Dimensionless: a number of samples.

    The two forms differ in the last bit (numpy's scalar power against a product), and each value
    enters sampler states and run content hashes, so both are kept exactly as they were computed."""
    if w is not None:
        if sum_w is not None or sum_w2 is not None:
            raise TypeError("kish_ess takes the weights or their sums, not both")
        w = np.asarray(w)
        s2 = float(np.dot(w, w))
        return float(w.sum() ** 2 / s2) if s2 > 0 else 0.0
    if sum_w is None or sum_w2 is None:
        raise TypeError("kish_ess needs the weights w, or both sum_w and sum_w2")
    return sum_w * sum_w / sum_w2 if sum_w2 > 0 else 0.0
