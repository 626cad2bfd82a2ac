from __future__ import annotations

import pytest

from scenariogen.errors import SamplerOptionsError
from scenariogen.sampling import SAMPLERS, Sampler, get_sampler, register_sampler
from scenariogen.sampling.base import _REGISTRY


def test_builtin_names(mixed_space):
    assert set(SAMPLERS) == {"mc", "qmc", "ce", "splitting"}
    for name in SAMPLERS:
        s = get_sampler(name, mixed_space, 3)
        assert isinstance(s, Sampler) and s.name == name


def test_unknown_name_lists_valid_ones(mixed_space):
    with pytest.raises(SamplerOptionsError, match=r"unknown sampler 'cem'.*ce, mc, qmc, splitting"):
        get_sampler("cem", mixed_space, 0)


def test_duplicate_registration_raises():
    class Dup(Sampler):
        name = "mc"

    with pytest.raises(ValueError, match="already registered"):
        register_sampler(Dup)


def test_registration_and_view_is_read_only():
    class Extra(Sampler):
        name = "extra-test"

    try:
        register_sampler(Extra)
        assert "extra-test" in SAMPLERS
        with pytest.raises(TypeError):
            SAMPLERS["x"] = Extra  # type: ignore[index]
    finally:
        _REGISTRY.pop("extra-test", None)


def test_unknown_and_bad_options(mixed_space):
    with pytest.raises(SamplerOptionsError, match="unknown option.*'rhoo'.*valid options: "):
        get_sampler("ce", mixed_space, 0, rhoo=0.1)
    with pytest.raises(SamplerOptionsError, match="rho must be in"):
        get_sampler("ce", mixed_space, 0, rho=1.5)
    # an infinite option would pass every range check and then break the run's strict-JSON manifest
    for key, value in (("widen", float("inf")), ("refine_ess", float("nan")), ("refine", "inf"), ("keep", "foo")):
        with pytest.raises(SamplerOptionsError, match=f"option '{key}' of sampler 'ce' must be"):
            get_sampler("ce", mixed_space, 0, **{key: value})
    with pytest.raises(SamplerOptionsError, match="seed"):
        get_sampler("mc", mixed_space, -1)
