"""Plain-language verdicts per failure mode, from a :class:`CoverageResult`.

All thresholds live in :class:`Thresholds` (documented in ``docs/coverage.md``); each verdict
carries the numbers that triggered it (or did not), so a report reader can check the call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .metrics import CoverageResult, TailResult

VERDICTS = ("missing tails", "simulator drift", "collapse", "shortcut risk", "enriching")


@dataclass(frozen=True)
class Thresholds:
    """Where each verdict fires.

    - missing tails: a risky descriptor's real tail (level ``tail_level``) holds less than
      ``missing_descriptor_enrichment`` times the real mass in the synthetic set, or fewer than
      ``missing_reach`` of its real samples are reached on that descriptor's axis (the bar is
      lower than the joint tail's because each of the half-dozen risky tails is checked and a
      5 % tail holds only tens of real windows: held-out real data gives ratios of 0.45 to 1.5);
      or the joint tail holds less than ``missing_enrichment`` times the real mass; or fewer than
      ``missing_reach`` of the joint tail's real samples are reached in the full space *and* fewer
      than of the whole real set (coverage): a full-space reach no worse than the bulk's is the
      drift's doing, not the tail's, and is said so instead;
    - simulator drift: more than ``drift_off_support`` of the synthetic samples lie outside every
      real k-NN ball; the named drivers are the descriptors holding at least
      ``drift_driver_share`` of the off-support distance or with a 1-D off-support rate of at
      least ``drift_driver_1d`` (the largest is always named);
    - collapse: the Vendi score (order 1) is below ``collapse_vendi`` times an equal-size real
      sample's, or the duplicate rate exceeds the real one by ``collapse_duplicates``;
    - shortcut risk: the classifier's held-out AUC is at least ``shortcut_auc`` and above its
      chance interval;
    - enriching: neither simulator drift nor collapse, and the joint tail or some risky
      descriptor's tail (at any tail level of the settings) holds at least ``enrich_ratio`` times
      the real mass with at least ``enrich_reach`` of its real samples reached. It may fire next
      to ``missing tails``: a set can enrich one risky tail and miss another, and both messages
      name which."""

    tail_level: float = 0.05
    missing_enrichment: float = 0.5
    missing_descriptor_enrichment: float = 0.25
    missing_reach: float = 0.5
    drift_off_support: float = 0.25
    drift_driver_share: float = 0.2
    drift_driver_1d: float = 0.2
    collapse_vendi: float = 0.5
    collapse_duplicates: float = 0.1
    shortcut_auc: float = 0.75
    enrich_ratio: float = 1.5
    enrich_reach: float = 0.5


@dataclass(frozen=True)
class Verdict:
    """One failure mode (or ``enriching``): whether it fired, a sentence saying why, the numbers
    behind it, and the descriptors it names (drift drivers, separating features, missing or
    enriched tails)."""

    name: str
    fired: bool
    message: str
    numbers: dict
    descriptors: tuple[str, ...] = ()


# real tail samples below this count make a tail ratio indicative only; the messages say so
FEW_REAL = 10


def _fmt(x: float) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.3g}"


def _pct(x: float) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.0%}"


def _reach(t: TailResult) -> float:
    """A tail's reach on its own axis (the full-space reach for the joint tail)."""
    return t.reach if t.descriptor == "joint" else t.reach_1d


def _few(t: TailResult) -> str:
    if t.n_real >= FEW_REAL:
        return ""
    return f", from only {t.n_real} real sample{'s' if t.n_real != 1 else ''}"


def _enriched(r: CoverageResult, th: Thresholds) -> list[TailResult]:
    """Per risky descriptor (and the joint tail), its most enriched tail level that passes the
    enrichment and reach bars; the strongest first."""
    def key(t: TailResult):  # a level with enough real samples beats a larger ratio from a handful
        return (t.n_real >= FEW_REAL, t.enrichment)

    best: dict[str, TailResult] = {}
    for t in r.tails:
        passes = t.enrichment >= th.enrich_ratio and _reach(t) >= th.enrich_reach
        if passes and (t.descriptor == "joint" or t.descriptor in r.settings.risky) and (
                t.descriptor not in best or key(t) > key(best[t.descriptor])):
            best[t.descriptor] = t
    return sorted(best.values(), key=key, reverse=True)


def _enriched_text(rich: list[TailResult], most: int = 4) -> str:
    def one(t: TailResult) -> str:
        extra = [] if math.isnan(t.weighted_enrichment) else [f"weighted {_fmt(t.weighted_enrichment)}x"]
        extra += [_few(t)[2:]] if _few(t) else []
        return (f"{t.descriptor} {t.enrichment:.3g}x the real mass of its {t.level:g} tail"
                + (f" ({', '.join(extra)})" if extra else ""))

    text = ", ".join(one(t) for t in rich[:most])
    return text + (f" and {len(rich) - most} more" if len(rich) > most else "")


def verdicts(r: CoverageResult, th: Thresholds = Thresholds()) -> tuple[Verdict, ...]:
    """The five verdicts of a coverage result, in the order of ``VERDICTS``."""
    out = []
    q = th.tail_level
    f = r.fidelity
    joint = next((t for t in r.tails if t.descriptor == "joint" and math.isclose(t.level, q)), None)
    risky = [t for t in r.tails if t.descriptor in r.settings.risky and math.isclose(t.level, q)]
    rich = _enriched(r, th)

    # ---- missing tails: per risky descriptor on its own axis, and the joint tail
    missing = [t for t in risky
               if not (t.enrichment >= th.missing_descriptor_enrichment and t.reach_1d >= th.missing_reach)]
    nums = {"level": q, "coverage": f.coverage,
            "missing": {t.descriptor: {"enrichment": t.enrichment, "reach_1d": t.reach_1d, "n_real": t.n_real}
                        for t in missing},
            "enriched": {t.descriptor: {"level": t.level, "enrichment": t.enrichment, "reach": _reach(t)}
                         for t in rich}}
    parts = []
    if missing:
        parts.append(f"the synthetic set misses the real {q:g} tail of " + ", ".join(
            f"{t.descriptor} ({_fmt(t.enrichment)}x the real mass, {_pct(t.reach_1d)} of its real samples "
            f"reached{_few(t)})" for t in missing))
    joint_fired = False
    if joint is not None:
        nums.update(joint_enrichment=joint.enrichment, joint_reach=joint.reach,
                    weighted_enrichment=joint.weighted_enrichment)
        low_mass = not joint.enrichment >= th.missing_enrichment
        low_reach = not joint.reach >= th.missing_reach
        tail_worse = not joint.reach >= f.coverage  # reached less than the real set as a whole
        joint_fired = low_mass or (low_reach and tail_worse)
        text = (f"the joint {q:g} tail (deep in any risky tail) holds {_fmt(joint.enrichment)}x the real mass and "
                f"{_pct(joint.reach)} of its real samples are reached in the full space (whole real set: "
                f"{_pct(f.coverage)})")
        if low_reach and not low_mass and not tail_worse:
            text += ": the low full-space reach is the whole set's, not the tail's (see simulator drift)"
        parts.append(text)
    elif not risky:
        parts.append("no risky descriptor is usable, so no tail could be judged")
    fired = bool(missing) or joint_fired
    if rich and fired:
        parts.append("it does enrich " + _enriched_text(rich))
    msg = "; ".join(parts) if parts else "no tail could be formed"
    if fired:
        msg += (f" (a risky tail is missing below {th.missing_descriptor_enrichment:g}x the real mass, the joint "
                f"tail below {th.missing_enrichment:g}x, or either below {th.missing_reach:.0%} reached)")
    named = tuple(t.descriptor for t in missing) + (("joint",) if joint_fired else ())
    out.append(Verdict("missing tails", fired, msg, nums, named if fired else ()))

    # ---- simulator drift
    ranked = sorted(f.drift_share, key=lambda n: -f.drift_share[n])
    drivers = [n for n in ranked if f.drift_share[n] >= th.drift_driver_share or f.off_support_1d[n] >= th.drift_driver_1d]
    if not drivers and ranked:
        drivers = ranked[:1]
    fired = f.off_support > th.drift_off_support
    nums = {"off_support": f.off_support, "density": f.density,
            "drift_share": {n: f.drift_share[n] for n in drivers},
            "off_support_1d": {n: f.off_support_1d[n] for n in drivers},
            "median_shift_sd": {n: f.median_shift[n] for n in drivers}}
    if fired:
        parts = [f"{n} (share {f.drift_share[n]:.2f}, alone off-support {f.off_support_1d[n]:.2f}, "
                 f"median shift {f.median_shift[n]:+.2f} sd)" for n in drivers]
        msg = (f"{f.off_support:.1%} of the synthetic samples lie outside every real k-NN ball "
               f"(threshold {th.drift_off_support:.0%}), driven by {', '.join(parts)}")
    else:
        msg = f"{f.off_support:.1%} of the synthetic samples lie outside every real k-NN ball"
    out.append(Verdict("simulator drift", fired, msg, nums, tuple(drivers) if fired else ()))

    # ---- collapse
    d = r.diversity
    dup_excess = d.duplicate_rate - d.duplicate_rate_real
    why = [w for w, hit in (("the Vendi ratio", d.vendi_ratio < th.collapse_vendi),
                            ("the duplicates", dup_excess > th.collapse_duplicates)) if hit]
    fired = bool(why)
    nums = {"vendi_ratio": d.vendi_ratio, "vendi_ratio_half": d.vendi_ratio_half, "vendi_synthetic": d.vendi_synthetic,
            "vendi_real": d.vendi_real, "duplicate_rate": d.duplicate_rate, "duplicate_rate_real": d.duplicate_rate_real,
            "coverage": f.coverage}
    msg = (f"Vendi score {d.vendi_synthetic:.3g} against {d.vendi_real:.3g} for as many real samples "
           f"(ratio {d.vendi_ratio:.2f}, collapse below {th.collapse_vendi:g}); duplicates {d.duplicate_rate:.1%} "
           f"(real {d.duplicate_rate_real:.1%}, collapse above {th.collapse_duplicates:.0%} more); "
           f"coverage {f.coverage:.2f}")
    if why:
        msg += f"; fired on {' and '.join(why)}"
    out.append(Verdict("collapse", fired, msg, nums))

    # ---- shortcut risk
    c = r.classifier
    top = tuple(list(c.separation)[:3])
    fired = c.auc >= th.shortcut_auc and c.auc > c.auc_chance[1]
    nums = {"auc": c.auc, "auc_chance": list(c.auc_chance), "accuracy": c.accuracy,
            "accuracy_chance": list(c.accuracy_chance), "separation": {n: c.separation[n] for n in top}}
    msg = (f"a classifier tells synthetic from real with held-out AUC {c.auc:.3f} (chance "
           f"{c.auc_chance[0]:.3f}-{c.auc_chance[1]:.3f}) and accuracy {c.accuracy:.3f}")
    if fired:
        msg += "; most separating: " + ", ".join(f"{n} ({c.separation[n]:.2f})" for n in top)
    out.append(Verdict("shortcut risk", fired, msg, nums, top if fired else ()))

    # ---- enriching: real-tail mass added, from a set that stays on the real support and is diverse
    blockers = [v.name for v in out if v.fired and v.name in ("simulator drift", "collapse")]
    fired = not blockers and bool(rich)
    nums = {t.descriptor: {"level": t.level, "enrichment": t.enrichment, "weighted_enrichment": t.weighted_enrichment,
                           "reach": t.reach, "reach_1d": t.reach_1d, "n_real": t.n_real} for t in rich}
    if fired:
        msg = "adds tail mass where the real data has it: " + _enriched_text(rich)
        if out[0].fired:
            msg += "; other risky tails are missing (see missing tails)"
    elif rich:
        msg = (f"raises {_enriched_text(rich)}, but this is not counted as enriching while {' and '.join(blockers)} "
               "holds: those tail samples come from a set that does not look like the real one")
    else:
        msg = (f"neutral: no risky tail holds >= {th.enrich_ratio:g}x the real mass with >= {th.enrich_reach:g} "
               "of its real samples reached")
    if any(not math.isnan(t.weighted_enrichment) for t in rich):
        msg += ("; 'weighted' is that mass under the scenario family's own distribution, the sampler's steering "
                "taken out")
    out.append(Verdict("enriching", fired, msg, nums, tuple(t.descriptor for t in rich) if fired else ()))
    return tuple(out)


def summary(vs: tuple[Verdict, ...]) -> str:
    """One line: the fired verdicts, or ``neutral``."""
    fired = [v.name for v in vs if v.fired]
    return ", ".join(fired) if fired else "neutral"
