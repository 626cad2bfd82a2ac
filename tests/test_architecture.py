"""The import rules of docs/architecture.md, enforced: each package imports only the packages below it.

Imports are read from the source (module level and inside functions alike); imports under
``if TYPE_CHECKING:`` are type hints only and are not counted.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "scenariogen"

# what each top-level module or package of scenariogen may import from scenariogen (besides itself)
ALLOWED = {
    "errors": set(),
    "_version": set(),
    "data": {"errors"},
    "kernels": {"data"},
    "road": {"errors"},
    "dsl": {"errors", "road", "logs"},
    "registry": {"errors"},
    "events": {"errors", "data", "dsl", "kernels"},
    "sim": {"_version", "errors", "data", "kernels", "road", "dsl", "events"},
    "sampling": {"errors", "data", "kernels", "dsl"},
    "parallel": {"errors", "data", "dsl", "events", "sim"},
    "runs": {"_version", "errors", "data", "dsl", "events", "sim", "sampling", "parallel"},
    "logs": {"errors", "data", "registry"},
    "coverage": {"_version", "errors", "data", "kernels", "sampling", "logs"},
    "calibrate": {"_version", "errors", "data", "dsl", "sim", "logs", "coverage"},
    "export": {"_version", "errors", "data", "road", "dsl", "registry"},
    "render": {"errors", "data", "road", "dsl"},
    "report": {"_version", "errors", "data", "road", "dsl", "events"},
    "api": {"_version", "errors", "data", "road", "dsl", "sim", "sampling", "parallel", "runs", "logs",
            "coverage", "calibrate", "export", "render", "report"},
    "cli": {"_version", "errors", "api"},
    "__init__": {"_version", "errors", "api", "data", "dsl"},
}


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for sub in node.body:
                lines.update(range(sub.lineno, (sub.end_lineno or sub.lineno) + 1))
    return lines


def imports_of(path: Path) -> set[str]:
    """The scenariogen modules ``path`` imports, as dotted names below ``scenariogen``."""
    rel = path.relative_to(PACKAGE.parent).with_suffix("").parts
    package = list(rel[:-1]) if rel[-1] != "__init__" else list(rel[:-1])
    tree = ast.parse(path.read_text(encoding="utf-8"))
    hints = _type_checking_lines(tree)
    found = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in hints:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                names = [".".join(base + [node.module])] if node.module else [".".join(base + [a.name]) for a in node.names]
            else:
                names = [node.module] if node.module else []
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        found.update(n for n in names if n == "scenariogen" or n.startswith("scenariogen."))
    return found


def _top(dotted: str) -> str:
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_package_is_ruled():
    tops = {_top(".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts)) for p in MODULES}
    assert tops <= set(ALLOWED), f"packages without an import rule: {sorted(tops - set(ALLOWED))}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_follow_the_layers(path):
    me = _top(".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts))
    bad = sorted(t for t in imports_of(path) if _top(t) != me and _top(t) not in ALLOWED[me])
    assert not bad, f"{me} may import only {sorted(ALLOWED[me])}; {path.name} imports {bad}"


def test_kernels_import_only_the_layout():
    for path in (PACKAGE / "kernels").glob("*.py"):
        outside = {t for t in imports_of(path) if not t.startswith("scenariogen.kernels")}
        assert outside <= {"scenariogen.data.layout"}, f"{path.name} imports {sorted(outside)}"


def test_the_rules_match_the_documented_ones():
    """docs/architecture.md lists the same rules (a table row per package)."""
    doc = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    for name, allowed in ALLOWED.items():
        row = next((line for line in doc.splitlines() if line.startswith(f"| `{name}` ")), None)
        assert row is not None, f"docs/architecture.md has no row for {name}"
        cell = row.split("|")[2]
        listed = {w.strip("` ") for w in cell.split(",") if w.strip("` ") and w.strip() != "nothing"}
        assert listed == allowed, f"{name}: the doc says {sorted(listed)}, the test {sorted(allowed)}"
