"""Every file in ``broken/`` is a realistic author mistake; pin what the validator says.

Each row of ``EXPECTED`` lists the problems of one file, in file order, as
(line, column, key path, message substring). The test asserts the exact list:
no missing problem, no extra one, and each at its line and column.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scenariogen.dsl import load_scenario, parse_text
from scenariogen.dsl.yamlmarks import MAX_BYTES
from scenariogen.errors import DSLError, Problem

BROKEN = Path(__file__).resolve().parent / "broken"

EXPECTED: dict[str, list[tuple[int, int, str, str]]] = {
    # ---------------------------------------------------------------- YAML syntax
    "01_unclosed_flow_mapping.yaml": [
        (4, 7, "", "expected ',' or '}', but got ':' (while parsing a flow mapping started at line 3, column 7)"),
    ],
    "02_unclosed_flow_sequence.yaml": [(9, 29, "", "expected ',' or ']', but got '}'")],
    "03_bad_indentation.yaml": [(8, 7, "", "mapping values are not allowed here; check the indentation")],
    "04_tab_indentation.yaml": [(7, 1, "", "indent with spaces, YAML does not allow tabs")],
    # ---------------------------------------------------------------- keys and types
    "05_unknown_top_key.yaml": [(3, 1, "duraton", "unknown key 'duraton'; did you mean 'duration'?")],
    "06_misspelled_nested_key.yaml": [
        (11, 13, "actors.ego.behavior.idm.desired_sped", "unknown key 'desired_sped'; did you mean 'desired_speed'?"),
    ],
    "07_text_for_number.yaml": [
        (9, 12, "actors.ego.speed", "expected a number, a distribution or a $parameter, got the text 'fast'"),
    ],
    "08_list_for_mapping.yaml": [(3, 7, "road", "expected a mapping, got a list")],
    # ---------------------------------------------------------------- references
    "09_unknown_lane.yaml": [(7, 11, "actors.ego.lane", "unknown lane '2' (lanes: 0, 1)")],
    "10_unknown_relative_to.yaml": [
        (9, 22, "actors.leader.s.relative_to", "unknown actor 'eg0'; did you mean 'ego'?"),
    ],
    "11_unknown_trigger_actor.yaml": [
        (12, 49, "actors.cutter.maneuver.lane_change.start.distance_to", "unknown actor 'egoo'; did you mean 'ego'?"),
    ],
    "12_trigger_self.yaml": [
        (12, 49, "actors.cutter.maneuver.lane_change.start.time_gap_to", "references 'cutter' itself"),
    ],
    "13_relative_cycle.yaml": [(9, 8, "actors.a.s", "relative placement forms a cycle: a -> b -> a")],
    # ---------------------------------------------------------------- distributions
    "14_inverted_uniform.yaml": [
        (9, 22, "actors.ego.speed.uniform", "inverted bounds: low 30 is greater than high 20"),
    ],
    "15_normal_negative_std.yaml": [(9, 37, "actors.ego.speed.normal.std", "std must be positive, got -2")],
    "16_normal_empty_truncation.yaml": [
        (9, 45, "actors.ego.speed.normal.low", "empty truncation: low 35 is not below high 15"),
    ],
    "17_speed_negative_support.yaml": [
        (9, 21, "actors.ego.speed", "can take values in [-inf, inf] but this field needs [0, 80]; truncate the normal"),
    ],
    # ---------------------------------------------------------------- ranges and timing
    "18_negative_length.yaml": [(7, 13, "actors.ego.length", "value -10 is out of range: expected a number in [0.1, 30]")],
    "19_negative_duration.yaml": [(4, 11, "duration", "value -8 is out of range: expected a number in (0, 3600]")],
    "20_dt_not_dividing_duration.yaml": [(4, 11, "duration", "dt = 0.3 s does not divide duration = 10 s")],
    # ---------------------------------------------------------------- actors
    "21_ego_missing.yaml": [(5, 3, "actors", "missing the required actor 'ego'; did you mean 'eggo'?")],
    "22_duplicate_actor.yaml": [(7, 3, "actors.leader", "duplicate key 'leader' (first defined at line 6)")],
    # ---------------------------------------------------------------- road
    "23_unknown_road_type.yaml": [(3, 14, "road.type", "unknown road type 'streight'; did you mean 'straight'?")],
    "24_curve_radius_too_small.yaml": [(4, 3, "road", "impossible road geometry: curve radius 5.0 m is too small")],
    "25_lane_change_not_adjacent.yaml": [
        (12, 25, "actors.cutter.maneuver.lane_change.to", "lane '2' is not next to lane '0'"),
    ],
    "26_param_not_declared.yaml": [
        (13, 46, "actors.ego.behavior.idm.time_headway", "unknown parameter '$headwya'; did you mean 'headway'?"),
    ],
    "27_unknown_distribution.yaml": [
        (9, 13, "actors.ego.speed.gaussian", "unknown distribution 'gaussian' (allowed: uniform, normal, lognormal"),
    ],
    # ---------------------------------------------------------------- events
    "28_unknown_event_type.yaml": [(7, 22, "events.close_call", "unknown event type 'near_mis'; did you mean 'near_miss'?")],
    "29_target_not_event.yaml": [(9, 9, "target", "target 'near_mis' is not an event of this scenario; did you mean")],
    "30_occluded_threat_without_sensor.yaml": [
        (12, 3, "events.occluded_threat", "an occluded_threat event needs a 'sensor' on the ego"),
    ],
    "31_sensor_on_non_ego.yaml": [(11, 5, "actors.leader.sensor", "only the 'ego' carries a sensor")],
    # ---------------------------------------------------------------- document level
    "32_dsl_version_2.yaml": [(1, 14, "scenariogen", "unsupported DSL version 2; this scenariogen reads version 1")],
    "33_document_is_list.yaml": [(1, 1, "", "a scenario file is a mapping of keys")],
    "34_alias_bomb.yaml": [(1, 15, "", "document expands to more than 100000 nodes (a YAML alias bomb?)")],
    "35_unsafe_python_tag.yaml": [(2, 7, "name", "YAML tag '!!python/object/apply:os.system' is not allowed")],
    # ---------------------------------------------------------------- geometry
    "36_route_not_following.yaml": [
        (10, 37, "actors.ego.route[2]", "lane 'E_out_0' does not follow lane 'S_in_0>W_out_0'"),
    ],
    "37_degenerate_occluder.yaml": [(8, 14, "occluders[0].polygon", "polygon is degenerate or self-intersecting")],
    # ---------------------------------------------------------------- more
    "38_empty_file.yaml": [(1, 1, "", "a scenario file is a mapping of keys (scenariogen, name, road, actors, ...), got nothing")],
    "39_choice_weights_mismatch.yaml": [
        (8, 50, "traffic[0].count.choice.weights", "expected 3 non-negative weights with a positive sum"),
    ],
    "40_unknown_kind.yaml": [(7, 11, "actors.biker.kind", "unknown kind 'bycicle'; did you mean 'bicycle'?")],
    "41_many_problems.yaml": [
        (4, 11, "duration", "dt = 0.3 s does not divide duration = 10 s"),
        (9, 11, "actors.ego.lane", "unknown lane '3'"),
        (11, 22, "actors.ego.speed.uniform", "inverted bounds"),
        (15, 22, "actors.leader.s.relative_to", "unknown actor 'nobody'"),
        (16, 37, "actors.leader.speed.normal.std", "std must be positive, got 0"),
        (18, 26, "events.near_miss.ttc_below", "value -1 is out of range"),
        (19, 9, "target", "target 'collision' is not an event of this scenario (events: near_miss)"),
    ],
    "42_exponent_without_dot.yaml": [(3, 5, "dt", "got the text '5e-2' (YAML reads this as text")],
    "43_traffic_count_not_integer.yaml": [
        (8, 22, "traffic[0].count", "uniform distribution must give integers: use a number, 'poisson' or 'choice'"),
    ],
    "44_duplicate_key_after_merge.yaml": [
        (10, 5, "actors.leader.speed", "duplicate key 'speed' (first defined at line 9)"),
    ],
    "45_traffic_lane_twice_and_placement.yaml": [
        (9, 19, "traffic[0].lanes[2]", "lane '1' is listed twice"),
        (10, 16, "traffic[0].placement", "expected 'sampled' or 'random', got the text 'sample'; did you mean 'sampled'?"),
    ],
    "46_relative_leader_on_top_and_past_the_road.yaml": [
        (11, 8, "actors.leader.s.offset", "'leader' can start at s = 620 m (ego's s plus the offset), which is beyond "
                                          "the end of lane '0' (600.0 m)"),
        (11, 8, "actors.leader.s.offset", "an offset of 0 to 50 m can put 'leader' on top of 'ego' in the same lane: "
                                          "keep |offset| >= 4.6 m"),
    ],
    "47_inverted_param_used_later.yaml": [
        (8, 17, "params.v0.uniform", "inverted bounds: low 30 is greater than high 20"),
    ],
    # ---------------------------------------------------------------- limits (dsl/limits.py)
    "48_poisson_mean_too_large.yaml": [
        (8, 28, "traffic[0].count.poisson.lam", "poisson mean 1e+12 is beyond the limit of 1e+06"),
    ],
    "49_normal_mean_too_large.yaml": [
        (8, 35, "actors.walker.position.x.normal.mean", "mean 1e+300 is beyond the limit of +-1e+07"),
    ],
    "50_polyline_lane_too_long.yaml": [
        (6, 5, "road.lanes", "the lanes are 30,000.0 km long together; a road has at most 200.0 km of lanes"),
        (7, 20, "road.lanes.long.points", "lane 'long' is 29,999.9 km long; a lane is at most 10.0 km"),
    ],
    "51_road_too_long_together.yaml": [(6, 5, "road.lanes", "the lanes are 207.0 km long together")],
    "52_curve_lane_too_long.yaml": [(3, 56, "road.radius", "makes a curve lane 47.2 km long; a lane is at most 10.0 km")],
    "53_intersection_too_large.yaml": [(3, 64, "road.turn_radius", "makes a lane 12.0 km long")],
    "54_intersection_arms_too_long_together.yaml": [
        (6, 11, "road.length", "makes 56 lanes 256.9 km long together; a road has at most 200.0 km of lanes"),
    ],
    "55_too_many_steps.yaml": [(4, 11, "duration", "duration / dt = 600000 simulation steps; at most 100000")],
    "56_too_many_agents.yaml": [
        (9, 26, "traffic[2].count", "up to 250 vehicles here make up to 1051 agents with the actors and the blocks "
                                    "before; a scenario has at most 1000 agents"),
    ],
    "57_control_characters_in_names.yaml": [
        (2, 7, "name", "text holds the character #x0000, written as an escape"),
        (7, 3, "events", "text holds the character #x001b, written as an escape"),
    ],
    "58_names_too_long.yaml": [
        (2, 7, "name", "the name has 250 characters; at most 200"),
        (7, 3, "events.", "an event name has 1 to 200 characters, this one 0"),
        (8, 3, "events." + "e" * 201, "an event name has 1 to 200 characters, this one 201"),
    ],
    "59_too_many_parameters.yaml": [(1007, 3, "params.p1000", "the parameter space has 1001 dimensions; at most 1000")],
    "60_too_many_events.yaml": [(107, 3, "events.e100", "more than 100 events; a scenario has at most 100")],
    "61_too_many_lanes.yaml": [(6, 5, "road.lanes", "1001 lanes; a road has at most 1000")],
    "62_lognormal_reaches_too_far.yaml": [
        (10, 48, "actors.ego.behavior.idm.time_headway.lognormal", "the lognormal reaches [1.84e-11, 7.82e+10]"),
    ],
    "63_values_too_large.yaml": [
        (8, 28, "actors.walker.position.x.normal", "the normal reaches -1.66e+07 (8.3 standard deviations"),
        (8, 57, "actors.walker.position.y", "value 1e+09 is beyond the limit of +-1e+07"),
        (9, 47, "actors.walker.behavior.idm.desired_speed.uniform", "bound 1e+08 is beyond the limit"),
        (11, 30, "actors.walker.maneuver.cross.path[1]", "coordinate 3e+07 is beyond the limit"),
        (13, 14, "occluders[0].box.x", "value 1e+12 is beyond the limit"),
    ],
    "64_too_many_maneuvers_route_and_path.yaml": [
        (10, 12, "actors.ego.route", "a route lists at most 8 lanes, this one 9"),
        (16, 7, "actors.lead.maneuvers", "an actor has at most 4 manoeuvres, this one 5"),
        (25, 21, "actors.walker.maneuver.cross.path", "a path has at most 16 points, this one 17"),
    ],
}


def _problems(path: Path) -> tuple[Problem, ...]:
    with pytest.raises(DSLError) as info:
        load_scenario(path)
    return info.value.problems


def test_corpus_and_table_agree():
    files = sorted(p.name for p in BROKEN.glob("*.yaml"))
    assert files == sorted(EXPECTED), "every broken file needs a row in EXPECTED and vice versa"
    assert len(files) >= 30


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_file_reports_pinned_problems(name):
    path = BROKEN / name
    problems = _problems(path)
    got = [(p.line, p.column, p.path) for p in problems]
    want = [(line, col, key) for line, col, key, _ in EXPECTED[name]]
    assert got == want, "\n".join(p.format() for p in problems)
    for p, (_, _, _, text) in zip(problems, EXPECTED[name]):
        assert text in p.message, p.format()
        assert p.file == str(path)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_snippet_points_at_column(name):
    """The snippet is the source line and a caret under the reported column."""
    path = BROKEN / name
    lines = path.read_text(encoding="utf-8").splitlines()
    for p in _problems(path):
        if p.line > len(lines):
            assert p.snippet == ""
            continue
        src, caret = p.snippet.split("\n")
        assert src == "    " + lines[p.line - 1]
        assert caret == "    " + " " * (p.column - 1) + "^"


def test_many_problems_reported_in_file_order():
    problems = _problems(BROKEN / "41_many_problems.yaml")
    assert len(problems) == 7
    keys = [(p.line, p.column) for p in problems]
    assert keys == sorted(keys)
    # the error text lists them in the same order, one `file:line:col:` header each
    text = str(DSLError(list(reversed(problems))))
    headers = [ln for ln in text.splitlines() if ln.startswith(str(BROKEN))]
    assert [h.split(":")[1] for h in headers] == [str(p.line) for p in problems]


def test_unsafe_tag_is_not_executed(tmp_path, monkeypatch):
    import os

    called = []
    monkeypatch.setattr(os, "system", lambda cmd: called.append(cmd) or 0)
    _problems(BROKEN / "35_unsafe_python_tag.yaml")
    assert called == []


# ----------------------------------------------------------------- fixtures-made files


def test_oversize_file(tmp_path):
    path = tmp_path / "huge.yaml"
    filler = "# padding padding padding padding padding padding padding padding\n"
    path.write_text("scenariogen: 1\n" + filler * (MAX_BYTES // len(filler) + 10), encoding="utf-8")
    assert path.stat().st_size > MAX_BYTES
    (p,) = _problems(path)
    assert (p.line, p.column, p.path) == (1, 1, "")
    assert "larger than 1000 kB" in p.message


def test_oversize_text_rejected_by_parse_text():
    text = "name: x\n" + "#" * (MAX_BYTES + 1) + "\n"
    with pytest.raises(DSLError) as info:
        parse_text(text, "big.yaml")
    (p,) = info.value.problems
    assert (p.file, p.line, p.column) == ("big.yaml", 1, 1)
    assert "larger than" in p.message


def test_non_utf8_bytes(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"scenariogen: 1\nname: caf\xe9 cut-in\n")
    (p,) = _problems(path)
    assert (p.line, p.column, p.path) == (2, 10, "")
    assert "not UTF-8" in p.message and "0xe9" in p.message


def test_control_character_is_located(scenario_text):
    text = scenario_text().replace("name: minimal", "name: mini\x07mal")
    with pytest.raises(DSLError) as info:
        parse_text(text)
    (p,) = info.value.problems
    assert (p.line, p.column) == (2, 11)
    assert "#x0007" in p.message


def test_missing_file(tmp_path):
    (p,) = _problems(tmp_path / "nope.yaml")
    assert (p.line, p.column) == (1, 1)
    assert "cannot read file" in p.message


# ----------------------------------------------------------------- inline snippets
# Smaller cases, mostly inputs that once crashed the parser with a non-DSLError
# (inf/nan, huge integers, odd tags, merge keys, deep nesting). Each is the
# minimal scenario with one line changed; rows pin (line, column, path, text).

HEAD = "scenariogen: 1\nname: s\nroad: {type: straight, lanes: 2, length: 300}\nactors:\n"
EGO = "  ego: {kind: car, lane: 0, s: 20, speed: 20}\n"

SNIPPETS = {
    "seed_inf": (HEAD + EGO + "seed: .inf\n", [(6, 7, "seed", "expected a finite number, got inf")]),
    "seed_nan": (HEAD + EGO + "seed: .nan\n", [(6, 7, "seed", "expected a finite number, got nan")]),
    "huge_int_speed": (
        HEAD + "  ego: {kind: car, lane: 0, s: 20, speed: 1" + "0" * 400 + "}\n",
        [(5, 43, "actors.ego.speed", "expected a finite number, got 100000000000... (401 digits)")],
    ),
    "huge_int_lanes": (
        HEAD.replace("lanes: 2", "lanes: " + "9" * 30) + EGO,
        [(3, 31, "road.lanes", "value 999999999999999999999999999999 is out of range: expected a number in [1, 16]")],
    ),
    "inf_in_uniform": (
        HEAD + "  ego: {kind: car, lane: 0, s: 20, speed: {uniform: [.nan, 30]}}\n",
        [(5, 54, "actors.ego.speed.uniform[0]", "expected a finite number, got nan")],
    ),
    "uniform_too_wide": (
        HEAD + EGO + "params:\n  p: {uniform: [-1.0e+308, 1.0e+308]}\n",
        [(7, 16, "params.p.uniform", "too far apart to sample")],
    ),
    "normal_window_far_in_tail": (
        HEAD + "  ego: {kind: car, lane: 0, s: 20, speed: {normal: {mean: -1000, std: 3, low: 15, high: 40}}}\n",
        [(5, 79, "actors.ego.speed.normal.low", "more than 40 standard deviations from the mean -1000")],
    ),
    "poisson_inf": (
        HEAD + EGO + "traffic:\n  - {count: {poisson: .inf}}\n",
        [(7, 23, "traffic[0].count.poisson", "poisson mean must be a finite positive number, got inf")],
    ),
    "exponent_in_list": (
        HEAD + "  ego: {kind: car, lane: 0, s: 20, speed: {uniform: [1e1, 2e1]}}\n",
        [(5, 54, "actors.ego.speed.uniform[0]", "got the text '1e1' (YAML reads this as text")],
    ),
    "road_too_long": (
        HEAD.replace("length: 300", "length: 1.0e+9") + EGO,
        [(3, 42, "road.length", "out of range: expected a number in (0, 10000]")],
    ),
    "road_typo_no_cascade": (
        HEAD.replace("lanes: 2", "lane: 2") + "  ego: {kind: car, lane: 1, s: 20}\n",
        [(3, 24, "road.lane", "unknown key 'lane'; did you mean 'lanes'?")],
    ),
    "event_type_is_list": (
        HEAD + EGO + "events:\n  e: {type: [near_miss]}\n",
        [(7, 13, "events.e.type", "expected an event type name, got a list")],
    ),
    "python_tag_on_key": (
        HEAD + EGO + "!!python/name:os.system : 1\n",
        [(6, 1, "", "YAML tag '!!python/name:os.system' is not allowed")],
    ),
    "python_tag_on_mapping": (
        HEAD + "  ego: !!python/object:os.x {kind: car}\n",
        [(5, 8, "actors.ego", "YAML tag '!!python/object:os.x' is not allowed")],
    ),
    "set_tag": (HEAD + "  ego: !!set {a, b}\n", [(5, 8, "actors.ego", "YAML tag '!!set' is not allowed")]),
    "bad_float_tag": (HEAD + EGO + "dt: !!float fast\n", [(6, 5, "dt", "cannot read 'fast' as !!float")]),
    "bad_timestamp_tag": (HEAD + EGO + "seed: !!timestamp soon\n", [(6, 7, "seed", "cannot read 'soon' as !!timestamp")]),
    "merge_of_scalar": (
        HEAD + "  ego: {<<: 1, kind: car, lane: 0, s: 20}\n",
        [(5, 13, "actors.ego", "expected a mapping or list of mappings for merging, but found scalar")],
    ),
    "undefined_alias": (HEAD + EGO + "seed: *nope\n", [(6, 7, "", "found undefined alias 'nope'")]),
    "deep_nesting": (HEAD + EGO + "description: " + "[" * 70 + "]" * 70 + "\n", [(6, 78, "", "nesting deeper than 64 levels")]),
    "very_deep_nesting": (HEAD + EGO + "description: " + "[" * 5000 + "]" * 5000 + "\n", [(1, 1, "", "nesting deeper than 64")]),
    "surrogate": (HEAD + EGO + "name2: \ud800\n", [(6, 8, "", "character #xd800 is not allowed")]),
    "duplicate_in_aliased_mapping": (
        HEAD + "  ego: &c {kind: car, lane: 0, s: 20, s: 30}\n  b: *c\n  c: *c\n",
        [(5, 39, "actors.ego.s", "duplicate key 's' (first defined at line 5)")],  # once, not per alias
    ),
    "two_documents": (HEAD + EGO + "---\nname: second\n", [(6, 1, "", "expected a single document in the stream")]),
}


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_snippet_reports_pinned_problems(name):
    text, want = SNIPPETS[name]
    with pytest.raises(DSLError) as info:
        parse_text(text, f"{name}.yaml")
    problems = info.value.problems
    got = [(p.line, p.column, p.path) for p in problems]
    assert got == [w[:3] for w in want], "\n".join(p.format() for p in problems)
    for p, w in zip(problems, want):
        assert w[3] in p.message, p.format()


def test_snippet_base_is_valid():
    parse_text(HEAD + EGO)
