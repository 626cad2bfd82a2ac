"""scenariogen: author driving edge-case scenarios in YAML, batch-simulate them,
score their coverage of real traffic tails, and export them."""

__version__ = "0.1.0"

from .dsl import ScenarioSpec, load_scenario, parse_text  # noqa: E402
from .errors import DSLError, Problem, RoadError, ScenarioGenError, SimulationError  # noqa: E402
from .sim import Batch, simulate  # noqa: E402

__all__ = [
    "Batch",
    "DSLError",
    "Problem",
    "RoadError",
    "ScenarioGenError",
    "ScenarioSpec",
    "SimulationError",
    "__version__",
    "load_scenario",
    "parse_text",
    "simulate",
]
