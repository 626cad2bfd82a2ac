"""Counter-based random streams for kernels: one independent stream per scenario.

A stream's state is a single uint64 advanced by the SplitMix64 generator, so
scenario ``b`` draws the same numbers whichever thread or shard runs it.
"""

from __future__ import annotations

import numpy as np
from numba import njit, uint64

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


@njit(cache=True)
def _mix(z):
    z = (z ^ (z >> uint64(30))) * uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> uint64(27))) * uint64(0x94D049BB133111EB)
    return z ^ (z >> uint64(31))


@njit(cache=True)
def stream_seed(seed, index):
    """Seed of the stream for scenario ``index`` of a run with master ``seed``."""
    return _mix(_mix(uint64(seed) * uint64(0x9E3779B97F4A7C15) + uint64(1)) ^ uint64(index))


@njit(cache=True)
def next_uniform(state):
    """(new_state, u) with u uniform in [0, 1)."""
    state = state + uint64(0x9E3779B97F4A7C15)
    return state, (_mix(state) >> uint64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True)
def fill_uniforms(seeds, salt, n, out):
    """``out[b, :n]``: the first ``n`` uniforms of row ``b``'s stream, keyed by ``seeds[b]`` and ``salt``."""
    for b in range(seeds.shape[0]):
        st = seeds[b] ^ (salt * np.uint64(0xD1B54A32D192ED03))
        for k in range(n):
            st, u = next_uniform(st)
            out[b, k] = u
