"""``seed_from:``: the parameters it adds, the road of the logs' maps, and its errors (file:line:col)."""

from __future__ import annotations

import pytest

from scenariogen.dsl.distributions import Choice, Uniform
from scenariogen.dsl.parse import load_scenario, parse_text
from scenariogen.errors import DSLError
from seeded_family import SCENES, seeded_yaml


@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    return load_scenario(seeded_yaml(tmp_path_factory.mktemp("seed")))


def problems(path) -> list:
    with pytest.raises(DSLError) as exc:
        load_scenario(path)
    return exc.value.problems


def line_of(path, needle: str) -> int:
    return next(i for i, ln in enumerate(path.read_text().splitlines(), 1) if needle in ln)


def test_scene_and_moment_are_parameters_of_theta(spec):
    p = {q.name: q for q in spec.parameters.parameters}
    scene, moment = p["seed_from.scene"], p["seed_from.moment"]
    assert isinstance(scene.dist, Choice) and scene.dist.values == (0.0, 1.0) and scene.discrete
    assert scene.dist.weights == pytest.approx((0.5, 0.5))
    assert isinstance(moment.dist, Uniform) and (moment.dist.low, moment.dist.high) == (0.0, 1.0)
    assert [sc.name for sc in spec.seed_from.scenes] == [s[:-4] for s in SCENES]


def test_each_scene_keeps_its_map_side_by_side(spec):
    from scenariogen.road import build_road

    net = build_road(spec.road)
    a, b = spec.road.seed_maps
    assert a.shift == (0.0, 0.0) and b.shift[0] > 0
    boxes = []
    for sm in (a, b):
        lanes = [net.lane(lid) for lid in net.lanes if lid.startswith(sm.name + "/")]
        assert lanes
        xs = [x for ln in lanes for x in ln.points[:, 0]]
        boxes.append((min(xs), max(xs)))
    assert boxes[0][1] < boxes[1][0]  # the second scene's map lies beyond the first's


def test_tables_pick_an_ego_with_every_role_at_each_usable_frame(spec):
    for sc in spec.seed_from.scenes:
        T = sc.x.shape[1]
        assert len(sc.usable) > 0 and sc.usable.max() + 50 <= T - 1  # duration 5 s = 50 steps
        for j, k in enumerate(sc.usable):
            e, left, lead = sc.ego[j, 0], sc.roles["left_ahead"][j, 0], sc.roles["leader"][j, 0]
            assert len({e, left, lead}) == 3 and sc.present[[e, left, lead], k].all()
            assert sc.lane[lead, k] == sc.lane[e, k] or sc.lane_ids[sc.lane[lead, k]] != sc.lane_ids[sc.lane[e, k]]


def test_scene_shorter_than_the_duration_is_an_error_at_logs(tmp_path):
    path = seeded_yaml(tmp_path, duration=7.4)
    (p,) = [q for q in problems(path) if "shorter" in q.message]
    assert p.line == line_of(path, "USA_US101-11") and "USA_US101-11_1_T-1 is 7.2 s long" in p.message


def test_no_vehicle_satisfying_the_ego_rule_is_an_error_at_ego(tmp_path):
    path = seeded_yaml(tmp_path, ego='{track: "no-such-track"}')
    ps = problems(path)
    assert ps and all("can be the ego" in p.message and p.line == line_of(path, "  ego: {track") for p in ps)
    assert "track no-such-track" in ps[0].message


def test_unreadable_log_is_an_error_naming_it(tmp_path):
    bad = tmp_path / "broken.xml"
    bad.write_text("<commonRoad timeStepSize='0.1'><dynamicObstacle id='1'>")
    path = seeded_yaml(tmp_path, logs=[str(bad)])
    (p,) = problems(path)
    assert "cannot read log 'broken.xml'" in p.message and p.line == line_of(path, "logs:") + 1


@pytest.mark.parametrize("part, text, needle, message", [
    ("actors", "  ego:\n    lane: 1\n", "lane: 1", "'lane' comes from the log"),
    ("actors", "  ego: {}\n  other:\n    from_log: {role: nearest}\n", "role: nearest", "unknown role 'nearest'"),
    ("actors", "  ego: {}\n  other:\n    behavior: {idm: {desired_speed: 20}}\n", "desired_speed: 20", "missing required key 'from_log'"),
    ("extra_seed", "  keep_gaps: {time_headway: [2, 1]}\n", "time_headway: [2, 1]", "0 <= low <= high <= 10 (s), got [2, 1]"),
    ("extra_seed", "  keep_gaps: {min_gap: [-1, 2]}\n", "min_gap: [-1, 2]", "0 <= low <= high <= 20 (m), got [-1, 2]"),
    ("extra_seed", "  keep_gaps: {headway: [1, 2]}\n", "headway: [1, 2]", "unknown key 'headway'"),
    ("extra_seed", "  keep_gaps: yes please\n", "keep_gaps: yes", "expected true, false or a mapping"),
])
def test_seeded_errors_at_their_line(tmp_path, part, text, needle, message):
    """Logged actors and ``keep_gaps``: each error names what was expected, at its line."""
    path = seeded_yaml(tmp_path, **{part: text})
    ps = problems(path)
    assert any(message in p.message and p.line == line_of(path, needle) for p in ps), ps


def test_from_log_needs_a_seeded_family():
    text = """scenariogen: 1
name: x
road: {type: straight, lanes: 2}
actors:
  ego: {kind: car, lane: 0, s: 10}
  other: {kind: car, from_log: {role: leader}, lane: 0, s: 40}
"""
    with pytest.raises(DSLError) as exc:
        parse_text(text, "x.yaml")
    (p,) = exc.value.problems
    assert p.line == 6 and "'from_log' needs a seeded family" in p.message


def test_seeded_family_refuses_road_and_traffic(tmp_path):
    path = seeded_yaml(tmp_path, extra_seed="road: {type: straight}\ntraffic: []\n")
    msgs = [p.message for p in problems(path)]
    assert any("leave 'road' out" in m for m in msgs) and any("leave 'traffic' out" in m for m in msgs)


@pytest.mark.parametrize("body, extra, needle, message", [
    ("  ego:\n    replay: true\n", "", "replay: true", "the ego is simulated, never replayed"),
    ("  ego: {}\n  lead:\n    from_log: {role: leader}\n    replay: true\n    maneuver: {hard_brake: {decel: 5}}\n", "",
     "replay: true", "a replayed vehicle follows its recording"),
    ("  ego: {}\n", "  replay: all\n", "replay: all", "expected one of none, others"),
])
def test_replay_errors(tmp_path, body, extra, needle, message):
    path = seeded_yaml(tmp_path, actors=body, extra_seed=extra)
    ps = problems(path)
    assert any(message in p.message and p.line == line_of(path, needle) for p in ps), ps


def test_seeding_from_an_argoverse_2_scenario_takes_the_map_next_to_it(tmp_path):
    from real_data import REAL, need

    log = need(REAL / "av2-api-fixtures" / "forecasting" / "scenario_0a1e6f0a-1817-4a98-b02e-db8c9327d151.parquet")
    path = seeded_yaml(tmp_path, logs=[str(log)], duration=3.0, actors="  ego: {}\n",
                       extra_seed="  reader: av2\n")
    spec = load_scenario(path)
    (sc,) = spec.seed_from.scenes
    assert spec.road.seed_maps[0].map_file.endswith(".json") and len(sc.lane_ids) > 10 and len(sc.usable) > 50


def test_any_ego_is_a_parameter_over_every_eligible_vehicle(tmp_path):
    import numpy as np

    from scenariogen.sim.seed import seed_rows

    spec = load_scenario(seeded_yaml(tmp_path, ego="{any: true}"))
    assert spec.parameters.names[:3] == ("seed_from.scene", "seed_from.moment", "seed_from.ego")
    sc = spec.seed_from.scenes[0]
    n = (sc.ego[0] >= 0).sum()
    assert n > 1 and ((sc.ego >= 0) == (sc.roles["leader"] >= 0)).all()
    theta = spec.parameters.from_unit(np.full((n, spec.parameters.dim), 0.5))
    theta[:, :3] = np.column_stack([np.zeros(n), np.zeros(n), (np.arange(n) + 0.5) / n])
    rows = seed_rows(spec, theta, {p: i for i, p in enumerate(spec.parameters.names)}, 40)
    assert sorted(rows.agent[:, 0]) == sorted(sc.ego[0, :n])  # each eligible vehicle once


def test_keep_gaps_records_what_the_family_writes(spec, tmp_path):
    # on by default; the ego's time headway is written (seeded_family), nothing else
    assert spec.seed_from.keep_gaps.fixed == ("actors.ego.behavior.idm.time_headway",)
    off = load_scenario(seeded_yaml(tmp_path, extra_seed="  keep_gaps: false\n"))
    assert off.seed_from.keep_gaps is None
