"""Right of way from the map (issue 24): signs, stop lines, light cycles and right_of_way elements of
CommonRoad, OpenDRIVE and Lanelet2 files become the road's controls, and drivers keep them."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import scenariogen
from scenariogen.cli import main
from scenariogen.data import layout as Lo
from scenariogen.road.compile import RULE_GO, RULE_HELD, RULE_YIELD, compile_rules
from scenariogen.road.maps import MapError, load_map, map_controls, map_road

from map_helpers import AV2_MAPS, NGSIM, need
from osm_fixture import osm_text

PEACH = NGSIM / "USA_Peach-4_8_T-1.xml"
NORTH = ("43349", "43208", "43343")  # southbound approach, light 43920
SOUTH = ("43402", "43404", "43406")  # northbound, light 43918
WEST = ("43466", "43468", "43470", "43472")  # eastbound, light 43919
EAST = ("43490", "43492", "43494")  # westbound, light 43921
DT = 0.1


def simulate(tmp_path, road: str, actors: str, duration: float, n: int = 1, seed: int = 1):
    f = tmp_path / "family.yaml"
    f.write_text(f"scenariogen: 1\nname: map_rules\ndt: {DT}\nduration: {duration}\nroad: {road}\nactors:\n{actors}"
                 "events:\n  collision: {}\n")
    spec = scenariogen.load_scenario(f)
    from scenariogen.sim.compile import compiled_road

    return scenariogen.simulate(spec, n=n, seed=seed), compiled_road(spec).arrays.lane_ids


def car(name: str, lane: str, s: float, speed: float, route: list[str], v0: float | None = None) -> str:
    return (f"  {name}:\n    kind: car\n    lane: '{lane}'\n    s: {s}\n    speed: {speed}\n"
            f"    behavior: {{idm: {{desired_speed: {v0 or speed}}}}}\n"
            f"    route: [{', '.join(repr(r) for r in route)}]\n")


def line_crossing(tr, ids, lane: str, length: float) -> int | None:
    """The first step at which the agent's front is past the end of ``lane`` (or it has left the lane
    after driving on it); None if never."""
    on = tr[:, Lo.F_LANE] == ids.index(lane)
    if not on.any():
        return None
    first = int(np.flatnonzero(on)[0])
    past = ~on | (tr[:, Lo.F_S] + 2.3 > length)
    hits = np.flatnonzero(past & (np.arange(len(tr)) > first))
    return int(hits[0]) if len(hits) else None


# ------------------------------------------------------------------ CommonRoad: a real light cycle


def test_peach_light_cycles_are_the_signal_plan():
    """The four lights of the NGSIM Peachtree junction (cycle 1000 steps of 0.1 s: green 400, yellow
    30, red 570; offsets 590 and 1090 steps) give two signal groups on the 13 approach lanes."""
    net, data = map_road(need(PEACH))
    c = net.controls
    assert c.cycle == pytest.approx(100.0) and c.n_groups == 2
    # at step k a light shows its element at (k - offset) mod cycle: E-W green from 9 s, N-S from 59 s
    np.testing.assert_allclose(c.plan, [(9.0, 40.0, 3.0), (59.0, 40.0, 3.0)], atol=1e-9)
    assert {lid: c.signal[lid] for lid in WEST + EAST} == {lid: 0 for lid in WEST + EAST}
    assert {lid: c.signal[lid] for lid in NORTH + SOUTH} == {lid: 1 for lid in NORTH + SOUTH}
    assert set(c.signal) == set(NORTH + SOUTH + WEST + EAST) and not c.sign
    assert map_controls(data).groups == (("43919", "43921"), ("43918", "43920"))
    rules = compile_rules(net)
    ids = net.lane_ids
    assert [rules.lane_group[ids.index(lid)] for lid in NORTH] == [1, 1, 1]

    def rule(a: str, b: str) -> int:
        ka, kb = ids.index(a), ids.index(b)
        for e in range(rules.cf_first[ka], rules.cf_first[ka + 1]):
            if rules.cf_other[e] == kb:
                return int(rules.cf_rule[e])
        raise AssertionError(f"no conflict of {a} with {b}")

    # north-south through (43630, behind 43592 and the north light) and east-west through (43622):
    # the lights separate them; the northern left turn (43652) yields to the oncoming southern
    # through traffic (43836 -> 43636) of the same group
    assert rule("43630", "43622") == RULE_HELD and rule("43622", "43630") == RULE_HELD
    assert rule("43652", "43636") == RULE_YIELD and rule("43636", "43652") == RULE_GO


def test_peach_red_light_stops_a_car_at_its_line_and_green_lets_it_go(tmp_path):
    """The north-south lights are amber for 2 s from t = 0, then red until 59 s: a southbound car
    55 m away stops at its line and stays; an eastbound car meets red until 9 s, waits at its line and
    crosses on green."""
    b, ids = simulate(tmp_path, f"{{from: {need(PEACH)}}}",
                      car("ego", "43208", 5, 10, ["43208", "43592", "43630", "43830", "43380"], 12)
                      + car("east", "43460", 5, 8, ["43460", "43468", "43612"], 10), duration=20.0)
    net, _ = map_road(PEACH)
    ego, east = b.trajectories[0, 0], b.trajectories[0, 1]
    assert line_crossing(ego, ids, "43208", net.lane("43208").length) is None  # never past its line
    gap = net.lane("43208").length - (ego[-1, Lo.F_S] + 2.3)
    assert ego[-1, Lo.F_SPEED] < 0.1 and 0.0 <= gap < 3.0  # standing at it
    k = line_crossing(east, ids, "43468", net.lane("43468").length)
    assert k is not None and 9.0 <= k * DT < 13.0  # crosses once green, soon after
    assert east[int(8.5 / DT), Lo.F_SPEED] < 0.5  # and waited for it
    assert not b.labels["collision"][0]


def test_peach_signs_instead_of_lights(tmp_path):
    """The same junction with stop signs (US R1-1) on the east and west approaches instead of lights:
    those lanes stop and rank below the unsigned north-south road; a westbound car stops at its line
    with nobody around, a southbound one drives through without stopping."""
    text = need(PEACH).read_text()
    text = re.sub(r"\s*<trafficLight id=.*?</trafficLight>", "", text, flags=re.S)
    text = re.sub(r'<trafficLightRef ref="(43918|43920)"/>', "", text)
    text = re.sub(r'<trafficLightRef ref="(43919|43921)"/>', '<trafficSignRef ref="99001"/>', text)
    text = text.replace("<intersection id=", '<trafficSign id="99001"><trafficSignElement><trafficSignID>R1-1'
                        '</trafficSignID></trafficSignElement></trafficSign>\n  <intersection id=', 1)
    path = tmp_path / "peach_stop.xml"
    path.write_text(text)
    net, data = map_road(path)
    c = net.controls
    assert c.sign == {lid: "stop" for lid in WEST + EAST} and not c.signal
    assert c.priority == {lid: 0 for lid in WEST + EAST}
    b, ids = simulate(tmp_path, f"{{from: {path}}}",
                      car("ego", "43492", 5, 10, ["43492", "43606", "43626"], 10)
                      + car("south", "43208", 5, 10, ["43208", "43592", "43630", "43830", "43380"], 10),
                      duration=14.0)
    west, south = b.trajectories[0, 0], b.trajectories[0, 1]
    k = line_crossing(west, ids, "43492", net.lane("43492").length)
    assert k is not None
    before = west[:k]
    near = (before[:, Lo.F_LANE] == ids.index("43492")) & (before[:, Lo.F_S] + 2.3 > net.lane("43492").length - 3.0)
    assert (before[near, Lo.F_SPEED] < 0.2).any()  # it stopped at the line before going on
    assert south[:, Lo.F_SPEED].min() > 5.0  # the major road does not stop
    assert not b.labels["collision"][0]


@pytest.mark.parametrize("edit,where,what", [
    (("<color>green</color>", "<color>blue</color>"), "<trafficLight id=43918> <cycleElement> #1",
     "unknown colour 'blue'"),
    (("<duration>400</duration>", "<duration>long</duration>"), "<trafficLight id=43918> <cycleElement> #1",
     "<duration> is not a number"),
], ids=["colour", "duration"])
def test_malformed_light_cycles_name_the_element(edit, where, what, tmp_path):
    path = tmp_path / "peach.xml"
    path.write_text(need(PEACH).read_text().replace(*edit, 1))
    with pytest.raises(MapError) as e:
        load_map(path)
    assert e.value.file == str(path) and e.value.where.startswith(where) and what in e.value.detail


def _cycle(*elements: tuple[str, int]) -> str:
    return "<cycle>" + "".join(f"<cycleElement><duration>{d}</duration><color>{c}</color></cycleElement>"
                               for c, d in elements) + "<timeOffset>590</timeOffset></cycle>"


@pytest.mark.parametrize("cycle,light,what", [
    (_cycle(("green", 400), ("yellow", 30), ("inactive", 570)), "43918", "a cycle with an 'inactive' element"),
    (_cycle(("green", 400), ("yellow", 30), ("red", 670)), "43919", "traffic lights 43918 (a cycle of 100 s) and "
     "43919 (a cycle of 110 s): the simulator runs one signal cycle per road"),
    (_cycle(("green", 200), ("red", 100), ("green", 200), ("yellow", 30), ("red", 470)), "43918",
     "the light shows green 2 times in one cycle"),
    (_cycle(("red", 400), ("yellow", 30), ("red", 570)), "43918", "the light never shows green"),
], ids=["inactive", "cycles", "two-greens", "no-green"])
def test_light_cycles_the_simulator_cannot_run_exit_2(cycle, light, what, tmp_path, capsys):
    """Read, but refused when the road is built: `show` exits 2 with the file, the light and what."""
    path = tmp_path / "peach.xml"
    text = need(PEACH).read_text()
    first = "43919" if light == "43919" else "43918"
    text = re.sub(rf'(<trafficLight id="{first}">\s*)<cycle>.*?</cycle>', lambda m: m.group(1) + cycle, text,
                  count=1, flags=re.S)
    path.write_text(text)
    f = tmp_path / "family.yaml"
    f.write_text(f"scenariogen: 1\nname: bad\ndt: 0.1\nduration: 5\nroad: {{from: {path}}}\nactors:\n"
                 + car("ego", "43208", 5, 10, ["43208"]))
    assert main(["show", str(f)]) == 2
    err = capsys.readouterr().err
    assert f"road.from: cannot import map '{path}': {path}: <trafficLight id={light}>: {what}" in err
    assert "Traceback" not in err


def test_a_region_without_the_bad_light_imports(tmp_path):
    """A light the simulator cannot run only matters where the road keeps its lanes."""
    from scenariogen.road.maps import Region

    path = tmp_path / "peach.xml"
    path.write_text(need(PEACH).read_text().replace("<color>red</color>", "<color>inactive</color>", 1))  # south
    net, _ = map_road(path, region=Region(ids=NORTH))
    assert set(net.controls.signal) == set(NORTH)


# ------------------------------------------------------------------ OpenDRIVE: a stop sign


def _xodr(stop: bool) -> str:
    """A T junction: main road 1 -> 2 eastbound along y = 0 (x -100..-10, 10..100), side road 3
    northbound along x = 0 (y -100..-10) turning right into road 2; one lane each (id -1, 3.5 m);
    connecting roads 10 (straight) and 11 (a right arc of radius 10). With ``stop``: a stop sign
    (206) and a stop line (294) at the end of road 3."""
    lane = ('<lanes><laneSection s="0"><center><lane id="0" type="none"/></center><right><lane id="-1" '
            'type="driving">{link}<width sOffset="0" a="3.5" b="0" c="0" d="0"/></lane></right></laneSection></lanes>')
    both = '<link><predecessor id="-1"/><successor id="-1"/></link>'
    signals = ('<signals><signal s="88" t="-4.5" id="stop3" name="stop" dynamic="no" orientation="+" type="206" '
               'subtype="-1" country="DE"/><signal s="89.5" t="-1.75" id="line3" name="stop line" dynamic="no" '
               'orientation="+" type="294" subtype="-1" country="DE"/></signals>') if stop else ""
    arc = 10.0 * math.pi / 2
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<OpenDRIVE>
 <header revMajor="1" revMinor="6" name="t_junction"/>
 <road id="1" length="90" junction="-1">
  <link><successor elementType="junction" elementId="100"/></link>
  <planView><geometry s="0" x="-100" y="0" hdg="0" length="90"><line/></geometry></planView>
  {lane.format(link='<link><successor id="-1"/></link>')}
 </road>
 <road id="2" length="90" junction="-1">
  <link><predecessor elementType="junction" elementId="100"/></link>
  <planView><geometry s="0" x="10" y="0" hdg="0" length="90"><line/></geometry></planView>
  {lane.format(link='<link><predecessor id="-1"/></link>')}
 </road>
 <road id="3" length="90" junction="-1">
  <link><successor elementType="junction" elementId="100"/></link>
  <planView><geometry s="0" x="0" y="-100" hdg="{math.pi / 2}" length="90"><line/></geometry></planView>
  {lane.format(link='<link><successor id="-1"/></link>')}
  {signals}
 </road>
 <road id="10" length="20" junction="100">
  <link><predecessor elementType="road" elementId="1" contactPoint="end"/>
   <successor elementType="road" elementId="2" contactPoint="start"/></link>
  <planView><geometry s="0" x="-10" y="0" hdg="0" length="20"><line/></geometry></planView>
  {lane.format(link=both)}
 </road>
 <road id="11" length="{arc}" junction="100">
  <link><predecessor elementType="road" elementId="3" contactPoint="end"/>
   <successor elementType="road" elementId="2" contactPoint="start"/></link>
  <planView><geometry s="0" x="0" y="-10" hdg="{math.pi / 2}" length="{arc}"><arc curvature="-0.1"/></geometry></planView>
  {lane.format(link=both)}
 </road>
 <junction id="100" name="t">
  <connection id="0" incomingRoad="1" connectingRoad="10" contactPoint="start"><laneLink from="-1" to="-1"/></connection>
  <connection id="1" incomingRoad="3" connectingRoad="11" contactPoint="start"><laneLink from="-1" to="-1"/></connection>
 </junction>
</OpenDRIVE>
"""


SIDE = ["3_0_-1", "11_0_-1", "2_0_-1"]
MAIN = ["1_0_-1", "10_0_-1", "2_0_-1"]


def test_opendrive_stop_sign_on_one_approach(tmp_path):
    path = tmp_path / "t.xodr"
    path.write_text(_xodr(stop=True))
    net, data = map_road(path)
    assert net.successors("3_0_-1") == ("11_0_-1",) and net.successors("1_0_-1") == ("10_0_-1",)
    assert net.controls.sign == {"3_0_-1": "stop"} and net.controls.priority == {"3_0_-1": 0}
    (line,) = data.stop_lines
    assert line.lanes == ("3_0_-1",)
    rules = compile_rules(net)
    ids = net.lane_ids
    k = ids.index("11_0_-1")
    entries = range(rules.cf_first[k], rules.cf_first[k + 1])
    assert [(ids[rules.cf_other[e]], int(rules.cf_rule[e])) for e in entries] == [("10_0_-1", RULE_YIELD)]
    assert rules.lane_sign[ids.index("3_0_-1")] == 2

    # alone, the side road's driver stops at its line, then goes
    b, ids = simulate(tmp_path, f"{{from: {path}}}", car("ego", "3_0_-1", 20, 10, SIDE), duration=20.0)
    tr = b.trajectories[0, 0]
    k = line_crossing(tr, ids, "3_0_-1", 90.0)
    assert k is not None
    near = (tr[:k, Lo.F_LANE] == ids.index("3_0_-1")) & (tr[:k, Lo.F_S] + 2.3 > 87.0)
    assert (tr[:k][near, Lo.F_SPEED] < 0.2).any()
    # without the sign it turns without stopping
    plain = tmp_path / "plain.xodr"
    plain.write_text(_xodr(stop=False))
    b0, ids0 = simulate(tmp_path, f"{{from: {plain}}}", car("ego", "3_0_-1", 20, 10, SIDE), duration=20.0)
    assert b0.trajectories[0, 0, :, Lo.F_SPEED].min() > 2.0

    # a main-road car arrives while the side road's driver stands at its line: it lets the car pass
    # first, and the main road is not held up; without the sign the turn rules give the side road
    # (on the main road's right) the way
    order = {}
    for name, f in (("stop", path), ("plain", plain)):
        b, ids = simulate(tmp_path, f"{{from: {f}}}", car("ego", "3_0_-1", 60, 8, SIDE)
                          + car("main", "1_0_-1", 0, 10, MAIN), duration=22.0)
        side, main_ = b.trajectories[0, 0], b.trajectories[0, 1]
        enter = lambda tr: int(np.flatnonzero(tr[:, Lo.F_LANE] == ids.index("2_0_-1"))[0])  # noqa: E731
        order[name] = "main" if enter(main_) < enter(side) else "side"
        assert not b.labels["collision"][0]
        if name == "stop":
            assert main_[:, Lo.F_SPEED].min() > 9.9
    assert order == {"stop": "main", "plain": "side"}


def test_opendrive_signal_errors_and_lights_without_a_plan(tmp_path):
    path = tmp_path / "bad.xodr"
    path.write_text(_xodr(stop=True).replace('orientation="+" type="206"', 'orientation="forward" type="206"'))
    with pytest.raises(MapError) as e:
        load_map(path)
    assert e.value.where == "<road id=3> <signal id=stop3>" and "orientation must be" in e.value.detail
    # a traffic light: no plan in OpenDRIVE, left out (the turn rules apply) and said so
    light = tmp_path / "light.xodr"
    light.write_text(_xodr(stop=True).replace('dynamic="no" orientation="+" type="206"',
                                              'dynamic="yes" orientation="+" type="1000001"'))
    net, data = map_road(light)
    assert [s.kind for s in data.signals] == ["traffic_light"] and not net.controls.signal and not net.controls.sign
    assert any("without a signal plan" in text for text, _ in map_controls(data).notes)


# ------------------------------------------------------------------ Lanelet2: right_of_way


def _osm(element: str) -> str:
    """A crossing: lanelet 1 eastbound (y in [-3.5, 0], x -60..-8) -> 3 across the junction -> 4;
    lanelet 2 northbound (x in [0, 3.5], y -60..-8) -> 5 across -> 6 (local_x / local_y). ``element``:
    ``right_of_way`` (2 yields to 1, stop line at the end of 2), ``stop`` (a de206 traffic_sign on
    2), or ``none``."""
    nodes = {1: (-60, 0), 2: (-8, 0), 3: (8, 0), 4: (60, 0), 5: (-60, -3.5), 6: (-8, -3.5), 7: (8, -3.5),
             8: (60, -3.5), 11: (0, -60), 12: (0, -8), 13: (0, 8), 14: (0, 60), 15: (3.5, -60), 16: (3.5, -8),
             17: (3.5, 8), 18: (3.5, 60), 20: (5, -8)}
    ways = {101: [1, 2], 102: [5, 6], 103: [2, 3], 104: [6, 7], 105: [3, 4], 106: [7, 8],
            111: [11, 12], 112: [15, 16], 113: [12, 13], 114: [16, 17], 115: [13, 14], 116: [17, 18],
            120: [12, 16], 121: [20, 16]}
    lanelets = {1: (101, 102), 3: (103, 104), 4: (105, 106), 2: (111, 112), 5: (113, 114), 6: (115, 116)}
    out = ["<?xml version='1.0' encoding='UTF-8'?>", "<osm version='0.6'>"]
    for nid, (x, y) in nodes.items():
        out.append(f"<node id='{nid}' lat='0' lon='0'><tag k='local_x' v='{x}'/><tag k='local_y' v='{y}'/></node>")
    for wid, refs in ways.items():
        tag = "stop_line" if wid == 120 else "traffic_sign" if wid == 121 else "line_thin"
        sub = "<tag k='subtype' v='de206'/>" if wid == 121 else ""
        nds = "".join(f"<nd ref='{r}'/>" for r in refs)
        out.append(f"<way id='{wid}'>{nds}<tag k='type' v='{tag}'/>{sub}</way>")
    for rid, (lw, rw) in lanelets.items():
        refer = (1, 2) if element == "right_of_way" else (2,) if element == "stop" else ()
        reg = "<member type='relation' ref='50' role='regulatory_element'/>" if rid in refer else ""
        out.append(f"<relation id='{rid}'><member type='way' ref='{lw}' role='left'/><member type='way' ref='{rw}' "
                   f"role='right'/>{reg}<tag k='type' v='lanelet'/><tag k='subtype' v='road'/></relation>")
    if element == "right_of_way":
        out.append("<relation id='50'><member type='relation' ref='1' role='right_of_way'/><member type='relation' "
                   "ref='2' role='yield'/><member type='way' ref='120' role='ref_line'/><tag k='type' "
                   "v='regulatory_element'/><tag k='subtype' v='right_of_way'/></relation>")
    elif element == "stop":
        out.append("<relation id='50'><member type='way' ref='121' role='refers'/><member type='way' ref='120' "
                   "role='ref_line'/><tag k='type' v='regulatory_element'/><tag k='subtype' v='traffic_sign'/>"
                   "</relation>")
    out.append("</osm>")
    return "\n".join(out)


@pytest.mark.parametrize("element,sign", [("right_of_way", "yield"), ("stop", "stop")])
def test_lanelet2_yielding_lane(element, sign, tmp_path):
    path = tmp_path / "cross.osm"
    path.write_text(_osm(element))
    net, data = map_road(path)
    assert net.successors("1") == ("3",) and net.successors("2") == ("5",)
    assert net.controls.sign == {"2": sign} and net.controls.priority == {"2": 0}
    (sg,) = data.signals
    assert sg.lanes == ("2",) and sg.code == ("right_of_way" if element == "right_of_way" else "de206")
    (line,) = data.stop_lines
    assert line.lanes == ("2",) and not map_controls(data).notes  # the line lies at the lanelet's end


def _first_in_box(tr) -> int:
    """First step a car's centre is in the crossing area x in [-2, 5.5], y in [-5.5, 2]."""
    x, y = tr[:, Lo.F_X], tr[:, Lo.F_Y]
    hit = np.flatnonzero((x > -2) & (x < 5.5) & (y > -5.5) & (y < 2))
    return int(hit[0]) if len(hit) else 10**9


def test_lanelet2_right_of_way_decides_who_goes_first(tmp_path):
    """Two cars reach the crossing together. By the turn rules the eastbound car yields to the
    northbound one coming from its right; with the right_of_way element the northbound lanelet 2
    yields, and the eastbound car goes first."""
    actors = car("ego", "2", 20, 8, ["2", "5", "6"]) + car("east", "1", 20, 8, ["1", "3", "4"])
    firsts = {}
    for element in ("none", "right_of_way"):
        path = tmp_path / f"{element}.osm"
        path.write_text(_osm(element))
        b, _ = simulate(tmp_path, f"{{from: {path}}}", actors, duration=16.0)
        north, east = b.trajectories[0, 0], b.trajectories[0, 1]
        assert not b.labels["collision"][0]
        firsts[element] = "north" if _first_in_box(north) < _first_in_box(east) else "east"
    assert firsts == {"none": "north", "right_of_way": "east"}


def test_lanelet2_errors_and_lights(tmp_path):
    path = tmp_path / "bad.osm"
    path.write_text(_osm("right_of_way").replace("ref='2' role='yield'", "ref='99' role='yield'"))
    with pytest.raises(MapError) as e:
        load_map(path)
    assert e.value.where == "<relation id=50> (regulatory_element)" and "lanelet 99" in e.value.detail
    # the fixture's traffic light has no plan (Lanelet2 carries none): left out, said so
    fixture = tmp_path / "fixture.osm"
    fixture.write_text(osm_text())
    net, data = map_road(fixture)
    assert not net.controls.signal and not net.controls.sign
    assert [(t, n) for t, n in map_controls(data).notes if "without a signal plan" in t][0][1] == 1


# ------------------------------------------------------------------ Argoverse 2, show


def test_av2_has_no_signs_only_crosswalks():
    net, data = map_road(need(AV2_MAPS[0]))
    assert not data.signals and not data.stop_lines
    c = net.controls
    assert not c.sign and not c.signal and not c.priority
    assert len(c.crosswalks) == sum(a.kind == "crosswalk" for a in data.areas) > 0


def test_show_lists_the_controls_of_a_map(tmp_path, capsys):
    f = tmp_path / "peach.yaml"
    f.write_text(f"scenariogen: 1\nname: peach\ndt: 0.1\nduration: 5\nroad: {{from: {need(PEACH)}}}\nactors:\n"
                 + car("ego", "43208", 5, 10, ["43208"]))
    assert main(["show", str(f)]) == 0
    out = capsys.readouterr().out
    assert "right of way from the map: traffic lights on 13 lane(s) in 2 signal group(s)" in out
    assert "signal group 1 (lights 43919, 43921): green 40 s from 9 s into the cycle, amber 3 s" in out
    assert "signal group 2 (lights 43918, 43920): green 40 s from 59 s into the cycle, amber 3 s" in out
    assert "lane 43208: 55.1 m x 2.91 m  -> 43592; left 43349; right 43343; signal group 2 at its end" in out
    assert "not used by the simulator yet" not in out
