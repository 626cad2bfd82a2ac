"""Plain Monte Carlo (``mc``) and randomised quasi-Monte Carlo (``qmc``): q = p."""

from __future__ import annotations

import warnings
from typing import Any, ClassVar

import numpy as np
from scipy.stats import qmc as _qmc

from .base import Proposal, Sampler, register_sampler, stream_uniforms

_TINY = 2.0 ** -54


@register_sampler
class MonteCarloSampler(Sampler):
    """theta ~ p, log_weight 0. Row i of stage s is ``space.from_unit(u)`` with u
    from a counter-based hash of (seed, s, i): addressable, piece-size independent.
    Never adapts; ``update`` only reports."""

    name = "mc"
    OPTIONS: ClassVar[dict[str, Any]] = {}

    def propose(self, n: int, stage: int, offset: int = 0) -> Proposal:
        self._check_request(n, stage, offset)
        u = stream_uniforms(self._key(stage), int(offset), int(n), self.dim)
        theta = self.space.from_unit(u) if self.dim else np.zeros((int(n), 0))
        return Proposal(theta=theta.reshape(int(n), self.dim), log_weight=np.zeros(int(n)),
                        stage=int(stage), level=None, offset=int(offset))


@register_sampler
class QuasiMonteCarloSampler(Sampler):
    """Scrambled Sobol' points through ``space.from_unit``; log_weight 0.

    Each stage has its own scrambling (keyed by seed and stage); ``offset`` is
    reached with ``fast_forward``, so pieces equal the whole. Balance properties
    hold for power-of-two stage sizes; the Clopper-Pearson interval that
    :func:`estimate_probability` gives for these rows is conservative (it ignores
    the QMC variance reduction)."""

    name = "qmc"
    OPTIONS: ClassVar[dict[str, Any]] = {}

    def propose(self, n: int, stage: int, offset: int = 0) -> Proposal:
        self._check_request(n, stage, offset)
        n, offset = int(n), int(offset)
        if self.dim == 0:
            return Proposal(np.zeros((n, 0)), np.zeros(n), int(stage), None, offset)
        rng_seed = self._key(stage) >> 1  # scipy wants a seed < 2**63
        engine = _qmc.Sobol(self.dim, scramble=True, rng=np.random.default_rng(rng_seed))
        if offset:
            engine.fast_forward(offset)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # balance warning for n not a power of 2
            u = engine.random(n) if n else np.zeros((0, self.dim))
        np.clip(u, _TINY, 1.0 - 2.0 ** -53, out=u)
        theta = self.space.from_unit(u).reshape(n, self.dim)
        return Proposal(theta=theta, log_weight=np.zeros(n), stage=int(stage), level=None, offset=offset)
