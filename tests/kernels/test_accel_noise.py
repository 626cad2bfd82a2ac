"""The acceleration noise's process (kernels/behavior.py) against closed form: ``ou_step`` is an
exact Ornstein-Uhlenbeck step, so a long chain has unit variance and autocorrelation
``exp(-lag / tau)`` whatever the step."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numba import njit

from scenariogen.kernels.behavior import ou_step, std_normal


@njit(cache=False)
def _chain(n, dt, tau, seed):
    out = np.empty(n)
    state, x = std_normal(np.uint64(seed))  # stationary start
    for k in range(n):
        out[k] = x
        state, x = ou_step(x, state, dt, tau)
    return out


@pytest.mark.parametrize("dt, tau", [(0.1, 1.0), (0.1, 0.3), (0.05, 2.0)])
def test_a_long_chain_has_unit_variance_and_exponential_autocorrelation(dt, tau):
    n = 400_000
    x = _chain(n, dt, tau, 12345)
    # about n dt / (2 tau) independent samples: the variance is known to within a few per cent
    assert abs(x.mean()) < 0.05 and abs(x.std() - 1.0) < 0.04
    for lag_s in (0.5 * tau, tau, 2.0 * tau):
        k = int(round(lag_s / dt))
        rho = float(np.mean(x[:-k] * x[k:]) / x.var())
        assert abs(rho - math.exp(-k * dt / tau)) < 0.04, (lag_s, rho)


@njit(cache=False)
def _normals(n, seed):
    z = np.empty(n)
    state = np.uint64(seed)
    for k in range(n):
        state, z[k] = std_normal(state)
    return z


def test_the_normal_draws_are_standard_normal():
    z = _normals(100_000, 7)
    assert abs(z.mean()) < 0.015 and abs(z.std() - 1.0) < 0.015
    assert abs(np.mean(np.abs(z) > 1.959964) - 0.05) < 0.004  # two-sided 5 % tail
