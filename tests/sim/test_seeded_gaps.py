"""Seeded drivers on real US-101 scenes: with ``seed_from.keep_gaps`` each simulated logged vehicle
starts at its IDM equilibrium gap behind the vehicle it follows, so drivers logged at short steady
gaps do not brake at once (closed form, then simulated); the logged traffic leaves the scene at the
map's end."""

from __future__ import annotations

import numpy as np
import pytest

from scenariogen import api
from scenariogen.data import layout as Lo
from scenariogen.kernels.behavior import idm_accel
from scenariogen.sampling.prior import sample_theta
from scenariogen.sim import seed as seeding
from scenariogen.sim.compile import compile_batch, compiled_road
from seeded_family import seeded_yaml

N = 12


def followers(path):
    """For every simulated agent of N scenarios: its compiled params, logged speed and gap at t = 0."""
    spec = api.load_scenario(path)
    idx = np.arange(N)
    theta = sample_theta(spec.parameters, idx, 3)  # the same rows for the same scenes and moments
    ki = compile_batch(spec, theta, idx, 3)
    names = {n: i for i, n in enumerate(spec.parameters.names)}
    rows = seeding.seed_rows(spec, theta, names, ki.n_agents)
    rp = compiled_road(spec)
    road = rp.arrays
    gap = np.full(rows.agent.shape, np.inf)
    also = seeding.other_lanes(road, ki.state.lane, ki.state.offset, ki.arrays["lc_to"])
    for b in range(N):
        changes = tuple((int(rows.agent[b, c]), int(also[b, c])) for c in np.flatnonzero(also[b] >= 0))
        g = seeding._leader_gaps(spec.seed_from.scenes[rows.scene[b]], rows.frame[b], rp, changes)
        cols = np.flatnonzero(rows.agent[b] >= 0)
        gap[b, cols] = g[rows.agent[b, cols]]
    return spec, ki.arrays["params"], ki.state.speed, gap


def steady_accel(p, v, g) -> float:
    """IDM's acceleration (m/s^2) behind a leader at the same speed."""
    return idm_accel.py_func(v, p[Lo.P_V0], p[Lo.P_T], p[Lo.P_S0], p[Lo.P_AMAX], p[Lo.P_BCOMF], p[Lo.P_DELTA], g, v)


@pytest.fixture(scope="module")
def kept(tmp_path_factory):
    return followers(seeded_yaml(tmp_path_factory.mktemp("kept")))


def test_each_follower_starts_at_its_equilibrium_gap(kept):
    spec, params, v, gap = kept
    kg = spec.seed_from.keep_gaps
    n = 0
    for b, i in zip(*np.nonzero(np.isfinite(gap))):
        if i == 0:
            continue  # the ego's time headway is written in the family: it stays
        p = params[b, i]
        assert kg.min_gap[0] <= p[Lo.P_S0] <= kg.min_gap[1] and kg.time_headway[0] <= p[Lo.P_T] <= kg.time_headway[1]
        inside = kg.time_headway[0] < p[Lo.P_T] < kg.time_headway[1]
        if inside and v[b, i] > 1.0:  # the equilibrium was within reach: no acceleration at all
            assert abs(steady_accel(p, v[b, i], gap[b, i])) < 1e-9
            n += 1
    assert n > 100
    assert np.all(params[:, 0, Lo.P_T] == 1.0)  # the ego keeps the time headway the family writes


def test_short_steady_gaps_without_keep_gaps_brake_at_once(kept, tmp_path):
    """The same followers with the behaviour's own s0 = 2 m, T = 1.5 s: those logged at under 1 s
    of headway (US-101's usual) would brake hard; with their logged gaps kept they do not."""
    spec, params, v, gap = kept
    _spec, off, _v, _gap = followers(seeded_yaml(tmp_path, extra_seed="  keep_gaps: false\n"))
    short = np.isfinite(gap) & (v > 8.0) & (gap < 0.8 * v)
    short[:, 0] = False
    assert short.sum() > 10
    b, i = np.nonzero(short)
    before = np.array([steady_accel(off[q, j], v[q, j], gap[q, j]) for q, j in zip(b, i)])
    after = np.array([steady_accel(params[q, j], v[q, j], gap[q, j]) for q, j in zip(b, i)])
    assert np.median(before) < -5.0  # IDM asks for -17 m/s^2 at the median (the kernel brakes at most 9)
    assert np.all(after > -0.5)


def test_followers_at_short_gaps_do_not_brake_hard_in_their_first_second(tmp_path):
    """Simulated: of the vehicles logged under 1 s behind another, none brakes harder than 3 m/s^2
    in the first second with their gaps kept (unless the vehicle ahead brakes that hard); about a tenth
    do with the behaviour's own (s0 = 2 m, T = 1.5 s)."""
    share = {}
    for name, extra in (("kept", ""), ("own", "  keep_gaps: false\n")):
        (tmp_path / name).mkdir()
        spec, _params, v, gap = followers(seeded_yaml(tmp_path / name, extra_seed=extra))
        b = api.simulate(spec, theta=sample_theta(spec.parameters, np.arange(N), 3), seed=3)
        tr = b.trajectories
        first = tr[:, :, :11, Lo.F_ACCEL].min(axis=2)
        short = np.isfinite(gap) & (v > 5.0) & (gap < v * 1.0)
        short[:, 0] = False  # the ego's time headway is written
        for q, i in zip(*np.nonzero(short)):  # braking behind a leader that brakes hard is a reaction, not the gap
            ahead = b.mask[q, :, 0] & (tr[q, :, 0, Lo.F_LANE] == tr[q, i, 0, Lo.F_LANE]) & (tr[q, :, 0, Lo.F_S] > tr[q, i, 0, Lo.F_S])
            if ahead.any():
                lead = np.flatnonzero(ahead)[np.argmin(tr[q, ahead, 0, Lo.F_S])]
                short[q, i] = first[q, lead] >= -3.0
        assert short.sum() > 30
        share[name] = float(np.mean(first[short] < -3.0))
    assert share["kept"] == 0.0 and share["own"] > 0.05


def test_logged_vehicles_leave_at_the_end_of_the_map(tmp_path):
    """A simulated logged vehicle that is not a named actor leaves the scene once its body is past the
    end of a lane without successor (as it leaves its log there); none drives on beyond the map, and
    the ego's sensor keeps no track of one that left."""
    spec = api.load_scenario(seeded_yaml(tmp_path, actors="  ego:\n    sensor: {range: 80, fov_deg: 120}\n"))
    b = api.simulate(spec, theta=sample_theta(spec.parameters, np.arange(N), 3), seed=3)
    road = compiled_road(spec).arrays
    tr = b.trajectories
    lane = tr[..., Lo.F_LANE].astype(int)
    past = (lane >= 0) & (tr[..., Lo.F_S] - 0.5 * b.sizes[:, :, None, 0] > road.lane_length[np.maximum(lane, 0)] + 0.5)
    past &= road.n_successor[np.maximum(lane, 0)] == 0
    named = len(spec.actors)
    assert not (past[:, named:] & b.mask[:, named:]).any()
    left = b.mask[:, :, 0] & ~b.mask[:, :, -1]
    assert not left[:, :named].any()
    assert left.sum() > 5 and b.mask[:, 0].all()
    r, j = np.nonzero(left)
    k = b.mask[r, j].sum(axis=1) - 1  # the last frame it was there: at the end of its lane
    ends = road.lane_length[lane[r, j, k]] - tr[r, j, k, Lo.F_S]
    assert (road.n_successor[lane[r, j, k]] == 0).all() and (ends < 0.5 * b.sizes[r, j, 0] + 3.0).all()
    gone = np.isnan(b.perception["track_xy"][r, j, -1, 0])
    assert gone.all()


def test_logged_straddlers_go_on_with_their_lane_change(tmp_path):
    """A simulated logged vehicle more than ``STRADDLE`` m from its lane's centre that its log shows
    moving sideways starts as a lane change in progress: at t = 0 it is in its logged pose (checked in
    test_seeded_start.py) in the frame of the lane it goes to, the neighbour on the side of its
    offset or, going back, its own, and once the change is over it is on a lane's centre."""
    spec = api.load_scenario(seeded_yaml(tmp_path))
    idx = np.arange(8 * N)
    theta = sample_theta(spec.parameters, idx, 3)
    ki = compile_batch(spec, theta, idx, 3)
    lc_to, lane0, d0 = ki.arrays["lc_to"], ki.state.lane, ki.state.offset
    road = compiled_road(spec).arrays
    named = len(spec.actors)
    assert (lc_to[:, :named] < 0).all()
    r, j = np.nonzero(lc_to >= 0)
    assert (np.abs(d0[r, j]) > seeding.STRADDLE).all()
    neighbour = np.where(d0[r, j] > 0, road.left[lane0[r, j]], road.right[lane0[r, j]])
    back = lc_to[r, j] == lane0[r, j]
    assert back.any() and (~back).any() and (lc_to[r, j][~back] == neighbour[~back]).all()
    b = api.simulate(spec, theta=theta, seed=3)
    tr = b.trajectories
    assert (tr[r, j, 0, Lo.F_LANE] == lc_to[r, j]).all()  # in the frame of the lane it goes to
    # a second after its change is over (if still in the scene then): on a lane's centre (or its successor's)
    k = np.round((ki.arrays["lc_dur"][r, j] + 1.0) / spec.dt).astype(int)
    done = k < tr.shape[2]
    r, j, k = r[done], j[done], k[done]
    done = b.mask[r, j, k]
    assert done.sum() >= 3
    assert (np.abs(tr[r, j, k, Lo.F_OFFSET])[done] < 0.3).all()


SLOW_EGO = """  ego:
    behavior: {idm: {desired_speed: {uniform: [6, 9]}}}
"""


def test_desired_speed_above_raises_it_to_the_logged_speed(tmp_path):
    """``keep_gaps: {desired_speed_above: 1}``: every simulated logged driver's desired speed is at
    least its logged speed plus 1 m/s, a drawn one above that stays; without it the ego keeps a
    desired speed drawn below its logged speed. The same theta rows either way."""
    out = {}
    for name, extra in (("as drawn", ""), ("above", "  keep_gaps: {desired_speed_above: 1.0}\n")):
        (tmp_path / name).mkdir()
        spec, params, v, _gap = followers(seeded_yaml(tmp_path / name, extra_seed=extra, actors=SLOW_EGO))
        out[name] = (params[..., Lo.P_V0], v, np.isfinite(params[..., Lo.P_V0]) & (v > 0.0))
    v0, v, on = out["above"]
    v0_drawn, v_drawn, _on = out["as drawn"]
    assert np.array_equal(v, v_drawn)
    assert np.all(v0[on] >= v[on] + 1.0 - 1e-9)
    kept = on & (v0_drawn > v + 1.0)
    assert kept.sum() > 50 and np.array_equal(v0[kept], v0_drawn[kept])  # the traffic's 25 m/s, mostly
    fast_ego = v[:, 0] > 10.0
    assert fast_ego.sum() >= 3 and np.all(v0_drawn[fast_ego, 0] < v[fast_ego, 0])


def test_an_ego_drawn_slower_than_its_log_does_not_brake_at_the_start(tmp_path):
    """Simulated: an ego (no sensor, no noise) whose desired speed is drawn at 6 to 9 m/s, below its
    logged speed, loses more than 1 m/s in its first second in most scenarios; raised above its
    logged speed (``desired_speed_above``) it loses at most what following its logged leader costs."""
    lost = {}
    for name, extra in (("as drawn", ""), ("above", "  keep_gaps: {desired_speed_above: 1.0}\n")):
        (tmp_path / name).mkdir()
        spec = api.load_scenario(seeded_yaml(tmp_path / name, extra_seed=extra, actors=SLOW_EGO))
        b = api.simulate(spec, theta=sample_theta(spec.parameters, np.arange(N), 3), seed=3)
        v = b.trajectories[:, 0, :, Lo.F_SPEED]
        moving = v[:, 0] > 8.0
        lost[name] = (v[:, :11].min(axis=1) - v[:, 0])[moving]
    assert lost["as drawn"].size >= 6
    assert np.mean(lost["as drawn"] < -1.0) > 0.5
    assert np.mean(lost["above"] < -1.0) < 0.2 and np.median(lost["above"]) > -0.5
