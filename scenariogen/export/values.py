"""Values as the writers write them: JSON numbers that keep inf and nan, headings wrapped to [-pi, pi)."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["json_number", "wrap_heading"]


def json_number(x) -> float | str:
    """``x`` as a float, or ``"inf"``, ``"-inf"`` or ``"nan"`` (JSON has no such numbers)."""
    x = float(x)
    if math.isfinite(x):
        return x
    return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")


def wrap_heading(h: np.ndarray) -> np.ndarray:
    """Headings (rad) wrapped to [-pi, pi)."""
    return (h + np.pi) % (2 * np.pi) - np.pi
