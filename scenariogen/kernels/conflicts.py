"""The frame of a pair's closest call, for the conflict types of :mod:`scenariogen.events.conflicts`."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..data.layout import F_HEADING, F_SPEED, F_X, F_Y
from .geometry import box_ttc


@njit(cache=True)
def min_ttc_frame(ego: np.ndarray, oth: np.ndarray, both: np.ndarray, size_e: np.ndarray, size_a: np.ndarray,
                  horizon: float) -> int:
    """The first frame (T,) where both are present with the smallest constant-velocity box TTC
    between them (0 from the first frame they touch), or -1 when it is never finite. ``ego`` and
    ``oth``: (T, F) trajectories with the features of ``layout.FEATURES``."""
    best, frame = np.inf, -1
    for f in range(both.shape[0]):
        if not both[f]:
            continue
        e, o = ego[f], oth[f]
        he, ho = e[F_HEADING], o[F_HEADING]
        t = box_ttc(e[F_X], e[F_Y], he, size_e[0], size_e[1], e[F_SPEED] * math.cos(he), e[F_SPEED] * math.sin(he),
                    o[F_X], o[F_Y], ho, size_a[0], size_a[1], o[F_SPEED] * math.cos(ho), o[F_SPEED] * math.sin(ho),
                    horizon)
        if t < best:
            best, frame = t, f
    return frame
