"""A compiler pipeline for the step kernel: Numba's own, plus two passes over the IR after inlining
that leave fewer copies of the grouped arguments.

Each call inlined with ``inline="always"`` binds the callee's parameters to the caller's values by
assignment (``road.1 = road``), so every inlined call that takes the grouped arguments (named tuples
of up to 34 arrays) makes a new variable of that tuple type. Numba lowers each such variable to a
stack slot that the whole tuple is stored into and loaded from at each use, and LLVM's scalar
replacement of aggregates then splits them again: a large share of the first start's compile time
(docs/performance.md, "First start, a fourth time"). A variable assigned once, from a function
argument that is never reassigned (or from such a copy), always holds that argument's value, so
:class:`ArgumentCopies` uses the argument in its place and removes the assignment: the same
program, with fewer variables to type, lower and optimise. Each ``road.px`` still loads the whole
tuple from its stack slot before taking the field; :class:`ArgumentFields` reads each field of an
argument once, at the start (a named tuple is immutable and the argument is never reassigned), and
every other read of it becomes that variable. The compiled code computes the same values in the
same order, so results are bit-identical.
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


def _arguments(func_ir):
    """Names of the arguments that are assigned nowhere but from ``ir.Arg``."""
    assigns = Counter()
    args = set()
    for block in func_ir.blocks.values():
        for stmt in block.body:
            if isinstance(stmt, ir.Assign):
                assigns[stmt.target.name] += 1
                if isinstance(stmt.value, ir.Arg):
                    args.add(stmt.target.name)
    return {a for a in args if assigns[a] == 1}


@register_pass(mutates_CFG=False, analysis_only=False)
class ArgumentFields(FunctionPass):
    """Read each field of an unmodified argument once, at the start: every ``getattr`` of the
    argument becomes a copy of that variable."""

    _name = "scenariogen_argument_fields"

    def __init__(self):
        FunctionPass.__init__(self)

    def run_pass(self, state):
        func_ir = state.func_ir
        args = _arguments(func_ir)
        entry = func_ir.blocks[min(func_ir.blocks)]
        fields = {}  # (argument, attribute) -> variable
        arg_var = {}
        for stmt in entry.body:
            if isinstance(stmt, ir.Assign) and stmt.target.name in args:
                arg_var[stmt.target.name] = stmt.target
        for block in func_ir.blocks.values():
            for stmt in block.body:
                if (isinstance(stmt, ir.Assign) and isinstance(stmt.value, ir.Expr) and stmt.value.op == "getattr"
                        and stmt.value.value.name in arg_var):
                    key = (stmt.value.value.name, stmt.value.attr)
                    if key not in fields:
                        fields[key] = entry.scope.redefine(f"{key[0]}__{key[1]}", stmt.loc)
                    stmt.value = fields[key]
        if not fields:
            return False
        last = max(i for i, stmt in enumerate(entry.body)
                   if isinstance(stmt, ir.Assign) and stmt.target.name in arg_var)
        reads = [ir.Assign(ir.Expr.getattr(arg_var[a], attr, var.loc), var, var.loc) for (a, attr), var in fields.items()]
        entry.body[last + 1:last + 1] = reads
        func_ir._definitions = build_definitions(func_ir.blocks)
        return True


@register_pass(mutates_CFG=False, analysis_only=False)
class TupleUnpacks(FunctionPass):
    """``a, b, c, d = x.a, x.b, x.c, x.d`` builds a tuple of the four arrays and unpacks it again
    (Python's byte code for four or more names); assign each item directly instead."""

    _name = "scenariogen_tuple_unpacks"

    def __init__(self):
        FunctionPass.__init__(self)

    def run_pass(self, state):
        func_ir = state.func_ir
        uses = Counter()
        for block in func_ir.blocks.values():
            for stmt in block.body:
                for var in stmt.list_vars():
                    uses[var.name] += 1
        changed = False
        for block in func_ir.blocks.values():
            body = block.body
            where = {}  # target -> statement index
            for k, stmt in enumerate(body):
                if isinstance(stmt, ir.Assign):
                    where.setdefault(stmt.target.name, []).append(k)
            drop = set()
            for k, stmt in enumerate(body):
                if not (isinstance(stmt, ir.Assign) and isinstance(stmt.value, ir.Expr)
                        and stmt.value.op == "exhaust_iter"):
                    continue
                it, tup = stmt.target.name, stmt.value.value.name
                n = stmt.value.count
                k_tup = [j for j in where.get(tup, ()) if j < k]
                if uses[tup] != 2 or uses[it] != n + 1 or len(k_tup) != 1:
                    continue
                build = body[k_tup[0]].value
                if not (isinstance(build, ir.Expr) and build.op == "build_tuple" and len(build.items) == n):
                    continue
                gets = [j for j, s in enumerate(body) if isinstance(s, ir.Assign) and isinstance(s.value, ir.Expr)
                        and s.value.op == "static_getitem" and s.value.value.name == it
                        and isinstance(s.value.index, int)]
                if len(gets) != n:
                    continue
                # no item may be reassigned between the tuple's building and its last read
                items = {item.name for item in build.items}
                if any(k_tup[0] < j <= max(gets) for name in items for j in where.get(name, ())):
                    continue
                for j in gets:
                    body[j].value = build.items[body[j].value.index]
                drop.update((k_tup[0], k))
            if drop:
                block.body = [s for k, s in enumerate(body) if k not in drop]
                changed = True
        if changed:
            func_ir._definitions = build_definitions(func_ir.blocks)
        return changed


class StepCompiler(CompilerBase):
    """Numba's nopython pipeline with :class:`ArgumentCopies` and :class:`ArgumentFields` right
    after IR inlining."""

    def define_pipelines(self):
        pm = DefaultPassBuilder.define_nopython_pipeline(self.state)
        pm.add_pass_after(ArgumentCopies, InlineInlinables)
        pm.add_pass_after(ArgumentFields, ArgumentCopies)
        pm.add_pass_after(TupleUnpacks, ArgumentFields)
        pm.finalize()
        return [pm]
