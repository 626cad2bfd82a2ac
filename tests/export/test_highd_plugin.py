"""The out-of-tree highD plugin: installed like any third-party plugin, listed, and writing correct CSVs.

The session fixture installs ``plugins/scenariogen-highd`` in editable mode
(``pip install --no-deps -e``), so this works from a fresh checkout; the
plugin is then used through real ``scenariogen`` processes, exactly as a user would.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest

from scenariogen.data.run import open_run

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "plugins" / "scenariogen-highd"


def _installed_from_this_checkout() -> bool:
    try:
        url = metadata.distribution("scenariogen-highd").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return False
    return bool(url) and json.loads(url).get("url", "").rstrip("/") == PLUGIN.as_uri()


@pytest.fixture(scope="session")
def highd_installed() -> None:
    if _installed_from_this_checkout():
        return
    cmd = [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "-e", str(PLUGIN)]
    if importlib.util.find_spec("setuptools") and importlib.util.find_spec("wheel"):
        cmd.insert(-2, "--no-build-isolation")  # offline when the build tools are here already
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"installing the highD plugin failed:\n{r.stdout}\n{r.stderr}"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scenariogen.cli", *args], capture_output=True, text=True,
                          timeout=300)


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_formats_lists_the_plugin(highd_installed):
    r = cli("formats")
    assert r.returncode == 0, r.stderr
    line = next(x for x in r.stdout.splitlines() if x.strip().startswith("highd"))
    assert "scenariogen-highd 0.1.0" in line and line.endswith("ok")


@pytest.fixture(scope="module")
def highd_export(highd_installed, mc_run, tmp_path_factory):
    out = tmp_path_factory.mktemp("highd") / "hd"
    r = cli("export", str(mc_run), "--format", "highd", "--out", str(out), "--limit", "12")
    assert r.returncode == 0, r.stderr
    return out, r.stdout


def test_writes_three_csvs_per_scenario(highd_export):
    out, stdout = highd_export
    names = sorted(p.name for p in out.iterdir())
    assert len(names) == 3 * 12 + 1 and "recordings.csv" in names
    assert {"01_tracks.csv", "01_tracksMeta.csv", "01_recordingMeta.csv", "12_tracks.csv"} <= set(names)
    assert "highd: 12 scenarios" in stdout and "dropped" in stdout and "headings" in stdout


def test_positions_and_frames_match_the_run(highd_export, mc_run):
    out, _ = highd_export
    ref = open_run(mc_run).batch()
    recs = read_csv(out / "recordings.csv")
    assert [int(r["scenarioIndex"]) for r in recs] == list(range(12))
    for rec in recs[:4]:
        k = int(rec["scenarioIndex"])
        prefix = out / f"{int(rec['id']):02d}"
        rows = read_csv(Path(f"{prefix}_tracks.csv"))
        traj, mask = ref.trajectories[k], ref.mask[k]
        assert len(rows) == int(mask.sum())
        for row in rows:
            i, t = int(row["id"]) - 1, int(row["frame"]) - 1
            assert mask[i, t]
            cx = float(row["x"]) + float(row["width"]) / 2
            cy = float(row["y"]) + float(row["height"]) / 2
            assert abs(cx - traj[i, t, 0]) < 2e-3 and abs(cy - traj[i, t, 1]) < 2e-3
            assert float(row["width"]) == pytest.approx(ref.sizes[k, i, 0], abs=1e-3)
            assert int(row["laneId"]) == int(traj[i, t, 5]) + 1
            assert np.hypot(float(row["xVelocity"]), float(row["yVelocity"])) == pytest.approx(traj[i, t, 3], abs=2e-3)
        meta = read_csv(Path(f"{prefix}_tracksMeta.csv"))
        assert [int(m["numFrames"]) for m in meta] == [int(n) for n in mask.sum(axis=1) if n > 0]
        assert meta[0]["class"] == "Car" and meta[0]["id"] == "1"
        (recording,) = read_csv(Path(f"{prefix}_recordingMeta.csv"))
        assert float(recording["frameRate"]) == 10 and int(recording["numVehicles"]) == len(meta)
        assert recording["lowerLaneMarkings"] == "-1.8;1.8;5.4"  # two 3.6 m lanes centred on y = 0 and 3.6


def test_neighbours_on_a_hand_made_frame(monkeypatch):
    monkeypatch.syspath_prepend(str(PLUGIN))
    from scenariogen_highd.tracks import track_columns

    # one frame, lanes 0 (right) and 1 (left); agents: 0 at x=0 lane 0, 1 at x=30 lane 0 (ahead),
    # 2 at x=-25 lane 0 (behind), 3 at x=2 lane 1 (alongside on the left), 4 at x=40 lane 1 (left, ahead)
    xs = [0.0, 30.0, -25.0, 2.0, 40.0]
    lanes = [0, 0, 0, 1, 1]
    speeds = [20.0, 15.0, 20.0, 20.0, 20.0]
    traj = np.zeros((5, 1, 8), np.float32)
    traj[:, 0, 0] = xs
    traj[:, 0, 1] = [0 if ln == 0 else 3.5 for ln in lanes]
    traj[:, 0, 3] = speeds
    traj[:, 0, 5] = lanes
    traj[:, 0, 6] = np.array(xs) + 100
    sizes = np.array([[5.0, 2.0]] * 5, np.float32)
    cols = track_columns(traj, np.ones((5, 1), bool), sizes, left=np.array([1, -1]), right=np.array([-1, 0]),
                         lane_length=np.array([300.0, 300.0]))
    ego = {k: v[0, 0] for k, v in cols.items()}
    assert ego["precedingId"] == 2 and ego["followingId"] == 3
    assert ego["leftAlongsideId"] == 4 and ego["leftPrecedingId"] == 5 and ego["leftFollowingId"] == 0
    assert ego["rightPrecedingId"] == ego["rightAlongsideId"] == ego["rightFollowingId"] == 0
    assert ego["dhw"] == pytest.approx(25.0) and ego["thw"] == pytest.approx(25.0 / 20.0)
    assert ego["ttc"] == pytest.approx(25.0 / 5.0) and ego["precedingXVelocity"] == pytest.approx(15.0)
    assert ego["frontSightDistance"] == pytest.approx(200.0) and ego["laneId"] == 1
    left = {k: v[0, 3] for k, v in cols.items()}
    assert left["rightAlongsideId"] == 1 and left["precedingId"] == 5 and left["laneId"] == 2
