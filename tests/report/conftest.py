"""A small run directory shared by the report tests: 400 plain-MC cut-ins in two shards, every
scenario kept (so the table mixes target events and ordinary runs)."""

from __future__ import annotations

from pathlib import Path

import pytest

import scenariogen
from scenariogen.runs import GenerateSettings, generate

CUT_IN = Path(__file__).resolve().parents[2] / "scenarios" / "highway_cut_in.yaml"


@pytest.fixture(scope="session")
def small_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report_run") / "run"
    generate(scenariogen.load_scenario(CUT_IN), out,
             GenerateSettings(sampler="mc", target="near_miss", budget=400, shard_size=200, keep="all", seed=3),
             progress=False)
    return out
