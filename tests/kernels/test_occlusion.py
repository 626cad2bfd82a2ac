"""Tests for scenariogen.kernels.occlusion (and the ray primitives of scenariogen.kernels.rays).

The exact angular sweep is checked on hand-made scenes with closed-form answers,
against an independent dense ray-cast reference (numpy, vectorised over scenes)
on 10 000 random scenes, with hypothesis properties, against a per-target loop
for the batched kernel, and once more with ``NUMBA_DISABLE_JIT=1`` in a
subprocess.
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
from numba.core.registry import CPUDispatcher

from scenariogen.kernels import occlusion as oc

REPO_ROOT = Path(__file__).resolve().parents[2]
PI = math.pi
TWO_PI = 2.0 * math.pi


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def box(x, y, h, length, width):
    """Corner arrays ``(xs, ys)`` of an oriented box, CCW (independent of the kernels)."""
    c, s = math.cos(h), math.sin(h)
    fx, fy = 0.5 * length * c, 0.5 * length * s
    lx, ly = -0.5 * width * s, 0.5 * width * c
    xs = np.array([x + fx - lx, x + fx + lx, x - fx + lx, x - fx - lx])
    ys = np.array([y + fy - ly, y + fy + ly, y - fy + ly, y - fy - ly])
    return xs, ys


def boxes_np(x, y, h, length, width):
    """Vectorised :func:`box`: corners of shape ``x.shape + (4, 2)``."""
    c, s = np.cos(h), np.sin(h)
    fx, fy = 0.5 * length * c, 0.5 * length * s
    lx, ly = -0.5 * width * s, 0.5 * width * c
    xs = np.stack([x + fx - lx, x + fx + lx, x - fx + lx, x - fx - lx], -1)
    ys = np.stack([y + fy - ly, y + fy + ly, y - fy + ly, y - fy - ly], -1)
    return np.stack([xs, ys], -1)


def csr(polys, skip=None):
    """CSR arguments ``px, py, start, count, skip`` for a list of ``(xs, ys)``."""
    if not polys:
        return (np.empty(0), np.empty(0), np.empty(0, np.int64), np.empty(0, np.int64),
                np.zeros(0, np.bool_))
    count = np.array([len(p[0]) for p in polys], dtype=np.int64)
    start = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64)
    px = np.concatenate([np.asarray(p[0], float) for p in polys])
    py = np.concatenate([np.asarray(p[1], float) for p in polys])
    if skip is None:
        skip = np.zeros(len(polys), np.bool_)
    return px, py, start, count, np.asarray(skip, np.bool_)


def frac(target, occluders=(), yaw=0.0, fov=TWO_PI, rng=100.0, origin=(0.0, 0.0), skip=None):
    tx, ty = target
    return oc.visible_fraction(origin[0], origin[1], yaw, fov, rng,
                               np.ascontiguousarray(tx, float), np.ascontiguousarray(ty, float),
                               *csr(list(occluders), skip))


# --------------------------------------------------------------------------
# hand-made scenes
# --------------------------------------------------------------------------

# A target standing across the x axis at x = 20: 1 m deep, 4 m wide. Its
# silhouette is [-ALPHA, ALPHA], bounded by the near corners (19.5, +-2).
TARGET = box(20.0, 0.0, PI / 2, 4.0, 1.0)
ALPHA = math.atan2(2.0, 19.5)
# An occluder whose lower edge lies on the x axis and which covers angles
# [0, atan(3 / 9.5)] > [0, ALPHA]: it hides exactly the upper half.
UPPER_HALF = box(10.0, 1.5, 0.0, 1.0, 3.0)


def test_fully_visible():
    assert frac(TARGET) == 1.0
    assert frac(TARGET, yaw=0.0, fov=PI / 2, rng=50.0) == 1.0


def test_half_hidden_behind_box():
    assert frac(TARGET, [UPPER_HALF], fov=PI / 2) == pytest.approx(0.5, abs=1e-12)
    assert oc.is_visible(0.0, 0.0, 0.0, PI / 2, 100.0, *TARGET, *csr([UPPER_HALF]), 0.3)
    assert not oc.is_visible(0.0, 0.0, 0.0, PI / 2, 100.0, *TARGET, *csr([UPPER_HALF]), 0.6)


def test_hidden_share_closed_form():
    # an occluder edge along the ray at angle beta hides [beta, ALPHA]
    beta = 0.3 * ALPHA
    c, s = math.cos(beta), math.sin(beta)
    # a thin 1 m x 3 m plate whose lower long side runs along the ray at beta
    occ = (np.array([10 * c, 11 * c, 11 * c - 3 * s, 10 * c - 3 * s]),
           np.array([10 * s, 11 * s, 11 * s + 3 * c, 10 * s + 3 * c]))
    assert frac(TARGET, [occ]) == pytest.approx((beta + ALPHA) / (2 * ALPHA), abs=1e-12)


def test_fully_hidden_behind_bigger_box():
    assert frac(TARGET, [box(10.0, 0.0, 0.0, 1.0, 6.0)]) == 0.0


def test_covering_occluder_that_is_not_wholly_nearer():
    """The shortcut for a target that one occluder covers whole needs the occluder wholly nearer:
    a long wall that spans the silhouette but reaches past the target's near face (it crosses the
    target) hides only what lies behind it, as the sweep finds."""
    # a thin wall from (15, -6) to (25, 6): it spans [-ALPHA, ALPHA] and crosses the target's centre
    wall = (np.array([15.0, 25.0, 25.0, 15.0]), np.array([-6.0, 6.0, 6.1, -5.9]))
    got = frac(TARGET, [wall])
    assert 0.0 < got < 1.0
    assert frac(TARGET, [wall, box(10.0, 0.0, 0.0, 1.0, 6.0)]) == 0.0  # a covering box in front of both


def test_occluder_behind_target_does_nothing():
    assert frac(TARGET, [box(30.0, 0.0, 0.0, 1.0, 10.0)]) == 1.0


def test_hidden_behind_static_polygon():
    pentagon = (np.array([8.0, 12.0, 13.0, 10.0, 7.0]), np.array([-4.0, -3.0, 2.0, 5.0, 1.0]))
    assert frac(TARGET, [pentagon]) == 0.0
    # the same through the batched kernel: agent 0 is the ego at the origin
    ax, ay = np.array([0.0, 20.0]), np.array([0.0, 0.0])
    ah, al, aw = np.array([0.0, PI / 2]), np.array([4.5, 4.0]), np.array([2.0, 1.0])
    out = np.full(2, -1.0)
    px, py, start, count, _ = csr([pentagon])
    oc.visibility_all(0.0, 0.0, 0.0, TWO_PI, 100.0, ax, ay, ah, al, aw,
                      np.ones(2, np.bool_), 0, px, py, start, count, out)
    assert out.tolist() == [0.0, 0.0]
    px, py, start, count, _ = csr([])
    oc.visibility_all(0.0, 0.0, 0.0, TWO_PI, 100.0, ax, ay, ah, al, aw,
                      np.ones(2, np.bool_), 0, px, py, start, count, out)
    assert out.tolist() == [0.0, 1.0]


def test_skip_mask_and_wall_segment():
    wall = (np.array([10.0, 10.0]), np.array([0.0, 5.0]))  # two vertices: a segment
    assert frac(TARGET, [wall]) == pytest.approx(0.5, abs=1e-12)
    assert frac(TARGET, [wall], skip=[True]) == 1.0
    assert frac(TARGET, [(np.array([10.0]), np.array([0.0]))]) == 1.0  # a point hides nothing


def test_partly_outside_fov():
    # FOV [0, pi/2]: exactly the upper half
    assert frac(TARGET, yaw=PI / 4, fov=PI / 2) == pytest.approx(0.5, abs=1e-12)
    # FOV edge at angle beta inside the silhouette
    beta = 0.4 * ALPHA
    f = frac(TARGET, yaw=beta + 0.5, fov=1.0)
    assert f == pytest.approx((ALPHA - beta) / (2 * ALPHA), abs=1e-12)
    # entirely outside
    assert frac(TARGET, yaw=PI / 2, fov=1.0) == 0.0
    assert frac(TARGET, fov=0.0) == 0.0


def test_beyond_range():
    assert frac(TARGET, rng=10.0) == 0.0
    assert frac(TARGET, rng=19.4) == 0.0


def test_straddling_range_circle():
    # a 40 m wide, 0.2 m thick wall at x = 20: only |y| <= sqrt(r^2 - 19.9^2)
    # of its near face is within range r = 25
    wall = box(20.0, 0.0, PI / 2, 40.0, 0.2)
    expected = math.atan(math.sqrt(25.0**2 - 19.9**2) / 19.9) / math.atan(20.0 / 19.9)
    assert frac(wall, rng=25.0) == pytest.approx(expected, abs=1e-12)
    # the near face fully in range, the far corners not: still fully visible
    assert frac(TARGET, rng=20.0) == 1.0


def test_target_behind_sensor():
    behind = box(-20.0, 0.0, PI / 2, 4.0, 1.0)
    assert frac(behind, yaw=0.0, fov=PI / 2) == 0.0
    assert frac(behind, yaw=0.0, fov=TWO_PI) == 1.0
    assert frac(behind, yaw=0.0, fov=10.0) == 1.0


def test_target_straddling_pi():
    behind = box(-20.0, 0.0, PI / 2, 4.0, 1.0)  # silhouette [pi - ALPHA, -pi + ALPHA]
    assert frac(behind, yaw=PI, fov=PI / 2) == 1.0
    assert frac(behind, yaw=-PI, fov=PI / 2) == 1.0
    # FOV [pi/2, pi] sees the y >= 0 half, FOV [-pi, -pi/2] the other half
    assert frac(behind, yaw=0.75 * PI, fov=PI / 2) == pytest.approx(0.5, abs=1e-12)
    assert frac(behind, yaw=-0.75 * PI, fov=PI / 2) == pytest.approx(0.5, abs=1e-12)
    # an occluder hiding the y >= 0 half, mirrored from UPPER_HALF
    mirrored = box(-10.0, 1.5, 0.0, 1.0, 3.0)
    assert frac(behind, [mirrored], yaw=PI, fov=1.0) == pytest.approx(0.5, abs=1e-12)
    # the same scene rotated by a few angles around the sensor
    for rot in np.linspace(-PI, PI, 13):
        c, s = math.cos(rot), math.sin(rot)
        rt = (c * behind[0] - s * behind[1], s * behind[0] + c * behind[1])
        ro = (c * mirrored[0] - s * mirrored[1], s * mirrored[0] + c * mirrored[1])
        assert frac(rt, [ro], yaw=PI + rot, fov=1.0) == pytest.approx(0.5, abs=1e-9)


def test_sensor_inside_occluder_is_ignored():
    around = box(0.0, 0.0, 0.3, 4.5, 2.0)
    assert frac(TARGET, [around]) == 1.0
    # sensor on the occluder's boundary: also ignored
    edge = box(2.25, 0.0, 0.0, 4.5, 2.0)
    assert frac(TARGET, [edge]) == 1.0
    # and the remaining occluders still count
    assert frac(TARGET, [around, UPPER_HALF]) == pytest.approx(0.5, abs=1e-12)


def test_target_containing_sensor():
    assert frac(box(1.0, 0.0, 0.0, 4.5, 2.0), [UPPER_HALF], yaw=PI, fov=0.5, rng=0.1) == 1.0


def test_translated_sensor():
    shifted = (TARGET[0] + 7.0, TARGET[1] - 3.0)
    occ = (UPPER_HALF[0] + 7.0, UPPER_HALF[1] - 3.0)
    f = frac(shifted, [occ], origin=(7.0, -3.0), fov=PI / 2)
    assert f == pytest.approx(0.5, abs=1e-12)


def test_shared_face_counts_as_hidden():
    # the target [0.5, 1.5]^2 lies inside an occluder whose near face y = 0.5
    # it shares: rays through that face meet both at the same point, a tie,
    # which hides; the answer must not depend on rounding (rotate the scene)
    target = box(1.0, 1.0, 0.0, 1.0, 1.0)
    cover = box(0.0, 1.0, 0.0, 3.0, 1.0)
    assert frac(target, [cover], 0.0, 1.0, 2.0) == 0.0
    c, s = math.cos(1.0), math.sin(1.0)
    rt = (c * target[0] - s * target[1], s * target[0] + c * target[1])
    rc = (c * cover[0] - s * cover[1], s * cover[0] + c * cover[1])
    assert frac(rt, [rc], 1.0, 1.0, 2.0) == 0.0
    # a point target on an occluder's face is hidden too
    assert frac((np.full(4, 10.0), np.zeros(4)), [box(10.5, 0.0, 0.0, 1.0, 1.0)]) == 0.0


def test_zero_size_targets():
    point = (np.full(4, 10.0), np.zeros(4))
    assert frac(point) == 1.0
    assert frac(point, [box(5.0, 0.0, 0.0, 1.0, 1.0)]) == 0.0
    assert frac(point, rng=9.0) == 0.0
    assert frac(point, yaw=PI, fov=1.0) == 0.0
    # a segment seen end-on
    rod = (np.array([10.0, 12.0]), np.array([0.0, 0.0]))
    assert frac(rod) == 1.0
    assert frac(rod, [box(11.0, 0.0, 0.0, 0.5, 0.5)]) == 1.0  # behind the rod's near end
    assert frac((np.empty(0), np.empty(0))) == 0.0
    # a zero-size occluder hides nothing
    assert frac(TARGET, [(np.full(4, 10.0), np.zeros(4))]) == 1.0


def test_clockwise_polygons():
    cw_target = (TARGET[0][::-1].copy(), TARGET[1][::-1].copy())
    cw_occ = (UPPER_HALF[0][::-1].copy(), UPPER_HALF[1][::-1].copy())
    assert frac(cw_target, [cw_occ]) == pytest.approx(0.5, abs=1e-12)
    around = box(0.0, 0.0, 0.3, 4.5, 2.0)
    assert frac(TARGET, [(around[0][::-1].copy(), around[1][::-1].copy())]) == 1.0


def test_overlapping_occluder():
    # an occluder poking into the target from the front-left: the sweep must
    # split at the crossing of their edges; compare with the dense reference
    occ = box(19.0, 1.0, 0.4, 3.0, 1.0)
    assert shapely.intersects(shapely.polygons(np.stack(TARGET, 1)), shapely.polygons(np.stack(occ, 1)))
    f = frac(TARGET, [occ])
    polys = np.zeros((1, 2, 4, 2))
    polys[0, 0] = np.stack(TARGET, 1)
    polys[0, 1] = np.stack(occ, 1)
    ref = reference_fractions(polys, np.ones((1, 2), bool), np.zeros(1), np.full(1, TWO_PI),
                              np.full(1, 100.0), rays=20000)
    assert 0.0 < f < 1.0
    assert f == pytest.approx(ref[0], abs=1e-3)


# --------------------------------------------------------------------------
# dense ray-cast reference
# --------------------------------------------------------------------------


def reference_fractions(polys, active, yaw, fov, rng, rays=2000, chunk=8):
    """Dense ray casting, vectorised over scenes.

    ``polys`` (S, P, M, 2): polygon 0 is the target, 1.. occluders; vertex lists
    shorter than M are padded by repeating their last vertex (zero-length edges
    never register a hit). ``active`` (S, P) masks absent occluders. ``rays``
    rays at the cell centres of the target's angular interval; a ray counts if
    it is inside the FOV and its first hit is the target, within range.
    """
    out = np.empty(len(polys))
    # chunks of scenes with similar numbers of polygons, cut to what they use
    n_used = active.shape[1] - np.argmax(active[:, ::-1], axis=1)
    order = np.argsort(n_used, kind="stable")
    for lo in range(0, len(polys), chunk):
        sl = order[lo : lo + chunk]
        v = polys[sl, : n_used[sl].max()]  # (S, P, M, 2)
        # target silhouette, angles relative to the direction of its vertex mean
        tv = v[:, 0]  # (S, M, 2)
        cen = tv.mean(axis=1)
        cdir = np.arctan2(cen[:, 1], cen[:, 0])
        ang = np.arctan2(tv[..., 1], tv[..., 0]) - cdir[:, None]
        ang = (ang + np.pi) % TWO_PI - np.pi
        a0, a1 = ang.min(axis=1), ang.max(axis=1)
        u = (np.arange(rays) + 0.5) / rays
        theta = cdir[:, None] + a0[:, None] + u[None, :] * (a1 - a0)[:, None]  # (S, R)
        dx = np.cos(theta)[:, :, None, None]
        dy = np.sin(theta)[:, :, None, None]
        ax, ay = v[..., 0][:, None], v[..., 1][:, None]  # (S, 1, P, M)
        w = np.roll(v, -1, axis=2)
        ex, ey = (w[..., 0] - v[..., 0])[:, None], (w[..., 1] - v[..., 1])[:, None]
        # ray t (dx, dy) meets edge a + s e at t = (a x e) / (d x e), s = (a x d) / (d x e);
        # a parallel edge (d x e = 0) gives s = +-inf or nan and never hits
        den = dx * ey
        den -= dy * ex  # (S, R, P, M)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (ax * ey - ay * ex) / den
            s = ax * dy
            s -= ay * dx
            s /= den
            hit = s >= 0  # nan (0 / 0) compares false: no hit
            hit &= s <= 1
            hit &= t >= 0
        np.putmask(t, ~hit, np.inf)
        t = t.min(axis=3)  # (S, R, P)
        t = np.where(active[sl, : v.shape[1]][:, None, :], t, np.inf)
        t_target = t[:, :, 0]
        t_occ = t[:, :, 1:].min(axis=2, initial=np.inf)
        off = (theta - yaw[sl, None] + np.pi) % TWO_PI - np.pi
        in_fov = (np.abs(off) <= fov[sl, None] / 2) | (fov[sl, None] >= TWO_PI)
        seen = in_fov & (t_target <= rng[sl, None]) & (t_target < t_occ)
        out[sl] = seen.mean(axis=1)
    return out


def random_scenes(seed, n, max_occ=6, max_vertices=7):
    """Random scenes around a sensor at the origin.

    Returns ``polys`` (n', 1 + max_occ, max_vertices, 2) padded as in
    :func:`reference_fractions`, ``counts`` (n', 1 + max_occ) vertex counts (0 =
    absent), and per-scene ``yaw``, ``fov``, ``rng``, for the n' <= n scenes
    whose target keeps clear of the sensor. Targets are boxes within ~60 m;
    occluders are boxes or convex polygons, 40 % of them dropped between the
    sensor and the target, none touching the target or the sensor.
    """
    r = np.random.default_rng(seed)
    dist = r.uniform(2.0, 60.0, n)
    bearing = r.uniform(-PI, PI, n)
    fov = np.where(r.random(n) < 0.2, TWO_PI, r.uniform(0.2, TWO_PI, n))
    # mostly looking roughly towards the target, sometimes anywhere
    aimed = r.random(n) < 0.7
    yaw = np.where(aimed, bearing + r.normal(0.0, 0.7, n) * fov / 2, r.uniform(-PI, PI, n))
    yaw = (yaw + PI) % TWO_PI - PI
    # mostly a range near the target distance, sometimes anywhere in 5..80 m
    rng = np.where(r.random(n) < 0.7, dist * r.uniform(0.8, 1.6, n), r.uniform(5.0, 80.0, n))
    tb = np.column_stack([dist * np.cos(bearing), dist * np.sin(bearing), r.uniform(-PI, PI, n),
                          r.uniform(0.5, 8.0, n), r.uniform(0.3, 3.0, n)])
    target_xy = boxes_np(*tb.T)  # (n, 4, 2)
    targets = shapely.polygons(target_xy)
    origin = shapely.points(0.0, 0.0)
    keep = shapely.distance(targets, origin) > 0.05
    # candidate occluders, 3 tries for each of max_occ slots
    k = 3 * max_occ
    between = r.random((n, k)) < 0.4
    along = r.uniform(0.1, 1.1, (n, k)) * dist[:, None]
    cx = np.where(between, along * np.cos(bearing)[:, None], r.uniform(-60, 60, (n, k)))
    cy = np.where(between, along * np.sin(bearing)[:, None], r.uniform(-60, 60, (n, k)))
    cx = cx + np.where(between, r.normal(0, 3.0, (n, k)), 0.0)
    cy = cy + np.where(between, r.normal(0, 3.0, (n, k)), 0.0)
    # boxes (60 %) or convex polygons of 3..max_vertices vertices: sorted
    # random angles on a random rotated ellipse (always convex, CCW)
    mv = max_vertices
    is_box = r.random((n, k)) < 0.6
    m = np.where(is_box, 4, r.integers(3, mv + 1, (n, k)))
    cand_xy = np.empty((n, k, mv, 2))
    cand_xy[:, :, :4] = boxes_np(cx, cy, r.uniform(-PI, PI, (n, k)), r.uniform(0.5, 8.0, (n, k)),
                                 r.uniform(0.3, 4.0, (n, k)))
    cand_xy[:, :, 4:] = cand_xy[:, :, 3:4]
    u = np.sort(np.where(np.arange(mv) < m[..., None], r.uniform(0, TWO_PI, (n, k, mv)), np.inf))
    u = np.where(np.isinf(u), np.take_along_axis(u, m[..., None] - 1, axis=2), u)
    ea, eb = r.uniform(0.5, 5.0, (n, k, 1)), r.uniform(0.2, 3.0, (n, k, 1))
    rot = r.uniform(-PI, PI, (n, k, 1))
    ex, ey = ea * np.cos(u), eb * np.sin(u)
    gon = np.stack([cx[..., None] + np.cos(rot) * ex - np.sin(rot) * ey,
                    cy[..., None] + np.sin(rot) * ex + np.cos(rot) * ey], -1)
    cand_xy = np.where(is_box[..., None, None], cand_xy, gon)
    cand = shapely.polygons(cand_xy.reshape(n * k, mv, 2))
    ok = ~shapely.intersects(cand, np.repeat(targets, k))
    ok &= shapely.distance(cand, origin) > 0.05
    ok = ok.reshape(n, k)
    n_occ = r.integers(0, max_occ + 1, n)

    polys = np.zeros((n, 1 + max_occ, mv, 2))
    counts = np.zeros((n, 1 + max_occ), np.int64)
    polys[:, 0, :4] = target_xy
    polys[:, 0, 4:] = target_xy[:, 3:4]
    counts[:, 0] = 4
    # the first n_occ accepted candidates of each scene fill slots 1, 2, ...
    slot = np.cumsum(ok, axis=1)
    chosen = ok & (slot <= n_occ[:, None])
    scene_of, cand_of = np.nonzero(chosen)
    slot_of = slot[scene_of, cand_of]
    polys[scene_of, slot_of] = cand_xy[scene_of, cand_of]
    counts[scene_of, slot_of] = m[scene_of, cand_of]
    return polys[keep], counts[keep], yaw[keep], fov[keep], rng[keep]


def kernel_fractions(polys, counts, yaw, fov, rng):
    out = np.empty(len(polys))
    for s in range(len(polys)):
        m = counts[s]
        occ = [(polys[s, p, : m[p], 0], polys[s, p, : m[p], 1]) for p in range(1, len(m)) if m[p]]
        out[s] = frac((polys[s, 0, :4, 0], polys[s, 0, :4, 1]), occ, yaw[s], fov[s], rng[s])
    return out


@pytest.fixture(scope="module")
def random_batch():
    polys, counts, yaw, fov, rng = random_scenes(7, 10_200)
    polys, counts, yaw, fov, rng = (a[:10_000] for a in (polys, counts, yaw, fov, rng))
    assert len(polys) == 10_000
    ref = reference_fractions(polys, counts > 0, yaw, fov, rng, rays=2000)
    got = kernel_fractions(polys, counts, yaw, fov, rng)
    return got, ref, counts


def test_against_dense_ray_cast(random_batch):
    got, ref, counts = random_batch
    err = np.abs(got - ref)
    agree = np.mean((got >= 0.3) == (ref >= 0.3))
    # the scenes must exercise partial occlusion, not only trivial 0 / 1 answers
    partial = np.mean((ref > 0.02) & (ref < 0.98))
    assert partial > 0.1, partial
    assert np.mean(counts[:, 1:].sum(axis=1) > 0) > 0.7
    assert agree >= 0.995, agree
    assert err.mean() <= 0.02, err.mean()
    # 2000 rays: a boundary between events is off by at most half a ray cell
    assert err.max() <= 0.01, (err.max(), int(np.argmax(err)))
    assert np.all((got >= 0.0) & (got <= 1.0))


# --------------------------------------------------------------------------
# batched kernel == per-target loop
# --------------------------------------------------------------------------


def test_visibility_all_matches_visible_fraction():
    r = np.random.default_rng(11)
    static = [box(8.0, 6.0, 0.2, 6.0, 4.0),
              (np.array([-10.0, -4.0, -6.0]), np.array([-3.0, -8.0, 2.0]))]
    spx, spy, sst, scn, _ = csr(static)
    for trial in range(60):
        n = 22
        ax, ay = r.uniform(-30, 30, n), r.uniform(-30, 30, n)
        ah, al, aw = r.uniform(-PI, PI, n), r.uniform(3.5, 5.5, n), r.uniform(1.6, 2.2, n)
        valid = r.random(n) < 0.9
        ego = int(r.integers(-1, n))
        ox, oy = (ax[ego], ay[ego]) if ego >= 0 else (0.0, 0.0)
        yaw, fov, rng = r.uniform(-PI, PI), r.choice([1.2, 3.0, TWO_PI]), r.uniform(20, 60)
        out = np.full(n, -1.0)
        oc.visibility_all(ox, oy, yaw, fov, rng, ax, ay, ah, al, aw, valid, ego,
                          spx, spy, sst, scn, out)
        boxes = [box(ax[i], ay[i], ah[i], al[i], aw[i]) for i in range(n)]
        for j in range(n):
            if not valid[j] or j == ego:
                assert out[j] == 0.0
                continue
            occ = [boxes[i] for i in range(n) if valid[i] and i not in (j, ego)] + static
            f = frac(boxes[j], occ, yaw, fov, rng, origin=(ox, oy))
            assert out[j] == pytest.approx(f, abs=1e-12), (trial, j)


# --------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------

_coord = st.floats(-40.0, 40.0, allow_nan=False)
_box = st.tuples(_coord, _coord, st.floats(-PI, PI), st.floats(0.2, 8.0), st.floats(0.2, 3.0))


@settings(max_examples=300, deadline=None)
@given(
    target=_box,
    occluders=st.lists(_box, max_size=4),
    extra=_box,
    yaw=st.floats(-PI, PI),
    fov=st.floats(0.0, 7.0),
    rng=st.floats(0.0, 80.0),
)
def test_adding_an_occluder_never_increases_fraction(target, occluders, extra, yaw, fov, rng):
    occ = [box(*b) for b in occluders]
    f0 = frac(box(*target), occ, yaw, fov, rng)
    f1 = frac(box(*target), occ + [box(*extra)], yaw, fov, rng)
    assert 0.0 <= f0 <= 1.0
    assert 0.0 <= f1 <= 1.0
    assert f1 <= f0 + 1e-9


@settings(max_examples=300, deadline=None)
@given(
    target=_box,
    occluders=st.lists(_box, max_size=4),
    yaw=st.floats(-PI, PI),
    fov=st.floats(0.0, 7.0),
    rng=st.floats(0.0, 80.0),
    rot=st.floats(-PI, PI),
    shift=st.tuples(_coord, _coord),
)
def test_rigid_motion_invariance(target, occluders, yaw, fov, rng, rot, shift):
    """Rotating the scene about the sensor and moving both rigidly changes
    nothing (exercises the atan2 branch cut from every side)."""
    def move(b):
        c, s = math.cos(rot), math.sin(rot)
        return (c * b[0] - s * b[1] + shift[0], s * b[0] + c * b[1] + shift[1], b[2] + rot, b[3], b[4])

    f0 = frac(box(*target), [box(*b) for b in occluders], yaw, fov, rng)
    f1 = frac(box(*move(target)), [box(*move(b)) for b in occluders], yaw + rot, fov, rng,
              origin=shift)
    assert f1 == pytest.approx(f0, abs=1e-6)


# --------------------------------------------------------------------------
# same numbers without the JIT
# --------------------------------------------------------------------------

_SCRIPT = r'''
import json, math, sys
import numpy as np
from scenariogen.kernels import occlusion as oc

def compute():
    r = np.random.default_rng(5)
    res = {"single": [], "all": []}
    for _ in range(30):
        n = 8
        ax, ay = r.uniform(-25, 25, n), r.uniform(-25, 25, n)
        ah, al, aw = r.uniform(-3, 3, n), r.uniform(3, 6, n), r.uniform(1.5, 2.5, n)
        valid = np.ones(n, np.bool_)
        spx = np.array([5.0, 9.0, 9.0, 5.0, -9.0, -4.0, -6.0])
        spy = np.array([2.0, 2.0, 7.0, 7.0, -3.0, -8.0, 2.0])
        sst = np.array([0, 4], np.int64)
        scn = np.array([4, 3], np.int64)
        yaw, fov, rng = r.uniform(-3, 3), float(r.choice([1.0, 2.5, 7.0])), r.uniform(15, 50)
        out = np.empty(n)
        oc.visibility_all(ax[0], ay[0], yaw, fov, rng, ax, ay, ah, al, aw, valid, 0,
                          spx, spy, sst, scn, out)
        res["all"] += [float(v) for v in out]
        c, s = math.cos(ah[1]), math.sin(ah[1])
        tx = ax[1] + np.array([1, 1, -1, -1]) * 0.5 * al[1] * c - np.array([-1, 1, 1, -1]) * 0.5 * aw[1] * s
        ty = ay[1] + np.array([1, 1, -1, -1]) * 0.5 * al[1] * s + np.array([-1, 1, 1, -1]) * 0.5 * aw[1] * c
        res["single"].append(oc.visible_fraction(0.0, 0.0, yaw, fov, rng, tx, ty, spx, spy, sst,
                                                 scn, np.zeros(2, np.bool_)))
    return res

if __name__ == "__main__":
    from numba.core.registry import CPUDispatcher
    res = compute()
    res["jit"] = isinstance(oc.visibility_all, CPUDispatcher)
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
    if not isinstance(oc.visibility_all, CPUDispatcher):
        pytest.skip("the JIT is disabled in this process: nothing to compare with")
    namespace = {"__name__": "occlusion_nojit_script"}
    exec(compile(_SCRIPT, "<nojit-script>", "exec"), namespace)
    jit = namespace["compute"]()
    assert set(jit) == set(nojit)
    assert any(0.0 < v < 1.0 for v in jit["all"])  # the scenes exercise partial occlusion
    for name, values in jit.items():
        np.testing.assert_allclose(np.asarray(values), np.asarray(nojit[name]),
                                   rtol=0, atol=1e-12, err_msg=name)


def test_culling_is_bit_identical():
    """Agents culled by range and field of view before the sweep change no fraction, not even by
    rounding: the same scenes with and without culling give the same bits."""
    r = np.random.default_rng(27)
    static = [box(8.0, 6.0, 0.2, 6.0, 4.0), (np.array([-10.0, -4.0, -6.0]), np.array([-3.0, -8.0, 2.0]))]
    spx, spy, sst, scn, _ = csr(static)
    n = 24
    ws = oc.occlusion_scratch(n, spx, spy, sst, scn)
    n_culled = n_partial = 0
    for trial in range(300):
        ax, ay = r.uniform(-60, 60, n), r.uniform(-20, 20, n)
        ah, al, aw = r.uniform(-PI, PI, n), r.uniform(3.5, 12.0, n), r.uniform(1.6, 2.6, n)
        valid = r.random(n) < 0.8
        ego = int(r.integers(-1, n))
        ox, oy = (ax[ego] + 1.0, ay[ego]) if ego >= 0 else (0.0, 0.0)
        yaw = r.uniform(-PI, PI)
        fov = float(r.choice([0.0, 0.7, 2.1, PI, 4.0, TWO_PI]))
        rng = r.uniform(10, 70)
        culled, full = np.empty(n), np.empty(n)
        oc.visibility_into(ox, oy, yaw, fov, rng, ax, ay, ah, al, aw, valid, ego, culled, ws)
        oc.visibility_into(ox, oy, yaw, fov, rng, ax, ay, ah, al, aw, valid, ego, full, ws, False)
        assert culled.tobytes() == full.tobytes(), trial
        n_partial += int(((full > 0.0) & (full < 1.0)).sum())
        n_culled += int((valid & (full == 0.0)).sum())
        # and the allocating entry point agrees
        out = oc.visibility_all(ox, oy, yaw, fov, rng, ax, ay, ah, al, aw, valid, ego, spx, spy, sst, scn, np.empty(n))
        assert out.tobytes() == culled.tobytes()
    assert n_partial > 100 and n_culled > 1000  # the scenes exercise partial occlusion and culling
