"""Plain-language verdicts per failure mode, from a :class:`CoverageResult` and its real-vs-real baseline.

Every verdict is calibrated: it fires only where the synthetic set falls outside what real data
gives against real data (the :class:`~scenariogen.coverage.baseline.Calibration`, split by
recording) *and* beyond a fixed floor in :class:`Thresholds`. Without a calibration (a bare
:func:`verdicts` call) the floors alone decide and every message says the verdict is
uncalibrated. Each verdict carries the numbers it was decided on, the baseline next to them, the
descriptors it names and, for drift and shortcut risk, what to change. Rules: ``docs/coverage.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .baseline import Band, Calibration
from .metrics import CoverageResult, TailResult

VERDICTS = ("missing tails", "simulator drift", "collapse", "shortcut risk", "enriching")

# what a scenario family's author can change when a descriptor is off (drift) or gives the set away (shortcut)
ACTIONS = {
    "min_ttc": "calibrate the closing speeds and gaps of the family's conflicts",
    "min_thw": "calibrate the following gaps (IDM time headway and minimum gap, initial spacing)",
    "min_distance": "calibrate the spacing of the traffic (initial gaps, lateral positions within the lane)",
    "ego_max_decel": "calibrate braking (comfortable deceleration, hard-brake manoeuvres)",
    "ego_max_lat_accel": "calibrate lane changes and curves (lane-change duration, road curvature)",
    "rel_speed_at_closest": "calibrate the speed differences between the ego and the others",
    "min_pet": "calibrate the timing of crossing paths",
    "max_drac": "calibrate closing speeds on leaders (speed differences, gaps)",
    "n_agents_30m": "calibrate the traffic density (number of agents and their spacing)",
    "ego_speed_mean": "calibrate the family's speed distribution (desired and initial speeds)",
    "ego_speed_std": "calibrate how much the ego's speed varies (stop-and-go, accelerations)",
    "ego_speed_max": "calibrate the family's top speeds (desired speeds, speed limits)",
    "occluded_threat_longest": "calibrate occluders and where threats appear",
}


@dataclass(frozen=True)
class Thresholds:
    """The floors of the verdicts; each verdict also needs the synthetic value outside its
    real-vs-real band (when a calibration is given). Ratios are synthetic / real.

    - missing tails: a judged risky tail at ``tail_level`` whose bootstrap upper bound of the
      enrichment is below ``missing_descriptor_enrichment`` (``missing_enrichment`` for the joint
      tail) and whose calibrated ratio is below the lowest real-vs-real one; or a risky descriptor's
      tail whose real samples are reached on its own axis less than ``missing_reach`` and less than
      in any real-vs-real split (the joint tail's full-space reach is left to simulator drift);
    - simulator drift: the calibrated off-support rate above ``drift_off_support`` and above the
      band, or a descriptor's calibrated median shift at least ``drift_shift`` real sd and outside
      its band (those descriptors are the named drivers);
    - collapse: the calibrated Vendi ratio below ``collapse_vendi`` and the band, or the duplicate
      rate above the real one by more than ``collapse_duplicates`` and the band;
    - shortcut risk: the classifier's AUC above its chance interval, above the band and at least
      ``shortcut_auc``; the named descriptors separate beyond their own band by at least
      ``shortcut_separation``;
    - enriching: no drift, collapse or shortcut, the AUC not above the band, and a judged tail
      holding at least ``enrich_ratio`` times the real mass with a bootstrap lower bound of at least
      ``enrich_lower`` and at least ``enrich_reach`` of its real samples reached (with
      ``enrich_band``, also a calibrated ratio above the real-vs-real band; off by default)."""

    tail_level: float = 0.05
    missing_enrichment: float = 0.5
    missing_descriptor_enrichment: float = 0.25
    missing_reach: float = 0.5
    drift_off_support: float = 0.25
    drift_shift: float = 2.0
    collapse_vendi: float = 0.35
    collapse_duplicates: float = 0.1
    shortcut_auc: float = 0.6
    shortcut_separation: float = 0.1
    enrich_ratio: float = 1.5
    enrich_lower: float = 1.5
    enrich_reach: float = 0.5
    enrich_band: bool = False


@dataclass(frozen=True)
class Verdict:
    """One failure mode (or ``enriching``): whether it fired, a sentence saying why, the numbers
    behind it (with their real-vs-real bands), the descriptors it names and, where the user can act,
    one sentence per cause in ``actions``."""

    name: str
    fired: bool
    message: str
    numbers: dict
    descriptors: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()


def _fmt(x: float) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.3g}"


def _pct(x: float) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.0%}"


def _band_text(b: Band | None, fmt=_fmt) -> str:
    if b is None or not b.n:
        return "no baseline"
    return f"real vs real {fmt(b.lo)} to {fmt(b.hi)}"


def _band_dict(b: Band | None) -> dict | None:
    return None if b is None or not b.n else {"median": b.median, "lo": b.lo, "hi": b.hi, "splits": b.n}


class _Cal:
    """Calibrated values with the main result's numbers as fallback when there is no baseline."""

    def __init__(self, cal: Calibration | None):
        self.cal = cal

    def value(self, key: str, fallback: float) -> float:
        if self.cal is None:
            return fallback
        v = self.cal.value(key)
        return v if math.isfinite(v) else fallback

    def band(self, key: str) -> Band | None:
        if self.cal is None:
            return None
        b = self.cal.band(key)
        return b if b.n else None


def _below(x: float, b: Band | None) -> bool:
    return b is None or x < b.lo


def _above(x: float, b: Band | None) -> bool:
    return b is None or x > b.hi


def _reach(t: TailResult) -> float:
    return t.reach if t.descriptor == "joint" else t.reach_1d


def _key(kind: str, t: TailResult) -> str:
    return f"{kind}:{t.descriptor}:{t.level:g}"


def _units(r: CoverageResult) -> str:
    tt = r.tail_test
    return f" in {tt.real_units} real recordings" if tt is not None else ""


def _not_judged(r: CoverageResult, tails: list[TailResult]) -> str:
    need = r.settings.min_tail_real
    short = [t for t in tails if not t.judged]
    if not short:
        return ""
    worst = max(short, key=lambda t: need / max(t.real_share, 1e-12))
    more = math.ceil(need / max(worst.level, 1e-12))
    return ("not enough real tail to judge " + ", ".join(f"{t.descriptor} {t.level:g} ({t.n_real} real windows)"
                                                        for t in short)
            + f": a tail is judged from {need} real windows on, so a {worst.level:g} tail needs about {more} real "
              "windows; add real recordings")


def verdicts(r: CoverageResult, th: Thresholds = Thresholds(), calibration: Calibration | None = None
             ) -> tuple[Verdict, ...]:
    """The five verdicts of a coverage result, in the order of ``VERDICTS``; ``calibration``: the
    synthetic set against the real-vs-real baseline (without it only the floors decide)."""
    C = _Cal(calibration)
    f = r.fidelity
    uncal = "" if calibration is not None else " (uncalibrated: no real-vs-real baseline)"
    out = []

    # ---- missing tails: judged risky tails (and the joint tail) at the tail level
    q = th.tail_level
    level_tails = [t for t in r.tails if math.isclose(t.level, q)
                   and (t.descriptor == "joint" or t.descriptor in r.settings.risky)]
    missing, nums = [], {"level": q, "tails": {}}
    for t in level_tails:
        ratio = C.value(_key("tail", t), t.enrichment)
        reach = C.value(_key("reach", t), _reach(t))
        b, br = C.band(_key("tail", t)), C.band(_key("reach", t))
        bar = th.missing_enrichment if t.descriptor == "joint" else th.missing_descriptor_enrichment
        low_mass = t.judged and t.enrichment_high < bar and _below(ratio, b)
        # reach on the descriptor's own axis; the joint tail's reach is in the full space, where any
        # drift of the whole set lowers it (that is simulator drift's verdict, not a missing tail)
        low_reach = (t.judged and t.descriptor != "joint" and reach < th.missing_reach and _below(reach, br))
        nums["tails"][t.descriptor] = {"judged": t.judged, "n_real": t.n_real, "enrichment": t.enrichment,
                                       "enrichment_high": t.enrichment_high, "calibrated": ratio,
                                       "band": _band_dict(b), "reach": reach, "reach_band": _band_dict(br)}
        if low_mass or low_reach:
            missing.append((t, ratio, b, reach, br, low_mass))
    parts = []
    if missing:
        parts.append(f"the synthetic set misses the real {q:g} tail of " + ", ".join(
            (f"{t.descriptor} ({_fmt(t.enrichment)}x the real mass, at most {_fmt(t.enrichment_high)}x; "
             f"{_fmt(ratio)}x against held-out halves, {_band_text(b)})") if by_mass else
            (f"{t.descriptor} ({_pct(reach)} of its real samples reached on its own axis, {_band_text(br, _pct)}; "
             f"{_fmt(t.enrichment)}x the real mass, but elsewhere in the tail region)")
            for t, ratio, b, reach, br, by_mass in missing))
    judged = [t for t in level_tails if t.judged]
    if not missing and judged:
        parts.append(f"every judged {q:g} tail holds real-like mass or more (" + ", ".join(
            f"{t.descriptor} {_fmt(t.enrichment)}x" for t in judged) + ")")
    nj = _not_judged(r, level_tails)
    if nj:
        parts.append(nj)
    if not level_tails:
        parts.append("no risky tail could be formed")
    fired = bool(missing)
    msg = "; ".join(parts) + uncal
    if fired:
        msg += (f" (missing: the bootstrap upper bound below {th.missing_descriptor_enrichment:g}x, "
                f"{th.missing_enrichment:g}x for the joint tail, and below every real-vs-real split; or fewer than "
                f"{th.missing_reach:.0%} of the real tail reached on its own axis and fewer than in any real-vs-real "
                "split)")
    out.append(Verdict("missing tails", fired, msg, nums, tuple(m[0].descriptor for m in missing)))

    # ---- simulator drift: off the real support beyond real-vs-real, and the descriptors that drift
    off = C.value("off_support", f.off_support)
    b_off = C.band("off_support")
    off_fired = off > th.drift_off_support and _above(off, b_off)
    shifted = []
    for n in r.names:
        s = C.value(f"shift:{n}", f.median_shift[n])
        b = C.band(f"shift:{n}")
        if abs(s) >= th.drift_shift and (b is None or b.outside(s) != 0):
            excess = abs(s) - (max(abs(b.lo), abs(b.hi)) if b is not None else 0.0)
            shifted.append((n, s, b, excess))
    shifted.sort(key=lambda x: -x[3])
    fired = off_fired or bool(shifted)
    nums = {"off_support": off, "off_support_band": _band_dict(b_off), "off_support_all": f.off_support,
            "density": C.value("density", f.density), "density_band": _band_dict(C.band("density")),
            "shift_sd": {n: {"shift": s, "band": _band_dict(b)} for n, s, b, _e in shifted},
            "drift_share": dict(sorted(f.drift_share.items(), key=lambda kv: -kv[1])[:3])}
    actions = tuple(f"{n} is {abs(s):.1f} sd {'above' if s > 0 else 'below'} the logs ({_band_text(b, lambda x: f'{x:+.1f}')} "
                    f"sd): {ACTIONS.get(n, 'calibrate it')}" for n, s, b, _e in shifted)
    msg = (f"{off:.0%} of the synthetic samples lie outside every real k-NN ball ({_band_text(b_off, _pct)}, "
           f"floor {th.drift_off_support:.0%})")
    if shifted:
        msg += "; drifting beyond the real spread: " + ", ".join(f"{n} ({s:+.1f} sd)" for n, s, _b, _e in shifted)
    elif off_fired:
        top = ", ".join(f"{n} ({s:.0%})" for n, s in nums["drift_share"].items())
        msg += (f"; no single descriptor is off beyond the real spread: the distance lies in their combination, "
                f"mostly {top}")
    out.append(Verdict("simulator drift", fired, msg + uncal, nums, tuple(n for n, *_x in shifted), actions))

    # ---- collapse
    d = r.diversity
    v = C.value("vendi_ratio", d.vendi_ratio)
    dup = C.value("duplicate_excess", d.duplicate_rate - d.duplicate_rate_real)
    bv, bd = C.band("vendi_ratio"), C.band("duplicate_excess")
    why = [w for w, hit in (("the Vendi ratio", v < th.collapse_vendi and _below(v, bv)),
                            ("the duplicates", dup > th.collapse_duplicates and _above(dup, bd))) if hit]
    fired = bool(why)
    nums = {"vendi_ratio": v, "vendi_band": _band_dict(bv), "vendi_ratio_all": d.vendi_ratio,
            "duplicate_excess": dup, "duplicate_band": _band_dict(bd), "duplicate_rate": d.duplicate_rate,
            "duplicate_rate_real": d.duplicate_rate_real, "coverage": C.value("coverage", f.coverage),
            "coverage_band": _band_dict(C.band("coverage"))}
    msg = (f"Vendi ratio {v:.2f} against as many real samples ({_band_text(bv)}; collapse below {th.collapse_vendi:g}); "
           f"duplicates {dup:+.1%} over the real rate ({_band_text(bd, _pct)}); coverage "
           f"{_fmt(nums['coverage'])} ({_band_text(C.band('coverage'))})")
    if why:
        msg += f"; fired on {' and '.join(why)}"
    actions = (("the set repeats a few situations: widen the family's parameter ranges or draw more distinct "
                "scenarios",) if fired else ())
    out.append(Verdict("collapse", fired, msg + uncal, nums, (), actions))

    # ---- shortcut risk
    c = r.classifier
    b_auc = C.band("auc")
    if c is None:
        out.append(Verdict("shortcut risk", False, "no classifier test was run", {}))
        open_shortcut = False
    else:
        ceiling = max(c.auc_chance[1], b_auc.hi if b_auc is not None else -math.inf)
        fired = c.auc > ceiling and c.auc >= th.shortcut_auc
        open_shortcut = c.auc > (b_auc.hi if b_auc is not None else c.auc_chance[1])
        seps = []
        for n in r.names:
            s = f.separation.get(n, c.separation.get(n, math.nan))
            b = C.band(f"separation:{n}")
            lim = b.hi if b is not None else 0.0
            if s - lim >= th.shortcut_separation:
                seps.append((n, s, b, s - lim))
        seps.sort(key=lambda x: -x[3])
        nums = {"auc": c.auc, "auc_band": _band_dict(b_auc), "auc_chance": list(c.auc_chance),
                "accuracy": c.accuracy, "accuracy_chance": list(c.accuracy_chance), "grouped": c.grouped,
                "groups_real": c.groups_real, "effective_real": c.effective_real,
                "separation": {n: {"separation": s, "band": _band_dict(b),
                                   "shift_sd": C.value(f"shift:{n}", f.median_shift[n])} for n, s, b, _e in seps[:4]}}
        actions = tuple(
            f"{n} alone separates at {s:.2f} ({_band_text(b)}; median {C.value(f'shift:{n}', f.median_shift[n]):+.1f} sd "
            f"from the logs): {ACTIONS.get(n, 'calibrate it')}" for n, s, b, _e in seps[:4])
        msg = (f"a classifier tells synthetic from real with held-out AUC {c.auc:.3f} ({_band_text(b_auc)}, chance "
               f"up to {c.auc_chance[1]:.3f} from {c.effective_real:.3g} effective real units)")
        if fired:
            msg += ("; separating beyond real vs real: " + ", ".join(f"{n} ({s:.2f})" for n, s, _b, _e in seps[:4])
                    if seps else "; no single descriptor separates beyond real vs real: the shortcut is in their "
                                 "combination")
        out.append(Verdict("shortcut risk", fired, msg + uncal, nums, tuple(n for n, *_x in seps[:4]) if fired else (),
                           actions if fired else ()))

    # ---- enriching: confident extra real-tail mass, from a set that is on the support, diverse, not separable
    cands, weak = [], []
    for t in r.tails:
        if not (t.descriptor == "joint" or t.descriptor in r.settings.risky):
            continue
        ratio, b = C.value(_key("tail", t), t.enrichment), C.band(_key("tail", t))
        ok = (t.judged and t.enrichment >= th.enrich_ratio and t.enrichment_low >= th.enrich_lower
              and _reach(t) >= th.enrich_reach and (not th.enrich_band or _above(ratio, b)))
        if ok:
            cands.append((t, ratio, b))
        elif t.enrichment >= th.enrich_ratio:
            weak.append((t, ratio, b))
    best: dict[str, tuple] = {}
    for x in cands:  # per descriptor its strongest level by the lower bound
        if x[0].descriptor not in best or x[0].enrichment_low > best[x[0].descriptor][0].enrichment_low:
            best[x[0].descriptor] = x
    rich = sorted(best.values(), key=lambda x: -x[0].enrichment_low)
    blockers = [n for n in ("simulator drift", "collapse", "shortcut risk") if any(v.name == n and v.fired for v in out)]
    if open_shortcut and "shortcut risk" not in blockers:
        blockers.append("a classifier AUC above the real-vs-real band")
    fired = bool(rich) and not blockers
    nums = {t.descriptor: {"level": t.level, "enrichment": t.enrichment, "enrichment_low": t.enrichment_low,
                           "calibrated": ratio, "band": _band_dict(b), "weighted_enrichment": t.weighted_enrichment,
                           "reach": _reach(t), "n_real": t.n_real} for t, ratio, b in rich}

    def one(t, ratio, b):
        w = "" if math.isnan(t.weighted_enrichment) else f", weighted {_fmt(t.weighted_enrichment)}x"
        return (f"{t.descriptor} {_fmt(t.enrichment)}x the real mass of its {t.level:g} tail (at least "
                f"{_fmt(t.enrichment_low)}x from {t.n_real} real windows{_units(r)}; {_fmt(ratio)}x against held-out "
                f"halves, {_band_text(b)}{w})")

    actions: tuple[str, ...] = ()
    if fired:
        msg = "adds real-tail mass: " + "; ".join(one(*x) for x in rich[:4])
        if out[0].fired:
            msg += "; other risky tails are missing (see missing tails)"
    elif rich:
        msg = f"raises {'; '.join(one(*x) for x in rich[:4])}, but is not enriching while {' and '.join(blockers)} holds"
        need = []
        if "simulator drift" in blockers:
            need.append("bring the drifting descriptors back inside the real spread (see simulator drift)")
        if "collapse" in blockers:
            need.append("make the set as diverse as the real one (see collapse)")
        if blockers and blockers[-1].startswith(("shortcut", "a classifier")) and c is not None:
            top = ", ".join(out[3].descriptors) or "a combination of descriptors"
            lim = b_auc.hi if b_auc is not None else c.auc_chance[1]
            need.append(f"make the classifier's AUC fall to at most {lim:.3f} (now {c.auc:.3f}): {top} give the set away")
        actions = tuple(need)
        msg += ": to count, " + "; ".join(need)
    elif not any(t.judged for t in r.tails):
        msg = (f"cannot be judged: no risky tail holds {r.settings.min_tail_real} real windows (add real recordings)")
    else:
        msg = (f"neutral: no judged risky tail holds confidently more than {th.enrich_ratio:g}x the real mass")
        if weak:
            msg += "; " + ", ".join(
                f"{t.descriptor} {t.level:g} {_fmt(t.enrichment)}x " + (
                    f"(at least {_fmt(t.enrichment_low)}x; {_fmt(ratio)}x against held-out halves, {_band_text(b)})"
                    if t.judged else f"(not judged: {t.n_real} real windows)") for t, ratio, b in weak[:4])
            msg += " are not confident enough"
    out.append(Verdict("enriching", fired, msg + uncal, nums, tuple(x[0].descriptor for x in rich) if fired else (),
                       actions))
    return tuple(out)


#: the least share of real data to keep in a training set that adds a generated one (accumulate, never
#: replace: Gerstgrasser et al. 2024, "Is model collapse inevitable?"; Shumailov et al. 2024 on replacing)
KEEP_REAL = 0.5


def training_mix(vs: tuple[Verdict, ...], keep_real: float = KEEP_REAL) -> dict:
    """How much real data to keep when training on the scored set: at least ``keep_real`` of the
    training set real, the generated set added to the real data and never put in its place; all of
    it real (the set left out) while a failure verdict fires."""
    failures = [v.name for v in vs if v.fired and v.name != "enriching"]
    if failures:
        return {"keep_real_share": 1.0, "failures": failures,
                "advice": (f"keep the training set 100% real: do not train on this set until {', '.join(failures)} "
                           "no longer fire: its differences from the logs would be learnt, and generations trained "
                           "on each other's output lose the tails first")}
    return {"keep_real_share": keep_real, "failures": [],
            "advice": (f"keep at least {keep_real:.0%} of the training set real and add this set to the real data, "
                       "never in its place: generations that replace real data with generated data lose the real "
                       "tails (model collapse), generations that accumulate do not (Gerstgrasser et al. 2024)")}


def summary(vs: tuple[Verdict, ...]) -> str:
    """One line: the fired verdicts, or ``neutral``; noting when no tail could be judged."""
    fired = [v.name for v in vs if v.fired]
    line = ", ".join(fired) if fired else "neutral"
    tails = next((v.numbers.get("tails") for v in vs if v.name == "missing tails"), None)
    if tails and not any(t.get("judged") for t in tails.values()):
        line += " (tails not judged: too few real windows)"
    return line
