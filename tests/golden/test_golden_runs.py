"""Behaviour unchanged: every example scenario's golden runs give the recorded bytes.

The values in ``golden_runs.json`` were recorded before the redesign of issue 20 (``python -m
tests.golden.runs``). A change that alters what the simulator or a sampler produces must record them
again on purpose, in the same commit, and say why in its message.
"""

import json
from pathlib import Path

import pytest

from .runs import EXTRA, ROOT, SAMPLERS, SCENARIOS, run_one, simulate_one

GOLDEN = json.loads((Path(__file__).parent / "golden_runs.json").read_text())


@pytest.mark.parametrize("sampler", SAMPLERS)
@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_generate_is_byte_identical(path, sampler, tmp_path):
    assert run_one(path, sampler, tmp_path / "run") == GOLDEN[f"{path.stem}/{sampler}"]


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_simulate_is_byte_identical(path, tmp_path):
    assert simulate_one(path, tmp_path / "out.npz") == GOLDEN[f"{path.stem}/simulate"]


@pytest.mark.parametrize("name,sampler,options,budget", EXTRA, ids=[e[0] for e in EXTRA])
def test_other_samplers_are_byte_identical(name, sampler, options, budget, tmp_path):
    got = run_one(ROOT / "scenarios" / "highway_cut_in.yaml", sampler, tmp_path / "run", options, budget)
    assert got == GOLDEN[f"highway_cut_in/{name}"]
