"""CommonRoad and Argoverse 2 maps: the real NGSIM and AV2 files, our CommonRoad export read back, errors."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import shapely

import scenariogen
from scenariogen.export.commonroad import lanelet_xml
from scenariogen.road import build_road
from scenariogen.road.maps import MapError, Region, load_map, map_road

from map_helpers import AV2_MAPS, NGSIM, ROOT, need

EXAMPLES = sorted((ROOT / "scenarios").glob("*.yaml"))


def side_of(net, lid: str, other: str) -> float:
    """Signed offset (m, left positive) of ``other``'s middle seen from lane ``lid``."""
    b = net.lane(other)
    x, y, _ = b.position(b.length / 2)
    return net.lane(lid).local_coordinates(x, y)[1]


@pytest.mark.parametrize("name", ["USA_US101-3_3_T-1.xml", "USA_US101-4_1_T-1.xml", "USA_Lanker-1_1_T-1.xml",
                                  "USA_Peach-4_8_T-1.xml"])
def test_ngsim_lanelet_networks(name):
    net, data = map_road(need(NGSIM / name))
    assert data.format == "commonroad" and data.version in ("2018b", "2020a") and len(net) >= 12
    for lid in net.lane_ids:
        lane = net.lane(lid)
        assert 2.0 < lane.width < 8.0  # lanelets through an intersection are wide
        if net.left(lid):  # a left neighbour lies to the left, one lane width away, and says so back
            assert net.right(net.left(lid)) == lid
            assert 0.3 * lane.width < side_of(net, lid, net.left(lid)) < 3.0 * lane.width
        for o in data.lane(lid).opposite:  # opposite lanes are never neighbours
            assert o not in (net.left(lid), net.right(lid))
        for nxt in net.successors(lid):  # successors continue where the lane ends
            assert np.hypot(*(lane.points[-1] - net.lane(nxt).points[0])) < 0.5


def test_us101_lane_graph():
    net, _ = map_road(need(NGSIM / "USA_US101-3_3_T-1.xml"))
    order = ["31", "33", "35", "37", "39", "23"]  # left to right
    for a, b in zip(order, order[1:]):
        assert net.right(a) == b and net.left(b) == a
    assert net.successors("35") == ("26",) and net.lane("35").length == pytest.approx(175.3, abs=0.1)


def test_peach_2020a_signals_stop_lines_and_opposite_lanes():
    net, data = map_road(need(NGSIM / "USA_Peach-4_8_T-1.xml"))
    assert len(data.stop_lines) == 13 and all(len(s.lanes) == 1 for s in data.stop_lines)
    kinds = {s.kind for s in data.signals}
    assert kinds == {"traffic_light", "speed_limit"}
    limits = [s.value for s in data.signals if s.kind == "speed_limit"]
    assert set(limits) == {15.6464, 11.176}  # 35 and 25 mph, stored in m/s
    assert sum(len(ln.opposite) for ln in data.lanes) >= 28
    # a stop line without points lies across the end of its lanelet
    st = data.stop_lines[0]
    lane = net.lane(st.lanes[0])
    assert float(shapely.distance(shapely.LineString(st.points), shapely.Point(lane.points[-1]))) < 0.05


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_road_round_trips_through_our_commonroad(path, tmp_path):
    """The lanelets of our commonroad export read back: ids are lane index + 1, centres within 1 cm."""
    spec = scenariogen.load_scenario(path)
    f = tmp_path / "x.xml"
    f.write_text('<?xml version="1.0"?><commonRoad commonRoadVersion="2020a" benchmarkID="ZAM_X-1_1_T-1">'
                 + lanelet_xml(spec.source_text, spec.road.type) + "</commonRoad>")
    net, _ = map_road(f)
    ref = build_road(spec.road)
    to = {lid: str(k + 1) for k, lid in enumerate(ref.lane_ids)}
    assert sorted(net.lane_ids) == sorted(to.values())
    for lid in ref.lane_ids:
        b = to[lid]
        assert set(net.successors(b)) == {to[s] for s in ref.successors(lid)}
        assert (net.left(b), net.right(b)) == (to.get(ref.left(lid)), to.get(ref.right(lid)))
        la, lb = ref.lane(lid), net.lane(b)
        x, y, _ = la.positions(np.linspace(0.0, la.length, 300))
        assert float(shapely.distance(lb.centerline, shapely.points(x, y)).max()) < 0.01
        assert abs(la.width - lb.width) < 0.01 and abs(la.length - lb.length) < 0.01


def test_commonroad_errors(tmp_path):
    f = tmp_path / "m.xml"
    f.write_text('<commonRoad commonRoadVersion="2022a"><lanelet id="1"/></commonRoad>')
    with pytest.raises(MapError, match=r"commonRoadVersion>: unsupported CommonRoad version '2022a'"):
        load_map(f)
    f.write_text('<commonRoad commonRoadVersion="2020a"><lanelet id="1"><leftBound><point><x>0</x><y>1</y></point>'
                 '<point><x>10</x><y>1</y></point></leftBound></lanelet></commonRoad>')
    with pytest.raises(MapError, match=r"<lanelet id=1>: missing <leftBound> or <rightBound>"):
        load_map(f)
    f.write_text('<commonRoad commonRoadVersion="2020a"><lanelet id="1"><leftBound><point><x>0</x><y>1</y></point>'
                 '<point><x>ten</x><y>1</y></point></leftBound><rightBound/></lanelet></commonRoad>')
    with pytest.raises(MapError, match=r"<lanelet id=1> <leftBound> <point> #2: <x> is not a number: 'ten'"):
        load_map(f)
    f.write_text('<commonRoad commonRoadVersion="2020a">\n<lanelet id="1">\n<leftBound></lanelet>')
    with pytest.raises(MapError, match=r"line 3, column \d+: not well-formed XML"):
        load_map(f)


def test_region_ids_and_nothing_selected():
    path = need(NGSIM / "USA_US101-3_3_T-1.xml")
    net, _ = map_road(path, region=Region(ids=("33", "35", "26")))
    assert sorted(net.lane_ids) == ["26", "33", "35"]
    assert net.left("35") == "33" and net.right("35") is None and net.successors("33") == ()
    with pytest.raises(MapError, match=r"region \(ids \[999\]\) selects no lane; the map's elements are: 22, 23"):
        map_road(path, region=Region(ids=("999",)))


# ---------------------------------------------------------------- Argoverse 2


@pytest.mark.parametrize("path", AV2_MAPS, ids=lambda p: p.name[16:24])
def test_av2_maps(path):
    net, data = map_road(path)
    assert data.format == "av2" and len(net) > 30
    doc = json.loads(path.read_text())
    driving = {k for k, v in doc["lane_segments"].items() if v["lane_type"] != "BIKE"}
    assert set(net.lane_ids) == driving
    assert any(a.kind == "crosswalk" for a in data.areas) and any(a.kind == "drivable_area" for a in data.areas)
    for lid in net.lane_ids:
        lane = net.lane(lid)
        for nb in (net.left(lid), net.right(lid)):
            if nb:  # same direction: headings within 90 degrees where they are side by side
                other = net.lane(nb)
                x, y, h = other.position(other.length / 2)
                s, _ = lane.local_coordinates(x, y)
                assert math.cos(h - lane.heading_at(min(max(s, 0.0), lane.length))) > 0.0
        for nxt in net.successors(lid):
            assert np.hypot(*(lane.points[-1] - net.lane(nxt).points[0])) < 0.5
    assert sum(len(ln.opposite) for ln in data.lanes) > 0  # yellow-line neighbours are opposite lanes


def test_av2_errors(tmp_path):
    f = tmp_path / "log_map_archive_x.json"
    f.write_text('{"lane_segments": {"1": {"id": 1, "left_lane_boundary": [{"x": 0, "y": 1}]}}}')
    with pytest.raises(MapError, match=r"lane_segments\['1'\].left_lane_boundary: expected a list of at least 2"):
        load_map(f)
    f.write_text('{"lane_segments": {\n "1": [}')
    with pytest.raises(MapError, match=r"line 2, column \d+: not valid JSON"):
        load_map(f)
    f.write_text('{"drivable_areas": {}}')
    with pytest.raises(MapError, match="not an Argoverse 2 map"):
        load_map(f)
