"""Coverage of real traffic by synthetic scenarios: descriptors computed alike for both."""

from .descriptors import DESCRIPTOR_NAMES, DESCRIPTOR_UNITS, RISKY_SIDE, descriptors, descriptors_of

__all__ = ["DESCRIPTOR_NAMES", "DESCRIPTOR_UNITS", "RISKY_SIDE", "descriptors", "descriptors_of"]
