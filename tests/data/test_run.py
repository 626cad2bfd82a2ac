"""data/run.py, the one reader and writer of run directories: the manifest as a frozen dataclass,
verified on every read (structure, content hash over the shard list, each shard's SHA-256)."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

import scenariogen
from scenariogen.data.run import MANIFEST, Manifest, RunWriter, ShardRecord, open_run, read_manifest
from scenariogen.errors import RunError, ScenarioGenError

ROOT = Path(__file__).resolve().parents[2]
BRAKE = ROOT / "scenarios" / "emergency_brake.yaml"


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "brake"
    scenariogen.generate(scenariogen.load_scenario(BRAKE), out, sampler="mc", target="near_miss", seed=3, budget=900,
                         shard_size=300, keep="all")
    return out


def _copy(run: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(run, tmp_path / "copy"))


def test_manifest_round_trips_through_json(run):
    raw = json.loads((run / MANIFEST).read_text())
    m = Manifest.from_dict(raw)
    assert m.to_dict() == raw
    assert m.complete and m.content_hash == m.hash() and len(m.shards) == 3
    assert all(isinstance(r, ShardRecord) for r in m.shards) and m.totals.simulations == 900
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.complete = False  # type: ignore[misc]


def test_run_reads_and_verifies_every_shard(run):
    r = open_run(run)
    kept = list(r.kept())
    assert [rec for rec, _b, _s in kept] == list(r.manifest.shards)
    assert sum(b.size for _r, b, _s in kept) == r.batch().size == 900
    batch, row = r.scenario(450)
    assert batch.indices[row] == 450
    with pytest.raises(ScenarioGenError, match="out of range"):
        r.scenario(900)


@pytest.mark.parametrize("edit", ["drop", "duplicate", "swap", "totals"])
def test_an_edited_shard_list_of_a_finished_run_is_refused(run, tmp_path, edit):
    """The manifest's structure is intact and every listed shard is whole, but the list is not the
    one the run wrote: the content hash says so, on every read."""
    bad = _copy(run, tmp_path)
    raw = json.loads((bad / MANIFEST).read_text())
    shards = raw["shards"]
    if edit == "drop":
        del shards[1]
    elif edit == "duplicate":
        shards.append(dict(shards[0]))
    elif edit == "swap":
        shards[0], shards[1] = shards[1], shards[0]
    else:
        raw["totals"]["kept"] += 1
    (bad / MANIFEST).write_text(json.dumps(raw))
    with pytest.raises(ScenarioGenError, match="content_hash does not match"):
        read_manifest(bad)


def test_a_corrupt_shard_is_refused_when_read(run, tmp_path):
    bad = _copy(run, tmp_path)
    rec = read_manifest(bad).shards[2]
    path = bad / rec.file
    path.write_bytes(path.read_bytes()[:-10] + b"0123456789")
    r = open_run(bad)
    with pytest.raises(ScenarioGenError, match="content differs from its SHA-256"):
        r.read_shard(rec)
    with pytest.raises(ScenarioGenError, match="1 shard\\(s\\) listed in the manifest are damaged"):
        r.check_shards()


def test_the_writer_writes_whole_files_and_clears_stale_temporaries(tmp_path):
    out = tmp_path / "run"
    (out / "shards").mkdir(parents=True)
    stale = out / "shards" / ".shard-000000.npz.abc.tmp"
    stale.write_bytes(b"half")
    m = Manifest(spec_name="s", spec_hash="h", spec_text="", version="0", settings={}, parameters=("a",))
    with RunWriter(out) as w:
        assert w.is_empty()
        w.open(m)  # the first manifest comes before any shard
        assert not stale.exists() and read_manifest(out) == m
        rec = w.write_shard(0, b"PKdata", stage=0, offset=0, size=3, first_index=0, events=1, kept=1)
        assert (out / rec.file).read_bytes() == b"PKdata" and rec.file == "shards/shard-000000.npz"
        w.write_manifest(dataclasses.replace(m, shards=(rec,)))
    assert read_manifest(out).shards == (rec,)
    assert sorted(p.name for p in out.rglob("*")) == [".lock", "manifest.json", "shard-000000.npz", "shards"]


def test_one_writer_at_a_time(tmp_path):
    out = tmp_path / "run"
    m = Manifest(spec_name="s", spec_hash="h", spec_text="", version="0", settings={}, parameters=())
    with RunWriter(out) as first:
        first.open(m)
        with pytest.raises(RunError, match=r"another writer is using this run directory \(process \d+ on "):
            with RunWriter(out):
                pass
    with RunWriter(out) as again:  # released: the next writer takes over
        assert not again.is_empty()


def test_a_writer_that_wrote_nothing_leaves_nothing(tmp_path):
    out = tmp_path / "new" / "run"
    with pytest.raises(KeyboardInterrupt):
        with RunWriter(out):
            raise KeyboardInterrupt
    assert not (tmp_path / "new" / "run").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    with RunWriter(empty):
        pass
    assert empty.is_dir() and not any(empty.iterdir())


def test_a_folder_a_killed_writer_left_is_accepted(tmp_path):
    """A kill after the lock and the shard folder but before the first manifest leaves a folder a
    new run takes (and --resume says there is nothing to resume)."""
    out = tmp_path / "run"
    (out / "shards").mkdir(parents=True)
    (out / ".lock").write_text("{}")
    (out / "shards" / ".shard-000000.npz.x.tmp").write_bytes(b"half")
    spec = scenariogen.load_scenario(BRAKE)
    with pytest.raises(ScenarioGenError, match="nothing to resume"):
        scenariogen.generate(spec, out, sampler="mc", target="near_miss", budget=100, shard_size=100, resume=True)
    m = scenariogen.generate(spec, out, sampler="mc", target="near_miss", budget=100, shard_size=100)
    assert m.complete and open_run(out).manifest == m
    assert not list(out.rglob("*.tmp"))
