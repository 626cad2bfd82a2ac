"""``calibrate:``: which parameters ``scenariogen calibrate`` fits to real logs, and how hard it tries."""

from __future__ import annotations

from ..distparse import ValueReader
from ..distributions import Choice, Parameter
from ..reader import Range, did_you_mean, type_name
from ..schema import CalibrateSpec
from ..yamlmarks import YMap, YSeq

_KEYS = ("fit", "window", "scenarios", "evaluations", "bootstrap")


def parse_calibrate(c: ValueReader, root: YMap, space: list[Parameter], duration: float | None) -> CalibrateSpec | None:
    """The ``calibrate`` block, checked against the family's parameters ``space`` (every name in
    ``fit`` must be one of its distributions, and one that can be fitted)."""
    if "calibrate" not in root:
        return None
    m = c.mapping(root["calibrate"], c.at(root, "calibrate"), "calibrate")
    if m is None:
        return None
    c.keys(m, "calibrate", _KEYS, ("fit",))
    names = [p.name for p in space]
    fit: list[str] = []
    body = m.get("fit")
    if "fit" in m and not isinstance(body, YSeq):
        c.error(c.at(m, "fit"), "calibrate.fit", f"expected a list of parameter names, got {type_name(body)}")
    elif isinstance(body, YSeq):
        if not body:
            c.error(c.at(m, "fit"), "calibrate.fit", "expected at least one parameter name")
        for i, (name, mark) in enumerate(zip(body, body.item_marks)):
            path = f"calibrate.fit[{i}]"
            if not isinstance(name, str):
                c.error(mark, path, f"expected a parameter name, got {type_name(name)}")
                continue
            key = name[1:] if name.startswith("$") else name
            if key not in names:
                hint = did_you_mean(key, names) or (f" (parameters: {', '.join(names)})" if names else
                                                    "; this family has no distributions")
                c.error(mark, path, f"'{name}' is not a parameter of this family{hint}")
                continue
            if key in fit:
                c.error(mark, path, f"'{name}' is listed twice")
                continue
            if isinstance(space[names.index(key)].dist, Choice):
                c.error(mark, path, f"'{name}' is a choice: its weights cannot be fitted; write it as a "
                        "uniform, normal, lognormal or poisson, or leave it out of 'fit'")
                continue
            fit.append(key)
    window = c.number(m, "window", "calibrate", None, Range(0.0, 3600.0, low_open=True)) if "window" in m else None
    if window is not None and duration is not None and window > duration + 1e-9:
        c.error(c.at(m, "window"), "calibrate.window", f"{window:g} s is longer than the family's duration "
                f"({duration:g} s)")
    d = CalibrateSpec(fit=())
    scenarios = c.number(m, "scenarios", "calibrate", d.scenarios, Range(20, 100_000, integer=True))
    evaluations = c.number(m, "evaluations", "calibrate", d.evaluations, Range(5, 100_000, integer=True))
    bootstrap = c.number(m, "bootstrap", "calibrate", d.bootstrap, Range(0, 1000, integer=True))
    return CalibrateSpec(fit=tuple(fit), window=window, scenarios=int(scenarios), evaluations=int(evaluations),
                         bootstrap=int(bootstrap))


__all__ = ["parse_calibrate"]
