"""Conflict types (events/conflicts.py): the other party, its side, its motion, contact and pile-ups, from trajectories."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from scenariogen.events.conflicts import (MOTIONS, REL_CROSSING, REL_MERGING, REL_OPPOSITE, STANDING_SPEED,
                                          LaneRelations, conflict_codes, conflict_names, count_conflicts)
from scenariogen.data import layout as Lo

F = {n: i for i, n in enumerate(Lo.FEATURES)}
NAMES = ("ego", "cutter", "traffic0.0", "traffic0.1")
HORIZON = 10.0  # s, TTC horizon


def scene(others, *, ttc=None, dist=None, t_close=0.0, t_ttc=None, T=3, ego_heading=0.0, speed=10.0):
    """One scenario: the ego at the origin with ``ego_heading`` (rad), ``others`` a list of
    (x, y, heading, lane, offset) in the ego's frame, everyone at ``speed`` (m/s); every agent
    present at every frame. ``t_ttc``: when each one's smallest TTC was reached (s; default
    ``t_close``)."""
    n = 1 + len(others)
    traj = np.zeros((1, n, T, Lo.N_FEATURES), np.float32)
    c, s = math.cos(ego_heading), math.sin(ego_heading)
    traj[0, 0, :, F["heading"]] = ego_heading
    traj[0, :, :, F["speed"]] = speed
    for a, (x, y, h, lane, off) in enumerate(others, start=1):
        traj[0, a, :, F["x"]] = c * x - s * y
        traj[0, a, :, F["y"]] = s * x + c * y
        traj[0, a, :, F["heading"]] = ego_heading + h
        traj[0, a, :, F["lane"]] = lane
        traj[0, a, :, F["offset"]] = off
    mask = np.ones((1, n, T), bool)
    am = np.full((1, n, Lo.N_AGENT_METRICS), np.inf)
    am[0, 1:, Lo.A_MIN_TTC] = ttc if ttc is not None else [np.inf] * len(others)
    am[0, 1:, Lo.A_MIN_DIST] = dist if dist is not None else [10.0] * len(others)
    am[0, :, Lo.A_T_MIN_DIST] = t_close
    am[0, 1:, Lo.A_T_MIN_TTC] = t_ttc if t_ttc is not None else t_close
    return traj, mask, am


def metrics(ego_coll=np.inf, first=(np.inf, -1, -1)):
    """The kernel metrics that conflict types read: the ego's first collision, and the run's first one (t, a, b)."""
    t, a, b = first
    return {"ego_collision_time": np.array([ego_coll]), "collision_time": np.array([t]),
            "collision_a": np.array([float(a)]), "collision_b": np.array([float(b)])}


def codes_of(others, coll=np.inf, lanes=None, **kw):
    traj, mask, am = scene(others, **kw)
    return conflict_codes(traj, mask, am, metrics(coll), 0.1, HORIZON, lanes)[0].tolist()


def test_party_is_the_agent_of_the_smallest_ttc_else_of_the_smallest_distance():
    others = [(20, 0, 0, 1, 0), (-15, 0, 0, 1, 0)]
    assert codes_of(others, ttc=[2.0, 0.8])[0] == 2
    assert codes_of(others, ttc=[np.inf, np.inf], dist=[3.0, 9.0])[0] == 1
    assert codes_of(others, ttc=[np.nan, np.inf], dist=[np.nan, 9.0])[0] == 2


def test_side_motion_and_contact():
    # (x, y, relative heading, lane, offset) -> (side, motion)
    cases = [((20, 0, 0.0, 1, 0.0), (0, 0)),  # ahead, parallel in its lane
             ((20, 1.5, 0.1, 1, 1.5), (0, 1)),  # ahead, off its lane centre: changing lanes
             ((3, 8, -1.4, -1, np.nan), (1, 2)),  # left, crossing (a pedestrian: no lane)
             ((-20, 0, 0.0, 1, 0.0), (2, 0)),  # behind
             ((2, -6, math.pi, 0, 0.0), (3, 3))]  # right, oncoming
    for other, (side, motion) in cases:
        assert codes_of([other], ttc=[1.0]) == [1, side, motion, 0, 0]
    assert codes_of([cases[0][0]], coll=2.5, ttc=[0.0])[3] == 1


def test_the_moment_of_the_smallest_ttc_picks_the_frame():
    """Side and motion are read when the kernel's smallest TTC to the party was reached (its
    ``time_of_min_ttc``, the first contact if they touched), not where the two come closest."""
    traj, mask, am = scene([(30, 0, 0, 1, 0)], ttc=[1.0], t_close=0.2, t_ttc=[0.1])
    traj[0, 1, 1, F["x"]] = 15.0  # ahead at frame 1, when the TTC was smallest
    traj[0, 1, 2, F["x"]] = -20.0  # behind at frame 2, the recorded closest approach
    assert conflict_codes(traj, mask, am, metrics(), 0.1, HORIZON)[0, 1] == 0
    am[0, 1, Lo.A_T_MIN_TTC] = 0.2
    assert conflict_codes(traj, mask, am, metrics(), 0.1, HORIZON)[0, 1] == 2
    am[0, 1, Lo.A_T_MIN_TTC] = 0.14  # between frames: the nearest one
    assert conflict_codes(traj, mask, am, metrics(), 0.1, HORIZON)[0, 1] == 0


def test_without_a_finite_ttc_the_closest_approach_picks_the_frame():
    traj, mask, am = scene([(20, 0, 0, 1, 0)], ttc=[np.inf], t_close=0.2)
    traj[0, 1, 2, F["x"]] = -20.0  # behind the ego at t = 0.2 s only
    assert conflict_codes(traj, mask, am, metrics(), 0.1, HORIZON)[0, 1] == 2
    mask[0, 1, 2] = False  # absent then: the nearest frame where both are present
    assert conflict_codes(traj, mask, am, metrics(), 0.1, HORIZON)[0, 1] == 0


def test_a_pile_up_is_a_collision_of_two_others_before_the_closest_call():
    traj, mask, am = scene([(20, 0, 0, 1, 0), (25, 0, 0, 1, 0)], ttc=[0.5, 0.8], t_close=4.0, T=41)

    def pile(first):
        return int(conflict_codes(traj, mask, am, metrics(first=first), 0.1, HORIZON)[0, 4])

    assert pile((3.0, 1, 2)) == 1
    assert pile((5.0, 1, 2)) == 0  # after the closest call
    assert pile((3.0, 0, 2)) == 0  # the ego's own collision
    assert pile((np.inf, -1, -1)) == 0
    assert conflict_names(np.array([[1, 0, 0, 1, 1]]), NAMES) == ["cutter, ahead, parallel, contact, after a pile-up"]


def test_no_other_agent():
    traj, mask, am = scene([(20, 0, 0, 1, 0)], ttc=[np.inf], dist=[np.inf])
    assert conflict_codes(traj, mask, am, metrics(), 0.1, HORIZON).tolist() == [[-1, 0, 0, 0, 0]]
    assert conflict_names(np.array([[-1, 0, 0, 1, 0]]), NAMES) == ["no other agent, contact"]


def test_names_group_traffic_vehicles_by_block_and_counts_are_ordered():
    codes = np.array([[2, 0, 1, 0, 0], [3, 0, 1, 0, 0], [1, 0, 0, 1, 0], [1, 0, 0, 1, 0], [1, 0, 0, 1, 0]])
    names = conflict_names(codes, NAMES)
    assert names[0] == names[1] == "traffic0, ahead, changing lanes, no contact"
    assert names[2] == "cutter, ahead, parallel, contact"
    assert list(count_conflicts(names).items()) == [("cutter, ahead, parallel, contact", 3),
                                                 ("traffic0, ahead, changing lanes, no contact", 2)]


@settings(max_examples=60, deadline=None)
@given(heading=st.floats(-math.pi, math.pi), x=st.floats(-40, 40), y=st.floats(-40, 40),
       rel=st.floats(-math.pi, math.pi))
def test_conflict_types_do_not_depend_on_the_ego_heading(heading, x, y, rel):
    """The conflict type is read in the ego's frame: turning the whole scene changes nothing (points on a
    sector border are skipped, where rounding may fall either way)."""
    ang = math.degrees(abs(math.atan2(y, x)))
    if math.hypot(x, y) < 1e-3 or min(abs(ang - 45), abs(ang - 135)) < 1e-3 or abs(y) < 1e-3:
        return
    if min(abs(abs(math.degrees(rel)) - b) for b in (30, 150)) < 1e-3:
        return
    other = [(x, y, rel, -1, np.nan)]
    assert codes_of(other, ttc=[1.0], ego_heading=heading) == codes_of(other, ttc=[1.0])


def test_a_party_standing_at_the_closest_call_is_standing_whatever_its_heading():
    """A parked truck facing the ego is no oncoming vehicle (issue 21): below STANDING_SPEED the
    motion is ``standing``."""
    traj, mask, am = scene([(12, 4, math.pi, 3, 0.0)], ttc=[np.inf], dist=[2.0])
    traj[0, 1, :, F["speed"]] = 0.0
    assert conflict_codes(traj, mask, am, metrics(), 0.1, HORIZON)[0, 2] == MOTIONS.index("standing")
    traj[0, 1, :, F["speed"]] = 10.0
    assert conflict_codes(traj, mask, am, metrics(), 0.1, HORIZON)[0, 2] == MOTIONS.index("oncoming")


def test_lane_relations_decide_the_motion_of_vehicles_on_lanes():
    """With the road's lane relations, a vehicle is oncoming only on a lane that meets the ego's
    path, crossing only across a crossing area, merging at a merging area; a vehicle whose lane
    the ego's path never meets is parallel, whatever its heading (the ego may be turning)."""
    kind = np.zeros((6, 6), np.int8)
    for a, b, rel in ((0, 1, REL_CROSSING), (0, 2, REL_OPPOSITE), (0, 4, REL_MERGING)):
        kind[a, b] = kind[b, a] = rel
    lanes = LaneRelations(kind)
    cases = [((20, -3.5, math.pi, 2, 0.0), "oncoming"),  # the opposite lane
             ((20, 0.0, math.pi, 0, 0.0), "oncoming"),  # the ego's own lane, the wrong way
             ((20, -30.0, math.pi, 3, 0.0), "parallel"),  # a lane the ego's path never meets
             ((15, 8.0, -math.pi / 2, 1, 0.0), "crossing"),
             ((15, 8.0, -math.pi / 2, 3, 0.0), "parallel"),
             ((10, 4.0, -0.3, 4, 0.0), "merging"),
             ((20, 3.5, 0.0, 5, 1.2), "changing lanes")]
    for other, motion in cases:
        assert MOTIONS[codes_of([other], ttc=[1.0], lanes=lanes)[2]] == motion, (other, motion)
    # off the lanes (a pedestrian, lane -1), the headings decide as without relations
    assert MOTIONS[codes_of([(8, 3, -math.pi / 2, -1, np.nan)], ttc=[1.0], lanes=lanes)[2]] == "crossing"


def test_the_party_of_a_limited_event_is_chosen_among_its_agents():
    others = [(20, 0, 0, 1, 0), (5, 6, -math.pi / 2, -1, np.nan)]
    traj, mask, am = scene(others, ttc=[0.5, 2.0])
    only_second = np.array([[False, False, True]])
    assert conflict_codes(traj, mask, am, metrics(), 0.1, HORIZON)[0, 0] == 1
    assert conflict_codes(traj, mask, am, metrics(), 0.1, HORIZON, party=only_second)[0, 0] == 2
    none = np.zeros((1, 3), bool)
    assert conflict_codes(traj, mask, am, metrics(), 0.1, HORIZON, party=none)[0, 0] == -1


@settings(max_examples=60, deadline=None)
@given(x=st.floats(-40, 40), y=st.floats(-40, 40), rel=st.floats(-math.pi, math.pi),
       speed=st.floats(0.0, 0.99 * STANDING_SPEED), lane=st.integers(-1, 5))
def test_anything_slower_than_the_standing_speed_is_standing(x, y, rel, speed, lane):
    """(Trajectories are float32: speeds a rounding below the limit are left out.)"""
    if math.hypot(x, y) < 1e-3:
        return
    traj, mask, am = scene([(x, y, rel, lane, 0.0)], ttc=[1.0])
    traj[0, 1, :, F["speed"]] = speed
    kind = np.full((6, 6), REL_CROSSING, np.int8)
    for lanes in (None, LaneRelations(kind)):
        assert conflict_codes(traj, mask, am, metrics(), 0.1, HORIZON, lanes)[0, 2] == MOTIONS.index("standing")
