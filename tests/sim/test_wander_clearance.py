"""A wandering driver keeps its sideways clearance: while a vehicle in an adjacent lane is alongside,
its lateral target does not come closer to it than ``WANDER_CLEARANCE`` (unless its held offset
already is closer: the wander only gives way), and with nobody alongside the wander is unchanged."""

from __future__ import annotations

import numpy as np

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
# m: the clearance bounds the lateral target; the steering overshoots it by millimetres and, heading
# across towards it, the box's corners reach a few centimetres further (0.5 x 4.6 m x sin 0.01 rad)
TOL = 0.04


def _run(held: float = 0.0, s_other: float = 20.0):
    spec = scenariogen.parse_text(TWO.format(held=held, s_other=s_other))
    b = scenariogen.simulate(spec, 12, seed=3)
    tr = b.trajectories.astype(np.float64)
    length, width = b.sizes[..., 0].astype(np.float64), b.sizes[..., 1].astype(np.float64)
    h = tr[..., Lo.F_HEADING]
    half = 0.5 * (width[..., None] * np.abs(np.cos(h)) + length[..., None] * np.abs(np.sin(h)))
    gap = (tr[:, 1, :, Lo.F_Y] - half[:, 1]) - (tr[:, 0, :, Lo.F_Y] + half[:, 0])
    return tr[:, 0, :, Lo.F_OFFSET], gap


def test_a_wanderer_beside_a_neighbour_keeps_the_clearance():
    d, gap = _run()
    assert gap.min() >= WANDER_CLEARANCE - TOL, gap.min()
    assert gap.min() < WANDER_CLEARANCE + 0.1  # it does wander up to the clearance, not short of it
    assert d.min() < -0.5  # and away from the neighbour freely


def test_a_wanderer_held_closer_than_the_clearance_does_not_come_closer_nor_is_pushed_away():
    d, gap = _run(held=0.7)  # held gap 3.5 - 0.6 - 0.7 - 1.9 = 0.3 m: below the clearance from the start
    held_gap = gap[:, 0]
    assert held_gap.max() < WANDER_CLEARANCE
    assert gap.min() >= held_gap.min() - TOL
    assert np.abs(d[:, :3] - 0.7).max() < 0.02  # not pushed away at the start
    assert d.min() < 0.0  # it still wanders away from the neighbour


def test_with_nobody_alongside_the_wander_is_unchanged():
    text = TWO.format(held=0.0, s_other=20.0)
    alone = scenariogen.parse_text("".join(ln for ln in text.splitlines(True) if not ln.startswith("  other:")))
    assert len(alone.actors) == 1
    d_alone = scenariogen.simulate(alone, 12, seed=3).trajectories[:, 0, :, Lo.F_OFFSET]
    d_far, _gap = _run(s_other=400.0)  # same speed, 380 m ahead all along
    assert np.array_equal(d_alone, d_far.astype(d_alone.dtype))
    assert (d_alone > 0.6).any()  # alone it wanders where the neighbour alongside would not let it
