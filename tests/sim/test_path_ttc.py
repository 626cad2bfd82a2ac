"""TTC, near misses and the AEB along the paths the vehicles will follow (issue 21, Metrics):
behaviour of whole simulations against closed forms and the straight-line TTC of before."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contact_oracle import JUNCTION, H, first_contact, left_turner

import scenariogen
from scenariogen.data import layout as Lo
from scenariogen.events.conflicts import MOTIONS, conflict_codes
from scenariogen.kernels.geometry import box_ttc
from scenariogen.sim.compile import lane_relations

INF = math.inf
HEAD = "scenariogen: 1\nname: paths\ndt: 0.1\n"
RIGHT = "[S_in_0, S_in_0>E_out_0, E_out_0]"
LEFT = "[S_in_0, S_in_0>W_out_0, W_out_0]"
SENSOR = "sensor: {range: 80, fov_deg: 120}"

# a turning ego and one truck that is not on its path: waiting at the east arm's stop line (a
# right turn points at it half-way), or parked at the kerb of the road a left turn enters
PARKED = {
    "right turn, truck at the stop line across": (RIGHT, "lane: E_in_0, s: 74.5"),
    "left turn, truck parked at the kerb": (LEFT, "lane: W_out_0, s: 5, offset: -4"),
}


def parked_family(route: str, truck: str, sensor: str) -> str:
    return HEAD + f"""duration: 12.0
seed: 3
{JUNCTION}actors:
  ego:
    kind: car
    lane: S_in_0
    s: {{uniform: [20, 60]}}
    speed: {{uniform: [6, 10]}}
    behavior: {{idm: {{desired_speed: 9, time_headway: 1.5}}}}
    route: {route}
    {sensor}
    aeb: {{ttc: 1.2}}
  truck: {{kind: truck, {truck}, speed: 0, behavior: constant_speed}}
events:
  near_miss: {{ttc_below: 1.5}}
  collision: {{}}
"""


def straight_line_min_ttc(b, a: int) -> np.ndarray:
    """Per scenario, the smallest straight-line box TTC (the metric before paths) between the ego and
    agent ``a`` over the recorded frames."""
    tr, sz = b.trajectories.astype(float), b.sizes.astype(float)
    out = np.full(b.size, INF)
    for r in range(b.size):
        for t in range(tr.shape[2]):
            if b.mask[r, 0, t] and b.mask[r, a, t]:
                (x1, y1, h1, v1), (x2, y2, h2, v2) = tr[r, 0, t, :4], tr[r, a, t, :4]
                out[r] = min(out[r], box_ttc(x1, y1, h1, *sz[r, 0], v1 * math.cos(h1), v1 * math.sin(h1),
                                             x2, y2, h2, *sz[r, a], v2 * math.cos(h2), v2 * math.sin(h2), 10.0))
    return out


@pytest.mark.parametrize("case", list(PARKED))
@pytest.mark.parametrize("sensor", ["", SENSOR], ids=["truth", "sensor"])
def test_a_truck_parked_off_a_turning_egos_path_is_no_threat(case, sensor):
    """Issue 21: a near miss and an AEB activation in every draw, from the straight-line TTC of a
    turning ego. Along the paths there is neither, and the conflict type of the closest call names
    the truck standing, not oncoming."""
    route, truck = PARKED[case]
    spec = scenariogen.parse_text(parked_family(route, truck, sensor))
    b = scenariogen.simulate(spec, n=60, seed=1, record="full")
    t = b.agent_names.index("truck")
    assert (straight_line_min_ttc(b, t) < 1.5).mean() > 0.9  # what the metric said before
    assert not b.labels["near_miss"].any() and not b.labels["collision"].any()
    assert np.isinf(b.metrics["aeb_time"]).all()
    assert np.isinf(b.agent_metrics[:, t, Lo.A_MIN_TTC]).all()
    codes = conflict_codes(b.trajectories, b.mask, b.agent_metrics, b.metrics, b.frame_dt(spec.dt), 10.0,
                           lane_relations(spec))
    assert (codes[:, 0] == t).all()
    assert {MOTIONS[m] for m in codes[:, 2]} == {"standing"}


# ---------------------------------------------------------------------------------- on a collision course


def crossing_family(s_ego: float, v_ego: float, d_other: float, v_other: float, duration: float,
                    extra: str = "") -> str:
    """The ego turns left from ``s_ego`` m before the junction (constant speed); the oncoming car goes
    straight on from ``d_other`` m before it: neither looks, both keep their speed."""
    return HEAD + f"""duration: {duration}
{JUNCTION}actors:
  ego:
    kind: car
    lane: S_in_0
    s: {80 - s_ego}
    speed: {v_ego}
    behavior: constant_speed
    route: {LEFT}
    {extra}
  oncoming: {{kind: car, lane: N_in_0, s: {80 - d_other}, speed: {v_other}, behavior: constant_speed}}
events:
  near_miss: {{ttc_below: 1.5}}
"""


@settings(max_examples=15, deadline=None)
@given(s_ego=st.floats(1, 15), v_ego=st.floats(4, 9), d=st.floats(0, 25), w=st.floats(5, 14))
def test_a_car_through_the_junction_on_a_collision_course_has_the_ttc_of_the_true_geometry(s_ego, v_ego, d, w):
    """One step: the smallest TTC is the TTC now, along the ego's left turn and the oncoming car's
    straight path; it lies between the contacts of boxes grown and shrunk by 0.3 m on the exact
    geometry (arcs and lines), within 0.03 s."""
    spec = scenariogen.parse_text(crossing_family(s_ego, v_ego, d, w, duration=0.1))
    got = scenariogen.simulate(spec, n=1, record="none").metrics["min_ttc"][0]
    ego = left_turner(-s_ego, v_ego)
    other = (lambda t: (-1.75, H + d - w * t, -math.pi / 2))
    lo, hi = first_contact(ego, other, grow=0.3), first_contact(ego, other, grow=-0.3)
    if math.isinf(lo):
        assert math.isinf(got)
    else:
        assert got >= lo - 0.03 and (math.isinf(hi) or got <= hi + 0.03), (got, lo, hi)


def collision_course() -> tuple[float, float, float, float]:
    """An ego 10 m before the junction at 7 m/s and an oncoming car timed to meet it in the turn."""
    s_ego, v_ego, w = 10.0, 7.0, 10.0
    ego = left_turner(-s_ego, v_ego)
    for d in np.arange(0.0, 40.0, 0.5):
        if first_contact(ego, lambda t: (-1.75, H + d - w * t, -math.pi / 2), grow=-0.5) < 10.0:
            return s_ego, v_ego, float(d), w
    raise AssertionError("no collision course found")


@pytest.mark.parametrize("sensor", ["", SENSOR], ids=["truth", "sensor"])
def test_the_aeb_brakes_for_a_car_really_on_its_path(sensor):
    s_ego, v_ego, d, w = collision_course()
    blind = scenariogen.parse_text(crossing_family(s_ego, v_ego, d, w, duration=8.0))
    braking = scenariogen.parse_text(crossing_family(s_ego, v_ego, d, w, duration=8.0,
                                                     extra=sensor + "\n    aeb: {ttc: 1.5, max_decel: 9}"))
    b0 = scenariogen.simulate(blind, n=1, record="none")
    b1 = scenariogen.simulate(braking, n=1, record="none")
    assert math.isfinite(b0.metrics["ego_collision_time"][0]) and b0.labels["near_miss"][0]
    assert math.isfinite(b1.metrics["aeb_time"][0])
    assert b1.metrics["aeb_time"][0] < b0.metrics["ego_collision_time"][0]
    assert b1.metrics["ego_max_decel"][0] > 5.0


def test_the_closest_call_through_the_junction_is_crossing():
    s_ego, v_ego, d, w = collision_course()
    spec = scenariogen.parse_text(crossing_family(s_ego, v_ego, d, w, duration=6.0))
    b = scenariogen.simulate(spec, n=1, record="full")
    codes = conflict_codes(b.trajectories, b.mask, b.agent_metrics, b.metrics, b.frame_dt(spec.dt), 10.0,
                           lane_relations(spec))
    assert codes[0, 0] == 1 and MOTIONS[codes[0, 2]] in ("crossing", "oncoming") and codes[0, 3] == 1


# ---------------------------------------------------------------------------------- straight lines


@settings(max_examples=20, deadline=None)
@given(cars=st.lists(st.tuples(st.sampled_from(["0", "1", "r0"]), st.floats(0, 150), st.floats(0, 30),
                               st.floats(-1.0, 1.0)), min_size=1, max_size=3),
       ego_v=st.floats(5, 35), walker=st.booleans())
def test_on_straight_roads_the_ttc_is_the_straight_line_box_ttc_of_before(cars, ego_v, walker):
    """Constant speeds on the straight lanes of a two-way road (offsets held), and a pedestrian
    crossing in a straight line: every predicted path is a straight line, and the kernel's TTC to
    each agent is the straight-line box TTC of before, the smallest over the steps."""
    actors = "".join(f"  c{k}: {{kind: car, lane: {lane}, s: {s:.3f}, speed: {v:.3f}, offset: {off:.3f}, "
                     "behavior: constant_speed}\n" for k, (lane, s, v, off) in enumerate(cars))
    if walker:
        actors += ("  walker: {kind: pedestrian, position: {x: 90, y: -4}, behavior: constant_speed,\n"
                   "           maneuver: {cross: {path: [[0, 0], [0, 14]], speed: 1.5}}}\n")
    spec = scenariogen.parse_text(HEAD + f"""duration: 6.0
road: {{type: straight, lanes: 2, lanes_reverse: 1, lane_width: 3.5, length: 400}}
actors:
  ego: {{kind: car, lane: 0, s: 20, speed: {ego_v:.3f}, behavior: constant_speed}}
{actors}""")
    b = scenariogen.simulate(spec, n=1, record="full")
    for a in range(1, len(b.agent_names)):
        want = straight_line_min_ttc(b, a)[0]
        got = b.agent_metrics[0, a, Lo.A_MIN_TTC]
        # trajectories are stored as float32
        assert (math.isinf(got) and math.isinf(want)) or got == pytest.approx(want, rel=1e-3, abs=1e-3), (a, got, want)


# ---------------------------------------------------------------------------------- with:

PARTY = HEAD + """duration: 8.0
seed: 5
road: {type: straight, lanes: 2, lane_width: 3.5, length: 400}
actors:
  ego: {kind: car, lane: 0, s: 20, speed: {uniform: [10, 16]}, behavior: constant_speed}
  lead: {kind: car, lane: 0, s: {uniform: [50, 120]}, speed: {uniform: [2, 8]}, behavior: constant_speed}
  walker:
    kind: pedestrian
    position: {x: {uniform: [60, 110]}, y: -4}
    behavior: constant_speed
    maneuver: {cross: {path: [[0, 0], [0, 12]], speed: 1.5, start: {uniform: [0, 4]}}}
traffic: {kind: truck, count: 1, lanes: [0], s_range: [30, 200], speed: {uniform: [5, 25]}, behavior: constant_speed}
events:
  any: {type: near_miss, ttc_below: 2.0}
  walker_kind: {type: near_miss, ttc_below: 2.0, with: pedestrian}
  lead_only: {type: near_miss, ttc_below: 2.0, distance_below: 1.0, with: [lead]}
  trucks: {type: near_miss, ttc_below: 2.0, with: [traffic0]}
  buses: {type: near_miss, ttc_below: 2.0, with: bus}
"""


def test_with_limits_a_near_miss_to_its_party():
    spec = scenariogen.parse_text(PARTY)
    b = scenariogen.simulate(spec, n=200, seed=2, record="none")
    ttc, dist = b.agent_metrics[:, :, Lo.A_MIN_TTC], b.agent_metrics[:, :, Lo.A_MIN_DIST]
    lead, walker = b.agent_names.index("lead"), b.agent_names.index("walker")
    truck = b.agent_names.index("traffic0.0")
    r = b.robustness
    np.testing.assert_array_equal(r["walker_kind"], np.minimum(ttc[:, walker], 10.0) - 2.0)
    np.testing.assert_array_equal(r["lead_only"], np.minimum(np.minimum(ttc[:, lead], 10.0) - 2.0,
                                                             np.minimum(dist[:, lead], 1e6) - 1.0))
    valid = np.isfinite(dist[:, truck])  # a truck was placed
    np.testing.assert_array_equal(r["trucks"][valid], np.minimum(ttc[valid, truck], 10.0) - 2.0)
    assert (r["buses"] == 8.0).all() and not b.labels["buses"].any()
    np.testing.assert_array_equal(r["any"], np.minimum(b.metrics["min_ttc"], 10.0) - 2.0)
    # each party's events happen, and they are not the same draws
    for name in ("walker_kind", "lead_only", "trucks"):
        assert 0 < b.labels[name].sum() < b.labels["any"].sum()
    assert (b.labels["any"] == (b.labels["walker_kind"] | (r["trucks"] < 0) | (
        np.minimum(ttc[:, lead], 10.0) < 2.0))).all()
