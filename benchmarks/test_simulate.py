"""Throughput of the full simulation, ``scenariogen.simulate``, end to end.

Rates are agent-steps per second: B x N_slots x T / wall time, where N_slots
is the batch's agent dimension (the kernel's work is laid out over all slots)
and T the number of steps; ``valid_agent_steps_per_s`` counts only the agents
actually present (traffic counts vary by scenario). Compile time is excluded
(warm-up call first); the wall time includes everything ``simulate`` does
(theta sampling, compiling the spec to arrays, the kernel, labels).

    python -m pytest benchmarks/test_simulate.py --benchmark-only -s
"""

from __future__ import annotations

import pytest

import scenariogen
from benchmarks.conftest import REPO_ROOT, machine_info, median_seconds, numba_threads, summary, two_core_speedup

CUT_IN = REPO_ROOT / "scenarios" / "highway_cut_in.yaml"
B_MAIN = 1000
ROUNDS = 5
N_CURVE = (10, 20, 50, 100, 200)
B_CURVE = 400  # scenarios per point of the N curve
B_SCALING = (1000, 2000, 4000)
CURVE_THREADS = 2

_CURVE: dict = {}
_BCURVE: dict = {}


def straight_traffic_yaml(n_agents: int) -> str:
    """A straight 4-lane road with the ego and ``n_agents - 1`` IDM/MOBIL cars (fixed count)."""
    return f"""
scenariogen: 1
name: straight_traffic_{n_agents}
dt: 0.1
duration: 8.0
seed: 3
road: {{type: straight, lanes: 4, lane_width: 3.7, length: 3000}}
actors:
  ego:
    kind: car
    lane: 1
    s: 50
    speed: {{uniform: [20, 28]}}
    behavior: {{idm: {{desired_speed: 30}}}}
traffic:
  - kind: car
    count: {n_agents - 1}
    lanes: [0, 1, 2, 3]
    s_range: [80, 2900]
    spacing: {{uniform: [15, 35]}}
    speed: {{uniform: [18, 28]}}
    behavior: {{idm: {{desired_speed: {{uniform: [24, 34]}}}}, lane_change: {{mobil: {{politeness: 0.3}}}}}}
"""


@pytest.fixture(scope="module")
def cut_in():
    spec = scenariogen.load_scenario(CUT_IN)
    full = scenariogen.simulate(spec, n=B_MAIN, record="full")  # warm-up (compiles) + valid agent count
    return spec, int(full.mask.sum()), full.kinds.shape[1]


@pytest.mark.parametrize("threads", [1, 2], ids=["1thread", "2threads"])
@pytest.mark.parametrize("record", ["none", "full"])
def test_simulate_cut_in(benchmark, cut_in, record, threads):
    spec, valid_steps, n_slots = cut_in
    with numba_threads(threads):
        batch = benchmark.pedantic(scenariogen.simulate, args=(spec,), kwargs=dict(n=B_MAIN, record=record),
                                   rounds=ROUNDS, iterations=1, warmup_rounds=1)
    sec = median_seconds(benchmark)
    T = spec.steps
    rate = B_MAIN * n_slots * T / sec
    valid_rate = valid_steps / sec
    benchmark.extra_info.update(
        agent_steps_per_s=rate, valid_agent_steps_per_s=valid_rate, scenarios_per_s=B_MAIN / sec,
        B=B_MAIN, N_slots=n_slots, mean_valid_agents=valid_steps / (B_MAIN * T), steps=T,
        record=record, threads=threads, **machine_info(),
    )
    note = ""
    if threads > 1:
        benchmark.extra_info["two_core_speedup_now"] = sp = two_core_speedup()
        note = f" [idle-core check: 2 threads {sp:.2f}x]"
    summary(f"simulate highway_cut_in n={B_MAIN} record={record} threads={threads}: {rate:.3e} agent-steps/s "
            f"(slots N={n_slots}), {valid_rate:.3e} valid agent-steps/s, {B_MAIN / sec:.0f} scenarios/s{note}")
    assert batch.size == B_MAIN


@pytest.mark.parametrize("n_agents", N_CURVE)
def test_scaling_in_n(benchmark, n_agents):
    """Time per agent-step for a straight road with n_agents cars: roughly flat means linear in N."""
    spec = scenariogen.parse_text(straight_traffic_yaml(n_agents))
    with numba_threads(CURVE_THREADS):
        scenariogen.simulate(spec, n=8, record="none")  # compile for this shape (cached after the first N)
        benchmark.pedantic(scenariogen.simulate, args=(spec,), kwargs=dict(n=B_CURVE, record="none"),
                           rounds=3, iterations=1)
    sec = median_seconds(benchmark)
    agent_steps = B_CURVE * n_agents * spec.steps
    ns = sec / agent_steps * 1e9
    _CURVE[n_agents] = ns
    benchmark.extra_info.update(ns_per_agent_step=ns, agent_steps_per_s=agent_steps / sec, N=n_agents,
                                B=B_CURVE, steps=spec.steps, threads=CURVE_THREADS, **machine_info())
    summary(f"N scaling: N={n_agents:3d}: {ns:7.1f} ns per agent-step ({agent_steps / sec:.3e} agent-steps/s)")


@pytest.mark.parametrize("n_scen", B_SCALING)
def test_scaling_in_b(benchmark, cut_in, n_scen):
    """Wall time against the number of scenarios: time per scenario should stay flat (linear cost)."""
    spec, _valid, n_slots = cut_in
    with numba_threads(CURVE_THREADS):
        benchmark.pedantic(scenariogen.simulate, args=(spec,), kwargs=dict(n=n_scen, record="none"),
                           rounds=3, iterations=1)
    sec = median_seconds(benchmark)
    us = sec / n_scen * 1e6
    _BCURVE[n_scen] = us
    benchmark.extra_info.update(us_per_scenario=us, agent_steps_per_s=n_scen * n_slots * spec.steps / sec,
                                B=n_scen, threads=CURVE_THREADS, **machine_info())
    summary(f"B scaling: B={n_scen:5d}: {sec:.3f} s, {us:.1f} us per scenario")


@pytest.fixture(scope="module", autouse=True)
def _curves():
    """After the module: the N and B curves on one line each."""
    yield
    if _CURVE:
        base = _CURVE[min(_CURVE)]
        summary("N curve [ns per agent-step, ratio to smallest N]: "
                + ", ".join(f"N={n}: {v:.0f} ({v / base:.2f})" for n, v in sorted(_CURVE.items())))
    if _BCURVE:
        base = _BCURVE[min(_BCURVE)]
        summary("B curve [us per scenario, ratio to smallest B]: "
                + ", ".join(f"B={b}: {v:.0f} ({v / base:.2f})" for b, v in sorted(_BCURVE.items())))
