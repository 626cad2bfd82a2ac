"""Property tests: the lane frame round-trips on random straight and curved roads."""

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from scenariogen.road.builders import curve, straight

lanes = st.integers(1, 4)
widths = st.floats(2.5, 4.5)
fractions = st.floats(0.0, 1.0)
offsets = st.floats(-0.45, 0.45)


def _check(net, lane_index, frac, off_frac, tol):
    lid = str(min(lane_index, len(net) - 1))
    lane = net.lane(lid)
    s, off = frac * lane.length, off_frac * lane.width
    x, y, h = net.to_world(lid, s, off)
    got, s2, off2 = net.locate(x, y, heading=h)
    assert got == lid
    assert abs(s2 - s) < tol and abs(off2 - off) < tol
    x2, y2, _ = net.to_world(got, s2, off2)
    assert math.hypot(x2 - x, y2 - y) < tol


@settings(max_examples=60, deadline=None)
@given(lanes, widths, st.floats(1.0, 500.0), st.integers(0, 3), fractions, offsets)
def test_straight_round_trip(n, w, length, i, frac, off):
    _check(straight(lanes=n, lane_width=w, length=length), i, frac, off, 1e-6)


@settings(max_examples=60, deadline=None)
@given(lanes, widths, st.floats(0.0, 300.0), st.floats(5.0, 300.0), st.sampled_from([-1, 1]),
       st.integers(0, 3), fractions, offsets)
def test_curve_round_trip(n, w, extra_radius, angle_deg, sign, i, frac, off):
    radius = (n - 0.5) * w + 0.5 + extra_radius  # always valid
    net = curve(lanes=n, lane_width=w, radius=radius, angle_deg=sign * angle_deg)
    _check(net, i, frac, off, 1e-6)
    lane = net.lane("0")
    assert abs(lane.length - radius * math.radians(angle_deg)) < 1e-3 * lane.length
