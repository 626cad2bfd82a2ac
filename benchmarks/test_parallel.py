"""Backends of ``generate``: throughput with 1 and 2 workers, local (threads, processes) and Ray, start-up
costs, and Ray's overhead per shard (which sets the default shard size).

    python -m pytest benchmarks/test_parallel.py --benchmark-only -s

Figures (``extra_info``; one summary line each):

- scenarios/s of ``generate`` (mc, keep events, ``BUDGET`` simulations in shards of ``SHARD``) for
  local threads, local processes and Ray with 1 and 2 workers; the wall time of a run includes its
  session start (spawning processes), Ray's own start (``ray.init``) is measured apart, once;
- Ray's overhead per shard: the median extra wall time of a one-scenario shard task sent through Ray
  over the same task run in the driver, and the smallest shard size that keeps that overhead under
  5 % of a shard's time on one worker.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from benchmarks.conftest import machine_info, summary, two_core_speedup
from scenariogen.parallel import LocalBackend, RayBackend, ShardTask
from scenariogen.runs.generate import GenerateSettings, generate

BUDGET = 8000
SHARD = 1000
OVERHEAD_TARGET = 0.05




def _wall(spec, out: Path, backend, shard: int = SHARD, budget: int = BUDGET) -> float:
    st = GenerateSettings(sampler="mc", target="near_miss", seed=11, budget=budget, shard_size=shard)
    t0 = time.perf_counter()
    m = generate(spec, out, st, progress=False, backend=backend)
    wall = time.perf_counter() - t0
    assert m.totals.simulations == budget
    return wall


def _task_overhead(spec, session, rounds: int = 40) -> tuple[float, float]:
    """Median wall time (s) of a one-scenario shard task sent through ``session`` (an upper bound on the
    overhead per task) and its excess over the same task run in this process on one numba thread, as Ray
    workers run it: scheduling, (de)serialisation and the trip through the object store."""
    import numba
    import numpy as np

    theta = spec.parameters.from_unit(np.full((1, spec.parameters.dim), 0.5))
    task = ShardTask(k=0, stage=0, offset=0, first_index=0, theta=theta, log_weight=np.zeros(1), seed=1,
                     target="near_miss", keep="all", record_every=1)
    inline, remote = [], []
    before = numba.get_num_threads()
    for _ in range(rounds):
        numba.set_num_threads(1)
        t0 = time.perf_counter()
        task.run(spec)
        inline.append(time.perf_counter() - t0)
        numba.set_num_threads(before)
        t0 = time.perf_counter()
        session.submit(task)
        session.next_result()
        remote.append(time.perf_counter() - t0)
    return float(np.median(remote)), float(np.median(remote) - np.median(inline))


def test_backend_throughput_and_ray_overhead(benchmark, cut_in_spec, run_dirs):
    ray = pytest.importorskip("ray")
    spec = cut_in_spec
    idle_before = two_core_speedup()
    res: dict = {}

    def measure():
        for mode in ("threads", "processes"):
            for w in (1, 2):
                res[f"local-{mode}-{w}"] = _wall(spec, run_dirs(), LocalBackend(workers=w, mode=mode))
        t0 = time.perf_counter()
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
        res["ray_init_s"] = time.perf_counter() - t0
        try:
            _wall(spec, run_dirs(), RayBackend(workers=2), budget=2 * SHARD)  # warm the worker processes
            for w in (1, 2):
                res[f"ray-{w}"] = _wall(spec, run_dirs(), RayBackend(workers=w))
            with RayBackend(workers=1).session(spec) as session:
                res["ray_roundtrip_1_scenario_s"], res["ray_overhead_per_shard_s"] = _task_overhead(spec, session)
        finally:
            ray.shutdown()
        return res

    benchmark.pedantic(measure, rounds=1, iterations=1)
    idle_after = two_core_speedup()
    rates = {k: BUDGET / v for k, v in res.items() if k.startswith(("local-", "ray-")) and k[-1].isdigit()}
    per_shard = max(res["ray_overhead_per_shard_s"], 0.0)
    bound = res["ray_roundtrip_1_scenario_s"]  # includes simulating one scenario: an upper bound
    per_scenario = res["ray-1"] / BUDGET  # s per scenario on one worker
    # overhead share of a shard of s scenarios: o / (o + s c) < 5 %  <=>  s > o (1 - 0.05) / (0.05 c)
    min_shard = max(1, int(bound * (1 - OVERHEAD_TARGET) / (OVERHEAD_TARGET * per_scenario)) + 1)
    share_at_default = bound / (bound + SHARD * per_scenario)
    benchmark.extra_info.update(
        wall_s=res, scenarios_per_s=rates, ray_overhead_per_shard_s=per_shard, ray_overhead_bound_s=bound, seconds_per_scenario_ray1=per_scenario,
        min_shard_for_5pct=min_shard, ray_overhead_share_at_default_shard=share_at_default, budget=BUDGET,
        shard=SHARD, idle_core_before=idle_before, idle_core_after=idle_after, **machine_info())
    for k, v in rates.items():
        print(f"  {k}: {v:.0f} scenarios/s ({res[k]:.2f} s)")
    speed = lambda name: rates[f"{name}-2"] / rates[f"{name}-1"]
    summary(f"backends, highway_cut_in mc {BUDGET} sims in shards of {SHARD}, scenarios/s 1 -> 2 workers: "
            f"local threads {rates['local-threads-1']:.0f} -> {rates['local-threads-2']:.0f} "
            f"({speed('local-threads'):.2f}x), local processes {rates['local-processes-1']:.0f} -> "
            f"{rates['local-processes-2']:.0f} ({speed('local-processes'):.2f}x), ray {rates['ray-1']:.0f} -> "
            f"{rates['ray-2']:.0f} ({speed('ray'):.2f}x); ray.init {res['ray_init_s']:.1f} s; ray overhead per shard "
            f"{per_shard * 1e3:.1f} ms (bound: one-scenario round trip {bound * 1e3:.1f} ms = {share_at_default:.1%} "
            f"of a {SHARD}-scenario shard; shards >= {min_shard} keep it < 5 %) [idle-core check: {idle_before:.2f}x / {idle_after:.2f}x]")
