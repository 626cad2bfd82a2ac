"""Scripted manoeuvres and forced merges (issue 21): triggers with two conditions and a timeout,
sequences, gap checks, overtaking through the oncoming lane, merging at a lane's end."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import scenariogen
from scenariogen.data import layout as Lo
from scenariogen.road import build_road

DT = 0.1


def sim(body: str, duration: float, n: int = 1, **kw):
    text = f"scenariogen: 1\nname: manoeuvres\ndt: {DT}\nduration: {duration}\n{body}"
    spec = scenariogen.parse_text(text)
    return spec, scenariogen.simulate(spec, n=n, **kw)


def lane_index(spec, lane: str) -> int:
    return build_road(spec.road).lane_ids.index(lane)


def first_time(mask) -> float:
    hit = np.flatnonzero(mask)
    return hit[0] * DT if len(hit) else np.inf


TWO_LANES = "road: {type: straight, lanes: 2, lane_width: 3.5, length: 800}\n"


def _changer(start: str, extra: str = "") -> str:
    return TWO_LANES + f"""actors:
  ego: {{kind: car, lane: 1, s: 200, speed: 10, behavior: constant_speed}}
  car:
    kind: car
    lane: 0
    s: 0
    speed: 10
    behavior: constant_speed
    maneuvers:
      - lane_change: {{to: 1, start: {start}, duration: 2.0}}
{extra}"""


@pytest.mark.parametrize("start, t_expect", [
    ("{distance_to: ego, below: 5, timeout: 4.0}", 4.0),  # never that close: the timeout starts it
    ("{any: [{time: 3.0}, {distance_to: ego, below: 5}]}", 3.0),
    ("{all: [{time: 3.0}, {time: 5.0}]}", 5.0),
    ("{all: [{time: 1.0}, {distance_to: ego, below: 5}], timeout: 6.0}", 6.0),
    ("{any: [{time: 9.0}, {distance_to: ego, below: 195}]}", 0.6),  # 200 m ahead, 3.5 m aside, closing at 10 m/s
])
def test_a_trigger_fires_on_its_conditions_or_its_timeout(start, t_expect):
    body = _changer(start).replace("s: 0\n    speed: 10", "s: 0\n    speed: 20")
    spec, b = sim(body, duration=10.0)
    tr = b.trajectories[0, 1]
    t_change = first_time(tr[:, Lo.F_LANE] == 1)
    assert t_change == pytest.approx(t_expect, abs=DT + 1e-9)


def test_out_and_back_lane_changes_in_sequence():
    """A second lane change back to the start lane is accepted (it was checked against the start
    lane) and starts its delay after the first has finished."""
    body = TWO_LANES + """actors:
  ego: {kind: car, lane: 1, s: 400, speed: 10, behavior: constant_speed}
  car:
    kind: car
    lane: 0
    s: 0
    speed: 10
    behavior: constant_speed
    maneuvers:
      - lane_change: {to: 1, start: 1.0, duration: 2.0}
      - lane_change: {to: 0, start: {after_previous: 1.5}, duration: 2.0}
"""
    _spec, b = sim(body, duration=14.0)
    tr = b.trajectories[0, 1]
    t = np.arange(tr.shape[0]) * DT
    t_out = first_time(tr[:, Lo.F_LANE] == 1)
    t_back = first_time((tr[:, Lo.F_LANE] == 0) & (t > t_out))
    assert t_out == pytest.approx(1.0, abs=DT + 1e-9)
    # the first change ends at 1 + 2 s; the second starts 1.5 s later
    assert t_back == pytest.approx(4.5, abs=DT + 1e-9)
    assert np.all(tr[t > 6.6, Lo.F_LANE] == 0)
    np.testing.assert_allclose(tr[t > 11.0, Lo.F_OFFSET], 0.0, atol=0.05)


def test_a_gap_checked_lane_change_waits_for_the_car_beside_it():
    """Fired at 1 s with a faster car beside it in the target lane, a lane change with a gap check
    waits until that car is ahead by a safe gap; without the check it starts at once."""
    body = TWO_LANES + """actors:
  ego: {kind: car, lane: 1, s: 2, speed: 14, behavior: constant_speed}
  car:
    kind: car
    lane: 0
    s: 10
    speed: 10
    behavior: constant_speed
    maneuvers:
      - lane_change: {to: 1, start: 1.0, duration: 2.0, gap_check: CHECK}
"""
    _s, checked = sim(body.replace("CHECK", "true"), duration=12.0)
    _s, unchecked = sim(body.replace("CHECK", "false"), duration=12.0)
    t_checked = first_time(checked.trajectories[0, 1, :, Lo.F_LANE] == 1)
    t_unchecked = first_time(unchecked.trajectories[0, 1, :, Lo.F_LANE] == 1)
    assert t_unchecked == pytest.approx(1.0, abs=DT + 1e-9)
    # the ego's rear passes the car's front (8 m behind, 4.6 m of bodies, 1 m gap) at 4 m/s closing
    assert t_checked >= (8.0 + 4.6 + 1.0) / 4.0 - DT
    assert t_checked < 5.0
    assert not np.isfinite(checked.metrics["collision_time"][0])


def _overtake(check: str, oncoming_s: float = 700.0) -> str:
    """The oncoming car starts ``1000 - oncoming_s`` m along x, driving towards -x."""
    return f"""road: {{type: straight, lanes: 1, lanes_reverse: 1, lane_width: 3.5, length: 1000}}
actors:
  ego:
    kind: car
    lane: 0
    s: 20
    speed: 12
    behavior: {{idm: {{desired_speed: 20}}}}
    maneuvers:
      - offset: {{to: 3.5, start: {{distance_to: cyclist, below: 20}}, duration: 2.5, gap_check: {check}}}
      - offset: {{to: 0.0, start: {{all: [{{after_previous: 0}}, {{time_gap_to: cyclist, below: 30}}]}}, duration: 2.5}}
  cyclist: {{kind: bicycle, lane: 0, s: 60, speed: 5, offset: -0.8, behavior: constant_speed}}
  oncoming: {{kind: car, lane: r0, s: {oncoming_s}, speed: 15, behavior: constant_speed}}
"""


def test_an_overtake_through_the_oncoming_lane_waits_until_it_is_clear():
    """The ego pulls out to pass a cyclist only once the oncoming car has gone by (it would meet it
    within the 8 s it asks for), passes with its lateral clearance, and returns to its lane once the
    cyclist is behind it."""
    spec, b = sim(_overtake("8.0"), duration=30.0)
    ego, cyc, onc = b.trajectories[0, 0], b.trajectories[0, 1], b.trajectories[0, 2]
    t = np.arange(ego.shape[0]) * DT
    t_out = first_time(ego[:, Lo.F_OFFSET] > 0.1)
    t_met = first_time(onc[:, Lo.F_X] < ego[:, Lo.F_X])  # the oncoming car is behind the ego
    assert t_met < t_out < np.inf
    assert not np.isfinite(b.metrics["collision_time"][0])
    passed = ego[:, Lo.F_X] - cyc[:, Lo.F_X] > 20.0
    assert passed.any(), "the ego passes the cyclist"
    # beside the cyclist it rides in the oncoming lane, well clear of it
    beside = np.abs(ego[:, Lo.F_X] - cyc[:, Lo.F_X]) < 5.0
    assert np.all(ego[beside, Lo.F_Y] - cyc[beside, Lo.F_Y] > 3.0)
    # and ends back in its lane's centre
    np.testing.assert_allclose(ego[t > 25.0, Lo.F_OFFSET], 0.0, atol=0.05)
    # without the gap check it pulls out at once, into the oncoming car's path
    _s, rash = sim(_overtake("false"), duration=30.0)
    assert first_time(rash.trajectories[0, 0, :, Lo.F_OFFSET] > 0.1) < t_met


def test_an_overtake_starts_at_once_when_the_oncoming_lane_is_empty():
    _s, b = sim(_overtake("8.0", oncoming_s=999.0).replace("speed: 15", "speed: 0"), duration=8.0)
    ego, cyc = b.trajectories[0, 0], b.trajectories[0, 1]
    near = np.hypot(ego[:, Lo.F_X] - cyc[:, Lo.F_X], ego[:, Lo.F_Y] - cyc[:, Lo.F_Y]) < 20.0
    # it starts in the step its condition holds (the offset shows one step later)
    assert first_time(ego[:, Lo.F_OFFSET] > 0.0) == pytest.approx(first_time(near) + DT, abs=2 * DT + 1e-9)


def _merge_road() -> str:
    return """road: {type: merge, lanes: 2, lane_width: 3.5, length: 500, ramp_length: 100, merge_start: 150,
       merge_length: 120, ramp_angle_deg: 8}
"""


def test_a_vehicle_at_a_lane_end_merges_by_itself():
    """Without any script, a vehicle on an acceleration lane merges into the lane that goes on,
    among the main lane's traffic, and never collides or stops dead at the lane's end."""
    body = _merge_road() + """actors:
  ego: {kind: car, lane: 0, s: {uniform: [100, 180]}, speed: {uniform: [18, 26]}, behavior: {idm: {desired_speed: 25}}}
  merger:
    kind: car
    lane: ramp
    s: {uniform: [20, 80]}
    speed: {uniform: [12, 24]}
    behavior: {idm: {desired_speed: 25}}
    route: [ramp, accel]
traffic:
  - kind: car
    count: 4
    lanes: [0]
    s_range: [120, 300]
    spacing: {uniform: [20, 50]}
    speed: {uniform: [18, 26]}
    behavior: {idm: {desired_speed: 25}}
"""
    spec, b = sim(body, duration=20.0, n=60, seed=4)
    main = lane_index(spec, "0")
    merger = b.trajectories[:, 1]
    assert np.all(merger[:, -1, Lo.F_LANE] == main), "every merger is on the main lane at the end"
    assert not np.isfinite(b.metrics["collision_time"]).any()


def test_a_merger_waits_at_the_lane_end_while_there_is_no_gap():
    """A platoon bumper to bumper on the main lane leaves no gap: the merger stops before the
    lane's end and goes once the platoon has passed."""
    platoon = "".join(f"  p{k}: {{kind: car, lane: 0, s: {240 - 9 * k}, speed: 8, behavior: constant_speed}}\n"
                      for k in range(8))  # 4.4 m bumper gaps beside the merger, which starts at x = 190
    body = _merge_road() + f"""actors:
  ego: {{kind: car, lane: accel, s: 40, speed: 8, behavior: {{idm: {{desired_speed: 12}}}}}}
{platoon}"""
    spec, b = sim(body, duration=30.0)
    ego = b.trajectories[0, 0]
    accel, main = lane_index(spec, "accel"), lane_index(spec, "0")
    on_accel = ego[:, Lo.F_LANE] == accel
    assert ego[on_accel, Lo.F_S].max() <= 120.0  # never beyond the lane's end
    t_merge = first_time(ego[:, Lo.F_LANE] == main)
    last = b.trajectories[0, 8]
    # it merges behind the platoon's last car, not into it
    i = int(round(t_merge / DT))
    assert last[i, Lo.F_X] > ego[i, Lo.F_X]
    assert not np.isfinite(b.metrics["collision_time"][0])
    assert np.all(ego[-20:, Lo.F_LANE] == main)


@pytest.mark.parametrize("coop", [0.0, 1.0])
def test_a_cooperative_driver_opens_a_gap_for_a_merger(coop):
    """A merger 8 m ahead 45 m before the lane's end: a cooperative driver brakes (at most at its
    comfortable deceleration) so it can merge ahead; an uncooperative one holds its speed and the
    merger waits for it to pass."""
    body = _merge_road() + f"""actors:
  ego:
    kind: car
    lane: 0
    s: 210
    speed: 15
    behavior: {{idm: {{desired_speed: 15}}, driver: {{cooperation: {coop}}}}}
  merger: {{kind: car, lane: accel, s: 73, speed: 15, behavior: {{idm: {{desired_speed: 15}}}}}}
"""
    spec, b = sim(body, duration=15.0)
    ego, merger = b.trajectories[0, 0], b.trajectories[0, 1]
    main = lane_index(spec, "0")
    i = int(np.flatnonzero(merger[:, Lo.F_LANE] == main)[0])
    merged_ahead = merger[i, Lo.F_X] > ego[i, Lo.F_X]
    assert merged_ahead == (coop == 1.0)
    assert (ego[:, Lo.F_SPEED].min() < 14.0) == (coop == 1.0)
    assert not np.isfinite(b.metrics["collision_time"][0])


def test_a_merger_leaves_its_new_follower_its_merge_gap():
    """A merger ahead of the car it merges in front of leaves it, at the step it decides, a bumper
    gap of at least m + t v (v the follower's speed), with m falling from 2 m to 0.5 m and t from
    ``merge_gap`` to 0.3 of it as the lane's end nears (f = distance to the end / 120 m:
    m = 0.5 + 1.5 f, t = merge_gap (0.3 + 0.7 f)); a small merge_gap merges into gaps a larger one
    refuses."""
    smallest = []
    for merge_gap in (0.4, 1.0, 2.0):
        body = _merge_road() + f"""actors:
  ego: {{kind: car, lane: 0, s: {{uniform: [20, 130]}}, speed: 22, behavior: constant_speed}}
  merger:
    kind: car
    lane: accel
    s: 0
    speed: 20
    behavior: {{idm: {{desired_speed: 20}}, driver: {{merge_gap: {merge_gap}}}}}
"""
        spec, b = sim(body, duration=8.0, n=40, seed=3)
        main = lane_index(spec, "0")
        time_gaps = []
        for r in range(40):
            ego, merger = b.trajectories[r, 0], b.trajectories[r, 1]
            k = int(np.flatnonzero(merger[:, Lo.F_LANE] == main)[0]) - 1  # the state it decided on
            gap = merger[k, Lo.F_X] - ego[k, Lo.F_X] - 4.6
            if gap < 0:
                continue  # it merged behind the ego
            f = max(120.0 - merger[k, Lo.F_S] - 2.3, 0.0) / 120.0
            need = 0.5 + 1.5 * f + merge_gap * (0.3 + 0.7 * f) * ego[k, Lo.F_SPEED]
            assert gap >= need - 1e-3, (merge_gap, r, gap, need)
            time_gaps.append(gap / ego[k, Lo.F_SPEED])
        assert len(time_gaps) >= 10
        assert min(time_gaps) < 0.5 + 0.3 + merge_gap  # it takes the first gap it accepts
        assert not np.isfinite(b.metrics["collision_time"]).any()
        smallest.append(min(time_gaps))
    assert smallest[0] < smallest[1] < smallest[2]


def test_a_car_that_nosed_in_turned_is_still_seen_in_the_lane_it_left():
    """The work zone's two audited collisions: a car merging at a crawl ends its change at about 45
    degrees, its rear corner still over the closing lane; the next car in that lane used to see the
    lane as free once the change had ended, and drove into the corner. Now it waits behind it."""
    from scenariogen.kernels.order import _sticks_out

    assert not _sticks_out(0.0, 0.0, 1.9, 4.6, 3.5)  # settled: inside its lane
    assert _sticks_out(-0.4, math.radians(45.0), 1.9, 4.6, 3.5)  # the audited pose
    assert not _sticks_out(-0.4, math.radians(5.0), 1.9, 4.6, 3.5)
    spec = scenariogen.load_scenario(Path(__file__).resolve().parents[2] / "scenarios" / "work_zone_lane_drop.yaml")
    for k in (1306, 7283):
        b = scenariogen.simulate(spec, n=1, seed=1, start_index=k, record="none")
        assert not np.isfinite(b.metrics["collision_time"][0]), k
