"""Cost of the ego's perception: the highway cut-in with and without its sensor and AEB.

``scenarios/highway_cut_in.yaml`` gives the ego a sensor (range 80 m, 120 deg, Gilbert-Elliott
dropouts) and an AEB. The same file with the ego's ``sensor:`` and ``aeb:`` blocks removed is
measured next to it, in the same session, so the ratio shows what perception costs (exact
visibility of every agent each step, the dropout chain, detections and tracks, the
perceived leader and TTC). Rates are agent-steps per second, B x N_slots x T / wall time
(N_slots: the batch's agent dimension), as in ``test_simulate.py``; the number of agents
actually present is reported too. record='none', compile time excluded.

    python -m pytest benchmarks/test_sensor.py --benchmark-only -s
"""

from __future__ import annotations

import pytest

import scenariogen
from benchmarks.conftest import REPO_ROOT, machine_info, median_seconds, numba_threads, summary, two_core_speedup

CUT_IN = REPO_ROOT / "scenarios" / "highway_cut_in.yaml"
B = 1000
ROUNDS = 5
TARGET = 2.0e6  # agent-steps/s with the sensor on 2 threads

_RATES: dict = {}


def strip_ego_blocks(text: str, keys=("sensor", "aeb")) -> str:
    """The YAML text without the ego's ``sensor:`` / ``aeb:`` entries (a key line at the actor-key
    indentation and every more deeply indented line under it)."""
    out, skip_deeper_than = [], None
    for line in text.splitlines():
        indent = len(line) - len(line.lstrip(" "))
        if skip_deeper_than is not None:
            if line.strip() and indent > skip_deeper_than:
                continue
            skip_deeper_than = None
        if any(line.lstrip().startswith(k + ":") for k in keys) and indent == 4:
            skip_deeper_than = indent
            continue
        out.append(line)
    return "\n".join(out) + "\n"


@pytest.fixture(scope="module")
def specs():
    text = CUT_IN.read_text()
    with_sensor = scenariogen.parse_text(text)
    without = scenariogen.parse_text(strip_ego_blocks(text))
    assert with_sensor.ego.sensor is not None and with_sensor.ego.aeb is not None
    assert without.ego.sensor is None and without.ego.aeb is None
    out = {}
    for name, spec in (("sensor", with_sensor), ("no_sensor", without)):
        full = scenariogen.simulate(spec, n=B, record="full")  # warm-up (compiles) + present agents
        out[name] = (spec, full.kinds.shape[1], float(full.mask.sum()) / (B * spec.steps))
    return out


@pytest.mark.parametrize("threads", [1, 2], ids=["1thread", "2threads"])
@pytest.mark.parametrize("variant", ["sensor", "no_sensor"])
def test_cut_in_with_and_without_sensor(benchmark, specs, variant, threads):
    spec, n_slots, mean_present = specs[variant]
    with numba_threads(threads):
        batch = benchmark.pedantic(scenariogen.simulate, args=(spec,), kwargs=dict(n=B, record="none"),
                                   rounds=ROUNDS, iterations=1, warmup_rounds=1)
    sec = median_seconds(benchmark)
    T = spec.steps
    rate = B * n_slots * T / sec
    present_rate = B * mean_present * T / sec
    _RATES[(variant, threads)] = rate
    benchmark.extra_info.update(agent_steps_per_s=rate, present_agent_steps_per_s=present_rate,
                                scenarios_per_s=B / sec, B=B, N_slots=n_slots, mean_present_agents=mean_present,
                                steps=T, variant=variant, threads=threads, **machine_info())
    note = ""
    if threads > 1:
        benchmark.extra_info["two_core_speedup_now"] = sp = two_core_speedup()
        note = f" [idle-core check: 2 threads {sp:.2f}x]"
    summary(f"cut-in {variant:9s} B={B} threads={threads}: {rate:.3e} agent-steps/s (slots N={n_slots}, "
            f"T={T}), {present_rate:.3e} present agent-steps/s (mean {mean_present:.1f} agents present), "
            f"{B / sec:.0f} scenarios/s{note}")
    assert batch.size == B
    assert ("dropout_count" in batch.metrics) and (batch.metrics["dropout_count"].sum() > 0) == (variant == "sensor")


@pytest.fixture(scope="module", autouse=True)
def _ratio():
    """After the module: perception's cost as one line per thread count."""
    yield
    for threads in (1, 2):
        s, n = _RATES.get(("sensor", threads)), _RATES.get(("no_sensor", threads))
        if s is None or n is None:
            continue
        line = (f"sensor cost, threads={threads}: with sensor+AEB {s:.3e}, without {n:.3e} agent-steps/s, "
                f"ratio {s / n:.2f} (slowdown {n / s:.2f}x)")
        if threads == 2:
            line += f"; target >= {TARGET:.0e} with the sensor: {'met' if s >= TARGET else 'MISSED'}"
        summary(line)
