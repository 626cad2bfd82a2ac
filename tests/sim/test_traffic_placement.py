"""``placement: sampled`` in a traffic block: the first vehicle of each lane is placed by two
parameters (p-quantiles of its start within one spacing and of its initial speed), so rare-event
samplers can steer the traffic nearest the named actors. Drawn from their uniform law, they leave
the law of the traffic unchanged."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scenariogen
from scenariogen.dsl.describe import summary
from scenariogen.errors import DSLError

LANES = ("0", "1")
LO, GAP, SPEED, VEH_LEN = 100.0, 30.0, 20.0, 4.6


def spec_text(placement: str = "sampled") -> str:
    extra = f"\n    placement: {placement}" if placement else ""
    return f"""
scenariogen: 1
name: placement
dt: 0.1
duration: 2.0
road: {{type: straight, lanes: 2, lane_width: 3.5, length: 600}}
actors:
  ego:
    kind: car
    lane: 0
    s: 20
    speed: 20
    behavior: {{idm: {{desired_speed: 20}}}}
traffic:
  - kind: car
    count: {{poisson: {{lam: 5, high: 10}}}}
    lanes: [0, 1]
    s_range: [{LO:g}, 500]
    spacing: {GAP:g}
    speed: {SPEED:g}
    behavior: {{idm: {{desired_speed: 25}}}}{extra}
events:
  near_miss: {{ttc_below: 1.0}}
"""


def _name(lane: str, key: str) -> str:
    return f"traffic[0].placement.{lane}.{key}"


def _first_per_lane(b: scenariogen.Batch, lane: int) -> tuple[np.ndarray, np.ndarray]:
    """Initial arc length and speed of the rearmost traffic vehicle on ``lane`` per row (nan if none)."""
    t0 = b.trajectories[:, 1:, 0]  # frame 0 of every traffic vehicle
    on = b.mask[:, 1:, 0] & (t0[..., 5] == lane)
    s = np.where(on, t0[..., 6], np.inf)
    k = s.argmin(axis=1)
    rows = np.arange(len(s))
    has = on.any(axis=1)
    return np.where(has, s[rows, k], np.nan), np.where(has, t0[rows, k, 3], np.nan)


def test_sampled_adds_two_uniform_parameters_per_lane_and_random_adds_none():
    spec = scenariogen.parse_text(spec_text("sampled"))
    names = list(spec.parameters.names)
    for lane in LANES:
        for key in ("position", "speed"):
            assert spec.parameters.bounds()[names.index(_name(lane, key))].tolist() == [0.0, 1.0]
    assert spec.parameters.dim == 5
    assert scenariogen.parse_text(spec_text("random")).parameters.dim == 1
    assert scenariogen.parse_text(spec_text("")).parameters.dim == 1
    assert "first of each lane sampled" in summary(spec)


def test_a_misspelt_value_is_an_error_with_a_suggestion():
    with pytest.raises(DSLError, match=r"placement: expected 'sampled' or 'random'.*did you mean 'sampled'"):
        scenariogen.parse_text(spec_text("sampld"))


@settings(max_examples=20, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=4, max_size=4))
def test_the_parameters_place_the_first_vehicle_of_each_lane(u):
    """The rearmost vehicle of lane k starts at low + length / 2 + u_position * spacing, at
    speed + 3 (u_speed - 0.5) m/s, whatever the rest of the stream draws."""
    spec = scenariogen.parse_text(spec_text("sampled"))
    names = list(spec.parameters.names)
    theta = np.zeros((4, spec.parameters.dim))
    theta[:, names.index("traffic[0].count")] = 10
    for k, lane in enumerate(LANES):
        theta[:, names.index(_name(lane, "position"))] = u[2 * k]
        theta[:, names.index(_name(lane, "speed"))] = u[2 * k + 1]
    b = scenariogen.simulate(spec, theta=theta, seed=5, record="full")
    for k in range(len(LANES)):
        s, v = _first_per_lane(b, k)
        has = np.isfinite(s)
        assert has.sum() >= 2  # ten vehicles over two lanes: both lanes filled in nearly every row
        assert np.allclose(s[has], LO + 0.5 * VEH_LEN + u[2 * k] * GAP)
        assert np.allclose(v[has], SPEED + 3.0 * (u[2 * k + 1] - 0.5))


@pytest.mark.parametrize("high", [500, 230], ids=["open window", "full window"])
def test_the_rest_of_the_traffic_does_not_move(high):
    """Only the first vehicle of each lane follows the parameters: the lanes taken, the gaps behind
    it and every other speed come from the same stream whatever they say, also when the window fills
    up and a moved first vehicle pushes the last ones out of it."""
    n = 60
    sampled = scenariogen.parse_text(spec_text("sampled").replace("500]", f"{high}]"))
    names = list(sampled.parameters.names)
    theta = scenariogen.simulate(sampled, n=n, seed=4, record="none").theta
    runs = []
    for u in (0.0, 1.0):  # lane 0's first vehicle at the back, then a whole spacing further on
        theta[:, names.index(_name("0", "position"))] = u
        runs.append(scenariogen.simulate(sampled, theta=theta, seed=4, record="full"))  # same indices, same streams
    t0 = np.concatenate([r.trajectories[:, 1:, 0] for r in runs])
    lane, s, v = t0[..., 5], t0[..., 6], t0[..., 3]
    placed = np.concatenate([r.mask[:, 1:, 0] for r in runs])
    pushed_out = 0
    for r in range(n):
        a, c = r, n + r  # one scenario with the two positions
        both = placed[a] & placed[c]
        pushed_out += int((placed[a] != placed[c]).any())
        assert np.array_equal(lane[a][both], lane[c][both])  # the same lanes
        on1 = both & (lane[a] == 1)
        assert np.array_equal(s[a][on1], s[c][on1]) and np.array_equal(v[a][on1], v[c][on1])  # lane 1 untouched
        on0 = both & (lane[a] == 0)
        if on0.sum() >= 2:
            order = np.argsort(s[a][on0])
            assert np.allclose(np.diff(s[c][on0][order]), np.diff(s[a][on0][order]))  # the same gaps
            assert np.array_equal(v[a][on0][order][1:], v[c][on0][order][1:])  # the same other speeds
    if high == 230:
        assert pushed_out > 0  # the case that matters: the moved head pushed vehicles out of the window


def test_drawn_from_p_the_law_of_the_traffic_is_unchanged():
    """With the first vehicles drawn by the stream or by the sampler: the mean and spread of the
    first vehicle's start and speed per lane agree (4000 scenarios each, about 5 standard errors)."""
    n = 4000
    random = scenariogen.simulate(scenariogen.parse_text(spec_text("random")), n=n, seed=8, record="full")
    sampled = scenariogen.simulate(scenariogen.parse_text(spec_text("sampled")), n=n, seed=9, record="full")
    for k in range(len(LANES)):
        (s0, v0), (s1, v1) = _first_per_lane(random, k), _first_per_lane(sampled, k)
        for a, c, sd in ((s0, s1, GAP / np.sqrt(12)), (v0, v1, 3.0 / np.sqrt(12))):
            a, c = a[np.isfinite(a)], c[np.isfinite(c)]
            assert abs(a.mean() - c.mean()) < 5 * sd * np.sqrt(1 / len(a) + 1 / len(c))
            assert c.std() == pytest.approx(a.std(), rel=0.1)


def test_same_theta_and_seed_give_the_same_traffic():
    spec = scenariogen.parse_text(spec_text("sampled"))
    a = scenariogen.simulate(spec, n=200, seed=3, record="full")
    b = scenariogen.simulate(spec, n=200, seed=3, record="full", chunk_size=37)
    assert np.array_equal(a.trajectories, b.trajectories)
