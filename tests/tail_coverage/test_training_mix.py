"""The report's advice on training with a generated set: accumulate with real data (at least half
real by default), and none of the set while a failure verdict fires."""

from __future__ import annotations

from scenariogen.coverage.verdict import Verdict, training_mix


def test_a_neutral_set_is_added_to_half_real_data():
    vs = (Verdict("simulator drift", False, "", {}), Verdict("enriching", True, "", {}))
    mix = training_mix(vs)
    assert mix["keep_real_share"] == 0.5 and mix["failures"] == []
    assert mix["advice"].startswith("keep at least 50% of the training set real")
    assert "never in its place" in mix["advice"]
    assert training_mix(vs, keep_real=0.7)["keep_real_share"] == 0.7


def test_a_failure_verdict_keeps_the_set_out():
    vs = (Verdict("collapse", True, "", {}), Verdict("missing tails", True, "", {}), Verdict("enriching", False, "", {}))
    mix = training_mix(vs)
    assert mix["keep_real_share"] == 1.0 and mix["advice"].startswith("keep the training set 100% real")
    assert mix["failures"] == ["collapse", "missing tails"]
