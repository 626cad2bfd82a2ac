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


def test_the_rest_of_the_traffic_does_not_move():
    """Only the first vehicle of each lane follows the parameters: the gaps behind it, the lanes
    taken and every other speed come from the same stream as without them."""
    random = scenariogen.parse_text(spec_text("random"))
    sampled = scenariogen.parse_text(spec_text("sampled"))
    n = 50
    base = scenariogen.simulate(random, n=n, seed=4, record="full")
    theta = np.zeros((n, sampled.parameters.dim))
    theta[:, 0] = base.theta[:, 0]
    theta[:, 1:] = 0.5
    moved = scenariogen.simulate(sampled, theta=theta, seed=4, record="full")
    t_a, t_b = base.trajectories[:, 1:, 0], moved.trajectories[:, 1:, 0]
    assert np.array_equal(base.mask[:, :, 0], moved.mask[:, :, 0])
    assert np.array_equal(t_a[..., 5], t_b[..., 5])  # same lanes
    for k in range(len(LANES)):
        on = base.mask[:, 1:, 0] & (t_a[..., 5] == k)
        for r in range(n):
            idx = np.flatnonzero(on[r])
            if len(idx) < 2:
                continue
            sa, sb = np.sort(t_a[r, idx, 6]), np.sort(t_b[r, idx, 6])
            assert np.allclose(np.diff(sa), np.diff(sb))  # same gaps behind the first
            order_a, order_b = idx[np.argsort(t_a[r, idx, 6])], idx[np.argsort(t_b[r, idx, 6])]
            assert np.array_equal(t_a[r, order_a[1:], 3], t_b[r, order_b[1:], 3])  # same other speeds


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
