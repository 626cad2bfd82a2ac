"""Shared pieces of the log readers: the error type, the reader protocol, kind tables, and the
overlap test of logged boxes.

A reader is a class with class attributes ``name``, ``extensions`` (file name
endings it claims, lower case, with the dot), ``format_version`` (the format
versions it understands, as text), ``requires`` (optional Python packages it
needs, as import names) and a classmethod ``read(path, **options) -> LogScenes``.
The class itself is what the ``scenariogen.readers`` entry points name, so
``Reader.read(path)`` and ``Reader().read(path)`` both work.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from typing import ClassVar

import numpy as np

from ..errors import LogFormatError, MissingDependencyError
from ..data import layout as Lo

CAR = Lo.KIND_CODES["car"]
TRUCK = Lo.KIND_CODES["truck"]
BUS = Lo.KIND_CODES["bus"]
MOTORCYCLE = Lo.KIND_CODES["motorcycle"]
BICYCLE = Lo.KIND_CODES["bicycle"]
PEDESTRIAN = Lo.KIND_CODES["pedestrian"]

VEHICLE_KINDS = (CAR, TRUCK, BUS, MOTORCYCLE)

# nominal footprint (length, width) in metres per kind code, for formats without box sizes
NOMINAL_SIZE = {CAR: (4.5, 1.9), TRUCK: (8.0, 2.5), BUS: (12.0, 2.6), MOTORCYCLE: (2.2, 0.8),
                BICYCLE: (1.8, 0.6), PEDESTRIAN: (0.5, 0.5)}


MAX_SIZE = 100.0  # m: no road user is longer or wider
MAX_COORD = 1e9  # m: no frame of a log reaches further from its origin
MAX_SPEED = 1e3  # m/s: no road user's logged speed is faster


def size_problem(length, width) -> str | None:
    """What is impossible about a box of ``length`` x ``width`` metres (not a number, not finite, not
    positive, above ``MAX_SIZE``), or None."""
    for name, v in (("length", length), ("width", width)):
        try:
            f = float(v)
        except (TypeError, ValueError):
            return f"{name} {v!r} is not a number"
        if not (math.isfinite(f) and 0 < f <= MAX_SIZE):
            return f"{name} {f:g} m is impossible (must be positive and at most {MAX_SIZE:g} m)"
    return None


def require(modules: tuple[str, ...], extra: str, what: str) -> None:
    """Raise :class:`MissingDependencyError` naming ``pip install scenariogen[extra]`` if a module is missing."""
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise MissingDependencyError(
            f"{what} needs {', '.join(missing)}, which is not installed: pip install scenariogen[{extra}]")


class Reader:
    """Base of the log readers (see the module docstring)."""

    name: ClassVar[str] = ""
    extensions: ClassVar[tuple[str, ...]] = ()
    format_version: ClassVar[str] = ""
    requires: ClassVar[tuple[str, ...]] = ()
    description: ClassVar[str] = ""

    @classmethod
    def sniff(cls, path: Path) -> bool:
        """True if the file or directory looks like this reader's format (cheap, content based)."""
        return False

    @classmethod
    def read(cls, path, **options):  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<reader {self.name}>"


def head_bytes(path: Path, n: int = 4096) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(n)
    except OSError:
        return b""


def check_exists(path) -> Path:
    p = Path(path)
    if not p.exists():
        raise LogFormatError(p, "no such file or directory")
    return p


def boxes_overlap(x1, y1, h1, l1, w1, x2, y2, h2, l2, w2) -> np.ndarray:
    """Whether oriented boxes (centre m, heading rad, length and width m) overlap, elementwise
    with broadcasting (separating axes; touching counts as overlapping)."""
    dx, dy = x2 - x1, y2 - y1
    c1, s1, c2, s2 = np.cos(h1), np.sin(h1), np.cos(h2), np.sin(h2)
    out = np.ones(np.broadcast(dx, dy, h1, h2).shape, bool)
    for ax, ay in ((c1, s1), (-s1, c1), (c2, s2), (-s2, c2)):
        r1 = 0.5 * l1 * np.abs(c1 * ax + s1 * ay) + 0.5 * w1 * np.abs(-s1 * ax + c1 * ay)
        r2 = 0.5 * l2 * np.abs(c2 * ax + s2 * ay) + 0.5 * w2 * np.abs(-s2 * ax + c2 * ay)
        out &= np.abs(ax * dx + ay * dy) <= r1 + r2
    return out
