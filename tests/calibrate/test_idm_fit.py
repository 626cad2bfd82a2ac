"""Per-trajectory IDM fits: car-following episodes found in a scene, parameters recovered from a
follower driven by IDM itself."""

from __future__ import annotations

import numpy as np

from scenariogen.calibrate.idm import episodes, fit_episode, follow
from scenariogen.data import layout as Lo

DT = 0.1
TRUE = np.array([25.0, 1.4, 2.5, 1.2, 2.0])  # v0 m/s, T s, s0 m, a m/s^2, b m/s^2


def leader_speed(T: int) -> np.ndarray:
    t = np.arange(T) * DT
    return 14.0 + 4.0 * np.sin(t / 2.0) - 3.0 * (t > 6) * (t < 9)  # slows, brakes, recovers


def test_least_squares_recovers_the_parameters_a_follower_drives_with():
    vl = leader_speed(150)
    v, gap = follow(TRUE, 12.0, 15.0, vl, DT)
    got, rmse = fit_episode(v, gap, v - vl, DT)
    assert rmse < 0.05
    assert abs(got[1] - TRUE[1]) < 0.1 and abs(got[2] - TRUE[2]) < 0.5  # time headway, standstill gap


def test_episodes_follow_one_leader_in_the_corridor():
    T = 81
    vl = leader_speed(T)
    v, gap = follow(TRUE, 12.0, 15.0, vl, DT)
    traj = np.full((3, T, Lo.N_FEATURES), np.nan)
    xl = 50.0 + np.concatenate([[0.0], np.cumsum(vl[:-1] * DT)])
    traj[0, :, Lo.F_X], traj[1, :, Lo.F_X] = xl, xl - gap - 4.5  # follower: gap + one car length behind
    traj[2, :, Lo.F_X] = xl - 10.0  # beside the follower, one lane over
    traj[:, :, Lo.F_Y] = np.array([0.0, 0.0, 3.5])[:, None]
    traj[:, :, Lo.F_HEADING] = 0.0
    traj[0, :, Lo.F_SPEED], traj[1, :, Lo.F_SPEED], traj[2, :, Lo.F_SPEED] = vl, v, vl
    eps = episodes(traj, np.ones((3, T), bool), np.full((3, 2), [4.5, 1.8]), DT)
    assert len(eps) == 1
    ve, ge, dve = eps[0]
    np.testing.assert_allclose(ve, v)
    np.testing.assert_allclose(ge, gap, atol=1e-9)
    np.testing.assert_allclose(dve, v - vl)
