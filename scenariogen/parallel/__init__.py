"""Fan simulations out: the ``local`` backend (this machine, the default) and ``ray`` (a Ray cluster).

``generate`` and ``estimate`` propose parameter rows on the driver, ship them to
workers as tasks (:mod:`~scenariogen.parallel.tasks`), and put the results back
in index order; the output is bit-identical whichever backend or worker count
runs it.
"""

from .backends import (
    BACKENDS,
    LOCAL_MODE_DEFAULT,
    LOCAL_MODES,
    Backend,
    LocalBackend,
    RayBackend,
    Session,
    make_backend,
)
from .evaluate import ParallelEvaluator
from .tasks import (
    FAULT_DIR_ENV,
    RobustnessResult,
    RobustnessTask,
    ShardResult,
    ShardTask,
)

__all__ = [
    "BACKENDS",
    "FAULT_DIR_ENV",
    "LOCAL_MODES",
    "LOCAL_MODE_DEFAULT",
    "Backend",
    "LocalBackend",
    "ParallelEvaluator",
    "RayBackend",
    "RobustnessResult",
    "RobustnessTask",
    "Session",
    "ShardResult",
    "ShardTask",
    "make_backend",
]
