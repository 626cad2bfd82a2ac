"""Calibration of scenario families to real logs (``scenariogen calibrate``)."""

from .fit import TYPICAL, CalibrationResult, DescriptorFit, FittedParameter, calibrate

__all__ = ["TYPICAL", "CalibrationResult", "DescriptorFit", "FittedParameter", "calibrate"]
