"""Small factories for the sampling tests."""

from __future__ import annotations

import pytest

from scenariogen.dsl.distributions import (
    Choice,
    LogNormal,
    Normal,
    Parameter,
    ParameterSpace,
    Poisson,
    Uniform,
)


@pytest.fixture
def run_stages():
    """``run_stages(sampler, robustness, n, stage=0, refining=True)`` feeds the sampler stages of
    n rows, scored by ``robustness(theta)``, while it adapts, and returns the next stage's index;
    ``refining=False`` stops at the first stage whose rows count for the estimate."""

    def run(s, robustness, n, stage=0, refining=True):
        while s.adapting and (refining or not s.estimable):
            prop = s.propose(n, stage)
            s.update(prop, robustness(prop.theta))
            stage += 1
        return stage

    return run


@pytest.fixture
def mixed_space() -> ParameterSpace:
    """One parameter of every distribution kind (truncated and capped variants included)."""
    return ParameterSpace((
        Parameter("gap", Uniform(0.5, 3.0)),
        Parameter("speed", Normal(25.0, 3.0, low=15.0, high=35.0)),
        Parameter("free", Normal(0.0, 1.0)),
        Parameter("brake", LogNormal(1.0, 0.3)),
        Parameter("lane", Choice((0.0, 1.0, 2.0), (0.5, 0.3, 0.2)), discrete=True),
        Parameter("count", Poisson(2.0, high=6), discrete=True),
        Parameter("bursts", Poisson(1.5), discrete=True),
    ))

