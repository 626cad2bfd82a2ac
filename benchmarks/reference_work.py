"""The C reference's work (``shared/bench/limit_kernel.c``) as a Numba kernel, for speed ratios.

This is *not* used by the simulator. It performs exactly the per-step work of
the plain-C reference kernel, so a benchmark can compare Numba code written in
this project's style against C compiled with ``gcc -O3 -march=native`` (see
``benchmarks/reference.py`` for the precise definition and
``benchmarks/test_limit_kernel.py`` for the comparison).

B independent scenarios x N vehicles on a straight 4-lane road (lane ``l``
centred at ``y = (l + 0.5) * 3.7`` m, ``dt = 0.1`` s). Per step and scenario:

1. leader search (O(N) scan per vehicle: nearest vehicle ahead in the same
   lane) and IDM acceleration, all from the old state;
2. lateral P-control to the lane centre and a kinematic bicycle update with
   slip angle ``beta = atan(lr / (lf + lr) tan(delta))``;
3. all N(N-1)/2 pairs on the new positions: bounding-circle clearance
   (running minimum), first-order TTC with the old speed along the new course
   (running minimum) and the count of pair-steps with TTC < 2 s.

State is struct-of-arrays, float64, shape (B, N) (``lane`` int64). The kernel
runs scenario-outer like the C code, but in blocks of :data:`BLOCK` scenarios
simulated in lockstep: a block's state is copied into (N, BLOCK) scratch that
stays in L1 for all steps, and every inner loop runs across the block's
scenarios, so the compiler can use SIMD lanes for independent scenarios (the
per-scenario running minima become element-wise minima, which need no
fast-math reassociation). Blocks are spread over threads with ``prange``.
The floating-point operations per vehicle and per pair are the C code's, in
the same order (no fast-math), so results agree with the C reference to
rounding (gcc may contract multiply-adds into FMAs; LLVM here does not).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange, uint64

LANES = 4
LANE_W = 3.7  # m
DT = 0.1  # s
A_MAX = 1.5  # m/s^2
B_COMF = 2.0  # m/s^2
S0 = 2.0  # m
T_HW = 1.5  # s
VEH_LEN = 5.0  # m
LF = 1.4  # m
LR = 1.4  # m
K_LAT = 0.15  # rad/m
K_HEAD = 1.2
MAX_STEER = 0.5  # rad
R_VEH = 2.6  # m, bounding-circle radius of a 5.0 x 2.0 m car
TTC_CRIT = 2.0  # s
TWO_SQRT_AB = 2.0 * math.sqrt(A_MAX * B_COMF)
SLIP = LR / (LF + LR)

BLOCK = 32  # scenarios simulated in lockstep (the SIMD loops run across them)

INF = math.inf


# --------------------------------------------------------------------------
# initial conditions (the C reference's generator and draw order)
# --------------------------------------------------------------------------


@njit(cache=True)
def _xorshift_uniform(state):
    """(new_state, u): xorshift64* step, u uniform in [0, 1) from the top 53 bits."""
    state ^= state >> uint64(12)
    state ^= state << uint64(25)
    state ^= state >> uint64(27)
    return state, (state * uint64(2685821657736338717) >> uint64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True)
def init_state(B, N, seed):
    """Initial batch as the C reference draws it for ``seed`` (its repetition ``r`` uses ``seed = r + 2``).

    Returns ``(x, y, psi, v, v0, lane, min_dist, min_ttc, n_crit)``: (B, N)
    float64 positions (m), heading (rad), speed and desired speed (m/s), int64
    lane; per-scenario accumulators (+inf, +inf, 0).
    """
    x = np.empty((B, N))
    y = np.empty((B, N))
    psi = np.empty((B, N))
    v = np.empty((B, N))
    v0 = np.empty((B, N))
    lane = np.empty((B, N), np.int64)
    state = uint64(seed) * uint64(0x9E3779B97F4A7C15) + uint64(1)
    head = np.empty(LANES)
    for b in range(B):
        for l_ in range(LANES):
            state, u = _xorshift_uniform(state)
            head[l_] = 20.0 * u
        for i in range(N):
            state, u = _xorshift_uniform(state)
            l_ = min(int(u * LANES), LANES - 1)
            lane[b, i] = l_
            x[b, i] = head[l_]
            state, u = _xorshift_uniform(state)
            head[l_] += 18.0 + 30.0 * u
            state, u = _xorshift_uniform(state)
            y[b, i] = (l_ + 0.5) * LANE_W + 0.6 * (u - 0.5)
            state, u = _xorshift_uniform(state)
            psi[b, i] = 0.04 * (u - 0.5)
            state, u = _xorshift_uniform(state)
            v[b, i] = 18.0 + 10.0 * u
            state, u = _xorshift_uniform(state)
            v0[b, i] = 24.0 + 10.0 * u
    min_dist = np.full(B, INF)
    min_ttc = np.full(B, INF)
    n_crit = np.zeros(B, np.int64)
    return x, y, psi, v, v0, lane, min_dist, min_ttc, n_crit


# --------------------------------------------------------------------------
# one block of scenarios in lockstep, all steps
# --------------------------------------------------------------------------
#
# Every inner loop runs over the block's scenarios ``k`` with a run-time trip
# count, so LLVM's loop vectorizer turns it into SIMD code (with run-time alias
# checks: Numba does not tell LLVM that the scratch arrays are disjoint). A
# compile-time trip count this small would be fully unrolled first and then
# left scalar. ``error_model="numpy"``: a division by zero gives inf/nan, as in
# C, instead of raising, which would keep the loops from vectorizing.


@njit(cache=True, error_model="numpy")
def _block_run(x, y, psi, v, v0, lane, min_dist, min_ttc, n_crit, b0, nb, n_steps,
               bx, by, bpsi, bv, bv0, byref, blane, acc, vx, vy, gap, vlead, md, mt, nc):
    """Simulate scenarios ``b0 .. b0 + nb - 1`` for ``n_steps`` steps, in place.

    Scratch: ``bx .. vy`` are (N, >= nb) (vehicle, scenario); ``gap``,
    ``vlead``, ``md``, ``mt``, ``nc`` are (>= nb,).
    """
    N = x.shape[1]
    # ---- load the block, transposed to (vehicle, scenario)
    for k in range(nb):
        b = b0 + k
        for i in range(N):
            bx[i, k] = x[b, i]
            by[i, k] = y[b, i]
            bpsi[i, k] = psi[b, i]
            bv[i, k] = v[b, i]
            bv0[i, k] = v0[b, i]
            blane[i, k] = lane[b, i]
            byref[i, k] = (lane[b, i] + 0.5) * LANE_W
        md[k] = min_dist[b]
        mt[k] = min_ttc[b]
        nc[k] = 0

    for _t in range(n_steps):
        # ---- 1. leader search (same lane, nearest ahead; ties: first j) and IDM, from the old state
        for i in range(N):
            for k in range(nb):
                gap[k] = INF
                vlead[k] = 0.0
            for j in range(N):
                for k in range(nb):
                    g = bx[j, k] - bx[i, k]
                    ok = (blane[j, k] == blane[i, k]) & (g > 0.0) & (g < gap[k])
                    gap[k] = g if ok else gap[k]
                    vlead[k] = bv[j, k] if ok else vlead[k]
            for k in range(nb):
                vi = bv[i, k]
                r = vi / bv0[i, k]
                r2 = r * r
                a = 1.0 - r2 * r2
                if gap[k] < INF:
                    s = gap[k] - VEH_LEN
                    s = s if s >= 0.1 else 0.1
                    s_star = S0 + vi * T_HW + vi * (vi - vlead[k]) / TWO_SQRT_AB
                    s_star = s_star if s_star >= 0.0 else 0.0
                    q = s_star / s
                    a -= q * q
                acc[i, k] = A_MAX * a
        # ---- 2. lateral P-control and kinematic bicycle (velocity for TTC: old speed, new course)
        for i in range(N):
            for k in range(nb):
                delta = -K_LAT * (by[i, k] - byref[i, k]) - K_HEAD * bpsi[i, k]
                delta = MAX_STEER if delta > MAX_STEER else (-MAX_STEER if delta < -MAX_STEER else delta)
                beta = math.atan(SLIP * math.tan(delta))
                vi = bv[i, k]
                h = bpsi[i, k] + beta
                c = math.cos(h)
                sn = math.sin(h)
                bx[i, k] += vi * c * DT
                by[i, k] += vi * sn * DT
                bpsi[i, k] += vi / LR * math.sin(beta) * DT
                vn = vi + acc[i, k] * DT
                bv[i, k] = vn if vn > 0.0 else 0.0
                vx[i, k] = vi * c
                vy[i, k] = vi * sn
        # ---- 3. all pairs i < j on the new state: circle clearance, TTC, count of TTC < 2 s
        for i in range(N):
            for j in range(i + 1, N):
                for k in range(nb):
                    dx = bx[j, k] - bx[i, k]
                    dy = by[j, k] - by[i, k]
                    d = math.sqrt(dx * dx + dy * dy)
                    clear = d - 2.0 * R_VEH
                    md[k] = clear if clear < md[k] else md[k]
                    closing = -(dx * (vx[j, k] - vx[i, k]) + dy * (vy[j, k] - vy[i, k])) / d
                    ttc = (clear if clear > 0.0 else 0.0) / closing if closing > 1e-9 else INF
                    mt[k] = ttc if ttc < mt[k] else mt[k]
                    nc[k] += ttc < TTC_CRIT

    # ---- store the block
    for k in range(nb):
        b = b0 + k
        for i in range(N):
            x[b, i] = bx[i, k]
            y[b, i] = by[i, k]
            psi[b, i] = bpsi[i, k]
            v[b, i] = bv[i, k]
        min_dist[b] = md[k]
        min_ttc[b] = mt[k]
        n_crit[b] += nc[k]


@njit(cache=True)
def _run_blocks(x, y, psi, v, v0, lane, min_dist, min_ttc, n_crit, n_steps, block, blk_lo, blk_hi):
    """Blocks ``blk_lo .. blk_hi - 1`` of ``block`` scenarios each, one after the other, with one scratch set."""
    B, N = x.shape
    bx = np.empty((N, block))
    by = np.empty((N, block))
    bpsi = np.empty((N, block))
    bv = np.empty((N, block))
    bv0 = np.empty((N, block))
    byref = np.empty((N, block))
    blane = np.empty((N, block), np.int64)
    acc = np.empty((N, block))
    vx = np.empty((N, block))
    vy = np.empty((N, block))
    gap = np.empty(block)
    vlead = np.empty(block)
    md = np.empty(block)
    mt = np.empty(block)
    nc = np.empty(block, np.int64)
    for blk in range(blk_lo, blk_hi):
        b0 = blk * block
        nb = min(block, B - b0)
        _block_run(x, y, psi, v, v0, lane, min_dist, min_ttc, n_crit, b0, nb, n_steps,
                   bx, by, bpsi, bv, bv0, byref, blane, acc, vx, vy, gap, vlead, md, mt, nc)


@njit(cache=True)
def run_serial(x, y, psi, v, v0, lane, min_dist, min_ttc, n_crit, n_steps, block=BLOCK):
    """Advance every scenario ``n_steps`` steps in place, on the calling thread.

    Arguments as returned by :func:`init_state`; ``block`` scenarios run in lockstep.
    """
    B = x.shape[0]
    _run_blocks(x, y, psi, v, v0, lane, min_dist, min_ttc, n_crit, n_steps, block, 0, (B + block - 1) // block)


@njit(parallel=True, cache=True)
def run_parallel(x, y, psi, v, v0, lane, min_dist, min_ttc, n_crit, n_steps, block=BLOCK):
    """:func:`run_serial` with the blocks spread over Numba's threads (``numba.set_num_threads``).

    ``prange`` hands each thread a contiguous range of blocks; every block
    allocates its own (small) scratch. Scenarios are independent, so the result
    does not depend on the thread count.
    """
    B = x.shape[0]
    n_blk = (B + block - 1) // block
    for blk in prange(n_blk):
        _run_blocks(x, y, psi, v, v0, lane, min_dist, min_ttc, n_crit, n_steps, block, blk, blk + 1)
