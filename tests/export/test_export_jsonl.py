"""jsonl: the lossless export reads back bit for bit."""

from __future__ import annotations

import json

import numpy as np
import pytest
from export_helpers import same_bits, sim_arrays

import scenariogen
from scenariogen.export import export
from scenariogen.export.jsonl import read_jsonl
from scenariogen.data.run import open_run, read_manifest


def assert_batches_identical(got, ref):
    for name in ("trajectories", "mask", "kinds", "sizes", "agent_metrics", "theta", "indices"):
        assert same_bits(getattr(got, name), getattr(ref, name)), name
    for name in ("metrics", "labels", "robustness", "perception"):
        a, b = getattr(got, name), getattr(ref, name)
        assert list(a) == list(b), name
        for k in a:
            assert same_bits(a[k], b[k]), f"{name}/{k}"
    assert got.agent_names == ref.agent_names and got.parameter_names == ref.parameter_names
    assert got.provenance == ref.provenance


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz"])
def test_run_round_trip_is_bit_identical(mc_run, tmp_path, suffix):
    out = tmp_path / f"mc{suffix}"
    report = export(mc_run, "jsonl", out)
    ref = open_run(mc_run).batch()
    assert report.scenarios == ref.size == 240 and report.dropped == [] and out.exists()
    batch, log_weight = read_jsonl(out)
    assert_batches_identical(batch, ref)
    assert same_bits(log_weight, sim_arrays(mc_run)["log_weight"])


def test_importance_weights_round_trip(ce_run, tmp_path):
    out = tmp_path / "ce.jsonl"
    export(ce_run, "jsonl", out)
    batch, log_weight = read_jsonl(out)
    sim = sim_arrays(ce_run)
    expected = sim["log_weight"][np.searchsorted(sim["index"], batch.indices)]
    assert np.any(expected != 0.0), "a cross-entropy run should have non-trivial weights"
    assert same_bits(log_weight, expected)
    assert_batches_identical(batch, open_run(ce_run).batch())
    assert batch.labels["near_miss"].all()  # the run kept its target events only


def test_header_and_lines_follow_the_schema(mc_run, tmp_path):
    out = tmp_path / "mc.jsonl"
    export(mc_run, "jsonl", out, limit=3)
    lines = out.read_text().splitlines()
    assert len(lines) == 4
    header, first = json.loads(lines[0]), json.loads(lines[1])
    m = read_manifest(mc_run)
    assert header["record"] == "header" and header["schema"] == "scenariogen-jsonl"
    assert header["spec_text"] == m.spec_text and header["target"] == "collision"
    assert header["run"]["content_hash"] == m.content_hash and header["weights"] is True
    assert first["record"] == "scenario" and first["index"] == 0 and first["stage"] == 0
    assert set(first["metrics"]) == set(header["metric_names"])
    assert first["trajectories"]["shape"] == [len(header["agent_names"]), 100, 8]
    assert first["trajectories"]["dtype"] == "<f4"
    assert "Infinity" not in out.read_text() and "NaN" not in out.read_text()  # strict JSON


def test_only_events_and_limit(mc_run, tmp_path):
    out = tmp_path / "events.jsonl"
    report = export(mc_run, "jsonl", out, only_events=True)
    batch, _ = read_jsonl(out)
    events = int(sim_arrays(mc_run)["event"].sum())
    assert events > 0 and batch.size == report.scenarios == events
    assert batch.labels["collision"].all() and report.skipped == 240 - events
    report = export(mc_run, "jsonl", tmp_path / "few.jsonl", limit=100)
    batch, _ = read_jsonl(tmp_path / "few.jsonl")
    np.testing.assert_array_equal(batch.indices, np.arange(100))  # crosses a shard boundary (80)


def test_batch_with_perception_round_trips(tmp_path):
    spec = scenariogen.load_scenario(scenariogen.__path__[0] + "/../scenarios/pedestrian_behind_van.yaml")
    ref = scenariogen.simulate(spec, n=6, seed=2)
    assert ref.perception, "this family has an ego sensor"
    out = tmp_path / "b.jsonl"
    report = export(ref, "jsonl", out)
    got, log_weight = read_jsonl(out)
    assert log_weight is None and report.notes
    assert_batches_identical(got, ref)


def test_empty_export_reads_back_empty(mc_run, tmp_path, brake_spec):
    ref = scenariogen.simulate(brake_spec, n=3, seed=1, record="none")
    out = tmp_path / "none.jsonl"
    export(ref.select(np.zeros(3, bool)), "jsonl", out)
    got, _ = read_jsonl(out)
    assert got.size == 0
