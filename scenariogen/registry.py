"""Plugins by name, discovered through entry points and imported on first use.

A :class:`Registry` covers one entry-point group (``scenariogen.writers``,
``scenariogen.readers``). Installed distributions declare their plugins in
their metadata, e.g. in ``pyproject.toml``::

    [project.entry-points."scenariogen.writers"]
    highd = "scenariogen_highd:HighDWriter"

- :meth:`Registry.names` reads the metadata only; nothing is imported.
- :meth:`Registry.get` imports one plugin, instantiates it if it is a class and
  checks its shape; every failure is a :class:`PluginError` that names the
  plugin and the distribution that provides it.
- :meth:`Registry.available` tries every plugin and reports each one as ``ok``,
  ``broken`` (with the reason) or ``missing`` (an optional dependency is not
  installed, with the extra to install), so one broken plugin never hides the
  others.

Two distributions providing the same name is an error naming both; an unknown
name is an error listing the valid ones.
"""

from __future__ import annotations

import difflib
import importlib.util
import inspect
from dataclasses import dataclass
from importlib import metadata
from typing import Callable, Iterable

from .errors import MissingDependencyError, PluginError

__all__ = ["PluginEntry", "PluginStatus", "Registry"]


@dataclass(frozen=True)
class PluginEntry:
    """One entry point: the plugin's name, ``module:attr``, and the distribution declaring it."""

    name: str
    value: str
    dist: str
    dist_version: str

    @property
    def origin(self) -> str:
        return f"{self.dist} {self.dist_version}".strip()


@dataclass(frozen=True)
class PluginStatus:
    """What :meth:`Registry.available` found for one entry: ``ok``, ``broken`` or ``missing``."""

    entry: PluginEntry
    status: str
    reason: str = ""
    plugin: object | None = None


Checker = Callable[[object], list[str]]  # the problems with a loaded plugin's shape (empty if fine)


def _entries_from_metadata(group: str) -> list[tuple[PluginEntry, metadata.EntryPoint]]:
    out = []
    for ep in metadata.entry_points(group=group):
        dist = getattr(ep, "dist", None)
        name = (dist.metadata["Name"] if dist is not None else None) or "<unknown distribution>"
        version = (dist.version if dist is not None else "") or ""
        out.append((PluginEntry(ep.name, ep.value, name, version), ep))
    return out


class Registry:
    """The plugins of one entry-point group; ``kind`` names them in messages ("writer")."""

    def __init__(self, group: str, kind: str, check: Checker | None = None,
                 discover: Callable[[str], Iterable[tuple[PluginEntry, object]]] | None = None):
        self.group = group
        self.kind = kind
        self._check = check
        self._discover = discover or _entries_from_metadata
        self._by_name: dict[str, list[tuple[PluginEntry, object]]] | None = None
        self._loaded: dict[str, object] = {}

    # ---- discovery (metadata only) ------------------------------------------------
    def _table(self) -> dict[str, list[tuple[PluginEntry, object]]]:
        if self._by_name is None:
            table: dict[str, list[tuple[PluginEntry, object]]] = {}
            seen = set()
            for entry, ep in self._discover(self.group):
                # the same distribution can be visible twice on sys.path (an editable install
                # next to its source tree): one plugin, not a conflict
                key = (entry.name, entry.value, entry.dist.lower().replace("_", "-"))
                if key in seen:
                    continue
                seen.add(key)
                table.setdefault(entry.name, []).append((entry, ep))
            self._by_name = table
        return self._by_name

    def names(self) -> list[str]:
        """Every declared name, sorted, without importing anything."""
        return sorted(self._table())

    def entries(self) -> list[PluginEntry]:
        """Every declared entry (two for a duplicated name), in name order."""
        return [e for name in self.names() for e, _ in self._table()[name]]

    # ---- loading ------------------------------------------------------------------
    def _unknown(self, name: str) -> PluginError:
        valid = self.names()
        close = difflib.get_close_matches(name, valid, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        listed = ", ".join(valid) if valid else f"none installed (group {self.group})"
        return PluginError(f"unknown {self.kind} {name!r}{hint} (valid: {listed})")

    def _duplicate(self, name: str, found: list[tuple[PluginEntry, object]]) -> PluginError:
        who = " and ".join(f"{e.origin} ({e.value})" for e, _ in found)
        return PluginError(f"{self.kind} {name!r} is provided by more than one distribution: {who}; "
                           "uninstall one of them")

    def _load(self, entry: PluginEntry, ep) -> object:
        where = f"{self.kind} plugin {entry.name!r} from distribution {entry.origin}"
        try:
            obj = ep.load()
        except Exception as exc:  # any import-time failure of third-party code
            raise PluginError(f"{where} failed to import ({entry.value}): {type(exc).__name__}: {exc}") from exc
        if inspect.isclass(obj):
            try:
                obj = obj()
            except Exception as exc:
                raise PluginError(f"{where} cannot be instantiated: {type(exc).__name__}: {exc}") from exc
        problems = self._check(obj) if self._check else []
        if problems:
            raise PluginError(f"{where} has the wrong shape: {'; '.join(problems)}")
        return obj

    def _missing(self, entry: PluginEntry, obj: object) -> MissingDependencyError | None:
        requires = tuple(getattr(obj, "requires", ()) or ())
        missing = [m for m in requires if importlib.util.find_spec(m) is None]
        if not missing:
            return None
        extra = getattr(obj, "extra", None)
        dist = entry.dist if entry.dist != "<unknown distribution>" else "the plugin's package"
        how = f'pip install "{dist}[{extra}]"' if extra else "pip install " + " ".join(missing)
        return MissingDependencyError(f"{self.kind} {entry.name!r} needs the optional dependency "
                                      f"{', '.join(missing)}: {how}")

    def get(self, name: str) -> object:
        """The plugin called ``name``, imported and checked (cached after the first call)."""
        if name in self._loaded:
            return self._loaded[name]
        found = self._table().get(name)
        if not found:
            raise self._unknown(name)
        if len(found) > 1:
            raise self._duplicate(name, found)
        entry, ep = found[0]
        obj = self._load(entry, ep)
        missing = self._missing(entry, obj)
        if missing is not None:
            raise missing
        self._loaded[name] = obj
        return obj

    def available(self) -> list[PluginStatus]:
        """Try every entry; report each as ok, broken (reason) or missing (the extra to install)."""
        out = []
        for name in self.names():
            found = self._table()[name]
            if len(found) > 1:
                reason = str(self._duplicate(name, found))
                out.extend(PluginStatus(e, "broken", reason) for e, _ in found)
                continue
            entry, ep = found[0]
            try:
                obj = self._load(entry, ep)
            except PluginError as exc:
                out.append(PluginStatus(entry, "broken", str(exc)))
                continue
            missing = self._missing(entry, obj)
            status, reason = ("missing", str(missing)) if missing else ("ok", "")
            out.append(PluginStatus(entry, status, reason, obj))
        return out
