"""What a finished run reports about itself: the probability estimate and the failure clusters."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .manifest import shard_sim_arrays


def final_estimate(out: Path, manifest: dict):
    """P(target) from the samples of the non-adapting stages (all samples for MC and QMC)."""
    from ..sampling import estimate_probability

    final = {s["stage"] for s in manifest["stages"] if not s["adapting"]}
    ev, lw = [], []
    for rec in manifest["shards"]:
        if rec["stage"] in final:
            sim = shard_sim_arrays(out / rec["file"])
            ev.append(sim["event"])
            lw.append(sim["log_weight"])
    if not ev:
        for rec in manifest["shards"]:
            sim = shard_sim_arrays(out / rec["file"])
            ev.append(sim["event"])
            lw.append(sim["log_weight"])
    return estimate_probability(np.concatenate(ev), log_weight=np.concatenate(lw))


def failure_clusters(out: Path, manifest: dict) -> int:
    """Distinct clusters (in standardised theta) among the run's target events: a proposal that
    collapsed onto one failure mode shows a single cluster where plain MC finds several."""
    from ..sampling import cluster_count

    theta, event = [], []
    for rec in manifest["shards"]:
        sim = shard_sim_arrays(out / rec["file"])
        theta.append(sim["theta"])
        event.append(sim["event"])
    if not theta:
        return 0
    return int(cluster_count(np.concatenate(theta), np.concatenate(event)))


__all__ = ["failure_clusters", "final_estimate"]
