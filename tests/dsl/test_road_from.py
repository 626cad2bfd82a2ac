"""``road: {from: PATH}``: paths relative to the scenario file, the map in the spec hash, and user errors
reported at the key (file:line:col, exit 2, no traceback)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scenariogen.cli import EXIT_USER_ERROR, main
from scenariogen.dsl import load_scenario, parse_text
from scenariogen.errors import DSLError
from scenariogen.road import maps
from scenariogen.sim.engine import spec_hash

REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "real"
US101 = REAL / "ngsim-commonroad" / "USA_US101-3_3_T-1.xml"

BODY = """scenariogen: 1
name: from_map
road: {road}
actors:
  ego: {{kind: car, lane: {lane}, s: 10, speed: 10, behavior: {{idm: {{desired_speed: 12}}}}}}
"""


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SCENARIOGEN_MAP_CACHE", str(tmp_path / "cache"))
    maps._NET_MEMO.clear()
    maps._MEMO.clear()


def scenario(tmp_path: Path, road: str, lane: str = "'35'", where: str = "family") -> Path:
    d = tmp_path / where
    d.mkdir(parents=True, exist_ok=True)
    p = d / "s.yaml"
    p.write_text(BODY.format(road=road, lane=lane))
    return p


def test_relative_path_resolves_against_the_scenario_file(tmp_path):
    maps_dir = tmp_path / "maps"
    maps_dir.mkdir()
    (maps_dir / "us101.xml").write_bytes(US101.read_bytes())
    spec = load_scenario(scenario(tmp_path, "{from: ../maps/us101.xml, region: {ids: [33, 35, 26]}}"))
    assert spec.road.type == "map" and spec.road.map_path == "../maps/us101.xml"
    assert spec.road.map_file == str((maps_dir / "us101.xml").resolve()) and spec.road.region_ids == ("33", "35", "26")
    # the hash follows the map's content, not where the scenario was loaded from
    other = tmp_path / "elsewhere"
    (other / "maps").mkdir(parents=True)
    (other / "maps" / "us101.xml").write_bytes(US101.read_bytes())
    spec2 = load_scenario(scenario(other, "{from: ../maps/us101.xml, region: {ids: [33, 35, 26]}}"))
    assert spec_hash(spec2) == spec_hash(spec)
    (other / "maps" / "us101.xml").write_bytes(US101.read_bytes().replace(b"<x>-44.8542</x>", b"<x>-44.8543</x>"))
    maps._NET_MEMO.clear()
    assert spec_hash(load_scenario(other / "family" / "s.yaml")) != spec_hash(spec)


def test_text_without_file_resolves_against_the_working_directory(tmp_path, monkeypatch):
    (tmp_path / "m.xml").write_bytes(US101.read_bytes())
    monkeypatch.chdir(tmp_path)
    spec = parse_text(BODY.format(road="{from: m.xml, format: commonroad}", lane="'35'"))
    assert spec.road.map_format == "commonroad" and spec.road.map_file == str(tmp_path / "m.xml")


ERRORS = [
    ("{from: nothere.xml}", "road.from: cannot read map 'nothere.xml' (relative to the scenario file: ", "3:14"),
    ("{from: bad.xml}", "road.from: cannot import map 'bad.xml': ", "3:14"),
    ("{from: %s, region: {bbox: [1000, 1000, 1001, 1001]}}" % US101, "road.region: cannot import map", "3:"),
    ("{from: %s, region: {bbox: [1, 0, 0, 1]}}" % US101, "road.region.bbox: expected [min_x, min_y, max_x, max_y]", "3:"),
    ("{from: %s, format: xodr}" % US101, "road.format: unknown map format 'xodr'", "3:"),
    ("{from: %s, type: straight}" % US101, "road.type: unknown key 'type'", "3:"),
]


@pytest.mark.parametrize("road,message,at", ERRORS, ids=["missing", "malformed", "empty-region", "bbox", "format",
                                                         "type"])
def test_user_errors_exit_2_at_the_key(road, message, at, tmp_path, capsys):
    path = scenario(tmp_path, road)
    (path.parent / "bad.xml").write_text('<commonRoad commonRoadVersion="2020a">\n<lanelet id="1">\n')
    code = main(["validate", str(path)])
    err = capsys.readouterr().err
    assert code == EXIT_USER_ERROR and "Traceback" not in err
    assert message in err and f"s.yaml:{at}" in err
    if "malformed" in message or "bad.xml" in road:
        assert "line 3, column" in err and "not well-formed XML" in err


def test_unknown_lane_lists_the_imported_ones(tmp_path):
    with pytest.raises(DSLError, match=r"actors.ego.lane: unknown lane '36' \(lanes: 31, 29, 33"):
        load_scenario(scenario(tmp_path, "{from: %s}" % US101, lane="'36'"))


def test_show_lists_the_imported_lanes(tmp_path, capsys):
    assert main(["show", str(scenario(tmp_path, "{from: %s, region: {ids: [33, 35]}}" % US101))]) == 0
    out = capsys.readouterr().out
    assert "road: map " in out and "(commonroad 2018b; ids [33, 35]), 2 lanes, 0.35 km" in out
    assert "  lane 35: 175.3 m x 3.30 m  left 33" in out
