"""Calibration refuses what the logs cannot support: a per-trajectory IDM parameter the
car-following episodes do not identify (refused at its line of ``calibrate.fit``), and a fit that
ends further from the real windows than the family as written."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from real_data import NGSIM_MORE, need

from scenariogen.calibrate import calibrate
from scenariogen.calibrate.fit import refuse_unidentified
from scenariogen.calibrate.idm import MAX_SPREAD, fit_episode, fits_of, follow
from scenariogen.dsl.parse import parse_text
from scenariogen.errors import CalibrationError, DSLError

from test_recovery import synthetic_real

DT = 0.1
DRIVERS = np.array([33.0, 1.4, 2.5, 1.2, 2.0])  # v0 m/s, T s, s0 m, a m/s^2, b m/s^2

FAMILY = """\
scenariogen: 1
name: stop_and_go
dt: 0.1
duration: 3.0
seed: 2
road: {type: straight, lanes: 2, lane_width: 3.5, length: 300}
actors:
  ego:
    kind: car
    lane: 0
    s: 100
    speed: {uniform: [13, 16]}
    behavior: {idm: {desired_speed: DESIRED, time_headway: {normal: {mean: 3.0, std: 0.2, low: 0.3, high: 3.5}}}}
  leader: {kind: car, lane: 0, s: 118, speed: 10, behavior: constant_speed}
calibrate:
  fit:
FIT
  scenarios: 40
  bootstrap: 0
"""


def family(desired: str, fit: list[str]) -> str:
    return FAMILY.replace("DESIRED", desired).replace("FIT", "\n".join(f"    - {n}" for n in fit))


def congested_fits():
    """Per-episode fits of 24 followers driven by IDM (desired speed 33 m/s) behind leaders at 6 to
    10 m/s, their speeds and gaps measured with noise (0.2 m/s, 0.5 m) as video data are."""
    rng = np.random.default_rng(0)
    rows, rmse = [], []
    for k in range(24):
        t = np.arange(60) * DT
        vl = 8.0 + 2.0 * np.sin(t / 1.5 + k)
        v, gap = follow(DRIVERS, vl[0], 12.0 + k % 3, vl, DT)
        v, gap = v + rng.normal(0, 0.2, len(t)), gap + rng.normal(0, 0.5, len(t))
        p, e = fit_episode(v, gap, v - vl, DT)
        rows.append(p)
        rmse.append(e)
    return fits_of(np.array(rows), np.array(["synthetic"] * len(rows), dtype=object), np.array(rmse))


def test_a_desired_speed_never_approached_is_refused_at_its_fit_line():
    fits = congested_fits()
    assert fits.spread("desired_speed")[2] > MAX_SPREAD  # the followers never come near 33 m/s
    assert fits.spread("time_headway")[2] < MAX_SPREAD  # every gap they keep says how they follow
    text = family("{uniform: [25, 35]}", ["actors.ego.speed", "actors.ego.behavior.idm.time_headway",
                                          "actors.ego.behavior.idm.desired_speed"])
    spec = parse_text(text, "stop_and_go.yaml")
    refuse_unidentified(spec, fits, ["actors.ego.behavior.idm.time_headway"])  # identified: no error
    with pytest.raises(DSLError) as err:
        refuse_unidentified(spec, fits, ["actors.ego.behavior.idm.time_headway",
                                         "actors.ego.behavior.idm.desired_speed"])
    (problem,) = err.value.problems
    line = text.splitlines().index("    - actors.ego.behavior.idm.desired_speed") + 1
    assert (problem.file, problem.line, problem.path) == ("stop_and_go.yaml", line, "calibrate.fit[2]")
    assert "desired_speed is not identified" in problem.message and "of the range 3 to 45" in problem.message
    assert "through a named parameter" in problem.message and "leave it out of 'fit'" in problem.message


def test_estimates_piled_on_a_bound_are_refused_however_narrow():
    """Followers keeping gaps shorter than the shortest headway the fit allows: most estimates sit
    on its 0.1 s bound, the law's median would be the bound."""
    P = np.tile(DRIVERS, (20, 1))
    P[:, 1] = np.where(np.arange(20) < 11, 0.1, np.linspace(0.12, 0.3, 20))
    fits = fits_of(P, np.array(["synthetic"] * 20, dtype=object), np.zeros(20))
    assert fits.spread("time_headway")[2] < MAX_SPREAD
    spec = parse_text(family("20", ["actors.ego.behavior.idm.time_headway"]), "stop_and_go.yaml")
    with pytest.raises(DSLError, match="55% sit at its bounds"):
        refuse_unidentified(spec, fits, ["actors.ego.behavior.idm.time_headway"])


def test_a_fit_worse_than_the_family_as_written_is_refused():
    """"Real" windows simulated by the family itself (an ego keeping a 3 s time headway, closing on
    a slower leader 18 m ahead), and a time headway fitted per trajectory on US-101, where drivers
    follow at about 0.5 s: the fitted ego brakes less, its windows move away from the "real" ones,
    and nothing is returned."""
    spec = parse_text(family("20", ["actors.ego.behavior.idm.time_headway"]), "stop_and_go.yaml")
    real = synthetic_real(spec, n=60, groups=3, truth={})
    logs = [need(NGSIM_MORE / f"USA_US101-{n}_1_T-1.xml") for n in (7, 14)]
    real = dataclasses.replace(real, info={**real.info, "logs": logs})
    with pytest.raises(CalibrationError, match=r"further from the real windows than the family as written "
                                               r"\(energy distance -?[0-9.]+ after, -?[0-9.]+ before"):
        calibrate(spec, real, seed=1)
