"""Keys of issue 21 the validator used to accept although the simulator cannot do what they say:
each is now refused at its key with file:line:col.

- a curve's reverse lanes (``lanes_reverse``) were left out of the lane-length limits checked before
  building, so a curve of 32 lanes of up to 10.2 km (319 km in all) passed ``validate`` (and a curve
  too tight for them said it was too small for the forward lanes alone);
- an explicit lane's ``opposite`` on its right: the simulator looks for oncoming traffic on the
  left, so two cars met head-on at 12 m/s without braking;
- ``after_previous`` after a ``stop``, which never finishes: the manoeuvre never ran, timeout or not;
- a second ``cross``: the simulator keeps one path per actor, so the first crossing walked the
  second's path and the second never ran.
"""

from __future__ import annotations

import pytest

import scenariogen
from scenariogen.errors import DSLError

HEAD = "scenariogen: 1\nname: t\ndt: 0.1\nduration: 5\n"


def problems(text: str):
    with pytest.raises(DSLError) as err:
        scenariogen.parse_text(text, "rules.yaml")
    return err.value.problems


def test_a_curves_reverse_lanes_count_in_the_lane_length_limits():
    # forward lanes up to 6350 m of radius (9.97 km), reverse ones up to 6510 m (10.23 km)
    text = HEAD + """road: {type: curve, lanes: 16, lanes_reverse: 16, lane_width: 10, radius: 6200, angle_deg: -90}
actors:
  ego: {kind: car, lane: 0, s: 10}
"""
    (p,) = problems(text)
    assert (p.file, p.line, p.column, p.path) == ("rules.yaml", 5, 75, "road.radius")
    assert p.message == "makes a curve lane 10.2 km long; a lane is at most 10.0 km"
    # the same road without its reverse lanes is within the limits
    scenariogen.parse_text(text.replace("lanes_reverse: 16, ", ""))


def test_a_curve_too_tight_for_its_reverse_lanes_says_so():
    (p,) = problems(HEAD + """road: {type: curve, lanes: 2, lanes_reverse: 2, radius: 10, angle_deg: 90}
actors:
  ego: {kind: car, lane: 0, s: 1}
""")
    assert (p.line, p.column, p.path) == (5, 7, "road")
    assert p.message == ("impossible road geometry: curve radius 10.0 m is too small for 2 lane(s) and 2 the other "
                         "way of 3.5 m turning left: the innermost lane's centreline radius is -0.5 m, its inner edge "
                         "-2.25 m; need radius > 12.25 m")


def test_a_curve_with_reverse_lanes_within_the_limits_is_accepted():
    spec = scenariogen.parse_text(HEAD + """road: {type: curve, lanes: 1, lanes_reverse: 1, radius: 50, angle_deg: -90}
actors:
  ego: {kind: car, lane: r0, s: 10}
""")
    assert spec.road.lanes_reverse == 1


def _two_lanes(y_west: float, extra: str = "") -> str:
    return HEAD + f"""road:
  type: lanes
  lanes:
    east: {{points: [[0, 0], [200, 0]], opposite: west}}
    west: {{points: [[200, {y_west}], [0, {y_west}]]{extra}}}
actors:
  ego: {{kind: car, lane: east, s: 10}}
"""


def test_an_opposite_lane_on_the_right_is_refused_at_its_key():
    (p,) = problems(_two_lanes(-3.5))
    assert (p.line, p.column, p.path) == (8, 50, "road.lanes.east.opposite")
    assert p.message == ("lane 'west' is on the right of lane 'east': traffic drives on the right, so the "
                         "opposite lane is the one next to it on its left")
    # on the left it is what an opposite lane is, declared from one side or from both
    scenariogen.parse_text(_two_lanes(3.5))
    scenariogen.parse_text(_two_lanes(3.5, ", opposite: east"))


def test_an_opposite_lane_on_the_left_of_a_bending_lane_is_accepted():
    scenariogen.parse_text(HEAD + """road:
  type: lanes
  lanes:
    east: {points: [[0, 0], [100, 0], [200, 20]], opposite: west}
    west: {points: [[200, 23.5], [100, 3.5], [0, 3.5]], opposite: east}
actors:
  ego: {kind: car, lane: east, s: 10}
""")


SEQUENCE = HEAD + """road: {type: straight, lanes: 2, length: 300}
actors:
  ego: {kind: car, lane: 0, s: 10, speed: 10}
  car:
    kind: car
    lane: 1
    s: 40
    maneuvers:
"""


@pytest.mark.parametrize("start, column, path", [
    ("{after_previous: 1, timeout: 4}", 38, "start.after_previous"),
    ("{any: [{time: 3}, {after_previous: 1}]}", 56, "start.any[1].after_previous"),
])
def test_after_previous_cannot_follow_a_stop(start, column, path):
    (p,) = problems(SEQUENCE + f"""      - stop: {{start: 1, decel: 3}}
      - lane_change: {{to: 0, start: {start}}}
""")
    assert (p.line, p.column, p.path) == (14, column, f"actors.car.maneuvers[1].lane_change.{path}")
    assert p.message == ("'after_previous' follows a 'stop', which never finishes (it holds the actor at a "
                         "standstill to the end): this condition would never hold; start this manoeuvre at "
                         "a time or on another condition")


def test_after_previous_follows_every_manoeuvre_that_finishes():
    spec = scenariogen.parse_text(SEQUENCE + """      - hard_brake: {start: 1, decel: 3, duration: 1}
      - lane_change: {to: 0, start: {after_previous: 0.5}}
      - offset: {to: 1.0, start: {after_previous: 0}}
      - stop: {start: {after_previous: 1}}
""")
    assert [m.type for m in spec.actors[1].maneuvers] == ["hard_brake", "lane_change", "offset", "stop"]


def test_after_previous_is_not_refused_for_a_manoeuvre_that_had_its_own_mistake():
    """The first manoeuvre is broken (no 'to'); the second is not 'the first one' for all that."""
    (p,) = problems(SEQUENCE + """      - offset: {start: 1}
      - lane_change: {to: 0, start: {after_previous: 1}}
""")
    assert p.path == "actors.car.maneuvers[0].offset" and p.message == "missing required key 'to'"


def test_a_second_crossing_is_refused():
    (p,) = problems(HEAD + """road: {type: straight, lanes: 1, length: 300}
actors:
  ego: {kind: car, lane: 0, s: 10}
  walker:
    kind: pedestrian
    position: {x: 100, y: -4}
    maneuvers:
      - cross: {path: [[0, 0], [0, 8]], start: 1}
      - cross: {path: [[0, 8], [5, 8]], start: {after_previous: 1}}
""")
    assert (p.line, p.column, p.path) == (13, 9, "actors.walker.maneuvers[1].cross")
    assert p.message == ("an actor walks one path, and this one has one at actors.walker.maneuvers[0].cross; "
                         "give all its points in that 'cross' (a path has up to 16 points)")
