"""scenariogen: author driving edge-case scenarios in YAML, batch-simulate them,
score their coverage of real traffic tails, and export them.

The public API (:mod:`scenariogen.api`) is loaded on first use, so ``import scenariogen`` is cheap:
no simulator, no sampler, no Numba until a function that needs them is called.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from ._version import __version__
from .errors import (
    DSLError,
    LogFormatError,
    MissingDependencyError,
    ParameterError,
    PluginError,
    Problem,
    RoadError,
    RunError,
    ScenarioGenError,
    SimulationError,
    TooFewSamplesError,
)

_LAZY = {
    "load_scenario": "api", "simulate": "api", "generate": "api", "estimate": "api", "open_run": "api",
    "export": "api", "read_log": "api", "coverage": "api",
    "parse_text": "dsl.parse", "ScenarioSpec": "dsl.schema", "Batch": "data.batch", "Manifest": "data.run",
    "Run": "data.run",
}

if TYPE_CHECKING:
    from .api import coverage, estimate, export, generate, load_scenario, open_run, read_log, simulate
    from .data.batch import Batch
    from .data.run import Manifest, Run
    from .dsl.parse import parse_text
    from .dsl.schema import ScenarioSpec


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'scenariogen' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "Batch", "DSLError", "LogFormatError", "Manifest", "MissingDependencyError", "ParameterError", "PluginError",
    "Problem", "RoadError", "Run", "RunError", "ScenarioGenError", "ScenarioSpec", "SimulationError",
    "TooFewSamplesError", "__version__", "coverage", "estimate", "export", "generate", "load_scenario", "open_run",
    "parse_text", "read_log", "simulate",
]
