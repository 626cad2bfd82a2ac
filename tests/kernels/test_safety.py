"""The safety measures the simulator and the descriptors share (scenariogen.kernels.safety)."""

import math

import numpy as np
import pytest

from scenariogen.kernels.safety import PET_MAX_DIST, crossing_pet, follow_drac_thw

DT = 0.1  # s
T = 30


def crossing(delay_steps=10, speed=10.0):
    """Agent 1 drives along +x through the origin (there at step 5), agent 2 along +y through it
    ``delay_steps`` later; both 1 m per step at 10 m/s, 2 m wide."""
    k = np.arange(T, dtype=np.float64)
    step = speed * DT
    a = (-5.0 + step * k, np.zeros(T), np.zeros(T))
    b = (np.zeros(T), -5.0 + step * (k - delay_steps), np.full(T, math.pi / 2))
    return a, b


def pet(a, b, ok_a=None, ok_b=None, min_dist=0.0):
    ok_a = np.ones(T, np.bool_) if ok_a is None else ok_a
    ok_b = np.ones(T, np.bool_) if ok_b is None else ok_b
    return crossing_pet(min_dist, a[0], a[1], a[2], ok_a, 2.0, b[0], b[1], b[2], ok_b, 2.0, DT)


def test_crossing_paths():
    a, b = crossing()
    # the same spot: centres closer than the mean width (2 m); the closest steps in time are
    # agent 1 one step past the origin and agent 2 one step before it: 10 - 2 = 8 steps
    assert pet(a, b) == pytest.approx(0.8)
    assert pet(b, a) == pytest.approx(0.8)


def test_invalid_steps_are_skipped():
    a, b = crossing()
    ok_b = np.ones(T, np.bool_)
    ok_b[14:17] = False  # agent 2's only steps near the origin
    assert pet(a, b, ok_b=ok_b) == math.inf
    ok_a = np.ones(T, np.bool_)
    ok_a[6] = False  # agent 1 one step past the origin: the next best pair is 9 steps apart
    assert pet(a, b, ok_a=ok_a) == pytest.approx(0.9)


def test_far_or_parallel_agents_have_none():
    a, b = crossing()
    assert pet(a, b, min_dist=PET_MAX_DIST + 0.1) == math.inf
    assert pet(a, b, min_dist=PET_MAX_DIST) == pytest.approx(0.8)
    follower = (a[0] - 3.0, a[1], a[2])  # same path, 3 steps behind: headings do not cross
    assert pet(a, follower) == math.inf


def test_float32_frames_give_the_float64_result():
    a, b = crossing(delay_steps=7)
    a32 = tuple(x.astype(np.float32) for x in a)
    b32 = tuple(x.astype(np.float32) for x in b)
    a64 = tuple(x.astype(np.float64) for x in a32)
    b64 = tuple(x.astype(np.float64) for x in b32)
    assert pet(a32, b32) == pet(a64, b64) == pytest.approx(0.5)


def test_follow_drac_and_headway():
    assert follow_drac_thw(20.0, 10.0, 25.0) == (2.0, 1.25)
    assert follow_drac_thw(10.0, 20.0, 25.0) == (0.0, 2.5)  # opening: no DRAC
    assert follow_drac_thw(0.5, 0.0, 25.0)[1] == math.inf  # too slow for a headway
    drac, thw = follow_drac_thw(2.0, 1.0, -1.0)  # overlapping: gap 0, DRAC gap floored at 0.01 m
    assert drac == pytest.approx(1.0 / 0.02) and thw == 0.0
