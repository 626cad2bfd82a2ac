"""``scenariogen export``: exit codes, clear messages, and nothing partial left behind."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import scenariogen
from scenariogen.cli import EXIT_OK, EXIT_USER_ERROR, main
from scenariogen.export import export
from scenariogen.export.jsonl import read_jsonl
from scenariogen.data.run import read_manifest
from scenariogen.errors import ScenarioGenError


def leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def export_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["export", *args, "-q"])
    cap = capsys.readouterr()
    return code, cap.out, cap.err


@pytest.fixture
def run_copy(mc_run, tmp_path) -> Path:
    dst = tmp_path / "run"
    shutil.copytree(mc_run, dst)
    return dst


@pytest.mark.parametrize("fmt,name", [("jsonl", "out.jsonl"), ("npz", "out_npz")])
def test_export_prints_what_it_wrote(mc_run, tmp_path, capsys, fmt, name):
    code, out, err = export_cli(capsys, str(mc_run), "--format", fmt, "--out", str(tmp_path / name),
                                "--limit", "100")
    assert code == EXIT_OK, err
    assert f"{fmt}: 100 scenarios -> " in out
    assert (tmp_path / name).exists() and not leftovers(tmp_path)


def test_real_process_and_progress_calls(mc_run, tmp_path):
    out = tmp_path / "p.jsonl"
    r = subprocess.run([sys.executable, "-m", "scenariogen.cli", "export", str(mc_run), "--format", "jsonl",
                        "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert read_jsonl(out)[0].size == 240
    calls = []
    export(mc_run, "npz", tmp_path / "n", progress=lambda n, total: calls.append((n, total)))
    assert calls[0] == (0, 240) and sum(n for n, _ in calls) == 240 and len(calls) == 4  # start + one per shard


def test_unknown_format_lists_the_valid_ones(mc_run, tmp_path, capsys):
    code, _, err = export_cli(capsys, str(mc_run), "--format", "parquet", "--out", str(tmp_path / "x"))
    assert code == EXIT_USER_ERROR
    assert "unknown writer 'parquet'" in err and "jsonl" in err and "npz" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt,name", [("jsonl", "out.jsonl"), ("npz", "out")])
def test_unwritable_output_path(mc_run, tmp_path, capsys, fmt, name):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    code, _, err = export_cli(capsys, str(mc_run), "--format", fmt, "--out", str(blocker / "sub" / name))
    assert code == EXIT_USER_ERROR and "cannot write here" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]


def test_bad_output_names(mc_run, tmp_path, capsys):
    code, _, err = export_cli(capsys, str(mc_run), "--format", "jsonl", "--out", str(tmp_path / "x.csv"))
    assert code == EXIT_USER_ERROR and "must end in .jsonl or .jsonl.gz" in err
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("mine")
    code, _, err = export_cli(capsys, str(mc_run), "--format", "npz", "--out", str(full))
    assert code == EXIT_USER_ERROR and "already exists" in err
    assert [p.name for p in full.iterdir()] == ["keep.txt"]
    code, _, err = export_cli(capsys, str(mc_run), "--format", "jsonl", "--out", str(tmp_path / "y.jsonl"),
                              "--limit", "0")
    assert code == EXIT_USER_ERROR and "--limit" in err


def test_not_a_run_directory(tmp_path, capsys):
    code, _, err = export_cli(capsys, str(tmp_path), "--format", "jsonl", "--out", str(tmp_path / "o.jsonl"))
    assert code == EXIT_USER_ERROR and "not a run directory" in err
    code, _, err = export_cli(capsys, str(tmp_path / "nope"), "--format", "jsonl", "--out", str(tmp_path / "o.jsonl"))
    assert code == EXIT_USER_ERROR and "no such directory" in err
    assert not (tmp_path / "o.jsonl").exists()


def test_incomplete_run(run_copy, tmp_path, capsys):
    m = read_manifest(run_copy).to_dict()
    m["complete"] = False
    (run_copy / "manifest.json").write_text(json.dumps(m))
    code, _, err = export_cli(capsys, str(run_copy), "--format", "jsonl", "--out", str(tmp_path / "o.jsonl"))
    assert code == EXIT_USER_ERROR and "incomplete" in err and "--resume" in err
    assert not (tmp_path / "o.jsonl").exists() and not leftovers(tmp_path)


def test_missing_shard(run_copy, tmp_path, capsys):
    (run_copy / "shards" / "shard-000001.npz").unlink()
    code, _, err = export_cli(capsys, str(run_copy), "--format", "npz", "--out", str(tmp_path / "o"))
    assert code == EXIT_USER_ERROR and "missing" in err and "shard-000001.npz" in err
    assert not (tmp_path / "o").exists() and not leftovers(tmp_path)


@pytest.mark.parametrize("fmt,name", [("jsonl", "o.jsonl"), ("npz", "o")])
def test_corrupt_last_shard_leaves_nothing(run_copy, tmp_path, capsys, fmt, name):
    """The first shards are exported before the damage is found: the partial output is removed."""
    last = run_copy / read_manifest(run_copy).shards[-1].file
    data = bytearray(last.read_bytes())
    data[len(data) // 2] ^= 0xFF
    last.write_bytes(bytes(data))
    outdir = tmp_path / "exports"
    code, _, err = export_cli(capsys, str(run_copy), "--format", fmt, "--out", str(outdir / name))
    assert code == EXIT_USER_ERROR and "corrupt" in err and "SHA-256" in err
    assert not outdir.exists()  # not even the folder the export created for its output


@pytest.mark.parametrize("fmt,least", [("av2", 1), ("commonroad", 2), ("openscenario", 2)])
def test_too_few_frames_is_named(brake_spec, tmp_path, fmt, least):
    """A source without enough recorded frames (it kept metrics only) fails with what the format needs."""
    b = scenariogen.simulate(brake_spec, n=2, seed=1)
    short = dataclasses.replace(b, trajectories=b.trajectories[:, :, :least - 1], mask=b.mask[:, :, :least - 1])
    frames = "1 frame" if least == 1 else f"{least} frames"
    with pytest.raises(ScenarioGenError, match=rf"{fmt} needs recorded trajectories \(at least {frames}\); "
                                               rf"this source has {least - 1}"):
        export(short, fmt, tmp_path / "o")
    assert not (tmp_path / "o").exists() and not leftovers(tmp_path)
