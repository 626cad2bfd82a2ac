"""OpenDRIVE import: our own exports read back exactly, third-party files, closed forms, errors."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import shapely

import scenariogen
from scenariogen.dsl.schema import PolylineLaneSpec, RoadSpec
from scenariogen.export.opendrive import xodr_bytes
from scenariogen.road import build_road
from scenariogen.road.maps import MapError, Region, load_map, map_road
from scenariogen.road.maps.opendrive import Geometry

from map_helpers import ROOT

EXAMPLES = sorted((ROOT / "scenarios").glob("*.yaml"))
TOL = 0.01  # m: lane centres of a round trip


def same_network(a, b, neighbours: bool = True) -> float:
    """Assert equal lane ids, successors (as sets) and neighbours; the worst distance (m) between the
    two centrelines (both ways), end points and widths."""
    assert sorted(a.lane_ids) == sorted(b.lane_ids)
    worst = 0.0
    for lid in a.lane_ids:
        assert set(a.successors(lid)) == set(b.successors(lid)), lid
        if neighbours:
            assert (a.left(lid), a.right(lid)) == (b.left(lid), b.right(lid)), lid
        la, lb = a.lane(lid), b.lane(lid)
        x, y, _ = la.positions(np.linspace(0.0, la.length, 400))
        worst = max(worst, float(shapely.distance(lb.centerline, shapely.points(x, y)).max()),
                    float(shapely.distance(la.centerline, shapely.points(lb.points)).max()),
                    float(np.hypot(*(la.points[0] - lb.points[0]))), float(np.hypot(*(la.points[-1] - lb.points[-1]))),
                    abs(la.width - lb.width))
    return worst


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    p = tmp_path / name
    p.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return p


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_road_round_trips_through_our_xodr(path, tmp_path):
    spec = scenariogen.load_scenario(path)
    f = write(tmp_path, "road.xodr", xodr_bytes(spec.road, spec.name))
    net, data = map_road(f)
    assert data.format == "opendrive" and data.version == "1.7"
    assert same_network(build_road(spec.road), net) < TOL


ROADS = {
    "curve_left": RoadSpec(type="curve", lanes=3, radius=40.0, angle_deg=90.0),
    "curve_right": RoadSpec(type="curve", lanes=2, radius=30.0, angle_deg=-120.0),
    "intersection_2": RoadSpec(type="intersection", lanes=2, length=50.0, turn_radius=6.0),
    "merge_2": RoadSpec(type="merge", lanes=2, length=300.0, merge_start=100.0, merge_length=80.0),
    "merge_to_the_end": RoadSpec(type="merge", lanes=1, length=180.0, merge_start=100.0, merge_length=80.0),
}


@pytest.mark.parametrize("name", ROADS)
def test_other_builder_roads_round_trip(name, tmp_path):
    f = write(tmp_path, "road.xodr", xodr_bytes(ROADS[name], name))
    assert same_network(build_road(ROADS[name]), map_road(f)[0]) < TOL


def test_polylines_round_trip_keep_centres_and_successors(tmp_path):
    """One road per lane: successors and centres come back; neighbours are not written by the
    exporter (each lane is its own road), so they cannot come back."""
    sp = RoadSpec(type="lanes", polylines=(
        PolylineLaneSpec("main", ((0, 0), (100, 0), (200, 10)), 3.5, ("exit", "on"), "fast"),
        PolylineLaneSpec("fast", ((0, 3.5), (100, 3.5), (200, 13.5)), 3.5, (), None, "main"),
        PolylineLaneSpec("exit", ((200, 10), (260, 40)), 3.2), PolylineLaneSpec("on", ((200, 10), (300, 10)), 3.5)))
    f = write(tmp_path, "road.xodr", xodr_bytes(sp, "p"))
    assert same_network(build_road(sp), map_road(f)[0], neighbours=False) < TOL


# ---------------------------------------------------------------- third-party files


def _scenariogeneration_junction(path: Path) -> None:
    from scenariogeneration import xodr

    roads = [
        xodr.create_road([xodr.Spiral(0.0001, 0.01, 40), xodr.Arc(0.01, 50), xodr.Spiral(0.01, 0.0001, 40)], id=1,
                         left_lanes=2, right_lanes=2),
        xodr.create_road(xodr.Line(120), id=2, left_lanes=2, right_lanes=2),
        xodr.create_road([xodr.Line(40), xodr.ParamPoly3(0, 60, 0, 0, 0, 0, 6, -4, "normalized")], id=3,
                         left_lanes=2, right_lanes=2),
    ]
    jc = xodr.CommonJunctionCreator(id=100, name="junction", startnum=100)
    jc.add_incoming_road_circular_geometry(road=roads[0], radius=25, angle=0, road_connection="successor")
    jc.add_incoming_road_circular_geometry(road=roads[1], radius=25, angle=math.pi / 2, road_connection="predecessor")
    jc.add_incoming_road_circular_geometry(road=roads[2], radius=25, angle=math.pi, road_connection="predecessor")
    jc.add_connection(road_one_id=1, road_two_id=2)
    jc.add_connection(road_one_id=1, road_two_id=3)
    jc.add_connection(road_one_id=2, road_two_id=3)
    odr = xodr.OpenDrive("sg_junction")
    for r in roads:
        odr.add_road(r)
    odr.add_junction_creator(jc)
    odr.adjust_roads_and_lanes()
    odr.write_xml(str(path))


@pytest.fixture
def sg_junction(tmp_path) -> Path:
    """A junction of spiral/arc/line/paramPoly3 roads written by scenariogeneration (OpenDRIVE 1.5)."""
    path = tmp_path / "sg_junction.xodr"
    _scenariogeneration_junction(path)
    return path


def test_scenariogeneration_junction_imports_connected(sg_junction):
    net, data = map_road(sg_junction)
    assert data.version == "1.5" and len(net) == 24
    # both directions on every arm, never neighbours of each other
    assert net.left("1_0_-1") is None and net.right("1_0_-1") == "1_0_-2" and net.left("1_0_1") is None
    assert "1_0_1" in data.lane("1_0_-1").opposite
    # right lanes of road 1 drive into the junction: two connecting roads each, which lead on
    assert set(net.successors("1_0_-1")) == {"100_0_-1", "101_0_-1"}
    assert net.successors("100_0_-1") == ("2_0_-1",) and data.lane("100_0_-1").junction == "100"
    gaps = []
    for lid in net.lane_ids:
        a = net.lane(lid)
        for nxt in net.successors(lid):
            b = net.lane(nxt)
            gaps.append(float(np.hypot(*(a.points[-1] - b.points[0]))))
            dh = (a.vertex_headings[-1] - b.vertex_headings[0] + math.pi) % (2 * math.pi) - math.pi
            assert abs(dh) < 1e-6, (lid, nxt)
    assert len(gaps) == 24 and max(gaps) < 1e-6  # every junction lane joins both ends exactly
    # every lane reaches the others through the junction (the lane graph is one piece per direction)
    assert net.reachable("1_0_-1") >= {"2_0_-1", "3_0_-1"}


def test_spiral_against_closed_form(tmp_path):
    """A clothoid: curvature linear in s, heading quadratic, position = Fresnel integrals."""
    from scipy.special import fresnel

    k0, k1, L, h0 = 0.0, 0.04, 80.0, 0.3
    g = Geometry(0.0, 5.0, -2.0, h0, L, "spiral", (k0, k1))
    s = np.linspace(0.0, L, 161)
    x, y, h, k = g.eval(s)
    c = (k1 - k0) / L
    assert np.allclose(k, k0 + c * s, atol=1e-12)
    assert np.allclose(h, h0 + k0 * s + 0.5 * c * s * s, atol=1e-12)
    scale = math.sqrt(math.pi / c)
    S, C = fresnel(s / scale)
    # local clothoid from the origin heading 0, rotated by h0
    lx, ly = scale * C, scale * S
    assert np.allclose(x, 5.0 + lx * math.cos(h0) - ly * math.sin(h0), atol=1e-9)
    assert np.allclose(y, -2.0 + lx * math.sin(h0) + ly * math.cos(h0), atol=1e-9)
    # through the file: a one-lane road on it reads the same centre, offset by the lane
    xodr = f"""<?xml version="1.0"?><OpenDRIVE><header revMajor="1" revMinor="6"/>
    <road id="7" length="{L}" junction="-1"><planView>
      <geometry s="0" x="5" y="-2" hdg="{h0}" length="{L}"><spiral curvStart="{k0}" curvEnd="{k1}"/></geometry>
    </planView><lanes><laneSection s="0"><center><lane id="0" type="none"/></center>
      <right><lane id="-1" type="driving"><width sOffset="0" a="3" b="0" c="0" d="0"/></lane></right>
    </laneSection></lanes></road></OpenDRIVE>"""
    lane = map_road(write(tmp_path, "spiral.xodr", xodr))[0].lane("7_0_-1")
    # its vertices sit 1.5 m right of the reference line, sampled evenly along it
    xr, yr, hr, _ = g.eval(np.linspace(0.0, L, len(lane.vertex_s)))
    assert np.allclose(lane.points[:, 0], xr + 1.5 * np.sin(hr), atol=1e-6)
    assert np.allclose(lane.points[:, 1], yr - 1.5 * np.cos(hr), atol=1e-6)
    assert np.allclose(lane.vertex_headings, hr, atol=1e-9)


@pytest.mark.parametrize("kind", ["paramPoly3-normalized", "paramPoly3-arcLength", "poly3"])
def test_parabola_against_closed_form(kind, tmp_path):
    """u = X p, v = K p^2 (or v = (K / X^2) u^2): every point on y = K (x / X)^2, heading atan of its slope,
    and the record's s the true arc length sqrt(1 + (2 a x)^2) integrated in closed form."""
    X, K = 60.0, 9.0
    a = K / X**2

    def arc(x):  # closed-form arc length of y = a x^2 from 0 to x
        t = 2 * a * x
        return (t * math.sqrt(1 + t * t) + math.asinh(t)) / (4 * a)

    L = arc(X)
    if kind == "poly3":
        g = Geometry(0.0, 0.0, 0.0, 0.0, L, "poly3", (0.0, 0.0, a, 0.0))
    else:
        P = 1.0 if kind.endswith("normalized") else L
        g = Geometry(0.0, 0.0, 0.0, 0.0, L, "paramPoly3", (0.0, X / P, 0.0, 0.0, 0.0, 0.0, K / P**2, 0.0),
                     kind.endswith("normalized"))
    s = np.linspace(0.0, L, 97)
    x, y, h, k = g.eval(s)
    assert np.allclose(y, a * x * x, atol=1e-9)
    assert np.allclose(h, np.arctan(2 * a * x), atol=1e-9)
    assert np.allclose([arc(v) for v in x], s, atol=1e-7)  # s is the true arc length
    assert np.allclose(k, 2 * a / (1 + (2 * a * x) ** 2) ** 1.5, atol=1e-9)


# ---------------------------------------------------------------- a hand-written file of many features

FEATURES = """<?xml version="1.0" encoding="UTF-8"?>
<OpenDRIVE>
 <header revMajor="1" revMinor="8" name="features"/>
 <road id="1" length="100" junction="-1" rule="RHT">
  <link><successor elementType="road" elementId="2" contactPoint="start"/></link>
  <type s="0" type="town"><speed max="50" unit="km/h"/></type>
  <planView><geometry s="0" x="0" y="0" hdg="0" length="100"><line/></geometry></planView>
  <lanes>
   <laneOffset s="0" a="0.5" b="0" c="0" d="0"/>
   <laneSection s="0">
    <left>
     <lane id="2" type="sidewalk"><width sOffset="0" a="2" b="0" c="0" d="0"/></lane>
     <lane id="1" type="driving"><link><successor id="1"/></link><width sOffset="0" a="3.5" b="0" c="0" d="0"/></lane>
    </left>
    <center><lane id="0" type="none"/></center>
    <right>
     <lane id="-1" type="driving"><link><successor id="-1"/></link><width sOffset="0" a="3.5" b="0" c="0" d="0"/></lane>
     <lane id="-2" type="driving"><link><successor id="-2"/></link><width sOffset="0" a="3.0" b="0" c="0" d="0"/><width sOffset="60" a="3.0" b="0.05" c="0" d="0"/></lane>
     <lane id="-3" type="shoulder"><width sOffset="0" a="1" b="0" c="0" d="0"/></lane>
    </right>
   </laneSection>
  </lanes>
  <signals>
   <signal s="95" t="-8" id="s1" name="stop" dynamic="no" orientation="+" type="206" subtype="-1" country="DE"/>
   <signal s="96" t="-4" id="s2" name="stop line" dynamic="no" orientation="+" type="294" subtype="-1" country="DE">
     <validity fromLane="-1" toLane="-2"/>
   </signal>
   <signal s="5" t="3" id="s3" name="light" dynamic="yes" orientation="-" type="1000001" subtype="-1" country="DE"/>
   <signal s="10" t="-8" id="s4" name="limit" dynamic="no" orientation="+" type="274" subtype="50" value="50" unit="km/h"/>
  </signals>
  <objects>
   <object id="o1" type="crosswalk" s="50" t="0" zOffset="0" hdg="0" length="4" width="12" orientation="none"/>
  </objects>
 </road>
 <road id="2" length="40" junction="-1">
  <link><predecessor elementType="road" elementId="1" contactPoint="end"/></link>
  <planView><geometry s="0" x="100" y="0" hdg="0" length="40"><arc curvature="0.01"/></geometry></planView>
  <lanes>
   <laneOffset s="0" a="0.5" b="0" c="0" d="0"/>
   <laneSection s="0">
    <left><lane id="1" type="driving"><link><predecessor id="1"/></link><width sOffset="0" a="3.5" b="0" c="0" d="0"/></lane></left>
    <center><lane id="0" type="none"/></center>
    <right>
     <lane id="-1" type="driving"><link><predecessor id="-1"/></link><width sOffset="0" a="3.5" b="0" c="0" d="0"/></lane>
     <lane id="-2" type="exit"><link><predecessor id="-2"/></link><width sOffset="0" a="6" b="0" c="0" d="0"/></lane>
    </right>
   </laneSection>
  </lanes>
 </road>
</OpenDRIVE>
"""


def test_hand_written_features(tmp_path):
    net, data = map_road(write(tmp_path, "features.xodr", FEATURES))
    assert data.version == "1.8"
    assert sorted(net.lane_ids) == ["1_0_-1", "1_0_-2", "1_0_1", "2_0_-1", "2_0_-2", "2_0_1"]
    # lane offset 0.5 m: lane -1 centred at t = 0.5 - 1.75, lane 1 at 0.5 + 1.75 driving west
    assert net.lane("1_0_-1").points[0] == pytest.approx((0.0, -1.25))
    assert net.lane("1_0_1").points[0] == pytest.approx((100.0, 2.25))
    # lane -2 widens from 3 m after s = 60: its centre moves out by half the widening, its width is the mean
    w_end = 3.0 + 0.05 * 40
    assert net.lane("1_0_-2").points[-1] == pytest.approx((100.0, 0.5 - 3.5 - w_end / 2))
    assert net.lane("1_0_-2").width == pytest.approx((3.0 * 60 + (3.0 + w_end) / 2 * 40) / 100, rel=1e-4)  # mean over the centre
    assert data.lane("1_0_-2").width_max == pytest.approx(w_end)
    # direction: the left lane drives against the reference line: road 2's lane 1 leads into road 1's
    assert net.successors("1_0_-1") == ("2_0_-1",) and net.successors("2_0_1") == ("1_0_1",)
    assert net.successors("1_0_-2") == ("2_0_-2",) and net.successors("1_0_1") == ()
    assert net.left("1_0_-1") is None and net.right("1_0_-1") == "1_0_-2" and net.left("1_0_-2") == "1_0_-1"
    assert data.lane("1_0_-1").opposite == ("1_0_1",) and net.left("1_0_1") is None
    assert data.lane("1_0_-1").speed_limit == pytest.approx(50 / 3.6)
    # non-drivable lanes become areas; the crosswalk object an area too
    kinds = sorted(a.kind for a in data.areas)
    assert kinds == ["crosswalk", "shoulder", "sidewalk"]
    cw = next(a for a in data.areas if a.kind == "crosswalk")
    assert cw.points[:, 0].min() == pytest.approx(48.0) and cw.points[:, 1].max() == pytest.approx(6.0)
    sig = {s.id: s for s in data.signals}
    assert sig["s1"].kind == "stop" and sig["s1"].lanes == ("1_0_-1", "1_0_-2") and sig["s1"].position == (95.0, -8.0)
    assert sig["s3"].kind == "traffic_light" and sig["s3"].lanes == ("1_0_1",)
    assert sig["s4"].kind == "speed_limit" and sig["s4"].value == pytest.approx(50 / 3.6)
    (stop,) = data.stop_lines
    assert stop.lanes == ("1_0_-1", "1_0_-2") and stop.points[:, 0] == pytest.approx([96.0, 96.0])
    assert sorted(stop.points[:, 1]) == pytest.approx([0.5 - 3.5 - (3.0 + 0.05 * 36), 0.5])
    # the arc: lane centres at the exact offset radius
    lane = net.lane("2_0_-1")
    r = np.hypot(lane.points[:, 0] - 100.0, lane.points[:, 1] - 100.0)
    assert np.allclose(r, 100.0 + 1.25, atol=1e-9)
    assert net.lane("2_0_-2").width == pytest.approx(6.0)


BAD = [
    ("<OpenDRIVE><header revMajor='1' revMinor='6'/><road id='1' length='10'>", "line 1", "not well-formed XML"),
    ("<OpenDRIVE><header revMajor='2' revMinor='0'/></OpenDRIVE>", "<header>", "unsupported OpenDRIVE revision 2.0"),
    ("<commonRoad/>", "root element <commonRoad>", "not an OpenDRIVE file"),
    (FEATURES.replace('<arc curvature="0.01"/>', '<clothoid/>'), "<road id=2> <geometry> #1 (s=0) <clothoid>",
     "unsupported geometry type <clothoid>"),
    (FEATURES.replace('a="3.5" b="0" c="0" d="0"/></lane></left>', 'a="wide" b="0" c="0" d="0"/></lane></left>'),
     "<road id=2> <laneSection> #1 (s=0) <lane id=1> <width>", "attribute a is not a number: 'wide'"),
    (FEATURES.replace('<lane id="-1" type="driving"><link><successor id="-1"/></link><width sOffset="0" a="3.5" b="0" c="0" d="0"/>',
                      '<lane id="-1" type="driving"><link><successor id="-1"/></link><border sOffset="0" a="3.5" b="0" c="0" d="0"/>'),
     "<road id=1> <laneSection> #1 (s=0) <lane id=-1>", "<border> instead of <width>: not supported"),
]


@pytest.mark.parametrize("text,where,what", BAD, ids=["xml", "revision", "root", "geometry", "number", "border"])
def test_bad_files_say_file_element_and_what(text, where, what, tmp_path):
    f = write(tmp_path, "bad.xodr", text)
    with pytest.raises(MapError) as e:
        load_map(f)
    assert e.value.file == str(f) and e.value.where.startswith(where) and what in e.value.detail


def test_region_by_road_ids_and_box(sg_junction):
    net, _ = map_road(sg_junction, region=Region(ids=("1", "100")))
    assert {lid.split("_")[0] for lid in net.lane_ids} == {"1", "100"}
    assert net.successors("100_0_-1") == ()  # road 2 is outside the region
    net2, _ = map_road(sg_junction, region=Region(bbox=(-1.0, -10.0, 20.0, 10.0)))
    assert sorted(net2.lane_ids) == ["1_0_-1", "1_0_-2", "1_0_1", "1_0_2"]
    with pytest.raises(MapError, match=r"selects no lane.*span x"):
        map_road(sg_junction, region=Region(bbox=(1e5, 1e5, 1e5 + 1, 1e5 + 1)))
