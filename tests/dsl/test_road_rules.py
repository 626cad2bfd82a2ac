"""The road keys of issue 21 in the DSL: two-way roads, junction control, crosswalks, and lanes
of opposite directions that must not be neighbours."""

from __future__ import annotations

import pytest

import scenariogen
from scenariogen.errors import DSLError

HEAD = "scenariogen: 1\nname: t\ndt: 0.1\nduration: 5\n"
EGO = "actors:\n  ego: {kind: car, lane: a, s: 10, speed: 5}\n"


def test_a_neighbour_driving_the_other_way_is_refused_at_its_key():
    text = HEAD + """road:
  type: lanes
  lanes:
    a: {points: [[0, 0], [100, 0]], left: b}
    b: {points: [[100, 3.5], [0, 3.5]]}
""" + EGO
    with pytest.raises(DSLError) as err:
        scenariogen.parse_text(text, "two_way.yaml")
    p = err.value.first
    assert (p.file, p.line, p.column, p.path) == ("two_way.yaml", 8, 43, "road.lanes.a.left")
    assert "drives the other way" in p.message and "opposite: b" in p.message


def test_opposite_lanes_are_declared_as_such():
    spec = scenariogen.parse_text(HEAD + """road:
  type: lanes
  lanes:
    a: {points: [[0, 0], [100, 0]], opposite: b}
    b: {points: [[100, 3.5], [0, 3.5]]}
""" + EGO)
    from scenariogen.road import build_road

    net = build_road(spec.road)
    assert net.opposite("a") == "b" and net.opposite("b") == "a" and net.left("a") is None
    with pytest.raises(DSLError, match="drives the same way"):
        scenariogen.parse_text(HEAD + """road:
  type: lanes
  lanes:
    a: {points: [[0, 0], [100, 0]], opposite: b}
    b: {points: [[0, 3.5], [100, 3.5]]}
""" + EGO)


def test_a_two_way_road_has_its_lanes_on_the_left_against_the_traffic():
    spec = scenariogen.parse_text(HEAD + "road: {type: straight, lanes: 2, lanes_reverse: 2, length: 100}\n"
                                  + EGO.replace("lane: a", "lane: 0"))
    from scenariogen.road import build_road

    net = build_road(spec.road)
    assert net.lane_ids == ("0", "1", "r0", "r1")
    assert net.opposite("1") == "r1" and net.left("r0") == "r1" and net.left("1") is None
    x, y, h = net.to_world("r0", 0.0)
    assert (round(x), round(y, 2), round(h, 3)) == (100, 10.5, 3.142)


@pytest.mark.parametrize("road, message", [
    ("{type: intersection, control: roundabout}", "unknown control 'roundabout'"),
    ("{type: intersection, control: priority}", "needs its 'major'"),
    ("{type: intersection, control: {type: priority, major: [N, X]}}", "unknown arm 'X'"),
    ("{type: intersection, control: {type: signal, phases: [{arms: [N], green: 0.1}]}}", "green"),
    ("{type: intersection, control: {type: priority, major: [N], sign: maybe}}", "unknown sign 'maybe'"),
    ("{type: intersection, crosswalks: [S, S]}", "listed twice"),
    ("{type: straight, lanes_reverse: -1}", "lanes_reverse"),
])
def test_bad_control_keys_are_refused(road, message):
    with pytest.raises(DSLError, match=message):
        scenariogen.parse_text(HEAD + f"road: {road}\n" + EGO.replace("lane: a", "lane: S_in_0"))
