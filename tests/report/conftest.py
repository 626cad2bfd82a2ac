"""A small run directory shared by the report tests: 240 plain-MC cut-ins in two shards, every
scenario kept (so the table mixes target events and ordinary runs). The target is hard braking,
which 240 cut-ins reach a few times (the near miss, about once in 600)."""

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
             GenerateSettings(sampler="mc", target="hard_braking", budget=240, shard_size=120, keep="all", seed=3),
             progress=False)
    return out
