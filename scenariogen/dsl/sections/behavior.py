"""``behavior:`` of actors and traffic: the longitudinal model (IDM and its
parameters) and MOBIL lane changes."""

from __future__ import annotations

from typing import Any

from .. import schema as S
from ..distparse import ValueReader
from ..distributions import Const, Value
from ..reader import NONNEG, POS, PROB, Range, did_you_mean, join_path
from ..yamlmarks import Mark, YMap

_IDM_KEYS = ("desired_speed", "time_headway", "min_gap", "max_accel", "comfort_decel", "delta", "reaction_time")
_MOBIL_KEYS = ("politeness", "threshold", "safe_decel", "duration")
_BEHAVIORS = ("idm", "keep_lane", "constant_speed", "stop")
_DRIVER_KEYS = ("lateral_accel", "critical_gap", "follow_up", "cooperation", "merge_gap", "accel_noise",
                "accel_noise_time", "wander")


def _parse_idm(c: ValueReader, body: Any, mark: Mark, path: str) -> S.IDMParams:
    d = S.IDMParams()
    if body is None or (isinstance(body, YMap) and not body):
        return d
    m = c.mapping(body, mark, path)
    if m is None:
        return d
    c.keys(m, path, _IDM_KEYS)
    return S.IDMParams(
        desired_speed=c.value(m, "desired_speed", path, 30.0, POS) or d.desired_speed,
        time_headway=c.value(m, "time_headway", path, 1.5, NONNEG) or d.time_headway,
        min_gap=c.value(m, "min_gap", path, 2.0, NONNEG) or d.min_gap,
        max_accel=c.value(m, "max_accel", path, 1.5, POS) or d.max_accel,
        comfort_decel=c.value(m, "comfort_decel", path, 2.0, POS) or d.comfort_decel,
        delta=c.number(m, "delta", path, 4.0, Range(1.0, 10.0)) or 4.0,
        reaction_time=c.value(m, "reaction_time", path, 0.0, Range(0.0, 5.0)) or d.reaction_time,
    )


def parse_behavior(c: ValueReader, parent: YMap, path: str) -> S.BehaviorSpec:
    if "behavior" not in parent:
        return S.BehaviorSpec()
    body = parent["behavior"]
    mark = c.at(parent, "behavior")
    p = join_path(path, "behavior")
    if isinstance(body, str):
        if body not in _BEHAVIORS:
            c.error(mark, p, f"unknown behaviour '{body}'{did_you_mean(body, _BEHAVIORS)} (allowed: {', '.join(_BEHAVIORS)})")
            return S.BehaviorSpec()
        return S.BehaviorSpec(model=body)
    m = c.mapping(body, mark, p, "a behaviour (idm, keep_lane, constant_speed, stop) as a name or mapping")
    if m is None:
        return S.BehaviorSpec()
    c.keys(m, p, _BEHAVIORS + ("lane_change", "driver"))
    models = [k for k in _BEHAVIORS if k in m]
    if len(models) > 1:
        c.error(m.key_marks[models[1]], join_path(p, models[1]), f"choose one longitudinal model, got both '{models[0]}' and '{models[1]}'")
    model = models[0] if models else "idm"
    idm = S.IDMParams()
    stop_decel: Value = Const(3.0)
    if model in ("idm", "keep_lane") and model in m:
        idm = _parse_idm(c, m[model], c.at(m, model), join_path(p, model))
    if model == "stop" and isinstance(m.get("stop"), YMap):
        sm = m["stop"]
        c.keys(sm, join_path(p, "stop"), ("decel",))
        stop_decel = c.value(sm, "decel", join_path(p, "stop"), 3.0, POS) or stop_decel
    mobil = None
    if "lane_change" in m:
        lp = join_path(p, "lane_change")
        lm = c.mapping(m["lane_change"], c.at(m, "lane_change"), lp)
        if lm is not None:
            c.keys(lm, lp, ("mobil",), ("mobil",))
            if model == "keep_lane":
                c.error(lm.mark, lp, "'keep_lane' never changes lanes; use 'idm' with 'lane_change'")
            if "mobil" in lm:
                mp = join_path(lp, "mobil")
                mm = lm["mobil"]
                if mm is None or (isinstance(mm, YMap) and not mm):
                    mobil = S.MobilParams()
                else:
                    mm = c.mapping(mm, c.at(lm, "mobil"), mp)
                    if mm is not None:
                        c.keys(mm, mp, _MOBIL_KEYS)
                        dm = S.MobilParams()
                        mobil = S.MobilParams(
                            politeness=c.value(mm, "politeness", mp, 0.3, PROB) or dm.politeness,
                            threshold=c.value(mm, "threshold", mp, 0.2, NONNEG) or dm.threshold,
                            safe_decel=c.value(mm, "safe_decel", mp, 4.0, POS) or dm.safe_decel,
                            duration=c.value(mm, "duration", mp, 3.0, POS) or dm.duration,
                        )
    driver = _parse_driver(c, m, p) if "driver" in m else S.DriverParams()
    return S.BehaviorSpec(model=model, idm=idm, mobil=mobil, stop_decel=stop_decel, driver=driver)


def _parse_driver(c: ValueReader, m: YMap, path: str) -> S.DriverParams:
    dp = join_path(path, "driver")
    dm = c.mapping(m["driver"], c.at(m, "driver"), dp)
    if dm is None:
        return S.DriverParams()
    c.keys(dm, dp, _DRIVER_KEYS)
    return S.DriverParams(
        lateral_accel=c.value(dm, "lateral_accel", dp, None, Range(0.5, 10.0)) if "lateral_accel" in dm else None,
        critical_gap=c.value(dm, "critical_gap", dp, None, Range(0.5, 30.0)) if "critical_gap" in dm else None,
        follow_up=c.value(dm, "follow_up", dp, None, Range(0.5, 30.0)) if "follow_up" in dm else None,
        cooperation=c.value(dm, "cooperation", dp, None, Range(0.0, 1.0)) if "cooperation" in dm else None,
        merge_gap=c.value(dm, "merge_gap", dp, None, Range(0.1, 10.0)) if "merge_gap" in dm else None,
        accel_noise=c.value(dm, "accel_noise", dp, None, Range(0.0, 3.0)) if "accel_noise" in dm else None,
        accel_noise_time=(c.value(dm, "accel_noise_time", dp, None, Range(0.1, 60.0))
                          if "accel_noise_time" in dm else None),
        wander=_parse_wander(c, dm, dp) if "wander" in dm else None,
    )


def _parse_wander(c: ValueReader, dm: YMap, path: str) -> S.Wander | None:
    wp = join_path(path, "wander")
    wm = c.mapping(dm["wander"], c.at(dm, "wander"), wp, "a mapping {sd: m, tau: s}")
    if wm is None or not c.keys(wm, wp, ("sd", "tau"), ("sd", "tau")):
        return None
    sd = c.value(wm, "sd", wp, None, Range(0.0, 1.0))
    tau = c.value(wm, "tau", wp, None, Range(0.1, 600.0))
    return None if sd is None or tau is None else S.Wander(sd, tau)
