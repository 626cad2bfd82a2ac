"""The novelty and exploring components of the cross-entropy sampler (options ``novelty`` and
``explore``): the events that the adapted proposals under-sample are pooled with their likelihood
ratios, and a component fitted on them joins the final mixture, so a failure region that no
robustness level leads to is multiplied once p's share (or the exploring component, p's latents
widened, which reaches p's tails more often) has drawn one event there; the weights stay exact."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from scenariogen.errors import SamplerOptionsError
from scenariogen.sampling import ce_state_summary, estimate_probability, get_sampler
from scenariogen.sampling.toy import GaussianTail

DIVERSE = {"eps": 0.4, "keep": 0.1, "novelty": 0.2}


class HiddenSecondRegion:
    """theta ~ N(0, I_2). Region A (x0 > t, P = 1e-3) has a robustness that leads to it; region B
    (x0 < -2.5 and x1 > 1) fails for one theta in five by a deterministic hash of theta (like a
    failure that hangs on a scenario's own randomness), with a robustness that gives no lead:
    cross-entropy levels go to A only. P(event) is known exactly."""

    def __init__(self):
        self.space = GaussianTail(2, 1e-3).space
        self.t = float(stats.norm.isf(1e-3))
        self.p_b = float(stats.norm.cdf(-2.5) * stats.norm.sf(1.0) / 5)
        self.p = 1e-3 + self.p_b

    def in_b(self, theta: np.ndarray) -> np.ndarray:
        bits = np.ascontiguousarray(theta[:, 0]).view(np.uint64)
        coin = ((bits * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(40)) % np.uint64(5) == 0
        return (theta[:, 0] < -2.5) & (theta[:, 1] > 1.0) & coin

    def __call__(self, theta: np.ndarray) -> np.ndarray:
        theta = np.atleast_2d(theta)
        return np.where(self.in_b(theta), -1.0, self.t - theta[:, 0])


def _run(model, seed: int, stages: int = 40, n: int = 1000, **options):
    """Levels until the event, then ``stages`` stages from the final mixture (fed back while the
    sampler adapts): (sampler, theta, log-weights, robustness) of those final rows."""
    s = get_sampler("ce", model.space, seed, **options)
    st = 0
    while s.adapting and not s.estimable:
        prop = s.propose(n, st)
        s.update(prop, model(prop.theta))
        st += 1
    th, lw, r = [], [], []
    for _ in range(stages):
        prop = s.propose(n, st)
        rob = model(prop.theta)
        th.append(prop.theta), lw.append(prop.log_weight), r.append(rob)
        if s.adapting:
            s.update(prop, rob)
        st += 1
    return s, np.concatenate(th), np.concatenate(lw), np.concatenate(r)


def test_novelty_multiplies_a_region_no_level_leads_to_and_keeps_the_estimate_honest():
    model = HiddenSecondRegion()
    plain_b, novel_b, ratios = [], [], []
    for seed in range(4):
        _, th, _, _ = _run(model, seed, eps=0.4, keep=0.1)
        plain_b.append(int(model.in_b(th).sum()))
        s, th, lw, r = _run(model, seed, **DIVERSE)
        novel_b.append(int(model.in_b(th).sum()))
        ratios.append(estimate_probability(r, lw).p / model.p)
        assert s.n_novel > 0 and s.novel is not None
        assert ce_state_summary(s.state_dict()) == (f"novelty component: fitted on {s.n_novel} events the "
                                                    f"adapted proposal under-samples")
        # the component sits on region B
        assert s.novel.mean[0] < -2.0 and s.novel.mean[1] > 0.5
    # the same shares of p without the component: region B only through p (a handful of events)
    assert sum(novel_b) > 20 * max(sum(plain_b), 1)
    assert all(0.9 < x < 1.1 for x in ratios), ratios


@pytest.mark.parametrize("options", [DIVERSE, {**DIVERSE, "eps": 0.2, "explore": 0.2}],
                         ids=["novelty", "novelty+explore"])
def test_weights_stay_exact_with_the_novelty_and_exploring_components(options):
    model = HiddenSecondRegion()
    s, *_ = _run(model, 1, stages=30, **options)
    assert s.novel is not None
    prop = s.propose(20_000, 999)
    assert np.allclose(prop.log_weight, model.space.logpdf(prop.theta) - s.log_q_mix(prop.theta))
    assert prop.log_weight.max() <= -np.log(options["eps"]) + 1e-9
    # E_q[p / q] = 1 checks that the mixture's density is normalised (shares and components)
    w = np.exp(prop.log_weight)
    assert abs(w.mean() - 1.0) < 4 * w.std() / np.sqrt(w.size)
    # q_mix written out: its parts' densities by hand, the novelty and exploring parts plain
    # normals on theta
    eps, keep, nov, exp = s._shares()
    assert exp == options.get("explore", 0.0)
    z = prop.theta  # standard-normal parameters: the latents are theta itself
    p = np.exp(model.space.logpdf(z))
    q = p * np.exp(-s._log_ratio(z, True))
    q1 = p * np.exp(-s._log_ratio(z, True, q=s.anchor))
    qn = stats.multivariate_normal(s.novel.mean, s.novel.cov).pdf(z)
    qe = stats.multivariate_normal(np.zeros(2), s.options["explore_width"] ** 2 * np.eye(2)).pdf(z)
    mix = (1 - eps - keep - nov - exp) * q + keep * q1 + nov * qn + exp * qe + eps * p
    assert np.allclose(prop.log_weight, np.log(p) - np.log(mix))


def test_novelty_state_round_trip_gives_the_same_rows():
    model = HiddenSecondRegion()
    s, *_ = _run(model, 2, stages=30, **DIVERSE)
    assert s.novel is not None and s.adapting and s.estimable
    t = get_sampler("ce", model.space, 2, **DIVERSE)
    t.load_state(s.state_dict())
    a, b = s.propose(500, 77), t.propose(500, 77)
    assert np.array_equal(a.theta, b.theta) and np.array_equal(a.log_weight, b.log_weight)
    assert t.state_dict() == s.state_dict()


def test_without_novel_events_nothing_changes_but_the_stages_go_on():
    """On a failure set that q covers, no event is novel: the mixture stays the usual one, and
    stages keep watching (adapting) while the run lasts."""
    model = GaussianTail(2, 1e-4)
    s, *_ = _run(model, 3, stages=10, novelty=0.2)
    assert s.n_novel == 0 and s.novel is None and s._shares()[2] == 0.0
    assert s.adapting and s.estimable and not s.refitting
    ref = get_sampler("ce", model.space, 3)
    ref.load_state({**s.state_dict(), "options": {**s.options, "novelty": 0.0}})
    prop = s.propose(300, 50)
    assert np.allclose(prop.log_weight, model.space.logpdf(prop.theta) - ref.log_q_mix(prop.theta))


def test_exploring_component_reaches_a_tail_region_sooner_and_keeps_the_estimate_honest():
    """Region B lies in p's tails (x0 < -2.5, x1 > 1): p puts 1e-3 of its mass there, the
    exploring component N(0, 1.5^2 I) 12 times more. Without a novelty component, a share of it
    draws region B several times more often than the same share of p, and the weights (bounded
    by 1/eps, p's share being there too) keep the estimate within 10 %."""
    model = HiddenSecondRegion()

    def in_region(theta):
        return int(((theta[:, 0] < -2.5) & (theta[:, 1] > 1.0)).sum())

    plain_b, explore_b, ratios = [], [], []
    for seed in range(4):
        _, th, _, _ = _run(model, seed, stages=20, eps=0.4, keep=0.1)
        plain_b.append(in_region(th))
        _, th, lw, r = _run(model, seed, stages=20, eps=0.2, explore=0.2, keep=0.1)
        explore_b.append(in_region(th))
        ratios.append(estimate_probability(r, lw).p / model.p)
        assert lw.max() <= -np.log(0.2) + 1e-9
    assert sum(explore_b) > 4 * sum(plain_b) > 0, (plain_b, explore_b)
    assert all(0.9 < x < 1.1 for x in ratios), ratios


@pytest.mark.parametrize(("options", "message"), [
    ({"novelty": 0.5, "eps": 0.3, "keep": 0.2}, "novelty must be in"),
    ({"novelty": -0.1}, "novelty must be in"),
    ({"novelty": 0.2, "family": "product"}, "needs family=gaussian"),
    ({"novel_ratio": 0.0}, "novel_ratio must be in"),
    ({"explore": 0.5, "eps": 0.3, "novelty": 0.1}, "explore must be in"),
    ({"explore": -0.1}, "explore must be in"),
    ({"explore": 0.2, "family": "mixture"}, "explore needs family=gaussian"),
    ({"explore_width": 0.8}, "explore_width must be in"),
])
def test_bad_novelty_and_explore_options(options, message):
    with pytest.raises(SamplerOptionsError, match=message):
        get_sampler("ce", GaussianTail(2, 1e-3).space, 0, **options)


def test_the_diverse_preset_names_the_options_and_yields_to_the_ones_given():
    space = GaussianTail(2, 1e-3).space
    s = get_sampler("ce", space, 0, preset="diverse")
    assert {k: s.options[k] for k in ("eps", "explore", "keep", "novelty")} == {
        "eps": 0.2, "explore": 0.2, "keep": 0.0, "novelty": 0.2}
    assert get_sampler("ce", space, 0, preset="diverse", eps=0.3).options["eps"] == 0.3
    assert get_sampler("ce", space, 0).options["explore"] == 0.0  # the default preset: estimate
    with pytest.raises(SamplerOptionsError, match="preset must be one of 'estimate', 'diverse'"):
        get_sampler("ce", space, 0, preset="fast")


def test_exploring_share_with_discrete_parameters_only_keeps_exact_weights():
    from scenariogen.dsl.distributions import Choice, Parameter, ParameterSpace, Poisson

    space = ParameterSpace((Parameter("a", Choice((1.0, 2.0, 3.0), (0.2, 0.3, 0.5))), Parameter("b", Poisson(4.0))))
    s = get_sampler("ce", space, 0, explore=0.2, eps=0.2)
    st = 0
    while s.adapting and not s.estimable:
        prop = s.propose(500, st)
        s.update(prop, np.where(prop.theta[:, 1] >= 7, -1.0, 7.0 - prop.theta[:, 1]))
        st += 1
    prop = s.propose(2000, st)
    assert np.allclose(prop.log_weight, space.logpdf(prop.theta) - s.log_q_mix(prop.theta))


def test_ce_state_summary_speaks_only_of_a_novelty_share():
    space = GaussianTail(2, 1e-3).space
    for state in (None, {}, get_sampler("mc", space, 0).state_dict(), get_sampler("ce", space, 0).state_dict(),
                  get_sampler("splitting", space, 0).state_dict()):
        assert ce_state_summary(state) is None
    fresh = get_sampler("ce", space, 0, preset="diverse").state_dict()
    assert ce_state_summary(fresh) == ("novelty component: none yet (no event fell where the adapted proposal "
                                       "under-samples)")
    assert ce_state_summary({**fresh, "n_novel": 3}).startswith("novelty component: fitted on 3 events")
