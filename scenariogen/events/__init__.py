"""Event labels and robustness scores computed from the simulator's in-kernel metrics, and the
conflict type of a scenario's closest call (who, where, how) read from its trajectories."""

from .conflicts import conflict_codes, conflict_names, count_conflicts
from .labels import event_scores, labels_from_scores

__all__ = ["conflict_codes", "conflict_names", "count_conflicts", "event_scores", "labels_from_scores"]
