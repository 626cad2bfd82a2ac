"""The real logs the tests read: ``../shared/data/real`` beside the repository (CI provides it).
A missing file fails the test that needs it, so a real-data test never passes by not running."""

from __future__ import annotations

from pathlib import Path

import pytest

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real"
NGSIM = REAL / "ngsim-commonroad"
NGSIM_MORE = REAL / "ngsim-commonroad-more"


def need(path: Path) -> Path:
    """``path``, which must exist."""
    if not path.exists():
        pytest.fail(f"{path} is missing: the real-data tests read ../shared/data/real next to the repository")
    return path
