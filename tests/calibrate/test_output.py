"""The calibrated file: each fitted distribution rewritten in place, the rest of the text kept."""

from __future__ import annotations

from scenariogen.calibrate.output import calibrated_text
from scenariogen.dsl.distributions import Normal, Poisson, Uniform
from scenariogen.dsl.parse import parse_text

FAMILY = """\
scenariogen: 1
name: t
params:
  gap:
    uniform: [10, 30]   # a comment
actors:
  ego:
    kind: car
    lane: 0
    s: 50
    speed:
      normal:
        mean: 20
        std: 2
        low: 5
        high: 40
    behavior: {idm: {desired_speed: 30}}   # kept
road: {type: straight, lanes: 2, length: 300}
traffic:
  - kind: car
    count: {poisson: {lam: 5, high: 10}}
    lanes: [1]
    spacing: $gap
"""


def test_block_and_flow_distributions_are_replaced_and_everything_else_kept():
    laws = {"gap": Uniform(12.345678, 20.0), "actors.ego.speed": Normal(15.0, 3.0, 5.0, 40.0),
            "traffic[0].count": Poisson(7.5, 10)}
    out = calibrated_text(parse_text(FAMILY), laws)
    assert "    {uniform: [12.35, 20]}   # a comment\n" in out
    assert "      {normal: {mean: 15, std: 3, low: 5, high: 40}}\n    behavior: {idm: {desired_speed: 30}}   # kept\n" in out
    assert "    count: {poisson: {lam: 7.5, high: 10}}\n" in out
    space = parse_text(out).parameters
    assert space.parameters[space.index("gap")].dist == Uniform(12.35, 20.0)
    assert space.parameters[space.index("actors.ego.speed")].dist == laws["actors.ego.speed"]
    assert space.parameters[space.index("traffic[0].count")].dist == laws["traffic[0].count"]
    untouched = [ln for ln in FAMILY.splitlines() if not any(k in ln for k in ("uniform", "normal", "mean", "std",
                                                                                 "low:", "high:", "poisson"))]
    assert all(ln in out.splitlines() for ln in untouched)
