"""The table of a run's kept scenarios: one row per scenario with its id, events, key metrics,
collision, importance weight and conflict type; filtered by a small expression language and
sorted by a column. ``scenariogen list`` prints it and ``scenariogen report`` shows it in a page.

``row`` is the scenario's position among the kept ones (what ``render --row`` takes), ``id`` its
global scenario index (what ``render --id`` takes and what every other output names).
"""

from __future__ import annotations

import ast
import math
import operator
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

from ..errors import ParameterError, ScenarioGenError

#: (column, what it holds) in the order they are printed
COLUMNS = (
    ("row", "position among the kept scenarios (render --row)"),
    ("id", "global scenario index (render --id)"),
    ("stage", "sampler stage that drew it (-1: a simulate batch)"),
    ("events", "the events that fired, in the scenario file's order"),
    ("min_ttc", "s, smallest TTC of the ego (inf: none)"),
    ("min_distance", "m, smallest box distance of the ego to any agent"),
    ("max_drac", "m/s^2, largest deceleration rate to avoid a crash"),
    ("collision", "the first collision's two agents, 'a x b' ('' if none)"),
    ("collision_time", "s, when it happened (inf: none)"),
    ("weight", "importance weight p/q of its parameters (1 for plain sampling)"),
    ("conflict", "conflict type of a target event: party, side, motion, contact, pile-up"),
)
NUMERIC = ("row", "id", "stage", "min_ttc", "min_distance", "max_drac", "collision_time", "weight")


@dataclass(frozen=True)
class ScenarioRow:
    """One kept scenario; the units are those of :data:`COLUMNS`."""

    row: int
    id: int
    stage: int
    events: tuple[str, ...]
    min_ttc: float
    min_distance: float
    max_drac: float
    collision: str
    collision_time: float
    weight: float
    conflict: str

    def to_dict(self) -> dict:
        """JSON-ready: non-finite numbers as the strings 'inf', '-inf', 'nan' (strict JSON has none)."""
        d = asdict(self)
        d["events"] = list(self.events)
        return {k: (str(v) if isinstance(v, float) and not math.isfinite(v) else v) for k, v in d.items()}


@dataclass(frozen=True)
class ScenarioTable:
    """The kept scenarios of ``source`` (a run directory or a simulate ``.npz``), in row order;
    ``events`` names every event of the scenario file, ``target`` the run's target event."""

    source: str
    spec_name: str
    target: str
    events: tuple[str, ...]
    rows: tuple[ScenarioRow, ...]

    def lines(self, rows: Sequence[ScenarioRow] | None = None) -> list[str]:
        """``rows`` (default: all) as an aligned text table, header first."""
        return list(format_rows(list(self.rows if rows is None else rows)))


def shard_rows(batch, sim: dict | None, first_row: int, stage: int) -> list[ScenarioRow]:
    """The rows of one shard's kept ``batch`` (frames not needed), numbered from ``first_row``;
    ``sim``: the shard's per-simulation arrays (None for a simulate batch: weight 1, no conflict)."""
    from ..events.conflicts import conflict_names

    names = list(batch.agent_names)
    m = batch.metrics
    B = batch.size
    ids = np.asarray(batch.indices, np.int64)
    weight = np.ones(B)
    conflict = [""] * B
    if sim is not None and "index" in sim:
        sim_ids = np.asarray(sim["index"], np.int64)
        order = np.argsort(sim_ids, kind="stable")
        pos = order[np.searchsorted(sim_ids, ids, sorter=order)]
        weight = np.exp(np.asarray(sim["log_weight"], np.float64)[pos])
        if "conflict" in sim:  # recorded for the target events only
            ev = np.flatnonzero(np.asarray(sim["event"], bool)[pos])
            for b, name in zip(ev, conflict_names(np.asarray(sim["conflict"])[pos[ev]], names)):
                conflict[b] = name
    labels = [(k, np.asarray(v, bool)) for k, v in batch.labels.items()]
    get = lambda key: np.asarray(m.get(key, np.full(B, math.inf)), np.float64)  # noqa: E731
    ttc, dist, drac, ct = get("min_ttc"), get("min_distance"), get("max_drac"), get("collision_time")
    ca, cb = get("collision_a"), get("collision_b")
    out = []
    for b in range(B):
        pair = ""
        if math.isfinite(ct[b]) and ca[b] >= 0 and cb[b] >= 0:
            pair = f"{names[int(ca[b])]} x {names[int(cb[b])]}"
        out.append(ScenarioRow(
            row=first_row + b, id=int(ids[b]), stage=stage, events=tuple(k for k, v in labels if v[b]),
            min_ttc=float(ttc[b]), min_distance=float(dist[b]), max_drac=float(drac[b]), collision=pair,
            collision_time=float(ct[b]), weight=float(weight[b]), conflict=conflict[b]))
    return out


def scenario_table(source: str | Path) -> ScenarioTable:
    """The table of a run directory's kept scenarios (verified as they are read), or of every
    scenario of a simulate ``.npz``. Reads no recorded frames."""
    from ..data.npz import load_npz
    from ..data.run import MANIFEST, open_run

    path = Path(source)
    if path.is_dir() and (path / MANIFEST).exists():
        run = open_run(path, complete=False)
        rows: list[ScenarioRow] = []
        batch = None
        for rec, batch, sim in run.kept(frames=False):
            rows += shard_rows(batch, sim, len(rows), rec.stage)
        events = tuple(batch.labels) if batch is not None else ()
        return ScenarioTable(str(path), run.manifest.spec_name, str(run.manifest.settings.get("target", "")),
                             events, tuple(rows))
    if path.suffix == ".npz" and path.is_file():
        batch = load_npz(path, frames=False)
        prov = batch.provenance or {}
        return ScenarioTable(str(path), str(prov.get("spec_name", path.stem)), str(prov.get("target") or ""),
                             tuple(batch.labels), tuple(shard_rows(batch, None, 0, -1)))
    if not path.exists():
        raise ScenarioGenError(f"{path}: no such file or directory")
    raise ScenarioGenError(f"{path}: expected a run directory of 'scenariogen generate' (with a {MANIFEST}) "
                           "or an .npz file of 'scenariogen simulate'")


# ------------------------------------------------------------------ --where and --sort

_CMP = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
        ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.In: lambda a, b: a in b,
        ast.NotIn: lambda a, b: a not in b}


def compile_where(expr: str, events: tuple[str, ...]):
    """A row predicate for ``expr``: comparisons (<, <=, >, >=, ==, !=, in, not in) of the columns,
    the event names (true when the event fired), numbers and texts, joined by and, or, not, e.g.
    ``"min_ttc < 0.5 and not collision"`` or ``"'pile-up' in conflict"``; a :class:`ParameterError`
    naming the problem for anything else (other names, calls, attributes)."""
    names = {f.name for f in fields(ScenarioRow)}
    known = sorted(names | set(events))
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError as exc:
        raise ParameterError("where", f": {expr!r} is not a condition ({exc.msg} at column {exc.offset})") from None

    def check(node: ast.AST) -> None:
        if isinstance(node, ast.Name):
            if node.id not in names and node.id not in events and node.id not in ("inf", "nan"):
                raise ParameterError("where", f": unknown name {node.id!r} in {expr!r}; known: {', '.join(known)}")
        elif isinstance(node, ast.Constant):
            if not isinstance(node.value, (int, float, str, bool)):
                raise ParameterError("where", f": {node.value!r} in {expr!r}: only numbers and texts")
        elif isinstance(node, ast.Compare):
            if not all(type(op) in _CMP for op in node.ops):
                raise ParameterError("where", f": {expr!r}: only <, <=, >, >=, ==, !=, in and not in compare")
        elif not isinstance(node, (ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub,
                                   ast.Load) + tuple(_CMP)):
            raise ParameterError("where", f": {expr!r}: {type(node).__name__.lower()} is not allowed; "
                                 "write comparisons joined by and, or, not")
        for child in ast.iter_child_nodes(node):
            check(child)

    check(tree)

    def value(node: ast.AST, env: dict) -> Any:
        if isinstance(node, ast.Expression):
            return value(node.body, env)
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return env[node.id] if node.id in env else (node.id in env["events"] if node.id in events
                                                        else float(node.id))
        if isinstance(node, ast.UnaryOp):
            v = value(node.operand, env)
            if isinstance(node.op, ast.Not):
                return not v
            try:
                return -v
            except TypeError:
                raise ParameterError("where", f": {expr!r}: cannot negate {v!r}") from None
        if isinstance(node, ast.BoolOp):
            vals = (value(v, env) for v in node.values)
            return all(vals) if isinstance(node.op, ast.And) else any(vals)
        left = value(node.left, env)
        for op, right_node in zip(node.ops, node.comparators):
            right = value(right_node, env)
            try:
                if not _CMP[type(op)](left, right):
                    return False
            except TypeError:
                raise ParameterError("where", f": {expr!r}: cannot compare {left!r} with {right!r}") from None
            left = right
        return True

    def predicate(row: ScenarioRow) -> bool:
        return bool(value(tree, {f.name: getattr(row, f.name) for f in fields(row)}))

    return predicate


def select(table: ScenarioTable, where: str | None = None, sort: str | None = None,
           descending: bool = False) -> list[ScenarioRow]:
    """The rows that satisfy ``where``, ordered by the column ``sort`` (``-column``, or
    ``descending``, for the largest first; ties keep row order)."""
    rows = list(table.rows)
    if where:
        keep = compile_where(where, table.events)
        rows = [r for r in rows if keep(r)]
    if sort:
        key = sort.lstrip("-")
        cols = [c for c, _ in COLUMNS]
        if key not in cols:
            raise ParameterError("sort", f": unknown column {key!r}; sort by one of {', '.join(cols)}")
        rows.sort(key=lambda r: _sort_key(getattr(r, key)), reverse=sort.startswith("-") != descending)
    return rows


def _sort_key(v: Any) -> Any:
    if isinstance(v, tuple):
        return ", ".join(v)
    if isinstance(v, float) and math.isnan(v):
        return math.inf
    return v


def format_rows(rows: list[ScenarioRow]) -> Iterator[str]:
    """The rows as an aligned text table, header first."""
    def cell(v: Any) -> str:
        if isinstance(v, tuple):
            return ",".join(v) or "-"
        if isinstance(v, float):
            return "inf" if v == math.inf else f"{v:.3g}"
        return str(v) if v != "" else "-"

    cols = [c for c, _ in COLUMNS]
    cells = [[cell(getattr(r, c)) for c in cols] for r in rows]
    width = [max([len(c)] + [len(line[j]) for line in cells]) for j, c in enumerate(cols)]
    right = {j for j, c in enumerate(cols) if c in NUMERIC}

    def line(vals: list[str]) -> str:
        return "  ".join(v.rjust(width[j]) if j in right else v.ljust(width[j])
                         for j, v in enumerate(vals)).rstrip()

    yield line(cols)
    for vals in cells:
        yield line(vals)
