"""Small runs to export, shared by the export tests (simulated once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

import scenariogen
from scenariogen.runs import GenerateSettings, generate

ROOT = Path(__file__).resolve().parents[2]
BRAKE = ROOT / "scenarios" / "leader_hard_brake.yaml"


@pytest.fixture(scope="session")
def brake_spec():
    return scenariogen.load_scenario(BRAKE)


@pytest.fixture(scope="session")
def mc_run(tmp_path_factory, brake_spec) -> Path:
    """A complete plain Monte Carlo run keeping every scenario: 3 shards of 80."""
    out = tmp_path_factory.mktemp("runs") / "mc"
    st = GenerateSettings(sampler="mc", target="collision", seed=3, budget=240, shard_size=80, keep="all")
    generate(brake_spec, out, st, progress=False)
    return out


@pytest.fixture(scope="session")
def ce_run(tmp_path_factory, brake_spec) -> Path:
    """A cross-entropy run (non-trivial importance weights) keeping only its target events."""
    out = tmp_path_factory.mktemp("runs") / "ce"
    st = GenerateSettings(sampler="ce", target="near_miss", seed=5, budget=400, shard_size=100, stage_size=100)
    generate(brake_spec, out, st, progress=False)
    return out
