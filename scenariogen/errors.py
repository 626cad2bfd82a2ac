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


class SamplerOptionsError(ScenarioGenError):
    """A sampler is asked for with a bad name, option or run parameter (``eps``, ``n_particles``, ``budget``)."""
