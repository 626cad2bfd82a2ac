"""Conflict types (events/conflicts.py): the other party, its side, its motion, contact and pile-ups, from trajectories."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from scenariogen.events.conflicts import conflict_codes, conflict_names, count_conflicts
from scenariogen.data import layout as Lo

F = {n: i for i, n in enumerate(Lo.FEATURES)}
NAMES = ("ego", "cutter", "traffic0.0", "traffic0.1")
HORIZON = 10.0  # s, TTC horizon


def scene(others, *, ttc=None, dist=None, t_close=0.0, T=3, ego_heading=0.0):
    """One scenario: the ego at the origin with ``ego_heading`` (rad), ``others`` a list of
    (x, y, heading, lane, offset) in the ego's frame; every agent present at every frame."""
    n = 1 + len(others)
    traj = np.zeros((1, n, T, Lo.N_FEATURES), np.float32)
    c, s = math.cos(ego_heading), math.sin(ego_heading)
    traj[0, 0, :, F["heading"]] = ego_heading
    for a, (x, y, h, lane, off) in enumerate(others, start=1):
        traj[0, a, :, F["x"]] = c * x - s * y
        traj[0, a, :, F["y"]] = s * x + c * y
        traj[0, a, :, F["heading"]] = ego_heading + h
        traj[0, a, :, F["lane"]] = lane
        traj[0, a, :, F["offset"]] = off
    mask = np.ones((1, n, T), bool)
    sizes = np.tile(np.array([4.5, 1.8], np.float32), (1, n, 1))
    am = np.full((1, n, Lo.N_AGENT_METRICS), np.inf)
    am[0, 1:, Lo.A_MIN_TTC] = ttc if ttc is not None else [np.inf] * len(others)
    am[0, 1:, Lo.A_MIN_DIST] = dist if dist is not None else [10.0] * len(others)
    am[0, :, Lo.A_T_MIN_DIST] = t_close
    return traj, mask, sizes, am


def metrics(ego_coll=np.inf, first=(np.inf, -1, -1)):
    """The kernel metrics that conflict types read: the ego's first collision, and the run's first one (t, a, b)."""
    t, a, b = first
    return {"ego_collision_time": np.array([ego_coll]), "collision_time": np.array([t]),
            "collision_a": np.array([float(a)]), "collision_b": np.array([float(b)])}


def codes_of(others, coll=np.inf, **kw):
    traj, mask, sizes, am = scene(others, **kw)
    return conflict_codes(traj, mask, sizes, am, metrics(coll), 0.1, HORIZON)[0].tolist()


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


def test_the_smallest_ttc_picks_the_frame():
    """Side and motion are read where the TTC to the party is smallest (the first frame of contact
    if they touch), not where the two come closest."""
    traj, mask, sizes, am = scene([(30, 0, 0, 1, 0)], ttc=[1.0], t_close=0.2)
    traj[0, 0, :, F["speed"]] = 10.0  # the ego drives on at 10 m/s; the other stands still
    traj[0, 1, 1, F["x"]] = 15.0  # ahead and close at frame 1: TTC about 1 s
    traj[0, 1, 2, F["x"]] = -20.0  # behind at frame 2, the recorded closest approach
    assert conflict_codes(traj, mask, sizes, am, metrics(), 0.1, HORIZON)[0, 1] == 0
    traj[0, 1, 0, F["x"]] = 40.0  # far ahead at frame 0: TTC 3.55 s
    traj[0, 1, 1, [F["x"], F["y"]]] = (1.0, 1.5)  # touching the ego's left side at frame 1: TTC 0
    assert conflict_codes(traj, mask, sizes, am, metrics(), 0.1, HORIZON)[0, 1] == 1
    traj[0, 1, 1, F["y"]] = 6.0  # clear to the left at frame 1: frame 0's 3.55 s is the smallest TTC
    assert conflict_codes(traj, mask, sizes, am, metrics(), 0.1, HORIZON)[0, 1] == 0


def test_without_a_finite_ttc_the_closest_approach_picks_the_frame():
    traj, mask, sizes, am = scene([(20, 0, 0, 1, 0)], ttc=[1.0], t_close=0.2)
    traj[0, 1, 2, F["x"]] = -20.0  # behind the ego at t = 0.2 s only; nobody moves, so no TTC
    assert conflict_codes(traj, mask, sizes, am, metrics(), 0.1, HORIZON)[0, 1] == 2
    mask[0, 1, 2] = False  # absent then: the nearest frame where both are present
    assert conflict_codes(traj, mask, sizes, am, metrics(), 0.1, HORIZON)[0, 1] == 0


def test_a_pile_up_is_a_collision_of_two_others_before_the_closest_call():
    traj, mask, sizes, am = scene([(20, 0, 0, 1, 0), (25, 0, 0, 1, 0)], ttc=[0.5, 0.8], t_close=4.0, T=41)

    def pile(first):
        return int(conflict_codes(traj, mask, sizes, am, metrics(first=first), 0.1, HORIZON)[0, 4])

    assert pile((3.0, 1, 2)) == 1
    assert pile((5.0, 1, 2)) == 0  # after the closest call
    assert pile((3.0, 0, 2)) == 0  # the ego's own collision
    assert pile((np.inf, -1, -1)) == 0
    assert conflict_names(np.array([[1, 0, 0, 1, 1]]), NAMES) == ["cutter, ahead, parallel, contact, after a pile-up"]


def test_no_other_agent():
    traj, mask, sizes, am = scene([(20, 0, 0, 1, 0)], ttc=[np.inf], dist=[np.inf])
    assert conflict_codes(traj, mask, sizes, am, metrics(), 0.1, HORIZON).tolist() == [[-1, 0, 0, 0, 0]]
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
