"""The samplers' options (:mod:`scenariogen.sampling.options`): built from the caller's dict, frozen,
validated in one place, every problem a :class:`SamplerOptionsError` naming the option."""

from __future__ import annotations

import dataclasses

import pytest

from scenariogen.errors import SamplerOptionsError, ScenarioGenError
from scenariogen.sampling import PRESETS, CEOptions, SplittingOptions, get_sampler, run_estimate
from scenariogen.sampling.toy import GaussianTail

#: the ce options before the redesign (the old ``OPTIONS`` dict), in its order: a sampler state's
#: ``options`` holds exactly these keys, and they enter a run's content hash
CE_DEFAULTS = {"rho": 0.1, "alpha": 0.7, "eps": 0.1, "std_floor": 0.05, "max_stages": 25, "widen": 1.4,
               "adapt_widen": 1.5, "cat_floor": 0.1, "family": "gaussian", "latent_floor": 0.3, "adapt_floor": 0.0,
               "components": 3, "min_component": 0.05, "select": "bic", "keep": 0.2, "shrink": 0.3,
               "cat_shrink": 1.0, "refine": 10, "refine_ess": 200.0, "novelty": 0.0, "novel_ratio": 0.1,
               "explore": 0.0, "explore_width": 1.5, "preset": "estimate"}
SPLITTING_DEFAULTS = {"n_particles": 1000, "kill_fraction": 0.1, "mcmc_steps": 5, "beta": 0.5,
                      "target_accept": 0.3, "max_levels": 10000}


@pytest.fixture
def space():
    return GaussianTail(2, 1e-3).space


def test_defaults_keep_the_keys_order_and_types_of_before():
    d = CEOptions().to_dict()
    assert list(d) == list(CE_DEFAULTS) and d == CE_DEFAULTS
    assert [type(v) for v in d.values()] == [type(v) for v in CE_DEFAULTS.values()]
    assert SplittingOptions().to_dict() == SPLITTING_DEFAULTS and list(SplittingOptions.defaults()) == list(
        SPLITTING_DEFAULTS)


def test_presets_expand_as_before(space):
    assert PRESETS == {"estimate": {}, "diverse": {"eps": 0.2, "explore": 0.2, "keep": 0.0, "novelty": 0.2}}
    diverse = {**CE_DEFAULTS, "eps": 0.2, "explore": 0.2, "keep": 0.0, "novelty": 0.2, "preset": "diverse"}
    assert CEOptions.from_options({"preset": "diverse"}).to_dict() == diverse
    assert CEOptions.from_options({"preset": "estimate"}).to_dict() == {**CE_DEFAULTS, "preset": "estimate"}
    # options given beside a preset win; the state holds the expanded set
    s = get_sampler("ce", space, 0, preset="diverse", eps=0.3, keep=0)
    assert s.state_dict()["options"] == {**diverse, "eps": 0.3}
    assert isinstance(s.options["keep"], float) and s.options["keep"] == 0.0
    # a state's options are already expanded: loading them gives the same set back
    assert CEOptions.from_state(s.state_dict()["options"]) == s.config


def test_options_are_read_by_the_type_of_their_default():
    o = CEOptions.from_options({"eps": 0, "max_stages": 7.0, "refine": "3", "refine_ess": "250"})
    assert (o.eps, o.max_stages, o.refine, o.refine_ess) == (0.0, 7, 3, 250.0)
    assert type(o.eps) is float and type(o.max_stages) is int and type(o.refine) is int
    assert CEOptions(eps=0.2) == CEOptions.from_options({"eps": 0.2})  # constructing directly checks too


def test_options_are_frozen_and_the_callers_dict_is_left_as_given(space):
    given = {"preset": "diverse", "eps": 0.25}
    s = get_sampler("ce", space, 0, **given)
    assert given == {"preset": "diverse", "eps": 0.25}
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.config.eps = 0.5  # type: ignore[misc]
    with pytest.raises(TypeError):
        s.options["eps"] = 0.5  # type: ignore[index]
    assert s.options["eps"] == 0.25


CE_BAD = [
    ({"preset": "fast"}, "preset"),
    ({"preset": ["diverse"]}, "preset"),
    ({"rho": 0.0}, "rho"),
    ({"rho": 1.0}, "rho"),
    ({"alpha": 0.0}, "alpha"),
    ({"alpha": 1.5}, "alpha"),
    ({"eps": -0.1}, "eps"),
    ({"eps": 1.0}, "eps"),
    ({"shrink": -1.0}, "shrink"),
    ({"cat_shrink": 101.0}, "cat_shrink"),
    ({"keep": 0.9}, "keep"),
    ({"novelty": 0.75}, "novelty"),
    ({"novelty": 0.1, "family": "mixture"}, "novelty"),
    ({"explore": 0.8}, "explore"),
    ({"explore": 0.1, "family": "product"}, "explore"),
    ({"explore_width": 0.5}, "explore_width"),
    ({"explore_width": 2.5}, "explore_width"),
    ({"novel_ratio": 0.0}, "novel_ratio"),
    ({"std_floor": 0.0}, "std_floor"),
    ({"widen": 0.9}, "widen"),
    ({"adapt_widen": 0.5}, "adapt_widen"),
    ({"cat_floor": 1.0}, "cat_floor"),
    ({"max_stages": 0}, "max_stages"),
    ({"latent_floor": 0.0}, "latent_floor"),
    ({"adapt_floor": 1.5}, "adapt_floor"),
    ({"family": "beta"}, "family"),
    ({"refine": 1001}, "refine"),
    ({"refine_ess": 0.0}, "refine_ess"),
    ({"components": 9}, "components"),
    ({"select": "aic"}, "select"),
    ({"min_component": 0.5}, "min_component"),
    ({"rho": "x"}, "rho"),
    ({"rho": None}, "rho"),
    ({"max_stages": 2.5}, "max_stages"),
    ({"widen": float("inf")}, "widen"),
    ({"refine": 10 ** 400}, "refine"),
]


@pytest.mark.parametrize("options, name", CE_BAD)
def test_each_bad_ce_option_is_refused_by_name(space, options, name):
    with pytest.raises(SamplerOptionsError, match=rf"\b{name}\b") as exc:
        CEOptions.from_options(options)
    assert isinstance(exc.value, ScenarioGenError)
    msg = str(exc.value)
    assert "--" not in msg  # library parameters, never CLI flags
    with pytest.raises(SamplerOptionsError, match=rf"\b{name}\b"):
        get_sampler("ce", space, 0, **options)


@pytest.mark.parametrize("options, name", [
    ({"n_particles": 1}, "n_particles"),
    ({"kill_fraction": 1.0}, "kill_fraction"),
    ({"mcmc_steps": 0}, "mcmc_steps"),
    ({"beta": 0.0}, "beta"),
    ({"target_accept": 1.0}, "target_accept"),
    ({"max_levels": 0}, "max_levels"),
    ({"n_particles": "many"}, "n_particles"),
])
def test_each_bad_splitting_option_is_refused_by_name(space, options, name):
    with pytest.raises(SamplerOptionsError, match=rf"\b{name}\b"):
        SplittingOptions.from_options(options)
    with pytest.raises(SamplerOptionsError, match=rf"\b{name}\b"):
        get_sampler("splitting", space, 0, **options)


def test_unknown_options_name_the_sampler_and_list_the_valid_ones(space):
    with pytest.raises(SamplerOptionsError, match=r"unknown option\(s\) 'famly', 'rhoo' for sampler 'ce'; valid "
                                                  r"options: adapt_floor, adapt_widen, alpha"):
        get_sampler("ce", space, 0, rhoo=0.1, famly="mixture")
    with pytest.raises(SamplerOptionsError, match="unknown option.*'eps' for sampler 'mc'; valid options: none"):
        get_sampler("mc", space, 0, eps=0.1)


def test_splitting_run_overrides_are_checked(space):
    s = get_sampler("splitting", space, 0, n_particles=50)
    with pytest.raises(SamplerOptionsError, match="n_particles"):
        s.run(GaussianTail(2, 1e-3), n_particles=1)
    with pytest.raises(SamplerOptionsError, match="seed"):
        s.run(GaussianTail(2, 1e-3), seed=-1)


def test_a_state_with_bad_options_is_refused(space):
    s = get_sampler("ce", space, 0)
    with pytest.raises(SamplerOptionsError, match="eps"):
        s.load_state({**s.state_dict(), "options": {**s.options, "eps": 2.0}})


def test_run_parameters_are_refused_by_their_names(space):
    toy = GaussianTail(2, 1e-3)
    for kwargs, name in (({"budget": 0}, "budget"), ({"budget": 100, "n_per_stage": 0}, "n_per_stage"),
                         ({"budget": 100, "sampler_name": "splitting"}, "budget")):
        kwargs = {"sampler_name": "ce", **kwargs}
        with pytest.raises(SamplerOptionsError, match=rf"^{name}\b") as exc:
            run_estimate(space=space, evaluate=toy, **kwargs)
        assert "--" not in str(exc.value)
    with pytest.raises(SamplerOptionsError, match="unknown sampler 'cem'"):
        run_estimate("cem", space, toy, 100)
