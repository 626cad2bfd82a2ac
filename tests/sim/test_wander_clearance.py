"""A wandering driver keeps its sideways clearance: while a vehicle in an adjacent lane, or in its own
lane at an offset, is alongside, its lateral target does not come closer to it than
``WANDER_CLEARANCE`` (unless its held offset already is closer: the wander only gives way), and with
nobody alongside the wander is unchanged."""

from __future__ import annotations

import numpy as np
import pytest

import scenariogen
from scenariogen.data import layout as Lo
from scenariogen.kernels.integrate import WANDER_CLEARANCE

# lane 0 (y = 0) and lane 1 (y = 3.5) run along +x; the wanderer is in lane 0, the neighbour in lane 1
# held 0.6 m towards it, so the wander's room in its lane (0.75 m) would reach within 0.25 m of it
TWO = """scenariogen: 1
name: beside
dt: 0.1
duration: 40
road: {{type: straight, lanes: 2, lane_width: 3.5, length: 2000}}
actors:
  ego: {{kind: car, lane: 0, s: 20, offset: {held}, speed: 15,
        behavior: {{constant_speed: {{}}, driver: {{wander: {{sd: 0.8, tau: 1.5}}}}}}}}
  other: {{kind: car, lane: 1, s: {s_other}, offset: -0.6, speed: 15, behavior: {{constant_speed: {{}}}}}}
events:
  collision: {{}}
"""
# one 6 m lane: the wanderer held 1.2 m right of its centre, the other 1.4 m left of it alongside
# (a car passing it inside the lane), 0.7 m apart; the wander's room in the lane (2.0 m) reaches past it
ONE = TWO.replace("lanes: 2, lane_width: 3.5", "lanes: 1, lane_width: 6.0").replace(
    "lane: 1, s: {s_other}, offset: -0.6", "lane: 0, s: {s_other}, offset: 1.4")
# (road, the wanderer's held offset, one held closer than the clearance, an offset it does not reach beside it)
CASES = {"adjacent lane": (TWO, 0.0, 0.7, 0.6), "own lane": (ONE, -1.2, -0.9, -0.9)}

# m: the clearance bounds the lateral target; the steering overshoots it by millimetres and, heading
# across towards it, the box's corners reach a few centimetres further (0.5 x 4.6 m x sin 0.01 rad)
TOL = 0.04


def _run(road: str, held: float, s_other: float = 20.0):
    spec = scenariogen.parse_text(road.format(held=held, s_other=s_other))
    b = scenariogen.simulate(spec, 12, seed=3)
    tr = b.trajectories.astype(np.float64)
    length, width = b.sizes[..., 0].astype(np.float64), b.sizes[..., 1].astype(np.float64)
    h = tr[..., Lo.F_HEADING]
    half = 0.5 * (width[..., None] * np.abs(np.cos(h)) + length[..., None] * np.abs(np.sin(h)))
    gap = (tr[:, 1, :, Lo.F_Y] - half[:, 1]) - (tr[:, 0, :, Lo.F_Y] + half[:, 0])
    return tr[:, 0, :, Lo.F_OFFSET], gap


@pytest.mark.parametrize("case", CASES)
def test_a_wanderer_beside_a_neighbour_keeps_the_clearance(case):
    road, held, _closer, _beyond = CASES[case]
    d, gap = _run(road, held)
    assert gap.min() >= WANDER_CLEARANCE - TOL, gap.min()
    assert gap.min() < WANDER_CLEARANCE + 0.1  # it does wander up to the clearance, not short of it
    assert d.min() < held - 0.5  # and away from the neighbour freely


@pytest.mark.parametrize("case", CASES)
def test_a_wanderer_held_closer_than_the_clearance_does_not_come_closer_nor_is_pushed_away(case):
    road, _held, closer, _beyond = CASES[case]
    d, gap = _run(road, closer)  # held gap 0.3 m (adjacent lane), 0.4 m (own lane): below the clearance
    held_gap = gap[:, 0]
    assert held_gap.max() < WANDER_CLEARANCE
    assert gap.min() >= held_gap.min() - TOL
    assert np.abs(d[:, :3] - closer).max() < 0.02  # not pushed away at the start
    assert d.min() < closer - 0.7  # it still wanders away from the neighbour


@pytest.mark.parametrize("case", CASES)
def test_with_nobody_alongside_the_wander_is_unchanged(case):
    road, held, _closer, beyond = CASES[case]
    text = road.format(held=held, s_other=20.0)
    alone = scenariogen.parse_text("".join(ln for ln in text.splitlines(True) if not ln.startswith("  other:")))
    assert len(alone.actors) == 1
    d_alone = scenariogen.simulate(alone, 12, seed=3).trajectories[:, 0, :, Lo.F_OFFSET]
    d_far, _gap = _run(road, held, s_other=400.0)  # same speed, 380 m ahead all along
    assert np.array_equal(d_alone, d_far.astype(d_alone.dtype))
    assert (d_alone > beyond).any()  # alone it wanders where the neighbour alongside would not let it
