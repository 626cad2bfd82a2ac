"""Typed constants for arguments of jitted calls.

Numba compiles a jitted function once per distinct argument type, and a literal ``0``, ``-1`` or
``False`` passed in is typed ``Literal[int](0)`` (``Literal[bool](False)``), a type of its own: the
callee (and every callee it passes the value on to) is compiled once more for it. A counter set to
a literal before a loop does the same while type inference has not yet seen its later values.
These constants are typed ``int64`` and ``bool``, so a call site that passes them, or a variable
that starts from them, shares the one compiled version (``benchmarks/compile_profile.py
--signatures`` lists the functions compiled more than once).
"""

from __future__ import annotations

import numpy as np

ZERO = np.int64(0)
NONE = np.int64(-1)  # no lane, no agent, no route position
FALSE = np.bool_(False)
