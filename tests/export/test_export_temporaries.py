"""An export killed half way (no ``finally`` runs) left its hidden temporary forever; the next
export to the same ``--out`` removes it, and never one a running export still holds."""

from __future__ import annotations

import subprocess
import sys

import pytest

from scenariogen.api import export
from scenariogen.data.files import locked_temporary

# export with a progress callback that kills its own process after the first chunk is written
KILLED = """\
import os, signal, sys
from scenariogen.api import export

def progress(n, total):
    if n:
        os.kill(os.getpid(), signal.SIGKILL)

export(sys.argv[1], sys.argv[2], sys.argv[3], progress=progress)
"""


@pytest.mark.parametrize("fmt, name", [("jsonl", "out.jsonl"), ("npz", "out")])
def test_a_killed_export_leaves_a_temporary_the_next_export_removes(mc_run, tmp_path, fmt, name):
    out = tmp_path / name
    proc = subprocess.run([sys.executable, "-c", KILLED, str(mc_run), fmt, str(out)], capture_output=True, text=True)
    assert proc.returncode == -9, proc.stderr
    left = list(tmp_path.glob(f".{name}.*.tmp"))
    assert not out.exists() and len(left) == 1  # the defect: hidden, and nothing would ever remove it
    report = export(mc_run, fmt, out)
    assert report.scenarios == 240
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]
    assert any("removed 1 temporary" in n for n in report.notes)


def test_a_running_exports_temporary_is_left_alone(mc_run, tmp_path):
    out = tmp_path / "out.jsonl"
    with locked_temporary(out) as live:  # another export at work on the same path
        report = export(mc_run, "jsonl", out, limit=5)
        assert live.exists()
    assert report.scenarios == 5 and not any("removed" in n for n in report.notes)
