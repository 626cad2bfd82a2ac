"""Mutated example files: the parser either accepts them or raises DSLError, nothing else.

Each example is damaged by one to three random edits of the kinds an editor or
an author makes (a lost line, a pasted duplicate, a typo, a wrong type, a bad
indent, stray unicode, a cut-off file). Whatever comes out, ``parse_text``
must return a ``ScenarioSpec`` or raise ``DSLError`` whose problems all carry
a usable location.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scenariogen.dsl import ScenarioSpec, parse_text
from scenariogen.errors import DSLError

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
TEXTS = {p.name: p.read_text(encoding="utf-8") for p in sorted(SCENARIOS.glob("*.yaml"))}

# scalars an author (or a bad merge) might put where another one belongs
REPLACEMENTS = [
    "[1, 2]", "{a: 1}", "[]", "{}", "~", "true", "no", '"text"', "'$nope'", "$nope", "-1", "0", "-0.0",
    "1e-3", "1.5e+3", ".inf", "-.inf", ".nan", "1" + "0" * 400, "-" + "9" * 40, "2024-01-01", "0x1F",
    "!!float abc", "!!int 1.5", "!!binary AAAA", "!!python/name:os.system", "*undefined", "&anchor 3",
    "{uniform: [1, 0]}", "{normal: {mean: 0, std: -1}}", "{poisson: 0}", "{choice: []}", "{uniform: [.nan, 1]}",
    "{lognormal: {median: 0, sigma: 1}}", "S_in_0>W_out_0", "ego", "|\n  block", "? x", "- a",
]
# a scalar value after "key: " or inside a flow collection
_SCALAR = re.compile(r"(?<=: )[^\s{}\[\],#][^{}\[\],#\n]*|(?<=[\[,] )[^\s{}\[\],#][^{}\[\],#\n]*|(?<=\[)[^\s{}\[\],#][^{}\[\],#\n]*")


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


@st.composite
def mutation(draw, text: str) -> str:
    kind = draw(st.sampled_from(
        ["delete_line", "duplicate_line", "swap_chars", "replace_scalar", "indent", "unicode", "truncate"]
    ))
    lines = _lines(text)
    if kind == "delete_line" and lines:
        i = draw(st.integers(0, len(lines) - 1))
        return "".join(lines[:i] + lines[i + 1:])
    if kind == "duplicate_line" and lines:
        i = draw(st.integers(0, len(lines) - 1))
        j = draw(st.integers(0, len(lines)))  # where the copy lands
        return "".join(lines[:j] + [lines[i]] + lines[j:])
    if kind == "swap_chars" and len(text) >= 2:
        i = draw(st.integers(0, len(text) - 2))
        return text[:i] + text[i + 1] + text[i] + text[i + 2:]
    if kind == "replace_scalar":
        spans = [m.span() for m in _SCALAR.finditer(text)]
        if spans:
            a, b = draw(st.sampled_from(spans))
            new = draw(st.sampled_from(REPLACEMENTS) | st.text(max_size=8))
            return text[:a] + new + text[b:]
        return text
    if kind == "indent" and lines:
        i = draw(st.integers(0, len(lines) - 1))
        line = lines[i]
        how = draw(st.sampled_from(["more", "less", "tab", "flush"]))
        if how == "more":
            line = " " * draw(st.integers(1, 3)) + line
        elif how == "less":
            n = len(line) - len(line.lstrip(" "))
            line = line[min(n, draw(st.integers(1, 3))):]
        elif how == "tab":
            line = "\t" + line.lstrip(" ")
        else:
            line = line.lstrip(" ")
        return "".join(lines[:i] + [line] + lines[i + 1:])
    if kind == "unicode":
        i = draw(st.integers(0, len(text)))
        junk = draw(st.text(min_size=1, max_size=5))  # any code point but surrogates, controls included
        return text[:i] + junk + text[i:]
    if kind == "truncate":
        return text[: draw(st.integers(0, len(text)))]
    return text


@st.composite
def mutated_example(draw) -> tuple[str, str]:
    name = draw(st.sampled_from(sorted(TEXTS)))
    text = TEXTS[name]
    for _ in range(draw(st.integers(1, 3))):
        text = draw(mutation(text))
    return name, text


def _check(name: str, text: str) -> None:
    try:
        spec = parse_text(text, name)
    except DSLError as exc:
        assert exc.problems, "a DSLError carries at least one problem"
        for p in exc.problems:
            assert p.file == name
            assert isinstance(p.line, int) and p.line >= 1, p
            assert isinstance(p.column, int) and p.column >= 1, p
            assert p.message.strip(), p
        keys = [(p.line, p.column) for p in exc.problems]
        assert keys == sorted(keys), "problems are in file order"
        str(exc)  # formatting never fails
        return
    assert isinstance(spec, ScenarioSpec)
    # an accepted spec has a usable parameter space
    theta = spec.parameters.sample(np.random.default_rng(0), 4)
    assert theta.shape == (4, spec.parameters.dim)
    assert not np.any(np.isnan(theta))
    assert np.all(np.isfinite(spec.parameters.logpdf(theta)))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_example())
def test_mutated_examples_parse_or_raise_dsl_error(case):
    _check(*case)


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_parses_or_raises_dsl_error(text):
    _check("fuzz.yaml", text)


def test_every_replacement_in_every_scalar_slot_of_one_example():
    """Exhaustive sweep of REPLACEMENTS over the scalars of one file (deterministic, catches what sampling misses)."""
    text = TEXTS["highway_cut_in.yaml"]
    spans = [m.span() for m in _SCALAR.finditer(text)]
    assert len(spans) > 50
    for k, (a, b) in enumerate(spans):
        new = REPLACEMENTS[k % len(REPLACEMENTS)]
        _check("sweep.yaml", text[:a] + new + text[b:])
