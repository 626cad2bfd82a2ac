"""``evaluate(theta) -> robustness`` fanned out over a backend, for :func:`scenariogen.sampling.run_estimate`."""

from __future__ import annotations

import math

import numpy as np

from ..dsl import schema as S
from .backends import Session
from .tasks import RobustnessTask


class ParallelEvaluator:
    """Robustness of ``event`` for parameter rows, simulated on an open backend session.

    Call ``i`` takes the global scenario indices after those of the calls before
    it, exactly as a sequential ``simulate(..., start_index=used)`` loop does, and
    splits its rows into at most ``session.window`` tasks of at least
    ``min_rows`` rows; the result does not depend on the split."""

    def __init__(self, session: Session, spec: S.ScenarioSpec, event: str, seed: int, min_rows: int = 250) -> None:
        self.session = session
        self.spec = spec
        self.event = event
        self.seed = int(seed)
        self.min_rows = max(1, int(min_rows))
        self.used = 0  # scenarios simulated so far (the next global index)
        self._k = 0

    def __call__(self, theta: np.ndarray) -> np.ndarray:
        theta = np.atleast_2d(np.asarray(theta, dtype=np.float64))
        n = theta.shape[0]
        if n == 0:
            return np.zeros(0)
        pieces = max(1, min(self.session.window, n // self.min_rows))
        step = math.ceil(n / pieces)
        first_k = self._k
        for lo in range(0, n, step):
            hi = min(n, lo + step)
            self.session.submit(RobustnessTask(k=self._k, first_index=self.used + lo, theta=theta[lo:hi],
                                               seed=self.seed, event=self.event))
            self._k += 1
        got = {}
        while len(got) < self._k - first_k:
            res = self.session.next_result()
            got[res.k] = res.robustness
        self.used += n
        return np.concatenate([got[k] for k in range(first_k, self._k)])


__all__ = ["ParallelEvaluator"]
