"""A family simulates on each imported format, and map roads export: the shipped US-101 cut-in
(CommonRoad), an Argoverse 2 city map, a scenariogeneration OpenDRIVE junction, the Lanelet2 map."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

import scenariogen
from scenariogen.data import layout as Lo
from scenariogen.export import export
from scenariogen.road import build_road
from scenariogen.road.maps import map_road

from map_helpers import AV2_MAPS, ROOT
from osm_fixture import osm_text
from test_map_opendrive import _scenariogeneration_junction

US101_FAMILY = ROOT / "scenarios" / "maps" / "us101_cut_in.yaml"

FAMILY = """scenariogen: 1
name: {name}
dt: 0.1
duration: 4.0
road: {{from: {path}}}
actors:
  ego:
    kind: car
    lane: '{lane}'
    s: 5
    speed: {{uniform: [6, 10]}}
    behavior: {{idm: {{desired_speed: 10}}}}
    route: [{route}]
  leader:
    kind: car
    lane: '{lane}'
    s: {{uniform: [20, 30]}}
    speed: 5
    behavior: {{idm: {{desired_speed: 6}}}}
events:
  near_miss: {{ttc_below: 1.5}}
"""


def check(batch, net) -> None:
    """Every agent starts on the imported road, and nearly every recorded position lies on it (vehicles
    that reach the end of the map's last lanes drive on straight beyond it)."""
    assert batch.size == 4 and batch.mask[:, :2].all()
    road = shapely.union_all([net.lane(lid).centerline.buffer(net.lane(lid).width) for lid in net.lane_ids])
    pos = batch.trajectories[..., [Lo.F_X, Lo.F_Y]].astype(np.float64)
    first = pos[:, :, 0][batch.mask[:, :, 0]]
    assert shapely.contains(road, shapely.points(first)).all()
    on = shapely.contains(road, shapely.points(pos[batch.mask]))
    assert on.mean() > 0.9


def family(tmp_path, name, path, lane, route) -> scenariogen.ScenarioSpec:
    f = tmp_path / f"{name}.yaml"
    f.write_text(FAMILY.format(name=name, path=path, lane=lane, route=", ".join(f"'{r}'" for r in route)))
    return scenariogen.load_scenario(f)


def test_commonroad_family_simulates_and_exports(tmp_path):
    spec = scenariogen.load_scenario(US101_FAMILY)
    b = scenariogen.simulate(spec, n=4, seed=3)
    check(b, build_road(spec.road))
    assert b.provenance["spec_file"] == str(US101_FAMILY)
    # OpenDRIVE export of the imported road reads back as the same lanes
    export(b, "openscenario", tmp_path / "xosc")
    back, _ = map_road(tmp_path / "xosc" / "us101_cut_in.xodr")
    ref = build_road(spec.road)
    assert sorted(back.lane_ids) == sorted(ref.lane_ids)
    for lid in ref.lane_ids:
        assert set(back.successors(lid)) == set(ref.successors(lid))
        d = shapely.distance(back.lane(lid).centerline, shapely.points(ref.lane(lid).points)).max()
        assert d < 0.01
    # a run records the scenario file, so exporting it from elsewhere still finds the map
    from scenariogen.runs.generate import GenerateSettings, generate

    st = GenerateSettings(sampler="mc", target="near_miss", seed=1, budget=8, shard_size=8, stage_size=8, keep="all",
                          sampler_options={})
    m = generate(spec, tmp_path / "run", st, progress=False)
    assert m.spec_file == str(US101_FAMILY)
    rep = export(tmp_path / "run", "commonroad", tmp_path / "cr", limit=2)
    assert rep.scenarios == 2
    xml = next((tmp_path / "cr").glob("*.xml")).read_text()
    assert xml.count("<lanelet id=") == 12 and "<multi_lane/>" in xml


def test_av2_family_simulates(tmp_path):
    path = AV2_MAPS[0]
    net, _ = map_road(path)
    # the longest lane with a successor, and that successor
    lane = max((lid for lid in net.lane_ids if net.successors(lid) and net.lane(lid).length > 40),
               key=lambda lid: net.lane(lid).length)
    spec = family(tmp_path, "av2_follow", path, lane, [lane, net.successors(lane)[0]])
    check(scenariogen.simulate(spec, n=4, seed=1), net)


def test_opendrive_junction_family_simulates(tmp_path):
    path = tmp_path / "junction.xodr"
    _scenariogeneration_junction(path)
    spec = family(tmp_path, "odr_turn", path, "1_0_-1", ["1_0_-1", "101_0_-1", "3_0_-1"])
    net = build_road(spec.road)
    b = scenariogen.simulate(spec, n=4, seed=1)
    check(b, net)
    assert b.labels["near_miss"].shape == (4,)


def test_lanelet2_family_simulates(tmp_path):
    path = tmp_path / "map.osm"
    path.write_text(osm_text())
    spec = family(tmp_path, "ll2_follow", path, "102", ["102", "104"])
    check(scenariogen.simulate(spec, n=4, seed=1), build_road(spec.road))
