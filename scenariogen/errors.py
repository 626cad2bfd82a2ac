"""The one exception hierarchy of scenariogen.

Every error a user can cause derives from :class:`ScenarioGenError`; the CLI
catches that root, prints the message and exits 2, so user mistakes never show
a Python traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


class ScenarioGenError(Exception):
    """Root of every error scenariogen raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One problem found in a scenario file.

    ``line`` and ``column`` are 1-based; ``path`` is the dotted key path
    (``actors.cutter.speed.normal.std``), empty for the document itself.
    """

    file: str
    line: int
    column: int
    path: str
    message: str
    snippet: str = ""

    def format(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        key = f" {self.path}:" if self.path else ""
        text = f"{where}:{key} {self.message}"
        if self.snippet:
            text += "\n" + self.snippet
        return text


class DSLError(ScenarioGenError):
    """A scenario file is invalid; carries every problem found in it, in file order."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]):
        self.problems = tuple(sorted(problems, key=lambda p: (p.file, p.line, p.column)))
        super().__init__("\n".join(p.format() for p in self.problems))

    @property
    def first(self) -> Problem:
        return self.problems[0]


class RoadError(ScenarioGenError):
    """A road network cannot be built or queried (bad geometry, unknown lane)."""


class SimulationError(ScenarioGenError):
    """A simulation request is inconsistent (bad theta shape, unknown parameter)."""


class ParameterError(ScenarioGenError, ValueError):
    """A function was given a value it cannot use. The message reads "``param`` ``detail``"
    ("budget must be a positive number, got 0"); the CLI puts the flag that sets the parameter in
    its place ("--budget must be ..."). A detail starting with ":" follows the name directly."""

    def __init__(self, param: str, detail: str):
        self.param = param
        self.detail = detail
        super().__init__(self.named(param))

    def named(self, name: str) -> str:
        """The message with ``name`` in the parameter's place."""
        return f"{name}{'' if self.detail.startswith(':') else ' '}{self.detail}"


class RunError(ScenarioGenError):
    """A run directory cannot be used: missing, incomplete, damaged, or held by another writer."""


class PluginError(ScenarioGenError):
    """A plugin (writer or reader) is unknown, ambiguous, fails to import or has the wrong shape."""


class MissingDependencyError(PluginError):
    """A plugin or reader needs an optional dependency that is not installed; the message names the
    extra to install."""


class LogFormatError(ScenarioGenError):
    """A log file cannot be read: names the file and, where known, the row or element.

    ``file``: the path; ``where``: "row 17", "element <state> #3 of obstacle 363", ... or ""."""

    def __init__(self, file, message: str, where: str = ""):
        self.file = str(file)
        self.where = where
        self.detail = message
        loc = f"{self.file}: {where}: " if where else f"{self.file}: "
        super().__init__(loc + message)


class TooFewSamplesError(ScenarioGenError):
    """Too few usable rows on one side to score (k-NN balls need more than k real rows)."""


class SamplerOptionsError(ScenarioGenError):
    """A sampler is asked for with a bad name, option or run parameter (``eps``, ``n_particles``, ``budget``)."""


class CalibrationError(ScenarioGenError):
    """A family cannot be calibrated to the given logs: nothing marked to fit, no usable real
    windows, a fit that does not converge, or fitted distributions the family's fields refuse."""
