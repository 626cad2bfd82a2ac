"""Coverage of real traffic by synthetic scenarios: descriptors computed alike for both, the metrics
(tails, fidelity and coverage, drift, diversity, artefacts), verdicts and the report."""

from .descriptors import (
    DESCRIPTOR_NAMES,
    DESCRIPTOR_UNITS,
    RISKY_SIDE,
    descriptors,
    descriptors_of,
)
from .metrics import CoverageResult, CoverageSettings, score
from .report import coverage_report, real_descriptors, synthetic_descriptors
from .verdict import Thresholds, Verdict, verdicts

__all__ = [
    "DESCRIPTOR_NAMES", "DESCRIPTOR_UNITS", "RISKY_SIDE", "CoverageResult", "CoverageSettings", "Thresholds", "Verdict",
    "coverage_report", "descriptors", "descriptors_of", "real_descriptors", "score", "synthetic_descriptors",
    "verdicts",
]
