"""``first_burst: sampled``: the first burst of a Gilbert-Elliott dropout chain placed by two
parameters (p-quantiles of its start step and length), so rare-event samplers can steer when a
dropout happens. Drawn from their uniform law, they leave the chain's law unchanged."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scenariogen
from scenariogen.errors import DSLError
from scenariogen.kernels.perception import first_burst

START = "actors.ego.sensor.dropout.gilbert_elliott.first_burst.start"
LENGTH = "actors.ego.sensor.dropout.gilbert_elliott.first_burst.length"


def spec_text(first: str = "sampled", rate: float = 0.1, burst: float = 0.3) -> str:
    extra = f", first_burst: {first}" if first else ""
    return f"""
scenariogen: 1
name: first_burst
dt: 0.1
duration: 8.0
road: {{type: straight, lanes: 1, lane_width: 3.5, length: 400}}
actors:
  ego:
    kind: car
    lane: 0
    s: 20
    speed: 15
    behavior: {{idm: {{desired_speed: 15}}}}
    sensor: {{range: 80, fov_deg: 90, dropout: {{gilbert_elliott: {{loss_rate: {rate}, mean_burst: {burst}{extra}}}}}}}
  leader:
    kind: car
    lane: 0
    s: {{relative_to: ego, offset: {{uniform: [20, 40]}}}}
    speed: 15
    behavior: {{idm: {{desired_speed: 15}}}}
events:
  near_miss: {{ttc_below: 1.0}}
"""


def _first_run(dropout: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start step and length of each row's first burst (-1, 0 without one)."""
    has = dropout.any(axis=1)
    start = np.where(has, dropout.argmax(axis=1), -1)
    length = np.zeros(len(dropout), int)
    for i in np.flatnonzero(has):
        rest = dropout[i, start[i]:]
        length[i] = int(rest.argmin()) if not rest.all() else rest.size
    return start, length


@settings(max_examples=200, deadline=None)
@given(st.floats(1e-9, 1 - 1e-9), st.floats(1e-9, 1 - 1e-9), st.floats(1e-4, 0.9), st.floats(0.05, 1.0))
def test_first_burst_inverts_the_geometric_laws(u_start, u_len, p_enter, p_exit):
    """start = k exactly when u_start falls in (F(k - 1), F(k)] of the law (1 - pe)^k pe, k >= 0,
    and likewise for the length (>= 1) with p_exit."""
    start, length = first_burst(u_start, u_len, p_enter, p_exit)
    assert start >= 0 and length >= 1
    cdf = lambda k, q: 1.0 - (1.0 - q) ** (k + 1)  # noqa: E731
    assert u_start <= cdf(start, p_enter) * (1 + 1e-12)
    assert start == 0 or u_start > cdf(start - 1, p_enter) * (1 - 1e-12)
    if p_exit < 1.0:
        assert u_len <= cdf(length - 1, p_exit) * (1 + 1e-12)
        assert length == 1 or u_len > cdf(length - 2, p_exit) * (1 - 1e-12)
    else:
        assert length == 1


def test_not_sampled_is_left_to_the_chain():
    assert first_burst(-1.0, 0.5, 0.1, 0.3) == (-1, 0)


def test_sampled_adds_two_uniform_parameters_and_chain_adds_none():
    spec = scenariogen.parse_text(spec_text("sampled"))
    names = [p.name for p in spec.parameters.parameters]
    assert START in names and LENGTH in names
    for n in (START, LENGTH):
        assert spec.parameters.bounds()[names.index(n)].tolist() == [0.0, 1.0]
    assert spec.parameters.dim == 3
    assert scenariogen.parse_text(spec_text("chain")).parameters.dim == 1
    assert scenariogen.parse_text(spec_text("")).parameters.dim == 1


def test_a_misspelt_value_is_an_error_with_a_suggestion():
    with pytest.raises(DSLError, match="first_burst: expected 'sampled' or 'chain'.*did you mean 'sampled'"):
        scenariogen.parse_text(spec_text("sample"))


def test_the_sampler_places_the_first_burst():
    """Fixed quantiles put the first burst exactly where the geometric laws say."""
    spec = scenariogen.parse_text(spec_text("sampled", rate=0.02, burst=0.3))
    names = [p.name for p in spec.parameters.parameters]
    pe, px = 0.1 / 0.3 * 0.02 / 0.98, 0.1 / 0.3
    theta = np.zeros((6, 3))
    theta[:, names.index("actors.leader.s.offset")] = 30.0
    theta[:, names.index(START)] = [0.05, 0.2, 0.3, 0.4, 0.35, 0.1]
    theta[:, names.index(LENGTH)] = [0.1, 0.5, 0.9, 0.99, 0.6, 0.3]
    b = scenariogen.simulate(spec, theta=theta, seed=3, record="full")
    T = b.perception["dropout"].shape[1]
    start, length = _first_run(b.perception["dropout"])
    for i in range(6):
        s, n = first_burst(theta[i, names.index(START)], theta[i, names.index(LENGTH)], pe, px)
        if s >= T:
            assert start[i] == -1
        else:  # a burst that runs past the horizon is cut there
            assert (start[i], length[i]) == (s, min(n, T - s))
    assert (start >= 0).sum() >= 4


def test_drawn_from_p_the_law_of_the_dropouts_is_unchanged():
    """The same family with the first burst drawn by the chain or by the sampler: the share of
    scenarios with a dropout, the first burst's start and length, and the total loss agree
    (4000 scenarios each, about 5 standard errors)."""
    n = 4000
    chain = scenariogen.simulate(scenariogen.parse_text(spec_text("chain")), n=n, seed=8, record="full")
    sampled = scenariogen.simulate(scenariogen.parse_text(spec_text("sampled")), n=n, seed=9, record="full")
    stats = []
    for b in (chain, sampled):
        d = b.perception["dropout"]
        start, length = _first_run(d)
        has = start >= 0
        stats.append((has.mean(), start[has].mean(), length[has].mean(), d.mean()))
    (h0, s0, l0, r0), (h1, s1, l1, r1) = stats
    assert abs(h0 - h1) < 5 * np.sqrt(h0 * (1 - h0) * 2 / n)
    assert s1 == pytest.approx(s0, rel=0.1)
    assert l1 == pytest.approx(l0, rel=0.1)
    assert r1 == pytest.approx(r0, rel=0.1)
