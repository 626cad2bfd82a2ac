"""Safe YAML loading that keeps line and column marks for every key and value.

The result is plain Python data where mappings are :class:`YMap` and sequences
:class:`YSeq`; both remember where they and each of their entries start, so
the validator can point at the exact line and column of a problem. Guards:
file size, nesting depth, and the number of nodes after alias expansion
(an "alias bomb" is rejected instead of eating the memory).
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

MAX_BYTES = 1_000_000  # a scenario file is a few KB; 1 MB is generous
MAX_NODES = 100_000  # after alias expansion
MAX_DEPTH = 64


@dataclass(frozen=True)
class Mark:
    """1-based line and column in the source text."""

    line: int
    column: int


class YMap(dict):
    """A YAML mapping with ``mark`` (where it starts), ``key_marks`` and ``value_marks``."""

    mark: Mark
    key_marks: dict
    value_marks: dict


class YSeq(list):
    """A YAML sequence with ``mark`` and ``item_marks`` (one per item)."""

    mark: Mark
    item_marks: list


class LoadError(Exception):
    """Raised with a mark and message when the document cannot be loaded."""

    def __init__(self, mark: Mark, message: str):
        self.mark = mark
        self.message = message
        super().__init__(message)


def _mark(node_mark) -> Mark:
    return Mark(node_mark.line + 1, node_mark.column + 1)


class _Builder:
    def __init__(self, loader: yaml.SafeLoader):
        self.loader = loader
        self.count = 0
        self.duplicates: list[tuple[Mark, str]] = []

    def build(self, node: yaml.Node, depth: int = 0):
        self.count += 1
        if self.count > MAX_NODES:
            raise LoadError(
                _mark(node.start_mark),
                f"document expands to more than {MAX_NODES} nodes "
                "(a YAML alias bomb?); scenario files must be small",
            )
        if depth > MAX_DEPTH:
            raise LoadError(_mark(node.start_mark), f"nesting deeper than {MAX_DEPTH} levels")
        if isinstance(node, yaml.MappingNode):
            self.loader.flatten_mapping(node)
            out = YMap()
            out.mark = _mark(node.start_mark)
            out.key_marks, out.value_marks = {}, {}
            for knode, vnode in node.value:
                if not isinstance(knode, yaml.ScalarNode):
                    raise LoadError(_mark(knode.start_mark), "mapping keys must be plain names")
                key = self.loader.construct_object(knode)
                if not isinstance(key, str):
                    key = str(key)
                if key in out:
                    first = out.key_marks[key]
                    self.duplicates.append(
                        (_mark(knode.start_mark), f"duplicate key '{key}' (first defined at line {first.line})")
                    )
                    continue
                out.key_marks[key] = _mark(knode.start_mark)
                out.value_marks[key] = _mark(vnode.start_mark)
                out[key] = self.build(vnode, depth + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            seq = YSeq()
            seq.mark = _mark(node.start_mark)
            seq.item_marks = []
            for item in node.value:
                seq.item_marks.append(_mark(item.start_mark))
                seq.append(self.build(item, depth + 1))
            return seq
        try:
            return self.loader.construct_object(node)
        except yaml.constructor.ConstructorError as exc:
            raise LoadError(_mark(node.start_mark), _clean(exc.problem or str(exc))) from None


def _clean(text: str) -> str:
    return " ".join(str(text).split())


def load(text: str) -> tuple[object, list[tuple[Mark, str]]]:
    """Parse YAML text into marked data; returns (data, duplicate-key problems).

    Raises :class:`LoadError` for syntax errors, unsafe tags, oversize or
    alias-bomb documents.
    """
    if len(text.encode("utf-8", "replace")) > MAX_BYTES:
        raise LoadError(Mark(1, 1), f"file is larger than {MAX_BYTES // 1000} kB; scenario files must be small")
    loader = yaml.SafeLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            where = Mark(mark.line + 1, mark.column + 1) if mark else Mark(1, 1)
            msg = _clean(exc.problem or "invalid YAML")
            if exc.context:
                msg = f"{msg} ({_clean(exc.context)})"
            raise LoadError(where, f"YAML syntax error: {msg}") from None
        except yaml.YAMLError as exc:
            raise LoadError(Mark(1, 1), f"YAML error: {_clean(str(exc))}") from None
        if node is None:
            return None, []
        builder = _Builder(loader)
        try:
            data = builder.build(node)
        except RecursionError:
            raise LoadError(_mark(node.start_mark), "document nests too deeply (recursive alias?)") from None
        return data, builder.duplicates
    finally:
        loader.dispose()
