"""Two ``generate`` processes on one ``--out`` never lose a run: one writes it, the other is refused
(exit 2, while the first holds the lock, or after it finished, since the folder then holds a run),
and what is left verifies and equals a run written alone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import scenariogen
from scenariogen.data.run import open_run

ROOT = Path(__file__).resolve().parents[2]
BRAKE = ROOT / "scenarios" / "emergency_brake.yaml"
SEEDS = (3, 4)
ROUNDS = 6


def _args(seed: int, out: Path) -> list[str]:
    return [sys.executable, "-m", "scenariogen.cli", "generate", str(BRAKE), "--sampler", "mc", "--budget", "400",
            "--shard-size", "100", "--target", "near_miss", "--seed", str(seed), "--out", str(out), "-q"]


@pytest.fixture(scope="module")
def alone(tmp_path_factory) -> dict[int, str]:
    """The content hash of each seed's run written with nobody else around."""
    spec = scenariogen.load_scenario(BRAKE)
    root = tmp_path_factory.mktemp("alone")
    return {s: scenariogen.generate(spec, root / str(s), sampler="mc", budget=400, shard_size=100,
                                    target="near_miss", seed=s).content_hash for s in SEEDS}


def test_two_writers_on_one_out_never_lose_a_run(alone, tmp_path):
    outcomes = set()
    for k in range(ROUNDS):
        out = tmp_path / f"run{k}"
        procs = [subprocess.Popen(_args(s, out), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for s in SEEDS]
        done = [(p.wait(timeout=600), p.stderr.read()) for p in procs]
        for p in procs:
            p.stdout.close()
            p.stderr.close()
        codes = [c for c, _ in done]
        assert sorted(codes) == [0, 2], done
        winner = SEEDS[codes.index(0)]
        err = done[codes.index(2)][1]
        assert "Traceback" not in err
        if "another writer is using this run directory" in err:
            outcomes.add("refused while held")
        else:
            assert "already holds a run" in err, err
            outcomes.add("refused after")
        run = open_run(out)  # structure, content hash and shard list verified
        assert run.manifest.settings["seed"] == winner and run.manifest.content_hash == alone[winner]
        assert sum(b.size for _r, b, _s in run.kept()) == run.manifest.totals.kept  # every shard's SHA-256
    assert outcomes  # which refusals happened depends on timing; both are correct
