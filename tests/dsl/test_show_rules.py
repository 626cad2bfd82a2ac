"""``scenariogen show`` (dsl/describe.py) on the keys of issue 21: junction control and signal plans,
crosswalks, two-way roads and opposite lanes, driver traits, triggers, offsets and gap checks."""

from __future__ import annotations

import re

import pytest

import scenariogen
from scenariogen.cli import EXIT_OK, main
from scenariogen.dsl.describe import summary
from scenariogen.errors import DSLError

HEAD = "scenariogen: 1\nname: t\ndt: 0.1\nduration: 20\n"
SIGNAL = HEAD + """road:
  type: intersection
  control:
    type: signal
    phases:
      - {arms: [N, S], green: {uniform: [20, 30]}, amber: 3}
      - {arms: [E], green: 15, amber: 4}
    all_red: 2
    offset: {uniform: [0, 40]}
  crosswalks: [S, E]
actors:
  ego:
    kind: car
    lane: S_in_0
    s: 100
    speed: 10
    behavior: {idm: {desired_speed: 12}, driver: {critical_gap: {uniform: [4, 6]}, cooperation: 0.8}}
"""


def test_show_on_a_signalised_intersection_lists_its_phases(tmp_path, capsys):
    path = tmp_path / "signal.yaml"
    path.write_text(SIGNAL)
    assert main(["show", str(path)]) == EXIT_OK
    out = capsys.readouterr().out.splitlines()
    at = out.index("road: intersection, 1 lane(s) x 3.5 m, arms 200 m, turn radius 8 m")
    assert out[at + 1:at + 5] == [
        "  control: signal, 2 phase(s), all red 2 s between them, cycle offset $road.control.offset; "
        "no signal on W (turn rules)",
        "    phase 1: N, S green $road.control.phases[0].green, amber 3 s",
        "    phase 2: E green 15 s, amber 4 s",
        "  crosswalks on S, E (vehicles yield to pedestrians on them)",
    ]
    # the phase plan's distributions are parameters, the first columns of the space
    names = [line.split()[0] for line in out[out.index("parameter space: 3 dimension(s)") + 1:]]
    assert names == ["road.control.phases[0].green", "road.control.offset", "actors.ego.behavior.driver.critical_gap"]


def test_show_describes_priority_all_way_stop_and_uncontrolled_junctions():
    def control(road: str) -> str:
        text = summary(scenariogen.parse_text(HEAD + f"road: {road}\nactors:\n  ego: {{kind: car, lane: S_in_0, s: 10}}\n"))
        (line,) = [x for x in text.splitlines() if x.startswith("  control: ")]
        return line

    assert control("{type: intersection, control: {type: priority, major: [E, W], sign: stop}}") == (
        "  control: priority: major road E, W; N, S stop (stop at the line, then accept a gap of their critical gap)")
    assert control("{type: intersection, control: {type: priority, major: [N]}}") == (
        "  control: priority: major road N; E, S, W yield (accept a gap of their critical gap)")
    assert control("{type: intersection, control: all_way_stop}") == (
        "  control: all-way stop: every arm stops at its line, then first come, first served")
    assert control("{type: intersection}") == (
        "  control: uncontrolled: yield to the right, a left turn yields to oncoming traffic")


def test_show_describes_driver_traits_and_which_are_drawn():
    text = summary(scenariogen.parse_text(SIGNAL))
    assert ("idm(v0=12, T=1.5) + driver(critical_gap=$actors.ego.behavior.driver.critical_gap, cooperation=0.8)"
            in text)
    assert "drivers: lateral_accel, follow_up drawn for each driver that has none given (docs/dsl.md 7.5)" in text
    every = summary(scenariogen.parse_text(SIGNAL.replace(
        "driver: {critical_gap: {uniform: [4, 6]}, cooperation: 0.8}",
        "driver: {lateral_accel: 2.5, critical_gap: 5, follow_up: 3, cooperation: 1}")))
    assert "driver(lateral_accel=2.5 m/s^2, critical_gap=5 s, follow_up=3 s, cooperation=1)" in every
    assert "drivers:" not in every


TWO_WAY = HEAD + """road: {type: straight, lanes: 1, lanes_reverse: 2, length: 500}
actors:
  ego: {kind: car, lane: 0, s: 10, speed: 15}
  cyclist: {kind: bicycle, lane: 0, s: 60, offset: -1.0, speed: 5}
  car:
    kind: car
    lane: 0
    s: 30
    speed: 15
    behavior: {idm: {desired_speed: 20}, driver: {lateral_accel: 2.5}}
    maneuvers:
      - offset: {to: 3.5, duration: 2, start: {any: [{distance_to: cyclist, below: 20}, {time: 5}], timeout: 8}, gap_check: 6}
      - offset: {to: 0, duration: 2, start: {after_previous: 3}}
      - offset: {to: -1, start: {all: [{time_gap_to: ego, below: 1.5}, {time: 12}]}, gap_check: true}
"""


def test_show_describes_a_two_way_road_and_the_manoeuvres_of_an_overtaking():
    text = summary(scenariogen.parse_text(TWO_WAY))
    lines = text.splitlines()
    assert "road: straight, 1 lane(s) + 2 the other way (r0, r1) x 3.5 m, length 500 m" in lines
    man = [x.strip() for x in lines if x.strip().startswith("maneuver: ")]
    assert man == [
        "maneuver: offset to 3.5 m over 2 s, any of (when the distance to cyclist < 20 m; at t=5 s), "
        "at the latest at t=8 s, once the oncoming lane is free for 6 s",
        "maneuver: offset to 0 m over 2 s, 3 s after the previous one",
        "maneuver: offset to -1 m over 3 s, all of (when the time gap of ego behind < 1.5 s; at t=12 s), "
        "once the oncoming lane is free for 8 s",
    ]


def test_show_describes_a_gap_checked_lane_change():
    text = summary(scenariogen.parse_text(HEAD + """road: {type: straight, lanes: 2, length: 300}
actors:
  ego: {kind: car, lane: 0, s: 10, speed: 10}
  car:
    kind: car
    lane: 1
    s: 40
    maneuver: {lane_change: {to: 0, duration: 2, start: {distance_to: ego, below: 30}, gap_check: true}}
"""))
    assert re.search(r"^    maneuver: lane_change to 0 over 2 s, when the distance to ego < 30 m, once the gap is safe$",
                     text, re.M)


def test_show_lists_opposite_lanes_signs_and_priorities_of_explicit_lanes():
    text = summary(scenariogen.parse_text(HEAD + """road:
  type: lanes
  lanes:
    east: {points: [[0, 0], [200, 0]], opposite: west, successors: [ahead]}
    west: {points: [[200, 3.5], [0, 3.5]]}
    ahead: {points: [[200, 0], [300, 0]]}
    side: {points: [[250, -50], [250, -1]], sign: stop, priority: 0}
actors:
  ego: {kind: car, lane: east, s: 10}
"""))
    lines = text.splitlines()
    at = lines.index("road: 4 explicit lanes (east, west, ahead, side)")
    assert lines[at + 1:at + 3] == ["  lane east: opposite west", "  lane side: stop sign at its end, priority 0"]


def test_merge_gap_is_a_driver_trait_checked_at_its_key():
    ok = scenariogen.parse_text(SIGNAL.replace("cooperation: 0.8}", "cooperation: 0.8, merge_gap: {uniform: [0.3, 1.5]}}"))
    assert "merge_gap=$actors.ego.behavior.driver.merge_gap" in summary(ok)
    assert ok.parameters.names[-1] == "actors.ego.behavior.driver.merge_gap"
    with pytest.raises(DSLError) as err:
        scenariogen.parse_text(SIGNAL.replace("cooperation: 0.8}", "cooperation: 0.8, merge_gap: 0}"), "f.yaml")
    (p,) = err.value.problems
    assert p.path == "actors.ego.behavior.driver.merge_gap" and (p.file, p.line) == ("f.yaml", 21)
    assert "expected" in p.message and "0.1" in p.message
