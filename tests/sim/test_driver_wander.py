"""The driver trait ``wander`` in the simulator: the lateral target is the held offset plus an
Ornstein-Uhlenbeck process, and the steering tracks it. On a straight lane at constant speed the
kernel's loop (target, heading, offset) is linear for small angles, so the offset's stationary sd
and autocorrelation have a closed form (a discrete Lyapunov equation) that the simulation must
match; a wandering car keeps its box inside its lane and its lateral acceleration within its
``lateral_accel``; without the trait (or at sd 0) nothing changes, not a draw."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.linalg import solve_discrete_lyapunov

import scenariogen
from scenariogen.data import layout as Lo
from scenariogen.dsl.schema import canonical
from scenariogen.errors import DSLError
from scenariogen.kernels.integrate import K_HEAD, K_LAT
from scenariogen.sim.engine import spec_hash

ALONE = """scenariogen: 1
name: alone
dt: 0.1
duration: {duration}
road: {{type: straight, lanes: 1, lane_width: 3.7, length: 5000}}
actors:
  ego: {{kind: car, lane: 0, s: 10, speed: {speed}, behavior: {{constant_speed: {{}}{driver}}}}}
events:
  collision: {{}}
"""


def _closed_form(sigma: float, tau: float, v: float, dt: float, lags: list[int]) -> tuple[float, list[float]]:
    """Stationary sd of the offset (m) and its autocorrelation at ``lags`` (steps) for the kernel's
    step linearised: w' = r w + q z; d' = d + v dt e; e' = e + dt K_HEAD (K_LAT (sigma w' - d) / v - e)
    (kernels/integrate.py: the target moves first, the offset moves with the old heading error)."""
    r = math.exp(-dt / tau)
    q = math.sqrt(1.0 - r * r)
    g = dt * K_HEAD * K_LAT / v
    A = np.array([[r, 0.0, 0.0], [0.0, 1.0, v * dt], [g * sigma * r, -g, 1.0 - dt * K_HEAD]])
    B = np.array([[q], [0.0], [g * sigma * q]])
    P = solve_discrete_lyapunov(A, B @ B.T)
    return math.sqrt(P[1, 1]), [float((np.linalg.matrix_power(A, k) @ P)[1, 1] / P[1, 1]) for k in lags]


@pytest.mark.parametrize("sigma, tau", [(0.2, 2.0), (0.15, 6.0)])
def test_the_offset_has_the_closed_form_sd_and_autocorrelation(sigma, tau):
    v, dt, burn = 15.0, 0.1, 200  # 20 s: the wander starts at 0
    spec = scenariogen.parse_text(ALONE.format(duration=300, speed=v,
                                               driver=f", driver: {{wander: {{sd: {sigma}, tau: {tau}}}}}"))
    d = scenariogen.simulate(spec, 32, seed=4).trajectories[:, 0, burn:, Lo.F_OFFSET].astype(np.float64)
    lags = [1, int(round(tau / dt)), int(round(2 * tau / dt))]
    sd, rho = _closed_form(sigma, tau, v, dt, lags)
    assert 0.7 * sigma < sd < sigma  # the steering smooths the target: a real check, not sd == sigma
    # 32 x 280 s is about 32 x 280 / (2 tau) independent samples: sd within 3.5 standard errors
    assert abs(d.std() / sd - 1.0) < 3.5 / math.sqrt(32 * 280 / (2 * tau)) + 0.01, (d.std(), sd)
    for k, want in zip(lags, rho):
        got = float(np.mean(d[:, :-k] * d[:, k:]) / np.mean(d * d))
        assert abs(got - want) < 0.05, (k, got, want)


TRAFFIC = """scenariogen: 1
name: wanderers
dt: 0.1
duration: 40
road: {type: straight, lanes: 3, lane_width: 3.5, length: 1500}
actors:
  ego: {kind: car, lane: 1, s: 10, speed: 14, behavior: {keep_lane: {desired_speed: 14}, driver: {wander: {sd: 0.8,
       tau: 1.0}, lateral_accel: 0.6}}}
traffic:
  - kind: car
    count: 15
    lanes: [0, 1, 2]
    s_range: [40, 400]
    spacing: 25
    speed: 14
    offset_sd: 0.5
    behavior: {keep_lane: {desired_speed: 14}, driver: {wander: {sd: {uniform: [0.3, 0.9]}, tau: 1.5}, lateral_accel: 0.6}}
events:
  collision: {}
"""


def test_a_wandering_car_stays_in_its_lane_within_its_lateral_acceleration():
    spec = scenariogen.parse_text(TRAFFIC)
    b = scenariogen.simulate(spec, 16, seed=9)
    tr, m = b.trajectories.astype(np.float64), b.mask
    length, width = b.sizes[..., 0, None].astype(np.float64), b.sizes[..., 1, None].astype(np.float64)
    d, h, v = tr[..., Lo.F_OFFSET], tr[..., Lo.F_HEADING], tr[..., Lo.F_SPEED]
    assert np.array_equal(tr[..., Lo.F_LANE], np.repeat(tr[..., :1, Lo.F_LANE], d.shape[2], axis=2))  # no lane change
    # the box's corners (the lanes run along +x, so the heading is the heading error)
    reach = np.abs(d) + 0.5 * width * np.cos(h) + 0.5 * length * np.abs(np.sin(h))
    assert reach[m].max() <= 1.75 + 1e-3
    both = m[..., 1:] & m[..., :-1]
    a_lat = np.abs(v[..., 1:] * np.diff(h, axis=-1) / 0.1)[both]
    assert a_lat.max() <= 0.6 * 1.01
    assert np.percentile(np.abs(d[m]), 90) > 0.5  # they do wander (the limits are reached, not idle)
    assert not b.labels["collision"].any()


def test_a_car_held_near_the_edge_wanders_inward_only():
    """A logged vehicle can be held closer to the lane's edge than the wander's room: its target
    starts where it is and never goes further out."""
    text = ALONE.format(duration=60, speed=15, driver=", driver: {wander: {sd: 0.3, tau: 2.0}}")
    spec = scenariogen.parse_text(text.replace("s: 10,", "s: 10, offset: 0.95,"))
    d = scenariogen.simulate(spec, 8, seed=1).trajectories[:, 0, :, Lo.F_OFFSET].astype(np.float64)
    assert d.max() <= 0.95 + 5e-3 and d.min() < 0.6  # the steering overshoots its target by millimetres
    assert np.abs(d[:, :3] - 0.95).max() < 0.02  # not pulled inward at the start


def test_without_the_trait_or_at_zero_nothing_changes():
    plain = scenariogen.parse_text(ALONE.format(duration=20, speed=15, driver=", driver: {cooperation: 0.5}"))
    off = scenariogen.parse_text(ALONE.format(duration=20, speed=15,
                                              driver=", driver: {cooperation: 0.5, wander: {sd: 0, tau: 3}}"))
    assert "wander" not in canonical(plain) and spec_hash(plain) != spec_hash(off)
    one, two = (scenariogen.simulate(s, 8, seed=5) for s in (plain, off))
    assert np.array_equal(one.trajectories, two.trajectories)
    assert not one.trajectories[..., Lo.F_OFFSET].any()  # on the centre throughout


def test_the_same_seed_gives_the_same_wander_whatever_the_chunks_and_threads():
    import numba

    spec = scenariogen.parse_text(TRAFFIC)
    one = scenariogen.simulate(spec, 12, seed=2, chunk_size=5)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        two = scenariogen.simulate(spec, 12, seed=2, chunk_size=100)
    finally:
        numba.set_num_threads(before)
    assert one.trajectories.tobytes() == two.trajectories.tobytes()
    other = scenariogen.simulate(spec, 12, seed=3)
    assert not np.array_equal(one.trajectories[..., Lo.F_OFFSET], other.trajectories[..., Lo.F_OFFSET])


@pytest.mark.parametrize("wander, path, line, message", [
    ("{sd: 1.5, tau: 3}", "wander.sd", 7, "[0, 1]"),
    ("{sd: 0.2, tau: 0}", "wander.tau", 7, "[0.1, 600]"),
    ("{sd: 0.2}", "wander", 7, "missing required key 'tau'"),
    ("{sd: 0.2, tau: 3, time: 1}", "wander.time", 7, "unknown key 'time'"),
    ("0.2", "wander", 7, "expected a mapping {sd: m, tau: s}, got a number"),
    ("{sd: {uniform: [0.1, 2]}, tau: 3}", "wander.sd", 7, "[0, 1]"),
])
def test_a_bad_wander_is_reported_at_its_key(wander, path, line, message):
    with pytest.raises(DSLError) as err:
        scenariogen.parse_text(ALONE.format(duration=20, speed=15, driver=f", driver: {{wander: {wander}}}"), "f.yaml")
    (p,) = err.value.problems
    assert p.path == f"actors.ego.behavior.driver.{path}" and p.line == line and message in p.message, p
