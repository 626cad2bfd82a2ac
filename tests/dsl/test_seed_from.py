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


def test_the_ego_is_in_the_log_for_the_whole_scenario(spec):
    """An ego that leaves the log (drives on past the recorded stretch, where the other logged
    vehicles leave the scene) is not taken; in these scenes every busiest vehicle of a usable
    frame did, before the rule."""
    steps = spec.steps
    for sc in spec.seed_from.scenes:
        for j, k in enumerate(sc.usable):
            assert sc.present[sc.ego[j, 0], k:k + steps + 1].all()


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
    ("actors", "  ego: {}\n  other:\n    from_log: {role: leader, room: 5}\n", "room: 5",
     "'room' applies to the roles beside the ego's lane (left_ahead, left_behind, right_ahead, right_behind), not to 'leader'"),
    ("actors", "  ego: {}\n  other:\n    from_log: {track: 12, room: 5}\n", "room: 5", "not to a track"),
    ("actors", "  ego: {}\n  other:\n    from_log: {role: left_ahead, room: -1}\n", "room: -1",
     "value -1 is out of range: expected a number in [0, 100]"),
    ("actors", "  ego: {}\n  other:\n    from_log: {role: left_ahead, room: {uniform: [1, 5]}}\n", "room: {uniform",
     "expected a number of metres in [0, 100] (fixed: the roles are looked up when the logs are read), got a mapping"),
    ("actors", "  ego: {}\n  other:\n    from_log: {room: 5}\n", "room: 5", "give exactly one of 'role' or 'track'"),
    ("extra_seed", "  keep_gaps: {time_headway: [2, 1]}\n", "time_headway: [2, 1]", "0 <= low <= high <= 10 (s), got [2, 1]"),
    ("extra_seed", "  keep_gaps: {min_gap: [-1, 2]}\n", "min_gap: [-1, 2]", "0 <= low <= high <= 20 (m), got [-1, 2]"),
    ("extra_seed", "  keep_gaps: {headway: [1, 2]}\n", "headway: [1, 2]", "unknown key 'headway'"),
    ("extra_seed", "  keep_gaps: yes please\n", "keep_gaps: yes", "expected true, false or a mapping"),
    ("extra_seed", "  keep_gaps: {desired_speed_above: -1}\n", "desired_speed_above: -1",
     "value -1 is out of range: expected a number in [0, 20]"),
    ("extra_seed", "  keep_gaps: {desired_speed_above: fast}\n", "desired_speed_above: fast", "expected a number"),
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
    assert spec.road.seed_maps[0].map_file.endswith(".json") and len(sc.lane_ids) > 10
    # 80 frames leave room for 3 s; 46 are left out: pedestrians inside the default 4.5 m boxes of
    # parked cars (av2 gives no sizes), and parked cars closer than those boxes
    assert len(sc.usable) + sc.overlapping == 80 and len(sc.usable) > 30


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
    assert spec.seed_from.keep_gaps.desired_speed_above is None
    (tmp_path / "above").mkdir()
    above = load_scenario(seeded_yaml(tmp_path / "above", extra_seed="  keep_gaps: {desired_speed_above: 1.5}\n"))
    assert above.seed_from.keep_gaps.desired_speed_above == 1.5
    assert above.parameters.names == spec.parameters.names  # no new parameter: theta and its weights unchanged


def _with_overlapping_copy(src, dst, frames: range, ahead: float = 2.0) -> None:
    """``src`` (a CommonRoad scene) written to ``dst`` with one more car: a copy of its first
    obstacle moved ``ahead`` m along its heading (its box overlaps the first's), present at ``frames`` only."""
    import copy
    import math
    import xml.etree.ElementTree as ET

    tree = ET.parse(src)
    root = tree.getroot()
    first = root.find("obstacle")
    states = [first.find("initialState")] + first.find("trajectory").findall("state")
    states = [s for s in states if int(s.find("time/exact").text) in frames]
    twin = copy.deepcopy(first)
    twin.set("id", "990001")
    for old in twin.findall("initialState") + twin.findall("trajectory"):
        twin.remove(old)
    trajectory = ET.SubElement(twin, "trajectory")
    for n, s in enumerate(states):
        s = copy.deepcopy(s)
        s.tag = "initialState" if n == 0 else "state"
        h = float(s.find("orientation/exact").text)
        for axis, f in (("x", math.cos), ("y", math.sin)):
            el = s.find(f"position/point/{axis}")
            el.text = f"{float(el.text) + ahead * f(h):.4f}"
        (twin.insert(list(twin).index(trajectory), s) if n == 0 else trajectory.append(s))
    root.insert(list(root).index(first) + 1, twin)
    tree.write(dst)


def test_moments_where_logged_boxes_overlap_are_not_usable(spec, tmp_path):
    """A scene with an overlapping pair at some frames: exactly those frames leave the usable ones
    (the moment maps onto the rest); the ego and roles at every other frame stay as they were."""
    from real_data import NGSIM_MORE, need

    plain = spec.seed_from.scenes[0]  # the same scene, first: not shifted
    _with_overlapping_copy(need(NGSIM_MORE / SCENES[0]), tmp_path / SCENES[0], range(5, 10))
    spec = load_scenario(seeded_yaml(tmp_path, logs=[str(tmp_path / SCENES[0])]))
    sc = spec.seed_from.scenes[0]
    assert plain.overlapping == 0 and sc.overlapping == 5 and "990001" in sc.track_ids
    assert list(sc.usable) == [k for k in plain.usable if k not in range(5, 10)]
    j0 = [j for j, k in enumerate(plain.usable) if k not in range(5, 10)]

    def ids(s, table):
        return [s.track_ids[i] for i in table[:, 0]]

    assert ids(sc, sc.ego) == ids(plain, plain.ego[j0])
    for role in ("left_ahead", "leader"):
        assert ids(sc, sc.roles[role]) == ids(plain, plain.roles[role][j0])
    from scenariogen.dsl.describe import summary

    assert "5 left out where logged boxes overlap" in summary(spec)  # scenariogen show


def test_a_side_role_with_room_is_the_nearest_with_no_car_of_the_egos_lane_near_it(spec, tmp_path):
    """``room: M``: at every usable moment the cutter is the nearest car ahead on a lane to the
    ego's left whose box no vehicle of the ego's lane ahead of the ego comes within M m of,
    lengthwise (checked against the scene's arrays directly)."""
    import math

    import numpy as np

    from scenariogen.road import build_road

    room = 5.0
    actors = f"  ego: {{}}\n  cutter:\n    from_log: {{role: left_ahead, room: {room:g}}}\n"
    roomy = load_scenario(seeded_yaml(tmp_path, actors=actors))
    net = build_road(roomy.road)
    other_cutter = 0
    for sc, plain in zip(roomy.seed_from.scenes, spec.seed_from.scenes):
        assert list(sc.roles) == ["left_ahead:room=5"]
        for j, k in enumerate(sc.usable):
            e, c = sc.ego[j, 0], sc.roles["left_ahead:room=5"][j, 0]
            lid = sc.lane_ids[sc.lane[e, k]]
            ln = net.lane(lid)
            h = ln.heading_at(min(max(sc.s[e, k], 0.0), ln.length))
            along = (sc.x[:, k] - sc.x[e, k]) * math.cos(h) + (sc.y[:, k] - sc.y[e, k]) * math.sin(h)
            here = [i for i in np.flatnonzero(sc.present[:, k]) if i != e]

            def lane_of(i, k=k):
                return sc.lane_ids[sc.lane[i, k]]

            def group(of):
                return {of, *net.successors(of), *net.predecessors(of)}

            mine = [i for i in here if lane_of(i) in group(lid) and along[i] > 0]

            def has_room(i, mine=mine, along=along):
                return all(abs(along[m] - along[i]) > 0.5 * (sc.sizes[i, 0] + sc.sizes[m, 0]) + room for m in mine)

            left = [i for i in here if lane_of(i) in group(net.left(lid)) and 0 < along[i] <= 100
                    and abs(sc.offset[i, k]) <= 0.375 * net.lane(lane_of(i)).width]
            assert c in left and has_room(c)
            assert not any(has_room(i) for i in left if along[i] < along[c])  # the nearest with room
            if k in plain.usable:
                jp = list(plain.usable).index(k)
                other_cutter += plain.ego[jp, 0] == e and plain.roles["left_ahead"][jp, 0] != c
    assert other_cutter > 0  # the rule picks another car than the plain nearest one at some moments
