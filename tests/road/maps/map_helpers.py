"""Paths shared by the map import tests: the repository, the real maps in ../shared/data/real/."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
REAL = ROOT.parent / "shared" / "data" / "real"
NGSIM = REAL / "ngsim-commonroad"
AV2_MAPS = sorted((REAL / "av2-api-fixtures").rglob("log_map_archive_*.json"))


def need(path: Path) -> Path:
    if not path.exists():
        pytest.fail(f"{path} is missing: the real-data tests read ../shared/data/real next to the repository")
    return path
