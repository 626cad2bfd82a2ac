"""Hostile names through every writer: nothing written outside ``--out``, every file parses.

A small run whose events are named ``../../x``, ``/abs/...``, ``a/b`` and in unicode (the DSL
accepts these; control characters it refuses) is exported once per hostile spec name, written
into a copy of its manifest (``spec_name`` is not part of the content hash, as an edit by hand or
another tool would leave it); a Batch in memory carries hostile names where the DSL cannot put
them (NUL and control characters in its spec name, agent names and event labels).
"""

from __future__ import annotations

import json
import os
import shutil
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import scenariogen
from scenariogen.api import export
from scenariogen.data.files import MAX_NAME_BYTES, safe_name, valid_text
from scenariogen.data.run import MANIFEST, open_run
from scenariogen.runs import GenerateSettings, generate

WRITERS = ("jsonl", "npz", "av2", "openscenario", "commonroad")
OUT_NAME = {"jsonl": "out.jsonl"}  # the folder writers take a folder name

SPEC = """\
scenariogen: 1
name: hostile
dt: 0.1
duration: 2.0
road: {type: straight, lanes: 2, length: 300}
actors:
  ego: {kind: car, lane: 0, s: 20, speed: 20}
  leader:
    kind: car
    lane: 0
    s: {relative_to: ego, offset: {uniform: [12, 30]}}
    speed: 18
    maneuver: {hard_brake: {start: 0.5, decel: 8}}
events:
  "../../x": {type: collision}
  "/abs/evt": {type: near_miss, ttc_below: 2.0}
  "a/b\\\\c": {type: hard_braking}
  "é✓ 東京": {type: near_miss, distance_below: 3.0}
target: "../../x"
"""
EVENTS = ("../../x", "/abs/evt", "a/b\\c", "é✓ 東京")


def hostile_names(tmp: Path) -> dict[str, str]:
    """id -> name: parent escapes, an absolute path (inside the test's folder, so that a failure
    stays there), separators, NUL and control characters, terminal escapes, unicode, a lone
    surrogate, reserved names, XML specials and a very long name."""
    return {"parent": "../../escaped", "absolute": str(tmp / "absolute_escape"), "slash": "a/b/c",
            "backslash": "..\\..\\win", "nul": "nul\x00byte", "control": "bell\x07\x1b[31mred\x7f\x85",
            "unicode": "Kreuzung München ✓ 東京", "surrogate": "half\ud800pair", "dot": ".", "dotdot": "..",
            "empty": "", "reserved": "CON", "xml": "<a & \"b\" 'c'>]]>", "long": "n" * 5000}


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("hostile") / "run"
    spec = scenariogen.parse_text(SPEC)
    st = GenerateSettings(sampler="mc", target="../../x", seed=1, budget=4, shard_size=4, keep="all")
    generate(spec, out, st, progress=False)
    return out


def files_under(root: Path) -> set[Path]:
    return set(root.rglob("*"))


def assert_only_out(new: set[Path], out: Path) -> None:
    """What an export created: ``out`` (and what is in it) and its parent folder, nothing else."""
    stray = {p for p in new if p != out.parent and not p.is_relative_to(out)}
    assert not stray, stray
    assert out in new


def check_parses(path: Path) -> None:
    """Every file an export wrote opens in its format."""
    files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
    assert files
    for f in files:
        assert f.resolve().is_relative_to(path.resolve())
        assert not f.name.startswith(".") and len(f.name.encode()) <= 255
        suffix = f.name.rsplit(".", 1)[-1]
        if suffix in ("xml", "xosc", "xodr"):
            ET.parse(f)  # strict XML 1.0: control characters would fail here
            try:
                from lxml import etree
            except ImportError:
                continue
            etree.parse(str(f))
        elif suffix == "json":
            json.loads(f.read_text(encoding="utf-8"))
        elif suffix == "jsonl":
            for line in f.read_text(encoding="utf-8").splitlines():
                json.loads(line)
        elif suffix == "npz":
            with np.load(f) as z:
                assert json.loads(bytes(z["header"]).decode("utf-8"))
        elif suffix == "parquet":
            pq = pytest.importorskip("pyarrow.parquet")
            table = pq.read_table(f)
            assert table.num_rows > 0
            assert json.loads(table.schema.metadata[b"scenariogen"].decode("utf-8"))
        else:
            raise AssertionError(f"unexpected file {f}")


def original_name(fmt: str, out: Path) -> str:
    """The spec name an export keeps in its metadata."""
    if fmt == "jsonl":
        return json.loads(out.read_text(encoding="utf-8").splitlines()[0])["spec_name"]
    if fmt == "npz":
        with np.load(next(out.glob("part-*.npz"))) as z:
            return json.loads(bytes(z["header"]).decode("utf-8"))["spec_name"]
    if fmt == "av2":
        from scenariogen.export.av2 import scenario_labels

        return scenario_labels(next(out.rglob("*.parquet")))["spec_name"]
    if fmt == "openscenario":
        root = ET.parse(next(out.glob("*.xosc"))).getroot()
        return {p.get("name"): p.get("value") for p in root.find("FileHeader/Properties")}["scenariogen.spec_name"]
    raise AssertionError(fmt)


def test_shard_entries_of_hostile_event_names_stay_inside(hostile_run):
    """An event named ``../../x`` was the shard entry ``label/../../x.npy``; now one entry under
    ``label/`` per event, read back under its own name."""
    run = open_run(hostile_run)
    for rec in run.manifest.shards:
        with zipfile.ZipFile(hostile_run / rec.file) as z:
            names = z.namelist()
        for n in names:
            parts = n.split("/")
            assert len(parts) <= 2 and ".." not in parts and "" not in parts and "\\" not in n, n
        assert sum(n.startswith("label/") for n in names) == len(EVENTS)
    assert set(run.batch().labels) == set(EVENTS)


@pytest.mark.parametrize("fmt", WRITERS)
def test_hostile_spec_names_in_a_run_stay_inside_out(hostile_run, tmp_path, fmt):
    if fmt == "av2":
        pytest.importorskip("pyarrow")
    seen = set()
    for key, name in hostile_names(tmp_path).items():
        run = tmp_path / f"run-{key}"
        shutil.copytree(hostile_run, run)
        manifest = json.loads((run / MANIFEST).read_text(encoding="utf-8"))
        manifest["spec_name"] = name
        (run / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
        work = tmp_path / f"work-{key}"
        work.mkdir()
        out = work / "export" / OUT_NAME.get(fmt, "out")
        before = files_under(tmp_path)
        cwd = os.getcwd()
        os.chdir(work)  # a relative ../ would land in the test's folder, never above it
        try:
            report = export(run, fmt, out, limit=2)
        finally:
            os.chdir(cwd)
        assert report.scenarios == 2
        assert_only_out(files_under(tmp_path) - before, out)
        assert not list(tmp_path.glob("absolute_escape*")) and not list(tmp_path.glob("escaped*"))
        check_parses(out)
        if fmt != "commonroad":  # commonroad keeps no spec name
            assert original_name(fmt, out) == (valid_text(name) if fmt == "openscenario" else name), key
        if out.is_dir():
            names = sorted(p.name for p in out.iterdir())
            seen.add(tuple(names))
            stem = safe_name(name or ("hostile" if fmt == "openscenario" else ""))  # openscenario falls back on the spec
            assert len(stem.encode()) <= MAX_NAME_BYTES
            if fmt in ("av2", "openscenario"):
                assert all(n.startswith(stem) for n in names), (key, names)
    if fmt in ("av2", "openscenario", "commonroad"):  # file names made from the spec name
        assert len(seen) > len(hostile_names(tmp_path)) // 2


@pytest.fixture(scope="module")
def hostile_batch(hostile_run):
    """A Batch of the run (its hostile event names) with names the DSL would refuse in its
    provenance and agent names; writers read the events of its spec, so those stay."""
    b = open_run(hostile_run).batch().select(np.arange(2))
    prov = dict(b.provenance, spec_name="/..\x00\x1b[2J/" + "é" * 300)
    agents = ("ego", "ag\x01ent/../<&>\ud800", *b.agent_names[2:])
    return replace(b, provenance=prov, agent_names=agents)


@pytest.mark.parametrize("fmt", WRITERS)
def test_hostile_names_in_a_batch_stay_inside_out(hostile_batch, tmp_path, fmt):
    if fmt == "av2":
        pytest.importorskip("pyarrow")
    out = tmp_path / "export" / OUT_NAME.get(fmt, "out")
    report = export(hostile_batch, fmt, out)
    assert report.scenarios == 2
    assert_only_out(files_under(tmp_path), out)
    check_parses(out)
    if fmt != "commonroad":
        want = hostile_batch.provenance["spec_name"]
        assert original_name(fmt, out) == (valid_text(want) if fmt == "openscenario" else want)
    if fmt == "jsonl":
        header = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
        assert header["agent_names"] == list(hostile_batch.agent_names)
        assert header["events"] == list(EVENTS)
