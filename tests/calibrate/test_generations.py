"""Generations calibrated on the last generation's data: with replacement a small sample per
generation loses the spread of the real data (model collapse), with accumulation the real data
holds it (Gerstgrasser et al. 2024).

The toy: an ego alone at a constant speed drawn from uniform [12, 16] m/s, so a window's mean
speed is the drawn speed; the "real" data are 40 simulated scenarios, each generation simulates
two. A uniform fitted to two draws spans about their distance, a third of the width on average, so
under replacement the fitted width shrinks from one generation to the next; under accumulation the
real windows stay most of every training set.
"""

from __future__ import annotations

import numpy as np
import pytest

from scenariogen.calibrate.generations import MODES, iterate, simulate_windows
from scenariogen.coverage.descriptors import DESCRIPTOR_NAMES
from scenariogen.dsl.parse import parse_text
from scenariogen.errors import CalibrationError, ParameterError

FAMILY = """\
scenariogen: 1
name: collapse_toy
dt: 0.1
duration: 10.0
seed: 3
road: {type: straight, lanes: 1, lane_width: 3.5, length: 400}
actors:
  ego:
    kind: car
    lane: 0
    s: 50
    speed: {uniform: [12, 16]}
    behavior: constant_speed
calibrate:
  fit: [actors.ego.speed]
  window: 1
  scenarios: 60
  evaluations: 200
  bootstrap: 0
"""
SPEED = DESCRIPTOR_NAMES.index("ego_speed_mean")


def _width(g) -> float:
    (_name, law), = g.laws
    return law.high - law.low


@pytest.fixture(scope="module")
def spec():
    return parse_text(FAMILY, "collapse_toy.yaml")


@pytest.fixture(scope="module")
def runs(spec):
    real = simulate_windows(spec, 40, 99, 0.0, "truth")
    return real, iterate(spec, real, 3, scenarios=2, seed=1)


def test_replacing_real_data_narrows_the_fit_and_accumulating_holds_it(runs):
    _real, out = runs
    rep, acc = out["replace"], out["accumulate"]
    first = _width(rep[0])
    assert 3.0 < first < 5.0  # generation 1 is fitted on the real data: about the true width, 4 m/s
    assert _width(rep[-1]) < 0.75 * first  # replaced: the spread is lost
    assert 0.75 * first < _width(acc[-1]) < 1.3 * first  # accumulated: it holds
    assert _width(rep[-1]) < _width(acc[-1])


def test_training_sets_are_what_each_mode_says(runs):
    real, out = runs
    rep, acc = out["replace"], out["accumulate"]
    assert rep[0].laws == acc[0].laws and rep[0].real_share == acc[0].real_share == 1.0  # generation 1: real only
    assert [g.real_share for g in rep[1:]] == [0.0, 0.0]
    assert [g.training_windows for g in rep[1:]] == [len(g.data.D) for g in rep[:-1]]  # the last generation's only
    sizes = [len(real.D)] + [len(g.data.D) for g in acc]
    assert [g.training_windows for g in acc] == list(np.cumsum(sizes)[:3])
    assert [g.real_share for g in acc] == pytest.approx([len(real.D) / t for t in np.cumsum(sizes)[:3]])
    for g in rep + acc:  # each generation's data are drawn from its own fitted law
        (_n, law), = g.laws
        v = g.data.D[:, SPEED]
        assert law.low - 0.05 <= v.min() and v.max() <= law.high + 0.05
        assert len(set(g.data.recordings)) == 2


def test_refusals(spec):
    real = simulate_windows(spec, 4, 1, 0.0, "truth")
    with pytest.raises(ParameterError, match="generations"):
        iterate(spec, real, 0)
    with pytest.raises(ParameterError, match="'keep'"):
        iterate(spec, real, 2, modes=("keep",))
    idm = FAMILY.replace("behavior: constant_speed", "behavior: {idm: {time_headway: {uniform: [1, 2]}}}").replace(
        "fit: [actors.ego.speed]", "fit: [actors.ego.behavior.idm.time_headway]")
    with pytest.raises(CalibrationError, match="per trajectory"):
        iterate(parse_text(idm, "idm.yaml"), real, 2)
    assert set(MODES) == {"replace", "accumulate"}
