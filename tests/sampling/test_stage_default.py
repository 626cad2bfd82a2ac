"""The automatic stage size of run_estimate (ce: a twelfth of the budget within [250, 2000])."""

from __future__ import annotations

import pytest

from scenariogen.sampling import GaussianTail, run_estimate
from scenariogen.sampling.run import default_stage_size


@pytest.mark.parametrize("sampler, budget, size", [("ce", 1000, 250), ("ce", 3000, 250), ("ce", 6000, 500),
                                                   ("ce", 20_000, 1666), ("ce", 100_000, 2000),
                                                   ("mc", 3000, 1000), ("splitting", 50_000, 1000)])
def test_default_stage_size(sampler, budget, size):
    assert default_stage_size(sampler, budget) == size


def test_run_estimate_uses_it():
    toy = GaussianTail(d=2, p=1e-3)
    e = run_estimate("ce", toy.space, toy, budget=6000, seed=1)
    assert e.details["n_adapt"] % 500 == 0 and e.details["n_adapt"] > 0
    assert e.details["n_adapt"] == run_estimate("ce", toy.space, toy, budget=6000, seed=1, n_per_stage=500).details[
        "n_adapt"]
