"""Our Numba kernel against the plain-C reference on the same work, in the same run.

The C reference (``shared/bench/limit_kernel.c``, built by ``reference.py``
with ``gcc -O3 -march=native``, no fast-math) and
``benchmarks.reference_work`` (no fast-math either) simulate
B = 1000 scenarios x N = 20 vehicles x 200 steps: IDM leader following with an
O(N) same-lane leader scan, lateral P-control, kinematic bicycle with slip
angle, and all-pairs circle distance and TTC. Both exclude initialisation from
the timing; Numba's compile time is excluded by a warm-up call. The rate is
vehicle-steps per second, B N steps / wall time, median over the rounds.

    python -m pytest benchmarks/test_limit_kernel.py --benchmark-only -s
"""

from __future__ import annotations

import pytest

from benchmarks.conftest import machine_info, median_seconds, numba_threads, summary, two_core_speedup
from benchmarks.reference import ReferenceUnavailable, run_c_reference_full

B, N, STEPS = 1000, 20, 200
C_REPS = 7  # repetitions inside the C program (plus its own warm-up)
ROUNDS = 7  # rounds of our kernel per configuration

_RESULTS: dict = {}


@pytest.fixture(scope="module")
def c_rate():
    """Median C rate (vehicle-steps/s), measured once for the module; skips if gcc or the source is missing."""
    try:
        res = run_c_reference_full(B, N, STEPS, C_REPS)
    except ReferenceUnavailable as exc:
        pytest.skip(str(exc))
    _RESULTS["c"] = res["median"]
    _RESULTS["c_full"] = res
    return res["median"]


@pytest.fixture(scope="module")
def rw():
    from benchmarks import reference_work

    # compile (or load from the cache) every variant before anything is timed
    for run in (reference_work.run_serial, reference_work.run_parallel):
        run(*reference_work.init_state(2 * reference_work.BLOCK + 3, N, 1), 2, reference_work.BLOCK)
    return reference_work


def test_c_reference(benchmark, c_rate):
    """The C program's own timing (median of its repetitions); the benchmark time is the whole run."""
    res = benchmark.pedantic(run_c_reference_full, args=(B, N, STEPS, C_REPS), rounds=1, iterations=1)
    rate = res["median"]
    benchmark.extra_info.update(
        vehicle_steps_per_s=rate, vehicle_steps_per_s_first_run=c_rate, min=res["min"], max=res["max"],
        checksum=res["checksum"], B=B, N=N, steps=STEPS, reps=C_REPS, threads=1, **machine_info(),
    )
    summary(f"C reference (gcc -O3 -march=native, 1 thread): {rate:.3e} vehicle-steps/s "
            f"(min {res['min']:.3e}, max {res['max']:.3e}; earlier run in this module {c_rate:.3e})")
    assert rate > 0.0


@pytest.mark.parametrize(
    "variant, threads",
    [("serial", 1), ("parallel", 1), ("parallel", 2)],
    ids=["serial-1thread", "parallel-1thread", "parallel-2threads"],
)
def test_numba_kernel(benchmark, c_rate, rw, variant, threads):
    run = rw.run_serial if variant == "serial" else rw.run_parallel
    seeds = iter(range(2, 2 + 10 * ROUNDS))

    def setup():  # a fresh batch per round, not timed (as in the C program)
        return (*rw.init_state(B, N, next(seeds)), STEPS, rw.BLOCK), {}

    with numba_threads(threads):
        benchmark.pedantic(run, setup=setup, rounds=ROUNDS, iterations=1, warmup_rounds=1)
    rate = B * N * STEPS / median_seconds(benchmark)
    ratio = rate / c_rate
    _RESULTS[(variant, threads)] = rate
    benchmark.extra_info.update(
        vehicle_steps_per_s=rate, ratio_vs_c=ratio, c_vehicle_steps_per_s=c_rate, threads=threads,
        variant=variant, block=rw.BLOCK, fastmath=False, B=B, N=N, steps=STEPS, **machine_info(),
    )
    if threads > 1:
        benchmark.extra_info["two_core_speedup_now"] = two_core_speedup()
    note = f" [idle-core check: 2 threads {benchmark.extra_info['two_core_speedup_now']:.2f}x]" if threads > 1 else ""
    summary(f"numba reference_work {variant}, {threads} thread(s): {rate:.3e} vehicle-steps/s = "
            f"{ratio:.2f}x C ({c_rate:.3e}){note}")
    assert rate > 0.0


def test_checksum_matches_c(benchmark, rw, c_rate):
    """Same initial states as the C program (its generator and seeds): the same checksum, to rounding.

    The benchmark time is the whole check (C_REPS + 1 batches, Numba's default threads, initialisation included).
    """
    import numpy as np

    def checksum():
        total = 0.0
        for rep in range(-1, C_REPS):  # the C program's warm-up is rep -1, seed rep + 2
            st = rw.init_state(B, N, rep + 2)
            rw.run_parallel(*st, STEPS, rw.BLOCK)
            total += float(np.sum(st[6] + st[0][:, 0]))
        return total

    total = benchmark.pedantic(checksum, rounds=1, iterations=1)
    c_sum = _RESULTS["c_full"]["checksum"]
    benchmark.extra_info.update(checksum=total, c_checksum=c_sum)
    summary(f"checksum: numba {total:.6e}, C {c_sum:.6e}")
    assert total == pytest.approx(c_sum, rel=1e-5)  # C prints 7 significant digits


@pytest.fixture(scope="module", autouse=True)
def _summary_line():
    """After the module: one line with all the rates measured in it."""
    yield
    if "c" not in _RESULTS:
        return
    c = _RESULTS["c"]
    parts = [f"C {c:.3e}"]
    for key, label in ((("serial", 1), "numba serial 1T"), (("parallel", 1), "numba 1T"),
                       (("parallel", 2), "numba 2T")):
        if key in _RESULTS:
            parts.append(f"{label} {_RESULTS[key]:.3e} ({_RESULTS[key] / c:.2f}x)")
    summary(f"limit kernel B={B} N={N} steps={STEPS} [vehicle-steps/s]: " + " | ".join(parts))
