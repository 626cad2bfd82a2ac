"""The memory check before simulate and generate counts every array they allocate: recorded frames,
each kernel call's inputs, and each kernel thread's (agents x steps) work arrays, metrics-only too."""

from __future__ import annotations

from pathlib import Path

import pytest

import scenariogen
from scenariogen.errors import ParameterError
from scenariogen.sim import engine

ROOT = Path(__file__).resolve().parents[2]
CUT_IN = ROOT / "scenarios" / "highway_cut_in.yaml"


@pytest.fixture(scope="module")
def spec():
    return scenariogen.load_scenario(CUT_IN)


def test_work_arrays_are_counted_without_recording(spec):
    """A metrics-only run records nothing but each thread still holds every agent's history."""
    est = engine.memory_estimate(spec, 8, None, threads=2)
    n, T = engine.agent_slots(spec), spec.steps
    assert est.kept == 0 and est.scratch >= 5 * 8 * n * T and est.total >= 2 * est.scratch
    full = engine.memory_estimate(spec, 8, 1, threads=2)
    assert full.kept == 2 * 8 * engine.record_bytes(spec, 1) and full.total > est.total


def test_work_arrays_grow_with_the_steps(spec):
    long = scenariogen.parse_text(spec.source_text.replace("duration: 8.0", "duration: 80.0"))
    assert long.steps == 10 * spec.steps
    a, b = engine.memory_estimate(spec, 8, None), engine.memory_estimate(long, 8, None)
    more_steps = long.steps - spec.steps
    assert b.scratch - a.scratch == (5 * 8 * engine.agent_slots(spec) + 10) * more_steps


def test_simulate_refuses_beyond_the_budget_before_any_work(spec, monkeypatch, tmp_path):
    monkeypatch.setattr(engine, "memory_budget", lambda: engine.memory_estimate(spec, 8, None).total - 1)
    with pytest.raises(ParameterError, match="more than the memory budget"):
        scenariogen.simulate(spec, 8, record="none", out=tmp_path / "x.npz")
    assert not (tmp_path / "x.npz").exists()
    scenariogen.simulate(spec, 2, record="none")  # fewer scenarios fit


def test_generate_refuses_beyond_the_budget_and_writes_nothing(spec, monkeypatch, tmp_path):
    monkeypatch.setattr(engine, "memory_budget", lambda: 1000)
    with pytest.raises(ParameterError, match="shard_size: .* more than the memory budget"):
        scenariogen.generate(spec, tmp_path / "run", sampler="mc", budget=100, shard_size=50)
    assert not (tmp_path / "run").exists()
