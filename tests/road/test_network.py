import math

import numpy as np
import pytest

from scenariogen.errors import RoadError
from scenariogen.road import Lane, RoadNetwork


def _round_trip(net, rng, n, tol, exact_lane=lambda lid: True):
    """(lane, s, offset) -> world -> locate -> same (lane, s, offset), and back to the same point."""
    ids = list(net.lane_ids)
    for _ in range(n):
        lid = ids[rng.integers(len(ids))]
        lane = net.lane(lid)
        s = rng.uniform(0.0, lane.length)
        off = rng.uniform(-0.45, 0.45) * lane.width
        x, y, h = net.to_world(lid, s, off)
        got, s2, off2 = net.locate(x, y, heading=h)
        x2, y2, _ = net.to_world(got, s2, off2)
        assert math.hypot(x2 - x, y2 - y) < tol, (lid, s, off, got, s2, off2)
        if exact_lane(lid):
            assert got == lid, (lid, s, off, got)
            assert s2 == pytest.approx(s, abs=tol)
            assert off2 == pytest.approx(off, abs=tol)


def test_round_trip_straight(straight3):
    _round_trip(straight3, np.random.default_rng(0), 300, 1e-6)


def test_round_trip_curve(curve_left):
    _round_trip(curve_left, np.random.default_rng(1), 300, 1e-6)


def test_round_trip_merge(merge2):
    _round_trip(merge2, np.random.default_rng(2), 300, 1e-6)


def test_round_trip_intersection(cross2):
    # Connectors overlap one another inside the junction, so only the point is checked for them.
    _round_trip(cross2, np.random.default_rng(3), 300, 1e-6, exact_lane=lambda lid: ">" not in lid)


def test_locate_prefers_heading():
    fwd = Lane("fwd", [(0, 0), (10, 0)], 3.0)
    back = Lane("back", [(10, 0.2), (0, 0.2)], 3.0)
    net = RoadNetwork([fwd, back])
    assert net.locate(5.0, 0.15)[0] == "back"
    assert net.locate(5.0, 0.15, heading=0.1)[0] == "fwd"
    assert net.locate(5.0, 0.15, heading=math.pi)[0] == "back"


def test_locate_off_the_ends_returns_nearest_extrapolated(straight3):
    lid, s, off = straight3.locate(-4.0, 3.6)
    assert lid == "1" and s == pytest.approx(-4.0) and off == pytest.approx(0.1)


def test_advance_across_boundaries(merge2):
    net = merge2
    ramp = net.lane("ramp").length
    assert net.advance("ramp", ramp - 5.0, 15.0) == pytest.approx(("accel", 10.0))
    lid, s = net.advance("ramp", 10.0, 500.0)  # runs off the end of accel, which ends
    assert lid == "accel" and s == pytest.approx(10.0 + 500.0 - ramp)
    assert net.advance("accel", 3.0, -10.0) == pytest.approx(("ramp", ramp - 7.0))
    lid, s = net.advance("ramp", 2.0, -5.0)  # nothing before the ramp
    assert lid == "ramp" and s == pytest.approx(-3.0)
    assert net.advance("0", 10.0, 20.0) == ("0", 30.0)


def test_advance_follows_first_successor(cross2):
    net = cross2
    L = net.lane("S_in_0").length
    straight_len = net.lane("S_in_0>N_out_0").length
    assert net.advance("S_in_0", L - 1.0, 2.0) == pytest.approx(("S_in_0>N_out_0", 1.0))
    assert net.advance("S_in_0", L - 1.0, 1.0 + straight_len + 4.0) == pytest.approx(("N_out_0", 4.0))
    assert net.advance("N_out_0", 1.0, -3.0) == pytest.approx(("S_in_0>N_out_0", straight_len - 2.0))


def test_unknown_lane_lists_valid_ids(straight3):
    with pytest.raises(RoadError, match=r"unknown lane '7'.*valid lane ids: 0, 1, 2"):
        straight3.lane("7")
    with pytest.raises(RoadError, match="did you mean 'accel'"):
        RoadNetwork([Lane("accel", [(0, 0), (1, 0)], 3.0)]).successors("acel")
    for method in ("successors", "predecessors", "left", "right"):
        with pytest.raises(RoadError):
            getattr(straight3, method)("nope")
    with pytest.raises(RoadError):
        straight3.to_world("nope", 1.0)


def test_network_validation():
    a = Lane("a", [(0, 0), (1, 0)], 3.0)
    with pytest.raises(RoadError, match="duplicate"):
        RoadNetwork([a, a])
    with pytest.raises(RoadError, match="unknown successor"):
        RoadNetwork([a], successors={"a": ["b"]})
    with pytest.raises(RoadError, match="unknown right neighbour"):
        RoadNetwork([a], right={"a": "b"})
    with pytest.raises(RoadError, match="at least one lane"):
        RoadNetwork([])


def test_graph_matches_relations(cross2):
    g = cross2.graph
    assert list(g.nodes) == list(cross2.lane_ids)
    for lid in cross2.lane_ids:
        assert tuple(g.successors(lid)) == cross2.successors(lid)
        assert set(g.predecessors(lid)) == set(cross2.predecessors(lid))
        assert g.nodes[lid]["left"] == cross2.left(lid)
        assert g.nodes[lid]["right"] == cross2.right(lid)
