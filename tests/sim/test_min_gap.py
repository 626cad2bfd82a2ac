"""The gap and TTC of each named actor to every other agent (``min_gap_any``, ``min_ttc_any``),
and the robustness of a collision event of a named actor other than the ego, which follows them."""

from __future__ import annotations

import numpy as np

import scenariogen
from scenariogen.data import layout as Lo
from scenariogen.data.layout import TTC_HORIZON
from scenariogen.kernels.geometry import box_distance, box_ttc

CUT_IN = """
scenariogen: 1
name: gap
dt: 0.1
duration: 6.0
road: {type: straight, lanes: 3, lane_width: 3.5, length: 400}
actors:
  ego:
    kind: car
    lane: 1
    s: 40
    speed: {uniform: [25, 33]}
    behavior: {idm: {desired_speed: 30}}
  cutter:
    kind: car
    lane: 2
    s: {relative_to: ego, offset: {uniform: [10, 60]}}
    speed: {uniform: [20, 32]}
    behavior: {idm: {desired_speed: 27}}
    maneuver:
      lane_change: {to: 1, start: {time: {uniform: [0.5, 3]}}, duration: {uniform: [1.0, 3.0]}}
traffic:
  - kind: car
    count: 6
    lanes: [0, 1, 2]
    s_range: [60, 300]
    spacing: {uniform: [10, 40]}
    speed: {uniform: [20, 30]}
events:
  collision: {}
  cutter_crash: {type: collision, actor: cutter}
target: cutter_crash
"""


def _brute_force(b, i: int) -> tuple[np.ndarray, np.ndarray]:
    """Min box distance and min box TTC of agent i to every other agent over the recorded frames."""
    tr, mk, sz = b.trajectories.astype(float), b.mask, b.sizes.astype(float)
    B, N, T, _ = tr.shape
    gap, ttc = np.full(B, np.inf), np.full(B, np.inf)
    for r in range(B):
        for j in range(N):
            if j == i:
                continue
            for t in range(T):
                if mk[r, i, t] and mk[r, j, t]:
                    (x1, y1, h1, v1), (x2, y2, h2, v2) = tr[r, i, t, :4], tr[r, j, t, :4]
                    box1, box2 = (sz[r, i, 0], sz[r, i, 1]), (sz[r, j, 0], sz[r, j, 1])
                    gap[r] = min(gap[r], box_distance(x1, y1, h1, *box1, x2, y2, h2, *box2))
                    ttc[r] = min(ttc[r], box_ttc(x1, y1, h1, *box1, v1 * np.cos(h1), v1 * np.sin(h1),
                                                 x2, y2, h2, *box2, v2 * np.cos(h2), v2 * np.sin(h2), TTC_HORIZON))
    return gap, ttc


#: the cutter rams slower traffic in its lane at constant speed: no lane changes, so every predicted
#: path is a straight line at constant velocity and the TTC is the straight-line box TTC of each frame
RAM = CUT_IN.replace("""    behavior: {idm: {desired_speed: 27}}
    maneuver:
      lane_change: {to: 1, start: {time: {uniform: [0.5, 3]}}, duration: {uniform: [1.0, 3.0]}}""",
                     """    behavior: constant_speed""").replace("lane: 2\n    s: {relative_to", "lane: 1\n    s: {relative_to")


def test_gap_and_ttc_are_the_smallest_to_any_agent_at_any_step():
    spec = scenariogen.parse_text(RAM)
    b = scenariogen.simulate(spec, n=30, seed=2, record="full")
    cutter = b.agent_names.index("cutter")
    gap, ttc = b.agent_metrics[:, cutter, Lo.A_MIN_GAP], b.agent_metrics[:, cutter, Lo.A_MIN_TTC_ANY]
    want_gap, want_ttc = _brute_force(b, cutter)
    # trajectories and sizes are stored as float32: positions to about 3e-5 m here
    assert np.allclose(gap, want_gap, rtol=0, atol=1e-4)
    assert np.array_equal(np.isfinite(ttc), np.isfinite(want_ttc))
    assert np.allclose(ttc[np.isfinite(ttc)], want_ttc[np.isfinite(ttc)], rtol=1e-3, atol=1e-3)
    assert (ttc == 0).any() and ((ttc > 0) & np.isfinite(ttc)).any()
    # tracked for named actors other than the ego only
    for m in (Lo.A_MIN_GAP, Lo.A_MIN_TTC_ANY):
        assert np.isnan(b.agent_metrics[:, 0, m]).all() and np.isnan(b.agent_metrics[:, 2:, m]).all()


def test_the_gap_is_the_smallest_to_any_agent_through_lane_changes():
    """With the cut-in's lane change the TTC follows the lane-change path (tests/sim/test_path_ttc.py),
    the gap is still the smallest box distance of any frame."""
    spec = scenariogen.parse_text(CUT_IN)
    b = scenariogen.simulate(spec, n=30, seed=2, record="full")
    cutter = b.agent_names.index("cutter")
    want_gap, _ttc = _brute_force(b, cutter)
    assert np.allclose(b.agent_metrics[:, cutter, Lo.A_MIN_GAP], want_gap, rtol=0, atol=1e-4)
    assert (b.agent_metrics[:, cutter, Lo.A_MIN_TTC_ANY] == 0).any()


def test_a_named_actors_collision_is_scored_by_its_own_closest_call():
    """Negative exactly when the cutter touched anything (the ego or traffic); else its own TTC,
    or the horizon plus its own gap when no TTC came within the horizon: not the ego's distance
    to the others, which says nothing about the cutter."""
    spec = scenariogen.parse_text(CUT_IN)
    b = scenariogen.simulate(spec, n=400, seed=3, record="none")
    cutter = b.agent_names.index("cutter")
    r = b.robustness["cutter_crash"]
    hit = np.isfinite(b.agent_metrics[:, cutter, Lo.A_COLL_TIME])
    assert np.array_equal(r < 0, hit) and np.array_equal(b.labels["cutter_crash"], hit)
    assert 0 < hit.sum() < len(hit)
    ttc, gap = b.agent_metrics[~hit, cutter, Lo.A_MIN_TTC_ANY], b.agent_metrics[~hit, cutter, Lo.A_MIN_GAP]
    assert np.array_equal(r[~hit], np.where(ttc < TTC_HORIZON, ttc, TTC_HORIZON + gap))
    assert (ttc < TTC_HORIZON).any() and (ttc >= TTC_HORIZON).any()
    assert not np.allclose(r[~hit], b.metrics["min_distance"][~hit])
