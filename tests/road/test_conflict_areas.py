"""Conflict areas and the rules at them (road/conflicts.py), and their arrays (road/compile.py)."""

from __future__ import annotations

import math

import pytest

from scenariogen.road.builders import intersection, straight
from scenariogen.road.compile import RULE_FIRST_COME, RULE_GO, RULE_HELD, RULE_YIELD, compile_rules
from scenariogen.road.conflicts import conflict_areas, crosswalk_crossings, turn_of


def _areas(net):
    return {(c.lane_a, c.lane_b): c for c in conflict_areas(net)}


def test_a_four_way_junction_has_its_crossings_merges_and_diverges():
    net = intersection(lanes=1, lane_width=3.5, length=50, turn_radius=6)
    kinds = [c.kind for c in conflict_areas(net)]
    # 12 movements: 16 crossings, 12 merges (3 movements into each out lane), 12 diverges
    assert (kinds.count("crossing"), kinds.count("merging"), kinds.count("diverging")) == (16, 12, 12)
    for c in conflict_areas(net):
        assert 0.0 <= c.a_in < c.a_out <= net.lane(c.lane_a).length + 1e-9
        assert 0.0 <= c.b_in < c.b_out <= net.lane(c.lane_b).length + 1e-9
        assert c.kind != "diverging" or not (c.a_yields or c.b_yields)


def test_turn_rules_of_right_hand_traffic():
    a = _areas(intersection(lanes=1, lane_width=3.5, length=50, turn_radius=6))
    # a left turn yields to oncoming straight traffic
    c = a[("N_in_0>S_out_0", "S_in_0>W_out_0")]
    assert (c.a_yields, c.b_yields) == (False, True)
    # crossing straight movements: the one with the other on its right yields (N has E on its left)
    c = a[("N_in_0>S_out_0", "E_in_0>W_out_0")]
    assert (c.a_yields, c.b_yields) == (False, True)
    assert math.degrees(turn_of(intersection(lanes=1), "S_in_0>W_out_0")) == pytest.approx(90.0, abs=0.5)


def test_controls_override_the_turn_rules():
    pri = _areas(intersection(lanes=1, control="priority", major=("E", "W"), sign="stop"))
    c = pri[("N_in_0>S_out_0", "E_in_0>W_out_0")]
    assert (c.a_yields, c.b_yields) == (True, False)  # the minor road N yields to the major E
    allway = _areas(intersection(lanes=1, control="all_way_stop"))
    assert all(c.a_yields and c.b_yields for c in allway.values() if c.kind != "diverging")
    sig = _areas(intersection(lanes=1, control="signal", phases=(("N", "S"), ("E", "W"))))
    c = sig[("N_in_0>S_out_0", "E_in_0>W_out_0")]
    assert (c.a_yields, c.b_yields) == (False, False)  # separated by the signal
    c = sig[("N_in_0>S_out_0", "S_in_0>W_out_0")]
    assert (c.a_yields, c.b_yields) == (False, True)  # a permitted left turn still yields


def test_rules_compile_to_one_entry_per_side():
    net = intersection(lanes=1, control="priority", major=("N", "S"), crosswalks=("S",))
    r = compile_rules(net)
    ids = net.lane_ids
    assert r.cf_first[-1] == 2 * len(conflict_areas(net))
    for k in range(len(ids)):
        entries = range(r.cf_first[k], r.cf_first[k + 1])
        assert list(r.cf_in[list(entries)]) == sorted(r.cf_in[list(entries)])  # sorted by entry
    rules = set(r.cf_rule.tolist())
    assert rules <= {RULE_GO, RULE_YIELD, RULE_FIRST_COME, RULE_HELD} and {RULE_GO, RULE_YIELD} <= rules
    assert r.lane_sign[ids.index("E_in_0")] == 1 and r.lane_sign[ids.index("N_in_0")] == 0
    walks = {(x.lane, round(x.s_in, 2), round(x.s_out, 2)) for x in crosswalk_crossings(net)}
    assert {w[0] for w in walks} == {"S_in_0", "S_out_0"}


def test_two_way_roads_and_parallel_lanes_have_no_conflicts():
    assert conflict_areas(straight(lanes=3, lanes_reverse=2, length=100)) == ()
