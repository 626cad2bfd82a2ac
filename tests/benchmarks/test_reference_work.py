"""Tests for benchmarks/reference_work.py (the C reference's work as a Numba kernel).

One step of the kernel is checked against a direct numpy transcription of the
per-step rules written in ``benchmarks/reference.py`` (the C reference
``shared/bench/limit_kernel.c``), on tiny batches that exercise partial blocks
of lockstep scenarios, vehicles without a leader, touching vehicles and pairs
that move apart.
"""

import math

import numpy as np
import pytest

from benchmarks import reference_work as rw


def numpy_step(x, y, psi, v, v0, lane, min_dist, min_ttc, n_crit):
    """One step of the reference kernel, vectorised in numpy over (B, N); returns new arrays."""
    B, N = x.shape
    # 1. leader: same lane, strictly ahead, smallest gap (first j on ties), from the old state
    g = x[:, None, :] - x[:, :, None]  # g[b, i, j] = x_j - x_i
    ok = (lane[:, None, :] == lane[:, :, None]) & (g > 0.0)
    gm = np.where(ok, g, np.inf)
    j_lead = np.argmin(gm, axis=2)  # first index of the minimum
    gap = np.take_along_axis(gm, j_lead[:, :, None], axis=2)[:, :, 0]
    v_lead = np.take_along_axis(v, j_lead, axis=1)
    r = v / v0
    a = 1.0 - r**4
    has = np.isfinite(gap)
    s = np.maximum(np.where(has, gap, 1.0) - rw.VEH_LEN, 0.1)
    s_star = np.maximum(rw.S0 + v * rw.T_HW + v * (v - v_lead) / (2.0 * math.sqrt(rw.A_MAX * rw.B_COMF)), 0.0)
    a = a - np.where(has, (s_star / s) ** 2, 0.0)
    acc = rw.A_MAX * a
    # 2. lateral control and kinematic bicycle
    y_ref = (lane + 0.5) * rw.LANE_W
    delta = np.clip(-rw.K_LAT * (y - y_ref) - rw.K_HEAD * psi, -rw.MAX_STEER, rw.MAX_STEER)
    beta = np.arctan(rw.LR / (rw.LF + rw.LR) * np.tan(delta))
    h = psi + beta
    vx = v * np.cos(h)
    vy = v * np.sin(h)
    x2 = x + vx * rw.DT
    y2 = y + vy * rw.DT
    psi2 = psi + v / rw.LR * np.sin(beta) * rw.DT
    v2 = np.maximum(v + acc * rw.DT, 0.0)
    # 3. all pairs i < j on the new positions
    iu, ju = np.triu_indices(N, k=1)
    dx = x2[:, ju] - x2[:, iu]
    dy = y2[:, ju] - y2[:, iu]
    d = np.sqrt(dx * dx + dy * dy)
    clear = d - 2.0 * rw.R_VEH
    closing = -(dx * (vx[:, ju] - vx[:, iu]) + dy * (vy[:, ju] - vy[:, iu])) / d
    with np.errstate(divide="ignore"):
        ttc = np.where(closing > 1e-9, np.maximum(clear, 0.0) / np.where(closing > 1e-9, closing, 1.0), np.inf)
    md = np.minimum(min_dist, clear.min(axis=1, initial=np.inf))
    mt = np.minimum(min_ttc, ttc.min(axis=1, initial=np.inf))
    nc = n_crit + (ttc < rw.TTC_CRIT).sum(axis=1)
    return x2, y2, psi2, v2, md, mt, nc


def tiny_batch(B, N, seed):
    state = list(rw.init_state(B, N, seed))
    x, y, psi, v, v0, lane = state[:6]
    # a pair close enough to have a positive TTC below 2 s and one with a negative clearance
    m = min(N, 3)
    lane[0, :m] = 1
    x[0, :m] = [10.0, 14.0, 40.0][:m]
    y[0, :m] = 1.5 * rw.LANE_W
    v[0, :m] = [30.0, 20.0, 10.0][:m]
    # scenario 1: a vehicle standing still behind a fast leader (moving apart) and one alone in its lane
    if B > 1:
        lane[1, :] = np.arange(N) % 2
        v[1, 0] = 0.0
        lane[1, N - 1] = 3
    return state


@pytest.mark.parametrize("B, N, block", [(5, 6, 2), (3, 7, 32), (9, 4, 4), (1, 1, 8)])
@pytest.mark.parametrize("runner", ["serial", "parallel"])
def test_one_step_matches_numpy(B, N, block, runner):
    state = tiny_batch(B, N, seed=3)
    expected = numpy_step(*[a.copy() for a in state])
    run = rw.run_serial if runner == "serial" else rw.run_parallel
    run(*state, 1, block)
    x, y, psi, v, _v0, _lane, md, mt, nc = state
    for got, want in zip((x, y, psi, v, md, mt), expected[:6]):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(nc, expected[6])


def test_tiny_batch_covers_the_cases():
    B, N = 5, 6
    state = tiny_batch(B, N, seed=3)
    *_, md, mt, nc = numpy_step(*[a.copy() for a in state])
    assert md[0] < 0.0  # overlapping circles
    assert np.isfinite(mt).all() and mt.min() < rw.TTC_CRIT and nc.sum() > 0


def test_many_steps_independent_of_threads_and_block():
    B, N, steps = 37, 12, 30
    a = rw.init_state(B, N, 5)
    b = rw.init_state(B, N, 5)
    c = rw.init_state(B, N, 5)
    rw.run_serial(*a, steps, 8)
    rw.run_parallel(*b, steps, 32)
    for k in range(steps):  # one step at a time from numpy
        c_new = numpy_step(*c)
        c = [*c_new[:4], c[4], c[5], *c_new[4:]]
    for u, w in zip(a, b):
        np.testing.assert_array_equal(u, w)
    for k, w in zip((0, 1, 2, 3, 6, 7, 8), c[:4] + c[6:]):
        np.testing.assert_allclose(a[k], w, rtol=1e-9, atol=1e-9)


def test_initial_state_distributions():
    x, y, psi, v, v0, lane, md, mt, nc = rw.init_state(200, 20, 2)
    assert lane.min() == 0 and lane.max() == rw.LANES - 1
    assert np.all(np.abs(y - (lane + 0.5) * rw.LANE_W) <= 0.3)
    assert np.all(np.abs(psi) <= 0.02)
    assert 18.0 <= v.min() and v.max() < 28.0 and 24.0 <= v0.min() and v0.max() < 34.0
    for b in range(3):  # centre spacing 18..48 m within a lane
        for l_ in range(rw.LANES):
            xs = x[b, lane[b] == l_]
            if xs.size > 1:
                dxs = np.diff(xs)
                assert np.all((dxs >= 18.0) & (dxs < 48.0))
    assert np.all(np.isinf(md)) and np.all(np.isinf(mt)) and np.all(nc == 0)
