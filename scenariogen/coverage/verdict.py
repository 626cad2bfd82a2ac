"""Plain-language verdicts per failure mode, from a :class:`CoverageResult`.

All thresholds live in :class:`Thresholds` (documented in ``docs/coverage.md``); each verdict
carries the numbers that triggered it (or did not), so a report reader can check the call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .metrics import CoverageResult

VERDICTS = ("missing tails", "simulator drift", "collapse", "shortcut risk", "enriching")


@dataclass(frozen=True)
class Thresholds:
    """Where each verdict fires.

    - missing tails: the synthetic mass in the real joint tail (level ``tail_level``) is below
      ``missing_enrichment`` times the real mass, or it reaches fewer than ``missing_reach`` of the
      real joint-tail samples' k-NN balls;
    - simulator drift: more than ``drift_off_support`` of the synthetic samples lie outside every
      real k-NN ball; the named drivers are the descriptors holding at least
      ``drift_driver_share`` of the off-support distance or with a 1-D off-support rate of at
      least ``drift_driver_1d`` (the largest is always named);
    - collapse: the Vendi score (order 1) is below ``collapse_vendi`` times an equal-size real
      sample's, or the duplicate rate exceeds the real one by ``collapse_duplicates``;
    - shortcut risk: the classifier's held-out AUC is at least ``shortcut_auc`` and above its
      chance interval;
    - enriching: none of the failure modes above, and the joint tail or some risky descriptor's
      tail (level ``tail_level``) holds at least ``enrich_ratio`` times the real mass with at
      least ``enrich_reach`` of its real samples reached."""

    tail_level: float = 0.05
    missing_enrichment: float = 0.5
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
    behind it, and the descriptors it names (drift drivers, separating features, thin tails)."""

    name: str
    fired: bool
    message: str
    numbers: dict
    descriptors: tuple[str, ...] = ()


def _fmt(x: float) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.3g}"


def verdicts(r: CoverageResult, th: Thresholds = Thresholds()) -> tuple[Verdict, ...]:
    """The five verdicts of a coverage result, in the order of ``VERDICTS``."""
    out = []
    q = th.tail_level
    joint = next((t for t in r.tails if t.descriptor == "joint" and math.isclose(t.level, q)), None)
    per = [t for t in r.tails if t.descriptor != "joint" and math.isclose(t.level, q)]
    risky = [t for t in per if t.descriptor in r.settings.risky]

    # ---- missing tails
    thin = tuple(t.descriptor for t in risky if not t.enrichment >= th.missing_enrichment)
    if joint is None:
        out.append(Verdict("missing tails", False, "no joint tail could be formed (no usable risky descriptor)", {}))
    else:
        fired = not (joint.enrichment >= th.missing_enrichment and joint.reach >= th.missing_reach)
        nums = {"joint_enrichment": joint.enrichment, "joint_reach": joint.reach, "level": q,
                "weighted_enrichment": joint.weighted_enrichment}
        if fired:
            msg = (f"the synthetic set holds {_fmt(joint.enrichment)}x the real mass of the joint {q:g} tail "
                   f"and reaches {_fmt(joint.reach)} of its real samples "
                   f"(needs >= {th.missing_enrichment:g}x and >= {th.missing_reach:g})")
            if thin:
                msg += f"; thin tails: {', '.join(thin)}"
        else:
            msg = (f"the joint {q:g} tail holds {_fmt(joint.enrichment)}x the real mass and "
                   f"{_fmt(joint.reach)} of its real samples are reached")
        out.append(Verdict("missing tails", fired, msg, nums, thin if fired else ()))

    # ---- simulator drift
    f = r.fidelity
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
        parts = [f"{n} (share {f.drift_share[n]:.2f}, median shift {f.median_shift[n]:+.2f} sd)" for n in drivers]
        msg = (f"{f.off_support:.1%} of the synthetic samples lie outside every real k-NN ball "
               f"(threshold {th.drift_off_support:.0%}), driven by {', '.join(parts)}")
    else:
        msg = f"{f.off_support:.1%} of the synthetic samples lie outside every real k-NN ball"
    out.append(Verdict("simulator drift", fired, msg, nums, tuple(drivers) if fired else ()))

    # ---- collapse
    d = r.diversity
    dup_excess = d.duplicate_rate - d.duplicate_rate_real
    fired = (d.vendi_ratio < th.collapse_vendi) or (dup_excess > th.collapse_duplicates)
    nums = {"vendi_ratio": d.vendi_ratio, "vendi_ratio_half": d.vendi_ratio_half, "vendi_synthetic": d.vendi_synthetic,
            "vendi_real": d.vendi_real, "duplicate_rate": d.duplicate_rate, "duplicate_rate_real": d.duplicate_rate_real,
            "coverage": f.coverage}
    msg = (f"Vendi score {d.vendi_synthetic:.3g} against {d.vendi_real:.3g} for as many real samples "
           f"(ratio {d.vendi_ratio:.2f}, collapse below {th.collapse_vendi:g}); duplicates {d.duplicate_rate:.1%} "
           f"(real {d.duplicate_rate_real:.1%}); coverage {f.coverage:.2f}")
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

    # ---- enriching
    failed = [v.name for v in out if v.fired and v.name != "shortcut risk"]
    rich = [t for t in ([joint] if joint else []) + risky
            if t.enrichment >= th.enrich_ratio and (t.reach_1d if t.descriptor != "joint" else t.reach) >= th.enrich_reach]
    fired = not failed and bool(rich)
    nums = {t.descriptor: {"enrichment": t.enrichment, "weighted_enrichment": t.weighted_enrichment,
                           "reach": t.reach, "reach_1d": t.reach_1d} for t in rich}
    if fired:
        msg = "adds tail mass where the real data has it: " + ", ".join(
            f"{t.descriptor} {t.enrichment:.2g}x" for t in rich)
    elif failed:
        msg = f"not enriching while {', '.join(failed)} holds"
    else:
        msg = (f"neutral: no risky tail at level {q:g} holds >= {th.enrich_ratio:g}x the real mass "
               f"with >= {th.enrich_reach:g} of it reached")
    out.append(Verdict("enriching", fired, msg, nums, tuple(t.descriptor for t in rich) if fired else ()))
    return tuple(out)


def summary(vs: tuple[Verdict, ...]) -> str:
    """One line: the fired verdicts, or ``neutral``."""
    fired = [v.name for v in vs if v.fired]
    return ", ".join(fired) if fired else "neutral"
