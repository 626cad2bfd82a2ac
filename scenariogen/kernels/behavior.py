"""Driver models as scalar ``@njit`` functions (units: m, s, m/s, m/s^2)."""

from __future__ import annotations

import math

from numba import njit

from .rng import next_uniform


@njit(cache=True)
def idm_accel(v, v0, T, s0, a_max, b_comf, delta, gap, v_lead):
    """Intelligent Driver Model acceleration (Treiber, Hennecke, Helbing 2000).

    ``gap`` is the bumper-to-bumper distance to the leader (m, +inf for a free
    road), ``v_lead`` its speed. The gap is floored at 0.1 m so a vehicle
    already touching its leader brakes as hard as the limits allow.
    """
    r = max(v, 0.0) / v0
    if delta == 4.0:  # the usual exponent: avoid pow()
        r2 = r * r
        free = 1.0 - r2 * r2
    else:
        free = 1.0 - r**delta
    if gap == math.inf:
        return a_max * free
    s_star = s0 + max(0.0, v * T + v * (v - v_lead) / (2.0 * math.sqrt(a_max * b_comf)))
    g = max(gap, 0.1)
    return a_max * (free - (s_star / g) ** 2)


@njit(cache=True)
def idm_equilibrium_gap(v, v0, T, s0, delta):
    """Gap (m) at which IDM holds speed ``v`` behind a leader at the same speed."""
    return (s0 + v * T) / math.sqrt(1.0 - (v / v0) ** delta)


@njit(cache=True)
def smoothstep5(tau):
    """Minimum-jerk profile 10t^3 - 15t^4 + 6t^5 on [0, 1] and its derivative."""
    if tau <= 0.0:
        return 0.0, 0.0
    if tau >= 1.0:
        return 1.0, 0.0
    t2 = tau * tau
    return tau * t2 * (10.0 - 15.0 * tau + 6.0 * t2), 30.0 * t2 * (1.0 - 2.0 * tau + t2)


@njit(cache=True)
def acc_accel(v, v0, T, s0, a_max, b_comf, delta, gap, v_lead, a_lead):
    """IDM with the constant-acceleration heuristic (the "ACC model" of Treiber & Kesting).

    Plain IDM brakes far too hard when a vehicle cuts in at a short gap but is
    not closing in; the heuristic blends IDM with the acceleration that keeps
    a gap under the assumption that the leader keeps its acceleration
    ``a_lead`` (m/s^2), with coolness 0.99. Identical to IDM whenever IDM asks
    for more acceleration than the heuristic (free road, equilibrium)."""
    a_idm = idm_accel(v, v0, T, s0, a_max, b_comf, delta, gap, v_lead)
    if gap == math.inf:
        return a_idm
    g = max(gap, 0.1)
    a_l = min(a_lead, a_max)
    dv = v - v_lead
    if v_lead * dv <= -2.0 * g * a_l and a_l < 0.0:  # the leader stops before the gap closes
        a_cah = v * v * a_l / (v_lead * v_lead - 2.0 * g * a_l)
    else:
        a_cah = a_l - (dv * dv / (2.0 * g) if dv > 0.0 else 0.0)
    if a_idm >= a_cah:
        return a_idm
    c = 0.99
    return (1.0 - c) * a_idm + c * (a_cah + b_comf * math.tanh((a_idm - a_cah) / b_comf))


@njit(cache=True)
def std_normal(state):
    """(new_state, z): a standard normal draw from the stream ``state`` (Box-Muller, two uniforms)."""
    state, u1 = next_uniform(state)
    state, u2 = next_uniform(state)
    return state, math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)


@njit(cache=True)
def ou_step(x, state, dt, tau):
    """One exact step of ``dt`` (s) of a stationary Ornstein-Uhlenbeck process of unit variance and
    correlation time ``tau`` (s): ``x' = r x + sqrt(1 - r^2) z`` with ``r = exp(-dt / tau)``, so
    its autocorrelation at lag ``h`` is ``exp(-h / tau)`` at any step. Returns (new_state, x')."""
    state, z = std_normal(state)
    r = math.exp(-dt / tau)
    return state, r * x + math.sqrt(1.0 - r * r) * z
