import math

import numpy as np
import pytest
from shapely.geometry import LineString

from scenariogen.errors import RoadError
from scenariogen.road import Lane


def test_straight_lane_position_heading_extrapolation():
    lane = Lane("a", LineString([(0, 0), (10, 0)]), 3.0)
    assert lane.length == 10.0
    assert lane.position(4.0, 1.0) == pytest.approx((4.0, 1.0, 0.0))
    assert lane.position(-2.0) == pytest.approx((-2.0, 0.0, 0.0))  # straight extrapolation
    assert lane.position(12.0, -1.0) == pytest.approx((12.0, -1.0, 0.0))
    assert lane.local_coordinates(15.0, 2.0) == pytest.approx((15.0, 2.0))
    assert lane.local_coordinates(-3.0, -2.0) == pytest.approx((-3.0, -2.0))
    assert lane.curvature_at(5.0) == 0.0


def test_vectorised_matches_scalar():
    lane = Lane("a", [(0, 0), (10, 0), (20, 5), (25, 15)], 3.0)
    s = np.linspace(-2, lane.length + 2, 37)
    o = np.linspace(-1.2, 1.2, 37)
    x, y, h = lane.positions(s, o)
    for k in range(len(s)):
        assert (x[k], y[k], h[k]) == pytest.approx(lane.position(s[k], o[k]))
    s2, o2 = lane.local_coordinates_array(x, y)
    np.testing.assert_allclose(s2, s, atol=1e-8)
    np.testing.assert_allclose(o2, o, atol=1e-8)


def test_polyline_heading_is_continuous():
    lane = Lane("a", [(0, 0), (10, 0), (20, 10)], 3.0)
    assert lane.heading_at(10.0) == pytest.approx(math.pi / 8)
    hs = lane.heading_at(np.linspace(0, lane.length, 200))
    assert np.max(np.abs(np.diff(hs))) < 0.02


@pytest.mark.parametrize(
    "points, width",
    [([(0, 0)], 3.0), ([(1, 1), (1, 1)], 3.0), ([(0, 0), (1, 0)], 0.0), ([(0, 0), (1, 0)], -2.0),
     ([(0, 0), (float("nan"), 0)], 3.0)],
)
def test_bad_lane_raises(points, width):
    with pytest.raises(RoadError):
        Lane("bad", points, width)


def test_lane_is_read_only():
    lane = Lane("a", [(0, 0), (10, 0)], 3.0)
    with pytest.raises(AttributeError):
        lane.width = 5.0
    with pytest.raises(ValueError):
        lane.points[0, 0] = 3.0


@pytest.mark.parametrize("points", [[(0, 0, 0), (1, 0, 0)], [(0, 0), (1,)], "abc", [1.0, 2.0]])
def test_malformed_points_raise(points):
    with pytest.raises(RoadError, match="points"):
        Lane("bad", points, 3.0)
