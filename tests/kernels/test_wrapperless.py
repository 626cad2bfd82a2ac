"""Kernels compiled without a CPython wrapper (``no_cpython_wrapper=True``) crash the interpreter
when called from Python, so no code outside ``scenariogen/kernels`` may call them: this reads every
import and attribute access of the package, the tests and the benchmarks."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KERNELS = ROOT / "scenariogen" / "kernels"


def wrapperless() -> dict[str, set[str]]:
    """Module name -> names of its functions decorated ``@njit(..., no_cpython_wrapper=True)``
    (read from the source, so it holds with the JIT disabled too)."""
    out: dict[str, set[str]] = {}
    for path in sorted(KERNELS.glob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and any(
                    isinstance(d, ast.Call) and any(k.arg == "no_cpython_wrapper" and isinstance(k.value, ast.Constant)
                                                    and k.value.value is True for k in d.keywords)
                    for d in node.decorator_list):
                out.setdefault(path.stem, set()).add(node.name)
    return out


def calls_from_python(tagged: dict[str, set[str]], files: list[Path]) -> list[str]:
    """Uses of a wrapperless kernel in ``files``: ``from ...kernels.m import f``, or ``m.f`` where
    ``m`` was imported from the kernels package."""
    found = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        if "kernels" not in text:
            continue
        tree = ast.parse(text)
        aliases: dict[str, str] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and "kernels" in node.module.split("."):
                mod = node.module.split(".")[-1]
                for a in node.names:
                    if a.name in tagged.get(mod, ()):
                        found.append(f"{path.name}:{node.lineno}: imports {mod}.{a.name}")
                    if mod == "kernels" and a.name in tagged:
                        aliases[a.asname or a.name] = a.name
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                    and node.attr in tagged[aliases[node.value.id]]):
                found.append(f"{path.name}:{node.lineno}: uses {aliases[node.value.id]}.{node.attr}")
    return found


@pytest.fixture(scope="module")
def tagged():
    return wrapperless()


def test_the_step_and_its_helpers_are_wrapperless(tagged):
    assert "_simulate_one" in tagged["step"] and "right_of_way_gap" in tagged["rules"]
    assert "simulate_range" not in tagged["step"]  # the engine calls it from Python


def test_no_wrapperless_kernel_is_called_from_python(tagged):
    files = [p for d in ("scenariogen", "tests", "benchmarks") for p in (ROOT / d).rglob("*.py")
             if KERNELS not in p.parents]
    assert calls_from_python(tagged, files) == []


def test_the_check_finds_imports_and_attribute_calls(tmp_path):
    tagged = {"maneuvers": {"safe_change"}, "rules": {"right_of_way_gap"}}
    a = tmp_path / "a.py"
    a.write_text("from scenariogen.kernels import maneuvers as M\nM.safe_change(1)\nM.scan_lane(2)\n")
    b = tmp_path / "b.py"
    b.write_text("from ..kernels.rules import right_of_way_gap, has_rules\n")
    assert calls_from_python(tagged, [a, b]) == ["a.py:2: uses maneuvers.safe_change",
                                                 "b.py:1: imports rules.right_of_way_gap"]
