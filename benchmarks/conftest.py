"""Shared helpers for the speed benchmarks (not part of the test suite).

Run with ``python -m pytest benchmarks --benchmark-only -s``; the project's
pytest configuration collects only ``tests/``, so ``python -m pytest`` never
runs these. Every benchmark stores its figures in ``benchmark.extra_info``
and adds a one-line summary that is printed as it is measured (visible with
``-s``) and again, all together, at the end of the session.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # make ``benchmarks.reference`` importable however pytest is started
    sys.path.insert(0, str(REPO_ROOT))

_SUMMARY: list[str] = []


def summary(line: str) -> None:
    """Print a one-line result now and repeat it in the end-of-session summary."""
    print("\n" + line, flush=True)
    _SUMMARY.append(line)


def machine_info() -> dict:
    """What a reader needs to judge a figure: cores, and how busy the machine was."""
    load1, load5, _ = os.getloadavg()
    return {"cpu_count": os.cpu_count(), "loadavg_1min": round(load1, 2), "loadavg_5min": round(load5, 2)}


@contextlib.contextmanager
def numba_threads(n: int):
    """Run the block with ``numba.set_num_threads(n)``, restoring the previous count after."""
    import numba

    if n > numba.config.NUMBA_NUM_THREADS:
        pytest.skip(f"{n} threads requested, numba has {numba.config.NUMBA_NUM_THREADS}")
    before = numba.get_num_threads()
    numba.set_num_threads(n)
    try:
        yield
    finally:
        numba.set_num_threads(before)


def two_core_speedup() -> float:
    """Speed-up of a compute-bound 2-thread Numba loop over 1 thread, right now (about 0.2 s).

    About 2.0 on two idle cores; about 1.0 when another process holds a core,
    in which case 2-thread figures measured around it are not meaningful.
    """
    import time

    import numba

    if numba.config.NUMBA_NUM_THREADS < 2:
        return 1.0
    fn = _spin()
    fn(10)
    times = {}
    for n in (1, 2):
        with numba_threads(n):
            t0 = time.perf_counter()
            fn(3_000_000)
            times[n] = time.perf_counter() - t0
    return round(times[1] / times[2], 2)


@functools.lru_cache(maxsize=1)
def _spin():
    import numpy as np
    from numba import njit, prange

    @njit(parallel=True)
    def spin(n):
        out = np.zeros(2)
        for c in prange(2):
            acc = 0.0
            for i in range(n):
                acc += np.sqrt(i + c + 1.0)
            out[c] = acc
        return out

    return spin


def median_seconds(benchmark) -> float:
    """Median wall time (s) of the rounds pytest-benchmark just measured."""
    return float(benchmark.stats.stats.median)


def pytest_terminal_summary(terminalreporter):
    if _SUMMARY:
        terminalreporter.section("scenariogen benchmark summary")
        for line in _SUMMARY:
            terminalreporter.write_line(line)


@pytest.fixture(scope="module")
def cut_in_spec():
    """The highway cut-in example, with the kernel compiled (or loaded from its cache) before timing."""
    import scenariogen

    spec = scenariogen.load_scenario(REPO_ROOT / "scenarios" / "highway_cut_in.yaml")
    scenariogen.simulate(spec, n=64, record="full")
    return spec


@pytest.fixture
def run_dirs():
    """A factory of fresh run-directory paths under one temporary folder, removed afterwards."""
    import shutil
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="sg-bench-run-"))
    counter = [0]

    def fresh() -> Path:
        counter[0] += 1
        return root / f"run{counter[0]}"

    yield fresh
    shutil.rmtree(root, ignore_errors=True)
