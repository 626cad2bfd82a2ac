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


# ------------------------------------------------------------------------------ right of way


def _junction(control: str, extra_road: str = "") -> str:
    return f"""road:
  type: intersection
  lanes: 1
  length: 200
  turn_radius: 8
  control: {control}
{extra_road}"""


def _major_stream(arrivals: list[float], v: float = 8.0) -> str:
    """Cars southbound on the major road at a constant ``v`` (m/s) whose fronts reach the area where
    they cross the E-W road (8 m into their connector) at the given times (s)."""
    out = ""
    for k, t in enumerate(arrivals):
        out += f"""  major{k}: {{kind: car, lane: N_in_0, s: {200 + 8 - 2.3 - v * t:.3f}, speed: {v}, behavior: constant_speed}}
"""
    return out


def _first_move(tr, v_min=0.5) -> float:
    moving = np.flatnonzero(tr[:, Lo.F_SPEED] > v_min)
    return moving[0] * DT if len(moving) else math.inf


@pytest.mark.parametrize("t_c,expect", [(2.0, 0.0), (4.0, 7.0), (6.0, 16.0)])
def test_a_minor_road_driver_waits_for_a_gap_of_its_critical_gap(t_c, expect):
    """Major-road cars reach the crossing at 3, 6, 12, 15 and 24 s; each clears it 0.8 s later, so
    the lags a driver standing at the minor road's yield line sees are 3 s (at once), then 2 s,
    5 s, 2 s and 8 s (at 8 m/s a car clears the area 1 s after reaching it). With critical gap t_c
    it lets every car through that comes sooner than t_c and takes the first lag of at least t_c:
    at once for 2 s, after the second car (7 s) for 4 s, after the fourth (16 s) for 6 s."""
    b = sim(_junction("{type: priority, major: [N, S], sign: yield}") + f"""actors:
  ego:
    kind: car
    lane: E_in_0
    s: 197.2
    speed: 0
    route: [E_in_0, E_in_0>W_out_0, W_out_0]
    behavior: {{idm: {{desired_speed: 10}}, driver: {{critical_gap: {t_c}, follow_up: 2.0}}}}
""" + _major_stream([3.0, 6.0, 12.0, 15.0, 24.0]) + "events:\n  collision: {}\n", duration=25.0)
    go = _first_move(b.trajectories[0, 0], v_min=0.05)
    assert expect - 0.15 <= go <= expect + 0.5, go
    if t_c >= 6.0:  # crossing from rest at 1.5 m/s^2 takes about 5 s: shorter critical gaps risk a crash
        assert not b.labels["collision"][0]


def test_nobody_enters_on_red():
    """Cars reaching a signalised junction at random times: every car crosses its stop line on green
    or amber; after the amber only one that could not stop at its comfortable deceleration when the
    amber began and so went on (the dilemma zone)."""
    b = sim(_junction("{type: signal, phases: [{arms: [N, S], green: 12, amber: 3}, {arms: [E, W], green: 12, "
                      "amber: 3}], all_red: 2, offset: {uniform: [0, 32]}}") + """actors:
  ego:
    kind: car
    lane: S_in_0
    s: {uniform: [0, 150]}
    speed: {uniform: [5, 15]}
    behavior: {idm: {desired_speed: 14}}
  other:
    kind: car
    lane: E_in_0
    s: {uniform: [0, 150]}
    speed: {uniform: [5, 15]}
    behavior: {idm: {desired_speed: 14}}
events:
  collision: {}
""", duration=30.0, n=200, seed=5)
    from scenariogen.kernels.rules import STATE_RED, signal_state
    from scenariogen.kernels.groups import World

    theta = b.theta
    offset = theta[:, list(b.parameter_names).index("road.control.offset")]
    crossings = late = 0
    for row in range(b.size):
        w = World(start=np.array([[0.0, 17.0]]), green=np.array([[12.0, 12.0]]), amber=np.array([[3.0, 3.0]]),
                  cycle=np.array([34.0]), offset=np.array([offset[row]]))
        for a, group in ((0, 0), (1, 1)):
            lane = b.trajectories[row, a, :, Lo.F_LANE]
            s = b.trajectories[row, a, :, Lo.F_S]
            front_past = (lane == lane[0]) & (s + 2.3 >= 200.0)
            entered = np.flatnonzero((lane[1:] != lane[:-1]) | (front_past[1:] & ~front_past[:-1])) + 1
            if not len(entered):
                continue
            crossings += 1
            k = entered[0]
            if signal_state(0, group, (k - 1) * DT, w) != STATE_RED:
                continue
            # crossed on red: only a driver that could not stop at its comfortable deceleration when
            # the amber began (and so went on)
            onset = k - 1
            while onset > 0 and signal_state(0, group, (onset - 1) * DT, w) != 0:
                onset -= 1
            v_on = float(b.trajectories[row, a, onset, Lo.F_SPEED])
            d_on = 200.0 - 2.3 - float(s[onset])
            assert lane[onset] == lane[0] and v_on * v_on > 2.0 * 2.0 * d_on, (row, a, k * DT, v_on, d_on)
            late += 1
    assert crossings > 100  # most cars reach the junction in 30 s
    assert late < 0.1 * crossings  # the dilemma zone of a 3 s amber at up to 15 m/s
    assert not b.labels["collision"].any()


def test_a_pedestrian_on_a_crosswalk_is_yielded_to():
    """A pedestrian walks across the south arm's crosswalk while a car comes up the arm, 5 to 8 s
    away: the car stops before the crosswalk, waits, and goes on once the pedestrian has left it."""
    b = sim(_junction("uncontrolled", "  crosswalks: [S]\n") + """actors:
  ego:
    kind: car
    lane: S_in_0
    s: {uniform: [120, 150]}
    speed: 10
    behavior: {idm: {desired_speed: 10}}
  walker:
    kind: pedestrian
    position: {x: 5.0, y: -13.5, heading_deg: 180}
    speed: 0
    behavior: constant_speed
    maneuver:
      cross:
        path: [[0, 0], [-10, 0]]
        speed: {uniform: [1.0, 1.8]}
        start: {time: {uniform: [0, 1]}}
events:
  collision: {}
""", duration=20.0, n=40, seed=2)
    assert not b.labels["collision"].any()
    assert (b.agent_metrics[:, 1, Lo.A_MIN_DIST] > 1.0).all()
    walk_y = (-15.0, -12.0)
    for row in range(b.size):
        car_front = b.trajectories[row, 0, :, Lo.F_Y] + 2.3  # heading north
        walker_x = b.trajectories[row, 1, :, Lo.F_X]
        on_walk = (walker_x > -5.0 + 1e-3) & (walker_x < 5.0 - 1e-3)
        # while the walker is on the crosswalk the car's front stays out of it
        inside = (car_front > walk_y[0]) & (b.trajectories[row, 0, :, Lo.F_Y] - 2.3 < walk_y[1])
        assert not (inside & on_walk).any(), row
        assert car_front[-1] > walk_y[1]  # and it went on afterwards


def test_a_saturated_all_way_stop_clears():
    """Three cars queue on each of the four arms of an all-way stop, going every way: every one stops
    at its line, they take turns, and all have crossed without a collision."""
    routes = {"N": ("S", "W", "E"), "E": ("W", "N", "S"), "S": ("N", "E", "W"), "W": ("E", "S", "N")}
    actors = ""
    k = 0
    for arm, dests in routes.items():
        for q, dest in enumerate(dests):
            name = "ego" if k == 0 else f"car{k}"
            actors += f"""  {name}:
    kind: car
    lane: {arm}_in_0
    s: {196.0 - 8.0 * q}
    speed: 0
    route: [{arm}_in_0, {arm}_in_0>{dest}_out_0, {dest}_out_0]
    behavior: {{idm: {{desired_speed: 8}}}}
"""
            k += 1
    b = sim(_junction("all_way_stop") + "actors:\n" + actors + "events:\n  collision: {}\n", duration=90.0)
    assert not b.labels["collision"][0]
    lanes = b.trajectories[0, :, -1, Lo.F_LANE].astype(int)
    spec = scenariogen.parse_text(b.provenance["spec_text"])
    from scenariogen.sim.compile import compiled_road

    ids = compiled_road(spec).arrays.lane_ids
    assert all(ids[lanes[a]].endswith("_out_0") for a in range(12)), [ids[x] for x in lanes]


@pytest.mark.parametrize("road,lane,has", [
    ("road: {type: straight, lanes: 3, lane_width: 3.5, length: 500}", "0", False),
    ("road: {type: intersection, lanes: 1, lane_width: 3.5, length: 80, turn_radius: 6}", "S_in_0", True),
])
def test_the_right_of_way_is_skipped_only_on_roads_without_rules(road, lane, has):
    """kernels.rules.has_rules (read once per scenario; without rules the step does not call
    right_of_way_gap): False for a plain highway, True for a junction's conflict areas."""
    from scenariogen.kernels.rules import has_rules
    from scenariogen.sim.compile import compiled_road
    from scenariogen.sim.engine import kernel_road

    spec = scenariogen.parse_text("scenariogen: 1\nname: t\ndt: 0.1\nduration: 1.0\n" + road
                                  + f"\nactors:\n  ego: {{kind: car, lane: {lane}, s: 1, speed: 1}}\n")
    assert has_rules(kernel_road(compiled_road(spec))) is has
