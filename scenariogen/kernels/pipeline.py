"""A compiler pipeline for the step kernel: Numba's own, plus one pass that drops the copies of
arguments that IR inlining leaves behind.

Each call inlined with ``inline="always"`` binds the callee's parameters to the caller's values by
assignment (``road.1 = road``), so every inlined call that takes the grouped arguments (named tuples
of up to 34 arrays) makes a new variable of that tuple type. Numba lowers each such variable to a
stack slot that the whole tuple is stored into and loaded from at each use, and LLVM's scalar
replacement of aggregates then splits them again: a large share of the first start's compile time
(docs/performance.md, "First start, a fourth time"). A variable assigned once, from a function
argument that is never reassigned (or from such a copy), always holds that argument's value, so
:class:`ArgumentCopies` uses the argument in its place and removes the assignment: the same
program, with fewer variables to type, lower and optimise. The compiled code computes the same
values in the same order, so results are bit-identical.
"""

from __future__ import annotations

from collections import Counter

from numba.core import ir
from numba.core.compiler import CompilerBase, DefaultPassBuilder
from numba.core.compiler_machinery import FunctionPass, register_pass
from numba.core.ir_utils import build_definitions, replace_vars
from numba.core.untyped_passes import InlineInlinables


@register_pass(mutates_CFG=False, analysis_only=False)
class ArgumentCopies(FunctionPass):
    """Replace every variable that only ever holds a copy of an unmodified argument by that
    argument."""

    _name = "scenariogen_argument_copies"

    def __init__(self):
        FunctionPass.__init__(self)

    def run_pass(self, state):
        func_ir = state.func_ir
        assigns = Counter()
        defs = {}
        for block in func_ir.blocks.values():
            for stmt in block.body:
                if isinstance(stmt, ir.Assign):
                    assigns[stmt.target.name] += 1
                    defs[stmt.target.name] = stmt.value
        # the arguments: assigned once, from ir.Arg
        root = {name: name for name, n in assigns.items() if n == 1 and isinstance(defs[name], ir.Arg)}
        changed = True
        while changed:  # copies of copies (a call inlined into an inlined function)
            changed = False
            for name, n in assigns.items():
                value = defs[name]
                if (n == 1 and name not in root and isinstance(value, ir.Var) and value.name in root):
                    root[name] = root[value.name]
                    changed = True
        alias = {name: src for name, src in root.items() if name != src}
        if not alias:
            return False
        arg_var = {}
        for block in func_ir.blocks.values():
            body = []
            for stmt in block.body:
                if isinstance(stmt, ir.Assign) and stmt.target.name in alias:
                    continue
                if isinstance(stmt, ir.Assign) and stmt.target.name in root:
                    arg_var[stmt.target.name] = stmt.target
                body.append(stmt)
            block.body = body
        replace_vars(func_ir.blocks, {name: arg_var[src] for name, src in alias.items()})
        func_ir._definitions = build_definitions(func_ir.blocks)
        return True


class StepCompiler(CompilerBase):
    """Numba's nopython pipeline with :class:`ArgumentCopies` right after IR inlining."""

    def define_pipelines(self):
        pm = DefaultPassBuilder.define_nopython_pipeline(self.state)
        pm.add_pass_after(ArgumentCopies, InlineInlinables)
        pm.finalize()
        return [pm]
