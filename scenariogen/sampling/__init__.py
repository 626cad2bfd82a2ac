"""Rare-event sampling: propose parameter rows, weight them, estimate P(event).

Samplers (by name, see :func:`get_sampler`): ``mc`` (plain Monte Carlo),
``qmc`` (scrambled Sobol'), ``ce`` (cross-entropy adaptive importance
sampling), ``splitting`` (adaptive multilevel splitting). Estimators:
:func:`estimate_probability` (Clopper-Pearson or importance sampling),
:func:`run_estimate` (a sampler end to end on a budget). Analytic oracles for
tests and benchmarks live in :mod:`scenariogen.sampling.toy`.
"""

from .base import (SAMPLERS, Proposal, Sampler, derive_key, get_sampler, latent_to_theta, register_sampler,
                   sampler_names, stream_uniforms)
from .mc import MonteCarloSampler, QuasiMonteCarloSampler
from .ce import CrossEntropySampler
from .splitting import SplittingSampler
from .estimate import Estimate, clopper_pearson, cluster_count, cluster_labels, estimate_probability
from .run import run_estimate
from .toy import GaussianTail, MixedTail, TwoSidedTail, mc_sims_needed

__all__ = [
    "SAMPLERS",
    "CrossEntropySampler",
    "Estimate",
    "GaussianTail",
    "MixedTail",
    "MonteCarloSampler",
    "Proposal",
    "QuasiMonteCarloSampler",
    "Sampler",
    "SplittingSampler",
    "TwoSidedTail",
    "clopper_pearson",
    "cluster_count",
    "cluster_labels",
    "derive_key",
    "estimate_probability",
    "get_sampler",
    "latent_to_theta",
    "mc_sims_needed",
    "register_sampler",
    "run_estimate",
    "sampler_names",
    "stream_uniforms",
]
