"""``scenariogen validate`` and ``show`` start fast: reading, checking and describing a
scenario never imports scipy.stats, scikit-learn or numba (they belong to sampling,
coverage and simulation). Checked in a fresh interpreter, which is what a user runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
VALID = [*sorted((ROOT / "scenarios").glob("*.yaml")), *sorted((HERE / "valid").glob("*.yaml"))]
BROKEN = sorted((HERE / "broken").glob("*.yaml"))
HEAVY = ("scipy.stats", "sklearn", "numba")

# validate every file (the broken ones report their problems), show the valid ones, then
# print which of the heavy modules this interpreter has imported
_PROBE = """
import contextlib, io, json, sys
from scenariogen.cli import main

n_valid = int(sys.argv[1])
files = sys.argv[2:]
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    codes = [main(["validate", *files]), main(["show", *files[:n_valid]])]
print(json.dumps({"codes": codes, "loaded": [m for m in %r if m in sys.modules]}))
""" % (HEAVY,)


@pytest.fixture(scope="module")
def loaded() -> list[str]:
    files = [str(p) for p in VALID + BROKEN]
    r = subprocess.run([sys.executable, "-c", _PROBE, str(len(VALID)), *files],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.splitlines()[-1])
    assert out["codes"] == [2, 0], "validate reports the broken files, show prints the valid ones"
    return out["loaded"]


def test_validate_and_show_do_not_import_scipy_stats_or_sklearn(loaded):
    assert "scipy.stats" not in loaded
    assert "sklearn" not in loaded


@pytest.mark.xfail(strict=False, reason="scenariogen/__init__ imports sim until the lazy front lands")
def test_validate_and_show_do_not_import_numba(loaded):
    assert "numba" not in loaded
