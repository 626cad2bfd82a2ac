"""The on-disk map cache: used when sound, ignored and rebuilt when damaged or foreign; determinism."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from scenariogen.road import maps
from scenariogen.road.maps import cache as C
from scenariogen.road.maps import load_map

from map_helpers import AV2_MAPS, NGSIM, need


def same(a, b) -> None:
    assert [ln.id for ln in a.lanes] == [ln.id for ln in b.lanes]
    for x, y in zip(a.lanes, b.lanes):
        assert np.array_equal(x.centre, y.centre) and x.width == y.width and x.successors == y.successors
        assert (x.left, x.right, x.opposite, x.group, x.kind, x.junction) == (y.left, y.right, y.opposite, y.group,
                                                                          y.kind, y.junction)
    assert [s.id for s in a.signals] == [s.id for s in b.signals] and a.dropped == b.dropped
    assert [(s.id, s.lanes) for s in a.stop_lines] == [(s.id, s.lanes) for s in b.stop_lines]
    assert len(a.areas) == len(b.areas)


def entries(tmp_path):
    return sorted((tmp_path / "map-cache").glob("*.npz"))


def forbid_readers(monkeypatch):
    def boom(*a, **k):
        raise AssertionError("the map was parsed again")

    monkeypatch.setattr(maps, "_reader", lambda fmt: boom)


@pytest.mark.parametrize("path", [NGSIM / "USA_Peach-4_8_T-1.xml", AV2_MAPS[0]], ids=["commonroad", "av2"])
def test_second_load_comes_from_the_cache(path, tmp_path, monkeypatch):
    first = load_map(need(path))
    (entry,) = entries(tmp_path)
    assert entry.name.endswith(".npz") and len(entry.stem) > 40
    maps._MEMO.clear()
    forbid_readers(monkeypatch)
    same(first, load_map(path))


def test_damaged_or_foreign_entries_are_rebuilt(tmp_path, monkeypatch):
    path = need(NGSIM / "USA_US101-3_3_T-1.xml")
    ref = load_map(path)
    (entry,) = entries(tmp_path)
    good = entry.read_bytes()
    # a foreign entry (another map's) under this key, a truncated file, a JSON header that lies about counts
    other = load_map(need(NGSIM / "USA_US101-4_1_T-1.xml"))
    foreign = [e for e in entries(tmp_path) if e != entry][0].read_bytes()
    with zipfile.ZipFile(entry) as z:
        meta = json.loads(bytes(np.load(z.open("meta.npy"))))
    meta["lanes"][0]["n"] += 1
    lying = tmp_path / "lying.npz"
    with np.load(entry) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(lying, **arrays)
    for damaged in (foreign, good[: len(good) // 2], b"not a zip", lying.read_bytes()):
        entry.write_bytes(damaged)
        maps._MEMO.clear()
        same(ref, load_map(path))
        assert entry.read_bytes() != damaged  # rebuilt and stored again
    assert other.lanes[0].id != ref.lanes[0].id


def test_cache_off_and_unwritable_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("SCENARIOGEN_MAP_CACHE", "off")
    load_map(need(NGSIM / "USA_US101-3_3_T-1.xml"))
    assert not (tmp_path / "map-cache").exists()
    blocker = tmp_path / "file"
    blocker.write_text("x")
    maps._MEMO.clear()
    monkeypatch.setenv("SCENARIOGEN_MAP_CACHE", str(blocker / "sub"))  # cannot be created: parsed, not cached
    assert len(load_map(NGSIM / "USA_US101-3_3_T-1.xml").lanes) == 12
    assert C.cache_dir(False) is None and C.cache_dir(tmp_path) == tmp_path


def test_default_dir_is_the_user_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("SCENARIOGEN_MAP_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert C.cache_dir() == tmp_path / "xdg" / "scenariogen" / "maps"


def test_same_file_same_lanes_without_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SCENARIOGEN_MAP_CACHE", "off")
    path = need(AV2_MAPS[-1])
    a = load_map(path)
    maps._MEMO.clear()
    same(a, load_map(path))
