"""Scoring speed of the coverage metrics: 100 000 synthetic against 10 000 real descriptor vectors.

    python -m pytest benchmarks/test_coverage.py --benchmark-only -s

The real vectors are the descriptors of every 3 s vehicle window of the real logs in
``../shared/data/real`` (NGSIM CommonRoad scenes, and the Argoverse 2 logs when pyarrow is
installed; about a thousand rows), resampled to 10 000 rows with Gaussian noise of 0.1 robust
standard deviation per descriptor. The synthetic vectors are resampled from the same rows the same
way, 100 000 of them, a tenth with one descriptor shifted by 2 sd so that the drift and off-support
paths do real work. Target: under one minute on 2 cores for the whole ``score`` call (k-NN balls,
tails, Vendi, classifier test).
"""

from __future__ import annotations

import sys
import time

import numpy as np

from benchmarks.conftest import REPO_ROOT, machine_info, summary
from scenariogen.coverage import DESCRIPTOR_NAMES
from scenariogen.coverage.metrics import fit_standardiser, score

sys.path.insert(0, str(REPO_ROOT / "tests" / "tail_coverage"))
from coverage_helpers import real_pool

N_REAL = 10_000
N_SYN = 100_000


def _resample(pool: np.ndarray, n: int, rng, scale, cols) -> np.ndarray:
    out = pool[rng.integers(0, len(pool), n)].copy()
    out[:, cols] += 0.1 * scale * rng.normal(size=(n, len(cols)))
    return out


def test_score_100k_against_10k(benchmark):
    pool = real_pool()
    st, _ = fit_standardiser(pool)
    cols = list(st.columns)
    rng = np.random.default_rng(0)
    X = _resample(pool, N_REAL, rng, st.scale, cols)
    Y = _resample(pool, N_SYN, rng, st.scale, cols)
    j = DESCRIPTOR_NAMES.index("ego_speed_mean")
    Y[: N_SYN // 10, j] += 2.0 * st.scale[st.names.index("ego_speed_mean")]
    w = rng.uniform(0.5, 2.0, N_SYN)
    steps: dict[str, float] = {}
    last = [None, 0.0]

    def tick(name):
        now = time.perf_counter()
        if last[0] is not None:
            steps[last[0]] = now - last[1]
        last[:] = [name, now]

    def run():
        t0 = time.perf_counter()
        r = score(X, Y, weights=w, progress=tick)
        steps[last[0]] = time.perf_counter() - last[1]
        last[0] = None
        return r, time.perf_counter() - t0

    r, seconds = benchmark.pedantic(run, rounds=1, iterations=1)
    assert r.n_real == N_REAL and r.n_synthetic == N_SYN
    info = {"seconds": round(seconds, 2), "steps_s": {k: round(v, 2) for k, v in steps.items()},
            "density": r.fidelity.density, "coverage": r.fidelity.coverage, "off_support": r.fidelity.off_support,
            **machine_info()}
    benchmark.extra_info.update(info)
    summary(f"coverage score, {N_SYN} synthetic vs {N_REAL} real descriptors: {seconds:.1f} s "
            f"(target < 60 s; steps {info['steps_s']}; load {info['loadavg_1min']})")
