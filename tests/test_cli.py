"""The command line: exit codes, where messages go, and no tracebacks for user mistakes.

A few tests run the real process (``python -m scenariogen.cli``); the rest call
``main(argv)`` in-process, which is the same code path and much faster.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from scenariogen.cli import EXIT_OK, EXIT_USER_ERROR, main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "scenarios").glob("*.yaml"))
BROKEN = ROOT / "tests" / "dsl" / "broken"
# file:line:col: path: message
LOCATED = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (?:(?P<path>[^\s:]+): )?(?P<msg>.+)$")


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "scenariogen.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


# ------------------------------------------------------------------ real process


def test_validate_all_examples_exits_0():
    r = run_cli("validate", *map(str, EXAMPLES))
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    lines = r.stdout.splitlines()
    assert len(lines) == len(EXAMPLES)
    for path, line in zip(EXAMPLES, lines):
        assert line.startswith(f"{path}: ok ({path.stem}, ")


def test_validate_broken_file_exits_2_with_located_message():
    path = BROKEN / "41_many_problems.yaml"
    r = run_cli("validate", str(path))
    assert r.returncode == 2
    assert r.stdout == ""
    assert "Traceback" not in r.stderr
    located = [m for m in map(LOCATED.match, r.stderr.splitlines()) if m]
    assert [(m["file"], int(m["line"]), int(m["col"])) for m in located][:2] == [(str(path), 4, 11), (str(path), 9, 11)]
    first = located[0]
    assert first["path"] == "duration"
    assert first["msg"].startswith("dt = 0.3 s does not divide duration = 10 s")
    assert len(located) == 7
    assert r.stderr.rstrip().endswith(f"{path}: 7 problems")


def test_show_prints_parameter_space():
    path = ROOT / "tests" / "dsl" / "valid" / "highway_cut_in.yaml"  # frozen copy with a pinned space
    r = run_cli("show", str(path))
    assert r.returncode == 0, r.stderr
    assert "parameter space: 8 dimension(s)" in r.stdout
    assert re.search(r"^  actors\.ego\.speed +uniform\[25, 33\] +bounds \[25, 33\]$", r.stdout, re.M)
    assert re.search(r"^  traffic\[0\]\.count +poisson\(6\) capped at 16 +bounds \[0, 16\]  \(integer\)$", r.stdout, re.M)


def test_missing_file_exits_2_with_clear_message(tmp_path):
    missing = tmp_path / "no_such.yaml"
    r = run_cli("validate", str(missing))
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert f"{missing}:1:1: cannot read file: No such file or directory" in r.stderr


def test_no_command_exits_2():
    r = run_cli()
    assert r.returncode == 2
    assert "usage: scenariogen" in r.stdout + r.stderr
    assert "Traceback" not in r.stderr


def test_unsafe_tag_file_is_rejected_without_running_it(tmp_path):
    marker = tmp_path / "pwned"
    bad = tmp_path / "evil.yaml"
    bad.write_text(f'scenariogen: 1\nname: !!python/object/apply:os.system ["touch {marker}"]\n', encoding="utf-8")
    r = run_cli("validate", str(bad))
    assert r.returncode == 2
    assert f"{bad}:2:7: name: YAML tag '!!python/object/apply:os.system' is not allowed" in r.stderr
    assert not marker.exists()


# ------------------------------------------------------------------ in-process


@pytest.mark.parametrize("path", sorted(BROKEN.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_broken_file_exits_2_without_traceback(path, capsys):
    assert main(["validate", str(path)]) == EXIT_USER_ERROR
    out, err = capsys.readouterr()
    assert out == ""
    assert "Traceback" not in err
    first = err.splitlines()[0]
    m = LOCATED.match(first)
    assert m and m["file"] == str(path), first
    assert int(m["line"]) >= 1 and int(m["col"]) >= 1


def test_validate_reports_every_file_and_fails_if_any_is_bad(capsys):
    good, bad = EXAMPLES[0], BROKEN / "09_unknown_lane.yaml"
    assert main(["validate", str(good), str(bad), str(good)]) == EXIT_USER_ERROR
    out, err = capsys.readouterr()
    assert out.count(": ok (") == 2
    assert f"{bad}:7:11: actors.ego.lane: unknown lane '2' (lanes: 0, 1)" in err
    assert err.rstrip().endswith(f"{bad}: 1 problem")


def test_validate_quiet_prints_nothing_for_good_files(capsys):
    assert main(["validate", "-q", *map(str, EXAMPLES)]) == EXIT_OK
    assert capsys.readouterr() == ("", "")


def test_error_shows_source_line_and_caret(capsys):
    path = BROKEN / "14_inverted_uniform.yaml"
    assert main(["validate", str(path)]) == EXIT_USER_ERROR
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"{path}:9:22: actors.ego.speed.uniform: inverted bounds: low 30 is greater than high 20"
    assert err[1] == "        speed: {uniform: [30, 20]}"
    assert err[2] == "    " + " " * 21 + "^"


def test_show_invalid_file_exits_2(capsys):
    path = BROKEN / "23_unknown_road_type.yaml"
    assert main(["show", str(path)]) == EXIT_USER_ERROR
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"{path}:3:14: road.type: unknown road type 'streight'")


def test_show_several_files(capsys):
    assert main(["show", *map(str, EXAMPLES[:2])]) == EXIT_OK
    out = capsys.readouterr().out
    assert out.count("parameter space:") == 2


def test_non_utf8_file(tmp_path, capsys):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"scenariogen: 1\nname: caf\xe9\n")
    assert main(["validate", str(path)]) == EXIT_USER_ERROR
    assert f"{path}:2:10: file is not UTF-8 text" in capsys.readouterr().err


def test_directory_instead_of_file(tmp_path, capsys):
    assert main(["validate", str(tmp_path)]) == EXIT_USER_ERROR
    assert f"{tmp_path}:1:1: cannot read file" in capsys.readouterr().err


def test_unknown_command_exits_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_validate_needs_a_file(capsys):
    with pytest.raises(SystemExit) as info:
        main(["validate"])
    assert info.value.code == 2
