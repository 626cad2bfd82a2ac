"""The shipped seeded families through the CLI: validate, show, simulate, generate; their seeds come
from the calibration recordings only; a seeded family's errors exit 2 and write nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from seeded_family import seeded_yaml

from scenariogen.cli import EXIT_OK, EXIT_USER_ERROR, main
from scenariogen.data.npz import load_npz
from scenariogen.dsl import load_scenario

ROOT = Path(__file__).resolve().parents[1]
CALIBRATED = ROOT / "scenarios" / "calibrated"
SEEDED = ("highway_cut_in_us101_seeded", "leader_hard_brake_us101_seeded")
TUNED = {f"USA_US101-{n}_1_T-1.xml" for n in (1, 2, 6, 7, 8, 10, 11, 12, 13, 14)}  # benchmarks/calibration_proof.py


@pytest.mark.parametrize("name", SEEDED)
def test_seeded_from_the_calibration_recordings_only(name):
    spec = load_scenario(CALIBRATED / f"{name}.yaml")
    assert set(spec.seed_from.logs) <= TUNED and len(spec.seed_from.logs) == 9
    # an exported seeded run is tagged by its real map (US-101's lanes side by side), not the default road
    from scenariogen.export.commonroad import _road_tags

    assert "multi_lane" in _road_tags(spec)


def test_cut_in_seeded_validate_show_simulate_generate(tmp_path, capsys):
    path = str(CALIBRATED / "highway_cut_in_us101_seeded.yaml")
    assert main(["validate", path]) == EXIT_OK
    assert main(["show", path]) == EXIT_OK
    shown = capsys.readouterr().out
    assert "seeded from 9 logged scene(s)" in shown and "cutter: the logged left ahead" in shown
    out = tmp_path / "s.npz"
    assert main(["simulate", path, "-n", "12", "--seed", "1", "--out", str(out), "-q"]) == EXIT_OK
    b = load_npz(out)
    assert b.size == 12 and b.mask[:, :, 0].sum(axis=1).min() > 10  # the logged traffic is there
    run = tmp_path / "run"
    assert main(["generate", path, "--out", str(run), "--budget", "40", "--sampler", "mc", "--seed", "2", "-q"]) == EXIT_OK
    assert (run / "manifest.json").is_file()


def test_seeded_family_error_exits_2_and_writes_nothing(tmp_path, capsys):
    path = seeded_yaml(tmp_path, duration=9.0)
    out = tmp_path / "out.npz"
    assert main(["simulate", str(path), "-n", "4", "--out", str(out)]) == EXIT_USER_ERROR
    err = capsys.readouterr().err
    assert "shorter than the family's duration" in err and "Traceback" not in err
    assert not out.exists()
