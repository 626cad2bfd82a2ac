"""The step kernel's compiler pipeline (``kernels/pipeline.py``): the copies of arguments that IR
inlining leaves behind are gone, and nothing else changes."""

from __future__ import annotations

import ast
from collections import namedtuple
from pathlib import Path

import numpy as np
from numba import njit, types

from scenariogen.kernels import step
from scenariogen.kernels.pipeline import StepCompiler

Pair = namedtuple("Pair", ["a", "b"])


@njit(inline="always")
def _leaf(p, i):
    return p.a[i] * p.b[i]


@njit(inline="always")
def _middle(p, i):
    return _leaf(p, i) + _leaf(p, i + 1)  # copies of a copy


def _calls(p, n):
    x = 0.0
    for i in range(n):
        if i % 2 == 0:
            x += _middle(p, i)
        else:
            x -= _leaf(p, i)
    return x


def _reassigned(p, q, n):
    x = 0.0
    for i in range(n):
        x += _leaf(p, i)
        if i == 2:
            p = q  # p is no longer always the argument: its copies must stay
    return x + _leaf(p, 0)


def _tuple_vars(disp):
    (cres,) = disp.overloads.values()
    return sorted(k for k, t in cres.type_annotation.typemap.items() if isinstance(t, types.BaseNamedTuple))


def _pair(n, seed):
    rng = np.random.default_rng(seed)
    return Pair(rng.normal(size=n + 2), rng.normal(size=n + 2))


def test_inlined_copies_of_an_argument_are_dropped_with_the_same_result():
    p = _pair(9, 1)
    plain, piped = njit(_calls), njit(pipeline_class=StepCompiler)(_calls)
    assert piped(p, 9) == plain(p, 9)
    assert len(_tuple_vars(plain)) >= 5  # the argument and a copy per inlined call
    assert set(_tuple_vars(piped)) == {"p", "arg.p"}  # the argument only


def test_an_argument_reassigned_keeps_its_copies():
    p, q = _pair(6, 2), _pair(6, 3)
    plain, piped = njit(_reassigned), njit(pipeline_class=StepCompiler)(_reassigned)
    assert piped(p, q, 6) == plain(p, q, 6)
    assert len(_tuple_vars(piped)) > 3


def test_the_step_kernel_uses_the_pipeline():
    # read from the source: nothing outside the kernels may touch a wrapperless kernel (test_wrapperless)
    tree = ast.parse(Path(step.__file__).read_text(encoding="utf-8"))
    (fn,) = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "_simulate_one"]
    keywords = {k.arg: k.value for d in fn.decorator_list if isinstance(d, ast.Call) for k in d.keywords}
    assert isinstance(keywords.get("pipeline_class"), ast.Name) and keywords["pipeline_class"].id == "StepCompiler"
    assert step.StepCompiler is StepCompiler
