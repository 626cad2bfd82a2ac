"""Tests for scenariogen.kernels.geometry.

Each kernel is checked against a closed form and against a slow, independent
reference (shapely polygons, a Minkowski polygon built by shapely, a fine time
grid), and once more with ``NUMBA_DISABLE_JIT=1`` in a subprocess.
"""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit
from numba.core.registry import CPUDispatcher
from shapely.geometry import LineString, MultiPoint, Point, Polygon

from scenariogen.kernels import geometry as g

REPO_ROOT = Path(__file__).resolve().parents[2]
TOL = 1e-9


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def random_boxes(rng, n, spread=10.0):
    """(n, 5) array of boxes: x, y, heading, length, width."""
    out = np.empty((n, 5))
    out[:, 0:2] = rng.uniform(-spread, spread, size=(n, 2))
    out[:, 2] = rng.uniform(-math.pi, math.pi, size=n)
    out[:, 3] = rng.uniform(0.5, 8.0, size=n)
    out[:, 4] = rng.uniform(0.5, 3.0, size=n)
    return out


def corners_np(boxes):
    """Vectorised numpy corners, (n, 4, 2), same order as box_corners."""
    x, y, h, ln, w = boxes.T
    c, s = np.cos(h), np.sin(h)
    ax, ay = 0.5 * ln * c, 0.5 * ln * s
    bx, by = -0.5 * w * s, 0.5 * w * c
    xs = np.stack([x + ax - bx, x + ax + bx, x - ax + bx, x - ax - bx], axis=1)
    ys = np.stack([y + ay - by, y + ay + by, y - ay + by, y - ay - by], axis=1)
    return np.stack([xs, ys], axis=2)


def kernel_corners(boxes):
    out = np.empty((len(boxes), 4, 2))
    for k, b in enumerate(boxes):
        g.box_corners(b[0], b[1], b[2], b[3], b[4], out[k])
    return out


def shapely_box(b):
    return Polygon(g.box_corners(b[0], b[1], b[2], b[3], b[4], np.empty((4, 2))))


# --------------------------------------------------------------------------
# box_corners
# --------------------------------------------------------------------------


def test_box_corners_closed_form():
    out = g.box_corners(1.0, 2.0, 0.0, 4.0, 2.0, np.empty((4, 2)))
    np.testing.assert_allclose(out, [[3, 1], [3, 3], [-1, 3], [-1, 1]])
    out = g.box_corners(0.0, 0.0, math.pi / 2, 4.0, 2.0, np.empty((4, 2)))
    np.testing.assert_allclose(out, [[1, 2], [-1, 2], [-1, -2], [1, -2]], atol=1e-15)


def test_box_corners_ccw_area_and_centre():
    boxes = random_boxes(np.random.default_rng(0), 500)
    cs = kernel_corners(boxes)
    np.testing.assert_allclose(cs, corners_np(boxes), rtol=0, atol=1e-12)
    x, y = cs[..., 0], cs[..., 1]
    area = 0.5 * np.sum(x * np.roll(y, -1, axis=1) - np.roll(x, -1, axis=1) * y, axis=1)
    np.testing.assert_allclose(area, boxes[:, 3] * boxes[:, 4], rtol=1e-12)  # > 0: CCW
    np.testing.assert_allclose(cs.mean(axis=1), boxes[:, :2], atol=1e-12)


# --------------------------------------------------------------------------
# boxes_overlap / box_distance
# --------------------------------------------------------------------------


def test_distance_and_overlap_vs_shapely_random():
    rng = np.random.default_rng(12345)
    n = 6000
    a = random_boxes(rng, n, spread=5.0)
    b = random_boxes(rng, n, spread=5.0)
    pa = shapely.polygons(kernel_corners(a))
    pb = shapely.polygons(kernel_corners(b))
    ref_d = shapely.distance(pa, pb)
    ref_i = shapely.intersects(pa, pb)
    got_d = np.array([g.box_distance(*a[k], *b[k]) for k in range(n)])
    got_i = np.array([g.boxes_overlap(*a[k], *b[k]) for k in range(n)])
    # both outcomes well represented
    assert 0.15 * n < ref_i.sum() < 0.85 * n
    np.testing.assert_allclose(got_d, ref_d, rtol=0, atol=TOL)
    clear = ref_d > TOL  # away from touching, overlap must agree exactly
    np.testing.assert_array_equal(got_i[clear], ref_i[clear])
    np.testing.assert_array_equal(got_i[ref_d == 0.0], True)
    assert np.all(got_d[got_i] == 0.0)
    assert np.all(got_d[~got_i] > 0.0)


@pytest.mark.parametrize("gap", [0.0, 1e-6, 0.3, 1.0, 7.5])
@pytest.mark.parametrize("h2", [0.0, math.pi])
def test_distance_axis_aligned_on_a_line(gap, h2):
    # box 1: centre 0, length 4; box 2: length 6, front-to-rear gap `gap`
    x2 = 2.0 + gap + 3.0
    d = g.box_distance(0.0, 0.0, 0.0, 4.0, 2.0, x2, 0.0, h2, 6.0, 1.5)
    assert d == pytest.approx(gap, abs=1e-12)
    assert g.boxes_overlap(0.0, 0.0, 0.0, 4.0, 2.0, x2, 0.0, h2, 6.0, 1.5) == (gap == 0.0)
    # lateral offset inside the width leaves the gap unchanged
    d = g.box_distance(0.0, 0.0, 0.0, 4.0, 2.0, x2, 0.5, h2, 6.0, 1.5)
    assert d == pytest.approx(gap, abs=1e-12)


def test_distance_closed_form_corner_and_diamond():
    # corner to corner: (1, 1) to (2, 2)
    assert g.box_distance(0, 0, 0, 2, 2, 3, 3, 0, 2, 2) == pytest.approx(math.sqrt(2))
    # a square turned 45 degrees: its corner points at the other's face
    half_diag = math.sqrt(2)
    d = g.box_distance(0, 0, 0, 2, 2, 1 + 0.5 + half_diag, 0, math.pi / 4, 2, 2)
    assert d == pytest.approx(0.5, abs=1e-12)
    # overlap -> exactly 0
    assert g.box_distance(0, 0, 0.3, 4, 2, 1, 0.5, -0.2, 4, 2) == 0.0


box_st = st.tuples(
    st.floats(-15, 15), st.floats(-15, 15), st.floats(-math.pi, math.pi),
    st.floats(0.1, 8.0), st.floats(0.1, 3.0),
)


# boxes on an integer grid at multiples of 45 degrees: many exactly touching pairs
grid_box_st = st.tuples(
    st.integers(-4, 4).map(float), st.integers(-4, 4).map(float),
    st.sampled_from([0.0, math.pi / 4, math.pi / 2, 3 * math.pi / 4, math.pi, -math.pi / 2]),
    st.integers(1, 6).map(float), st.integers(1, 3).map(float),
)


def _check_distance_properties(b1, b2):
    d12 = g.box_distance(*b1, *b2)
    d21 = g.box_distance(*b2, *b1)
    ov = g.boxes_overlap(*b1, *b2)
    assert d12 >= 0.0
    assert d12 == d21  # symmetric bit for bit
    assert ov == g.boxes_overlap(*b2, *b1)
    p1, p2 = shapely_box(b1), shapely_box(b2)
    ref = p1.distance(p2)
    assert abs(d12 - ref) <= TOL
    # distance 0 iff overlap; the only exception is boxes that touch to within
    # rounding (sin(pi/2) etc.), where the two tests may round differently
    if ov:
        assert d12 == 0.0
    elif d12 == 0.0:
        assert ref <= TOL
    if ov != p1.intersects(p2):
        assert ref <= TOL and d12 <= TOL


@settings(max_examples=400, deadline=None)
@given(box_st, box_st)
def test_distance_properties(b1, b2):
    _check_distance_properties(b1, b2)


@settings(max_examples=400, deadline=None)
@given(grid_box_st, grid_box_st)
def test_distance_properties_touching(b1, b2):
    _check_distance_properties(b1, b2)


def _distance_all_32(b1, b2):
    """box_distance as the minimum of all 32 vertex-to-edge distances, in plain Python with the
    kernel's own point-to-segment function (the reference for its pruning)."""
    if g.boxes_overlap(*b1, *b2):
        return 0.0
    xa, ya = g._corners(*b1)
    xb, yb = g._corners(*b2)
    best = math.inf
    for i in range(4):
        i2 = (i + 1) % 4
        for k in range(4):
            best = min(best, g._point_segment_dist2(xb[k], yb[k], xa[i], ya[i], xa[i2], ya[i2]),
                       g._point_segment_dist2(xa[k], ya[k], xb[i], yb[i], xb[i2], yb[i2]))
    return math.sqrt(best)


def test_distance_pruning_keeps_the_bits_of_all_32():
    """The pruned box distance is bit for bit the minimum of all 32 vertex-to-edge distances: random
    boxes, boxes on a metre grid at right angles (ties between candidates), and far from the
    origin."""
    rng = np.random.default_rng(5)
    loose = random_boxes(rng, 3000, spread=12.0)
    grid = np.round(random_boxes(rng, 3000, spread=6.0))
    grid[:, 2] = rng.choice([0.0, 0.5 * math.pi, math.pi, -0.5 * math.pi], len(grid))
    grid[:, 3:] = np.maximum(grid[:, 3:], 1.0)
    far = grid.copy()
    far[:, :2] += 4096.0
    for boxes in (loose, grid, far):
        for b1, b2 in boxes.reshape(-1, 2, 5):
            assert g.box_distance(*b1, *b2) == _distance_all_32(b1, b2)


def test_distance_below_is_the_distance_where_it_can_matter():
    """box_distance_below skips only pairs whose exact distance lies above the limit: with the
    limit at, just above or just below the exact distance (the running minimum of a metric) it
    returns the exact distance's bits, else inf."""
    rng = np.random.default_rng(11)
    pairs = random_boxes(rng, 4000, spread=15.0).reshape(2000, 2, 5)
    skipped = 0
    for b1, b2 in pairs:
        d = g.box_distance(*b1, *b2)
        for limit in (d, np.nextafter(d, np.inf), np.nextafter(d, -np.inf), 0.5 * d, d + 1.0, np.inf,
                      rng.uniform(0.0, 20.0)):
            got = g.box_distance_below(limit, *b1, *b2)
            if got == np.inf and d != np.inf:
                assert d > limit
                skipped += 1
            else:
                assert got == d  # the same bits
    assert skipped > 1000  # the bound does skip


def test_wrap_angle_fast_path_keeps_the_formula():
    """Angles below 3 rad take no division: the bits are the formula's."""
    two_pi = 2.0 * math.pi
    for a in np.concatenate([np.linspace(-3.2, 3.2, 20001), [-0.0, 0.0, 2.9999999999999996, -3.0, 3.0]]):
        want = a - two_pi * math.floor((a + math.pi) / two_pi)
        assert g.wrap_angle(a) == want and math.copysign(1.0, g.wrap_angle(a)) == math.copysign(1.0, want)


# --------------------------------------------------------------------------
# box_ttc
# --------------------------------------------------------------------------


@pytest.mark.parametrize("gap", [0.5, 3.0, 20.0])
@pytest.mark.parametrize("v1,v2", [(10.0, 5.0), (30.0, 0.0), (-2.0, -8.0), (4.0, -4.0)])
def test_ttc_on_a_line_closed_form(gap, v1, v2):
    x2 = 2.0 + gap + 2.5  # box 1 length 4, box 2 length 5
    t = g.box_ttc(0, 0, 0, 4, 2, v1, 0, x2, 0.4, math.pi, 5, 1.8, v2, 0, math.inf)
    assert t == pytest.approx(gap / (v1 - v2), rel=1e-12)
    # same, along a rotated road
    h = 0.7
    c, s = math.cos(h), math.sin(h)
    t = g.box_ttc(0, 0, h, 4, 2, v1 * c, v1 * s, x2 * c, x2 * s, h, 5, 1.8, v2 * c, v2 * s, math.inf)
    assert t == pytest.approx(gap / (v1 - v2), rel=1e-9)


def test_ttc_diverging_overlapping_and_horizon():
    # diverging
    assert g.box_ttc(0, 0, 0, 4, 2, 5, 0, 10, 0, 0, 4, 2, 10, 0, 100.0) == math.inf
    # same speed, never meet
    assert g.box_ttc(0, 0, 0, 4, 2, 5, 0, 10, 0, 0, 4, 2, 5, 0, 100.0) == math.inf
    # passing side by side in adjacent lanes: never touch
    assert g.box_ttc(0, 0, 0, 4, 2, 20, 0, 10, 3.5, 0, 4, 2, 5, 0, 100.0) == math.inf
    # overlapping now, whatever the motion
    assert g.box_ttc(0, 0, 0, 4, 2, 5, 0, 1, 0.5, 0.2, 4, 2, 10, 0, 100.0) == 0.0
    assert g.box_ttc(0, 0, 0, 4, 2, 5, 0, 1, 0.5, 0.2, 4, 2, -10, 3, 0.0) == 0.0
    # collision at t = 2 s, beyond a 1.5 s horizon
    assert g.box_ttc(0, 0, 0, 4, 2, 10, 0, 14, 0, 0, 4, 2, 5, 0, 1.5) == math.inf
    assert g.box_ttc(0, 0, 0, 4, 2, 10, 0, 14, 0, 0, 4, 2, 5, 0, 2.5) == pytest.approx(2.0)


def test_ttc_crossing_closed_form():
    # car 1 eastbound on y = 0 (x in [x1 - 2, x1 + 2], y in [-1, 1]); car 2
    # northbound on x = 0, heading pi/2 (x in [-1, 1], y in [y2 - 2, y2 + 2]).
    # x-extents meet while x1 in [-3, 3], y-extents while y2 in [-3, 3].
    # x1 = -20 + 10 t: t in [1.7, 2.3]; y2 = -30 + 10 t: t in [2.7, 3.3] -> miss.
    t = g.box_ttc(-20, 0, 0, 4, 2, 10, 0, 0, -30, math.pi / 2, 4, 2, 0, 10, math.inf)
    assert t == math.inf
    # y2 = -20 + 10 t: t in [1.7, 2.3] as well -> first contact at 1.7 s
    t = g.box_ttc(-20, 0, 0, 4, 2, 10, 0, 0, -20, math.pi / 2, 4, 2, 0, 10, math.inf)
    assert t == pytest.approx(1.7)


def _minkowski_ttc_reference(b1, v1, b2, v2, horizon):
    """Slow TTC: ray from the origin along dv = v2 - v1 against the shapely hull B1 - B2."""
    c1 = g.box_corners(*b1, np.empty((4, 2)))
    c2 = g.box_corners(*b2, np.empty((4, 2)))
    m = MultiPoint((c1[:, None, :] - c2[None, :, :]).reshape(-1, 2)).convex_hull
    origin = Point(0.0, 0.0)
    if m.intersects(origin):
        return 0.0
    dv = np.asarray(v2) - np.asarray(v1)
    speed = math.hypot(*dv)
    if speed == 0.0:
        return math.inf
    hit = LineString([(0.0, 0.0), tuple(dv * horizon)]).intersection(m)
    if hit.is_empty:
        return math.inf
    return origin.distance(hit) / speed


@njit(cache=True)
def _first_overlap_on_grid(b1, v1, b2, v2, horizon, dt):
    n = int(horizon / dt) + 1
    for k in range(n):
        t = k * dt
        if g.boxes_overlap(b1[0] + v1[0] * t, b1[1] + v1[1] * t, b1[2], b1[3], b1[4],
                           b2[0] + v2[0] * t, b2[1] + v2[1] * t, b2[2], b2[3], b2[4]):
            return t
    return np.inf


def _random_ttc_cases(rng, n):
    b1 = random_boxes(rng, n, spread=30.0)
    b2 = random_boxes(rng, n, spread=30.0)
    v1 = rng.uniform(-15, 15, size=(n, 2))
    # aim most relative velocities roughly at box 1 so that many cases collide
    aim = (b1[:, :2] - b2[:, :2]) / rng.uniform(1.0, 12.0, size=(n, 1))
    v2 = v1 + aim + rng.normal(0.0, 1.5, size=(n, 2))
    return b1, v1, b2, v2


def test_ttc_vs_minkowski_polygon_reference():
    rng = np.random.default_rng(7)
    n, horizon = 1500, 10.0
    b1, v1, b2, v2 = _random_ttc_cases(rng, n)
    n_hit = 0
    for k in range(n):
        got = g.box_ttc(*b1[k], *v1[k], *b2[k], *v2[k], horizon)
        ref = _minkowski_ttc_reference(b1[k], v1[k], b2[k], v2[k], horizon)
        if math.isinf(ref):
            # a ray grazing a corner can be lost by shapely's intersection
            assert math.isinf(got) or g.box_distance(
                *(b1[k][:2] + v1[k] * got), *b1[k][2:], *(b2[k][:2] + v2[k] * got), *b2[k][2:]
            ) <= 1e-9
        else:
            n_hit += 1
            assert got == pytest.approx(ref, abs=1e-9, rel=1e-9), k
    assert 0.2 * n < n_hit < 0.9 * n


def test_ttc_vs_time_grid_brute_force():
    rng = np.random.default_rng(11)
    n, horizon, dt = 400, 10.0, 1e-3
    b1, v1, b2, v2 = _random_ttc_cases(rng, n)
    n_hit = 0
    for k in range(n):
        got = g.box_ttc(*b1[k], *v1[k], *b2[k], *v2[k], horizon)
        grid = _first_overlap_on_grid(b1[k], v1[k], b2[k], v2[k], horizon, dt)
        if math.isfinite(grid):
            n_hit += 1
            assert got <= grid + 1e-12
            assert grid - got <= dt + 1e-12
        if math.isfinite(got):
            assert 0.0 <= got <= horizon
            p1 = b1[k][:2] + v1[k] * got
            p2 = b2[k][:2] + v2[k] * got
            assert g.box_distance(*p1, *b1[k][2:], *p2, *b2[k][2:]) <= 1e-9
            if got > 1e-6:  # just before: still apart
                p1 = b1[k][:2] + v1[k] * (got - 1e-6)
                p2 = b2[k][:2] + v2[k] * (got - 1e-6)
                assert not g.boxes_overlap(*p1, *b1[k][2:], *p2, *b2[k][2:])
        else:
            assert not math.isfinite(grid)
    assert n_hit > 0.2 * n


# --------------------------------------------------------------------------
# 1-D measures, circles
# --------------------------------------------------------------------------


def test_point_ttc_1d():
    assert g.point_ttc_1d(10.0, 4.0) == 2.5
    assert g.point_ttc_1d(10.0, 0.0) == math.inf
    assert g.point_ttc_1d(10.0, -3.0) == math.inf
    assert g.point_ttc_1d(-1.0, 3.0) == 0.0


def test_drac_closed_form():
    assert g.drac(10.0, 20.0, 10.0) == pytest.approx(5.0)
    assert g.drac(25.0, 30.0, 20.0) == pytest.approx(100.0 / 50.0)
    assert g.drac(10.0, 10.0, 20.0) == 0.0  # leader faster
    assert g.drac(10.0, 15.0, 15.0) == 0.0
    assert g.drac(0.0, 20.0, 10.0) == 0.0  # no gap: undefined, reported as 0
    assert g.drac(-2.0, 20.0, 10.0) == 0.0


def test_circle_metrics_match_c_formulas():
    assert g.circle_distance(0, 0, 2.6, 30, 40, 2.6) == pytest.approx(50 - 5.2)
    # head-on, closing at 15 m/s, clearance 14.8 m
    assert g.circle_ttc(0, 0, 10, 0, 2.6, 20, 0, -5, 0, 2.6) == pytest.approx(14.8 / 15)
    assert g.circle_ttc(0, 0, 0, 0, 2.6, 20, 0, 5, 0, 2.6) == math.inf  # opening
    assert g.circle_ttc(0, 0, 0, 0, 2.6, 3, 0, -1, 0, 2.6) == 0.0  # overlapping, closing
    assert g.circle_ttc(0, 0, 0, 0, 2.6, 0, 0, -1, 0, 2.6) == math.inf  # coincident
    # lateral motion only: closing speed is the projection on the centre line
    assert g.circle_ttc(0, 0, 0, 0, 1.0, 6, 8, -3, -4, 1.0) == pytest.approx(8.0 / 5.0)


# --------------------------------------------------------------------------
# PET
# --------------------------------------------------------------------------


def random_convex_quads(rng, n):
    ang = np.sort(rng.uniform(0, 2 * math.pi, size=(n, 4)), axis=1)
    rad = rng.uniform(1.0, 6.0, size=(n, 1))
    ctr = rng.uniform(-5, 5, size=(n, 1, 2))
    return ctr + rad[..., None] * np.stack([np.cos(ang), np.sin(ang)], axis=2)


def test_box_polygon_overlap_vs_shapely():
    rng = np.random.default_rng(3)
    n = 3000
    boxes = random_boxes(rng, n, spread=5.0)
    quads = random_convex_quads(rng, n)
    pq = shapely.polygons(quads)
    pb = shapely.polygons(kernel_corners(boxes))
    ref_i = shapely.intersects(pb, pq)
    ref_d = shapely.distance(pb, pq)
    got = np.array([g.box_polygon_overlap(*boxes[k], quads[k]) for k in range(n)])
    clear = ref_d > TOL
    assert 0.15 * n < ref_i.sum() < 0.85 * n
    np.testing.assert_array_equal(got[clear], ref_i[clear])
    np.testing.assert_array_equal(got[ref_d == 0.0], True)
    # winding order does not matter
    got_cw = np.array([g.box_polygon_overlap(*boxes[k], quads[k][::-1].copy()) for k in range(n)])
    np.testing.assert_array_equal(got_cw, got)


def _straight(start, velocity, heading, steps, dt):
    k = np.arange(steps, dtype=np.float64)[:, None]
    traj = np.asarray(start, dtype=np.float64) + k * dt * np.asarray(velocity, dtype=np.float64)
    return traj, np.full(steps, heading)


ZONE = np.array([[-2.0, -2.0], [2.0, -2.0], [2.0, 2.0], [-2.0, 2.0]])


def test_pet_hand_made_crossing():
    dt, steps = 0.1, 100
    # 4 m x 2 m cars at 10 m/s (1 m per step). Car 1 eastbound: footprint meets
    # the zone while |x| <= 4, x = -30.5 + k -> k = 27..34, leaves at k = 35.
    t1, h1 = _straight((-30.5, 0.0), (10.0, 0.0), 0.0, steps, dt)
    # Car 2 northbound: |y| <= 4, y = -50.5 + k -> enters at k = 47.
    t2, h2 = _straight((0.0, -50.5), (0.0, 10.0), math.pi / 2, steps, dt)
    e1, x1 = g.zone_entry_exit(t1, h1, 4.0, 2.0, ZONE, dt)
    e2, x2 = g.zone_entry_exit(t2, h2, 4.0, 2.0, ZONE, dt)
    assert (e1, x1) == pytest.approx((2.7, 3.5))
    assert (e2, x2) == pytest.approx((4.7, 5.5))
    assert g.pet_from_times(x1, e2) == pytest.approx(1.2)
    assert g.pet(t1, h1, 4.0, 2.0, t2, h2, 4.0, 2.0, ZONE, dt) == pytest.approx(1.2)
    assert g.pet(t2, h2, 4.0, 2.0, t1, h1, 4.0, 2.0, ZONE, dt) == pytest.approx(1.2)
    # car 2 arrives while car 1 is still inside: negative PET
    t3, h3 = _straight((0.0, -33.5), (0.0, 10.0), math.pi / 2, steps, dt)
    assert g.pet(t1, h1, 4.0, 2.0, t3, h3, 4.0, 2.0, ZONE, dt) == pytest.approx(3.0 - 3.5)
    # a car that never reaches the zone: no PET
    t4, h4 = _straight((0.0, -500.0), (0.0, 10.0), math.pi / 2, steps, dt)
    assert g.zone_entry_exit(t4, h4, 4.0, 2.0, ZONE, dt) == (math.inf, math.inf)
    assert g.pet(t1, h1, 4.0, 2.0, t4, h4, 4.0, 2.0, ZONE, dt) == math.inf
    # a car parked in the zone never leaves
    t5, h5 = _straight((0.0, 0.0), (0.0, 0.0), 0.0, steps, dt)
    assert g.zone_entry_exit(t5, h5, 4.0, 2.0, ZONE, dt) == (0.0, math.inf)
    assert g.pet(t5, h5, 4.0, 2.0, t2, h2, 4.0, 2.0, ZONE, dt) == -math.inf


# --------------------------------------------------------------------------
# same numbers without the JIT
# --------------------------------------------------------------------------

_SCRIPT = r'''
import json, math, sys
import numpy as np
from scenariogen.kernels import geometry as g

def compute():
    rng = np.random.default_rng(2024)
    res = {}
    boxes = np.column_stack([
        rng.uniform(-8, 8, (60, 2)), rng.uniform(-3.2, 3.2, 60),
        rng.uniform(0.5, 6, 60), rng.uniform(0.5, 3, 60)])
    vel = rng.uniform(-10, 10, (60, 2))
    out = np.empty((4, 2))
    res["corners"] = [float(v) for b in boxes for v in g.box_corners(*b, out).ravel()]
    res["overlap"] = [float(g.boxes_overlap(*boxes[k], *boxes[k + 1])) for k in range(59)]
    res["distance"] = [g.box_distance(*boxes[k], *boxes[k + 1]) for k in range(59)]
    res["ttc"] = [g.box_ttc(*boxes[k], *vel[k], *boxes[k + 1], *vel[k + 1], 10.0)
                  for k in range(59)]
    res["point_ttc_1d"] = [g.point_ttc_1d(a, b) for a, b in rng.uniform(-5, 20, (20, 2))]
    res["drac"] = [g.drac(*v) for v in rng.uniform(-2, 30, (20, 3))]
    res["circle_distance"] = [g.circle_distance(*v) for v in rng.uniform(-10, 10, (20, 6))]
    res["circle_ttc"] = [g.circle_ttc(*v) for v in rng.uniform(-10, 10, (20, 10))]
    quad = np.array([[-2.0, -2.0], [2.0, -2.0], [2.5, 2.0], [-2.0, 1.5]])
    res["box_polygon_overlap"] = [float(g.box_polygon_overlap(*b, quad)) for b in boxes]
    k = np.arange(80, dtype=np.float64)[:, None]
    t1 = np.array([-30.5, 0.3]) + k * np.array([1.0, 0.0])
    t2 = np.array([0.2, -45.5]) + k * np.array([0.0, 1.1])
    h1 = np.full(80, 0.05)
    h2 = np.full(80, math.pi / 2)
    res["zone_entry_exit"] = list(g.zone_entry_exit(t1, h1, 4.0, 2.0, quad, 0.1))
    res["pet"] = [g.pet(t1, h1, 4.0, 2.0, t2, h2, 4.5, 1.9, quad, 0.1),
                  g.pet_from_times(3.5, 4.7)]
    return res

if __name__ == "__main__":
    from numba.core.registry import CPUDispatcher
    res = compute()
    res["jit"] = isinstance(g.box_ttc, CPUDispatcher)
    json.dump(res, sys.stdout)
'''


def test_same_numbers_with_numba_disable_jit():
    env = dict(os.environ)
    env["NUMBA_DISABLE_JIT"] = "1"
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), env.get("PYTHONPATH", "")])
    proc = subprocess.run(
        [sys.executable, "-c", _SCRIPT], env=env, cwd=REPO_ROOT,
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    nojit = json.loads(proc.stdout)
    assert nojit.pop("jit") is False
    namespace = {"__name__": "geometry_nojit_script"}
    exec(compile(_SCRIPT, "<nojit-script>", "exec"), namespace)
    if not isinstance(g.box_ttc, CPUDispatcher):
        pytest.skip("the JIT is disabled in this process: nothing to compare with")
    jit = namespace["compute"]()
    assert set(jit) == set(nojit)
    for name, values in jit.items():
        np.testing.assert_allclose(
            np.asarray(values, dtype=float), np.asarray(nojit[name], dtype=float),
            rtol=1e-12, atol=1e-12, err_msg=name,
        )
