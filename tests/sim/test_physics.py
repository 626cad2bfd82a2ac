"""Closed-form checks of the batched simulator (``scenariogen.simulate``) on tiny inline scenarios.

Trajectories come back as float32, so positions are compared with the
float64 closed form rounded to float32 (1 ulp: about 6e-8 relative, 8e-6 m
at 100 m). Metrics stay float64 and are compared to 1e-9.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon

import scenariogen
from scenariogen.data import layout as Lo
from scenariogen.kernels.behavior import idm_equilibrium_gap

DT = 0.1
CAR_L, CAR_W = 4.6, 1.9  # default car box (docs/dsl.md 7.2)
TRUCK_L = 10.0
F = Lo  # feature columns: F.F_X, ...


def sim(body: str, duration: float, n: int = 1, **kw):
    text = f"scenariogen: 1\nname: physics\ndt: {DT}\nduration: {duration}\n{body}"
    return scenariogen.simulate(scenariogen.parse_text(text), n=n, **kw)


def times(batch):
    return np.arange(batch.trajectories.shape[2]) * DT


def f32(x):
    return np.asarray(x, dtype=np.float64).astype(np.float32)


# ------------------------------------------------------------------------------------------ free motion


@pytest.mark.parametrize("x0,v,lane", [(10.0, 20.0, 0), (3.3, 7.7, 1), (0.0, 33.3, 1)])
def test_constant_speed_travels_v_t(x0, v, lane):
    b = sim(f"""road: {{type: straight, lanes: 2, lane_width: 3.5, length: 1000}}
actors:
  ego: {{kind: car, lane: {lane}, s: {x0}, speed: {v}, behavior: constant_speed}}
""", duration=10.0)
    tr = b.trajectories[0, 0]
    t = times(b)
    np.testing.assert_array_max_ulp(tr[:, F.F_X], f32(x0 + v * t), maxulp=1)
    np.testing.assert_array_max_ulp(tr[:, F.F_S], f32(x0 + v * t), maxulp=1)
    assert np.all(tr[:, F.F_Y] == np.float32(3.5 * lane))
    assert np.all(tr[:, F.F_HEADING] == 0.0)
    assert np.all(tr[:, F.F_SPEED] == np.float32(v))
    assert np.all(tr[:, F.F_ACCEL] == 0.0)
    assert np.all(tr[:, F.F_LANE] == lane) and np.all(tr[:, F.F_OFFSET] == 0.0)
    assert b.mask.all()


def test_constant_speed_float64_positions_via_min_distance():
    """The in-kernel state is float64: the min box distance of two constant-speed cars closing in
    on each other is the closed-form gap at the last step, to 1e-9."""
    b = sim("""road: {type: straight, lanes: 1, length: 1000}
actors:
  ego: {kind: car, lane: 0, s: 12.5, speed: 23.7, behavior: constant_speed}
  lead: {kind: car, lane: 0, s: 140.25, speed: 17.1, behavior: constant_speed}
""", duration=10.0)
    steps = 100
    gap = (140.25 - 12.5 - CAR_L) - (23.7 - 17.1) * (steps - 1) * DT
    assert b.metrics["min_distance"][0] == pytest.approx(gap, abs=1e-9)
    assert b.agent_metrics[0, 1, Lo.A_MIN_DIST] == pytest.approx(gap, abs=1e-9)


@pytest.mark.parametrize("v0", [12.0, 25.0, 33.0])
def test_idm_alone_at_desired_speed_stays_there(v0):
    b = sim(f"""road: {{type: straight, lanes: 1, length: 1000}}
actors:
  ego: {{kind: car, lane: 0, s: 5, speed: {v0}, behavior: {{idm: {{desired_speed: {v0}}}}}}}
""", duration=10.0)
    tr = b.trajectories[0, 0]
    assert np.all(tr[:, F.F_SPEED] == np.float32(v0))
    assert np.all(tr[:, F.F_ACCEL] == 0.0)
    np.testing.assert_array_max_ulp(tr[:, F.F_S], f32(5 + v0 * times(b)), maxulp=1)
    assert b.metrics["ego_max_decel"][0] == 0.0 and b.metrics["ego_max_jerk"][0] == 0.0


def test_idm_alone_below_desired_speed_approaches_it_without_overshoot():
    b = sim("""road: {type: straight, lanes: 1, length: 2000}
actors:
  ego: {kind: car, lane: 0, s: 5, speed: 10, behavior: {idm: {desired_speed: 20, max_accel: 1.5}}}
""", duration=40.0)
    v = b.trajectories[0, 0, :, F.F_SPEED].astype(float)
    a = b.trajectories[0, 0, :, F.F_ACCEL].astype(float)
    assert np.all(np.diff(v) >= 0) and v[-1] <= 20.0 and v[-1] > 19.0
    assert np.all(a <= 1.5 + 1e-6) and np.all(a >= 0)
    # free-road IDM: a = a_max (1 - (v/v0)^4), applied after one step of jerk limit
    np.testing.assert_allclose(a[5:], 1.5 * (1 - (v[4:-1] / 20.0) ** 4), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("v,v0,T,s0", [(20.0, 30.0, 1.5, 2.0), (10.0, 15.0, 1.0, 2.0), (28.0, 33.0, 0.8, 3.0)])
def test_idm_follower_at_equilibrium_gap_keeps_it(v, v0, T, s0):
    gap = idm_equilibrium_gap(v, v0, T, s0, 4.0)
    lead_s = 50.0 + gap + CAR_L
    b = sim(f"""road: {{type: straight, lanes: 1, length: 2000}}
actors:
  ego: {{kind: car, lane: 0, s: 50, speed: {v}, behavior: {{idm: {{desired_speed: {v0}, time_headway: {T}, min_gap: {s0}}}}}}}
  lead: {{kind: car, lane: 0, s: {lead_s!r}, speed: {v}, behavior: constant_speed}}
""", duration=10.0)
    tr = b.trajectories[0].astype(np.float64)
    # the IDM (and the ACC heuristic, which leaves equilibrium alone) asks for zero acceleration
    assert np.abs(tr[0, :, F.F_ACCEL]).max() < 1e-9
    assert np.all(tr[0, :, F.F_SPEED] == np.float32(v))
    # gap kept: both s are float32 of ~50..350 m (ulp <= 3e-5 m), so their difference is good to 1e-4 m
    g = tr[1, :, F.F_S] - tr[0, :, F.F_S] - CAR_L
    np.testing.assert_allclose(g, gap, atol=1e-4)
    # the ego's headway metric sees the same gap
    assert b.metrics["min_thw"][0] == pytest.approx(gap / v, rel=1e-9)
    assert b.metrics["max_drac"][0] == 0.0  # never closing in


@pytest.mark.parametrize("factor,sign", [(0.5, -1), (2.0, +1)])
def test_idm_follower_off_equilibrium_reacts(factor, sign):
    v, v0 = 20.0, 30.0
    gap = factor * idm_equilibrium_gap(v, v0, 1.5, 2.0, 4.0)
    b = sim(f"""road: {{type: straight, lanes: 1, length: 2000}}
actors:
  ego: {{kind: car, lane: 0, s: 50, speed: {v}, behavior: {{idm: {{desired_speed: {v0}}}}}}}
  lead: {{kind: car, lane: 0, s: {50 + gap + CAR_L!r}, speed: {v}, behavior: constant_speed}}
""", duration=0.5)
    a = b.trajectories[0, 0, 1:, F.F_ACCEL]
    assert np.all(np.sign(a) == sign)


# ------------------------------------------------------------------------------------------ braking


def _brake(kind: str, v: float, d: float, duration: float = 12.0):
    b = sim(f"""road: {{type: straight, lanes: 1, length: 2000}}
actors:
  ego: {{kind: {kind}, lane: 0, s: 10, speed: {v}, behavior: constant_speed,
         maneuver: {{hard_brake: {{start: 1.0, decel: {d}}}}}}}
""", duration=duration)
    tr = b.trajectories[0, 0].astype(np.float64)
    k0 = 10  # the trigger fires at t = 1.0 s: frame 10 is the state before the first braking step
    return b, tr, tr[-1, F.F_S] - tr[k0, F.F_S], k0


def _continuous_braking_distance(v, d, J):
    """Jerk-limited stop: decel ramps 0 -> d at jerk J, then holds d until standstill."""
    return v * v / (2 * d) + v * d / (2 * J) - d**3 / (24 * J * J)


@pytest.mark.parametrize("kind,v,d", [("car", 20.0, 4.0), ("car", 25.0, 6.0), ("car", 30.0, 8.0),
                                      ("truck", 22.0, 6.0), ("truck", 16.0, 3.6)])
def test_hard_brake_distance_closed_form(kind, v, d):
    """Braking distance with the kernel's jerk ramp, in closed form.

    The kernel moves the applied deceleration by at most J*dt per step (J = KIND_MAX_JERK) and
    integrates each step with the mean of the old and new speed (exact for a constant
    acceleration per step). With d = m*J*dt (m whole) the ramp takes m steps of decel
    J*dt*(k+1), covering m*v*dt - J*dt^3*m(m+1)(2m+1)/12 and ending at v_m = v - J*dt^2*m(m+1)/2;
    then d holds until standstill: v_m^2/(2d), plus the last partial step, which the kernel
    ends at v = 0 with a = -v/dt: that adds eps = v_r*dt/2 - v_r^2/(2d), 0 <= eps <= d*dt^2/8.
    Positions are float32 (ulp <= 1.5e-5 m here): 1e-4 m slack."""
    J = Lo.KIND_MAX_JERK[Lo.KIND_CODES[kind]]
    assert d <= Lo.KIND_MAX_BRAKE[Lo.KIND_CODES[kind]]
    m = round(d / (J * DT))
    assert m * J * DT == pytest.approx(d)
    b, tr, D, k0 = _brake(kind, v, d)
    v_m = v - J * DT * DT * m * (m + 1) / 2
    D0 = m * v * DT - J * DT**3 * m * (m + 1) * (2 * m + 1) / 12 + v_m * v_m / (2 * d)
    assert D0 - 1e-4 <= D <= D0 + d * DT * DT / 8 + 1e-4
    # ... which is the continuous jerk-limited stop, the ramp started between one step early and on time
    Dc = _continuous_braking_distance(v, d, J)
    assert Dc - v * DT <= D <= Dc + d * DT * DT / 8 + 1e-4
    assert D > v * v / (2 * d)  # the ramp always lengthens the ideal stop
    # the deceleration ramps at the jerk limit, holds d, and the car stays stopped
    a = tr[:, F.F_ACCEL]
    np.testing.assert_allclose(a[k0 + 1:k0 + 1 + m], -J * DT * np.arange(1, m + 1), atol=1e-5)
    stop = int(np.argmax(tr[:, F.F_SPEED] == 0.0))
    assert stop > k0 + m
    np.testing.assert_allclose(a[k0 + m:stop - 1], -d, atol=1e-5)
    assert np.all(tr[stop:, F.F_SPEED] == 0.0) and np.all(tr[stop:, F.F_S] == tr[-1, F.F_S])
    assert np.all(np.diff(tr[:stop, F.F_SPEED]) <= 0)
    assert b.agent_metrics[0, 0, Lo.A_MAX_DECEL] == pytest.approx(d)
    assert b.metrics["ego_max_decel"][0] == pytest.approx(d)


@pytest.mark.parametrize("v,d", [(27.0, 7.3), (18.0, 5.5), (12.0, 9.0)])
def test_hard_brake_distance_bounds_any_decel(v, d):
    """Decelerations that are no whole number of jerk steps: between the continuous jerk-limited
    stop started one step early and on time (see the closed-form test for the bounds)."""
    J = Lo.KIND_MAX_JERK[Lo.KIND_CODES["car"]]
    _b, tr, D, _k0 = _brake("car", v, d)
    Dc = _continuous_braking_distance(v, d, J)
    assert Dc - v * DT <= D <= Dc + d * DT * DT / 8 + 1e-4
    assert tr[-1, F.F_SPEED] == 0.0 and tr[:, F.F_ACCEL].min() >= -d - 1e-6


def test_hard_brake_above_kind_limit_is_capped():
    _b, tr, _D, _k0 = _brake("truck", 20.0, 12.0)
    assert tr[:, F.F_ACCEL].min() == pytest.approx(-Lo.KIND_MAX_BRAKE[Lo.KIND_CODES["truck"]], abs=1e-6)


# ------------------------------------------------------------------------------------------ curves


def _curve(R, angle, v, offset=0.0, duration=20.0, behavior="constant_speed"):
    b = sim(f"""road: {{type: curve, lanes: 1, radius: {R}, angle_deg: {angle}}}
actors:
  ego: {{kind: car, lane: 0, s: 0, offset: {offset}, speed: {v}, behavior: {behavior}}}
""", duration=duration)
    return b, b.trajectories[0, 0].astype(np.float64)


@pytest.mark.parametrize("R,angle,v", [(80.0, 90.0, 15.0), (80.0, -60.0, 15.0), (50.0, 90.0, 12.0)])
def test_curve_follows_centreline(R, angle, v):
    """On a gentle curve (steering well inside its rate limit) the car stays on the centreline,
    turns by the curve's angle, and turns at yaw rate v/R, i.e. steers atan(wheelbase/R) with
    wheelbase 0.6*length (the steer is not output: it is inferred from the heading)."""
    b, tr = _curve(R, angle, v)
    L = R * math.radians(abs(angle))
    sgn = math.copysign(1.0, angle)
    assert np.abs(tr[:, F.F_OFFSET]).max() < 1e-6
    # positions lie on the arc: centre (0, +-R); the lane polyline is sampled every 0.5 m, so the
    # chord sits at most 0.5^2/(8R) < 1e-3 m inside the circle
    inside = (tr[:, F.F_S] > 0) & (tr[:, F.F_S] < L)
    r = np.hypot(tr[inside, F.F_X], tr[inside, F.F_Y] - sgn * R)
    np.testing.assert_allclose(r, R, atol=1e-3)
    h = np.unwrap(tr[:, F.F_HEADING])
    assert tr[-1, F.F_S] > L + 20  # well past the end of the curve
    assert h[-1] - h[0] == pytest.approx(math.radians(angle), abs=1e-6)
    # heading is float32 (ulp <= 1.2e-7 rad): a yaw rate from one step is good to ~3e-6 rad/s
    yaw = np.diff(h) / DT
    mid = (tr[:-1, F.F_S] > 1.0) & (tr[1:, F.F_S] < L - 1.0)
    np.testing.assert_allclose(yaw[mid], sgn * v / R, atol=1e-4)
    wheelbase = 0.6 * CAR_L
    steer = np.arctan(wheelbase * yaw[mid] / v)
    np.testing.assert_allclose(steer, sgn * math.atan(wheelbase / R), atol=1e-4)
    assert np.abs(steer).max() < Lo.KIND_MAX_STEER[0]
    # after the curve: straight on at the final heading
    after = tr[:, F.F_S] > L + 1.0
    np.testing.assert_allclose(yaw[after[:-1] & after[1:]], 0.0, atol=1e-4)


def test_tight_curve_steering_rate_limited_but_on_track():
    """R = 30 m at 10 m/s needs steer atan(2.76/30) = 0.092 rad, more than one step of the
    0.7 rad/s steering rate: a small transient offset (cm), then yaw rate v/R."""
    R, v = 30.0, 10.0
    b, tr = _curve(R, 90.0, v)
    L = R * math.pi / 2
    assert np.abs(tr[:, F.F_OFFSET]).max() < 0.05
    h = np.unwrap(tr[:, F.F_HEADING])
    assert h[-1] - h[0] == pytest.approx(math.pi / 2, abs=1e-4)
    yaw = np.diff(h) / DT
    mid = (tr[:-1, F.F_S] > 10.0) & (tr[1:, F.F_S] < L - 5.0)
    np.testing.assert_allclose(yaw[mid], v / R, rtol=0.03)


def test_initial_offset_holds_on_a_curve():
    """An actor placed 0.6 m off the centreline keeps that offset through a curve (it decayed to the
    centreline before issue 21): only the steering transient at the curve's start moves it (cm)."""
    b, tr = _curve(80.0, 90.0, 15.0, offset=0.6)
    off = tr[:, F.F_OFFSET]
    assert off[0] == pytest.approx(0.6, abs=1e-6)
    np.testing.assert_allclose(off, 0.6, atol=0.05)


# ------------------------------------------------------------------------------------------ surrogate metrics


FOLLOW = """road: {{type: straight, lanes: 2, lane_width: 3.5, length: 1000}}
actors:
  ego: {{kind: car, lane: 0, s: 50, speed: 20, behavior: constant_speed}}
  lead: {{kind: truck, lane: 0, s: 90, speed: 14, behavior: constant_speed}}
  side: {{kind: car, lane: 1, s: 40, speed: 30, behavior: constant_speed}}
events:
  near_miss: {{ttc_below: {thr}}}
"""


@pytest.mark.parametrize("duration", [0.1, 3.0])
def test_ttc_drac_thw_closed_form(duration):
    """Ego at 20 m/s behind a truck at 14 m/s in its lane: box TTC = gap / closing speed,
    DRAC = (v_e - v_l)^2 / (2 gap), THW = gap / v_e. All three get worse every step, so the
    extreme is taken at the last step (duration 0.1 s: one step, the initial boxes)."""
    thr = 4.0
    b = sim(FOLLOW.format(thr=thr), duration=duration)
    steps = round(duration / DT)
    gap0 = 90 - 50 - 0.5 * (CAR_L + TRUCK_L)
    dv = 20 - 14
    gap = gap0 - dv * (steps - 1) * DT
    m = {k: float(x[0]) for k, x in b.metrics.items()}
    assert m["min_ttc"] == pytest.approx(gap / dv, rel=1e-9)
    assert m["max_drac"] == pytest.approx(dv * dv / (2 * gap), rel=1e-9)
    assert m["min_thw"] == pytest.approx(gap / 20, rel=1e-9)
    assert b.agent_metrics[0, 1, Lo.A_MIN_TTC] == pytest.approx(gap / dv, rel=1e-9)
    # the car in the next lane never meets the ego (parallel lanes): no TTC; its box distance is
    # the 2-D gap between the boxes, smallest at the last step (it starts 10 m behind, 10 m/s faster)
    assert b.agent_metrics[0, 2, Lo.A_MIN_TTC] == math.inf
    k = np.arange(steps)
    dx = np.abs((40 + 30 * k * DT) - (50 + 20 * k * DT)) - CAR_L
    dy = 3.5 - CAR_W
    assert b.agent_metrics[0, 2, Lo.A_MIN_DIST] == pytest.approx(np.hypot(np.maximum(dx, 0), dy).min(), rel=1e-9)
    assert m["min_distance"] == pytest.approx(min(gap, np.hypot(np.maximum(dx, 0), dy).min()), rel=1e-9)
    # TET: dt per step whose TTC, gap0/dv - k*dt, is below the threshold
    ttc_k = gap0 / dv - k * DT
    assert m["tet"] == pytest.approx(DT * np.count_nonzero(ttc_k < thr), abs=1e-9)
    assert b.labels["near_miss"][0] == (gap / dv < thr)
    assert b.robustness["near_miss"][0] == pytest.approx(min(gap / dv, 10.0) - thr, abs=1e-9)
    assert m["collision_time"] == math.inf and m["collision_a"] == -1


def test_ttc_beyond_horizon_is_inf():
    b = sim("""road: {type: straight, lanes: 1, length: 1000}
actors:
  ego: {kind: car, lane: 0, s: 50, speed: 20, behavior: constant_speed}
  lead: {kind: car, lane: 0, s: 300, speed: 19, behavior: constant_speed}
""", duration=1.0)
    assert b.metrics["min_ttc"][0] == math.inf
    assert b.metrics["max_drac"][0] == pytest.approx(1 / (2 * (250 - CAR_L - 0.9)), rel=1e-9)


# ------------------------------------------------------------------------------------------ collisions


def test_rear_end_collision_time():
    """Ego at 20 m/s, a car at 5 m/s 25 m ahead (centres): contact at t* = 20.4 / 15 = 1.36 s; the
    kernel checks overlap at the start of every step, so it reports the first step time >= t*."""
    b = sim("""road: {type: straight, lanes: 1, length: 500}
actors:
  ego: {kind: car, lane: 0, s: 50, speed: 20, behavior: constant_speed}
  lead: {kind: car, lane: 0, s: 75, speed: 5, behavior: constant_speed}
events:
  collision: {}
""", duration=4.0)
    t_star = (25 - CAR_L) / 15
    m = {k: float(x[0]) for k, x in b.metrics.items()}
    assert t_star <= m["collision_time"] < t_star + DT
    assert m["collision_time"] == pytest.approx(math.ceil(t_star / DT) * DT)
    assert m["ego_collision_time"] == m["collision_time"]
    assert (m["collision_a"], m["collision_b"]) == (0, 1)
    np.testing.assert_array_equal(b.agent_metrics[0, :, Lo.A_COLL_TIME], m["collision_time"])
    assert m["min_ttc"] == 0.0 and m["min_distance"] == 0.0
    assert b.labels["collision"][0]
    assert b.robustness["collision"][0] == pytest.approx(-(1 + 4.0 - m["collision_time"]))
    # colliding agents stop where they are
    k = round(m["collision_time"] / DT)
    tr = b.trajectories[0]
    assert np.all(tr[:, k + 1:, F.F_SPEED] == 0.0)
    assert np.all(tr[:, k + 1:, F.F_X] == tr[:, k:k + 1, F.F_X])


def _first_overlap_time(pose_a, pose_b, t_end, h=1e-4):
    """First t on a fine grid at which two boxes given as functions of t intersect (shapely)."""
    for t in np.arange(0.0, t_end, h):
        pa, pb = Polygon(pose_a(t)), Polygon(pose_b(t))
        if shapely.intersects(pa, pb):
            return t
    return math.inf


def _box(x, y, h, length, width):
    c, s = math.cos(h), math.sin(h)
    pts = [(+length / 2, +width / 2), (-length / 2, +width / 2), (-length / 2, -width / 2), (+length / 2, -width / 2)]
    return [(x + c * u - s * w, y + s * u + c * w) for u, w in pts]


def test_crossing_collision_time_at_intersection():
    """Straight through a four-way junction from the south and from the east at constant speeds:
    the kernel's collision time is the first step time at or after the first contact of the boxes."""
    H = 3.5 + 6.0  # lanes * lane_width + turn_radius
    b = sim("""road: {type: intersection, lanes: 1, lane_width: 3.5, length: 80, turn_radius: 6}
actors:
  ego: {kind: car, lane: S_in_0, s: 70, speed: 10, behavior: constant_speed}
  other: {kind: car, lane: E_in_0, s: 60, speed: 12, behavior: constant_speed}
""", duration=4.0)
    ego = lambda t: _box(1.75, -(H + 80) + 70 + 10 * t, math.pi / 2, CAR_L, CAR_W)  # noqa: E731
    oth = lambda t: _box(H + 80 - 60 - 12 * t, 1.75, math.pi, CAR_L, CAR_W)  # noqa: E731
    t_star = _first_overlap_time(ego, oth, 4.0)
    assert 2.0 < t_star < 2.1  # (29.5 - 12 t) - 1.75 = 3.25 at t = 2.0417 s
    tc = b.metrics["collision_time"][0]
    assert t_star - 1e-4 <= tc < t_star + DT
    assert (b.metrics["collision_a"][0], b.metrics["collision_b"][0]) == (0, 1)
    # before the contact both drove their straight lines exactly
    tr = b.trajectories[0].astype(np.float64)
    k = round(tc / DT)
    t = times(b)[:k + 1]
    np.testing.assert_allclose(tr[0, :k + 1, F.F_X], 1.75, atol=1e-5)
    np.testing.assert_allclose(tr[0, :k + 1, F.F_Y], -(H + 80) + 70 + 10 * t, atol=1e-4)
    np.testing.assert_allclose(tr[1, :k + 1, F.F_X], H + 80 - 60 - 12 * t, atol=1e-4)
    np.testing.assert_allclose(tr[1, :k + 1, F.F_Y], 1.75, atol=1e-5)


def test_no_collision_when_paths_miss():
    b = sim("""road: {type: intersection, lanes: 1, lane_width: 3.5, length: 80, turn_radius: 6}
actors:
  ego: {kind: car, lane: S_in_0, s: 70, speed: 10, behavior: constant_speed}
  other: {kind: car, lane: E_in_0, s: 20, speed: 12, behavior: constant_speed}
""", duration=4.0)
    assert b.metrics["collision_time"][0] == math.inf
    assert b.metrics["collision_a"][0] == -1


# ------------------------------------------------------------------------------------------ pedestrians


def test_pedestrian_cross_walks_its_path_at_its_speed():
    """Path offsets [[0,0],[0,4],[3,8]] (4 m north, then 5 m north-east) at 1.5 m/s from t = 1 s:
    position = start + point at arc length 1.5 (t - 1) along the path, then it stops at the end."""
    b = sim("""road: {type: straight, lanes: 1, length: 500}
actors:
  ego: {kind: car, lane: 0, s: 10, speed: 0, behavior: constant_speed}
  ped:
    kind: pedestrian
    position: {x: 60, y: -3}
    behavior: constant_speed
    maneuver: {cross: {path: [[0, 0], [0, 4], [3, 8]], speed: 1.5, start: 1.0}}
""", duration=10.0)
    tr = b.trajectories[0, 1].astype(np.float64)
    t = times(b)
    walked = np.clip(1.5 * (t - 1.0), 0.0, 9.0)
    ex = 60 + np.where(walked <= 4, 0.0, 3 * (walked - 4) / 5)
    ey = -3 + np.where(walked <= 4, walked, 4 + 4 * (walked - 4) / 5)
    np.testing.assert_allclose(tr[:, F.F_X], ex, atol=1e-5)
    np.testing.assert_allclose(tr[:, F.F_Y], ey, atol=1e-5)
    walking = (t > 1.0 + 1e-9) & (walked < 9.0 - 1e-9)
    assert np.all(tr[walking, F.F_SPEED] == np.float32(1.5))
    assert np.all(tr[t <= 1.0, F.F_SPEED] == 0.0) and np.all(tr[walked >= 9.0, F.F_SPEED] == 0.0)
    seg1 = walking & (walked < 4 - 1e-9)
    seg2 = walking & (walked > 4 + 1e-9)
    np.testing.assert_allclose(tr[seg1, F.F_HEADING], math.pi / 2, atol=1e-6)
    np.testing.assert_allclose(tr[seg2, F.F_HEADING], math.atan2(4, 3), atol=1e-6)
    # speed from the positions
    step = np.hypot(np.diff(tr[:, F.F_X]), np.diff(tr[:, F.F_Y])) / DT
    inner = (walked[:-1] > 0) & (walked[1:] < 4) | (walked[:-1] > 4) & (walked[1:] < 9)
    np.testing.assert_allclose(step[inner], 1.5, atol=1e-3)
    assert np.all(tr[:, F.F_LANE] == -1) and np.all(tr[:, F.F_S] == 0.0)


def test_pedestrian_distance_trigger():
    """The crossing starts at the first step at which the ego (10 m/s from x = 10) is closer than
    20 m: sqrt((60 - x)^2 + 3^2) < 20 once x > 60 - sqrt(391) = 40.23 m, i.e. at t = 3.1 s."""
    b = sim("""road: {type: straight, lanes: 1, length: 500}
actors:
  ego: {kind: car, lane: 0, s: 10, speed: 10, behavior: constant_speed}
  ped:
    kind: pedestrian
    position: {x: 60, y: -3}
    maneuver: {cross: {path: [[0, 0], [0, 9]], speed: 2.0, start: {distance_to: ego, below: 20}}}
""", duration=4.5)  # (at t = 4.8 s the ego would reach the pedestrian)
    y = b.trajectories[0, 1, :, F.F_Y].astype(np.float64)
    t = times(b)
    t0 = math.ceil((60 - math.sqrt(391) - 10) / 10 / DT) * DT
    assert t0 == pytest.approx(3.1)
    np.testing.assert_allclose(y, -3 + 2.0 * np.clip(t - t0, 0, None), atol=1e-5)


def test_pet_of_a_pedestrian_crossing_after_the_ego():
    """The ego (10 m/s along y = 0) passes x = 60 at t = 5 s; a pedestrian crosses there northwards
    at 1.5 m/s from t_s. PET is the smallest time between the two centres passing within
    (w_ego + w_ped)/2 = 1.2 m of each other: 5/1.5 + t_s - 5 - 1.2*sqrt(1/1.5^2 + 1/10^2) in continuous
    time; both trajectories are sampled every step, so the kernel's value is at most 2 dt above it."""
    for ts in (4.0, 4.55):
        b = sim(f"""road: {{type: straight, lanes: 1, length: 500}}
actors:
  ego: {{kind: car, lane: 0, s: 10, speed: 10, behavior: constant_speed}}
  ped:
    kind: pedestrian
    position: {{x: 60, y: -5}}
    maneuver: {{cross: {{path: [[0, 0], [0, 10]], speed: 1.5, start: {ts}}}}}
""", duration=12.0)
        expect = 5 / 1.5 + ts - 5 - 1.2 * math.sqrt(1 / 1.5**2 + 1 / 10**2)
        assert b.metrics["collision_time"][0] == math.inf
        assert expect - 1e-9 <= b.metrics["min_pet"][0] <= expect + 2 * DT
        assert b.agent_metrics[0, 1, Lo.A_PET] == b.metrics["min_pet"][0]


# ------------------------------------------------------------------------------------------ car following to a stop


@pytest.mark.parametrize("obstacle", [
    "wall: {kind: car, lane: 0, s: 120, speed: 0, behavior: constant_speed}",
    "ped: {kind: pedestrian, position: {x: 120, y: 0.8}}",  # standing in the lane corridor
])
def test_idm_stops_behind_a_standing_obstacle_at_min_gap(obstacle):
    b = sim(f"""road: {{type: straight, lanes: 1, lane_width: 3.5, length: 500}}
actors:
  ego: {{kind: car, lane: 0, s: 10, speed: 15, behavior: {{idm: {{desired_speed: 15, min_gap: 2.0}}}}}}
  {obstacle}
""", duration=40.0)
    tr = b.trajectories[0].astype(np.float64)
    ob_len = 0.5 if "pedestrian" in obstacle else CAR_L
    gap = tr[1, -1, F.F_X] - tr[0, -1, F.F_X] - 0.5 * (CAR_L + ob_len)
    assert tr[0, -1, F.F_SPEED] == pytest.approx(0.0, abs=1e-3)
    assert gap == pytest.approx(2.0, abs=0.05)  # IDM standstill gap s0
    assert b.metrics["collision_time"][0] == math.inf
    assert np.all(tr[0, :, F.F_SPEED] >= 0)


def test_pedestrian_outside_the_lane_is_ignored():
    b = sim("""road: {type: straight, lanes: 1, lane_width: 3.5, length: 500}
actors:
  ego: {kind: car, lane: 0, s: 10, speed: 12, behavior: {idm: {desired_speed: 12}}}
  ped: {kind: pedestrian, position: {x: 80, y: 3.0}}
""", duration=10.0)
    assert np.all(b.trajectories[0, 0, :, F.F_SPEED] == 12.0)
    assert b.metrics["min_distance"][0] == pytest.approx(3.0 - 0.25 - CAR_W / 2, abs=1e-9)


# ------------------------------------------------------------------------------------------ lane changes and turns


def test_scripted_lane_change_ends_centred_in_the_target_lane():
    b = sim("""road: {type: straight, lanes: 2, lane_width: 3.5, length: 500}
actors:
  ego: {kind: car, lane: 0, s: 10, speed: 20, behavior: constant_speed,
        maneuver: {lane_change: {to: 1, start: 1.0, duration: 3.0}}}
""", duration=10.0)
    tr = b.trajectories[0, 0].astype(np.float64)
    t = times(b)
    assert np.all(tr[t < 1.0, F.F_LANE] == 0) and np.all(tr[t > 1.05, F.F_LANE] == 1)
    assert np.all(tr[t < 1.0, F.F_Y] == 0.0)
    # y rises monotonically to the target lane within a bounded overshoot, then settles on its centre
    y = tr[:, F.F_Y]
    assert y.max() < 3.5 + 0.75 and y.min() >= 0.0
    assert np.all(np.diff(y[(t >= 1.0) & (t <= 3.5)]) >= 0)
    assert abs(y[-1] - 3.5) < 0.02 and abs(tr[-1, F.F_HEADING]) < 1e-3
    # the car never leaves the road (two lanes: y in [-1.75, 5.25], box half width 0.95)
    assert y.max() + CAR_W / 2 < 5.25
    assert np.all(tr[:, F.F_SPEED] == 20.0)
    # x advances at the speed projected on the road
    dx = np.diff(tr[:, F.F_X]) / DT
    np.testing.assert_allclose(dx, 20.0 * np.cos(tr[:-1, F.F_HEADING]), rtol=0.02)


def test_mobil_waits_for_a_car_leaving_the_target_lane():
    """A car still half in the lane it is leaving occupies that lane: MOBIL does not move in
    beside it (it once did, since the lane scan lists a lane-changer under its new lane only;
    on the cut-in, one of five pile-ups in 200 000 runs began that way)."""
    b = sim("""road: {type: straight, lanes: 4, lane_width: 3.5, length: 600}
actors:
  ego: {kind: car, lane: 3, s: 10, speed: 20, behavior: constant_speed}
  mover: {kind: car, lane: 0, s: 100, speed: 30,
          behavior: {idm: {desired_speed: 33}, lane_change: {mobil: {politeness: 0.0}}}}
  slow: {kind: car, lane: 0, s: 140, speed: 15, behavior: {idm: {desired_speed: 15}}}
  leaver: {kind: car, lane: 1, s: 103, speed: 30, behavior: constant_speed,
           maneuver: {lane_change: {to: 2, start: 0.2, duration: 4.0}}}
""", duration=8.0)
    tr = b.trajectories[0].astype(np.float64)
    mover, leaver = (b.agent_names.index(n) for n in ("mover", "leaver"))
    switched = np.flatnonzero(np.diff(tr[mover, :, F.F_LANE]) != 0)
    assert len(switched) == 1 and tr[mover, -1, F.F_LANE] == 1  # it does overtake, once
    f = switched[0] + 1
    # when it starts, the leaver's box has left lane 1 (centre y = 3.5, half width 1.75)
    assert tr[leaver, f, F.F_Y] - CAR_W / 2 > 3.5 + 1.75
    assert b.metrics["collision_time"][0] == np.inf


@pytest.mark.parametrize("route,heading,end", [
    ("[S_in_0, S_in_0>W_out_0, W_out_0]", math.pi, (None, 1.75)),
    ("[S_in_0, S_in_0>E_out_0, E_out_0]", 0.0, (None, -1.75)),
    ("[S_in_0, S_in_0>N_out_0, N_out_0]", math.pi / 2, (1.75, None)),
])
def test_route_through_intersection(route, heading, end):
    """The car takes the lanes of its route and leaves on the right outgoing lane. The curvature
    steps at the connector ends need a steer change that the 0.7 rad/s rate limit spreads over
    several steps (left turn R = 11.25 m: 0.24 rad; right turn R = 7.75 m: 0.34 rad), hence
    a transient offset of some decimetres, small enough that the box stays inside its lane."""
    b = sim(f"""road: {{type: intersection, lanes: 1, lane_width: 3.5, length: 80, turn_radius: 6}}
actors:
  ego: {{kind: car, lane: S_in_0, s: 50, speed: 7, behavior: constant_speed, route: {route}}}
""", duration=12.0)
    tr = b.trajectories[0, 0].astype(np.float64)
    spec = scenariogen.parse_text(f"""scenariogen: 1
name: r
road: {{type: intersection, lanes: 1, lane_width: 3.5, length: 80, turn_radius: 6}}
actors:
  ego: {{kind: car, lane: S_in_0, s: 50, route: {route}}}
""")
    from scenariogen.sim.compile import compiled_road

    ids = compiled_road(spec).arrays.lane_ids
    want = [ids.index(x.strip()) for x in route.strip("[]").split(",")]
    seen = [int(v) for k, v in enumerate(tr[:, F.F_LANE]) if k == 0 or v != tr[k - 1, F.F_LANE]]
    assert seen == want
    assert abs(math.remainder(tr[-1, F.F_HEADING] - heading, 2 * math.pi)) < 1e-3
    assert np.abs(tr[:, F.F_OFFSET]).max() + CAR_W / 2 < 3.5 / 2
    assert abs(tr[-1, F.F_OFFSET]) < 0.02
    if end[0] is not None:
        assert tr[-1, F.F_X] == pytest.approx(end[0], abs=0.02)
    if end[1] is not None:
        assert tr[-1, F.F_Y] == pytest.approx(end[1], abs=0.02)
    assert np.all(tr[:, F.F_SPEED] == 7.0)
