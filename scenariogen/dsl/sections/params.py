"""``params:``: named distributions that fields refer to as ``$name``."""

from __future__ import annotations

from ..distparse import ValueReader
from ..distributions import Parameter, Poisson
from ..reader import ANY, NAME_RE, type_name
from ..yamlmarks import YMap


def parse_params(c: ValueReader, root: YMap) -> None:
    if "params" not in root:
        return
    m = c.mapping(root["params"], c.at(root, "params"), "params")
    if m is None:
        return
    for name, body in m.items():
        path = f"params.{name}"
        if not NAME_RE.match(name):
            c.error(m.key_marks[name], path, "parameter names are letters, digits and '_', not starting with a digit")
            continue
        mark = m.value_marks[name]
        if not isinstance(body, YMap):
            c.error(mark, path, f"expected a distribution (e.g. {{uniform: [0, 1]}}), got {type_name(body)}")
            c.broken_params.add(name)
            continue
        dist = c.distribution(body, path, ANY)
        if dist is not None:
            c.params[name] = Parameter(name, dist, discrete=isinstance(dist, Poisson))
        else:
            c.broken_params.add(name)
