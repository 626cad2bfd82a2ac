"""Names that become paths, archive entries or XML, and the temporaries of interrupted writes."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile

import numpy as np
import pytest

from scenariogen.data import layout as Lo
from scenariogen.data.batch import Batch
from scenariogen.data.files import (MAX_NAME_BYTES, entry_name, entry_name_decoded, locked_temporary,
                                    remove_stale_temporaries, safe_name, valid_text)
from scenariogen.data.npz import load_npz, save_npz

HOSTILE = ["../../x", "/etc/passwd", "a/b", "a\\b", "nul\x00byte", "bell\x07\x1b[31m", "é✓ 東京", "half\ud800",
           ".", "..", "", "...", "CON", "con.txt", "<&>\"'", "x" * 5000, "é" * 300, "%2F", " spaces  around "]


@pytest.mark.parametrize("name", HOSTILE)
def test_safe_name_is_one_plain_path_component(name, tmp_path):
    s = safe_name(name)
    assert s and not s.startswith(".") and not s.endswith(".")
    assert "/" not in s and "\\" not in s and "\x00" not in s
    assert all(ch.isalnum() or ch in "_-." for ch in s)
    assert len(s.encode("utf-8")) <= MAX_NAME_BYTES
    assert s.split(".")[0].upper() not in ("CON", "NUL", "PRN", "AUX")
    (tmp_path / s).write_text("x")  # a name the file system takes, in this folder
    assert [p.name for p in tmp_path.iterdir()] == [s]


def test_safe_name_keeps_plain_names_and_tells_long_ones_apart():
    for plain in ("highway_cut_in", "on-ramp.v2", "Kreuzung_München", "東京"):
        assert safe_name(plain) == plain
    assert safe_name("a/b c") == "a_b_c" and safe_name("../../x") == "x" and safe_name("") == "scenario"
    assert safe_name("x" * 300) != safe_name("x" * 301)
    assert safe_name("x" * 300).startswith("x" * 80)


@pytest.mark.parametrize("name", HOSTILE + ["label/x", "%", "%%41", "tab\there"])
def test_entry_names_round_trip_and_never_leave_their_folder(name):
    e = entry_name(name)
    assert "/" not in e and "\\" not in e and "\x00" not in e
    assert entry_name_decoded(e) == name
    plain = "near_miss"
    assert entry_name(plain) == plain  # shards of plain names keep their bytes


def test_valid_text_is_xml():
    text = "".join(chr(c) for c in range(0, 0x110)) + "\ud800\ufffe\uffff東京"
    clean = valid_text(text)
    root = ET.fromstring(f'<a b="{clean.replace("&", "&amp;").replace("<", "&lt;").replace(chr(34), "&quot;")}"/>'
                         .encode("utf-8"))
    assert len(root.get("b")) == len(text)  # one replacement character per character it could not hold
    assert valid_text("plain \t\n text") == "plain \t\n text"


def tiny_batch(events: list[str]) -> Batch:
    B, N, T = 2, 2, 3
    return Batch(
        trajectories=np.zeros((B, N, T, Lo.N_FEATURES), np.float32), mask=np.ones((B, N, T), bool),
        kinds=np.zeros((B, N), np.int8), sizes=np.ones((B, N, 2), np.float32), agent_names=("ego", "x\x00/.."),
        metrics={m: np.zeros(B) for m in Lo.METRIC_NAMES}, agent_metrics=np.zeros((B, N, len(Lo.AGENT_METRIC_NAMES))),
        labels={e: np.array([True, False]) for e in events}, robustness={e: np.array([-1.0, 1.0]) for e in events},
        theta=np.zeros((B, 1)), parameter_names=("p",), indices=np.arange(B), provenance={"spec_name": "../s"})


def test_hostile_event_names_in_an_npz_stay_entries_of_their_folder(tmp_path):
    """An event ``../../x`` was stored as the entry ``label/../../x.npy``."""
    events = ["../../x", "/abs", "a/b", "nul\x00", "bell\x07", "é✓", "%41", "collision"]
    path = save_npz(tiny_batch(events), tmp_path / "b.npz")
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
    assert "label/collision.npy" in names
    for n in names:
        parts = n.split("/")
        assert len(parts) <= 2 and ".." not in parts and "" not in parts and "\x00" not in n, n
    back = load_npz(path)
    assert list(back.labels) == events and list(back.robustness) == events
    assert back.agent_names == ("ego", "x\x00/..")


def test_stale_temporaries_are_removed_and_live_ones_kept(tmp_path):
    out = tmp_path / "b.npz"
    stale = tmp_path / ".b.npz.abcd1234.tmp"  # what a killed writer leaves: a name, no lock
    stale.write_bytes(b"half written")
    stale_dir = tmp_path / ".b.npz.0000ffff.tmp"
    (stale_dir / "inner").mkdir(parents=True)
    others = [tmp_path / ".b.npz.notes.tmp", tmp_path / ".c.npz.abcd1234.tmp", tmp_path / "b.npz.abcd1234.tmp"]
    for p in others:
        p.write_bytes(b"not ours")
    with locked_temporary(out) as live:
        assert live.name.startswith(".b.npz.") and live.name.endswith(".tmp")
        assert sorted(remove_stale_temporaries(out)) == sorted([stale, stale_dir])
        assert live.exists()
    assert all(p.exists() for p in others) and not stale.exists() and not stale_dir.exists()
    assert remove_stale_temporaries(out) == [live]  # its writer let go without renaming it


def test_a_killed_save_leaves_a_temporary_the_next_save_removes(tmp_path):
    """``save_npz`` killed while writing: the next save into the same path removes what it left."""
    out = tmp_path / "b.npz"
    script = ("import os, signal, sys\n"
              "from pathlib import Path\n"
              "from scenariogen.data.files import locked_temporary\n"
              "with locked_temporary(Path(sys.argv[1])) as tmp:\n"
              "    tmp.write_bytes(b'x' * 1000)\n"
              "    os.kill(os.getpid(), signal.SIGKILL)\n")
    proc = subprocess.run([sys.executable, "-c", script, str(out)], capture_output=True)
    assert proc.returncode == -9
    left = list(tmp_path.glob(".b.npz.*.tmp"))
    assert len(left) == 1 and left[0].stat().st_size == 1000
    save_npz(tiny_batch(["collision"]), out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.npz"]
