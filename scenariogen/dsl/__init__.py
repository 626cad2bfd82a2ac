"""The scenario language: YAML in, a validated, frozen :class:`ScenarioSpec` out."""

from .distributions import Const, Parameter, ParameterSpace, Ref, Value
from .parse import DSL_VERSION, load_scenario, parse_text
from .schema import ActorSpec, EventSpec, RoadSpec, ScenarioSpec

__all__ = [
    "DSL_VERSION",
    "ActorSpec",
    "Const",
    "EventSpec",
    "Parameter",
    "ParameterSpace",
    "Ref",
    "RoadSpec",
    "ScenarioSpec",
    "Value",
    "load_scenario",
    "parse_text",
]
