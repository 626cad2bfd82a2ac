"""Small factory fixtures for road tests."""

from __future__ import annotations

import pytest

from scenariogen.road.builders import curve, intersection, merge, straight


@pytest.fixture
def straight3():
    return straight(lanes=3, lane_width=3.5, length=100.0)


@pytest.fixture
def curve_left():
    return curve(lanes=3, lane_width=3.5, radius=40.0, angle_deg=90.0)


@pytest.fixture
def merge2():
    return merge(lanes=2, lane_width=3.5, length=300.0, ramp_length=120.0,
                 merge_start=100.0, merge_length=80.0, ramp_angle_deg=12.0)


@pytest.fixture
def cross2():
    return intersection(lanes=2, lane_width=3.5, length=50.0, turn_radius=6.0)
