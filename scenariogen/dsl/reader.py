"""The YAML node reader: typed reads of marked YAML nodes that record a
:class:`~scenariogen.errors.Problem` (file, line, column, key path, message)
for every mistake and let the walk go on.

Also the small vocabulary every section parser shares: key paths, type names
for messages, did-you-mean hints and the allowed :class:`Range` of a number.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from collections.abc import Iterable, Sequence
from typing import Any

from ..errors import Problem
from .limits import MAX_MAGNITUDE
from .yamlmarks import Mark, YMap, YSeq

NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_NUM_TYPES = (int, float)


def is_number(x: Any) -> bool:
    """An int or float, not a bool."""
    return isinstance(x, _NUM_TYPES) and not isinstance(x, bool)


def is_finite(x: Any) -> bool:
    """A number that is neither inf/nan nor an integer too large for a float."""
    try:
        return math.isfinite(x)
    except OverflowError:
        return False


_SCI_RE = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+$")


def type_name(x: Any) -> str:
    """What ``x`` is, in words, for a message ("got an integer")."""
    if x is None:
        return "nothing (null)"
    if isinstance(x, bool):
        return "a boolean"
    if isinstance(x, int):
        return "an integer"
    if isinstance(x, float):
        return "a number"
    if isinstance(x, str):
        if _SCI_RE.match(x.strip()):
            # YAML 1.1 reads 1e-3 as text: a float needs a '.' in the mantissa and a sign in the exponent
            return f"the text '{x}' (YAML reads this as text; write the number like 1.0e-3 or 0.001)"
        return f"the text '{x}'" if len(x) < 30 else "a text"
    if isinstance(x, list):
        return "a list"
    if isinstance(x, dict):
        return "a mapping"
    return type(x).__name__


def short_num(x: Any) -> str:
    """``x`` as text, cut short when it has many digits."""
    return str(x) if len(str(x)) <= 20 else f"{str(x)[:12]}... ({len(str(x))} digits)"


def did_you_mean(word: str, options: Iterable[Any]) -> str:
    """A hint naming the option closest to ``word``, or ``""``."""
    close = difflib.get_close_matches(str(word), [str(o) for o in options], n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


@dataclass(frozen=True)
class Range:
    """Allowed interval of a numeric field (either end may be open/None)."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    integer: bool = False

    def contains(self, x: float) -> bool:
        if self.low is not None and (x < self.low or (self.low_open and x == self.low)):
            return False
        if self.high is not None and x > self.high:
            return False
        return True

    def describe(self) -> str:
        lo = "-inf" if self.low is None else f"{self.low:g}"
        hi = "inf" if self.high is None else f"{self.high:g}"
        left = "(" if (self.low_open or self.low is None) else "["
        right = ")" if self.high is None else "]"
        return f"{left}{lo}, {hi}{right}"


ANY = Range()
NONNEG = Range(0.0)
POS = Range(0.0, low_open=True)
PROB = Range(0.0, 1.0)
COUNT = Range(0.0, integer=True)


def too_large(x: float, what: str = "value") -> str:
    """The message for a number beyond :data:`~scenariogen.dsl.limits.MAX_MAGNITUDE`."""
    shown = f"{x:g}" if isinstance(x, float) else short_num(x)
    return f"{what} {shown} is beyond the limit of +-{MAX_MAGNITUDE:g} on any number here (docs/dsl.md, Limits)"


def join_path(path: str, key: str) -> str:
    """The key path of ``key`` under ``path`` (``actors.ego`` + ``speed``)."""
    return f"{path}.{key}" if path else str(key)


class NodeReader:
    """Reads the nodes of one file and collects its problems."""

    def __init__(self, file: str, text: str):
        self.file = file
        self.lines = text.splitlines()
        self.problems: list[Problem] = []

    # ---------------------------------------------------------------- reporting
    def error(self, mark: Mark, path: str, message: str) -> None:
        snippet = ""
        if 1 <= mark.line <= len(self.lines):
            src = self.lines[mark.line - 1]
            snippet = f"    {src}\n    {' ' * (mark.column - 1)}^"
        self.problems.append(Problem(self.file, mark.line, mark.column, path, message, snippet))

    # ------------------------------------------------------------------ shapes
    def mapping(self, node: Any, mark: Mark, path: str, what: str = "a mapping") -> YMap | None:
        if isinstance(node, YMap):
            return node
        self.error(mark, path, f"expected {what}, got {type_name(node)}")
        return None

    def keys(self, m: YMap, path: str, allowed: Sequence[str], required: Sequence[str] = ()) -> bool:
        ok = True
        for k in m:
            if k not in allowed:
                self.error(m.key_marks[k], join_path(path, k), f"unknown key '{k}'{did_you_mean(k, allowed)}"
                           + f" (allowed: {', '.join(allowed)})")
                ok = False
        for k in required:
            if k not in m:
                self.error(m.mark, path, f"missing required key '{k}'")
                ok = False
        return ok

    def at(self, m: YMap, key: str) -> Mark:
        return m.value_marks.get(key, m.mark)

    def number(self, m: YMap, key: str, path: str, default: float | None, rng: Range = ANY,
               bounded: bool = True) -> float | None:
        """The number at ``key`` in ``rng`` (and, when ``bounded``, within +-MAX_MAGNITUDE)."""
        p = join_path(path, key)
        if key not in m:
            if default is None:
                self.error(m.mark, path, f"missing required key '{key}'")
            return default
        x = m[key]
        if not is_number(x):
            self.error(self.at(m, key), p, f"expected a number, got {type_name(x)}")
            return default
        if not is_finite(x):
            self.error(self.at(m, key), p, f"expected a finite number, got {short_num(x)}")
            return default
        if rng.integer and isinstance(x, float) and not x.is_integer():
            self.error(self.at(m, key), p, f"expected an integer, got {x}")
            return default
        if not rng.contains(float(x)):
            self.error(self.at(m, key), p, f"value {x} is out of range: expected a number in {rng.describe()}")
            return default
        if bounded and abs(x) > MAX_MAGNITUDE:
            self.error(self.at(m, key), p, too_large(x))
            return default
        return float(x)

    def text(self, m: YMap, key: str, path: str, default: str | None) -> str | None:
        if key not in m:
            if default is None:
                self.error(m.mark, path, f"missing required key '{key}'")
            return default
        x = m[key]
        if not isinstance(x, str):
            self.error(self.at(m, key), join_path(path, key), f"expected a text, got {type_name(x)}")
            return default
        return x

    # ------------------------------------------------------------------- lists
    def pair(self, body: Any, mark: Mark, path: str) -> tuple[float, float] | None:
        vals = self.numbers(body, mark, path)
        if vals is None:
            return None
        if len(vals) != 2:
            self.error(mark, path, f"expected a list of two numbers [low, high], got {len(vals)} values")
            return None
        return vals[0], vals[1]

    def numbers(self, body: Any, mark: Mark, path: str) -> list[float] | None:
        if not isinstance(body, YSeq):
            self.error(mark, path, f"expected a list of numbers, got {type_name(body)}")
            return None
        out = []
        for i, (v, vm) in enumerate(zip(body, body.item_marks)):
            if not is_number(v) or not is_finite(v):
                what = f"a finite number, got {short_num(v)}" if is_number(v) else f"a number, got {type_name(v)}"
                self.error(vm, f"{path}[{i}]", f"expected {what}")
                return None
            out.append(float(v))
        return out

    def points(self, body: Any, mark: Mark, path: str, min_points: int) -> tuple[tuple[float, float], ...] | None:
        if not isinstance(body, YSeq):
            self.error(mark, path, f"expected a list of [x, y] points, got {type_name(body)}")
            return None
        pts = []
        for i, (v, vm) in enumerate(zip(body, body.item_marks)):
            pr = self.pair(v, vm, f"{path}[{i}]")
            if pr is None:
                return None
            if max(abs(pr[0]), abs(pr[1])) > MAX_MAGNITUDE:
                self.error(vm, f"{path}[{i}]", too_large(max(pr, key=abs), "coordinate"))
                return None
            pts.append(pr)
        if len(pts) < min_points:
            self.error(mark, path, f"expected at least {min_points} points, got {len(pts)}")
            return None
        return tuple(pts)
