"""Values and distributions: a number, a ``$param`` reference or a one-key
distribution mapping becomes a :class:`~scenariogen.dsl.distributions.Value`,
and every randomised field becomes a parameter of the family's space.
"""

from __future__ import annotations

import math
from typing import Any

from .distributions import (
    Choice,
    Const,
    Distribution,
    LogNormal,
    Normal,
    Parameter,
    Poisson,
    Ref,
    Uniform,
    Value,
    lognormal_from_mean_std,
)
from .reader import (
    ANY,
    COUNT,
    POS,
    NodeReader,
    Range,
    did_you_mean,
    is_finite,
    is_number,
    join_path,
    short_num,
    too_large,
    type_name,
)
from .limits import MAX_MAGNITUDE, MAX_POISSON_MEAN, SAMPLED_Z
from .yamlmarks import Mark, YMap, YSeq

_MAX_TAIL_SD = 40  # a truncated normal's window may lie at most this many std beyond its mean
_LOG_TINY = -700.0  # exp() of less is about 1e-304: near the smallest normal double, where values round to 0


class ValueReader(NodeReader):
    """A :class:`NodeReader` that also reads values and distributions, and records the
    declared parameters and, in order of first use, the parameters of the space."""

    def __init__(self, file: str, text: str):
        super().__init__(file, text)
        self.params: dict[str, Parameter] = {}  # declared in `params:`
        self.broken_params: set[str] = set()  # declared, with an error already reported there
        self.used: list[Parameter] = []  # in order of first use
        self.use_marks: dict[str, Mark] = {}  # where each parameter of the space was first used

    def value(self, m: YMap, key: str, path: str, default: float | None, rng: Range = ANY) -> Value | None:
        """A number, a ``$param`` reference, or a one-key distribution mapping."""
        p = join_path(path, key)
        if key not in m:
            if default is None:
                self.error(m.mark, path, f"missing required key '{key}'")
                return None
            return Const(float(default))
        return self.value_node(m[key], self.at(m, key), p, rng)

    def value_node(self, x: Any, mark: Mark, path: str, rng: Range) -> Value | None:
        """The value of node ``x``; a distribution becomes a parameter named by its key path."""
        if is_number(x):
            if not is_finite(x):
                self.error(mark, path, f"expected a finite number, got {short_num(x)}")
                return None
            if rng.integer and isinstance(x, float) and not x.is_integer():
                self.error(mark, path, f"expected an integer, got {x}")
                return None
            if not rng.contains(float(x)):
                self.error(mark, path, f"value {x} is out of range: expected a number in {rng.describe()}")
                return None
            if abs(x) > MAX_MAGNITUDE:
                self.error(mark, path, too_large(x))
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
            self.use(param, mark)
            return Ref(name)
        if isinstance(x, YMap):
            dist = self.distribution(x, path, rng)
            if dist is None:
                return None
            param = Parameter(path, dist, discrete=isinstance(dist, Poisson) or rng.integer)
            self.use(param, mark)
            return Ref(path)
        what = "an integer, a poisson or a choice" if rng.integer else "a number, a distribution or a $parameter"
        self.error(mark, path, f"expected {what}, got {type_name(x)}")
        return None

    def param_bounds(self, name: str) -> tuple[float, float]:
        """Support of a parameter declared or used so far."""
        for p in list(self.used) + list(self.params.values()):
            if p.name == name:
                return p.bounds
        return (-math.inf, math.inf)

    def use(self, param: Parameter, mark: Mark) -> None:
        """Add ``param`` to the space unless a parameter of its name is there already; ``mark``: where."""
        if all(p.name != param.name for p in self.used):
            self.used.append(param)
            self.use_marks[param.name] = mark

    def _check_support(self, dist: Distribution, mark: Mark, path: str, rng: Range, what: str) -> bool:
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

    def distribution(self, d: YMap, path: str, rng: Range) -> Distribution | None:
        """A one-key mapping (uniform, normal, lognormal, choice, poisson) whose support fits ``rng``."""
        kinds = ("uniform", "normal", "lognormal", "choice", "poisson")
        if len(d) != 1:
            keys = ", ".join(d) if d else "nothing"
            self.error(d.mark, path, f"a distribution is a mapping with exactly one of {', '.join(kinds)}; got {keys}")
            return None
        (kind,) = d.keys()
        p = join_path(path, kind)
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
            if max(abs(lo), abs(hi)) > MAX_MAGNITUDE:
                self.error(mark, p, too_large(max(lo, hi, key=abs), "bound"))
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
                # bounded=False: the checks below name the key and the limit
                mean = self.number(body_d, "mean", p, 0.0, bounded=False)
                std = self.number(body_d, "std", p, 1.0, bounded=False)
                low = self.number(body_d, "low", p, None, bounded=False) if "low" in body_d else None
                high = self.number(body_d, "high", p, None, bounded=False) if "high" in body_d else None
            if std <= 0:
                where = body_d.value_marks["std"] if body_d is not None else mark
                self.error(where, join_path(p, "std"), f"std must be positive, got {std:g}")
                return None
            for k, x in (("mean", mean), ("std", std), ("low", low), ("high", high)):
                if x is not None and abs(x) > MAX_MAGNITUDE:
                    where = body_d.value_marks[k] if body_d is not None else mark
                    self.error(where, join_path(p, k), too_large(x, k))
                    return None
            if low is not None and high is not None and low >= high:
                self.error(body_d.value_marks["low"], join_path(p, "low"), f"empty truncation: low {low:g} is not below high {high:g}")
                return None
            # a window far out in one tail has no mass to speak of: samples would be nan
            far = [(k, x) for k, x in (("low", low), ("high", high)) if x is not None
                   and (x - mean if k == "low" else mean - x) / std > _MAX_TAIL_SD]
            if far:
                k, x = far[0]
                where = body_d.value_marks[k] if body_d is not None else mark
                self.error(where, join_path(p, k), f"truncation {k} {x:g} is more than {_MAX_TAIL_SD} standard deviations "
                           f"from the mean {mean:g}; the normal has no mass there (check mean, std and bounds)")
                return None
            # where sampling reaches on an open side: SAMPLED_Z standard deviations from the mean
            reach = [(k, x) for k, x, open_side in (("low", mean - SAMPLED_Z * std, low is None),
                                                     ("high", mean + SAMPLED_Z * std, high is None))
                     if open_side and abs(x) > MAX_MAGNITUDE]
            if reach:
                k, x = reach[0]
                self.error(mark, p, f"the normal reaches {x:g} ({SAMPLED_Z} standard deviations from the mean, as far "
                           f"as sampling goes), beyond the limit of +-{MAX_MAGNITUDE:g} on any number; give it a "
                           f"'{k}:' or a smaller std")
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
            # where sampling reaches: exp(mu +- SAMPLED_Z sigma), in logs to stay finite
            top, bottom = dist.mu + SAMPLED_Z * dist.sigma, dist.mu - SAMPLED_Z * dist.sigma
            if top > math.log(MAX_MAGNITUDE) or bottom < _LOG_TINY:
                x = f"{math.exp(top):.3g}" if top < 700 else f"e^{top:.0f}"
                low_x = f"{math.exp(bottom):.3g}" if bottom > -700 else f"e^{bottom:.0f}"
                self.error(mark, p, f"the lognormal reaches [{low_x}, {x}] ({SAMPLED_Z} standard deviations of its "
                           f"logarithm, as far as sampling goes): beyond the limit of +-{MAX_MAGNITUDE:g} on any number, "
                           "or so close to 0 that it rounds to 0; use a smaller sigma (or std)")
                return None
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
            big = [(i, v) for i, v in enumerate(vals) if abs(v) > MAX_MAGNITUDE]
            if big:
                i, v = big[0]
                self.error(values.item_marks[i], f"{p}[{i}]", too_large(v))
                return None
            if weights is None:
                ws = [1.0] * len(vals)
            else:
                ws = self.numbers(weights, wmark, join_path(p, "weights"))
                if ws is None:
                    return None
                if len(ws) != len(vals) or any(w < 0 for w in ws) or not 0 < sum(ws) < math.inf:
                    inf = " (these add up to more than a float holds)" if sum(ws) == math.inf else ""
                    self.error(wmark, join_path(p, "weights"), f"expected {len(vals)} non-negative weights with a positive sum{inf}")
                    return None
            total = sum(ws)
            dist = Choice(tuple(vals), tuple(w / total for w in ws))
        elif kind == "poisson":
            high = None
            if isinstance(body, YMap):
                self.keys(body, p, ("lam", "high"), ("lam",))
                lam = self.number(body, "lam", p, 1.0, POS, bounded=False)
                if "high" in body:
                    h = self.number(body, "high", p, None, COUNT)
                    high = None if h is None else int(h)
            elif is_number(body):
                if not is_finite(body):
                    self.error(mark, p, f"poisson mean must be a finite positive number, got {short_num(body)}")
                    return None
                lam = float(body)
            else:
                self.error(mark, p, f"expected the mean count (a number) or {{lam, high}}, got {type_name(body)}")
                return None
            if lam is None or lam <= 0:
                self.error(mark, p, f"poisson mean must be positive, got {lam}")
                return None
            if lam > MAX_POISSON_MEAN:
                self.error(body.value_marks["lam"] if isinstance(body, YMap) else mark, join_path(p, "lam") if isinstance(body, YMap) else p,
                           f"poisson mean {lam:g} is beyond the limit of {MAX_POISSON_MEAN:g} (its quantiles are not "
                           "computed reliably above; docs/dsl.md, Limits)")
                return None
            dist = Poisson(lam, high)
        if not self._check_support(dist, mark, path, rng, f"{kind} distribution"):
            return None
        return dist


def is_sampled(c: ValueReader, m: YMap, key: str, path: str, default: str) -> bool:
    """Whether ``key`` says ``sampled`` (draws of a random stream made parameters of the family)
    rather than ``default`` (left to the stream); anything else is an error."""
    if key not in m or m[key] == default:
        return False
    x = m[key]
    if x != "sampled":
        hint = did_you_mean(x, ("sampled", default)) if isinstance(x, str) else ""
        c.error(c.at(m, key), join_path(path, key), f"expected 'sampled' or '{default}', got {type_name(x)}{hint}")
        return False
    return True


def quantile_parameter(c: ValueReader, name: str, mark: Mark) -> Ref:
    """A new parameter ``name``, uniform on (0, 1): a p-quantile that replaces one random draw
    (``mark``: the key that asks for it)."""
    c.use(Parameter(name, Uniform(0.0, 1.0)), mark)
    return Ref(name)
