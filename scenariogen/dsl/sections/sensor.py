"""The ego's ``sensor:``: range, field of view, noise, latency and dropout."""

from __future__ import annotations

from typing import Any

from .. import schema as S
from ..distparse import ValueReader, is_sampled, quantile_parameter
from ..distributions import Const
from ..reader import NONNEG, POS, PROB, Range, did_you_mean, join_path
from ..yamlmarks import Mark, YMap


def parse_sensor(c: ValueReader, body: Any, mark: Mark, path: str) -> S.SensorSpec | None:
    m = c.mapping(body, mark, path)
    if m is None:
        return None
    c.keys(m, path, ("range", "fov_deg", "mount", "noise", "dropout", "latency", "visible_threshold", "track_memory"))
    d = S.SensorSpec()
    mount_x = mount_y = 0.0
    if "mount" in m:
        mm = c.mapping(m["mount"], c.at(m, "mount"), join_path(path, "mount"))
        if mm is not None:
            c.keys(mm, join_path(path, "mount"), ("x", "y"))
            mount_x = c.number(mm, "x", join_path(path, "mount"), 0.0) or 0.0
            mount_y = c.number(mm, "y", join_path(path, "mount"), 0.0) or 0.0
    pos_noise = speed_noise = Const(0.0)
    if "noise" in m:
        npath = join_path(path, "noise")
        nm = c.mapping(m["noise"], c.at(m, "noise"), npath)
        if nm is not None:
            c.keys(nm, npath, ("position_std", "speed_std"))
            pos_noise = c.value(nm, "position_std", npath, 0.0, NONNEG) or pos_noise
            speed_noise = c.value(nm, "speed_std", npath, 0.0, NONNEG) or speed_noise
    dropout = S.DropoutSpec()
    if "dropout" in m:
        dropout = _parse_dropout(c, m["dropout"], c.at(m, "dropout"), join_path(path, "dropout"))
    return S.SensorSpec(
        range=c.value(m, "range", path, 80.0, POS) or d.range,
        fov_deg=c.value(m, "fov_deg", path, 120.0, Range(0.0, 360.0, low_open=True)) or d.fov_deg,
        mount_x=mount_x,
        mount_y=mount_y,
        position_noise=pos_noise,
        speed_noise=speed_noise,
        dropout=dropout,
        latency=c.value(m, "latency", path, 0.0, Range(0.0, 2.0)) or d.latency,
        visible_threshold=c.number(m, "visible_threshold", path, 0.3, PROB),
        track_memory=c.value(m, "track_memory", path, 0.5, Range(0.0, 10.0)) or d.track_memory,
    )


def _parse_dropout(c: ValueReader, body: Any, mark: Mark, path: str) -> S.DropoutSpec:
    if body in (None, "none"):
        return S.DropoutSpec()
    m = c.mapping(body, mark, path, "{gilbert_elliott: {...}} or {independent: {p_loss}}")
    if m is None or len(m) != 1:
        if m is not None:
            c.error(m.mark, path, "a dropout model is exactly one of 'gilbert_elliott' or 'independent'")
        return S.DropoutSpec()
    (kind,) = m.keys()
    p = join_path(path, kind)
    if kind not in ("gilbert_elliott", "independent"):
        c.error(m.key_marks[kind], p, f"unknown dropout model '{kind}'{did_you_mean(kind, ('gilbert_elliott', 'independent'))}")
        return S.DropoutSpec()
    bm = c.mapping(m[kind], m.value_marks[kind], p)
    if bm is None:
        return S.DropoutSpec()
    if kind == "independent":
        c.keys(bm, p, ("p_loss",), ("p_loss",))
        return S.DropoutSpec("independent", p_loss=c.value(bm, "p_loss", p, 0.0, PROB) or Const(0.0))
    first = _parse_first_burst(c, bm, p)
    if "loss_rate" in bm or "mean_burst" in bm:
        c.keys(bm, p, ("loss_rate", "mean_burst", "first_burst"), ("loss_rate", "mean_burst"))
        rate = c.value(bm, "loss_rate", p, 0.01, Range(0.0, 0.99))
        burst = c.value(bm, "mean_burst", p, 0.3, Range(0.0, 60.0, low_open=True))
        if rate is None or burst is None:
            return S.DropoutSpec()
        return S.DropoutSpec("gilbert_elliott", loss_rate=rate, mean_burst=burst, **first)
    c.keys(bm, p, ("p_enter", "p_exit", "first_burst"), ("p_enter", "p_exit"))
    return S.DropoutSpec(
        "gilbert_elliott",
        p_enter=c.value(bm, "p_enter", p, 0.01, PROB) or Const(0.01),
        p_exit=c.value(bm, "p_exit", p, 0.3, Range(0.0, 1.0, low_open=True)) or Const(0.3),
        **first,
    )


def _parse_first_burst(c: ValueReader, bm: YMap, path: str) -> dict:
    """``first_burst: sampled`` adds the p-quantiles of the chain's first burst (start step and
    length, each uniform on (0, 1)) to the family's parameters; ``chain`` (the default) leaves
    the whole chain to its own random stream."""
    if not is_sampled(c, bm, "first_burst", path, "chain"):
        return {}
    p, mark = join_path(path, "first_burst"), c.at(bm, "first_burst")
    return {"first_burst_start": quantile_parameter(c, join_path(p, "start"), mark),
            "first_burst_length": quantile_parameter(c, join_path(p, "length"), mark)}
