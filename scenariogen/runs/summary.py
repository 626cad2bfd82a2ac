"""What a finished run reports about itself: the probability estimate, the failure clusters
(where in parameter space the events are) and their conflict types (what kind of conflict they are)."""

from __future__ import annotations

import io
import json

import numpy as np

from ..data.run import Run


def counts_for_estimate(stage: dict) -> bool:
    """Whether a manifest's stage record was drawn from a final proposal (``estimate``; manifests
    written before refining stages existed: not ``adapting``)."""
    return bool(stage.get("estimate", not stage["adapting"]))


def final_estimate(run: Run, sampler=None):
    """P(target) from the samples of the stages drawn from final proposals (all samples for MC
    and QMC): each row weighted by its own stage's proposal, so ce's refining stages count too.
    ``sampler``: the run's sampler after its last stage; when it has a final mixture density
    (ce), the adaptation stages' events reweighted by it set the tail interval's ``seen_weight``."""
    from ..sampling import estimate_probability
    from ..sampling.run import seen_weight

    final = {s["stage"] for s in run.manifest.stages if counts_for_estimate(s)}
    recs = [rec for rec in run.manifest.shards if rec.stage in final] or list(run.manifest.shards)
    ev, lw = [], []
    for rec in recs:
        sim = run.sim_arrays(rec)
        ev.append(sim["event"])
        lw.append(sim["log_weight"])
    seen = 0.0
    others = [rec for rec in run.manifest.shards if rec not in recs]
    if sampler is not None and others:
        seen = seen_weight(sampler, np.concatenate([sim["theta"][np.asarray(sim["event"], bool)]
                                                    for sim in map(run.sim_arrays, others)]))
    return estimate_probability(np.concatenate(ev), log_weight=np.concatenate(lw), seen_weight=seen)


def failure_clusters(run: Run, **options) -> int:
    """The number of distinct failure clusters of :func:`failure_cluster_summary` (same options):
    a proposal that collapsed onto one failure mode shows fewer than plain MC at equal events."""
    return int(failure_cluster_summary(run, **options).clusters)


def failure_cluster_summary(run: Run, *, n_events: int | None = 500, bins: int = 4,
                            seed: int = 0, space=None):
    """Distinct failure clusters among the run's target events, counted in p-quantile space
    (u = F(theta) per parameter) on a grid of ``bins`` bins per parameter: clusters are groups of
    touching occupied cells (:func:`scenariogen.sampling.estimate.failure_clusters_u`).

    The count grows with the number of events, so runs are compared at an equal number:
    the events are subsampled (fixed ``seed``) to at most ``n_events``; pass the smaller of two
    runs' event counts to compare them fairly. Returns a
    :class:`~scenariogen.sampling.estimate.FailureClusters` (``clusters``, ``cells``, ``events``).
    ``space``: the parameter space (default: parsed from the manifest's spec text; pass it when the
    spec was built in code and has no text)."""
    from ..errors import ScenarioGenError
    from ..sampling.estimate import failure_clusters_u, quantiles_of

    if space is None:
        from ..dsl import parse_text

        if not run.manifest.spec_text:
            raise ScenarioGenError(f"{run.path}: the manifest holds no scenario text; pass the parameter space")
        space = parse_text(run.manifest.spec_text, run.manifest.spec_file or "<string>").parameters
    u = []
    for rec in run.manifest.shards:
        if rec.events == 0:
            continue
        sim = run.sim_arrays(rec)
        ev = np.asarray(sim["event"], bool)
        if ev.any():
            u.append(quantiles_of(space, np.asarray(sim["theta"])[ev]))
    u_all = np.concatenate(u) if u else np.zeros((0, len(run.manifest.parameters)))
    return failure_clusters_u(u_all, bins=bins, n_events=n_events, seed=seed)


def _event_conflicts(run: Run, stages: set | None = None):
    """(conflict codes, log-weights, agent names) of the target events in the shards of ``stages``
    (all when None), in shard order; None for a run written before shards recorded conflict types."""
    codes, lw, agent_names = [], [], None
    for rec in run.manifest.shards:
        if rec.events == 0 or (stages is not None and rec.stage not in stages):
            continue
        with np.load(io.BytesIO(run.shard_bytes(rec))) as z:
            if "sim/conflict" not in z.files:
                return None
            ev = np.asarray(z["sim/event"], bool)
            if ev.any():
                codes.append(z["sim/conflict"][ev])
                lw.append(np.asarray(z["sim/log_weight"], float)[ev])
                if agent_names is None:
                    agent_names = json.loads(bytes(z["header"]).decode("utf-8"))["agent_names"]
    if not codes:
        return np.zeros((0, 5), np.int16), np.zeros(0), []
    return np.concatenate(codes), np.concatenate(lw), agent_names


def conflict_types(run: Run, *, n_events: int | None = 500, seed: int = 0) -> dict[str, int] | None:
    """Conflict types of the run's target events (other party, side, motion, contact, pile-up; see
    :mod:`scenariogen.events.conflicts`), counted on the same subsample of at most ``n_events``
    events as :func:`failure_cluster_summary`: type -> events, most frequent first. None for a
    run written before shards recorded conflict types."""
    from ..events.conflicts import conflict_names, count_conflicts
    from ..sampling.estimate import subsample_events

    found = _event_conflicts(run)
    if found is None:
        return None
    codes, _, agent_names = found
    if not len(codes):
        return {}
    return count_conflicts(conflict_names(subsample_events(codes, n_events, seed), agent_names))


def conflict_shares_under_p(run: Run) -> dict[str, float] | None:
    """How the run's target events would split into conflict types under the scenario's own
    distributions p: every event of the stages that count for the estimate, weighted by its
    importance weight p/q (``sum w over a type / sum w``), most likely first. A sampler that
    steers towards some failures (``ce``) over-represents them among the events it keeps; these
    shares show by how much, and a model trained on those events needs the weights to see the
    failures in their real proportions. For plain MC and QMC every weight is 1 and the shares are
    the plain ones. None where the weights are not importance ratios (``splitting``) or for a
    run written before shards recorded conflict types; {} without events."""
    from ..events.conflicts import conflict_names

    if run.manifest.settings["sampler"] == "splitting":
        return None
    found = _event_conflicts(run, {s["stage"] for s in run.manifest.stages if counts_for_estimate(s)})
    if found is None:
        return None
    codes, lw, agent_names = found
    if not len(codes):
        return {}
    w = np.exp(lw - lw.max())
    shares: dict[str, float] = {}
    for name, wi in zip(conflict_names(codes, agent_names), w):
        shares[name] = shares.get(name, 0.0) + float(wi)
    total = sum(shares.values())
    return {k: v / total for k, v in sorted(shares.items(), key=lambda kv: -kv[1])}


__all__ = ["conflict_shares_under_p", "conflict_types", "counts_for_estimate", "failure_cluster_summary",
           "failure_clusters", "final_estimate"]
