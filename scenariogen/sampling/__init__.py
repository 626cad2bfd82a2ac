"""Rare-event sampling: propose parameter rows, weight them, estimate P(event).

Samplers (by name, see :func:`get_sampler`): ``mc`` (plain Monte Carlo),
``qmc`` (scrambled Sobol'), ``ce`` (cross-entropy adaptive importance
sampling), ``splitting`` (adaptive multilevel splitting); their options are frozen
dataclasses (:class:`CEOptions`, :class:`SplittingOptions`), and a bad one raises
:class:`~scenariogen.errors.SamplerOptionsError`. Estimators:
:func:`estimate_probability` (Clopper-Pearson or importance sampling),
:func:`run_estimate` (a sampler end to end on a budget). Analytic oracles for
tests and benchmarks live in :mod:`scenariogen.sampling.toy`.
"""

from .base import (
                   SAMPLERS,
                   Proposal,
                   Sampler,
                   derive_key,
                   get_sampler,
                   latent_to_theta,
                   register_sampler,
                   sampler_names,
                   stream_uniforms,
)
from .ce import CrossEntropySampler, ce_state_summary
from .estimate import (
                   Estimate,
                   FailureClusters,
                   clopper_pearson,
                   cluster_count,
                   cluster_labels,
                   estimate_probability,
                   failure_clusters_theta,
                   failure_clusters_u,
                   quantiles_of,
                   subsample_events,
)
from .mc import MonteCarloSampler, QuasiMonteCarloSampler
from .options import PRESETS, CEOptions, SamplerOptions, SplittingOptions
from .run import run_estimate
from .splitting import SplittingSampler
from .toy import GaussianTail, MixedTail, TwoSidedTail, mc_sims_needed
from .weights import kish_ess

__all__ = [
    "PRESETS",
    "SAMPLERS",
    "CEOptions",
    "CrossEntropySampler",
    "Estimate",
    "FailureClusters",
    "GaussianTail",
    "MixedTail",
    "MonteCarloSampler",
    "Proposal",
    "QuasiMonteCarloSampler",
    "Sampler",
    "SamplerOptions",
    "SplittingOptions",
    "SplittingSampler",
    "TwoSidedTail",
    "ce_state_summary",
    "clopper_pearson",
    "cluster_count",
    "cluster_labels",
    "derive_key",
    "estimate_probability",
    "failure_clusters_theta",
    "failure_clusters_u",
    "get_sampler",
    "kish_ess",
    "latent_to_theta",
    "mc_sims_needed",
    "quantiles_of",
    "register_sampler",
    "run_estimate",
    "sampler_names",
    "stream_uniforms",
    "subsample_events",
]
