"""Damaged run directories and files, a full disk, out-of-range seeds, output permissions: a clear
error (exit 2, no traceback) or the expected result, never a crash half-way."""

from __future__ import annotations

import errno
import json
import os
import pathlib
import shutil
import stat
from pathlib import Path

import pytest

from scenariogen import cli
from scenariogen.errors import ScenarioGenError
from scenariogen.data.run import read_manifest
from scenariogen.runs import GenerateSettings, generate
from scenariogen.data.npz import load_npz

ROOT = Path(__file__).resolve().parents[2]
BRAKE = ROOT / "scenarios" / "leader_hard_brake.yaml"
REAL = ROOT.parent / "shared" / "data" / "real" / "ngsim-commonroad"
SETTINGS = GenerateSettings(sampler="mc", target="near_miss", seed=3, budget=600, shard_size=300)


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "brake"
    import scenariogen

    generate(scenariogen.load_scenario(BRAKE), out, SETTINGS, progress=False)
    return out


def _copy(run: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "copy"
    shutil.copytree(run, dst)
    return dst


def _fails(capsys, argv, message) -> str:
    assert cli.main([str(a) for a in argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err, err
    return err


@pytest.mark.parametrize("damage, message", [
    (lambda m: [], "not a scenariogen run manifest"),
    (lambda m: {k: v for k, v in m.items() if k != "shards"}, "'shards' should be a JSON array, but it is missing"),
    (lambda m: dict(m, shards="x"), "'shards' should be a JSON array"),
    (lambda m: dict(m, shards=[dict(m["shards"][0], size="300")]), "shards[0].size is missing or not an integer"),
    (lambda m: dict(m, shards=[dict(m["shards"][0], file="../../etc/passwd")]), "points outside the run directory"),
])
@pytest.mark.parametrize("command", ["export", "render", "coverage", "resume"])
def test_a_damaged_manifest_is_reported_by_every_reader(run, tmp_path, capsys, damage, message, command):
    bad = _copy(run, tmp_path)
    m = json.loads((bad / "manifest.json").read_text())
    (bad / "manifest.json").write_text(json.dumps(damage(m)))
    argv = {"export": ["export", bad, "--format", "jsonl", "--out", tmp_path / "x.jsonl"],
            "render": ["render", bad, "--out", tmp_path / "x.png"],
            "coverage": ["coverage", bad, "--real", REAL, "--window", 3, "--out", tmp_path / "cov"],
            "resume": ["generate", BRAKE, "--out", bad, "--budget", 600, "--shard-size", 300, "--seed", 3,
                       "--target", "near_miss", "--sampler", "mc", "--resume", "-q"]}[command]
    _fails(capsys, argv, message)
    assert not (tmp_path / "x.jsonl").exists() and not (tmp_path / "x.png").exists()
    assert not (tmp_path / "cov").exists()


@pytest.mark.parametrize("how", ["delete", "truncate"])
def test_resume_refuses_a_run_with_a_missing_or_damaged_shard(run, tmp_path, capsys, how):
    bad = _copy(run, tmp_path)
    shard = bad / read_manifest(bad).shards[1].file
    if how == "delete":
        shard.unlink()
    else:
        shard.write_bytes(shard.read_bytes()[:2000])
    before = sorted(p.name for p in (bad / "shards").iterdir())
    _fails(capsys, ["generate", BRAKE, "--out", bad, "--budget", 600, "--shard-size", 300, "--seed", 3,
                    "--target", "near_miss", "--sampler", "mc", "--resume", "-q"], "shard(s) listed in the manifest")
    assert sorted(p.name for p in (bad / "shards").iterdir()) == before


def test_coverage_refuses_damaged_shards_and_incomplete_runs(run, tmp_path, capsys):
    bad = _copy(run, tmp_path)
    shard = bad / read_manifest(bad).shards[0].file
    shard.write_bytes(shard.read_bytes()[:2000])
    argv = ["coverage", bad, "--real", REAL, "--window", 3, "--out", tmp_path / "cov"]
    _fails(capsys, argv, "content differs from its SHA-256")
    part = _copy(run, tmp_path / "p")
    m = read_manifest(part).to_dict()
    (part / "manifest.json").write_text(json.dumps(dict(m, complete=False)))
    _fails(capsys, ["coverage", part, *argv[2:]], "the run is incomplete")
    assert not (tmp_path / "cov").exists()


def test_a_truncated_or_foreign_npz_is_a_clear_error(run, tmp_path):
    shard = run / read_manifest(run).shards[0].file
    (tmp_path / "cut.npz").write_bytes(shard.read_bytes()[:5000])
    (tmp_path / "text.npz").write_text("not an archive\n")
    for name in ("cut.npz", "text.npz"):
        with pytest.raises(ScenarioGenError, match="not a readable scenariogen .npz batch"):
            load_npz(tmp_path / name)


def test_coverage_checks_its_output_before_the_work(run, tmp_path, capsys):
    (tmp_path / "afile").write_text("")
    _fails(capsys, ["coverage", run, "--real", REAL, "--window", 3, "--out", tmp_path / "afile" / "cov"],
           "is not a directory")


@pytest.mark.parametrize("argv", [
    ["estimate", BRAKE, "--event", "collision", "--budget", 1000, "--seed", -1],
    ["estimate", BRAKE, "--event", "collision", "--budget", 1000, "--seed", 2**64],
    ["simulate", BRAKE, "-n", 5, "--out", "{tmp}/y.npz", "--seed", 2**63],
])
def test_out_of_range_seeds_exit_2(tmp_path, capsys, argv):
    _fails(capsys, [str(a).format(tmp=tmp_path) for a in argv], "--seed must be an integer in [0, 2^63)")


TINY = """scenariogen: 1
name: tiny
seed: {seed}
road: {{type: straight, lanes: 1, length: 300}}
actors:
  ego: {{kind: car, lane: 0, s: 10, speed: 20}}
"""


def test_a_scenario_seed_is_exact_and_in_range(tmp_path, capsys):
    import scenariogen

    assert scenariogen.parse_text(TINY.format(seed=2**53 + 1)).seed == 2**53 + 1  # a float would drop the 1
    bad = tmp_path / "bad.yaml"
    bad.write_text(TINY.format(seed=2**64 - 1))
    _fails(capsys, ["validate", bad], "bad.yaml:3:7: seed: value 18446744073709551615 is out of range")


def test_a_full_disk_is_a_clear_error_and_leaves_no_temporary_file(tmp_path, capsys, monkeypatch):
    real_write = pathlib.Path.write_bytes

    def full(self, data):
        if self.name.startswith(".shard-"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
        return real_write(self, data)

    monkeypatch.setattr(pathlib.Path, "write_bytes", full)
    out = tmp_path / "run"
    err = _fails(capsys, ["generate", BRAKE, "--out", out, "--budget", 600, "--shard-size", 300, "-q"],
                 "No space left on device")
    assert str(out) in err
    assert [p.name for p in (out / "shards").iterdir()] == []  # the temporary shard was removed


def test_outputs_get_the_permissions_of_plain_files(run, tmp_path):
    old = os.umask(0o022)
    try:
        out = tmp_path / "r"
        import scenariogen

        generate(scenariogen.load_scenario(BRAKE), out, SETTINGS, progress=False)
    finally:
        os.umask(old)
    for path in [out / "manifest.json", *(out / "shards").iterdir()]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path


@pytest.mark.parametrize("argv", [
    ["export", "{run}", "--format", "jsonl", "--out", "{tmp}/afile/x.jsonl"],
    ["export", "{run}", "--format", "npz", "--out", "{tmp}/afile/x"],
    ["render", "{run}", "--out", "{tmp}/afile/x.png"],
])
def test_an_output_under_a_file_names_the_file(run, tmp_path, capsys, argv):
    (tmp_path / "afile").write_text("")
    _fails(capsys, [a.format(run=run, tmp=tmp_path) for a in argv], f"{tmp_path / 'afile'} is not a directory")


def test_export_of_a_file_says_it_is_a_file(run, tmp_path, capsys):
    shard = run / read_manifest(run).shards[0].file
    _fails(capsys, ["export", shard, "--format", "jsonl", "--out", tmp_path / "x.jsonl"],
           "not a run directory (a file: export reads the run directories")


def test_splitting_stage_size_is_named_as_given(capsys):
    _fails(capsys, ["estimate", BRAKE, "--event", "collision", "--budget", 1000, "--sampler", "splitting",
                    "--stage-size", 1, "-q"], "--stage-size is splitting's number of particles and must be at least 2")
