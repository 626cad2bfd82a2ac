import math

import numpy as np
import pytest

from scenariogen.dsl.schema import PolylineLaneSpec, RoadSpec
from scenariogen.errors import RoadError
from scenariogen.road import build_road
from scenariogen.road.builders import curve, intersection, polylines



def wrap(a):
    """Wrap an angle (rad) to [-pi, pi)."""
    return (np.asarray(a) + math.pi) % (2 * math.pi) - math.pi


# ------------------------------------------------------------------ straight


def test_straight_positions_headings_neighbours(straight3):
    net = straight3
    assert net.lane_ids == ("0", "1", "2")
    for i in range(3):
        lane = net.lane(str(i))
        assert lane.length == pytest.approx(100.0)
        assert lane.position(30.0) == pytest.approx((30.0, 3.5 * i, 0.0))
        assert lane.heading_at(70.0) == 0.0
    assert net.to_world("1", 10.0, 1.0) == pytest.approx((10.0, 4.5, 0.0))
    assert [net.left(str(i)) for i in range(3)] == ["1", "2", None]
    assert [net.right(str(i)) for i in range(3)] == [None, "0", "1"]
    assert net.graph.nodes["1"]["left"] == "2" and net.graph.nodes["1"]["right"] == "0"
    assert net.successors("0") == () and net.graph.number_of_edges() == 0
    assert net.bounds() == pytest.approx((0.0, -1.75, 100.0, 8.75))


# --------------------------------------------------------------------- curve


@pytest.mark.parametrize("angle_deg", [90.0, -90.0, 30.0, -200.0])
@pytest.mark.parametrize("radius", [12.0, 150.0])
def test_curve_closed_form(radius, angle_deg):
    n, w = 3, 3.5
    net = curve(lanes=n, lane_width=w, radius=radius, angle_deg=angle_deg)
    angle = math.radians(angle_deg)
    sign = math.copysign(1.0, angle)
    for i in range(n):
        lane = net.lane(str(i))
        r_i = radius - sign * i * w
        assert lane.length == pytest.approx(r_i * abs(angle), rel=1e-4)
        assert lane.position(0.0) == pytest.approx((0.0, i * w, 0.0), abs=1e-12)
        assert lane.heading_at(lane.length) == pytest.approx(angle, abs=1e-9)
        ks = lane.curvature_at(np.linspace(0, lane.length, 50))
        np.testing.assert_allclose(ks, sign / r_i, rtol=1e-4)
        # every point is at distance r_i from the turn centre (0, sign * radius)
        x, y, _ = lane.positions(np.linspace(0, lane.length, 101))
        np.testing.assert_allclose(np.hypot(x, y - sign * radius), r_i, rtol=2e-5)  # chord sag
    assert net.left("0") == "1" and net.right("1") == "0"


def test_curve_end_point_left_turn():
    lane = curve(lanes=1, radius=20.0, angle_deg=90.0).lane("0")
    assert lane.position(lane.length) == pytest.approx((20.0, 20.0, math.pi / 2), abs=1e-9)


# --------------------------------------------------------------------- merge


def test_merge_topology(merge2):
    net = merge2
    assert set(net.lane_ids) == {"0", "1", "ramp", "accel"}
    assert net.successors("ramp") == ("accel",)
    assert net.predecessors("accel") == ("ramp",)
    assert net.successors("accel") == ()
    assert net.right("0") == "accel" and net.left("accel") == "0"
    assert net.right("accel") is None and net.left("0") == "1"
    accel = net.lane("accel")
    assert accel.position(0.0) == pytest.approx((100.0, -3.5, 0.0))
    assert accel.length == pytest.approx(80.0)
    ramp = net.lane("ramp")
    assert ramp.length == pytest.approx(120.0, rel=1e-4)
    assert ramp.heading_at(0.0) == pytest.approx(math.radians(12.0))
    end = ramp.position(ramp.length)
    assert end == pytest.approx((100.0, -3.5, 0.0), abs=1e-9)
    assert ramp.curvature_at(ramp.length - 1) < 0  # bends right into the accel lane
    # ramp stays right of (below) the accel lane line
    _, y, _ = ramp.positions(np.linspace(0, ramp.length, 200))
    assert np.all(y <= -3.5 + 1e-9)


def test_merge_heading_continuous_at_join(merge2):
    ramp, accel = merge2.lane("ramp"), merge2.lane("accel")
    assert abs(wrap(ramp.heading_at(ramp.length) - accel.heading_at(0.0))) < 1e-9


# -------------------------------------------------------------- intersection


def test_intersection_successors(cross2):
    net = cross2
    assert net.successors("N_in_0") == ("N_in_0>S_out_0", "N_in_0>W_out_0")
    assert net.successors("N_in_1") == ("N_in_1>S_out_1", "N_in_1>E_out_1")
    assert net.successors("S_in_0") == ("S_in_0>N_out_0", "S_in_0>E_out_0")
    assert net.successors("E_in_0")[1] == "E_in_0>N_out_0"
    assert net.successors("W_in_1")[1] == "W_in_1>N_out_1"
    for cid in net.lane_ids:
        if ">" in cid:
            src, dst = cid.split(">")
            assert net.successors(cid) == (dst,)
            assert net.predecessors(cid) == (src,)
    assert net.successors("S_out_0") == ()
    assert net.left("N_in_0") == "N_in_1" and net.left("N_in_1") is None
    assert net.right("E_out_1") == "E_out_0"
    assert len(net) == 4 * (2 * 2 + 2 + 2)


@pytest.mark.parametrize("lanes", [1, 2, 3])
def test_intersection_joins_are_continuous(lanes):
    net = intersection(lanes=lanes, lane_width=3.0, length=30.0, turn_radius=5.0)
    for a, b in net.graph.edges:
        la, lb = net.lane(a), net.lane(b)
        xa, ya, ha = la.position(la.length)
        xb, yb, hb = lb.position(0.0)
        assert math.hypot(xa - xb, ya - yb) < 1e-9, (a, b)
        assert abs(wrap(ha - hb)) < 1e-3, (a, b)


def test_intersection_geometry(cross2):
    net = cross2
    H = 2 * 3.5 + 6.0
    # south arm incoming lane 0 (rightmost, outer) heads north at x = 1.5 w
    assert net.to_world("S_in_0", net.lane("S_in_0").length) == pytest.approx((5.25, -H, math.pi / 2))
    assert net.lane("S_in_0").length == pytest.approx(50.0)
    assert net.to_world("S_out_0", 0.0) == pytest.approx((-5.25, -H, -math.pi / 2))
    assert net.lane("S_in_0>N_out_0").length == pytest.approx(2 * H)
    right = net.lane("S_in_0>E_out_0")
    assert right.length == pytest.approx((6.0 + 1.75) * math.pi / 2, rel=1e-4)
    assert right.curvature_at(1.0) == pytest.approx(-1 / 7.75, rel=1e-4)
    left = net.lane("S_in_1>W_out_1")
    assert left.length == pytest.approx((H + 1.75) * math.pi / 2, rel=1e-4)
    assert net.to_world("W_in_0", 0.0)[2] == pytest.approx(0.0)  # W arm traffic enters heading east
    assert wrap(net.to_world("N_in_0", 0.0)[2]) == pytest.approx(-math.pi / 2)


def test_shortest_path(cross2):
    assert cross2.shortest_path("S_in_0", "E_out_0") == ["S_in_0", "S_in_0>E_out_0", "E_out_0"]
    with pytest.raises(RoadError, match="no route"):
        cross2.shortest_path("E_out_0", "S_in_0")


# ------------------------------------------------------------------ polylines


def test_polylines_builder():
    specs = (
        PolylineLaneSpec("a", ((0, 0), (10, 0)), 3.0, successors=("b",), left="c"),
        PolylineLaneSpec("b", ((10, 0), (20, 5)), 3.0),
        PolylineLaneSpec("c", ((0, 3), (10, 3)), 3.0, right="a"),
    )
    net = polylines(specs)
    assert net.successors("a") == ("b",) and net.predecessors("b") == ("a",)
    assert net.left("a") == "c" and net.right("c") == "a"


@pytest.mark.parametrize(
    "specs, match",
    [
        ((PolylineLaneSpec("a", ((0, 0), (10, 0)), successors=("bb",)),
          PolylineLaneSpec("b", ((10, 0), (20, 0)))), r"unknown successor 'bb'.*did you mean 'b'"),
        ((PolylineLaneSpec("a", ((0, 0), (10, 0)), left="zzz"),), "unknown left neighbour 'zzz'"),
        ((PolylineLaneSpec("a", ((0, 0), (0, 0))),), "2 distinct points"),
        ((PolylineLaneSpec("a", ((0, 0), (1, 0)), width=0.0),), "width"),
        ((PolylineLaneSpec("a", ((0, 0), (1, 0))), PolylineLaneSpec("a", ((0, 1), (1, 1)))), "duplicate"),
        ((), "at least one"),
    ],
)
def test_polylines_errors(specs, match):
    with pytest.raises(RoadError, match=match):
        polylines(specs)


# ------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "spec, match",
    [
        (RoadSpec(type="straight", length=-5.0), "length"),
        (RoadSpec(type="straight", lane_width=0.0), "lane_width"),
        (RoadSpec(type="straight", lanes=0), "lanes"),
        (RoadSpec(type="curve", lanes=3, lane_width=3.5, radius=8.0, angle_deg=90), "too small"),
        (RoadSpec(type="curve", radius=1.0, angle_deg=-45), "too small"),
        (RoadSpec(type="curve", angle_deg=0.0), "angle_deg"),
        (RoadSpec(type="merge", length=150.0, merge_start=100.0, merge_length=80.0), "exceeds"),
        (RoadSpec(type="merge", ramp_angle_deg=95.0), "ramp_angle_deg"),
        (RoadSpec(type="intersection", turn_radius=-1.0), "turn_radius"),
        (RoadSpec(type="stright"), r"unknown road type 'stright'.*did you mean 'straight'"),
    ],
)
def test_build_errors(spec, match):
    with pytest.raises(RoadError, match=match):
        build_road(spec)


@pytest.mark.parametrize("type_", ["straight", "curve", "merge", "intersection"])
def test_build_road_defaults(type_):
    net = build_road(RoadSpec(type=type_))
    assert len(net) >= 1


def test_build_road_lanes_type():
    spec = RoadSpec(type="lanes", polylines=(PolylineLaneSpec("x", ((0, 0), (5, 5))),))
    assert build_road(spec).lane_ids == ("x",)


def test_builders_are_deterministic():
    a = build_road(RoadSpec(type="intersection", lanes=2))
    b = build_road(RoadSpec(type="intersection", lanes=2))
    assert a.lane_ids == b.lane_ids
    for lid in a.lane_ids:
        np.testing.assert_array_equal(a.lane(lid).points, b.lane(lid).points)
