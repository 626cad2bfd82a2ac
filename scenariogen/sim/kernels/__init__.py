"""Pure Numba kernels: plain ``@njit(cache=True)`` functions over numeric arrays.

Submodules are imported explicitly by their users (for example
``from scenariogen.sim.kernels import geometry``); nothing is imported here, so
importing the package never triggers Numba compilation.
"""
