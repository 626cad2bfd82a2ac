"""The ``calibrate:`` block: what it accepts, and every mistake at its line and column."""

from __future__ import annotations

import pytest

from scenariogen.dsl import parse_text
from scenariogen.dsl.schema import CalibrateSpec
from scenariogen.errors import DSLError

BASE = """\
scenariogen: 1
name: t
duration: 4.0
road: {type: straight, lanes: 2, length: 300}
params:
  gap: {uniform: [10, 30]}
actors:
  ego: {kind: car, lane: 0, s: 50, speed: {uniform: [20, 30]}}
traffic:
  - kind: car
    count: {poisson: {lam: 5, high: 10}}
    lanes: [1]
    spacing: $gap
    speed: {choice: [20, 25]}
"""


def problems(extra: str) -> list[tuple[int, int, str, str]]:
    with pytest.raises(DSLError) as exc:
        parse_text(BASE + extra, "f.yaml")
    return [(p.line, p.column, p.path, p.message) for p in exc.value.problems]


def test_a_valid_block_names_parameters_and_keeps_defaults():
    spec = parse_text(BASE + 'calibrate:\n  fit: [actors.ego.speed, $gap, "traffic[0].count"]\n  window: 2\n', "f.yaml")
    assert spec.calibrate == CalibrateSpec(fit=("actors.ego.speed", "gap", "traffic[0].count"), window=2.0)
    assert parse_text(BASE, "f.yaml").calibrate is None


def test_the_block_stays_out_of_the_spec_hash():
    from scenariogen.sim.engine import spec_hash

    assert spec_hash(parse_text(BASE + "calibrate: {fit: [gap]}\n")) == spec_hash(parse_text(BASE))


@pytest.mark.parametrize("extra, expected", [
    ("calibrate: {fit: [actors.ego.sped]}\n",
     [(15, 19, "calibrate.fit[0]", "'actors.ego.sped' is not a parameter of this family; did you mean "
                                   "'actors.ego.speed'?")]),
    ("calibrate: {fit: [gap, $gap]}\n", [(15, 24, "calibrate.fit[1]", "'$gap' is listed twice")]),
    ('calibrate: {fit: ["traffic[0].speed"]}\n',
     [(15, 19, "calibrate.fit[0]", "'traffic[0].speed' is a choice: its weights cannot be fitted; write it as a "
                                   "uniform, normal, lognormal or poisson, or leave it out of 'fit'")]),
    ("calibrate: {fit: []}\n", [(15, 18, "calibrate.fit", "expected at least one parameter name")]),
    ("calibrate: {fit: gap}\n", [(15, 18, "calibrate.fit", "expected a list of parameter names, got the text 'gap'")]),
    ("calibrate: {window: 2}\n", [(15, 12, "calibrate", "missing required key 'fit'")]),
    ("calibrate: {fit: [gap], window: 5}\n",
     [(15, 33, "calibrate.window", "5 s is longer than the family's duration (4 s)")]),
    ("calibrate: {fit: [gap], scenarios: 5, bootstrap: 1.5, evalutions: 3}\n",
     [(15, 36, "calibrate.scenarios", "value 5 is out of range: expected a number in [20, 100000]"),
      (15, 50, "calibrate.bootstrap", "expected an integer, got 1.5"),
      (15, 55, "calibrate.evalutions", "unknown key 'evalutions'; did you mean 'evaluations'?")]),
])
def test_mistakes_are_reported_where_they_are(extra, expected):
    got = problems(extra)
    assert [(ln, col, path) for ln, col, path, _ in got] == [(ln, col, path) for ln, col, path, _ in expected]
    for (_, _, _, msg), (_, _, _, want) in zip(got, expected):
        assert want in msg
