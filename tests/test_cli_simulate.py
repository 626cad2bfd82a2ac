"""``scenariogen simulate``: output file, printed summary, exit codes, no tracebacks for user mistakes."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from scenariogen.cli import EXIT_OK, EXIT_USER_ERROR, main
from scenariogen.data.npz import load_npz

ROOT = Path(__file__).resolve().parents[1]
CUT_IN = ROOT / "scenarios" / "highway_cut_in.yaml"


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scenariogen.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def leftovers(d: Path) -> list[Path]:
    return [p for p in d.rglob("*") if p.name.endswith(".tmp")]


# ------------------------------------------------------------------ real process


def test_simulate_writes_loadable_file_and_prints_event_table(tmp_path):
    out = tmp_path / "tmp" / "x.npz"  # the folder does not exist yet
    r = run_cli("simulate", str(CUT_IN), "-n", "50", "--seed", "1", "--out", str(out), "-q")
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    assert out.is_file() and not leftovers(tmp_path)
    b = load_npz(out)
    assert b.size == 50 and b.provenance["seed"] == 1 and b.provenance["spec_name"] == "highway_cut_in"
    assert b.trajectories.shape[:3] == (50, len(b.agent_names), 80)
    np.testing.assert_array_equal(b.indices, np.arange(50))
    lines = r.stdout.splitlines()
    assert lines[0].startswith(f"highway_cut_in: 50 scenarios, {len(b.agent_names)} agent slots, 80 steps of 0.1 s")
    # one line per event: name, count, rate; the target is marked
    for name in ("near_miss", "collision", "hard_braking"):
        row = [ln for ln in lines if ln.split()[:1] == [name]]
        assert len(row) == 1, r.stdout
        m = re.match(rf"\s+{name}\s+(\d+) events\s+rate (\d\.\d{{4}})(  \(target\))?$", row[0])
        assert m, row[0]
        assert int(m.group(1)) == int(b.labels[name].sum())
        assert float(m.group(2)) == pytest.approx(b.labels[name].mean(), abs=5e-5)
        assert bool(m.group(3)) == (name == "near_miss")
    assert any("metric quantiles" in ln for ln in lines)
    for name in ("min_ttc", "min_distance", "tet", "max_drac", "min_thw", "ego_max_decel"):
        assert any(ln.split()[:1] == [name] for ln in lines), name


@pytest.mark.parametrize("args,message", [
    (["-n", "0"], "-n must be a positive number"),
    (["--out", "x.txt"], "must end in .npz"),
    (["--out", "afile/x.npz"], "is not a directory"),
    (["--out", "adir.npz"], "is a directory"),
    (["-n", "100000000"], "more than the memory budget"),
])
def test_simulate_user_errors_exit_2_without_traceback(tmp_path, args, message):
    (tmp_path / "afile").write_text("")
    (tmp_path / "adir.npz").mkdir()
    before = sorted(tmp_path.rglob("*"))
    argv = ["simulate", str(CUT_IN), "-n", "5", "-q", "--out", str(tmp_path / "y.npz")] + args
    r = subprocess.run([sys.executable, "-m", "scenariogen.cli", *argv], cwd=tmp_path, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 2
    assert message in r.stderr
    assert r.stderr.startswith("error: ")
    assert "Traceback" not in r.stderr and "Traceback" not in r.stdout
    assert sorted(tmp_path.rglob("*")) == before  # nothing written


# ------------------------------------------------------------------ in process (same code path, faster)


@pytest.mark.parametrize("extra,message", [
    (["-n", "-4"], "-n must be a positive number"),
    (["--chunk", "0"], "--chunk must be a positive"),
    (["--chunk", "-3"], "--chunk must be a positive"),
    (["--every", "0"], "record_every must be a positive"),
    (["--every", "81"], "runs 80 steps, so only its first frame would be kept; give at most 80"),
    (["--seed", "-1"], "seed must be an integer"),
    (["--seed", str(2**64)], "seed must be an integer"),
])
def test_simulate_bad_options_exit_2(tmp_path, capsys, extra, message):
    code = main(["simulate", str(CUT_IN), "-n", "5", "-q", "--out", str(tmp_path / "y.npz"), *extra])
    err = capsys.readouterr().err
    assert code == EXIT_USER_ERROR
    assert message in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_simulate_missing_or_invalid_scenario_exits_2(tmp_path, capsys):
    assert main(["simulate", str(tmp_path / "nope.yaml"), "-n", "5", "--out", str(tmp_path / "y.npz")]) == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text("scenariogen: 1\nname: bad\nroad: {type: straight}\nactors: {}\n")
    assert main(["simulate", str(bad), "-n", "5", "--out", str(tmp_path / "y.npz")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "bad.yaml:" in err
    assert not (tmp_path / "y.npz").exists()


def test_simulate_output_folder_not_writable_exits_2(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    code = main(["simulate", str(CUT_IN), "-n", "3", "-q", "--out", str(blocker / "x.npz")])
    assert code == EXIT_USER_ERROR
    assert "cannot write" in capsys.readouterr().err
    assert not leftovers(tmp_path)


def test_simulate_metrics_only_every_and_overwrite(tmp_path, capsys):
    out = tmp_path / "m.npz"
    assert main(["simulate", str(CUT_IN), "-n", "7", "--seed", "2", "-q", "--metrics-only", "--out", str(out)]) == EXIT_OK
    b = load_npz(out)
    assert b.trajectories.shape[2] == 0 and b.size == 7
    # the same file again, now with every 4th frame: replaced atomically
    assert main(["simulate", str(CUT_IN), "-n", "7", "--seed", "2", "-q", "--every", "4", "--chunk", "3",
                 "--out", str(out)]) == EXIT_OK
    b2 = load_npz(out)
    assert b2.trajectories.shape[2] == 20 and b2.provenance["frame_step"] == 4
    for k in b.metrics:
        np.testing.assert_array_equal(b.metrics[k], b2.metrics[k])
    assert not leftovers(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]
    capsys.readouterr()


def test_first_use_says_the_kernels_compile(tmp_path):
    """With an empty Numba cache the commands that simulate say on stderr that they compile first."""
    import os

    code = ("import scenariogen.api as a, scenariogen.cli as c; print(a.kernels_ready()); "
            "c._compile_note(False); c._compile_note(True)")
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path), PYTHONPATH=str(ROOT))
    env.pop("NUMBA_DISABLE_JIT", None)
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False"
    assert r.stderr.count("compiling the simulation kernels") == 1  # once: not when quiet
