"""The calibrated family as YAML: the original text with each fitted distribution replaced in
place (comments, order and layout kept) under a comment header that records the data, the fit
and its quality."""

from __future__ import annotations

import re

from ..dsl.distributions import Distribution
from ..dsl.schema import ScenarioSpec
from ..errors import CalibrationError
from . import dists as Dd

_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _path_tokens(name: str, spec: ScenarioSpec) -> list:
    """The YAML path of parameter ``name``: ``params.NAME`` for a declared one, else its key path."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        return ["params", name]
    return [int(i) if i else k for k, i in _TOKEN.findall(name)]


def _node(root, tokens: list, name: str):
    import yaml

    node = root
    for t in tokens:
        if isinstance(t, int) and isinstance(node, yaml.SequenceNode) and t < len(node.value):
            node = node.value[t]
            continue
        if isinstance(node, yaml.MappingNode):
            hit = [v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == str(t)]
            if hit:
                node = hit[0]
                continue
        raise CalibrationError(f"cannot find the distribution of {name} in the family's text")
    return node


def _content_end(node) -> int:
    """Where a node's text ends: a block collection's own span runs on to the next key's line (over
    comments and line breaks), so it ends where its last entry does."""
    import yaml

    if isinstance(node, yaml.MappingNode) and not node.flow_style and node.value:
        return _content_end(node.value[-1][1])
    if isinstance(node, yaml.SequenceNode) and not node.flow_style and node.value:
        return _content_end(node.value[-1])
    return node.end_mark.index


def calibrated_text(spec: ScenarioSpec, laws: dict[str, Distribution]) -> str:
    """``spec``'s YAML with the distribution of every parameter in ``laws`` replaced (flow style)."""
    import yaml

    text = spec.source_text
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    edits = []
    for name, d in laws.items():
        node = _node(root, _path_tokens(name, spec), name)
        edits.append((node.start_mark.index, _content_end(node), Dd.to_yaml(d)))
    for a, b, new in sorted(edits, reverse=True):
        text = text[:a] + new + text[b:]
    return text


def header(res, seed: int) -> str:
    """The comment header of a calibrated family: data, fit and quality, one fact a line."""
    from .._version import __version__
    from .fit import TYPICAL

    r = res.real
    lines = [f"calibrated by scenariogen {__version__} calibrate (seed {seed}) against real logs:",
             f"  data: {r['windows']} windows of {r['window']:g} s, {len(r['recordings'])} recordings "
             f"({', '.join(r['recordings'])}), reader {r['reader']}; position noise {r['position_noise']:.3f} m",
             f"  fit: energy distance on {', '.join(TYPICAL)} (real-standardised); Powell then Nelder-Mead with "
             f"common random numbers, {res.spec.calibrate.scenarios if res.spec.calibrate else '?'} scenarios per evaluation, "
             f"{res.evaluations} evaluations; +- : 2 sd of the refits on recordings drawn with replacement (about 95 %)"]
    for p in res.parameters:
        sd = ", ".join(f"{n} {v:.4g} +- {2 * s:.2g}" for n, v, s in zip(p.coord_names, p.coords, p.sd))
        lines.append(f"  {p.name} ({p.method}): was {Dd.to_yaml(p.before)}; {sd}")
    lines.append(f"  quality: energy distance {res.distance_before:.3f} -> {res.distance_after:.3f} (real vs real "
                 f"{res.distance_band[0]:.3f} to {res.distance_band[1]:.3f})")
    for d in res.descriptors:
        lines.append(f"    {d.name}: median shift {d.shift_before:+.2f} -> {d.shift_after:+.2f} real sd (real vs real "
                     f"{d.band[0]:+.2f} to {d.band[1]:+.2f}{'' if d.inside else ', outside'})")
    return "".join(f"# {ln}\n" for ln in lines)
