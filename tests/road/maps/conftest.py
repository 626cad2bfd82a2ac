"""Map import tests: a cache directory of their own per test (paths: map_helpers.py)."""

from __future__ import annotations

import pytest


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
