"""``commonroad`` writer: CommonRoad 2020a XML, read back with our reader, the official XSD and commonroad-io."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from scenariogen.cli import EXIT_OK, EXIT_USER_ERROR, main
from scenariogen.export.commonroad import benchmark_id, lanelet_xml
from scenariogen.export.source import open_source
from scenariogen.logs.commonroad import CommonRoadReader
from scenariogen.data.run import read_manifest

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 12
BENCHMARK_ID = re.compile(r"[A-Z]{3}_[a-zA-Z0-9]+-[1-9][0-9]*_[1-9][0-9]*_T-[1-9][0-9]*")  # CommonRoad's convention


def first_batch(run: Path, n: int):
    return next(iter(open_source(run, limit=n))).batch


@pytest.fixture(scope="module")
def cr_out(mc_run, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cr") / "out"
    code = main(["export", str(mc_run), "--format", "commonroad", "--out", str(out), "--limit", str(LIMIT), "-q"])
    assert code == EXIT_OK
    return out


@pytest.fixture(scope="module")
def side(cr_out) -> list[dict]:
    return [json.loads(line) for line in (cr_out / "labels.jsonl").read_text().splitlines()]


def test_files_named_by_benchmark_id(cr_out, side, mc_run):
    b = first_batch(mc_run, LIMIT)
    assert [s["index"] for s in side] == list(b.indices)
    for s in side:
        assert BENCHMARK_ID.fullmatch(s["benchmark_id"]) and s["benchmark_id"] == benchmark_id("leader_hard_brake",
                                                                                               s["index"])
        root = ET.parse(cr_out / s["file"]).getroot()
        assert root.get("benchmarkID") == s["benchmark_id"] and root.get("commonRoadVersion") == "2020a"
        assert float(root.get("timeStepSize")) == pytest.approx(0.1)
    assert sorted(p.name for p in cr_out.iterdir()) == sorted([s["file"] for s in side] + ["labels.jsonl"])


def test_side_file_labels_and_critical_tag(cr_out, side, mc_run):
    b = first_batch(mc_run, LIMIT)
    for r, s in enumerate(side):
        assert s["labels"] == {k: bool(v[r]) for k, v in b.labels.items()}
        assert s["theta"] == [float(x) for x in b.theta[r]] and s["log_weight"] == 0.0
        tags = {t.tag for t in ET.parse(cr_out / s["file"]).getroot().find("scenarioTags")}
        assert {"simulated", "multi_lane"} <= tags
        assert ("critical" in tags) == bool(b.labels["collision"][r])


def test_our_reader_reads_obstacles_back(cr_out, side, mc_run):
    b = first_batch(mc_run, LIMIT)
    for r, s in enumerate(side[:6]):
        sc = CommonRoadReader.read(cr_out / s["file"], clean=False)
        ids = [str(x) for x in np.asarray(sc.track_ids).reshape(-1)]
        present = [i for i in range(1, len(b.agent_names)) if b.mask[r, i, 0]]
        assert sorted(s["obstacles"].values()) == sorted(b.agent_names[i] for i in present)
        assert len(ids) == len(present) and len(sc.lanes) > 0
        for k, oid in enumerate(ids):
            i = b.agent_names.index(s["obstacles"][oid])
            n = int(b.mask[r, i].sum())
            np.testing.assert_allclose(sc.trajectories[0, k, :n, :2], b.trajectories[r, i, :n, :2], atol=1e-4)
            np.testing.assert_allclose(sc.sizes[0, k], b.sizes[r, i], atol=1e-4)


def test_lanelets_bounds_and_adjacency(cr_out, side, brake_spec):
    root = ET.parse(cr_out / side[0]["file"]).getroot()
    lanelets = root.findall("lanelet")
    assert [ll.get("id") for ll in lanelets] == ["1", "2"]
    for ll in lanelets:
        pts = [np.array([[float(p.findtext("x")), float(p.findtext("y"))] for p in ll.find(b).findall("point")])
               for b in ("leftBound", "rightBound")]
        assert pts[0].shape == pts[1].shape
        np.testing.assert_allclose(np.hypot(*(pts[0] - pts[1]).T), brake_spec.road.lane_width, atol=1e-3)
    assert lanelets[0].find("adjacentLeft").attrib == {"ref": "2", "drivingDir": "same"}
    assert lanelets[1].find("adjacentRight").attrib == {"ref": "1", "drivingDir": "same"}


def test_intersection_lanelets_topology():
    text = (ROOT / "scenarios" / "unprotected_left_turn.yaml").read_text()
    root = ET.fromstring(f"<r>{lanelet_xml(text, 'intersection')}</r>")
    lanelets = {ll.get("id"): ll for ll in root}
    for lid, ll in lanelets.items():
        for s in ll.findall("successor"):
            assert lid in {p.get("ref") for p in lanelets[s.get("ref")].findall("predecessor")}
    types = [ll.findtext("laneletType") for ll in lanelets.values()]
    assert "intersection" in types and "urban" in types


def test_ego_is_the_planning_problem(cr_out, side, mc_run):
    b = first_batch(mc_run, LIMIT)
    root = ET.parse(cr_out / side[0]["file"]).getroot()
    (pp,) = root.findall("planningProblem")
    assert pp.get("id") == str(side[0]["planning_problem"])
    init = pp.find("initialState")
    assert float(init.find("position/point/x").text) == pytest.approx(float(b.trajectories[0, 0, 0, 0]), abs=1e-4)
    assert float(init.find("velocity/exact").text) == pytest.approx(float(b.trajectories[0, 0, 0, 3]), abs=1e-4)
    centre = pp.find("goalState/position/rectangle/center")
    last = int(b.mask[0, 0].sum()) - 1
    assert float(centre.findtext("x")) == pytest.approx(float(b.trajectories[0, 0, last, 0]), abs=1e-4)


def _xsd_path(commonroad_pkg) -> Path:
    found = sorted(Path(commonroad_pkg.__path__[0]).rglob("XML_commonRoad_XSD*.xsd"))
    if not found:
        pytest.skip("this commonroad-io ships no 2020a XSD")
    return found[0]


def test_valid_against_the_official_xsd(cr_out, side):
    commonroad = pytest.importorskip("commonroad")
    etree = pytest.importorskip("lxml.etree")
    schema = etree.XMLSchema(etree.parse(str(_xsd_path(commonroad))))
    for s in side:
        doc = etree.parse(str(cr_out / s["file"]))
        assert schema.validate(doc), schema.error_log.last_error


def test_commonroad_io_reads_it(cr_out, side, mc_run):
    pytest.importorskip("commonroad")
    from commonroad.common.file_reader import CommonRoadFileReader

    b = first_batch(mc_run, LIMIT)
    for r, s in enumerate(side[:4]):
        scenario, problems = CommonRoadFileReader(str(cr_out / s["file"])).open()
        assert str(scenario.scenario_id) == s["benchmark_id"] and scenario.dt == pytest.approx(0.1)
        assert len(scenario.lanelet_network.lanelets) == 2
        for ob in scenario.dynamic_obstacles:
            i = b.agent_names.index(s["obstacles"][str(ob.obstacle_id)])
            states = [ob.initial_state, *ob.prediction.trajectory.state_list]
            xy = np.array([st.position for st in states])
            np.testing.assert_allclose(xy, b.trajectories[r, i, : len(states), :2], atol=1e-4)
            assert [st.time_step for st in states] == list(range(len(states)))
        (pp,) = problems.planning_problem_dict.values()
        np.testing.assert_allclose(pp.initial_state.position, b.trajectories[r, 0, 0, :2], atol=1e-4)


# ---- bad input ---------------------------------------------------------------------------------------------------
def export_cli(capsys, *args):
    code = main(["export", *args, "-q"])
    return code, capsys.readouterr().err


def test_unwritable_output_path(mc_run, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, err = export_cli(capsys, str(mc_run), "--format", "commonroad", "--out", str(blocker / "o"), "--limit", "2")
    assert code == EXIT_USER_ERROR and "cannot write here" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_incomplete_run_and_missing_shard(mc_run, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(mc_run, run)
    (run / read_manifest(run).shards[1].file).unlink()
    code, err = export_cli(capsys, str(run), "--format", "commonroad", "--out", str(tmp_path / "o"))
    assert code == EXIT_USER_ERROR and "missing" in err
    man = read_manifest(run).to_dict()
    man["complete"] = False
    (run / "manifest.json").write_text(json.dumps(man))
    code, err = export_cli(capsys, str(run), "--format", "commonroad", "--out", str(tmp_path / "o"))
    assert code == EXIT_USER_ERROR and "incomplete" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_corrupt_shard_midway_leaves_nothing(mc_run, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(mc_run, run)
    shard = run / read_manifest(run).shards[2].file
    shard.write_bytes(shard.read_bytes()[:-10] + b"0123456789")  # the first two shards export, the third fails
    code, err = export_cli(capsys, str(run), "--format", "commonroad", "--out", str(tmp_path / "o"))
    assert code == EXIT_USER_ERROR and "corrupt" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_same_run_exports_identical_files(mc_run, tmp_path, monkeypatch):
    from scenariogen.export import export

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    a, b = (export(mc_run, "commonroad", tmp_path / name, limit=3).path for name in ("a", "b"))
    files = sorted(p.name for p in a.iterdir())
    assert files == sorted(p.name for p in b.iterdir())
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    c = export(mc_run, "commonroad", tmp_path / "c", limit=1).path
    assert ET.parse(next(c.glob("*.xml"))).getroot().get("date") == "2023-11-14"
