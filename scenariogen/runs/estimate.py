"""``scenariogen estimate``: P(event) with a sampler and a simulation budget, simulated on a backend."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..dsl import schema as S
from ..errors import ParameterError
from ..parallel import Backend
from ..sampling.estimate import Estimate


def estimate(spec: S.ScenarioSpec, event: str, *, budget: int, sampler: str = "ce", seed: int = 0,
             stage_size: int | None = None, options: dict | None = None, backend: Backend | None = None,
             progress: Callable[[int, int], Any] | None = None) -> Estimate:
    """Estimate P(``event``) with ``sampler`` and at most ``budget`` simulations, ``stage_size``
    scenarios per stage (splitting: its number of particles unless ``options`` set
    ``n_particles``; default :func:`~scenariogen.sampling.run.default_stage_size`: for ce a
    twelfth of the budget within [250, 2000], else 1000). Each call's scenarios take the next
    global indices, so the result does not depend on the backend or its workers.
    ``progress(simulations, events)`` after each batch."""
    from ..parallel import LocalBackend, ParallelEvaluator
    from ..sampling import SAMPLERS, run_estimate
    from ..sampling.run import default_stage_size
    from .generate import check_sampler_options

    names = [e.name for e in spec.events]
    if event not in names:
        raise ParameterError("event", f"{event!r} is not an event of {spec.source} (events: {', '.join(names)})")
    if sampler not in SAMPLERS:
        raise ParameterError("sampler", f"{sampler!r} is unknown (samplers: {', '.join(SAMPLERS)})")
    if budget < 1:
        raise ParameterError("budget", f"must be a positive number of simulations, got {budget}")
    if stage_size is None:
        stage_size = default_stage_size(sampler, budget)
    if stage_size < 1:
        raise ParameterError("stage_size", f"must be a positive number of scenarios, got {stage_size}")
    options = dict(options or {})
    if sampler == "splitting" and "n_particles" not in options:
        if stage_size < 2:
            raise ParameterError("stage_size", f"is splitting's number of particles and must be at least 2, "
                                 f"got {stage_size}")
        options["n_particles"] = stage_size
    check_sampler_options(sampler, spec, options, budget)
    with (backend or LocalBackend()).session(spec) as session:
        evaluator = ParallelEvaluator(session, spec, event, seed)

        def evaluate(theta: np.ndarray) -> np.ndarray:
            rob = evaluator(theta)
            if progress is not None:
                progress(len(rob), int((rob < 0).sum()))
            return rob

        return run_estimate(sampler, spec.parameters, evaluate, budget, seed, n_per_stage=stage_size, **options)


__all__ = ["estimate"]
