"""Valid scenarios: what the parser builds from them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from scenariogen.dsl import Const, Ref, ScenarioSpec, load_scenario, parse_text
from scenariogen.dsl.describe import summary
from scenariogen.dsl.distributions import Choice, LogNormal, Normal, Poisson, Uniform
from scenariogen.dsl.schema import DEFAULT_SIZE, KINDS, LanePlacement, PosePlacement
from scenariogen.errors import DSLError

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
EXAMPLES = sorted(SCENARIOS.glob("*.yaml"))
# frozen copies of the examples: tests that pin exact values read these, so the
# live examples can be retuned without breaking the DSL tests
VALID = Path(__file__).resolve().parent / "valid"


def test_there_are_examples():
    assert len(EXAMPLES) >= 6


@pytest.mark.parametrize("path", EXAMPLES + sorted(VALID.glob("*.yaml")), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_example_parses(path):
    spec = load_scenario(path)
    assert isinstance(spec, ScenarioSpec)
    assert spec.name == path.stem
    assert spec.source == str(path)
    assert len(spec.source_hash) == 64
    assert spec.ego.name == "ego"
    assert spec.steps == round(spec.duration / spec.dt)
    assert spec.target in {e.name for e in spec.events}
    # every Ref in the spec names a parameter of the space, and every bound is ordered
    names = set(spec.parameters.names)
    assert len(names) == spec.parameters.dim
    for ref in _refs(spec):
        assert ref.name in names
    b = spec.parameters.bounds()
    assert b.shape == (spec.parameters.dim, 2)
    assert np.all(b[:, 0] <= b[:, 1])


def _refs(obj, seen=None):
    """Every Ref reachable from a spec (dataclasses and tuples)."""
    import dataclasses

    if isinstance(obj, Ref):
        yield obj
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            if f.name != "parameters":
                yield from _refs(getattr(obj, f.name))
    elif isinstance(obj, tuple):
        for x in obj:
            yield from _refs(x)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_parse_is_deterministic(path):
    text = path.read_text(encoding="utf-8")
    assert parse_text(text, str(path)) == parse_text(text, str(path))


def test_parameter_space_of_highway_cut_in():
    spec = load_scenario(VALID / "highway_cut_in.yaml")
    ps = spec.parameters
    assert ps.names == (
        "actors.ego.speed",
        "actors.cutter.s.offset",
        "actors.cutter.speed",
        "actors.cutter.maneuver.lane_change.start",
        "actors.cutter.maneuver.lane_change.duration",
        "traffic[0].count",
        "traffic[0].spacing",
        "traffic[0].speed",
    )
    np.testing.assert_array_equal(
        ps.bounds(),
        [[25, 33], [-5, 20], [15, 40], [1, 4], [1.5, 3.5], [0, 16], [20, 60], [22, 32]],
    )
    by_name = {p.name: p for p in ps.parameters}
    assert by_name["actors.cutter.speed"].dist == Normal(27.0, 3.0, 15.0, 40.0)
    assert by_name["traffic[0].count"].dist == Poisson(6.0, 16)
    assert by_name["traffic[0].count"].discrete
    assert not by_name["actors.ego.speed"].discrete
    # the fields refer to their parameters
    cutter = spec.actor("cutter")
    assert cutter.speed == Ref("actors.cutter.speed")
    assert cutter.placement == LanePlacement("2", Ref("actors.cutter.s.offset"), Const(0.0), "ego")
    (lc,) = cutter.maneuvers
    assert (lc.type, lc.to, lc.start.kind) == ("lane_change", "1", "time")
    assert lc.start.value == Ref("actors.cutter.maneuver.lane_change.start")


def test_shared_param_is_one_parameter(scenario_text):
    text = scenario_text(
        ego=(
            "  ego:\n"
            "    kind: car\n    lane: 0\n    s: 20\n    speed: $v\n"
            "    behavior: {idm: {desired_speed: $v}}\n"
            "  leader: {kind: car, lane: 0, s: 60, speed: $v}\n"
        ),
    ).replace("road:", "params:\n  v: {uniform: [20, 30]}\nroad:")
    spec = parse_text(text)
    assert spec.parameters.names == ("v",)
    assert spec.parameters.parameters[0].dist == Uniform(20.0, 30.0)
    assert spec.ego.speed == spec.ego.behavior.idm.desired_speed == spec.actor("leader").speed == Ref("v")


def test_declared_unused_param_still_in_space(scenario_text):
    text = scenario_text().replace("road:", "params:\n  spare: {normal: [0, 1]}\nroad:")
    spec = parse_text(text)
    assert spec.parameters.names == ("spare",)
    assert spec.parameters.parameters[0].dist == Normal(0.0, 1.0)


def test_param_used_in_a_narrower_field_is_checked(scenario_text):
    text = scenario_text().replace("road:", "params:\n  v: {uniform: [-5, 30]}\nroad:").replace("speed: 20", "speed: $v")
    with pytest.raises(DSLError) as info:
        parse_text(text)
    (p,) = info.value.problems
    assert (p.line, p.path) == (7, "actors.ego.speed")
    assert "parameter '$v' can take values in [-5, 30]" in p.message


@pytest.mark.parametrize("kind", KINDS)
def test_default_sizes_per_kind(scenario_text, kind):
    lane = "position: {x: 10, y: 0}" if kind == "pedestrian" else "lane: 0, s: 20"
    spec = parse_text(scenario_text(ego=f"  ego: {{kind: {kind}, {lane}}}\n"))
    assert (spec.ego.length, spec.ego.width) == DEFAULT_SIZE[kind]


def test_explicit_size_overrides_default(scenario_text):
    spec = parse_text(scenario_text(ego="  ego: {kind: truck, lane: 0, s: 20, length: 16.5, width: 2.6}\n"))
    assert (spec.ego.length, spec.ego.width) == (16.5, 2.6)


def test_scenario_defaults(scenario_text):
    spec = parse_text(scenario_text())
    assert (spec.dt, spec.duration, spec.seed, spec.steps) == (0.1, 10.0, 0, 100)
    assert spec.description == "" and spec.target is None
    assert spec.ego.speed == Const(20.0)
    assert spec.ego.behavior.model == "idm"
    assert spec.ego.sensor is None and spec.ego.aeb is None and spec.ego.route == ()
    assert spec.parameters.dim == 0


def test_event_defaults(scenario_text):
    spec = parse_text(scenario_text("events:\n  near_miss: {}\n  hard_braking:\n  collision: {}\ntarget: near_miss\n"))
    nm = spec.event("near_miss")
    assert (nm.type, nm.ttc_below, nm.distance_below, nm.actor) == ("near_miss", 1.5, None, "ego")
    assert spec.event("hard_braking").decel_above == 4.0
    assert spec.event("collision").type == "collision"
    assert spec.target == "near_miss"


def test_near_miss_distance_only_has_no_ttc(scenario_text):
    spec = parse_text(scenario_text("events:\n  close: {type: near_miss, distance_below: 0.5}\n"))
    ev = spec.event("close")
    assert (ev.type, ev.ttc_below, ev.distance_below) == ("near_miss", None, 0.5)


def test_gilbert_elliott_loss_rate_and_mean_burst_kept():
    spec = load_scenario(VALID / "dropout_stop_and_go.yaml")
    d = spec.ego.sensor.dropout
    assert d.model == "gilbert_elliott"
    assert d.loss_rate == Ref("actors.ego.sensor.dropout.gilbert_elliott.loss_rate")
    assert d.mean_burst == Const(0.4)
    assert d.p_enter is None and d.p_exit is None
    p = spec.parameters.parameters[spec.parameters.index(d.loss_rate.name)]
    assert p.dist == Uniform(0.01, 0.1)


def test_gilbert_elliott_per_step_probabilities(scenario_text):
    ego = "  ego:\n    {kind: car, lane: 0, s: 20, sensor: {dropout: {gilbert_elliott: {p_enter: 0.02, p_exit: 0.4}}}}\n"
    d = parse_text(scenario_text(ego=ego)).ego.sensor.dropout
    assert (d.model, d.p_enter, d.p_exit, d.loss_rate) == ("gilbert_elliott", Const(0.02), Const(0.4), None)


def test_independent_dropout(scenario_text):
    ego = "  ego: {kind: car, lane: 0, s: 20, sensor: {dropout: {independent: {p_loss: 0.05}}}}\n"
    d = parse_text(scenario_text(ego=ego)).ego.sensor.dropout
    assert (d.model, d.p_loss) == ("independent", Const(0.05))


def test_route_parsing():
    spec = load_scenario(VALID / "unprotected_left_turn.yaml")
    assert spec.ego.route == ("S_in_0", "S_in_0>W_out_0", "W_out_0")
    assert spec.actor("oncoming").route == ("N_in_0", "N_in_0>S_out_0", "S_out_0")
    assert spec.actor("crossing_cyclist").kind == "bicycle"


def test_merge_route_and_time_gap_trigger():
    spec = load_scenario(VALID / "on_ramp_merge.yaml")
    merger = spec.actor("merger")
    assert merger.route == ("ramp", "accel")
    (lc,) = merger.maneuvers
    assert (lc.start.kind, lc.start.other, lc.to) == ("time_gap", "ego", "0")


def test_pose_placement_cross_and_occluder_box():
    spec = load_scenario(VALID / "pedestrian_behind_van.yaml")
    ped = spec.actor("pedestrian")
    assert isinstance(ped.placement, PosePlacement)
    assert ped.placement.y == Const(-3.6)
    (cross,) = ped.maneuvers
    assert cross.path == ((0.0, 0.0), (0.0, 9.0))
    assert (cross.start.kind, cross.start.other) == ("distance", "ego")
    (van,) = spec.occluders
    xs = sorted(x for x, _ in van.polygon)
    ys = sorted(y for _, y in van.polygon)
    assert xs[0] == pytest.approx(64 - 2.75) and xs[-1] == pytest.approx(64 + 2.75)
    assert ys[0] == pytest.approx(-3.0 - 1.05) and ys[-1] == pytest.approx(-3.0 + 1.05)
    ot = spec.event("occluded_threat")
    assert (ot.target, ot.min_duration) == ("pedestrian", 0.5)


def test_choice_weights_normalised():
    spec = load_scenario(VALID / "leader_hard_brake.yaml")
    p = spec.parameters.parameters[spec.parameters.index("traffic[1].count")]
    assert p.dist == Choice((0.0, 1.0, 2.0), (0.5, 0.3, 0.2))


def test_lognormal_forms(scenario_text):
    text = scenario_text().replace(
        "road:", "params:\n  a: {lognormal: {median: 2.0, sigma: 0.5}}\n  b: {lognormal: {mean: 3.0, std: 1.0}}\nroad:"
    )
    ps = parse_text(text).parameters
    a, b = (p.dist for p in ps.parameters)
    assert isinstance(a, LogNormal) and a.mu == pytest.approx(np.log(2.0)) and a.sigma == 0.5
    # mean and std of the log-normal are the ones given
    mean = np.exp(b.mu + b.sigma**2 / 2)
    std = mean * np.sqrt(np.expm1(b.sigma**2))
    assert (mean, std) == (pytest.approx(3.0), pytest.approx(1.0))


def test_yaml_merge_key_override_is_not_a_duplicate(scenario_text):
    ego = "  ego: &car {kind: car, lane: 0, s: 20, speed: 20}\n  leader:\n    <<: *car\n    s: 60\n    speed: 25\n"
    spec = parse_text(scenario_text(ego=ego))
    leader = spec.actor("leader")
    assert leader.placement.s == Const(60.0) and leader.speed == Const(25.0)
    assert leader.placement.lane == "0"


def test_polyline_road(scenario_text):
    text = scenario_text().replace(
        "road: {type: straight, lanes: 2, length: 300}",
        "road:\n  type: lanes\n  lanes:\n"
        "    a: {points: [[0, 0], [100, 0]], successors: [b], left: c}\n"
        "    b: {points: [[100, 0], [200, 0]]}\n"
        "    c: {points: [[0, 3.5], [100, 3.5]], right: a}\n",
    ).replace("lane: 0", "lane: a")
    spec = parse_text(text)
    assert spec.road.type == "lanes"
    assert [p.id for p in spec.road.polylines] == ["a", "b", "c"]
    assert spec.road.polylines[0].successors == ("b",)


def test_show_summary_has_parameter_table():
    spec = load_scenario(VALID / "highway_cut_in.yaml")
    text = summary(spec)
    assert text.splitlines()[0] == f"highway_cut_in  ({spec.source})"
    assert "parameter space: 8 dimension(s)" in text
    table = text.split("parameter space: 8 dimension(s)\n", 1)[1].splitlines()
    assert len(table) == 8
    for row, name in zip(table, spec.parameters.names):
        assert row.strip().startswith(name)
    assert "uniform[25, 33]" in table[0] and "bounds [25, 33]" in table[0]
    assert "normal(mean=27, std=3) truncated to [15, 40]" in table[2]
    assert "poisson(6) capped at 16" in table[5] and table[5].endswith("(integer)")
    assert "near_miss (near_miss: ttc_below=1, actor=ego, with=any)  <- target" in text


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_summary_of_every_example(path):
    spec = load_scenario(path)
    text = summary(spec)
    assert f"parameter space: {spec.parameters.dim} dimension(s)" in text
    for name in spec.parameters.names:
        assert name in text
