"""Refining stages of the cross-entropy sampler (options ``refine`` and ``refine_ess``): once the
levels reach the event, q is refitted on the events drawn from the final mixture, pooled over
stages with their own likelihood ratios, while those rows already count for the estimate."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from scenariogen.sampling import get_sampler, run_estimate
from scenariogen.sampling.toy import GaussianTail


def test_refining_stages_count_for_the_estimate_and_stop_at_the_limit(run_stages):
    model = GaussianTail(2, 1e-4)
    s = get_sampler("ce", model.space, 5, refine=3, refine_ess=1e9)
    st = run_stages(s, model, 400, refining=False)
    assert s.converged and s.refining and s.adapting and s.estimable
    for i in range(3):
        prop = s.propose(500, st)
        # rows come from the final mixture, weighted exactly by it
        assert np.allclose(prop.log_weight, model.space.logpdf(prop.theta) - s.log_q_mix(prop.theta))
        assert prop.log_weight.max() <= -np.log(s.options["eps"]) + 1e-9
        info = s.update(prop, model(prop.theta))
        assert info["refining"] and info["done"] == (i == 2)
        st += 1
    assert not s.adapting and s.estimable and not s.refining
    before = s.state_dict()
    prop = s.propose(100, st)
    s.update(prop, model(prop.theta))  # final stages change nothing
    assert s.state_dict() == before


def test_refining_stops_once_the_pool_is_large(run_stages):
    model = GaussianTail(2, 1e-3)
    s = get_sampler("ce", model.space, 2, refine=50, refine_ess=100.0)
    st = run_stages(s, model, 400, refining=False)
    n_refining = run_stages(s, model, 400, stage=st) - st
    assert s.pool.ess >= 100.0 and n_refining < 50


def test_pooled_fit_approaches_the_conditional_distribution(run_stages):
    """GaussianTail: given the event, the component of theta along the failure direction a has
    mean phi(t) / Q(t) (inverse Mills ratio) and variance 1 + t m - m^2; across it, N(0, 1).
    After many refining stages the latent normal sits there (its std widened only when drawing;
    its principal stds floored at ``latent_floor``)."""
    model = GaussianTail(2, 1e-4)
    s = get_sampler("ce", model.space, 11, refine=40, refine_ess=3000.0)
    run_stages(s, model, 500, stage=run_stages(s, model, 400, refining=False))
    t = model.t
    m = stats.norm.pdf(t) / stats.norm.sf(t)
    a = model.a
    b = np.array([-a[1], a[0]])
    mean, cov = s.gauss.mean, s.gauss.cov
    assert a @ mean == pytest.approx(m, rel=0.03)
    assert abs(b @ mean) < 0.1
    floor = s.options["latent_floor"] ** 2
    assert a @ cov @ a == pytest.approx(max(1 + t * m - m * m, floor), rel=0.25)
    assert b @ cov @ b == pytest.approx(1.0, rel=0.15)


def test_state_round_trip_while_refining(run_stages):
    model = GaussianTail(3, 1e-4)
    s = get_sampler("ce", model.space, 8)
    st = run_stages(s, model, 400, refining=False)
    prop = s.propose(300, st)
    s.update(prop, model(prop.theta))
    assert s.refining and s.pool.ess > 0
    t = get_sampler("ce", model.space, 8)
    t.load_state(s.state_dict())
    assert t.state_dict() == s.state_dict()
    a, b = s.propose(200, st + 1), t.propose(200, st + 1)
    assert np.array_equal(a.theta, b.theta) and np.array_equal(a.log_weight, b.log_weight)
    r = model(a.theta)
    s.update(a, r)
    t.update(b, r)
    assert t.state_dict() == s.state_dict()


def test_refine_off_and_mixture_family_end_at_the_level(run_stages):
    model = GaussianTail(2, 1e-3)
    for opts in ({"refine": 0}, {"family": "mixture"}):
        s = get_sampler("ce", model.space, 1, **opts)
        run_stages(s, model, 400, refining=False)
        assert s.converged and not s.refining and not s.adapting


def test_run_estimate_counts_refining_rows():
    model = GaussianTail(2, 1e-4)
    e = run_estimate("ce", model.space, model, 5000, seed=3, n_per_stage=500)
    refines = [a for a in e.details["adaptation"] if a.get("refining")]
    assert refines and e.details["n_final"] == 5000 - e.details["n_adapt"]
    assert e.covers(model.p)
