"""Calibration recovers known parameters from synthetic "real" data made by the simulator."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from scenariogen.calibrate import calibrate
from scenariogen.calibrate.dists import to_yaml
from scenariogen.calibrate.fit import _frames, _sim_descriptors
from scenariogen.coverage.report import DescriptorSet
from scenariogen.dsl.parse import parse_text

FAMILY = """\
scenariogen: 1
name: synthetic_calibration
dt: 0.1
duration: 3.0
seed: 3
road: {type: straight, lanes: 2, lane_width: 3.5, length: 400}
actors:
  ego:
    kind: car
    lane: 0
    s: 120
    speed: {uniform: [20, 26]}
    behavior: constant_speed
traffic:
  - kind: car
    count: 14
    lanes: [1]
    s_range: [40, 300]
    spacing: {uniform: [12, 20]}
    speed: 15
calibrate:
  fit: [actors.ego.speed]
  scenarios: 60
  evaluations: 100
  bootstrap: 4
"""
TRUTH = {"actors.ego.speed": (12.0, 16.0)}


def synthetic_real(spec, n: int = 240, groups: int = 6, truth: dict = TRUTH) -> DescriptorSet:
    """Ego windows of ``spec`` simulated under ``truth`` (uniform laws by parameter name), split into
    ``groups`` "recordings"."""
    from scenariogen.dsl.distributions import Uniform

    ps = tuple(dataclasses.replace(p, dist=Uniform(*truth[p.name]) if p.name in truth else p.dist)
               for p in spec.parameters.parameters)
    truth = dataclasses.replace(spec, parameters=dataclasses.replace(spec.parameters, parameters=ps))
    theta = truth.parameters.sample(np.random.default_rng(99), n)
    _, frames = _frames(spec)
    D = _sim_descriptors(truth, theta, 12345, frames, 0.0)
    recs = np.array([f"synthetic-{i % groups}" for i in range(len(D))], dtype=object)
    return DescriptorSet(D, None, spec.dt, frames, {"logs": {}, "position_noise": 0.0}, recs, recs)


@pytest.fixture(scope="module")
def fitted():
    spec = parse_text(FAMILY, "synthetic.yaml")
    return spec, calibrate(spec, synthetic_real(spec), seed=1)


def test_recovers_known_parameters_within_stated_uncertainty(fitted):
    _spec, res = fitted
    for p in res.parameters:
        for value, sd, true in zip(p.coords, p.sd, TRUTH[p.name]):
            assert abs(value - true) <= 2 * sd, (p.name, value, sd, true)  # the stated 95 % interval
    assert res.distance_after < res.distance_before
    assert res.distance_after <= res.distance_band[1]
    assert all(d.inside for d in res.descriptors if d.name in ("ego_speed_mean", "n_agents_30m"))


def test_calibrated_text_is_a_valid_family_with_a_header(fitted):
    spec, res = fitted
    assert res.text.startswith("# calibrated by scenariogen")
    again = parse_text(res.text, "again.yaml")
    assert again.parameters.names == spec.parameters.names
    assert again.calibrate == spec.calibrate
    for p in res.parameters:
        written = again.parameters.parameters[again.parameters.index(p.name)].dist
        assert to_yaml(written) == to_yaml(p.after)
        assert f"{p.name} (simulation): was {to_yaml(p.before)}" in res.text


def test_standardised_descriptors_are_clipped():
    """One crash's deceleration spike counts as Z_CAP real sd, not thousands: the energy distance
    stays bounded and the fit does not chase it."""
    from scenariogen.calibrate.fit import Z_CAP, _Real, energy
    from scenariogen.coverage.descriptors import DESCRIPTOR_NAMES

    D = np.random.default_rng(0).normal(size=(60, len(DESCRIPTOR_NAMES))) + 5.0
    rl = _Real(D, np.array(["a", "b"] * 30, dtype=object))
    spiked = D.copy()
    spiked[:3, DESCRIPTOR_NAMES.index("ego_max_decel")] = [1e6, -1e6, 5e5]
    assert np.abs(rl.z(spiked)).max() == Z_CAP
    assert abs(energy(rl.z(spiked), rl.Z)) < 2.0
