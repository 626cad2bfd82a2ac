"""Scenario YAML -> validated :class:`ScenarioSpec`, reporting every problem at once.

Validation walks the marked YAML tree section by section. Each check that
fails records a :class:`~scenariogen.errors.Problem` (file, line, column, key
path, message) and the walk goes on, so one run reports all problems of a
file. Semantic checks (references, bounds, road geometry) run before anything
is simulated.
"""

from __future__ import annotations

import difflib
import hashlib
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx

from ..errors import DSLError, Problem, RoadError
from . import schema as S
from .distributions import (
    Choice,
    Const,
    LogNormal,
    Normal,
    Parameter,
    ParameterSpace,
    Poisson,
    Ref,
    Uniform,
    Value,
    lognormal_from_mean_std,
)
from .yamlmarks import LoadError, Mark, YMap, YSeq, load

DSL_VERSION = 1
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_NUM_TYPES = (int, float)


def _is_number(x: Any) -> bool:
    return isinstance(x, _NUM_TYPES) and not isinstance(x, bool)


def _finite(x: Any) -> bool:
    """A number that is neither inf/nan nor an integer too large for a float."""
    try:
        return math.isfinite(x)
    except OverflowError:
        return False


_SCI_RE = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+$")


def _type_name(x: Any) -> str:
    if x is None:
        return "nothing (null)"
    if isinstance(x, bool):
        return "a boolean"
    if isinstance(x, int):
        return "an integer"
    if isinstance(x, float):
        return "a number"
    if isinstance(x, str):
        if _SCI_RE.match(x.strip()):
            # YAML 1.1 reads 1e-3 as text: a float needs a '.' in the mantissa and a sign in the exponent
            return f"the text '{x}' (YAML reads this as text; write the number like 1.0e-3 or 0.001)"
        return f"the text '{x}'" if len(x) < 30 else "a text"
    if isinstance(x, list):
        return "a list"
    if isinstance(x, dict):
        return "a mapping"
    return type(x).__name__


def _short_num(x: Any) -> str:
    return str(x) if len(str(x)) <= 20 else f"{str(x)[:12]}... ({len(str(x))} digits)"


def did_you_mean(word: str, options) -> str:
    close = difflib.get_close_matches(str(word), [str(o) for o in options], n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


@dataclass(frozen=True)
class Range:
    """Allowed interval of a numeric field (either end may be open/None)."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    integer: bool = False

    def contains(self, x: float) -> bool:
        if self.low is not None and (x < self.low or (self.low_open and x == self.low)):
            return False
        if self.high is not None and x > self.high:
            return False
        return True

    def describe(self) -> str:
        lo = "-inf" if self.low is None else f"{self.low:g}"
        hi = "inf" if self.high is None else f"{self.high:g}"
        left = "(" if (self.low_open or self.low is None) else "["
        right = ")" if self.high is None else "]"
        return f"{left}{lo}, {hi}{right}"


ANY = Range()
NONNEG = Range(0.0)
POS = Range(0.0, low_open=True)
PROB = Range(0.0, 1.0)
COUNT = Range(0.0, integer=True)
#: seeds are integers below this (samplers derive keys from them; scipy's generators take < 2**63)
SEED_LIMIT = 2**63
_MAX_TAIL_SD = 40  # a truncated normal's window may lie at most this many std beyond its mean
ROAD_M = Range(0.0, 10_000.0, low_open=True)  # m; roads are discretised, so keep them finite and sane


class _Ctx:
    """Collects problems while walking one file."""

    def __init__(self, file: str, text: str):
        self.file = file
        self.lines = text.splitlines()
        self.problems: list[Problem] = []
        self.params: dict[str, Parameter] = {}  # declared in `params:`
        self.param_marks: dict[str, Mark] = {}
        self.broken_params: set[str] = set()  # declared, with an error already reported there
        self.used: list[Parameter] = []  # in order of first use

    # ---------------------------------------------------------------- reporting
    def error(self, mark: Mark, path: str, message: str) -> None:
        snippet = ""
        if 1 <= mark.line <= len(self.lines):
            src = self.lines[mark.line - 1]
            snippet = f"    {src}\n    {' ' * (mark.column - 1)}^"
        self.problems.append(Problem(self.file, mark.line, mark.column, path, message, snippet))

    # ------------------------------------------------------------------ shapes
    def mapping(self, node: Any, mark: Mark, path: str, what: str = "a mapping") -> YMap | None:
        if isinstance(node, YMap):
            return node
        self.error(mark, path, f"expected {what}, got {_type_name(node)}")
        return None

    def keys(self, m: YMap, path: str, allowed, required=()) -> bool:
        ok = True
        for k in m:
            if k not in allowed:
                self.error(m.key_marks[k], _join(path, k), f"unknown key '{k}'{did_you_mean(k, allowed)}"
                           + f" (allowed: {', '.join(allowed)})")
                ok = False
        for k in required:
            if k not in m:
                self.error(m.mark, path, f"missing required key '{k}'")
                ok = False
        return ok

    def at(self, m: YMap, key: str) -> Mark:
        return m.value_marks.get(key, m.mark)

    def number(self, m: YMap, key: str, path: str, default: float | None, rng: Range = ANY) -> float | None:
        p = _join(path, key)
        if key not in m:
            if default is None:
                self.error(m.mark, path, f"missing required key '{key}'")
            return default
        x = m[key]
        if not _is_number(x):
            self.error(self.at(m, key), p, f"expected a number, got {_type_name(x)}")
            return default
        if not _finite(x):
            self.error(self.at(m, key), p, f"expected a finite number, got {_short_num(x)}")
            return default
        if rng.integer and isinstance(x, float) and not x.is_integer():
            self.error(self.at(m, key), p, f"expected an integer, got {x}")
            return default
        if not rng.contains(float(x)):
            self.error(self.at(m, key), p, f"value {x} is out of range: expected a number in {rng.describe()}")
            return default
        return float(x)

    def text(self, m: YMap, key: str, path: str, default: str | None) -> str | None:
        if key not in m:
            if default is None:
                self.error(m.mark, path, f"missing required key '{key}'")
            return default
        x = m[key]
        if not isinstance(x, str):
            self.error(self.at(m, key), _join(path, key), f"expected a text, got {_type_name(x)}")
            return default
        return x

    # ---------------------------------------------------------- distributions
    def value(self, m: YMap, key: str, path: str, default: float | None, rng: Range = ANY) -> Value | None:
        """A number, a ``$param`` reference, or a one-key distribution mapping."""
        p = _join(path, key)
        if key not in m:
            if default is None:
                self.error(m.mark, path, f"missing required key '{key}'")
                return None
            return Const(float(default))
        return self.value_node(m[key], self.at(m, key), p, rng)

    def value_node(self, x: Any, mark: Mark, path: str, rng: Range) -> Value | None:
        if _is_number(x):
            if not _finite(x):
                self.error(mark, path, f"expected a finite number, got {_short_num(x)}")
                return None
            if rng.integer and isinstance(x, float) and not x.is_integer():
                self.error(mark, path, f"expected an integer, got {x}")
                return None
            if not rng.contains(float(x)):
                self.error(mark, path, f"value {x} is out of range: expected a number in {rng.describe()}")
                return None
            return Const(float(x))
        if isinstance(x, str) and x.startswith("$"):
            name = x[1:]
            if name in self.broken_params:
                return None  # its declaration's error says what is wrong; '$name' is not unknown
            if name not in self.params:
                known = list(self.params)
                hint = did_you_mean(name, known) if known else "; declare it under 'params:'"
                self.error(mark, path, f"unknown parameter '${name}'{hint}")
                return None
            param = self.params[name]
            self._check_support(param.dist, mark, path, rng, f"parameter '${name}'")
            self._use(param)
            return Ref(name)
        if isinstance(x, YMap):
            dist = self.distribution(x, path, rng)
            if dist is None:
                return None
            param = Parameter(path, dist, discrete=isinstance(dist, Poisson) or rng.integer)
            self._use(param)
            return Ref(path)
        what = "an integer, a poisson or a choice" if rng.integer else "a number, a distribution or a $parameter"
        self.error(mark, path, f"expected {what}, got {_type_name(x)}")
        return None

    def param_bounds(self, name: str) -> tuple[float, float]:
        """Support of a parameter declared or used so far."""
        for p in list(self.used) + list(self.params.values()):
            if p.name == name:
                return p.bounds
        return (-math.inf, math.inf)

    def _use(self, param: Parameter) -> None:
        if all(p.name != param.name for p in self.used):
            self.used.append(param)

    def _check_support(self, dist, mark: Mark, path: str, rng: Range, what: str) -> bool:
        lo, hi = dist.bounds()
        bad_lo = rng.low is not None and (lo < rng.low or (rng.low_open and lo <= rng.low and not isinstance(dist, (LogNormal,))))
        bad_hi = rng.high is not None and hi > rng.high
        if bad_lo or bad_hi:
            extra = ""
            if isinstance(dist, Normal) and (math.isinf(lo) or math.isinf(hi)):
                extra = "; truncate the normal with 'low:'/'high:'"
            self.error(mark, path, f"{what} can take values in [{lo:g}, {hi:g}] but this field needs {rng.describe()}{extra}")
            return False
        if rng.integer and not isinstance(dist, (Poisson, Choice)):
            self.error(mark, path, f"{what} must give integers: use a number, 'poisson' or 'choice'")
            return False
        if rng.integer and isinstance(dist, Choice) and any(v != int(v) for v in dist.values):
            self.error(mark, path, f"{what}: choice values must be integers here")
            return False
        return True

    def distribution(self, d: YMap, path: str, rng: Range):
        kinds = ("uniform", "normal", "lognormal", "choice", "poisson")
        if len(d) != 1:
            keys = ", ".join(d) if d else "nothing"
            self.error(d.mark, path, f"a distribution is a mapping with exactly one of {', '.join(kinds)}; got {keys}")
            return None
        (kind,) = d.keys()
        p = _join(path, kind)
        mark = d.value_marks[kind]
        body = d[kind]
        if kind not in kinds:
            self.error(d.key_marks[kind], p, f"unknown distribution '{kind}'{did_you_mean(kind, kinds)} (allowed: {', '.join(kinds)})")
            return None
        dist = None
        if kind == "uniform":
            pair = self.pair(body, mark, p)
            if pair is None:
                return None
            lo, hi = pair
            if lo > hi:
                self.error(mark, p, f"inverted bounds: low {lo:g} is greater than high {hi:g}")
                return None
            if not math.isfinite(hi - lo):
                self.error(mark, p, f"bounds [{lo:g}, {hi:g}] are too far apart to sample")
                return None
            dist = Uniform(lo, hi)
        elif kind == "normal":
            if isinstance(body, YSeq):
                pair = self.pair(body, mark, p)
                if pair is None:
                    return None
                body_d = None
                mean, std, low, high = pair[0], pair[1], None, None
            else:
                body_d = self.mapping(body, mark, p)
                if body_d is None:
                    return None
                self.keys(body_d, p, ("mean", "std", "low", "high"), ("mean", "std"))
                mean = self.number(body_d, "mean", p, 0.0)
                std = self.number(body_d, "std", p, 1.0)
                low = self.number(body_d, "low", p, None) if "low" in body_d else None
                high = self.number(body_d, "high", p, None) if "high" in body_d else None
            if std <= 0:
                where = body_d.value_marks["std"] if body_d is not None else mark
                self.error(where, _join(p, "std"), f"std must be positive, got {std:g}")
                return None
            if low is not None and high is not None and low >= high:
                self.error(body_d.value_marks["low"], _join(p, "low"), f"empty truncation: low {low:g} is not below high {high:g}")
                return None
            # a window far out in one tail has no mass to speak of: samples would be nan
            far = [(k, x) for k, x in (("low", low), ("high", high)) if x is not None
                   and (x - mean if k == "low" else mean - x) / std > _MAX_TAIL_SD]
            if far:
                k, x = far[0]
                where = body_d.value_marks[k] if body_d is not None else mark
                self.error(where, _join(p, k), f"truncation {k} {x:g} is more than {_MAX_TAIL_SD} standard deviations "
                           f"from the mean {mean:g}; the normal has no mass there (check mean, std and bounds)")
                return None
            dist = Normal(mean, std, low, high)
        elif kind == "lognormal":
            body_d = self.mapping(body, mark, p)
            if body_d is None:
                return None
            if "mean" in body_d or "std" in body_d:
                self.keys(body_d, p, ("mean", "std"), ("mean", "std"))
                mean = self.number(body_d, "mean", p, 1.0, POS)
                std = self.number(body_d, "std", p, 1.0, POS)
                if mean is None or std is None or mean <= 0 or std <= 0:
                    return None
                dist = lognormal_from_mean_std(mean, std)
            else:
                self.keys(body_d, p, ("median", "sigma"), ("median", "sigma"))
                median = self.number(body_d, "median", p, 1.0, POS)
                sigma = self.number(body_d, "sigma", p, 1.0, POS)
                if median is None or sigma is None or median <= 0 or sigma <= 0:
                    return None
                dist = LogNormal(math.log(median), sigma)
        elif kind == "choice":
            values, weights, wmark = body, None, mark
            if isinstance(body, YMap):
                self.keys(body, p, ("values", "weights"), ("values",))
                values = body.get("values")
                weights = body.get("weights")
                wmark = body.value_marks.get("weights", mark)
                mark = body.value_marks.get("values", mark)
            vals = self.numbers(values, mark, p)
            if vals is None:
                return None
            if not vals:
                self.error(mark, p, "choice needs at least one value")
                return None
            if weights is None:
                ws = [1.0] * len(vals)
            else:
                ws = self.numbers(weights, wmark, _join(p, "weights"))
                if ws is None:
                    return None
                if len(ws) != len(vals) or any(w < 0 for w in ws) or sum(ws) <= 0:
                    self.error(wmark, _join(p, "weights"), f"expected {len(vals)} non-negative weights with a positive sum")
                    return None
            total = sum(ws)
            dist = Choice(tuple(vals), tuple(w / total for w in ws))
        elif kind == "poisson":
            high = None
            if isinstance(body, YMap):
                self.keys(body, p, ("lam", "high"), ("lam",))
                lam = self.number(body, "lam", p, 1.0, POS)
                if "high" in body:
                    h = self.number(body, "high", p, None, COUNT)
                    high = None if h is None else int(h)
            elif _is_number(body):
                if not _finite(body):
                    self.error(mark, p, f"poisson mean must be a finite positive number, got {_short_num(body)}")
                    return None
                lam = float(body)
            else:
                self.error(mark, p, f"expected the mean count (a number) or {{lam, high}}, got {_type_name(body)}")
                return None
            if lam is None or lam <= 0:
                self.error(mark, p, f"poisson mean must be positive, got {lam}")
                return None
            dist = Poisson(lam, high)
        if not self._check_support(dist, mark, path, rng, f"{kind} distribution"):
            return None
        return dist

    def pair(self, body: Any, mark: Mark, path: str) -> tuple[float, float] | None:
        vals = self.numbers(body, mark, path)
        if vals is None:
            return None
        if len(vals) != 2:
            self.error(mark, path, f"expected a list of two numbers [low, high], got {len(vals)} values")
            return None
        return vals[0], vals[1]

    def numbers(self, body: Any, mark: Mark, path: str) -> list[float] | None:
        if not isinstance(body, YSeq):
            self.error(mark, path, f"expected a list of numbers, got {_type_name(body)}")
            return None
        out = []
        for i, (v, vm) in enumerate(zip(body, body.item_marks)):
            if not _is_number(v) or not _finite(v):
                what = f"a finite number, got {_short_num(v)}" if _is_number(v) else f"a number, got {_type_name(v)}"
                self.error(vm, f"{path}[{i}]", f"expected {what}")
                return None
            out.append(float(v))
        return out

    def points(self, body: Any, mark: Mark, path: str, min_points: int) -> tuple[tuple[float, float], ...] | None:
        if not isinstance(body, YSeq):
            self.error(mark, path, f"expected a list of [x, y] points, got {_type_name(body)}")
            return None
        pts = []
        for i, (v, vm) in enumerate(zip(body, body.item_marks)):
            pr = self.pair(v, vm, f"{path}[{i}]")
            if pr is None:
                return None
            pts.append(pr)
        if len(pts) < min_points:
            self.error(mark, path, f"expected at least {min_points} points, got {len(pts)}")
            return None
        return tuple(pts)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else str(key)


# ============================================================================ sections

_TOP_KEYS = ("scenariogen", "name", "description", "dt", "duration", "seed", "params", "road",
             "actors", "traffic", "occluders", "events", "target")


def _parse_params(c: _Ctx, root: YMap) -> None:
    if "params" not in root:
        return
    m = c.mapping(root["params"], c.at(root, "params"), "params")
    if m is None:
        return
    for name, body in m.items():
        path = f"params.{name}"
        if not _NAME_RE.match(name):
            c.error(m.key_marks[name], path, "parameter names are letters, digits and '_', not starting with a digit")
            continue
        mark = m.value_marks[name]
        if not isinstance(body, YMap):
            c.error(mark, path, f"expected a distribution (e.g. {{uniform: [0, 1]}}), got {_type_name(body)}")
            c.broken_params.add(name)
            continue
        dist = c.distribution(body, path, ANY)
        if dist is not None:
            c.params[name] = Parameter(name, dist, discrete=isinstance(dist, Poisson))
            c.param_marks[name] = m.key_marks[name]
        else:
            c.broken_params.add(name)


_ROAD_KEYS = {
    "straight": ("type", "lanes", "lane_width", "length"),
    "curve": ("type", "lanes", "lane_width", "radius", "angle_deg"),
    "merge": ("type", "lanes", "lane_width", "length", "ramp_length", "merge_start", "merge_length", "ramp_angle_deg"),
    "intersection": ("type", "lanes", "lane_width", "length", "turn_radius"),
    "lanes": ("type", "lanes"),
}


def _parse_road(c: _Ctx, root: YMap) -> S.RoadSpec | None:
    """The road spec, or None when the road has problems (so lane ids are not checked
    against a road built from fallback values, which would only add noise)."""
    before = len(c.problems)
    spec = _parse_road_spec(c, root)
    return spec if len(c.problems) == before else None


def _parse_road_spec(c: _Ctx, root: YMap) -> S.RoadSpec | None:
    if "road" not in root:
        c.error(root.mark, "", "missing required key 'road'")
        return None
    m = c.mapping(root["road"], c.at(root, "road"), "road")
    if m is None:
        return None
    rtype = c.text(m, "type", "road", None)
    if rtype is None:
        return None
    if rtype not in _ROAD_KEYS:
        c.error(c.at(m, "type"), "road.type", f"unknown road type '{rtype}'{did_you_mean(rtype, _ROAD_KEYS)} "
                f"(allowed: {', '.join(_ROAD_KEYS)})")
        return None
    c.keys(m, "road", _ROAD_KEYS[rtype])
    d = S.RoadSpec(type=rtype)
    if rtype == "lanes":
        return _parse_polyline_road(c, m)
    kw: dict[str, Any] = {"type": rtype}
    kw["lanes"] = int(c.number(m, "lanes", "road", 1, Range(1, 16, integer=True)))
    kw["lane_width"] = c.number(m, "lane_width", "road", d.lane_width, Range(1.0, 10.0))
    if rtype in ("straight", "merge", "intersection"):
        kw["length"] = c.number(m, "length", "road", d.length, ROAD_M)
    if rtype == "curve":
        kw["radius"] = c.number(m, "radius", "road", d.radius, ROAD_M)
        kw["angle_deg"] = c.number(m, "angle_deg", "road", d.angle_deg, Range(-359.0, 359.0))
        if kw["angle_deg"] == 0:
            c.error(c.at(m, "angle_deg"), "road.angle_deg", "a curve needs a non-zero angle")
    if rtype == "merge":
        for k in ("ramp_length", "merge_length"):
            kw[k] = c.number(m, k, "road", getattr(d, k), ROAD_M)
        kw["merge_start"] = c.number(m, "merge_start", "road", d.merge_start, Range(0.0, 10_000.0))
        kw["ramp_angle_deg"] = c.number(m, "ramp_angle_deg", "road", d.ramp_angle_deg, Range(1, 60))
    if rtype == "intersection":
        kw["turn_radius"] = c.number(m, "turn_radius", "road", d.turn_radius, Range(0.0, 10_000.0))
    return S.RoadSpec(**kw)


def _parse_polyline_road(c: _Ctx, m: YMap) -> S.RoadSpec | None:
    body = m.get("lanes")
    mark = c.at(m, "lanes")
    if not isinstance(body, YMap) or not body:
        c.error(mark, "road.lanes", "expected a mapping of lane id -> {points, width, successors}")
        return None
    lanes = []
    for lid, lm in body.items():
        path = f"road.lanes.{lid}"
        lmap = c.mapping(lm, body.value_marks[lid], path)
        if lmap is None:
            continue
        c.keys(lmap, path, ("points", "width", "successors", "left", "right"), ("points",))
        pts = c.points(lmap.get("points"), c.at(lmap, "points"), _join(path, "points"), 2) if "points" in lmap else None
        width = c.number(lmap, "width", path, 3.5, POS)
        succ = lmap.get("successors", [])
        succ_ids: list[str] = []
        if not isinstance(succ, list):
            c.error(c.at(lmap, "successors"), _join(path, "successors"), "expected a list of lane ids")
        else:
            succ_ids = [str(s) for s in succ]
        for i, s in enumerate(succ_ids):
            if s not in body:
                c.error(lmap["successors"].item_marks[i], f"{path}.successors[{i}]",
                        f"unknown lane '{s}'{did_you_mean(s, body)}")
        side = {}
        for k in ("left", "right"):
            if k in lmap:
                v = str(lmap[k])
                if v not in body:
                    c.error(lmap.value_marks[k], _join(path, k), f"unknown lane '{v}'{did_you_mean(v, body)}")
                side[k] = v
        if pts is not None:
            lanes.append(S.PolylineLaneSpec(str(lid), pts, width, tuple(succ_ids), side.get("left"), side.get("right")))
    return S.RoadSpec(type="lanes", polylines=tuple(lanes))


def _build_network(c: _Ctx, root: YMap, road: S.RoadSpec | None):
    if road is None:
        return None
    from ..road import build_road  # the road package depends on dsl.schema only

    try:
        return build_road(road)
    except RoadError as exc:
        c.error(c.at(root, "road"), "road", f"impossible road geometry: {exc}")
        return None


def _lane_ref(c: _Ctx, m: YMap, key: str, path: str, net, required: bool = True) -> str | None:
    if key not in m:
        if required:
            c.error(m.mark, path, f"missing required key '{key}'")
        return None
    v = m[key]
    if isinstance(v, bool) or not isinstance(v, (int, str)):
        c.error(c.at(m, key), _join(path, key), f"expected a lane id, got {_type_name(v)}")
        return None
    lid = str(v)
    if net is not None and lid not in net.lanes:
        ids = list(net.lanes)
        shown = ", ".join(ids[:12]) + (" ..." if len(ids) > 12 else "")
        c.error(c.at(m, key), _join(path, key), f"unknown lane '{lid}'{did_you_mean(lid, ids)} (lanes: {shown})")
        return None
    return lid


# ------------------------------------------------------------------ behaviours

_IDM_KEYS = ("desired_speed", "time_headway", "min_gap", "max_accel", "comfort_decel", "delta", "reaction_time")
_MOBIL_KEYS = ("politeness", "threshold", "safe_decel", "duration")
_BEHAVIORS = ("idm", "keep_lane", "constant_speed", "stop")


def _parse_idm(c: _Ctx, body: Any, mark: Mark, path: str) -> S.IDMParams:
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


def _parse_behavior(c: _Ctx, parent: YMap, path: str) -> S.BehaviorSpec:
    if "behavior" not in parent:
        return S.BehaviorSpec()
    body = parent["behavior"]
    mark = c.at(parent, "behavior")
    p = _join(path, "behavior")
    if isinstance(body, str):
        if body not in _BEHAVIORS:
            c.error(mark, p, f"unknown behaviour '{body}'{did_you_mean(body, _BEHAVIORS)} (allowed: {', '.join(_BEHAVIORS)})")
            return S.BehaviorSpec()
        return S.BehaviorSpec(model=body)
    m = c.mapping(body, mark, p, "a behaviour (idm, keep_lane, constant_speed, stop) as a name or mapping")
    if m is None:
        return S.BehaviorSpec()
    c.keys(m, p, _BEHAVIORS + ("lane_change",))
    models = [k for k in _BEHAVIORS if k in m]
    if len(models) > 1:
        c.error(m.key_marks[models[1]], _join(p, models[1]), f"choose one longitudinal model, got both '{models[0]}' and '{models[1]}'")
    model = models[0] if models else "idm"
    idm = S.IDMParams()
    stop_decel: Value = Const(3.0)
    if model in ("idm", "keep_lane") and model in m:
        idm = _parse_idm(c, m[model], c.at(m, model), _join(p, model))
    if model == "stop" and isinstance(m.get("stop"), YMap):
        sm = m["stop"]
        c.keys(sm, _join(p, "stop"), ("decel",))
        stop_decel = c.value(sm, "decel", _join(p, "stop"), 3.0, POS) or stop_decel
    mobil = None
    if "lane_change" in m:
        lp = _join(p, "lane_change")
        lm = c.mapping(m["lane_change"], c.at(m, "lane_change"), lp)
        if lm is not None:
            c.keys(lm, lp, ("mobil",), ("mobil",))
            if model == "keep_lane":
                c.error(lm.mark, lp, "'keep_lane' never changes lanes; use 'idm' with 'lane_change'")
            if "mobil" in lm:
                mp = _join(lp, "mobil")
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
    return S.BehaviorSpec(model=model, idm=idm, mobil=mobil, stop_decel=stop_decel)


# ------------------------------------------------------------------ manoeuvres

_MANEUVERS = {
    "lane_change": ("to", "start", "duration"),
    "cut_in": ("to", "start", "duration"),
    "hard_brake": ("start", "decel", "duration"),
    "stop": ("start", "decel"),
    "cross": ("start", "path", "speed"),
}


def _parse_trigger(c: _Ctx, m: YMap, path: str, actor: str, actors: dict) -> S.Trigger:
    default = S.Trigger("time", Const(0.0))
    if "start" not in m:
        return default
    body = m["start"]
    mark = c.at(m, "start")
    p = _join(path, "start")
    if not isinstance(body, YMap) or any(k in body for k in ("uniform", "normal", "lognormal", "choice", "poisson")):
        v = c.value_node(body, mark, p, NONNEG)
        return S.Trigger("time", v) if v is not None else default
    kinds = ("time", "distance_to", "time_gap_to")
    c.keys(body, p, kinds + ("below",))
    given = [k for k in kinds if k in body]
    if len(given) != 1:
        c.error(body.mark, p, "a trigger has exactly one of 'time', 'distance_to' (with 'below') or 'time_gap_to' (with 'below')")
        return default
    kind = given[0]
    if kind == "time":
        v = c.value(body, "time", p, None, NONNEG)
        return S.Trigger("time", v) if v is not None else default
    other = body[kind]
    omark = body.value_marks[kind]
    if not isinstance(other, str):
        c.error(omark, _join(p, kind), f"expected an actor name, got {_type_name(other)}")
        return default
    if other == actor:
        c.error(omark, _join(p, kind), f"trigger of '{actor}' references '{actor}' itself; name another actor")
        return default
    if other not in actors:
        c.error(omark, _join(p, kind), f"unknown actor '{other}'{did_you_mean(other, actors)}")
        return default
    v = c.value(body, "below", p, None, POS)
    if v is None:
        return default
    return S.Trigger("distance" if kind == "distance_to" else "time_gap", v, other)


def _parse_maneuvers(c: _Ctx, parent: YMap, path: str, actor: str, actors: dict, net, start_lane) -> tuple:
    if "maneuver" in parent and "maneuvers" in parent:
        c.error(parent.key_marks["maneuvers"], _join(path, "maneuvers"),
                "give either 'maneuver' (one) or 'maneuvers' (a list), not both")
    key = "maneuver" if "maneuver" in parent else "maneuvers" if "maneuvers" in parent else None
    if key is None:
        return ()
    body = parent[key]
    items: list[tuple[Any, Mark, str]] = []
    if isinstance(body, YSeq):
        items = [(b, mk, f"{path}.{key}[{i}]") for i, (b, mk) in enumerate(zip(body, body.item_marks))]
    else:
        items = [(body, c.at(parent, key), _join(path, key))]
    out = []
    for b, mk, p in items:
        m = c.mapping(b, mk, p, "a manoeuvre mapping such as {lane_change: {...}}")
        if m is None:
            continue
        if len(m) != 1:
            c.error(m.mark, p, f"a manoeuvre has exactly one of {', '.join(_MANEUVERS)}")
            continue
        (mtype,) = m.keys()
        mp = _join(p, mtype)
        if mtype not in _MANEUVERS:
            c.error(m.key_marks[mtype], mp, f"unknown manoeuvre '{mtype}'{did_you_mean(mtype, _MANEUVERS)} (allowed: {', '.join(_MANEUVERS)})")
            continue
        mm = c.mapping(m[mtype], m.value_marks[mtype], mp)
        if mm is None:
            continue
        c.keys(mm, mp, _MANEUVERS[mtype])
        trig = _parse_trigger(c, mm, mp, actor, actors)
        if mtype in ("lane_change", "cut_in"):
            to = _lane_ref(c, mm, "to", mp, net)
            if to is not None and net is not None and start_lane is not None:
                ahead = [start_lane] + sorted(nx.descendants(net.graph, start_lane))
                near = {x for lane in ahead for x in (net.left(lane), net.right(lane)) if x}
                if to not in near:
                    c.error(c.at(mm, "to"), _join(mp, "to"),
                            f"lane '{to}' is not next to lane '{start_lane}' or any lane it leads to "
                            f"(reachable neighbours: {', '.join(sorted(near)) or 'none'})")
            dur = c.value(mm, "duration", mp, 3.0, POS)
            out.append(S.ManeuverSpec("lane_change", trig, to=to, duration=dur or Const(3.0)))
        elif mtype in ("hard_brake", "stop"):
            decel = c.value(mm, "decel", mp, 8.0 if mtype == "hard_brake" else 3.0, Range(0.0, 15.0, low_open=True))
            dur = c.value(mm, "duration", mp, 0.0, NONNEG) if mtype == "hard_brake" else Const(0.0)
            out.append(S.ManeuverSpec(mtype, trig, decel=decel or Const(8.0), duration=dur or Const(0.0)))
        else:  # cross
            pts = c.points(mm.get("path"), c.at(mm, "path"), _join(mp, "path"), 2) if "path" in mm else None
            if "path" not in mm:
                c.error(mm.mark, mp, "missing required key 'path'")
            speed = c.value(mm, "speed", mp, 1.4, POS)
            if pts is not None:
                out.append(S.ManeuverSpec("cross", trig, speed=speed or Const(1.4), path=pts))
    return tuple(out)


# ------------------------------------------------------------------ sensors

def _parse_sensor(c: _Ctx, body: Any, mark: Mark, path: str) -> S.SensorSpec | None:
    m = c.mapping(body, mark, path)
    if m is None:
        return None
    c.keys(m, path, ("range", "fov_deg", "mount", "noise", "dropout", "latency", "visible_threshold", "track_memory"))
    d = S.SensorSpec()
    mount_x = mount_y = 0.0
    if "mount" in m:
        mm = c.mapping(m["mount"], c.at(m, "mount"), _join(path, "mount"))
        if mm is not None:
            c.keys(mm, _join(path, "mount"), ("x", "y"))
            mount_x = c.number(mm, "x", _join(path, "mount"), 0.0) or 0.0
            mount_y = c.number(mm, "y", _join(path, "mount"), 0.0) or 0.0
    pos_noise = speed_noise = Const(0.0)
    if "noise" in m:
        npath = _join(path, "noise")
        nm = c.mapping(m["noise"], c.at(m, "noise"), npath)
        if nm is not None:
            c.keys(nm, npath, ("position_std", "speed_std"))
            pos_noise = c.value(nm, "position_std", npath, 0.0, NONNEG) or pos_noise
            speed_noise = c.value(nm, "speed_std", npath, 0.0, NONNEG) or speed_noise
    dropout = S.DropoutSpec()
    if "dropout" in m:
        dropout = _parse_dropout(c, m["dropout"], c.at(m, "dropout"), _join(path, "dropout"))
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


def _parse_dropout(c: _Ctx, body: Any, mark: Mark, path: str) -> S.DropoutSpec:
    if body in (None, "none"):
        return S.DropoutSpec()
    m = c.mapping(body, mark, path, "{gilbert_elliott: {...}} or {independent: {p_loss}}")
    if m is None or len(m) != 1:
        if m is not None:
            c.error(m.mark, path, "a dropout model is exactly one of 'gilbert_elliott' or 'independent'")
        return S.DropoutSpec()
    (kind,) = m.keys()
    p = _join(path, kind)
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


def _sampled(c: _Ctx, m: YMap, key: str, path: str, default: str) -> bool:
    """Whether ``key`` says ``sampled`` (draws of a random stream made parameters of the family)
    rather than ``default`` (left to the stream); anything else is an error."""
    if key not in m or m[key] == default:
        return False
    x = m[key]
    if x != "sampled":
        hint = did_you_mean(x, ("sampled", default)) if isinstance(x, str) else ""
        c.error(c.at(m, key), _join(path, key), f"expected 'sampled' or '{default}', got {_type_name(x)}{hint}")
        return False
    return True


def _quantile(c: _Ctx, name: str) -> Ref:
    """A new parameter ``name``, uniform on (0, 1): a p-quantile that replaces one random draw."""
    c._use(Parameter(name, Uniform(0.0, 1.0)))
    return Ref(name)


def _parse_first_burst(c: _Ctx, bm: YMap, path: str) -> dict:
    """``first_burst: sampled`` adds the p-quantiles of the chain's first burst (start step and
    length, each uniform on (0, 1)) to the family's parameters; ``chain`` (the default) leaves
    the whole chain to its own random stream."""
    if not _sampled(c, bm, "first_burst", path, "chain"):
        return {}
    p = _join(path, "first_burst")
    return {"first_burst_start": _quantile(c, _join(p, "start")), "first_burst_length": _quantile(c, _join(p, "length"))}


# ------------------------------------------------------------------ actors

_ACTOR_KEYS = ("kind", "length", "width", "lane", "s", "offset", "position", "speed", "behavior",
               "maneuver", "maneuvers", "route", "sensor", "aeb")


def _parse_actors(c: _Ctx, root: YMap, net) -> tuple[S.ActorSpec, ...]:
    if "actors" not in root:
        c.error(root.mark, "", "missing required key 'actors' (at least the 'ego')")
        return ()
    m = c.mapping(root["actors"], c.at(root, "actors"), "actors")
    if m is None:
        return ()
    if "ego" not in m:
        c.error(m.mark, "actors", "missing the required actor 'ego'" + did_you_mean("ego", m))
    names = {k: v for k, v in m.items()}
    # relative placement needs its reference placed first: order by dependency
    out = []
    rel: dict[str, str] = {}
    for name, body in m.items():
        path = f"actors.{name}"
        if not _NAME_RE.match(name):
            c.error(m.key_marks[name], path, "actor names are letters, digits and '_', not starting with a digit")
            continue
        am = c.mapping(body, m.value_marks[name], path, "an actor mapping (kind, lane, s, speed, ...)")
        if am is None:
            continue
        a = _parse_actor(c, am, path, name, names, net, rel)
        if a is not None:
            out.append(a)
    # cycles in relative placement
    for start in rel:
        seen = [start]
        cur = rel.get(start)
        while cur is not None and cur in rel:
            if cur in seen:
                am = m[start]
                c.error(am.value_marks.get("s", am.mark), f"actors.{start}.s",
                        "relative placement forms a cycle: " + " -> ".join(seen + [cur]))
                break
            seen.append(cur)
            cur = rel.get(cur)
        else:
            continue
        break
    else:
        _check_relative_placement(c, m, out, net)
    return tuple(out)


def _check_relative_placement(c: _Ctx, m: YMap, actors: list, net) -> None:
    """Actors placed relative to another: their whole range of ``s`` must lie on their lane, and on
    the reference's own lane they must not start on top of it (an offset of less than half their
    two lengths is a collision at t = 0 in every such scenario)."""
    by_name = {a.name: a for a in actors}

    def bounds(v) -> tuple[float, float]:
        return (v.value, v.value) if isinstance(v, Const) else c.param_bounds(v.name)

    def s_range(a, depth=0) -> tuple[float, float] | None:
        pl = a.placement
        if not isinstance(pl, S.LanePlacement) or depth > len(by_name):
            return None
        lo, hi = bounds(pl.s)
        if pl.relative_to is None:
            return lo, hi
        ref = by_name.get(pl.relative_to)
        base = s_range(ref, depth + 1) if ref is not None else None
        return None if base is None else (base[0] + lo, base[1] + hi)

    for a in actors:
        pl = a.placement
        if not isinstance(pl, S.LanePlacement) or pl.relative_to is None or pl.relative_to not in by_name:
            continue
        am = m[a.name]
        mark, path = am.value_marks.get("s", am.mark), f"actors.{a.name}.s.offset"
        rng = s_range(a)
        if net is not None and rng is not None and math.isfinite(rng[1]) and rng[1] > net.lane(pl.lane).length:
            c.error(mark, path, f"'{a.name}' can start at s = {rng[1]:g} m ({pl.relative_to}'s s plus the offset), "
                                f"which is beyond the end of lane '{pl.lane}' ({net.lane(pl.lane).length:.1f} m)")
        ref = by_name[pl.relative_to]
        if isinstance(ref.placement, S.LanePlacement) and ref.placement.lane == pl.lane:
            need = 0.5 * (a.length + ref.length)
            lo, hi = bounds(pl.s)
            if lo < need and hi > -need:
                c.error(mark, path, f"an offset of {lo:g} to {hi:g} m can put '{a.name}' on top of "
                                    f"'{pl.relative_to}' in the same lane: keep |offset| >= {need:g} m "
                                    "(half their two lengths)")


def _parse_actor(c: _Ctx, am: YMap, path: str, name: str, actors: dict, net, rel: dict) -> S.ActorSpec | None:
    c.keys(am, path, _ACTOR_KEYS, ("kind",))
    kind = c.text(am, "kind", path, None) if "kind" in am else None
    if kind is not None and kind not in S.KINDS:
        c.error(c.at(am, "kind"), _join(path, "kind"), f"unknown kind '{kind}'{did_you_mean(kind, S.KINDS)} (allowed: {', '.join(S.KINDS)})")
        kind = None
    dl, dw = S.DEFAULT_SIZE.get(kind or "car")
    length = c.number(am, "length", path, dl, Range(0.1, 30.0))
    width = c.number(am, "width", path, dw, Range(0.1, 5.0))
    # placement
    placement = None
    start_lane = None
    if "position" in am:
        if "lane" in am or "s" in am:
            c.error(c.at(am, "position"), _join(path, "position"), "give either 'position' or 'lane' + 's', not both")
        pp = _join(path, "position")
        pm = c.mapping(am["position"], c.at(am, "position"), pp)
        if pm is not None:
            c.keys(pm, pp, ("x", "y", "heading_deg"), ("x", "y"))
            x = c.value(pm, "x", pp, None)
            y = c.value(pm, "y", pp, None)
            hd = c.value(pm, "heading_deg", pp, 0.0, Range(-360.0, 360.0))
            if x is not None and y is not None and hd is not None:
                placement = S.PosePlacement(x, y, hd)
    elif "lane" in am or "s" in am:
        start_lane = _lane_ref(c, am, "lane", path, net)
        relative_to = None
        s_val: Value | None = Const(0.0)
        if "s" not in am:
            c.error(am.mark, path, "missing required key 's' (arc length along the lane, m)")
        elif isinstance(am["s"], YMap) and "relative_to" in am["s"]:
            sp = _join(path, "s")
            sm = am["s"]
            c.keys(sm, sp, ("relative_to", "offset"), ("relative_to",))
            other = sm["relative_to"]
            if not isinstance(other, str):
                c.error(sm.value_marks["relative_to"], _join(sp, "relative_to"), f"expected an actor name, got {_type_name(other)}")
            elif other == name:
                c.error(sm.value_marks["relative_to"], _join(sp, "relative_to"), f"'{name}' cannot be placed relative to itself")
            elif other not in actors:
                c.error(sm.value_marks["relative_to"], _join(sp, "relative_to"), f"unknown actor '{other}'{did_you_mean(other, actors)}")
            else:
                other_body = actors[other]
                if isinstance(other_body, YMap) and "position" in other_body:
                    c.error(sm.value_marks["relative_to"], _join(sp, "relative_to"),
                            f"'{other}' is placed by position; relative placement needs an actor placed on a lane")
                else:
                    relative_to = other
                    rel[name] = other
            s_val = c.value(sm, "offset", sp, 0.0)
        else:
            s_val = c.value(am, "s", path, None, NONNEG)
        off = c.value(am, "offset", path, 0.0, Range(-10.0, 10.0))
        if start_lane is not None and s_val is not None and off is not None:
            if relative_to is None and net is not None:
                length_lane = net.lane(start_lane).length
                s_hi = s_val.value if isinstance(s_val, Const) else c.param_bounds(s_val.name)[1]
                if s_hi > length_lane:
                    what = f"s = {s_hi:g} m" if isinstance(s_val, Const) else f"s can reach {s_hi:g} m, which"
                    c.error(c.at(am, "s"), _join(path, "s"),
                            f"{what} is beyond the end of lane '{start_lane}' ({length_lane:.1f} m)")
            placement = S.LanePlacement(start_lane, s_val, off, relative_to)
    else:
        c.error(am.mark, path, "missing placement: give 'lane' and 's', or 'position: {x, y, heading_deg}'")
    speed = c.value(am, "speed", path, 0.0, Range(0.0, 80.0))
    route = _parse_route(c, am, path, net, start_lane)
    behavior = _parse_behavior(c, am, path)
    maneuvers = _parse_maneuvers(c, am, path, name, actors, net, start_lane)
    sensor = None
    if "sensor" in am:
        if name != "ego":
            c.error(am.key_marks["sensor"], _join(path, "sensor"), "only the 'ego' carries a sensor")
        else:
            sensor = _parse_sensor(c, am["sensor"], c.at(am, "sensor"), _join(path, "sensor"))
    aeb = None
    if "aeb" in am:
        ap = _join(path, "aeb")
        if name != "ego":
            c.error(am.key_marks["aeb"], ap, "only the 'ego' has emergency braking (aeb)")
        else:
            amm = c.mapping(am["aeb"], c.at(am, "aeb"), ap)
            if amm is not None:
                c.keys(amm, ap, ("ttc", "reaction_time", "max_decel"))
                aeb = S.AEBSpec(
                    ttc=c.value(amm, "ttc", ap, 1.2, POS) or Const(1.2),
                    reaction_time=c.value(amm, "reaction_time", ap, 0.2, Range(0.0, 3.0)) or Const(0.2),
                    max_decel=c.value(amm, "max_decel", ap, 8.0, Range(0.0, 15.0, low_open=True)) or Const(8.0),
                )
    if kind is None or placement is None or speed is None or length is None or width is None:
        return None
    return S.ActorSpec(name, kind, length, width, placement, speed, behavior, maneuvers, sensor, aeb, route)


def _parse_route(c: _Ctx, am: YMap, path: str, net, start_lane: str | None) -> tuple[str, ...]:
    """Lane ids the actor drives through, each a successor of the previous one."""
    if "route" not in am:
        return ()
    p = _join(path, "route")
    body = am["route"]
    if not isinstance(body, YSeq) or not body:
        c.error(c.at(am, "route"), p, "expected a non-empty list of lane ids")
        return ()
    for i, (x, mk) in enumerate(zip(body, body.item_marks)):
        if isinstance(x, bool) or not isinstance(x, (int, str)):
            c.error(mk, f"{p}[{i}]", f"expected a lane id, got {_type_name(x)}")
            return ()
    ids = [str(x) for x in body]
    if net is None:
        return tuple(ids)
    for i, (lid, mk) in enumerate(zip(ids, body.item_marks)):
        if lid not in net.lanes:
            c.error(mk, f"{p}[{i}]", f"unknown lane '{lid}'{did_you_mean(lid, net.lanes)}")
            return ()
        prev = ids[i - 1] if i else start_lane
        if prev is not None and lid != prev and lid not in net.successors(prev):
            c.error(mk, f"{p}[{i}]", f"lane '{lid}' does not follow lane '{prev}' "
                    f"(successors of '{prev}': {', '.join(net.successors(prev)) or 'none'})")
            return ()
    return tuple(ids)


# ------------------------------------------------------------------ traffic, occluders, events

_VEHICLES = ("car", "truck", "bus", "motorcycle")


def _parse_traffic(c: _Ctx, root: YMap, net) -> tuple[S.TrafficSpec, ...]:
    if "traffic" not in root:
        return ()
    body = root["traffic"]
    mark = c.at(root, "traffic")
    blocks: list[tuple[Any, Mark, str]]
    if isinstance(body, YSeq):
        blocks = [(b, mk, f"traffic[{i}]") for i, (b, mk) in enumerate(zip(body, body.item_marks))]
    else:
        blocks = [(body, mark, "traffic")]
    out = []
    for i, (b, mk, path) in enumerate(blocks):
        m = c.mapping(b, mk, path, "a traffic block mapping (kind, count, lanes, ...)")
        if m is None:
            continue
        c.keys(m, path, ("kind", "count", "lanes", "s_range", "spacing", "density", "speed", "behavior", "length", "width",
                          "placement"), ("count",))
        kind = c.text(m, "kind", path, "car")
        if kind not in _VEHICLES:
            c.error(c.at(m, "kind"), _join(path, "kind"), f"traffic kind must be a vehicle ({', '.join(_VEHICLES)}), got '{kind}'{did_you_mean(kind, _VEHICLES)}")
            kind = "car"
        dl, dw = S.DEFAULT_SIZE[kind]
        count = c.value(m, "count", path, None, Range(0.0, 500.0, integer=True))
        lanes: list[str] = []
        if "lanes" in m:
            lv = m["lanes"]
            if not isinstance(lv, YSeq) or not lv:
                c.error(c.at(m, "lanes"), _join(path, "lanes"), "expected a non-empty list of lane ids")
            else:
                for j, (lid, lm) in enumerate(zip(lv, lv.item_marks)):
                    if isinstance(lid, bool) or not isinstance(lid, (int, str)):
                        c.error(lm, f"{path}.lanes[{j}]", f"expected a lane id, got {_type_name(lid)}")
                        continue
                    lid = str(lid)
                    if net is not None and lid not in net.lanes:
                        c.error(lm, f"{path}.lanes[{j}]", f"unknown lane '{lid}'{did_you_mean(lid, net.lanes)}")
                    elif lid in lanes:
                        # each lane is filled from one head: a second entry would place vehicles on top of the first
                        c.error(lm, f"{path}.lanes[{j}]", f"lane '{lid}' is listed twice")
                    else:
                        lanes.append(lid)
        elif net is not None:
            # by default, the lanes where traffic enters the map (no predecessor): every lane of a
            # straight road or curve, the main lanes and the ramp of a merge, the incoming arms of
            # an intersection (never the junction connectors)
            lanes = [lid for lid in net.lanes if not net.predecessors(lid)]
        s_range = None
        if "s_range" in m:
            pr = c.pair(m["s_range"], c.at(m, "s_range"), _join(path, "s_range"))
            if pr is not None:
                if pr[0] < 0 or pr[0] >= pr[1]:
                    c.error(c.at(m, "s_range"), _join(path, "s_range"), f"expected 0 <= low < high, got [{pr[0]:g}, {pr[1]:g}]")
                else:
                    s_range = pr
        if "spacing" in m and "density" in m:
            c.error(m.key_marks["density"], _join(path, "density"), "give either 'spacing' or 'density', not both")
        spacing = c.value(m, "spacing", path, None, POS) if "spacing" in m else None
        density = c.value(m, "density", path, None, Range(0.0, 200.0, low_open=True)) if "density" in m else None
        if spacing is None and density is None and "spacing" not in m and "density" not in m:
            spacing = Const(20.0)
        speed = c.value(m, "speed", path, 25.0, Range(0.0, 80.0))
        behavior = _parse_behavior(c, m, path)
        length = c.number(m, "length", path, dl, Range(0.1, 30.0))
        width = c.number(m, "width", path, dw, Range(0.1, 5.0))
        first = _parse_placement(c, m, path, lanes)
        if count is not None and speed is not None:
            out.append(S.TrafficSpec(f"traffic{i}", kind, length, width, count, tuple(lanes), s_range, spacing, density,
                                     speed, behavior, **first))
    return tuple(out)


def _parse_placement(c: _Ctx, m: YMap, path: str, lanes: list[str]) -> dict:
    """``placement: sampled`` adds, per lane of the block, the p-quantiles of its first vehicle's
    start (``…placement.<lane>.position``) and initial speed (``….speed``), each uniform on
    (0, 1), to the family's parameters; ``random`` (the default) leaves placement to the
    block's random stream."""
    if not _sampled(c, m, "placement", path, "random"):
        return {}
    p = _join(path, "placement")
    refs = [(_quantile(c, _join(_join(p, lane), "position")), _quantile(c, _join(_join(p, lane), "speed")))
            for lane in lanes]
    return {"first_position": tuple(r[0] for r in refs), "first_speed": tuple(r[1] for r in refs)}


def _parse_occluders(c: _Ctx, root: YMap) -> tuple[S.OccluderSpec, ...]:
    if "occluders" not in root:
        return ()
    body = root["occluders"]
    if not isinstance(body, YSeq):
        c.error(c.at(root, "occluders"), "occluders", f"expected a list of occluders, got {_type_name(body)}")
        return ()
    from shapely.geometry import Polygon

    out = []
    for i, (b, mk) in enumerate(zip(body, body.item_marks)):
        path = f"occluders[{i}]"
        m = c.mapping(b, mk, path, "{polygon: [[x, y], ...]} or {box: {x, y, length, width, heading_deg}}")
        if m is None:
            continue
        c.keys(m, path, ("name", "polygon", "box"))
        name = c.text(m, "name", path, f"occluder{i}")
        if ("polygon" in m) == ("box" in m):
            c.error(m.mark, path, "an occluder has exactly one of 'polygon' or 'box'")
            continue
        if "polygon" in m:
            pts = c.points(m["polygon"], c.at(m, "polygon"), _join(path, "polygon"), 3)
            if pts is None:
                continue
            poly = Polygon(pts)
            if not poly.is_valid or poly.area <= 0:
                c.error(c.at(m, "polygon"), _join(path, "polygon"), "polygon is degenerate or self-intersecting")
                continue
        else:
            bp = _join(path, "box")
            bm = c.mapping(m["box"], c.at(m, "box"), bp)
            if bm is None:
                continue
            c.keys(bm, bp, ("x", "y", "length", "width", "heading_deg"), ("x", "y", "length", "width"))
            x, y = c.number(bm, "x", bp, None), c.number(bm, "y", bp, None)
            ln, wd = c.number(bm, "length", bp, None, POS), c.number(bm, "width", bp, None, POS)
            hd = c.number(bm, "heading_deg", bp, 0.0)
            if None in (x, y, ln, wd, hd):
                continue
            h = math.radians(hd)
            ch, sh = math.cos(h), math.sin(h)
            pts = tuple((x + ch * dx - sh * dy, y + sh * dx + ch * dy)
                        for dx, dy in ((ln / 2, wd / 2), (-ln / 2, wd / 2), (-ln / 2, -wd / 2), (ln / 2, -wd / 2)))
        out.append(S.OccluderSpec(name, tuple(pts)))
    return tuple(out)


_EVENT_KEYS = {
    "near_miss": ("type", "ttc_below", "distance_below", "actor"),
    "collision": ("type", "actor"),
    "hard_braking": ("type", "decel_above", "actor"),
    "occluded_threat": ("type", "target", "min_duration"),
    "sensor_dropout": ("type", "min_duration"),
}


def _parse_events(c: _Ctx, root: YMap, actors: dict, ego_has_sensor: bool) -> tuple[S.EventSpec, ...]:
    if "events" not in root:
        return ()
    m = c.mapping(root["events"], c.at(root, "events"), "events")
    if m is None:
        return ()
    out = []
    for name, body in m.items():
        path = f"events.{name}"
        em = body if body is not None else YMap()
        if body is None:
            em.mark, em.key_marks, em.value_marks = m.value_marks[name], {}, {}
        em = c.mapping(em, m.value_marks[name], path)
        if em is None:
            continue
        etype = em.get("type", name)
        if not isinstance(etype, str):
            c.error(em.value_marks["type"], _join(path, "type"), f"expected an event type name, got {_type_name(etype)}")
            continue
        if etype not in _EVENT_KEYS:
            where = em.value_marks["type"] if "type" in em else m.key_marks[name]
            close = did_you_mean(etype, _EVENT_KEYS)
            c.error(where, path, f"unknown event type '{etype}'{close or '.'} Name the event after a type "
                    f"({', '.join(_EVENT_KEYS)}) or give it a 'type:'")
            continue
        c.keys(em, path, _EVENT_KEYS[etype])
        actor = c.text(em, "actor", path, "ego")
        if actor not in actors:
            c.error(c.at(em, "actor"), _join(path, "actor"), f"unknown actor '{actor}'{did_you_mean(actor, actors)}")
        kw: dict[str, Any] = {"name": name, "type": etype, "actor": actor}
        if etype == "near_miss":
            if "ttc_below" in em or "distance_below" not in em:
                kw["ttc_below"] = c.number(em, "ttc_below", path, 1.5, POS)
            if "distance_below" in em:
                kw["distance_below"] = c.number(em, "distance_below", path, None, POS)
        elif etype == "hard_braking":
            kw["decel_above"] = c.number(em, "decel_above", path, 4.0, POS)
        elif etype == "occluded_threat":
            target = c.text(em, "target", path, None)
            if target is not None and target not in actors:
                c.error(c.at(em, "target"), _join(path, "target"), f"unknown actor '{target}'{did_you_mean(target, actors)}")
            elif target == "ego":
                c.error(c.at(em, "target"), _join(path, "target"), "the threat cannot be the ego itself")
            kw["target"] = target
            kw["min_duration"] = c.number(em, "min_duration", path, 0.5, NONNEG)
            if not ego_has_sensor:
                c.error(m.key_marks[name], path, "an occluded_threat event needs a 'sensor' on the ego")
        elif etype == "sensor_dropout":
            kw["min_duration"] = c.number(em, "min_duration", path, 0.3, NONNEG)
            if not ego_has_sensor:
                c.error(m.key_marks[name], path, "a sensor_dropout event needs a 'sensor' on the ego")
        out.append(S.EventSpec(**kw))
    return tuple(out)


# ============================================================================ entry points


def parse_text(text: str, file: str = "<string>") -> S.ScenarioSpec:
    """Parse and validate scenario YAML text; raises :class:`DSLError` listing every problem."""
    c = _Ctx(file, text)
    try:
        root, dups = load(text)
    except LoadError as exc:
        c.error(exc.mark, exc.path, exc.message)
        raise DSLError(c.problems) from None
    for mark, key_path, msg in dups:
        c.error(mark, key_path, msg)
    if not isinstance(root, YMap):
        c.error(getattr(root, "mark", Mark(1, 1)), "", f"a scenario file is a mapping of keys (scenariogen, name, road, actors, ...), got {_type_name(root)}")
        raise DSLError(c.problems)
    c.keys(root, "", _TOP_KEYS, ("scenariogen", "name", "road", "actors"))
    version = 1
    if "scenariogen" in root:
        v = root["scenariogen"]
        if v != DSL_VERSION or isinstance(v, bool):
            c.error(c.at(root, "scenariogen"), "scenariogen", f"unsupported DSL version {v!r}; this scenariogen reads version {DSL_VERSION}")
    name = c.text(root, "name", "", "unnamed") or "unnamed"
    description = c.text(root, "description", "", "") or ""
    dt = c.number(root, "dt", "", 0.1, Range(0.001, 1.0))
    duration = c.number(root, "duration", "", 10.0, Range(0.0, 3600.0, low_open=True))
    seed = c.number(root, "seed", "", 0, COUNT)
    if seed is not None and isinstance(root.get("seed"), int):
        seed = root["seed"]  # exact: a float keeps only 53 bits of a large seed
        if seed >= SEED_LIMIT:
            c.error(c.at(root, "seed"), "seed", f"value {seed} is out of range: expected an integer in [0, 2^63)")
            seed = 0
    if dt and duration:
        ratio = duration / dt
        if abs(ratio - round(ratio)) > 1e-6 * max(1.0, ratio):
            c.error(c.at(root, "duration"), "duration", f"dt = {dt:g} s does not divide duration = {duration:g} s into whole steps")
    _parse_params(c, root)
    road = _parse_road(c, root)
    net = _build_network(c, root, road)
    actors_map = root.get("actors") if isinstance(root.get("actors"), YMap) else {}
    actors = _parse_actors(c, root, net)
    traffic = _parse_traffic(c, root, net)
    occluders = _parse_occluders(c, root)
    ego_sensor = any(a.name == "ego" and a.sensor is not None for a in actors)
    events = _parse_events(c, root, actors_map, ego_sensor)
    target = None
    if "target" in root:
        target = c.text(root, "target", "", None)
        declared = list(root["events"]) if isinstance(root.get("events"), YMap) else []
        if target is not None and target not in declared:
            hint = did_you_mean(target, declared) or (
                f" (events: {', '.join(declared)})" if declared else "; define it under 'events:'")
            c.error(c.at(root, "target"), "target", f"target '{target}' is not an event of this scenario{hint}")
    if c.problems:
        raise DSLError(c.problems)
    # params declared but never used still belong to the space (they may be read by plugins)
    used = list(c.used) + [p for n, p in c.params.items() if all(u.name != n for u in c.used)]
    return S.ScenarioSpec(
        version=version,
        name=name,
        description=description,
        dt=dt,
        duration=duration,
        seed=int(seed),
        road=road,
        actors=actors,
        traffic=traffic,
        occluders=occluders,
        events=events,
        target=target,
        parameters=ParameterSpace(tuple(used)),
        source=file,
        source_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        source_text=text,
    )


def load_scenario(path: str | Path) -> S.ScenarioSpec:
    """Read and validate a scenario file; raises :class:`DSLError` (file, line, column, key path)."""
    p = Path(path)
    shown = str(path)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise DSLError([Problem(shown, 1, 1, "", f"cannot read file: {exc.strerror or exc}")]) from None
    from .yamlmarks import MAX_BYTES

    if size > MAX_BYTES:
        raise DSLError([Problem(shown, 1, 1, "", f"file is larger than {MAX_BYTES // 1000} kB; scenario files must be small")])
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise DSLError([Problem(shown, 1, 1, "", f"cannot read file: {exc.strerror or exc}")]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        head = data[: exc.start].decode("utf-8", "replace")  # valid up to the bad byte
        line = head.count("\n") + 1
        column = len(head) - (head.rfind("\n") + 1) + 1
        raise DSLError([Problem(shown, line, column, "", f"file is not UTF-8 text ({exc.reason} at byte {exc.start}, "
                                f"value 0x{data[exc.start]:02x}); save it as UTF-8")]) from None
    return parse_text(text, shown)

