"""Predicted paths and the TTC along them (scenariogen.kernels.paths), against closed forms.

Each reference puts the boxes on the exact geometry (a circle for a turn or a curve, lines, the
minimum-jerk lane-change profile) and finds the first contact with ``boxes_overlap`` on a fine time
grid, then by bisection. Where the reference grazes (the boxes pass within a few centimetres), it is
run with boxes grown and shrunk by a margin and the kernel must lie between the two.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from contact_oracle import CAR, JUNCTION, H, first_contact, left_turner

import scenariogen
from scenariogen.kernels import paths as P
from scenariogen.kernels.behavior import smoothstep5
from scenariogen.kernels.geometry import box_ttc
from scenariogen.kernels.groups import alloc
from scenariogen.kernels.lanes import lane_pose
from scenariogen.sim.compile import compiled_road
from scenariogen.sim.engine import kernel_road

INF = math.inf
EGO = "actors:\n  ego: {kind: car, lane: LANE, s: 1, speed: 1}\n"


class Road:
    """A compiled road with what the path kernels read: ``road`` (kernels.groups.Road) and ``tr``
    (the thread's arrays, with the lanes' shape from start_paths)."""

    def __init__(self, road_yaml: str, lane: str):
        spec = scenariogen.parse_text("scenariogen: 1\nname: t\ndt: 0.1\nduration: 1.0\n" + road_yaml + "\n"
                                      + EGO.replace("LANE", lane))
        self.rp = compiled_road(spec)
        self.road = kernel_road(self.rp)
        no_poly = np.zeros(0, np.int64)
        _st, _sc, self.tr = alloc(2, 1, self.rp.arrays.n_lanes, 1, np.zeros(0), np.zeros(0), no_poly, no_poly)
        P.start_paths(self.road, self.tr)
        self.mot = np.zeros((2, P.N_MOT))
        self.route = np.full((2, 8), -1, np.int64)

    def pose(self, lane: str, s: float, d: float = 0.0) -> tuple[float, float, float]:
        r = self.road
        return lane_pose(r.offset, r.length, r.px, r.py, r.heading, r.curvature, self.rp.arrays.index_of(lane), s, d)[:3]

    def on_lane(self, i, lane, s, u, *, d=0.0, route=(), lc=None, e=0.0, size=CAR, horizon=10.0):
        """Agent ``i`` on ``lane`` at ``s`` (m), speed ``u`` (m/s), offset ``d`` (m), heading error ``e``
        (rad); ``lc``: a lane change (offset at its start, its progress now in [0, 1], duration s)
        towards the lane centre."""
        k = self.rp.arrays.index_of(lane)
        ids = [self.rp.arrays.index_of(x) for x in route]
        self.route[i, :] = -1
        self.route[i, :len(ids)] = ids
        x, y, h = self.pose(lane, s, d)
        h += e
        lc_d0, tau0, dur = lc if lc is not None else (0.0, 0.0, 0.0)
        P._on_lane(self.mot, i, x, y, h, k, s, u, 0 if ids else -1, len(ids), d, 0.0 if lc else d, lc_d0, tau0, dur,
                   e, size[0], size[1], horizon, self.route[i], self.road, self.tr)

    def linear(self, i, x, y, h, vx, vy, size=CAR):
        P._linear(self.mot, i, x, y, h, vx, vy, size[0], size[1])

    def ttc(self, t_lim=10.0):
        return P.motion_ttc(self.mot, 0, self.mot, 1, t_lim, self.route, self.road)


def between(got, grown, shrunk, tol):
    """``got`` lies between the contact of grown boxes (earlier) and of shrunk ones (later), each
    within ``tol`` s."""
    if math.isinf(grown):
        return math.isinf(got)
    if got < grown - tol:
        return False
    return math.isinf(shrunk) or got <= shrunk + tol


# ------------------------------------------------------------------------------------ the envelopes


@settings(max_examples=300, deadline=None)
@given(dx=st.floats(-60, 60), dy=st.floats(-60, 60), dvx=st.floats(-40, 40), dvy=st.floats(-40, 40),
       a=st.floats(0, 10), b=st.floats(0, 30), t_lim=st.floats(0.1, 10))
def test_the_envelope_window_holds_every_time_the_envelopes_meet(dx, dy, dvx, dvy, a, b, t_lim):
    first, last = P.envelope_window(dx, dy, dvx, dvy, a, b, t_lim)
    ts = np.linspace(0.0, t_lim, 401)
    meet = np.hypot(dx + dvx * ts, dy + dvy * ts) <= a + b * ts
    if meet.any():
        assert first <= ts[meet][0] + 1e-9 and last >= ts[meet][-1] - 1e-9
    if first <= last:  # and it is tight at its start: they meet there (up to rounding)
        assert math.hypot(dx + dvx * first, dy + dvy * first) <= a + b * first + 1e-5 * (1 + a + b * first)


# ------------------------------------------------------------------------------------ straight lines


@settings(max_examples=200, deadline=None)
@given(x=st.floats(-30, 30), y=st.floats(-30, 30), h1=st.floats(-4, 4), h2=st.floats(-4, 4),
       v1=st.tuples(st.floats(-20, 20), st.floats(-20, 20)), v2=st.tuples(st.floats(-20, 20), st.floats(-20, 20)),
       t_lim=st.floats(0.5, 10))
def test_two_constant_velocities_give_the_box_ttc(x, y, h1, h2, v1, v2, t_lim):
    """Off-lane agents (and anything whose path is a straight line) keep the exact straight-line box
    TTC of before."""
    r = Road("road: {type: straight, lanes: 1, length: 100}", "0")
    r.linear(0, 0.0, 0.0, h1, *v1)
    r.linear(1, x, y, h2, *v2)
    want = box_ttc(0.0, 0.0, h1, *CAR, *v1, x, y, h2, *CAR, *v2, t_lim)
    assert r.ttc(t_lim) == want


def test_overlapping_circumcircles_do_not_hide_a_contact():
    """A pedestrian 0.4 m beside the rear quarter of a car passing it, stepping towards it: the centres
    draw apart, yet the boxes meet. The circle bound says nothing here (the circumcircles overlap):
    the TTC is the box TTC, not 'no contact'."""
    r = Road("road: {type: straight, lanes: 1, length: 100}", "0")
    r.linear(0, 67.79, 0.0, 0.0, 11.77, 0.0)
    r.linear(1, 67.45, -1.35, math.pi / 2, 0.0, 1.25, size=(0.5, 0.5))
    want = box_ttc(67.79, 0.0, 0.0, *CAR, 11.77, 0.0, 67.45, -1.35, math.pi / 2, 0.5, 0.5, 0.0, 1.25, 10.0)
    assert 0.0 < want < 0.2 and r.ttc() == want


@settings(max_examples=100, deadline=None)
@given(s1=st.floats(0, 200), s2=st.floats(0, 200), u1=st.floats(0.1, 40), u2=st.floats(0.1, 40),
       d1=st.floats(-1.5, 1.5), d2=st.floats(-1.5, 1.5), lane2=st.sampled_from(["0", "1", "r0"]))
def test_vehicles_on_a_straight_road_are_linear_and_keep_the_box_ttc(s1, s2, u1, u2, d1, d2, lane2):
    """On straight lanes, with their offsets held, vehicles move at constant velocity along their
    lane (the opposite lane included): the TTC is the box TTC, as before paths existed."""
    r = Road("road: {type: straight, lanes: 2, lanes_reverse: 1, length: 400}", "0")
    r.on_lane(0, "0", s1, u1, d=d1)
    r.on_lane(1, lane2, s2, u2, d=d2)
    assert r.mot[0, P.MO_LIN] == 1.0 and r.mot[1, P.MO_LIN] == 1.0
    (x1, y1, h1), (x2, y2, h2) = r.pose("0", s1, d1), r.pose(lane2, s2, d2)
    want = box_ttc(x1, y1, h1, *CAR, u1 * math.cos(h1), u1 * math.sin(h1),
                   x2, y2, h2, *CAR, u2 * math.cos(h2), u2 * math.sin(h2), 10.0)
    assert r.ttc() == pytest.approx(want, rel=1e-12, abs=1e-12) or (math.isinf(want) and math.isinf(r.ttc()))


# ------------------------------------------------------------------------------------ curves


@pytest.mark.parametrize("radius,angle", [(40.0, 90.0), (25.0, -120.0), (100.0, 60.0)])
@pytest.mark.parametrize("gap,u1,u2", [(20.0, 15.0, 5.0), (12.0, 9.0, 6.0), (35.0, 20.0, 0.5)])
def test_a_follower_on_a_curve_meets_its_leader_along_the_arc(radius, angle, gap, u1, u2):
    """Follower and leader on one circular lane: the TTC is when their boxes meet on the circle,
    close to the arc gap over the closing speed; the straight-line TTC of the follower's tangent
    says something else (or nothing)."""
    r = Road(f"road: {{type: curve, lanes: 1, radius: {radius}, angle_deg: {angle}}}", "0")
    s1 = 5.0
    r.on_lane(0, "0", s1, u1)
    r.on_lane(1, "0", s1 + gap, u2)
    assert r.mot[0, P.MO_LIN] == 0.0
    sign = 1.0 if angle > 0 else -1.0

    def on_circle(s0, u):
        def pose(t):
            s = s0 + u * t
            a = s / radius
            return radius * math.sin(a), sign * radius * (1.0 - math.cos(a)), sign * a
        return pose

    want = first_contact(on_circle(s1, u1), on_circle(s1 + gap, u2))
    lo = first_contact(on_circle(s1, u1), on_circle(s1 + gap, u2), grow=0.1)
    hi = first_contact(on_circle(s1, u1), on_circle(s1 + gap, u2), grow=-0.1)
    got = r.ttc()
    assert math.isfinite(want) and between(got, lo, hi, 0.02), (got, lo, want, hi)
    assert got == pytest.approx((gap - CAR[0]) / (u1 - u2), rel=0.05)
    (x1, y1, h1), (x2, y2, h2) = r.pose("0", s1), r.pose("0", s1 + gap)
    straight = box_ttc(x1, y1, h1, *CAR, u1 * math.cos(h1), u1 * math.sin(h1), x2, y2, h2, *CAR,
                       u2 * math.cos(h2), u2 * math.sin(h2), 10.0)
    assert abs(straight - want) > 0.05


# ------------------------------------------------------------------------------------ junctions


def straight_south(y0, u):
    """From the north arm straight on: x = -1.75, heading south."""
    return lambda t: (-1.75, y0 - u * t, -math.pi / 2)


@settings(max_examples=40, deadline=None)
@given(s0=st.floats(-15, 8), u=st.floats(3, 10), d=st.floats(0, 40), w=st.floats(4, 16))
def test_a_left_turn_meets_the_oncoming_car_where_their_paths_cross(s0, u, d, w):
    """The ego turns left along its route (S_in_0, the connector, W_out_0); the oncoming car goes
    straight on (its first successor), ``d`` m before the junction. The TTC along the paths is the
    first contact of the boxes on the true geometry."""
    r = Road(JUNCTION, "S_in_0")
    route = ["S_in_0", "S_in_0>W_out_0", "W_out_0"]
    if s0 < 0:
        r.on_lane(0, "S_in_0", 80.0 + s0, u, route=route)
    else:
        r.on_lane(0, "S_in_0>W_out_0", s0, u, route=route[1:])
    r.on_lane(1, "N_in_0", 80.0 - d, w)
    ego, other = left_turner(s0, u), straight_south(H + d, w)
    lo, hi = first_contact(ego, other, grow=0.3), first_contact(ego, other, grow=-0.3)
    assert between(r.ttc(), lo, hi, 0.03), (r.ttc(), lo, first_contact(ego, other), hi)


def test_a_turning_car_and_a_truck_parked_off_its_path_never_meet():
    """The case of issue 21: mid-way through a right turn the ego points at a truck waiting at the
    east arm's stop line; the straight line says 0.6 s, the path says never."""
    r = Road(JUNCTION, "S_in_0")
    route = ["S_in_0>E_out_0", "E_out_0"]
    r.on_lane(0, "S_in_0>E_out_0", 6.0, 7.0, route=route)
    xt, yt, ht = r.pose("E_in_0", 80.0 - 5.0)
    r.linear(1, xt, yt, ht, 0.0, 0.0, size=(10.0, 2.5))
    x, y, h = r.pose("S_in_0>E_out_0", 6.0)
    straight = box_ttc(x, y, h, *CAR, 7.0 * math.cos(h), 7.0 * math.sin(h), xt, yt, ht, 10.0, 2.5, 0.0, 0.0, 10.0)
    assert straight < 1.5
    assert r.ttc() == INF


# ------------------------------------------------------------------------------------ lane changes


@pytest.mark.parametrize("tau0,dur,ahead,u,w", [(0.0, 3.0, 30.0, 25.0, 15.0), (0.4, 2.0, 15.0, 20.0, 18.0),
                                                 (0.0, 1.5, 12.0, 28.0, 26.0), (0.7, 3.0, 40.0, 30.0, 10.0)])
def test_a_lane_change_is_predicted_along_its_minimum_jerk_profile(tau0, dur, ahead, u, w):
    """A car changing from lane 1 into lane 0 (its offset to lane 0 going from 3.5 m to 0 on the
    minimum-jerk profile) behind a slower car in lane 0: the TTC is where the profile brings the
    boxes together."""
    r = Road("road: {type: straight, lanes: 2, lane_width: 3.5, length: 400}", "0")
    q0, qd0 = smoothstep5(tau0)
    d0 = 3.5 * (1.0 - q0)
    r.on_lane(0, "0", 50.0, u, d=d0, lc=(3.5, tau0, dur), e=math.atan2(-3.5 * qd0 / dur, u))
    r.on_lane(1, "0", 50.0 + ahead, w)
    assert r.mot[0, P.MO_LIN] == 0.0

    def changer(t):
        q, qd = smoothstep5(tau0 + t / dur)
        return 50.0 + u * t, 3.5 * (1.0 - q), math.atan2(-3.5 * qd / dur, u)

    other = (lambda t: (50.0 + ahead + w * t, 0.0, 0.0))
    lo, hi = first_contact(changer, other, grow=0.1), first_contact(changer, other, grow=-0.1)
    assert between(r.ttc(), lo, hi, 0.02), (r.ttc(), lo, hi)
    assert math.isfinite(r.ttc())


def test_a_lane_change_that_ends_beside_a_car_is_no_collision_course():
    """Changing into the lane next to a car at the same speed: the straight line of the tilted
    heading crosses its lane, the lane-change path stops at the lane centre beside it."""
    r = Road("road: {type: straight, lanes: 3, lane_width: 3.5, length: 400}", "1")
    _q, qd = smoothstep5(0.5)
    tilt = math.atan2(3.5 * qd / 3.0, 25.0)
    r.on_lane(0, "1", 50.0, 25.0, d=-3.5 * 0.5, lc=(-3.5, 0.5, 3.0), e=tilt)  # half-way from lane 0 into 1
    r.on_lane(1, "2", 53.0, 25.0)
    assert r.ttc() == INF
    x, y, _h = r.pose("1", 50.0, -1.75)
    x2, y2, h2 = r.pose("2", 53.0)
    straight = box_ttc(x, y, tilt, *CAR, 25.0 * math.cos(tilt), 25.0 * math.sin(tilt), x2, y2, h2, *CAR, 25.0, 0.0, 10.0)
    assert straight < 3.0


# ------------------------------------------------------------------------------------ bounds


@settings(max_examples=60, deadline=None)
@given(s=st.floats(0, 60), u=st.floats(1, 15), t=st.floats(0, 10), lane=st.sampled_from(
    ["S_in_0", "S_in_0>E_out_0", "S_in_0>W_out_0", "E_in_0", "N_in_0>S_out_0"]))
def test_the_predicted_centre_stays_within_its_envelope_and_speed_bound(s, u, t, lane):
    r = Road(JUNCTION, "S_in_0")
    r.on_lane(0, lane, min(s, float(r.rp.arrays.lane_length[r.rp.arrays.index_of(lane)])), u)
    m = r.mot[0]
    x, y, _h = P.motion_pose(r.mot, 0, t, r.route, r.road)
    cx, cy = m[P.MO_X] + m[P.MO_VX] * t, m[P.MO_Y] + m[P.MO_VY] * t
    assert math.hypot(x - cx, y - cy) <= m[P.MO_DEV0] + m[P.MO_DEV1] * t + 1e-9
    assume(t > 0.05)
    x2, y2, _h2 = P.motion_pose(r.mot, 0, t - 0.05, r.route, r.road)
    assert math.hypot(x - x2, y - y2) <= m[P.MO_VB] * 0.05 + P.SEAM + 1e-9
