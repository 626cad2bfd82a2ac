"""The kept first-level proposal in the cross-entropy sampler's final mixture
(option ``keep``): ``(1 - eps - keep) q + keep q_1 + eps p``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from scenariogen.errors import SamplerOptionsError
from scenariogen.sampling import get_sampler
from scenariogen.sampling.toy import GaussianTail


def _robustness(theta):
    """A smooth robustness on mixed_space with an event probability of a few per cent."""
    return 2.6 - 0.8 * (theta[:, 0] - 1.75) ** 2 - 0.2 * theta[:, 2] - 0.3 * theta[:, 5] - 0.2 * theta[:, 4] \
        + 0.1 * (theta[:, 1] - 25.0) - 0.1 * theta[:, 6]


def _adapt(s, stages, model=_robustness, n=400):
    for st in range(stages):
        prop = s.propose(n, st)
        s.update(prop, model(prop.theta))
    s.finalize()
    return stages


def _as_main_q(space, state: dict, part: dict):
    """A sampler whose q is ``part`` (a proposal's families and latent block) and that keeps nothing."""
    t = get_sampler("ce", space, 0)
    t.load_state(dict(state, families=part["families"], latent_gaussian=part["latent_gaussian"], anchor=None))
    return t


def test_final_density_is_the_three_part_mixture(mixed_space):
    s = get_sampler("ce", mixed_space, 3)
    st = _adapt(s, 3)
    state = json.loads(json.dumps(s.state_dict(), allow_nan=False))
    assert state["anchor"] is not None
    theta = s.propose(3000, st).theta
    lp = mixed_space.logpdf(theta)
    lq = s.log_q(theta, final=True)
    lq1 = _as_main_q(mixed_space, state, state["anchor"]).log_q(theta, final=True)
    eps, keep = s.options["eps"], s.options["keep"]
    expect = np.log((1 - eps - keep) * np.exp(lq) + keep * np.exp(lq1) + eps * np.exp(lp))
    assert np.allclose(s.log_q_mix(theta), expect, rtol=0, atol=1e-9)
    # the kept proposal is not the final one: it is what the first level's elites gave
    assert not np.allclose(lq, lq1)


def test_anchor_is_the_first_level_fit_and_stays(mixed_space):
    s = get_sampler("ce", mixed_space, 4)
    prop = s.propose(400, 0)
    s.update(prop, _robustness(prop.theta))
    first = json.loads(json.dumps(s.state_dict()))
    assert first["anchor"]["latent_gaussian"] == first["latent_gaussian"]
    assert first["anchor"]["families"] == first["families"]
    for st in (1, 2):
        prop = s.propose(400, st)
        s.update(prop, _robustness(prop.theta))
    later = s.state_dict()
    assert later["anchor"] == first["anchor"]
    assert later["latent_gaussian"] != first["latent_gaussian"]


def test_keep_zero_is_the_two_part_mixture(mixed_space):
    s = get_sampler("ce", mixed_space, 3, keep=0.0)
    st = _adapt(s, 3)
    assert s.state_dict()["anchor"] is None
    theta = s.propose(2000, st).theta
    eps = s.options["eps"]
    expect = np.logaddexp(np.log1p(-eps) + s.log_q(theta, final=True), np.log(eps) + mixed_space.logpdf(theta))
    assert np.allclose(s.log_q_mix(theta), expect, rtol=0, atol=1e-9)


def test_rows_split_between_the_parts_in_their_shares(run_stages):
    """On GaussianTail the final q sits on the event and p almost never reaches it: the share of
    final rows that are events tells q's rows from the others, and changes with ``keep``."""
    toy = GaussianTail(2, 1e-4)
    rates = {}
    for keep in (0.0, 0.4):
        s = get_sampler("ce", toy.space, 2, keep=keep, rho=0.2)
        prop = s.propose(20_000, run_stages(s, toy, 300))
        rates[keep] = float(np.mean(toy(prop.theta) < 0))
        w = np.exp(prop.log_weight)
        assert w.max() <= 1.0 / s.options["eps"] + 1e-9
    # rows from q hit the event far more often than rows from the first-level proposal or from p
    assert rates[0.4] < rates[0.0] - 0.2, rates


@pytest.mark.parametrize("opts", [{"keep": -0.1}, {"keep": 0.9}, {"keep": 0.5, "eps": 0.5}])
def test_bad_keep(opts, mixed_space):
    with pytest.raises(SamplerOptionsError, match="keep"):
        get_sampler("ce", mixed_space, 1, **opts)
