"""Safe YAML loading that keeps line and column marks for every key and value.

The result is plain Python data where mappings are :class:`YMap` and sequences
:class:`YSeq`; both remember where they and each of their entries start, so
the validator can point at the exact line and column of a problem. Guards:
file size, nesting depth, and the number of nodes after alias expansion
(an "alias bomb" is rejected instead of eating the memory).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from .limits import MAX_BYTES, MAX_DEPTH, MAX_NODES

# what YAML refuses to read raw (PyYAML's NON_PRINTABLE): C0 controls but tab, LF and CR, DEL, C1
# controls but NEL, surrogates, U+FFFE and U+FFFF; refused written as escapes too ("\0", "\x07")
_UNPRINTABLE = re.compile("[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]")


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

    def __init__(self, mark: Mark, message: str, path: str = ""):
        self.mark = mark
        self.message = message
        self.path = path  # dotted key path of the offending value, when known
        super().__init__(message)


def _mark(node_mark) -> Mark:
    return Mark(node_mark.line + 1, node_mark.column + 1)


_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MERGE_TAG = "tag:yaml.org,2002:merge"


def _short_tag(tag: str) -> str:
    return "!!" + tag[len("tag:yaml.org,2002:"):] if tag.startswith("tag:yaml.org,2002:") else tag


class _Builder:
    def __init__(self, loader: yaml.SafeLoader):
        self.loader = loader
        self.count = 0
        # (mark, message) -> key path; a dict keeps file order and reports a duplicate
        # once even when an aliased mapping is expanded more than once
        self.duplicates: dict[tuple[Mark, str], str] = {}
        self.unprintable: dict[tuple[Mark, str], str] = {}  # the same, for text with control characters
        self._explicit: dict[int, set[int]] = {}  # mapping node id -> ids of its own key nodes

    def scalar(self, node: yaml.Node, path: str):
        """Construct a scalar; any failure (unknown tag, `!!float abc`) becomes a LoadError."""
        if node.tag not in self.loader.yaml_constructors:
            raise LoadError(_mark(node.start_mark), f"YAML tag '{_short_tag(node.tag)}' is not allowed; "
                            "scenario files use plain YAML values", path)
        try:
            value = self.loader.construct_object(node)
        except yaml.constructor.ConstructorError as exc:
            raise LoadError(_mark(node.start_mark), _clean(exc.problem or str(exc)), path) from None
        except (ValueError, TypeError, AttributeError, OverflowError):
            raise LoadError(_mark(node.start_mark),
                            f"cannot read {node.value!r} as {_short_tag(node.tag)}", path) from None
        if isinstance(value, str) and (bad := _UNPRINTABLE.search(value)):
            msg = (f"text holds the character #x{ord(bad.group()):04x}, written as an escape; scenario text "
                   "cannot hold control characters or invalid code points (they would end up in file names and XML)")
            self.unprintable.setdefault((_mark(node.start_mark), msg), path)
        return value

    def _remember_written_keys(self, node: yaml.MappingNode, depth: int = 0) -> None:
        """Record the key nodes written in ``node`` and in the mappings it merges,
        before ``flatten_mapping`` (which also flattens merge sources) mixes them."""
        if id(node) in self._explicit or depth > MAX_DEPTH:
            return
        self._explicit[id(node)] = {id(k) for k, _ in node.value if k.tag != _MERGE_TAG}
        for k, v in node.value:
            if k.tag == _MERGE_TAG:
                for src in (v.value if isinstance(v, yaml.SequenceNode) else [v]):
                    if isinstance(src, yaml.MappingNode):
                        self._remember_written_keys(src, depth + 1)

    def build(self, node: yaml.Node, depth: int = 0, path: str = ""):
        self.count += 1
        if self.count > MAX_NODES:
            raise LoadError(
                _mark(node.start_mark),
                f"document expands to more than {MAX_NODES} nodes "
                "(a YAML alias bomb?); scenario files must be small",
            )
        if depth > MAX_DEPTH:
            raise LoadError(_mark(node.start_mark), f"nesting deeper than {MAX_DEPTH} levels")
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.tag not in (_MAP_TAG, _SEQ_TAG):
            raise LoadError(_mark(node.start_mark), f"YAML tag '{_short_tag(node.tag)}' is not allowed; "
                            "scenario files use plain mappings and lists", path)
        if isinstance(node, yaml.MappingNode):
            # keys written in this mapping itself, before merge keys (<<: *anchor) are
            # flattened in; a written key overrides a merged one, two written ones clash
            self._remember_written_keys(node)
            explicit = self._explicit[id(node)]
            try:
                self.loader.flatten_mapping(node)
            except yaml.constructor.ConstructorError as exc:
                mark = exc.problem_mark or node.start_mark
                raise LoadError(_mark(mark), _clean(exc.problem or str(exc)), path) from None
            out = YMap()
            out.mark = _mark(node.start_mark)
            out.key_marks, out.value_marks = {}, {}
            written: set[str] = set()
            for knode, vnode in node.value:
                if not isinstance(knode, yaml.ScalarNode):
                    raise LoadError(_mark(knode.start_mark), "mapping keys must be plain names", path)
                key = self.scalar(knode, path)
                if not isinstance(key, str):
                    key = str(key)
                is_written = id(knode) in explicit
                kpath = f"{path}.{key}" if path else key
                if key in written and is_written:
                    first = out.key_marks[key]
                    msg = f"duplicate key '{key}' (first defined at line {first.line})"
                    self.duplicates.setdefault((_mark(knode.start_mark), msg), kpath)
                    continue
                if is_written:
                    written.add(key)
                out.pop(key, None)  # a merged value gives way to a later one
                out.key_marks[key] = _mark(knode.start_mark)
                out.value_marks[key] = _mark(vnode.start_mark)
                out[key] = self.build(vnode, depth + 1, kpath)
            return out
        if isinstance(node, yaml.SequenceNode):
            seq = YSeq()
            seq.mark = _mark(node.start_mark)
            seq.item_marks = []
            for i, item in enumerate(node.value):
                seq.item_marks.append(_mark(item.start_mark))
                seq.append(self.build(item, depth + 1, f"{path}[{i}]"))
            return seq
        return self.scalar(node, path)


def _clean(text: str) -> str:
    return " ".join(str(text).split())


def _offset_mark(text: str, pos: int) -> Mark:
    """Mark of character index ``pos`` in ``text`` (lines split as YAML does)."""
    pos = max(0, min(pos, len(text)))
    head = text[:pos].replace("\r\n", "\n")
    for brk in ("\r", "\x85", "\u2028", "\u2029"):
        head = head.replace(brk, "\n")
    return Mark(head.count("\n") + 1, len(head) - (head.rfind("\n") + 1) + 1)


def _reader_error(text: str, exc: yaml.reader.ReaderError) -> LoadError:
    ch = exc.character
    what = f"character #x{ch:04x}" if isinstance(ch, int) else "a character"
    return LoadError(_offset_mark(text, exc.position),
                     f"{what} is not allowed in a YAML file (control character or invalid code point)")


def _syntax_hint(problem: str) -> str:
    if "'\\t'" in problem:  # PyYAML writes the tab escaped
        return "; indent with spaces, YAML does not allow tabs here"
    if problem.startswith("mapping values are not allowed"):
        return "; check the indentation of this line and the one above, or quote a value that contains ': '"
    return ""


def load(text: str) -> tuple[object, list[tuple[Mark, str, str]]]:
    """Parse YAML text into marked data; returns (data, problems as (mark, key path, message)): keys
    written twice in one mapping, and text holding control characters written as escapes.

    Raises :class:`LoadError` for syntax errors, unsafe tags, oversize or
    alias-bomb documents.
    """
    if len(text.encode("utf-8", "replace")) > MAX_BYTES:
        raise LoadError(Mark(1, 1), f"file is larger than {MAX_BYTES // 1000} kB; scenario files must be small")
    try:
        loader = yaml.SafeLoader(text)  # rejects control characters and lone surrogates up front
    except yaml.reader.ReaderError as exc:
        raise _reader_error(text, exc) from None
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            where = Mark(mark.line + 1, mark.column + 1) if mark else Mark(1, 1)
            problem = _clean(exc.problem or "invalid YAML")
            msg = problem + _syntax_hint(problem)
            if exc.context:
                ctx = _clean(exc.context)
                cm = exc.context_mark
                if cm is not None and exc.problem_mark is not None and cm.line != exc.problem_mark.line:
                    ctx += f" started at line {cm.line + 1}, column {cm.column + 1}"
                msg = f"{msg} ({ctx})"
            raise LoadError(where, f"YAML syntax error: {msg}") from None
        except yaml.reader.ReaderError as exc:
            raise _reader_error(text, exc) from None
        except yaml.YAMLError as exc:
            raise LoadError(Mark(1, 1), f"YAML error: {_clean(str(exc))}") from None
        except RecursionError:
            raise LoadError(Mark(1, 1), f"nesting deeper than {MAX_DEPTH} levels") from None
        if node is None:
            return None, []
        builder = _Builder(loader)
        try:
            data = builder.build(node)
        except RecursionError:
            raise LoadError(_mark(node.start_mark), "document nests too deeply (recursive alias?)") from None
        found = {**builder.duplicates, **builder.unprintable}
        return data, [(mark, kpath, msg) for (mark, msg), kpath in found.items()]
    finally:
        loader.dispose()
