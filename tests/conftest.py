"""Shared by every test: subprocesses started by the tests (the CLI, the no-JIT reference run) import
this checkout, as the tests themselves do, and not some other installed copy of scenariogen."""

from __future__ import annotations

import os
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[1])
os.environ["PYTHONPATH"] = os.pathsep.join([_ROOT, *filter(None, [os.environ.get("PYTHONPATH")])])
