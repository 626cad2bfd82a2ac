"""The command line under a reader that stops early (``scenariogen formats | head -1``): a quiet exit.

A closed pipe is not a user mistake and not a bug: the process exits with
128 + SIGPIPE (141), as a shell reports for tools killed by the signal, with
nothing on stderr.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scenariogen.cli import EXIT_BROKEN_PIPE, main

ROOT = Path(__file__).resolve().parents[1]


def test_closed_pipe_exits_quietly():
    """The real process writing into a pipe whose reader is already gone (deterministic: no race)."""
    r, w = os.pipe()
    os.close(r)  # no reader at all: the first write fails with EPIPE
    try:
        proc = subprocess.run([sys.executable, "-m", "scenariogen.cli", "formats"], cwd=ROOT, stdout=w, check=False,
                              stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(w)
    assert proc.returncode == EXIT_BROKEN_PIPE == 141
    assert "Traceback" not in proc.stderr and "BrokenPipeError" not in proc.stderr, proc.stderr
    assert proc.stderr == ""


class _GoneReader(io.StringIO):
    """A stdout whose reader went away after ``keep`` characters."""

    def __init__(self, keep: int) -> None:
        super().__init__()
        self.keep = keep

    def write(self, s: str) -> int:
        if self.tell() + len(s) > self.keep:
            raise BrokenPipeError(32, "Broken pipe")
        return super().write(s)


@pytest.mark.parametrize("keep", [0, 20])
def test_broken_pipe_in_process(monkeypatch, capsys, keep):
    """Same code path in-process, with a stdout that has no file descriptor: still no traceback."""
    out = _GoneReader(keep)
    monkeypatch.setattr(sys, "stdout", out)
    assert main(["formats"]) == EXIT_BROKEN_PIPE
    assert len(out.getvalue()) <= keep
    assert capsys.readouterr().err == ""


def test_full_output_still_exits_zero(capsys):
    assert main(["formats"]) == 0
    assert "writers" in capsys.readouterr().out
