"""Batched simulation: spec + theta -> kernel -> :class:`Batch` of trajectories, metrics and labels."""

from .engine import Batch, iter_batches, sample_theta, simulate
from .io import load_npz, save_npz

__all__ = ["Batch", "iter_batches", "load_npz", "sample_theta", "save_npz", "simulate"]
