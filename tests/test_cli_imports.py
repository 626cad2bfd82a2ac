"""``import scenariogen``, ``scenariogen validate``, ``show`` and ``formats`` start fast: they never
import Numba, scipy.stats, scikit-learn, matplotlib or pyarrow (they belong to simulation,
sampling, coverage, pictures and parquet); ``scenariogen simulate`` imports Numba but none of the
others (nor the samplers' scipy.optimize, scipy.sparse and scipy.spatial). Checked in a fresh
interpreter, which is what a user runs; the CPU time they take is measured in
``benchmarks/test_startup.py``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DSL = ROOT / "tests" / "dsl"
VALID = [*sorted((ROOT / "scenarios").glob("*.yaml")), *sorted((DSL / "valid").glob("*.yaml"))]
BROKEN = sorted((DSL / "broken").glob("*.yaml"))
HEAVY = ("numba", "scipy.stats", "sklearn", "matplotlib", "pyarrow")

# validate every file (the broken ones report their problems), show the valid ones, then
# print which of the heavy modules this interpreter has imported
_PROBE = """
import contextlib, io, json, sys
from scenariogen.cli import main

n_valid = int(sys.argv[1])
files = sys.argv[2:]
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    codes = [main(["validate", *files]), main(["show", *files[:n_valid]]), main(["formats"])]
print(json.dumps({"codes": codes, "loaded": [m for m in %r if m in sys.modules]}))
""" % (HEAVY,)


@pytest.fixture(scope="module")
def loaded() -> list[str]:
    files = [str(p) for p in VALID + BROKEN]
    r = subprocess.run([sys.executable, "-c", _PROBE, str(len(VALID)), *files],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.splitlines()[-1])
    assert out["codes"] == [2, 0, 0], "validate reports the broken files, show prints the valid ones"
    return out["loaded"]


def test_light_commands_import_nothing_heavy(loaded):
    assert loaded == []


def test_import_scenariogen_is_light():
    probe = f"import json, sys, scenariogen; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    r = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == []


# a small simulate with the kernels run as Python (NUMBA_DISABLE_JIT: nothing to compile), which
# imports what the compiled run imports from scenariogen (the compiled run adds only what Numba's
# compiler loads for itself, scipy.linalg among it)
_SIMULATE_PROBE = """
import contextlib, io, json, sys
from scenariogen.cli import main

with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    code = main(["simulate", sys.argv[1], "-n", "2", "-q", "--out", sys.argv[2]])
print(json.dumps({"code": code, "loaded": [m for m in %r if m in sys.modules]}))
""" % (HEAVY + ("scipy.optimize", "scipy.sparse", "scipy.spatial"),)


def test_simulate_loads_numba_but_not_scipy_stats(tmp_path):
    out = tmp_path / "x.npz"
    r = subprocess.run([sys.executable, "-c", _SIMULATE_PROBE, str(ROOT / "scenarios" / "highway_cut_in.yaml"),
                        str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300,
                       env={**os.environ, "NUMBA_DISABLE_JIT": "1"})
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout.splitlines()[-1])
    assert res["code"] == 0 and out.is_file()
    assert res["loaded"] == ["numba"]
