"""Coverage of real traffic by synthetic scenarios: descriptors computed alike for both (derivatives
from smoothed positions, annotation errors of real windows left out), the metrics (tails, fidelity
and coverage, drift, diversity, artefacts), the real-versus-real baseline, calibrated verdicts, the
typical-traffic block (the fidelity numbers on the descriptors ``calibrate`` matches) and the
report."""

from .descriptors import (
    DESCRIPTOR_NAMES,
    DESCRIPTOR_UNITS,
    RISKY_SIDE,
    descriptors,
    descriptors_of,
)
from .assess import Assessment, assess
from .baseline import Baseline, Calibration, calibrate, real_baseline
from .metrics import CoverageResult, CoverageSettings, score
from .report import coverage_report, real_descriptors, recording_of, synthetic_descriptors
from .typical import TypicalTraffic, typical_traffic
from .verdict import Thresholds, Verdict, verdicts

__all__ = [
    "DESCRIPTOR_NAMES", "DESCRIPTOR_UNITS", "RISKY_SIDE", "Assessment", "Baseline", "Calibration", "CoverageResult",
    "CoverageSettings", "Thresholds", "TypicalTraffic", "Verdict", "assess", "calibrate", "coverage_report", "descriptors",
    "descriptors_of", "real_baseline", "real_descriptors", "recording_of", "score", "synthetic_descriptors",
    "typical_traffic", "verdicts",
]
