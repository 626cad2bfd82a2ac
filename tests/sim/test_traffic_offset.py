"""``offset_sd`` in a traffic block: each vehicle holds its own lateral offset from its lane's
centre (normal, truncated so its box stays inside the lane), drawn from the scenario's stream;
at 0 (the default) nothing is drawn and every vehicle drives on the centre as before."""

from __future__ import annotations

import math

import numpy as np
import pytest

import scenariogen
from scenariogen.data import layout as Lo
from scenariogen.dsl.describe import summary
from scenariogen.errors import DSLError

LANE_W, CAR_W = 3.5, 1.9  # a car is 1.9 m wide by default


def spec_text(extra: str = "", lane_width: float = LANE_W) -> str:
    return f"""
scenariogen: 1
name: offsets
dt: 0.1
duration: 3.0
road: {{type: straight, lanes: 3, lane_width: {lane_width:g}, length: 800}}
actors:
  ego:
    kind: car
    lane: 1
    s: 20
    speed: 20
    behavior: {{idm: {{desired_speed: 20}}}}
traffic:
  - kind: car
    count: 12
    lanes: [0, 1, 2]
    s_range: [80, 700]
    spacing: 30
    speed: 20
    behavior: {{idm: {{desired_speed: 20}}}}{extra}
events:
  near_miss: {{ttc_below: 1.0}}
"""


def _run(text: str, n: int = 48) -> scenariogen.Batch:
    return scenariogen.simulate(scenariogen.parse_text(text), n, seed=3, record="full", record_every=1)


def _truncated_sd(sd: float, half: float) -> float:
    """sd of a normal(0, sd) truncated to [-half, half]."""
    a = half / sd
    pdf, mass = math.exp(-0.5 * a * a) / math.sqrt(2 * math.pi), math.erf(a / math.sqrt(2))
    return sd * math.sqrt(1.0 - 2.0 * a * pdf / mass)


def test_offsets_are_spread_with_the_given_sd_inside_the_lane_and_kept_while_lane_keeping():
    sd = 0.3
    b = _run(spec_text(f"\n    offset_sd: {sd:g}"))
    tr, on = b.trajectories[:, 1:], b.mask[:, 1:]
    d0 = tr[:, :, 0, Lo.F_OFFSET][on[:, :, 0]]
    half = 0.5 * (LANE_W - CAR_W)
    assert d0.size > 300
    assert abs(d0.mean()) < 0.05
    assert d0.std() == pytest.approx(_truncated_sd(sd, half), abs=0.04)
    assert len(np.unique(d0)) == d0.size  # each vehicle its own offset
    # the box stays inside the lane in every frame, and each vehicle keeps its offset on its lane
    d = tr[..., Lo.F_OFFSET]
    assert np.all(np.abs(d[on]) <= half + 1e-6)
    same_lane = on & on[:, :, :1] & (tr[..., Lo.F_LANE] == tr[:, :, :1, Lo.F_LANE])
    drift = np.abs(d - d[:, :, :1])[same_lane]
    assert drift.max() < 0.02


def test_a_wide_sd_is_truncated_to_the_lane_and_a_narrow_lane_keeps_the_centre():
    d = _run(spec_text("\n    offset_sd: 1", lane_width=2.6), 16)
    d0 = d.trajectories[:, 1:, 0, Lo.F_OFFSET][d.mask[:, 1:, 0]]
    assert np.abs(d0).max() <= 0.35 + 1e-9 and d0.std() > 0.15
    narrow = _run(spec_text("\n    offset_sd: 1", lane_width=1.7), 4)
    assert np.all(narrow.trajectories[:, 1:, 0, Lo.F_OFFSET][narrow.mask[:, 1:, 0]] == 0.0)


def test_zero_draws_nothing_and_changes_nothing():
    base, zero = _run(spec_text(), 8), _run(spec_text("\n    offset_sd: 0"), 8)
    assert np.array_equal(base.trajectories, zero.trajectories, equal_nan=True)
    assert np.all(base.trajectories[:, 1:, :, Lo.F_OFFSET][base.mask[:, 1:]] == 0.0)
    assert scenariogen.parse_text(spec_text()).traffic[0].offset_sd == 0.0
    assert "lateral offset" not in summary(scenariogen.parse_text(spec_text()))
    assert "lateral offset sd 0.3 m" in summary(scenariogen.parse_text(spec_text("\n    offset_sd: 0.3")))


@pytest.mark.parametrize("value, message", [
    ("1.5", r"traffic\[0\]\.offset_sd.*1\.5"),
    ("-0.1", r"traffic\[0\]\.offset_sd"),
    ("wide", r"traffic\[0\]\.offset_sd.*number"),
])
def test_a_bad_sd_is_an_error_at_its_line(value, message):
    with pytest.raises(DSLError, match=message) as e:
        scenariogen.parse_text(spec_text(f"\n    offset_sd: {value}"))
    assert e.value.problems[0].line == 22
