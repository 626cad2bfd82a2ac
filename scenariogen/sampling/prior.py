"""Draws from the scenario family's own distribution p(theta), one counter-based stream per scenario."""

from __future__ import annotations

import numpy as np

from ..dsl.distributions import ParameterSpace
from ..kernels.rng import fill_uniforms, stream_seed

_SALT = np.uint64(0xA5A5)


def sample_theta(space: ParameterSpace, indices: np.ndarray, seed: int) -> np.ndarray:
    """Theta rows (len(indices), d) drawn from p(theta) for the given global scenario indices.

    Row ``i`` depends only on (seed, i): each index has its own random stream, so any split of the
    indices into shards or chunks gives the same rows."""
    indices = np.asarray(indices, dtype=np.uint64)
    d = space.dim
    if d == 0:
        return np.zeros((len(indices), 0))
    seeds = np.array([stream_seed(np.uint64(seed), ix) for ix in indices], dtype=np.uint64)
    u = np.empty((len(indices), d))
    fill_uniforms(seeds, _SALT, d, u)
    np.clip(u, 1e-12, 1.0 - 1e-12, out=u)
    return space.from_unit(u)
