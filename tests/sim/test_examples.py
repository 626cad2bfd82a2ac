"""Every example family in ``scenarios/`` simulates cleanly and produces its target event."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import scenariogen
from scenariogen.data import layout as Lo

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPO_ROOT / "scenarios").glob("*.yaml"))
N = 200
# a family tuned to a rare target (e.g. the cut-in's near miss, ~5e-4) may need more draws: keep
# drawing further scenario indices, metrics only, up to this many in all
MAX_DRAWS = 20_000


def test_examples_exist():
    assert len(EXAMPLES) >= 6


@pytest.fixture(scope="module", params=EXAMPLES, ids=lambda p: p.stem)
def example(request):
    spec = scenariogen.load_scenario(request.param)
    return spec, scenariogen.simulate(spec, n=N, record="none")


def test_metrics_are_finite_or_inf(example):
    spec, b = example
    assert b.size == N
    for name, m in b.metrics.items():
        assert m.shape == (N,)
        assert not np.isnan(m).any(), f"{spec.name}: NaN in metric {name}"
        assert not np.isneginf(m).any(), f"{spec.name}: -inf in metric {name}"
    # occluded_at_entry is nan by definition for agents that never entered the ego's lane corridor;
    # the gap and TTC to any agent are tracked for named actors other than the ego, nan elsewhere
    any_agent = [Lo.A_MIN_GAP, Lo.A_MIN_TTC_ANY]
    others = np.delete(b.agent_metrics, [Lo.A_OCC_AT_ENTRY, *any_agent], axis=2)
    assert not np.isnan(others).any()
    named = len(spec.actors)
    assert not np.isnan(b.agent_metrics[:, 1:named][..., any_agent]).any()
    assert np.isnan(b.agent_metrics[:, 0][..., any_agent]).all()
    assert np.isnan(b.agent_metrics[:, named:][..., any_agent]).all()
    for name, r in b.robustness.items():
        assert not np.isnan(r).any(), f"{spec.name}: NaN robustness for {name}"
        np.testing.assert_array_equal(b.labels[name], r < 0)
    assert not np.isnan(b.theta).any()
    # physical sanity of the metrics that have a sign or range
    m = b.metrics
    assert np.all(m["min_ttc"] >= 0) and np.all(m["min_distance"] >= 0) and np.all(m["tet"] >= 0)
    assert np.all(m["tet"] <= spec.duration + 1e-9)
    assert np.all(m["max_drac"] >= 0) and np.all(m["min_thw"] >= 0)
    assert np.all(m["ego_max_decel"] <= max(Lo.KIND_MAX_BRAKE) + 1e-9)
    hit = np.isfinite(m["collision_time"])
    assert np.all(m["collision_time"][hit] < spec.duration)
    assert np.all((m["collision_a"][hit] >= 0) & (m["collision_a"][hit] < m["collision_b"][hit]))
    assert np.all(m["collision_a"][~hit] == -1)
    assert np.all(m["ego_collision_time"] >= m["collision_time"])


def test_labels_cover_the_scorable_events(example):
    spec, b = example
    want = {e.name for e in spec.events}
    assert set(b.labels) == want


# families whose target is rarer than MAX_DRAWS can show (the left turn's near miss: 8 in its first
# 100 000 scenarios, docs/realism.md): the scenario indices where plain MC found it. They must still
# produce it; a change of behaviour that moves them is found here and the indices are looked up again
# (simulate the first 100 000 and take the flagged rows).
KNOWN_HITS = {"unprotected_left_turn": (29862, 56812, 63131, 65926)}


def test_target_event_occurs(example):
    spec, b = example
    if spec.target is None:
        pytest.skip(f"{spec.name} names no target event")
    if spec.name in KNOWN_HITS:
        for k in KNOWN_HITS[spec.name]:
            hit = scenariogen.simulate(spec, n=1, record="none", start_index=k).labels[spec.target]
            assert hit[0], f"{spec.name}: scenario {k} no longer has its target {spec.target!r}"
        return
    hits = int(b.labels[spec.target].sum())
    drawn = b.size
    while hits == 0 and drawn < MAX_DRAWS:
        more = min(10 * drawn, MAX_DRAWS) - drawn
        hits += int(scenariogen.simulate(spec, n=more, record="none", start_index=drawn).labels[spec.target].sum())
        drawn += more
    assert hits > 0, f"{spec.name}: target {spec.target!r} never happened in {drawn} scenarios"


def test_full_record_consistent_with_metrics_only(example):
    spec, b = example
    full = scenariogen.simulate(spec, n=5, record="full")
    B, Nag = 5, len(full.agent_names)
    T = spec.steps
    assert full.trajectories.shape == (B, Nag, T, Lo.N_FEATURES)
    assert full.mask.shape == (B, Nag, T)
    assert full.kinds.shape == (B, Nag) and full.sizes.shape == (B, Nag, 2)
    assert full.agent_metrics.shape == (B, Nag, Lo.N_AGENT_METRICS) == b.agent_metrics[:5].shape
    assert full.agent_names == b.agent_names
    assert full.agent_names[0] == "ego" and np.all(full.mask[:, 0])
    assert np.all(full.mask == full.mask[:, :, :1])
    assert np.all(np.isfinite(full.trajectories[full.mask]))
    # recording changes nothing else: the first rows of the metrics-only run are the same scenarios
    for k in full.metrics:
        np.testing.assert_array_equal(full.metrics[k], b.metrics[k][:5], err_msg=k)
    np.testing.assert_array_equal(full.agent_metrics, b.agent_metrics[:5])
    np.testing.assert_array_equal(full.theta, b.theta[:5])
    # present agents keep speeds >= 0; kinds and sizes match the spec's named actors
    assert np.all(full.trajectories[..., Lo.F_SPEED][full.mask] >= 0)
    for a in spec.actors:
        j = full.agent_names.index(a.name)
        assert np.all(full.kinds[:, j] == Lo.KIND_CODES[a.kind]), a.name
        assert np.all(full.sizes[:, j] == np.float32([a.length, a.width])), a.name
