"""Indented XML written straight to text, and floats as attribute text.

For elements with attributes and no text, :class:`XmlLines` writes the bytes
``ET.indent(root, space=" ")`` then ``ET.tostring(root, encoding="utf-8",
xml_declaration=True)`` write, plus a final newline, without building the
elements (serialising thousands of small elements was what limited the
OpenSCENARIO export).
"""

from __future__ import annotations

from ..data.files import valid_text

__all__ = ["XmlLines", "attrs", "escape", "float_text"]

_ESCAPE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\r": "&#13;", "\n": "&#10;",
                         "\t": "&#09;"})  # ElementTree's escaping of attribute values


def float_text(x) -> str:
    """A float as the shortest text that reads back to the same double."""
    x = float(x)
    return "0" if x == 0.0 else repr(x)


def escape(value: str) -> str:
    """An attribute value escaped as ElementTree writes it, after the characters XML 1.0 cannot
    hold (control characters, lone surrogates) are replaced by U+FFFD."""
    return valid_text(value).translate(_ESCAPE)


def attrs(**kw: str) -> str:
    """`` k="v"`` for each keyword, values escaped as ElementTree writes them."""
    return "".join(f' {k}="{escape(v)}"' for k, v in kw.items())


class XmlLines:
    """An XML document written line by line: one element per line, one space of indentation per
    level, ``<Tag a="v" />`` when empty. Attribute text passed in is written as it is (escape it
    with :func:`attrs` or :func:`escape`); ``lines`` may be extended directly at ``depth``."""

    __slots__ = ("depth", "lines")

    def __init__(self) -> None:
        self.lines = ["<?xml version='1.0' encoding='utf-8'?>"]
        self.depth = 0

    def open(self, tag: str, attrs: str = "") -> None:
        self.lines.append(f"{' ' * self.depth}<{tag}{attrs}>")
        self.depth += 1

    def close(self, tag: str) -> None:
        self.depth -= 1
        self.lines.append(f"{' ' * self.depth}</{tag}>")

    def empty(self, tag: str, attrs: str = "") -> None:
        self.lines.append(f"{' ' * self.depth}<{tag}{attrs} />")

    def bytes(self) -> bytes:
        return ("\n".join(self.lines) + "\n").encode("utf-8", "xmlcharrefreplace")
