"""``av2`` writer: Argoverse 2 scenario parquet + map JSON, read back with pyarrow and our av2 reader."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from scenariogen.cli import EXIT_OK, EXIT_USER_ERROR, main
from scenariogen.export.source import open_source
from scenariogen.data.run import read_manifest

pa = pytest.importorskip("pyarrow")
import pyarrow.parquet as pq

from scenariogen.export.av2 import av2_map, resample_10hz, scenario_labels, threat_agent
from scenariogen.logs.av2 import Av2Reader

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT / ".." / "shared" / "data" / "real" / "av2-api-fixtures" / "forecasting"
LIMIT = 24


def first_batch(run: Path, n: int):
    """The first ``n`` scenarios of the run as one Batch (what the export saw)."""
    return next(iter(open_source(run, limit=n))).batch


@pytest.fixture(scope="module")
def av2_out(mc_run, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("av2") / "out"
    assert main(["export", str(mc_run), "--format", "av2", "--out", str(out), "--limit", str(LIMIT), "-q"]) == EXIT_OK
    return out


def scenario_files(out: Path) -> list[Path]:
    return sorted(out.glob("*/scenario_*.parquet"))


def test_layout_one_folder_per_scenario(av2_out, mc_run):
    b = first_batch(mc_run, LIMIT)
    folders = sorted(p.name for p in av2_out.iterdir())
    assert folders == sorted(f"leader_hard_brake_{i:09d}" for i in b.indices)
    for name in folders:
        assert (av2_out / name / f"scenario_{name}.parquet").is_file()
        assert (av2_out / name / f"log_map_archive_{name}.json").is_file()


def test_schema_matches_the_argoverse_release_files(av2_out):
    mine = pq.read_schema(scenario_files(av2_out)[0])
    expected = [("observed", "bool"), ("track_id", "string"), ("object_type", "string"), ("object_category", "int64"),
                ("timestep", "int64"), ("position_x", "double"), ("position_y", "double"), ("heading", "double"),
                ("velocity_x", "double"), ("velocity_y", "double"), ("scenario_id", "string"),
                ("start_timestamp", "double"), ("end_timestamp", "double"), ("num_timestamps", "int64"),
                ("focal_track_id", "string"), ("city", "string"), ("map_id", "uint64"), ("slice_id", "string")]
    assert [(f.name, str(f.type)) for f in mine] == expected
    real = sorted(REAL.glob("scenario_*.parquet")) if REAL.is_dir() else []
    if real:  # the real Argoverse 2 sample, where the shared data is present
        assert [(f.name, str(f.type)) for f in pq.read_schema(real[0])] == expected


def test_positions_headings_velocities_round_trip_through_pyarrow(av2_out, mc_run):
    b = first_batch(mc_run, LIMIT)
    for r, f in enumerate(scenario_files(av2_out)):
        t = pq.read_table(f).to_pydict()
        assert t["scenario_id"][0] == f.parent.name and int(f.parent.name[-9:]) == b.indices[r]
        slot = {"AV": 0, **{n: k for k, n in enumerate(b.agent_names) if k}}
        i = np.array([slot[s] for s in t["track_id"]])
        ts = np.array(t["timestep"])
        assert len(i) == int(b.mask[r].sum())  # every present agent frame, nothing else
        tr = b.trajectories[r].astype(np.float64)
        np.testing.assert_allclose(t["position_x"], tr[i, ts, 0], atol=1e-6)
        np.testing.assert_allclose(t["position_y"], tr[i, ts, 1], atol=1e-6)
        dh = np.angle(np.exp(1j * (np.array(t["heading"]) - tr[i, ts, 2])))
        assert np.abs(dh).max() < 1e-6
        np.testing.assert_allclose(np.hypot(t["velocity_x"], t["velocity_y"]), tr[i, ts, 3], atol=1e-5)
        assert t["observed"] == list(ts < 50)
        T = b.trajectories.shape[2]
        assert set(t["num_timestamps"]) == {T} and t["end_timestamp"][0] == pytest.approx((T - 1) * 1e8)


def test_focal_track_is_the_threat_and_categories(av2_out, mc_run):
    b = first_batch(mc_run, LIMIT)
    focal = threat_agent(b)
    for r, f in enumerate(scenario_files(av2_out)):
        t = pq.read_table(f).to_pydict()
        cats = dict(zip(t["track_id"], t["object_category"]))
        fid = t["focal_track_id"][0]
        assert fid == b.agent_names[focal[r]] and cats[fid] == 3 and cats["AV"] == 1
        assert sum(c == 3 for c in cats.values()) == 1
        ca, cb = int(b.metrics["collision_a"][r]), int(b.metrics["collision_b"][r])
        if 0 in (ca, cb):  # the ego collided: the other party is the focal track
            assert fid == b.agent_names[cb if ca == 0 else ca]
        else:  # otherwise the agent with the lowest TTC to the ego
            am = b.agent_metrics[r, 1:, 0]
            if np.isfinite(am).any():
                assert b.agent_metrics[r, focal[r], 0] == am.min()


def test_event_labels_in_parquet_metadata(av2_out, mc_run):
    b = first_batch(mc_run, LIMIT)
    for r, f in enumerate(scenario_files(av2_out)):
        meta = scenario_labels(f)
        assert meta["index"] == b.indices[r] and meta["target"] == "collision"
        assert meta["labels"] == {k: bool(v[r]) for k, v in b.labels.items()}
        assert meta["theta"] == [float(x) for x in b.theta[r]] and meta["log_weight"] == 0.0


def test_our_av2_reader_reads_it_back(av2_out, mc_run):
    b = first_batch(mc_run, LIMIT)
    for r, f in enumerate(scenario_files(av2_out)[:6]):
        sc = Av2Reader.read(f, clean=False)
        ids = [str(x) for x in np.asarray(sc.track_ids).reshape(-1)]
        assert ids[0] == "AV" and sc.lanes  # the ego first, and the lane map beside the parquet file
        for k, tid in enumerate(ids):
            i = 0 if tid == "AV" else b.agent_names.index(tid)
            m = b.mask[r, i]
            assert sc.mask[0, k, : m.sum()].all()
            np.testing.assert_allclose(sc.trajectories[0, k, : m.sum(), :2], b.trajectories[r, i, m, :2], atol=1e-3)


def test_map_json_lanes_and_topology(av2_out, brake_spec):
    f = next(av2_out.glob("*/log_map_archive_*.json"))
    m = json.loads(f.read_text())
    assert set(m) == {"drivable_areas", "lane_segments", "pedestrian_crossings"}
    segs = m["lane_segments"]
    assert len(segs) == brake_spec.road.lanes
    for key, s in segs.items():
        assert s["id"] == int(key) and s["lane_type"] == "VEHICLE" and s["is_intersection"] is False
        left = np.array([[p["x"], p["y"]] for p in s["left_lane_boundary"]])
        right = np.array([[p["x"], p["y"]] for p in s["right_lane_boundary"]])
        np.testing.assert_allclose(np.hypot(*(left - right).T), brake_spec.road.lane_width, atol=1e-3)
    assert segs["1"]["left_neighbor_id"] == 2 and segs["2"]["right_neighbor_id"] == 1
    assert segs["1"]["right_lane_mark_type"] == "SOLID_WHITE" and segs["1"]["left_lane_mark_type"] == "DASHED_WHITE"
    (area,) = m["drivable_areas"].values()  # the two lanes touch: one drivable area
    assert len(area["area_boundary"]) >= 4


def test_intersection_map_marks_junction_connectors():
    text = (ROOT / "scenarios" / "unprotected_left_turn.yaml").read_text()
    segs = av2_map(text)["lane_segments"]
    for s in segs.values():
        for n in s["successors"]:
            assert s["id"] in segs[str(n)]["predecessors"]
    junction = [s for s in segs.values() if s["is_intersection"]]
    assert junction and all(s["left_lane_mark_type"] == "NONE" for s in junction)
    assert all(len(s["successors"]) == 1 for s in junction)


def test_resampling_a_coarser_recording_to_10hz(mc_run):
    b = first_batch(mc_run, 3)
    x, y, _, _, valid = resample_10hz(b, 0.2)  # pretend frames were recorded every 0.2 s
    T = b.trajectories.shape[2]
    assert x.shape[2] == 2 * (T - 1) + 1
    tr = b.trajectories.astype(np.float64)
    np.testing.assert_allclose(x[..., ::2], tr[..., 0])
    np.testing.assert_allclose(y[..., 1::2], 0.5 * (tr[..., :-1, 1] + tr[..., 1:, 1]))
    assert np.array_equal(valid[..., ::2], b.mask)


# ---- bad input: exit 2, a clear message, nothing left behind ----------------------------------------------------
def export_cli(capsys, *args):
    code = main(["export", *args, "-q"])
    return code, capsys.readouterr().err


def test_missing_pyarrow_names_the_extra(mc_run, tmp_path, capsys, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pyarrow" else real(name, *a))
    code, err = export_cli(capsys, str(mc_run), "--format", "av2", "--out", str(tmp_path / "o"))
    assert code == EXIT_USER_ERROR and "pyarrow" in err and "scenariogen[parquet]" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_unwritable_output_path(mc_run, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, err = export_cli(capsys, str(mc_run), "--format", "av2", "--out", str(blocker / "out"), "--limit", "2")
    assert code == EXIT_USER_ERROR and "cannot write here" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_incomplete_run(mc_run, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(mc_run, run)
    man = read_manifest(run).to_dict()
    man["complete"] = False
    (run / "manifest.json").write_text(json.dumps(man))
    code, err = export_cli(capsys, str(run), "--format", "av2", "--out", str(tmp_path / "o"))
    assert code == EXIT_USER_ERROR and "incomplete" in err
    assert not (tmp_path / "o").exists()


def test_failure_midway_leaves_nothing(mc_run, tmp_path, capsys, monkeypatch):
    calls = []

    def failing(table, where, *a, **k):
        calls.append(where)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real(table, where, *a, **k)

    real = pq.write_table
    monkeypatch.setattr(pq, "write_table", failing)
    code, err = export_cli(capsys, str(mc_run), "--format", "av2", "--out", str(tmp_path / "o"), "--limit", "5")
    assert code == EXIT_USER_ERROR and "No space left" in err
    assert list(tmp_path.iterdir()) == []


def test_same_run_exports_identical_files(mc_run, tmp_path):
    from scenariogen.export import export

    a, b = (export(mc_run, "av2", tmp_path / name, limit=2).path for name in ("a", "b"))
    files = sorted(str(p.relative_to(a)) for p in a.rglob("*") if p.is_file())
    assert len(files) == 4 and files == sorted(str(p.relative_to(b)) for p in b.rglob("*") if p.is_file())
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)
