"""Map import tests: real maps from ../shared/data/real/ and a cache directory per test."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
REAL = ROOT.parent / "shared" / "data" / "real"
NGSIM = REAL / "ngsim-commonroad"
AV2_MAPS = sorted((REAL / "av2-api-fixtures").rglob("log_map_archive_*.json"))


@pytest.fixture(autouse=True)
def _map_cache(tmp_path, monkeypatch):
    """Every test gets its own, empty on-disk map cache (never the user's) and an empty memo."""
    from scenariogen.road import maps

    monkeypatch.setenv("SCENARIOGEN_MAP_CACHE", str(tmp_path / "map-cache"))
    maps._MEMO.clear()
    maps._NET_MEMO.clear()
    yield
    maps._MEMO.clear()
    maps._NET_MEMO.clear()


def need(path: Path) -> Path:
    if not path.exists():
        pytest.fail(f"{path} is missing: the real-data tests read ../shared/data/real next to the repository")
    return path
