"""The plugin registry: lazy entry points, broken plugins reported by name, duplicates, unknown names."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from scenariogen.cli import EXIT_OK, EXIT_USER_ERROR, main
from scenariogen.export import writers
from scenariogen.export.jsonl import JsonlWriter
from scenariogen.registry import MissingDependencyError, PluginEntry, PluginError, Registry

GOOD_WRITER = """
    from scenariogen.export import Writer

    class W(Writer):
        name = "{name}"
        extensions = (".x",)
        format_version = "1"
        requires = {requires!r}
        extra = {extra!r}

        def write_stream(self, stream, tmp, report, progress):
            tmp.write_text("x")
"""


def fake_dist(root: Path, dist: str, entries: dict[str, str], modules: dict[str, str]) -> None:
    """An installed distribution in ``root`` (a sys.path entry): metadata, entry points, modules."""
    info = root / f"{dist.replace('-', '_')}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    lines = "\n".join(f"{k} = {v}" for k, v in entries.items())
    (info / "entry_points.txt").write_text(f"[scenariogen.writers]\n{lines}\n")
    for mod, src in modules.items():
        (root / f"{mod}.py").write_text(textwrap.dedent(src))


@pytest.fixture
def plugins(tmp_path, monkeypatch):
    """Three third-party writers on sys.path: one fails to import, one has the wrong shape,
    one needs a dependency that is not installed."""
    root = tmp_path / "site"
    fake_dist(root, "fake-broken", {"broken": "fake_broken_mod:W"},
              {"fake_broken_mod": "raise ImportError('libfoo.so: cannot open shared object file')\n"})
    fake_dist(root, "fake-shape", {"shapeless": "fake_shape_mod:W"},
              {"fake_shape_mod": "class W:\n    name = 'shapeless'\n    def write(self): pass\n"})
    fake_dist(root, "fake-missing", {"fancy": "fake_missing_mod:W"},
              {"fake_missing_mod": GOOD_WRITER.format(name="fancy", requires=("surely_not_a_module_xyz",),
                                                      extra="fancy")})
    monkeypatch.syspath_prepend(str(root))
    yield root
    for mod in ("fake_broken_mod", "fake_shape_mod", "fake_missing_mod", "fake_dup_mod"):
        sys.modules.pop(mod, None)


def test_builtin_writers_come_through_entry_points():
    reg = writers()
    assert {"jsonl", "npz"} <= set(reg.names())
    assert isinstance(reg.get("jsonl"), JsonlWriter)
    origins = {e.name: e.dist for e in reg.entries()}
    assert origins["jsonl"] == origins["npz"] == "scenariogen"


def test_names_import_nothing(plugins):
    reg = writers()
    assert {"broken", "shapeless", "fancy", "jsonl", "npz"} <= set(reg.names())
    assert "fake_broken_mod" not in sys.modules and "fake_missing_mod" not in sys.modules


def test_broken_plugins_are_reported_by_name_and_the_others_work(plugins):
    reg = writers()
    status = {s.entry.name: s for s in reg.available()}
    assert status["jsonl"].status == status["npz"].status == "ok"
    b = status["broken"]
    assert b.status == "broken" and "'broken'" in b.reason and "fake-broken 0.1" in b.reason
    assert "ImportError" in b.reason and "libfoo.so" in b.reason
    s = status["shapeless"]
    assert s.status == "broken" and "fake-shape" in s.reason and "wrong shape" in s.reason
    assert "'extensions'" in s.reason and "'format_version'" in s.reason
    m = status["fancy"]
    assert m.status == "missing" and "surely_not_a_module_xyz" in m.reason
    assert 'pip install "fake-missing[fancy]"' in m.reason
    assert isinstance(reg.get("jsonl"), JsonlWriter)  # unaffected
    with pytest.raises(PluginError, match=r"writer plugin 'broken' from distribution fake-broken 0\.1 failed"):
        reg.get("broken")
    with pytest.raises(MissingDependencyError, match=r"fake-missing\[fancy\]"):
        reg.get("fancy")


def test_duplicate_names_raise_naming_both_distributions(plugins):
    fake_dist(plugins, "fake-dup", {"jsonl": "fake_dup_mod:W"},
              {"fake_dup_mod": GOOD_WRITER.format(name="jsonl", requires=(), extra=None)})
    reg = writers()
    with pytest.raises(PluginError, match=r"more than one distribution") as info:
        reg.get("jsonl")
    assert "scenariogen 0.1.0" in str(info.value) and "fake-dup 0.1" in str(info.value)
    dup = [s for s in reg.available() if s.entry.name == "jsonl"]
    assert len(dup) == 2 and all(s.status == "broken" for s in dup)
    assert isinstance(reg.get("npz"), object)  # other names still load


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(PluginError, match=r"unknown writer 'jsnl'; did you mean 'jsonl'\? \(valid: .*jsonl.*npz"):
        writers().get("jsnl")


def test_one_distribution_seen_twice_is_not_a_duplicate():
    class EP:
        def load(self):
            return JsonlWriter

    entry = PluginEntry("jsonl", "scenariogen.export.jsonl:JsonlWriter", "scenariogen", "0.1.0")
    twin = PluginEntry("jsonl", "scenariogen.export.jsonl:JsonlWriter", "Scenariogen", "0.1.0")
    reg = Registry("g", "writer", discover=lambda group: [(entry, EP()), (twin, EP())])
    assert reg.names() == ["jsonl"] and isinstance(reg.get("jsonl"), JsonlWriter)
    assert reg.get("jsonl") is reg.get("jsonl")  # loaded once


def test_formats_lists_writers_and_broken_ones(plugins, capsys):
    assert main(["formats"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "writers (scenariogen.writers):" in out and "readers (scenariogen.readers):" in out
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith("  ")}
    assert lines["jsonl"].endswith("ok") and "scenariogen 0.1.0" in lines["jsonl"]
    assert lines["npz"].endswith("ok") and "(folder)" in lines["npz"]
    assert "broken" in lines["broken"] and "fake-broken" in lines["broken"]
    assert "missing" in lines["fancy"] and "fake-missing[fancy]" in lines["fancy"]


def test_export_with_missing_dependency_names_the_extra(plugins, mc_run, tmp_path, capsys):
    out = tmp_path / "x.x"
    assert main(["export", str(mc_run), "--format", "fancy", "--out", str(out), "-q"]) == EXIT_USER_ERROR
    err = capsys.readouterr().err
    assert 'pip install "fake-missing[fancy]"' in err and "Traceback" not in err
    assert not out.exists()
