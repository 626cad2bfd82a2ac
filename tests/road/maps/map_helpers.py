"""Paths shared by the map import tests: the repository, the real maps in ../shared/data/real/."""

from __future__ import annotations

from pathlib import Path

from real_data import NGSIM, REAL, need  # noqa: F401  (shared by the map tests)

ROOT = Path(__file__).resolve().parents[3]
AV2_MAPS = sorted((REAL / "av2-api-fixtures").rglob("log_map_archive_*.json"))

