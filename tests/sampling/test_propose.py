"""Determinism, row-addressability and resumable state of every sampler."""

from __future__ import annotations

import json

import numpy as np
import pytest

from scenariogen.sampling import Proposal, get_sampler
from scenariogen.sampling.toy import GaussianTail


def robustness_of(theta):
    """A smooth robustness on mixed_space with an event probability of a few per cent."""
    return 2.6 - 0.8 * (theta[:, 0] - 1.75) ** 2 - 0.2 * theta[:, 2] - 0.3 * theta[:, 5] - 0.2 * theta[:, 4] \
        + 0.1 * (theta[:, 1] - 25.0) - 0.1 * theta[:, 6]

NAMES = ["mc", "qmc", "ce", "splitting"]


def _advance(s, stages, n=400):
    """Run a few stages of s on the mixed-space robustness."""
    for st in range(stages):
        if not s.adapting:
            break
        size = s.stage_size or n
        prop = s.propose(size, st)
        s.update(prop, robustness_of(prop.theta))
    return st + 1


def _pieces(s, n, stage, cuts):
    parts = [s.propose(b - a, stage, a) for a, b in zip([0] + cuts, cuts + [n])]
    return Proposal.concat(parts[::-1])


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("stages", [0, 2])
def test_pieces_equal_whole(name, stages, mixed_space):
    s = get_sampler(name, mixed_space, 11)
    stage = _advance(s, stages) if stages else 0
    n = s.stage_size or 300
    whole = s.propose(n, stage)
    cuts = sorted({1, n // 3, n // 2 + 1} - {0, n})
    joined = _pieces(s, n, stage, cuts)
    assert np.array_equal(whole.theta, joined.theta)
    assert np.array_equal(whole.log_weight, joined.log_weight)
    assert whole.theta.shape == (n, mixed_space.dim)
    assert np.all(np.isfinite(whole.theta)) and np.all(np.isfinite(whole.log_weight))


@pytest.mark.parametrize("name", NAMES)
def test_deterministic_and_seed_dependent(name, mixed_space):
    a = get_sampler(name, mixed_space, 5).propose(64, 0)
    b = get_sampler(name, mixed_space, 5).propose(64, 0)
    c = get_sampler(name, mixed_space, 6).propose(64, 0)
    assert np.array_equal(a.theta, b.theta)
    assert not np.array_equal(a.theta, c.theta)


@pytest.mark.parametrize("name", ["mc", "qmc", "ce"])
def test_stages_differ(name, mixed_space):
    s = get_sampler(name, mixed_space, 5)
    assert not np.array_equal(s.propose(32, 0).theta, s.propose(32, 1).theta)


@pytest.mark.parametrize("name", NAMES)
def test_values_in_support(name, mixed_space):
    s = get_sampler(name, mixed_space, 2)
    stage = _advance(s, 3)
    th = s.propose(s.stage_size or 500, stage).theta
    lo, hi = mixed_space.bounds().T
    assert np.all(th >= lo) and np.all(th <= hi)
    assert np.all(np.isfinite(mixed_space.logpdf(th)))
    for j in (4, 5, 6):
        assert np.all(th[:, j] == np.round(th[:, j]))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("stages", [0, 1, 3, 40])
def test_state_round_trip_reproduces_next_proposal(name, stages, mixed_space):
    s = get_sampler(name, mixed_space, 9)
    stage = _advance(s, stages) if stages else 0
    state = json.loads(json.dumps(s.state_dict(), allow_nan=False))
    t = get_sampler(name, mixed_space, 0)
    t.load_state(state)
    assert t.adapting == s.adapting and t.stage_size == s.stage_size
    n = s.stage_size or 200
    p1, p2 = s.propose(n, stage), t.propose(n, stage)
    assert np.array_equal(p1.theta, p2.theta) and np.array_equal(p1.log_weight, p2.log_weight)
    assert p1.level == p2.level
    r = robustness_of(p1.theta)
    assert s.update(p1, r) == t.update(p2, r)
    n = s.stage_size or 200
    assert np.array_equal(s.propose(n, stage + 1).theta, t.propose(n, stage + 1).theta)


def test_load_state_rejects_other_sampler(mixed_space):
    s = get_sampler("ce", mixed_space, 1)
    with pytest.raises(ValueError, match="state is for sampler 'ce'"):
        get_sampler("mc", mixed_space, 1).load_state(s.state_dict())


def test_mc_is_p_distributed():
    m = GaussianTail(3, 1e-2)
    th = get_sampler("mc", m.space, 1).propose(200_000, 0).theta
    assert np.allclose(th.mean(0), 0, atol=0.01) and np.allclose(th.std(0), 1, atol=0.01)
    assert abs((m(th) < 0).mean() - 1e-2) < 1e-3


def test_qmc_fast_forward_and_balance():
    m = GaussianTail(2, 1e-2)
    s = get_sampler("qmc", m.space, 1)
    th = s.propose(4096, 0).theta
    assert np.allclose(th.mean(0), 0, atol=0.005)


def test_ce_weights_are_exact_log_ratio():
    m = GaussianTail(3, 1e-5)
    s = get_sampler("ce", m.space, 4)
    for st in range(2):
        prop = s.propose(300, st)
        s.update(prop, m(prop.theta))
    assert s.adapting
    prop = s.propose(100, 5)
    assert np.allclose(prop.log_weight, m.space.logpdf(prop.theta) - s.log_q(prop.theta))
    s.finalize()
    prop = s.propose(100, 6)
    assert np.allclose(prop.log_weight, m.space.logpdf(prop.theta) - s.log_q_mix(prop.theta))
    assert np.all(prop.log_weight <= -np.log(s.options["eps"]) + 1e-9)  # w <= 1/eps


def test_ce_weights_average_to_one(mixed_space):
    """E_q[p/q] = 1 for the adapted mixture (all of p's support is covered)."""
    s = get_sampler("ce", mixed_space, 4)
    _advance(s, 10)
    s.finalize()
    w = np.exp(s.propose(200_000, 20).log_weight)
    assert abs(w.mean() - 1.0) < 0.02


def test_splitting_update_needs_whole_stage(mixed_space):
    s = get_sampler("splitting", mixed_space, 1, n_particles=50)
    part = s.propose(20, 0)
    with pytest.raises(ValueError, match="whole stage"):
        s.update(part, robustness_of(part.theta))
    assert len(s.propose(500, 0)) == 50  # clipped to the stage size
