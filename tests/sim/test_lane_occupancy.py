"""Who occupies a lane: a vehicle whose body reaches into the neighbouring lane is in that lane's
path (and that lane's vehicles in its own), a lane change near a lanelet's end sees the vehicles on
the target lane's next lanelet, and a lane changer follows the vehicle ahead in its new lane
whatever their offsets (docs/calibration.md, "The collisions among the traffic, looked at")."""

from __future__ import annotations

import numpy as np

import scenariogen
from scenariogen.data import layout as Lo

# lane 0 (y = 0) and lane 1 (y = 3.5, its left neighbour) along +x; "held" sits in lane 1 held
# {off} m aside, so a 2.3 m wide body at -1.5 m reaches 0.6 m into lane 0
STRADDLE = """scenariogen: 1
name: straddle
dt: 0.1
duration: {dur}
road: {{type: straight, lanes: 2, lane_width: 3.5, length: 2000}}
actors:
  ego: {{kind: car, lane: 1, s: 900, speed: 10, behavior: {{constant_speed: {{}}}}}}
  held: {{kind: car, lane: 1, s: 80, offset: {off}, width: 2.3, speed: {v_held}, behavior: {behavior}}}
  car: {{kind: car, lane: 0, s: {s_car}, offset: {d_car}, speed: {v_car}, behavior: {{idm: {{desired_speed: {v_car}}}}}}}
events:
  collision: {{}}
"""


def _straddle(off=-1.5, v_held=8.0, behavior="{constant_speed: {}}", s_car=40.0, d_car=0.0, v_car=20.0, dur=12):
    spec = scenariogen.parse_text(STRADDLE.format(off=off, v_held=v_held, behavior=behavior, s_car=s_car,
                                                  d_car=d_car, v_car=v_car, dur=dur))
    return scenariogen.simulate(spec, 2, seed=1)


def _min_box_gap_along(b, i, j):
    """Smallest bumper gap along x (m) between agents ``i`` and ``j`` over the run (straight lanes
    along +x, both heading +x)."""
    x = b.trajectories[0, :, :, Lo.F_X].astype(np.float64)
    half = 0.5 * b.sizes[0, :, 0].astype(np.float64)
    return float(np.min(np.abs(x[j] - x[i]) - half[i] - half[j]))


def test_a_faster_car_brakes_for_a_straddler_sticking_into_its_lane():
    b = _straddle()
    assert not np.isfinite(b.metrics["collision_time"]).any()
    tr = b.trajectories[0].astype(np.float64)
    assert tr[2, -1, Lo.F_SPEED] < 9.0  # it slowed to the straddler's 8 m/s behind it
    assert tr[2, -1, Lo.F_X] < tr[1, -1, Lo.F_X]
    assert _min_box_gap_along(b, 1, 2) > 1.0
    assert abs(tr[1, -1, Lo.F_OFFSET] + 1.5) < 1e-6  # the straddler kept its offset


def test_a_car_still_passes_a_vehicle_that_stays_clear_of_its_path():
    # held at -1.0 m a 2.3 m body reaches 0.4 m into lane 0: a car at -0.8 m there is 1.05 m clear of it
    b = _straddle(off=-1.0, d_car=-0.8)
    assert not np.isfinite(b.metrics["collision_time"]).any()
    tr = b.trajectories[0].astype(np.float64)
    assert tr[2, -1, Lo.F_X] > tr[1, -1, Lo.F_X] + 20.0  # it passed
    assert tr[2, :, Lo.F_SPEED].min() > 19.0  # without braking


def test_a_straddler_follows_the_vehicle_ahead_in_the_lane_it_sticks_into():
    # the straddler drives at 20 m/s behind a car at 8 m/s in lane 0 that its side overlaps
    b = _straddle(behavior="{idm: {desired_speed: 20}}", v_held=20.0, s_car=140.0, v_car=8.0)
    assert not np.isfinite(b.metrics["collision_time"]).any()
    tr = b.trajectories[0].astype(np.float64)
    assert tr[1, -1, Lo.F_SPEED] < 9.0
    assert _min_box_gap_along(b, 1, 2) > 1.0


# two lanes cut into lanelets that end at different places, as the NGSIM maps are: the right lane's
# first lanelet "r0" ends at x = 110, the left lane's "l0" at x = 100
LANELETS = """scenariogen: 1
name: lanelets
dt: 0.1
duration: 8
road:
  type: lanes
  lanes:
    r0: {{points: [[0, 0], [110, 0]], successors: [r1], left: l0}}
    r1: {{points: [[110, 0], [600, 0]], left: l1}}
    l0: {{points: [[0, 3.5], [100, 3.5]], successors: [l1], right: r0}}
    l1: {{points: [[100, 3.5], [600, 3.5]], right: r1}}
actors:
  ego: {{kind: car, lane: r1, s: 400, speed: 10, behavior: {{constant_speed: {{}}}}}}
  changer:
    kind: car
    lane: r0
    s: 96
    speed: 12
    behavior: {{idm: {{desired_speed: 12}}}}
    maneuver: {{lane_change: {{to: l0, start: 0, duration: 2, gap_check: true}}}}
  beside: {{kind: car, lane: l1, s: {s_beside}, speed: 12, behavior: {{constant_speed: {{}}}}}}
events:
  collision: {{}}
"""


def _lanelets(s_beside):
    return scenariogen.simulate(scenariogen.parse_text(LANELETS.format(s_beside=s_beside)), 2, seed=1)


def test_a_lane_change_at_a_lanelets_end_waits_for_a_car_on_the_next_lanelet():
    b = _lanelets(s_beside=0.5)  # alongside, 3.5 m ahead, already past the end of the target lanelet
    assert not np.isfinite(b.metrics["collision_time"]).any()
    tr = b.trajectories[0].astype(np.float64)
    # it waits in its lane while the car is beside it (both at 12 m/s: all along)
    assert np.abs(tr[1, :, Lo.F_Y]).max() < 0.5


def test_a_lane_change_at_a_lanelets_end_goes_when_the_next_lanelet_is_clear():
    b = _lanelets(s_beside=150.0)
    assert not np.isfinite(b.metrics["collision_time"]).any()
    assert abs(float(b.trajectories[0, 1, -1, Lo.F_Y]) - 3.5) < 0.2


# a changer 3 m aside of a slower car ahead in its new lane (it switches lane frame at the start)
CHANGER = """scenariogen: 1
name: changer
dt: 0.1
duration: 8
road: {type: straight, lanes: 2, lane_width: 3.5, length: 2000}
actors:
  ego: {kind: car, lane: 1, s: 900, speed: 10, behavior: {constant_speed: {}}}
  slow: {kind: car, lane: 1, s: 60, offset: 0.5, speed: 6, behavior: {constant_speed: {}}}
  changer:
    kind: car
    lane: 0
    s: 30
    speed: 16
    behavior: {idm: {desired_speed: 16}}
    maneuver: {lane_change: {to: 1, start: 0, duration: 6}}
events:
  collision: {}
"""


def test_a_lane_changer_follows_its_new_lanes_leader_whatever_their_offsets():
    b = scenariogen.simulate(scenariogen.parse_text(CHANGER), 2, seed=1)
    tr = b.trajectories[0].astype(np.float64)
    assert not np.isfinite(b.metrics["collision_time"]).any()
    assert tr[2, :, Lo.F_ACCEL].min() < -1.0  # it braked from the start, 3 m aside of the slow car
    assert tr[2, 5, Lo.F_SPEED] < 15.0
    assert _min_box_gap_along(b, 1, 2) > 0.5
