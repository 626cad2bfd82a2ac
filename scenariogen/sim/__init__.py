"""The simulator: spec + theta -> kernel inputs -> kernel -> :class:`~scenariogen.data.batch.Batch`."""

from .engine import iter_batches, simulate, spec_hash

__all__ = ["iter_batches", "simulate", "spec_hash"]
