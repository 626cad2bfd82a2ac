"""Throughput of the plain-C reference kernel (shared/bench/limit_kernel.c).

Run with ``python -m pytest benchmarks/test_reference_c.py --benchmark-only``.
The measured rate is stored in ``extra_info['vehicle_steps_per_s']`` so that a
scenariogen benchmark in the same run can report its speed as a ratio.
"""

import pytest

try:
    from benchmarks.reference import ReferenceUnavailable, build_c_reference, run_c_reference
except ImportError:  # benchmarks/ on sys.path instead of the repository root
    from reference import ReferenceUnavailable, build_c_reference, run_c_reference

B, N, STEPS, REPS = 1000, 20, 200, 5


@pytest.fixture(scope="module")
def c_reference():
    try:
        return build_c_reference()
    except ReferenceUnavailable as exc:
        pytest.skip(str(exc))


def test_c_reference_rate(benchmark, c_reference):
    rate = benchmark.pedantic(run_c_reference, args=(B, N, STEPS, REPS), rounds=1, iterations=1)
    benchmark.extra_info.update(
        vehicle_steps_per_s=rate, B=B, N=N, steps=STEPS, reps=REPS, threads=1,
    )
    assert rate > 0.0
