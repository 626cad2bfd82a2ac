"""Event labels and robustness scores computed from the simulator's in-kernel metrics."""

from .labels import event_scores, labels_from_scores

__all__ = ["event_scores", "labels_from_scores"]
