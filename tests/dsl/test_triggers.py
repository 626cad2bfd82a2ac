"""The manoeuvre keys of issue 21 in the DSL: triggers of two conditions with a timeout, manoeuvres
in sequence, lateral offsets, gap checks and a driver's cooperation; each mistake at its key."""

from __future__ import annotations

import pytest

import scenariogen
from scenariogen.dsl.distributions import Const
from scenariogen.errors import DSLError

HEAD = """scenariogen: 1
name: t
dt: 0.1
duration: 5
road: {type: straight, lanes: 2, lanes_reverse: 1, length: 300}
actors:
  ego: {kind: car, lane: 0, s: 10, speed: 5}
  car:
    kind: car
    lane: 1
    s: 30
    speed: 5
"""


def parse(tail: str):
    return scenariogen.parse_text(HEAD + tail, "t.yaml")


def test_the_new_keys_parse_into_the_spec():
    spec = parse("""    behavior: {idm: {desired_speed: 10}, driver: {cooperation: 0.3}}
    maneuvers:
      - lane_change: {to: 0, start: {any: [{time: 2}, {distance_to: ego, below: 5}], timeout: 4}, gap_check: true}
      - lane_change: {to: 1, start: {after_previous: 1.5}}
      - offset: {to: 3.5, start: {all: [{after_previous: 0}, {time_gap_to: ego, below: 2}]}, gap_check: 6}
      - offset: {to: -1.0, start: 20, gap_check: true}
""")
    car = spec.actors[1]
    assert car.behavior.driver.cooperation == Const(0.3)
    first, back, out, edge = car.maneuvers
    assert (first.start.kind, first.start.combine, first.start.second.kind) == ("time", "any", "distance")
    assert first.start.timeout == Const(4.0) and first.gap_check == Const(1.0)
    assert back.start.kind == "after_previous" and back.to == "1"  # back to the start lane: accepted
    assert out.type == "offset" and out.offset == Const(3.5) and out.gap_check == Const(6.0)
    assert out.start.combine == "all" and out.start.second.kind == "time_gap"
    assert edge.gap_check == Const(8.0)  # true: the default clear time (s)


@pytest.mark.parametrize("tail, line, column, path, message", [
    ("""    maneuver: {lane_change: {to: 0, start: {after_previous: 1}}}
""", 13, 45, "actors.car.maneuver.lane_change.start.after_previous", "needs a manoeuvre before this one"),
    ("""    maneuver: {lane_change: {to: 0, start: {any: [{time: 1}, {time: 2}, {time: 3}]}}}
""", 13, 50, "actors.car.maneuver.lane_change.start.any", "expected a list of two conditions, got a list of 3"),
    ("""    maneuver: {lane_change: {to: 0, start: {any: [{time: 1}, {time: 2}], all: [{time: 1}, {time: 2}]}}}
""", 13, 74, "actors.car.maneuver.lane_change.start.all", "either 'any' or 'all'"),
    ("""    maneuver: {lane_change: {to: 0, start: {time: 1, timeout: 0}}}
""", 13, 63, "actors.car.maneuver.lane_change.start.timeout", "(0, inf)"),
    ("""    maneuver: {offset: {to: 3.5, gap_check: 100}}
""", 13, 45, "actors.car.maneuver.offset.gap_check", "a number in (0, 60]"),
    ("""    maneuver: {lane_change: {to: 0, gap_check: 3}}
""", 13, 48, "actors.car.maneuver.lane_change.gap_check", "expected true or false"),
    ("""    maneuver: {offset: {to: 12}}
""", 13, 29, "actors.car.maneuver.offset.to", "[-10, 10]"),
    ("""    behavior: {driver: {cooperation: 2}}
""", 13, 38, "actors.car.behavior.driver.cooperation", "[0, 1]"),
    ("""    maneuvers:
      - lane_change: {to: 0}
      - lane_change: {to: r0}
""", 15, 27, "actors.car.maneuvers[1].lane_change.to", "not next to lane '0'"),
])
def test_mistakes_in_the_new_keys_are_pinned_at_their_key(tail, line, column, path, message):
    with pytest.raises(DSLError) as err:
        parse(tail)
    p = err.value.first
    assert (p.file, p.path) == ("t.yaml", path), p
    assert message in p.message
    assert (p.line, p.column) == (line, column), p
