"""Run a sampler end to end on a simulation budget and estimate P(event)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..dsl.distributions import ParameterSpace
from ..errors import SamplerOptionsError
from .base import Proposal, get_sampler
from .estimate import Estimate, estimate_probability

Evaluate = Callable[[np.ndarray], np.ndarray]

#: ``ce``'s automatic stage size: ``budget // CE_STAGES_PER_BUDGET`` rows, within [CE_STAGE_MIN, CE_STAGE_MAX]
CE_STAGES_PER_BUDGET, CE_STAGE_MIN, CE_STAGE_MAX = 12, 250, 2000
#: the other samplers' stage size (mc, qmc: batch rows; splitting: particles)
DEFAULT_STAGE = 1000


def default_stage_size(sampler_name: str, budget: int) -> int:
    """Rows per stage when the caller gives none: for ``ce``, a twelfth of the budget within
    [250, 2000] (small stages leave small budgets room to reach the event level and refine;
    measurements: docs/sampling.md); 1000 for the other samplers."""
    if sampler_name != "ce":
        return DEFAULT_STAGE
    return int(min(CE_STAGE_MAX, max(CE_STAGE_MIN, int(budget) // CE_STAGES_PER_BUDGET)))


def _eval(evaluate: Evaluate, theta: np.ndarray) -> np.ndarray:
    r = np.asarray(evaluate(theta), dtype=float).reshape(-1)
    if r.shape[0] != theta.shape[0]:
        raise ValueError(f"evaluate returned {r.shape[0]} values for {theta.shape[0]} rows")
    return r


def seen_weight(sampler, theta: np.ndarray) -> float:
    """The largest weight p/q_final of the rows theta (events found outside the estimate's rows,
    e.g. in adaptation stages) under the sampler's final mixture; 0 when it has none (not ce) or
    theta is empty. The estimate's tail interval counts on terms that large even when its own
    rows drew none."""
    if not len(theta) or not hasattr(sampler, "log_q_mix"):
        return 0.0
    return float(np.exp(np.max(sampler.space.logpdf(theta) - sampler.log_q_mix(theta))))


def run_estimate(sampler_name: str, space: ParameterSpace, evaluate: Evaluate, budget: int, seed: int = 0,
                 n_per_stage: int | None = None, *, target_rhw: float | None = None, chunk: int | None = None,
                 max_adapt_fraction: float = 0.8, confidence: float = 0.95, min_events: int = 20,
                 **opts: Any) -> Estimate:
    """Estimate P(robustness < 0) with sampler ``sampler_name`` and at most ``budget`` simulations.

    ``evaluate(theta (n, d)) -> robustness (n,)`` (negative iff the event happened).

    - ``mc`` / ``qmc``: all samples, drawn in stages of ``n_per_stage`` rows
      (Clopper-Pearson interval);
    - ``ce``: level stages of ``n_per_stage`` rows until the level reaches the
      event (or ``max_adapt_fraction`` of the budget is spent: 0.8, since a
      proposal cut off one level short of the event costs far more than the
      stage it saves; docs/sampling.md), then refining
      stages of ``n_per_stage`` rows from the defensive mixture, each refitting q
      on the events so far, then one final stage with the remaining budget; the
      estimate uses the rows drawn from the defensive mixture, each weighted by
      its own stage's proposal (unbiased: a stage's q depends only on earlier
      rows), and ``n_sims`` counts the level stages too;
    - ``splitting``: its own :meth:`SplittingSampler.run` with ``n_particles`` =
      ``n_per_stage`` unless given, stopped at ``budget`` simulations.

    ``target_rhw``: stop the final sampling (mc, qmc, ce) as soon as the relative
    half-width of the interval falls to this value, checking every ``chunk`` rows
    (default ``n_per_stage``), and only once the final rows hold ``min_events``
    events (a guard: a variance estimated from a handful of events is too often
    small by chance). Such sequential stopping makes the interval optimistic (runs
    that have not yet drawn the large weights stop early with a low estimate;
    docs/sampling.md); it is meant for measuring cost. Other keyword options go to
    the sampler. Bad options, ``budget`` or ``n_per_stage`` raise
    :class:`~scenariogen.errors.SamplerOptionsError`.
    """
    budget = int(budget)
    if budget < 1:
        raise SamplerOptionsError(f"budget must be a positive number of simulations, got {budget}")
    if n_per_stage is None:
        n_per_stage = default_stage_size(sampler_name, budget)
    if n_per_stage < 1:
        raise SamplerOptionsError(f"n_per_stage must be positive, got {n_per_stage}")
    if sampler_name == "splitting":
        opts.setdefault("n_particles", int(n_per_stage))
        sampler = get_sampler(sampler_name, space, seed, **opts)
        if budget < sampler.stage_size:  # type: ignore[operator]
            raise SamplerOptionsError(f"budget {budget} is smaller than one stage of splitting "
                                      f"({sampler.stage_size} particles)")
        est = sampler.run(evaluate, max_sims=budget)  # type: ignore[attr-defined]
        est.method = "splitting"
        return est
    sampler = get_sampler(sampler_name, space, seed, **opts)
    chunk = int(chunk or n_per_stage)
    stage = 0
    used = 0
    adapt_info: list[dict] = []
    warns: list[str] = []
    seen: list[np.ndarray] = []  # the events of the adaptation stages (theta)
    while sampler.adapting and not sampler.estimable and used + n_per_stage <= max_adapt_fraction * budget:
        prop = sampler.propose(n_per_stage, stage)
        r = _eval(evaluate, prop.theta)
        seen.append(prop.theta[r < 0])
        used += len(prop)
        adapt_info.append(sampler.update(prop, r))
        stage += 1
    if sampler.adapting and not sampler.estimable:
        if hasattr(sampler, "finalize"):
            warns.append(f"{sampler_name} still adapting after {stage} stages ({used} simulations, "
                         f"the adaptation limit); final proposals use the last fit (estimate unbiased, "
                         f"maybe high variance)")
            sampler.finalize()  # type: ignore[attr-defined]
        else:
            raise ValueError(f"sampler {sampler_name!r} cannot be stopped early")
    if budget - used < 1:
        raise SamplerOptionsError(f"no budget left for the final stage after {used} adaptation simulations "
                                  f"(max_adapt_fraction {max_adapt_fraction})")
    # every row from here on counts: refining stages (``ce``: n_per_stage rows each, fed back), then
    # one final stage with what is left of the budget
    lws, rs = [], []
    n_est = 0
    stop = False
    while not stop and used + n_est < budget:
        refining = sampler.adapting
        left = budget - used - n_est
        size = min(n_per_stage, left) if refining else left
        props, offset = [], 0
        while offset < size:
            prop = sampler.propose(min(chunk, size - offset), stage, offset)
            props.append(prop)
            rs.append(_eval(evaluate, prop.theta))
            lws.append(prop.log_weight)
            offset += len(prop)
            if target_rhw is not None:
                est = estimate_probability(np.concatenate(rs), np.concatenate(lws), confidence=confidence,
                                           tail_diagnostic=False)  # interim check; the final call runs it
                if est.n_events >= max(min_events, 1) and est.rel_half_width <= target_rhw:
                    stop = True
                    break
        n_est += offset
        if refining and not stop:
            adapt_info.append(sampler.update(Proposal.concat(props), np.concatenate(rs[-len(props):])))
        stage += 1
        if not refining:
            break
    r_final, lw_final = np.concatenate(rs), np.concatenate(lws)
    est = estimate_probability(r_final, lw_final, confidence=confidence,
                               seen_weight=seen_weight(sampler, np.concatenate(seen)) if seen else 0.0)
    est.details.update({"sampler": sampler_name, "n_adapt": used, "n_final": int(r_final.size),
                        "stages": stage, "adaptation": adapt_info,
                        # the proposal of the final stage (load_state on a fresh sampler gives it back)
                        "sampler_state": sampler.state_dict()})
    est.n_sims = used + int(r_final.size)
    if getattr(sampler, "converged", True) is False and not warns:
        warns.append(f"{sampler_name} stopped adapting at its stage limit before reaching the event level")
    est.warnings = warns + est.warnings
    est.details["estimator"] = est.method
    est.method = sampler_name
    return est
