"""Lane geometry lookups (scenariogen.kernels.lanes) on a lane sampled from a circular arc, against
the closed form, and the pose with an offset against the centreline plus the offset along the normal."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scenariogen.kernels.lanes import lane_centre, lane_pose, project_local

R = 40.0  # m, radius of the arc (left turn)
N_PTS = 201
LENGTH = 0.5 * math.pi * R  # a quarter circle
H0 = 0.3  # rad, heading at the start


def arc_lane():
    """One lane: ``N_PTS`` points evenly spaced along a quarter circle of radius ``R`` starting at
    the origin with heading ``H0``, curving left."""
    s = np.linspace(0.0, LENGTH, N_PTS)
    h = H0 + s / R
    cx, cy = -R * math.sin(H0), R * math.cos(H0)  # the circle's centre
    px = cx + R * np.sin(h)
    py = cy - R * np.cos(h)
    return (np.array([0, N_PTS], np.int64), np.array([LENGTH]), px, py, h, np.full(N_PTS, 1.0 / R))


LANE = arc_lane()


@pytest.mark.parametrize("s", [1e-9, 0.37, 10.0, 31.41, LENGTH - 1e-3])
def test_centre_on_the_arc(s):
    off, length, px, py, ph, pk = LANE
    x, y, h, k = lane_centre(off, length, px, py, ph, pk, 0, s)
    # chords of a 0.31 m segment lie within R (1 - cos(dphi / 2)) ~ 3e-4 m of the circle
    cx, cy = -R * math.sin(H0), R * math.cos(H0)
    assert math.hypot(x - cx, y - cy) == pytest.approx(R, abs=5e-4)
    assert h == pytest.approx(H0 + s / R, abs=1e-12)
    assert k == pytest.approx(1.0 / R)


@pytest.mark.parametrize("s", [-7.5, LENGTH + 12.0])
def test_centre_goes_straight_past_the_ends(s):
    off, length, px, py, ph, pk = LANE
    x, y, h, k = lane_centre(off, length, px, py, ph, pk, 0, s)
    end = 0 if s < 0 else N_PTS - 1
    e = s if s < 0 else s - LENGTH
    assert (h, k) == (ph[end], 0.0)
    assert x == pytest.approx(px[end] + e * math.cos(ph[end]), abs=1e-12)
    assert y == pytest.approx(py[end] + e * math.sin(ph[end]), abs=1e-12)


@pytest.mark.parametrize("s", [-3.0, 0.0, 5.5, 30.0, LENGTH, LENGTH + 4.0])
@pytest.mark.parametrize("d", [0.0, -1.75, 2.2])
def test_pose_is_the_centre_moved_along_the_normal(s, d):
    off, length, px, py, ph, pk = LANE
    x0, y0, h0, k0 = lane_centre(off, length, px, py, ph, pk, 0, s)
    x, y, h, k = lane_pose(off, length, px, py, ph, pk, 0, s, d)
    assert (x, y, h, k) == (x0 - math.sin(h0) * d, y0 + math.cos(h0) * d, h0, k0)  # bit for bit


@pytest.mark.parametrize("s, d", [(3.0, 0.4), (25.0, -1.5), (50.0, 1.9)])
def test_projection_inverts_the_pose(s, d):
    off, length, px, py, ph, pk = LANE
    x, y, _h, _k = lane_pose(off, length, px, py, ph, pk, 0, s, d)
    s2, d2 = project_local(off, length, px, py, ph, pk, 0, x, y, s + 0.8)
    assert (s2, d2) == pytest.approx((s, d), abs=1e-3)
