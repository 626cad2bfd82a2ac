"""Lanelet2 OSM: a map written here from the format description (osm_fixture), both coordinate frames."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scenariogen.road.maps import MapError, load_map, map_road
from scenariogen.road.maps.lanelet2 import enu

from osm_fixture import osm_text


@pytest.mark.parametrize("local", [True, False], ids=["local_xy", "latlon"])
def test_lanelets_graph_and_regulatory_elements(local, tmp_path):
    f = tmp_path / "map.osm"
    f.write_text(osm_text(local))
    net, data = map_road(f)
    assert sorted(net.lane_ids) == ["101", "102", "103", "104", "105"]
    shift = np.array([0.0, 0.0]) if local else np.array([0.0, -3.5])  # lat/lon: the first node (0, 3.5) is the origin
    assert net.lane("101").points[0] == pytest.approx((0.0, 1.75) + shift, abs=0.01)
    assert net.lane("105").points[0] == pytest.approx((50.0, 5.25) + shift, abs=0.01)  # westbound
    for lid in net.lane_ids:
        assert net.lane(lid).width == pytest.approx(3.5, abs=0.01) and net.lane(lid).length == pytest.approx(50, abs=0.01)
    assert net.successors("101") == ("103",) and net.successors("102") == ("104",) and net.successors("105") == ()
    assert (net.left("102"), net.right("101"), net.left("104")) == ("101", "102", "103")
    assert net.left("101") is None and data.lane("101").opposite == ("105",) and data.lane("105").opposite == ("101",)
    assert data.lane("101").speed_limit == pytest.approx(50 / 3.6)
    (light,) = data.signals
    assert light.kind == "traffic_light" and light.lanes == ("103", "104")
    (stop,) = data.stop_lines
    assert stop.lanes == ("103", "104") and stop.signal == "201"
    assert stop.points[:, 0] == pytest.approx([52.0] * 3, abs=0.01)
    assert sorted((a.kind, a.closed) for a in data.areas) == [("crosswalk", True), ("curbstone", False)]


def test_enu_against_the_meridian_arc():
    """0.001 deg north / east of 49 N: the closed-form WGS84 meridian and parallel arc lengths (to 1 mm)."""
    phi = math.radians(49.0)
    m_per_deg = 111132.954 - 559.822 * math.cos(2 * phi) + 1.175 * math.cos(4 * phi)
    p = enu(np.array([49.001, 49.0]), np.array([8.4, 8.401]), 49.0, 8.4)
    a, e2 = 6378137.0, 0.00669437999014
    n = a / math.sqrt(1 - e2 * math.sin(phi) ** 2)
    assert p[0, 1] == pytest.approx(0.001 * m_per_deg, abs=2e-3) and abs(p[0, 0]) < 1e-6
    assert p[1, 0] == pytest.approx(math.radians(0.001) * n * math.cos(phi), abs=1e-3)


def test_one_way_no_adds_the_reverse_lane(tmp_path):
    f = tmp_path / "map.osm"
    f.write_text(osm_text().replace("<tag k='subtype' v='road'/><tag k='speed_limit' v='50'/>",
                                    "<tag k='subtype' v='road'/><tag k='one_way' v='no'/>"))
    net, data = map_road(f)
    rev = net.lane("101-reverse")
    assert rev.points[0] == pytest.approx((50.0, 1.75)) and "101" in data.lane("101-reverse").opposite
    assert net.successors("103") == () and "101-reverse" not in (net.left("101"), net.right("101"))


def test_lanelet2_errors(tmp_path):
    f = tmp_path / "map.osm"
    f.write_text(osm_text().replace("<nd ref='21'/>", "<nd ref='99'/>"))
    with pytest.raises(MapError, match=r"<way id=11>: refers to node 99 that is not in the file"):
        load_map(f)
    f.write_text(osm_text().replace("role='right'/><tag k='type' v='lanelet'/><tag k='subtype' v='road'/><tag k='speed_limit'",
                                    "role='middle'/><tag k='type' v='lanelet'/><tag k='subtype' v='road'/><tag k='speed_limit'"))
    with pytest.raises(MapError, match=r"<relation id=101> \(lanelet\): a lanelet needs a 'left' and a 'right'"):
        load_map(f)
    f.write_text("<osm><node id='1' lat='x' lon='8'/></osm>")
    with pytest.raises(MapError, match=r"<node id=1>: attribute lat is not a number: 'x'"):
        load_map(f)
