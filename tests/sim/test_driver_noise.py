"""The driver trait ``accel_noise`` in the simulator: on a free-driving car the acceleration minus
IDM's free-road term is the noise, with the std and correlation time given; noisy followers do
not collide in plain car following; without the trait (or at 0) nothing changes, not a draw."""

from __future__ import annotations

import math

import numpy as np
import pytest

import scenariogen
from scenariogen.data import layout as Lo
from scenariogen.errors import DSLError
from scenariogen.dsl.schema import canonical
from scenariogen.sim.engine import spec_hash

FREE = """scenariogen: 1
name: free
dt: 0.1
duration: 60
road: {{type: straight, lanes: 1, length: 3000}}
actors:
  ego: {{kind: car, lane: 0, s: 10, speed: 20, behavior: {{idm: {{desired_speed: 20}}{driver}}}}}
events:
  collision: {{}}
"""


def test_a_free_driving_car_carries_the_noise_with_its_std_and_correlation_time():
    sigma, tau = 0.4, 2.0
    spec = scenariogen.parse_text(FREE.format(driver=f", driver: {{accel_noise: {sigma}, accel_noise_time: {tau}}}"))
    b = scenariogen.simulate(spec, 48, seed=3, record="full", record_every=1)
    v, a = b.trajectories[:, 0, :, Lo.F_SPEED].astype(float), b.trajectories[:, 0, :, Lo.F_ACCEL].astype(float)
    # frame k + 1's acceleration was commanded at frame k: IDM's free-road term plus the noise
    free = 1.5 * (1.0 - (v[:, :-1] / 20.0) ** 4)
    x = (a[:, 1:] - free)[:, 1:] / sigma  # the first step starts from acceleration 0 under the jerk limit
    assert abs(x.std() - 1.0) < 0.1
    for lag_s in (1.0, 2.0):
        k = int(round(lag_s / 0.1))
        rho = np.mean(x[:, :-k] * x[:, k:]) / x.var()
        assert abs(rho - math.exp(-lag_s / tau)) < 0.1, (lag_s, rho)


PLATOON = """scenariogen: 1
name: platoon
dt: 0.1
duration: 60
road: {{type: straight, lanes: 1, length: 3000}}
actors:
  ego: {{kind: car, lane: 0, s: 10, speed: 15, behavior: {{idm: {{desired_speed: 15}}, driver: {noise}}}}}
traffic:
  - kind: car
    count: 12
    lanes: [0]
    s_range: [30, 600]
    spacing: 30
    speed: 15
    behavior: {{idm: {{desired_speed: 16, time_headway: 1.2}}, driver: {noise}}}
events:
  collision: {{}}
"""


@pytest.mark.parametrize("noise", ["{accel_noise: 0.5, accel_noise_time: 1.0}",
                                   "{accel_noise: {uniform: [0.5, 1.0]}, accel_noise_time: 3.0}"])
def test_noisy_drivers_do_not_collide_in_plain_car_following(noise):
    spec = scenariogen.parse_text(PLATOON.format(noise=noise))
    b = scenariogen.simulate(spec, 64, seed=11, record="full", record_every=10)
    assert not b.labels["collision"].any()
    a = b.trajectories[:, :, 1:, Lo.F_ACCEL]
    assert a.std() > 0.3  # the noise is there


def test_without_the_trait_or_at_zero_nothing_changes():
    plain = scenariogen.parse_text(FREE.format(driver=", driver: {cooperation: 0.5}"))
    off = scenariogen.parse_text(FREE.format(driver=", driver: {cooperation: 0.5, accel_noise: 0}"))
    assert "accel_noise" not in canonical(plain) and spec_hash(plain) != spec_hash(off)
    one, two = (scenariogen.simulate(s, 8, seed=5, record="full") for s in (plain, off))
    assert np.array_equal(one.trajectories, two.trajectories) and all(np.array_equal(one.metrics[k], two.metrics[k], equal_nan=True) for k in one.metrics)


def test_a_noise_out_of_range_is_reported_at_its_key():
    with pytest.raises(DSLError) as err:
        scenariogen.parse_text(FREE.format(driver=", driver: {accel_noise: 4, accel_noise_time: 0}"), "f.yaml")
    paths = {p.path: (p.line, p.message) for p in err.value.problems}
    assert paths["actors.ego.behavior.driver.accel_noise"][0] == 7
    assert "[0, 3]" in paths["actors.ego.behavior.driver.accel_noise"][1]
    assert "[0.1, 60]" in paths["actors.ego.behavior.driver.accel_noise_time"][1]
