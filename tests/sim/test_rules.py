"""Behaviour of drivers who know the rules, checked against closed form (issue 21): curve speeds,
held lateral offsets."""

from __future__ import annotations

import math

import numpy as np
import pytest

import scenariogen
from scenariogen.data import layout as Lo

DT = 0.1


def sim(body: str, duration: float, n: int = 1, **kw):
    text = f"scenariogen: 1\nname: rules\ndt: {DT}\nduration: {duration}\n{body}"
    return scenariogen.simulate(scenariogen.parse_text(text), n=n, **kw)


def _arc_road(radius: float, straight: float = 250.0, angle: float = math.pi / 2) -> str:
    """A straight lane, then a left arc of ``radius`` (m) as its successor."""
    pts = [(radius * math.sin(a), radius * (1 - math.cos(a))) for a in np.linspace(0.0, angle, 80)]
    arc = ", ".join(f"[{straight + x:.6f}, {y:.6f}]" for x, y in pts)
    return f"""road:
  type: lanes
  lanes:
    a: {{points: [[0, 0], [{straight}, 0]], width: 3.5, successors: [b]}}
    b: {{points: [{arc}], width: 3.5}}
"""


@pytest.mark.parametrize("radius,a_lat,v0", [(40.0, 2.0, 30.0), (100.0, 3.0, 35.0), (15.0, 2.5, 20.0)])
def test_a_curve_is_driven_within_the_drivers_lateral_acceleration(radius, a_lat, v0):
    """From a straight at up to v0, a driver with lateral acceleration a_lat never exceeds
    sqrt(a_lat R) on an arc of radius R: it brakes before the curve, not in it."""
    b = sim(_arc_road(radius) + f"""actors:
  ego:
    kind: car
    lane: a
    s: 10
    speed: {v0 * 0.9}
    behavior: {{idm: {{desired_speed: {v0}}}, driver: {{lateral_accel: {a_lat}}}}}
""", duration=30.0)
    tr = b.trajectories[0, 0]
    on_arc = (tr[:, Lo.F_LANE] == 1) & (tr[:, Lo.F_S] < 0.97 * radius * math.pi / 2)
    assert on_arc.sum() > 10, "the car reaches the curve"
    v_c = math.sqrt(a_lat * radius)
    assert tr[on_arc, Lo.F_SPEED].max() <= v_c * 1.005
    assert tr[on_arc, Lo.F_SPEED].max() >= 0.9 * v_c  # and does not crawl through it
    # lateral acceleration v^2 / R on the arc stays within the driver's
    assert (tr[on_arc, Lo.F_SPEED].astype(float) ** 2 / radius).max() <= a_lat * 1.01
    # it slowed on the straight, at no more than its comfortable deceleration plus the jerk ramp
    assert tr[:, Lo.F_ACCEL].min() >= -2.0 - 0.1


def test_drivers_draw_their_own_lateral_acceleration_when_the_scenario_gives_none():
    b = sim(_arc_road(30.0) + """actors:
  ego: {kind: car, lane: a, s: 10, speed: 20, behavior: {idm: {desired_speed: 25}}}
""", duration=25.0, n=40, seed=3)
    tr = b.trajectories[:, 0]
    on_arc = (tr[:, :, Lo.F_LANE] == 1) & (tr[:, :, Lo.F_S] < 0.97 * 30.0 * math.pi / 2)
    v_max = np.where(on_arc, tr[:, :, Lo.F_SPEED], 0.0).max(axis=1)
    a_lat = v_max.astype(float) ** 2 / 30.0
    assert 1.5 * 0.95 <= a_lat.min() and a_lat.max() <= 4.5 * 1.01  # within the default law's range
    assert a_lat.std() > 0.2  # and they differ from driver to driver
    again = sim(_arc_road(30.0) + """actors:
  ego: {kind: car, lane: a, s: 10, speed: 20, behavior: {idm: {desired_speed: 25}}}
""", duration=25.0, n=40, seed=3)
    np.testing.assert_array_equal(again.trajectories, b.trajectories)


def test_a_named_actors_lateral_offset_holds_until_a_lane_change():
    """A cyclist riding 1.2 m right of the lane centre stays there (it decayed to the centre in 3 s
    before); after a lane change it rides the new lane's centre."""
    b = sim("""road: {type: straight, lanes: 2, lane_width: 3.5, length: 600}
actors:
  ego: {kind: car, lane: 1, s: 0, speed: 10, behavior: constant_speed}
  cyclist:
    kind: bicycle
    lane: 0
    s: {value: 20, offset: -1.2}
    speed: 6
    behavior: {idm: {desired_speed: 6}}
    maneuver: {lane_change: {to: 1, start: {time: 12.0}, duration: 3.0}}
""".replace("s: {value: 20, offset: -1.2}", "s: 20\n    offset: -1.2"), duration=26.0)
    tr = b.trajectories[0, 1]
    t = np.arange(tr.shape[0]) * DT
    before = t < 12.0
    np.testing.assert_allclose(tr[before, Lo.F_OFFSET], -1.2, atol=0.02)
    after = t > 22.0
    assert np.all(tr[after, Lo.F_LANE] == 1)
    np.testing.assert_allclose(tr[after, Lo.F_OFFSET], 0.0, atol=0.05)
