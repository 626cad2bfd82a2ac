"""highD-style CSV export for scenariogen: ``scenariogen export RUN --format highd --out DIR``."""

from .writer import HighDWriter

__all__ = ["HighDWriter"]
__version__ = "0.1.0"
