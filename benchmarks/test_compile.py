"""Start-up cost: Numba compilation with an empty cache, a cached start, and the CLI.

Each measurement is a fresh Python process (``subprocess``) with
``NUMBA_CACHE_DIR`` pointing at a temporary directory of this module: the
first process compiles every kernel into it, the later ones load them.

    python -m pytest benchmarks/test_compile.py --benchmark-only -s
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from benchmarks.conftest import REPO_ROOT, machine_info, summary

CUT_IN = REPO_ROOT / "scenarios" / "highway_cut_in.yaml"
CLI_TARGET_S = 3.0

# a tiny simulation; prints the in-process times (import, first simulate) as JSON
TINY = f"""
import json, time
t0 = time.perf_counter()
import scenariogen
t1 = time.perf_counter()
spec = scenariogen.load_scenario({str(CUT_IN)!r})
scenariogen.simulate(spec, n=8, record="none")
t2 = time.perf_counter()
print(json.dumps({{"import_s": t1 - t0, "first_simulate_s": t2 - t1}}))
"""

_TIMES: dict = {}


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("numba-cache")


def _env(cache_dir):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir))
    env.pop("NUMBA_DISABLE_JIT", None)
    return env


def _run_tiny(cache_dir):
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", TINY], env=_env(cache_dir), capture_output=True, text=True,
                          timeout=300, cwd=REPO_ROOT)
    wall = time.perf_counter() - t0
    assert proc.returncode == 0, proc.stderr
    inner = json.loads(proc.stdout.strip().splitlines()[-1])
    return {"wall_s": wall, **inner}


def test_first_start_empty_cache(benchmark, cache_dir):
    assert not any(cache_dir.iterdir()), "the cache directory must start empty"
    res = benchmark.pedantic(_run_tiny, args=(cache_dir,), rounds=1, iterations=1)
    _TIMES["cold"] = res
    benchmark.extra_info.update(**res, **machine_info())
    summary(f"first start, empty numba cache: {res['wall_s']:.1f} s wall "
            f"(import {res['import_s']:.2f} s, first simulate incl. compilation {res['first_simulate_s']:.1f} s)")


def test_second_start_cached(benchmark, cache_dir):
    if "cold" not in _TIMES:
        _run_tiny(cache_dir)  # fill the cache if the cold test was deselected
    res = benchmark.pedantic(_run_tiny, args=(cache_dir,), rounds=3, iterations=1)
    runs = [_run_tiny(cache_dir) for _ in range(2)] + [res]
    best = min(runs, key=lambda r: r["wall_s"])
    _TIMES["warm"] = best
    benchmark.extra_info.update(**best, **machine_info())
    extra = ""
    if "cold" in _TIMES:
        extra = f"; compilation cost {_TIMES['cold']['wall_s'] - best['wall_s']:.1f} s"
    summary(f"second start, cached: {best['wall_s']:.2f} s wall (import {best['import_s']:.2f} s, "
            f"first simulate {best['first_simulate_s']:.2f} s){extra}")


def test_cli_simulate_warm_cache(benchmark, cache_dir, tmp_path):
    out = tmp_path / "tmp.npz"
    cmd = ["scenariogen", "simulate", str(CUT_IN), "-n", "100", "--out", str(out), "-q"]
    if not any(os.access(os.path.join(p, "scenariogen"), os.X_OK) for p in os.environ["PATH"].split(os.pathsep)):
        cmd = [sys.executable, "-m", "scenariogen.cli", *cmd[1:]]

    def run():
        proc = subprocess.run(cmd, env=_env(cache_dir), capture_output=True, text=True, timeout=300,
                              cwd=REPO_ROOT)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc

    run()  # warm the cache for anything the CLI compiles beyond simulate
    benchmark.pedantic(run, rounds=3, iterations=1)
    wall = float(benchmark.stats.stats.median)
    benchmark.extra_info.update(wall_s=wall, target_s=CLI_TARGET_S, **machine_info())
    summary(f"CLI `scenariogen simulate highway_cut_in.yaml -n 100 --out tmp.npz -q`, warm cache: "
            f"{wall:.2f} s wall (target < {CLI_TARGET_S:.0f} s)")
    assert out.is_file()
