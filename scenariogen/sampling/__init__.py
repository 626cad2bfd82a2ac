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

from importlib import import_module

# Public name -> the module that defines it. They load on first use, so that drawing theta from
# p(theta) (:mod:`.prior`, all that ``simulate`` needs) loads neither the samplers nor what they
# import (scipy.stats, scipy.optimize, scipy.sparse, scipy.spatial).
_MODULES = {
    "base": ("SAMPLERS", "Proposal", "Sampler", "derive_key", "get_sampler", "latent_to_theta", "register_sampler",
             "sampler_names", "stream_uniforms"),
    "ce": ("CrossEntropySampler", "ce_state_summary"),
    "estimate": ("Estimate", "FailureClusters", "clopper_pearson", "cluster_count", "cluster_labels",
                 "estimate_probability", "failure_clusters_theta", "failure_clusters_u", "quantiles_of",
                 "subsample_events"),
    "mc": ("MonteCarloSampler", "QuasiMonteCarloSampler"),
    "options": ("PRESETS", "CEOptions", "SamplerOptions", "SplittingOptions"),
    "run": ("run_estimate",),
    "splitting": ("SplittingSampler",),
    "toy": ("GaussianTail", "MixedTail", "TwoSidedTail", "mc_sims_needed"),
    "weights": ("kish_ess",),
}
_PUBLIC = {name: module for module, names in _MODULES.items() for name in names}


def __getattr__(name: str):
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if name == "SAMPLERS":  # the registry itself: filled with the built-ins first
        from .base import load_builtin_samplers

        load_builtin_samplers()
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))


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
