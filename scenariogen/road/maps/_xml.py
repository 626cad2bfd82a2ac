"""XML helpers for the map readers: parse a file with a precise error, read numbers by element."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from pathlib import Path

from .model import MapError

__all__ = ["parse_xml", "Numbers"]


def parse_xml(path: Path, data: bytes, what: str) -> ET.Element:
    """The root element of ``data``; MapError with the line and column of malformed XML."""
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        line, col = getattr(exc, "position", (0, 0))
        reason = str(exc).split(":")[0]
        raise MapError(path, f"not well-formed XML ({reason}); is this a {what} file?",
                       f"line {line}, column {col + 1}") from None


class Numbers:
    """Reads numbers out of elements, failing with the file and the element's description."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, where: str, detail: str) -> MapError:
        return MapError(self.path, detail, where)

    def attr(self, el: ET.Element, name: str, where: str, default: float | None = None) -> float:
        """The float attribute ``name`` of ``el`` (``default`` when absent, error when None)."""
        text = el.get(name)
        if text is None:
            if default is None:
                raise self.fail(where, f"missing attribute {name!r}")
            return default
        return self.number(text, where, f"attribute {name}")

    def text(self, el: ET.Element | None, where: str, what: str) -> float:
        """The float text of ``el``."""
        if el is None or el.text is None or not el.text.strip():
            raise self.fail(where, f"missing <{what}>")
        return self.number(el.text, where, f"<{what}>")

    def number(self, text: str, where: str, what: str) -> float:
        try:
            v = float(text)
        except ValueError:
            raise self.fail(where, f"{what} is not a number: {text.strip()[:40]!r}") from None
        if not math.isfinite(v):
            raise self.fail(where, f"{what} is not finite: {text.strip()[:40]!r}")
        return v
