"""scenariogen: author driving edge-case scenarios in YAML, batch-simulate them,
score their coverage of real traffic tails, and export them."""

from .dsl import ScenarioSpec, load_scenario, parse_text
from .errors import DSLError, Problem, RoadError, ScenarioGenError

__version__ = "0.1.0"

__all__ = [
    "DSLError",
    "Problem",
    "RoadError",
    "ScenarioGenError",
    "ScenarioSpec",
    "__version__",
    "load_scenario",
    "parse_text",
]
