"""The ACC car-following law against closed form: a standing obstacle is braked for with the
constant-acceleration heuristic's -v^2 / (2 s), not its 0/0 limit (which let cars brake at their
comfortable deceleration into a stalled car)."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

import scenariogen
from scenariogen.data import layout as Lo
from scenariogen.kernels.behavior import acc_accel, idm_accel

V0, T, S0, A, B, DELTA = 17.0, 1.5, 2.0, 1.5, 2.0, 4.0


@settings(deadline=None)
@given(v=st.floats(1.0, 30.0), gap=st.floats(3.0, 200.0))
def test_a_standing_leader_is_braked_for_with_the_kinematic_deceleration(v, gap):
    a_idm = idm_accel(v, V0, T, S0, A, B, DELTA, gap, 0.0)
    a_cah = -v * v / (2.0 * gap)
    expect = a_idm if a_idm >= a_cah else 0.01 * a_idm + 0.99 * (a_cah + B * math.tanh((a_idm - a_cah) / B))
    assert math.isclose(acc_accel(v, V0, T, S0, A, B, DELTA, gap, 0.0, 0.0), expect, rel_tol=1e-12, abs_tol=1e-12)


@settings(max_examples=25, deadline=None)
@given(v=st.floats(5.0, 25.0), gap=st.floats(10.0, 80.0))
def test_a_car_stops_behind_a_stalled_car_it_can_stop_for(v, gap):
    """Whenever v^2 / (2 (gap - s0)) is at most 4 m/s^2 the follower stops short of the stalled car."""
    if v * v / (2.0 * (gap - S0)) > 4.0:
        return
    text = f"""scenariogen: 1
name: t
dt: 0.1
duration: 20
road: {{type: straight, lanes: 1, length: 600}}
actors:
  ego: {{kind: car, lane: 0, s: 10, speed: {v}, behavior: {{idm: {{desired_speed: {V0}}}}}}}
  stalled: {{kind: car, lane: 0, s: {10 + gap + 4.6}, speed: 0, behavior: constant_speed}}
events:
  collision: {{}}
"""
    b = scenariogen.simulate(scenariogen.parse_text(text), n=1)
    assert not b.labels["collision"][0]
    assert b.trajectories[0, 0, -1, Lo.F_SPEED] < 0.1
