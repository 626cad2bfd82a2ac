"""The batched simulation kernel: B scenarios x N agents x T steps, parallel over scenarios.

Pure function over arrays grouped in named tuples (:mod:`.groups`; column
meanings in :mod:`scenariogen.data.layout`); no Python objects, no I/O. Each
scenario is simulated start to end by one thread with its own work arrays,
so results do not depend on the number of threads. Agent 0 is the ego.

Per step, for every scenario:

1. record the frame (optional) and the history; predict every agent's motion
   along its path (:mod:`.paths`); accumulate metrics on the current state
   (:mod:`.metrics`);
2. the ego's perception, when it has a sensor (:mod:`.perception`);
3. sort agents by (lane, arc length), updating last step's order (:mod:`.order`);
4. start manoeuvres whose triggers fire and the merges a lane's end forces
   (:mod:`.maneuvers`), find leaders and the longitudinal commands, apply
   reaction delay, scripted braking and AEB, and take MOBIL lane-change
   decisions every second (:mod:`.control`);
5. the ego's DRAC and headway to its leader, then integrate (:mod:`.integrate`).

After the last step, :func:`.metrics.finish_metrics`.

The per-step functions are inlined into :func:`_simulate_one` (Numba IR,
``inline="always"``), so the split costs no calls. Compiling them as separate
functions instead took 1.07x the CPU of the first start (docs/performance.md):
Numba links every callee's code into each caller and optimises and emits it
there again. :func:`_simulate_one` is compiled without reference counting
(``_nrt=False``, inherited by what it calls): each inlined call would otherwise
increment and decrement the count of every array in its argument tuples, every
step. Nothing in the step loop may therefore allocate; every array comes from
the engine or from :func:`.groups.alloc` (the occlusion sweep's too).

Functions that only jitted code calls and that take the grouped arguments are
compiled without a CPython wrapper (``no_cpython_wrapper=True``): unboxing a
hundred arrays from Python was about half of each one's compile time. Called
from Python, one would crash the interpreter; nothing outside the kernels calls them.

The threads are plain Python threads (:func:`simulate_batch`), each running
:func:`simulate_range` over chunks of scenarios with the GIL released, not a
``prange`` loop: Numba's parallel wrapper made LLVM optimise and emit the whole
linked step loop a second time, which took a sixth of the first start's compile
time (docs/performance.md).

Numba's cache checks only the time stamp of the file that defines a cached
function; :mod:`scenariogen.kernels` drops the cached kernels whenever any
kernel source changes.
"""

from __future__ import annotations

import math
import threading
from concurrent.futures import ThreadPoolExecutor

from numba import njit

from ..data.layout import (
    E_AEB_ON,
    E_AEB_TTC,
    E_FIRST_LEN,
    E_FIRST_START,
    E_ON,
    E_P_ENTER,
    E_P_EXIT,
    F_ACCEL,
    F_HEADING,
    F_LANE,
    F_OFFSET,
    F_S,
    F_SPEED,
    F_X,
    F_Y,
    THREAT_TTC,
)
from .control import accelerations, leaders, mobil, start_noise
from .groups import REACT_BUF, alloc
from .integrate import integrate
from .lanes import lane_pose
from .maneuvers import forced_merges, start_lane_change, triggers
from .metrics import (
    accel_metrics,
    collisions,
    ego_metrics,
    finish_metrics,
    leader_metrics,
    named_actor_metrics,
    start_metrics,
)
from .order import lane_order
from .paths import set_motions, start_paths
from .perception import first_burst, perceive, start_tracks
from .rules import has_rules
from .typed import FALSE, NONE, ZERO

INF = math.inf
MOBIL_PERIOD = 1.0  # s between lane-change decisions


@njit(cache=True, no_cpython_wrapper=True)
def _start_state(b, road, ag, init, st):
    """Scenario ``b``'s initial state; no manoeuvre started but the lane changes in progress
    (``init.lc_to``), no command given, identity orders."""
    N = st.xs.shape[0]
    K = st.man_state.shape[1]
    for i in range(N):
        st.xs[i] = init.x[b, i]
        st.ys[i] = init.y[b, i]
        st.hs[i] = init.heading[b, i]
        st.v[i] = init.speed[b, i]
        st.acc[i] = 0.0
        st.ln[i] = init.lane[b, i]
        st.sl[i] = init.s[b, i]
        st.dl[i] = init.offset[b, i]
        st.d_hold[i] = init.offset[b, i]
        st.stop_lane[i] = -1
        st.stop_time[i] = INF
        st.steer[i] = 0.0
        st.crashed[i] = False
        st.lc_active[i] = False
        st.lc_origin[i] = -1
        st.route_pos[i] = 0 if (ag.route_len[i] > 0 and ag.route[i, 0] == st.ln[i]) else -1
        st.path_pos[i] = 0.0
        for k in range(K):
            st.man_state[i, k] = 0
            st.man_t0[i, k] = 0.0
        for r in range(REACT_BUF):
            st.cmd_buf[i, r] = 0.0
        if ag.valid[b, i] and not ag.free[b, i] and st.ln[i] >= 0:
            _x, _y, lh, _k = lane_pose(road.offset, road.length, road.px, road.py, road.heading, road.curvature,
                                       st.ln[i], st.sl[i], 0.0)
            st.e[i] = st.hs[i] - lh
        else:
            st.e[i] = 0.0
        tl = init.lc_to[b, i]
        if tl >= 0 and st.ln[i] >= 0 and ag.valid[b, i] and not ag.free[b, i] and not init.replay[b, i]:
            _lane_change_at_start(b, i, tl, road, init, st)


@njit(inline="always")
def _lane_change_at_start(b, i, tl, road, init, st):
    """Agent ``i`` starts (t = 0) in the middle of a lane change to lane ``tl`` lasting
    ``init.lc_dur`` (s), from its own lane, or when ``tl`` is its own lane, from the neighbour on the
    side of its offset; its pose stays the given one."""
    if tl == st.ln[i]:
        origin = road.left[tl] if st.dl[i] > 0.0 else road.right[tl]
        if origin < 0:
            return
        st.ln[i] = origin
    start_lane_change(i, tl, 0.0, init.lc_dur[b, i], road, st)


@njit(inline="always")
def _record(b, t, frame, cfg, ag, out, st, sc):
    """Keep the state in the history and, every ``record_every`` steps, in frame ``frame`` of the
    trajectories; returns the next frame."""
    valid, free = ag.valid, ag.free
    xs, ys, hs, v, acc, ln, sl, dl = st.xs, st.ys, st.hs, st.v, st.acc, st.ln, st.sl, st.dl
    hx, hy, hh, hv, present = sc.hx, sc.hy, sc.hh, sc.hv, sc.present
    traj, tmask = out.traj, out.mask
    N = xs.shape[0]
    for i in range(N):
        present[i, t] = valid[b, i]
        hx[i, t] = xs[i]
        hy[i, t] = ys[i]
        hh[i, t] = hs[i]
        hv[i, t] = v[i]
    if traj.shape[2] > 0 and t % cfg.record_every == 0 and frame < traj.shape[2]:
        for i in range(N):
            traj[b, i, frame, F_X] = xs[i]
            traj[b, i, frame, F_Y] = ys[i]
            traj[b, i, frame, F_HEADING] = hs[i]
            traj[b, i, frame, F_SPEED] = v[i]
            traj[b, i, frame, F_ACCEL] = acc[i]
            traj[b, i, frame, F_LANE] = ln[i] if not free[b, i] else -1
            traj[b, i, frame, F_S] = sl[i]
            traj[b, i, frame, F_OFFSET] = dl[i]
            tmask[b, i, frame] = valid[b, i]
        frame += 1
    return frame


@njit(cache=True, _nrt=False, no_cpython_wrapper=True)
def _simulate_one(b, road, world, ag, init, cfg, sensor, out, st, sc, tr):
    """Simulate scenario ``b`` from its initial state to the end, filling its output rows; ``st``,
    ``sc`` and ``tr`` are the thread's work arrays."""
    N = st.xs.shape[0]
    dt = cfg.dt
    mobil_every = max(1, int(round(MOBIL_PERIOD / dt)))
    _start_state(b, road, ag, init, st)
    start_noise(b, sensor.seeds[b], ag, st)
    n_act = 0
    for i in range(N):
        sc.order[i] = i
        sc.pos[i] = i
        sc.lc_at[i] = -1
        if ag.valid[b, i] or init.replay[b, i]:  # a replayed agent may enter later
            n_act = i + 1
    sc.n_act[0] = n_act
    for k in range(sc.lane_enter.shape[0]):
        sc.lane_enter[k] = -INF
    start_metrics(b, cfg.n_named, out)
    start_tracks(b, ag, tr)
    ego_prev_acc = 0.0
    frame = ZERO
    # perception state
    sp_ = sensor.params
    has_sensor = sp_[b, E_ON] > 0.5
    # the ego's TTC is exact below this (s): threats for the dropout summary, or an AEB without a
    # sensor, which brakes on the ground truth
    exact_below = THREAT_TTC if has_sensor else (2.0 * sp_[b, E_AEB_TTC] if sp_[b, E_AEB_ON] > 0.5 else 0.0)
    rstate = sensor.seeds[b]
    lost = FALSE
    # a first burst placed by the sampler: until it has ended the chain is not stepped
    burst0, burst_len = first_burst(sp_[b, E_FIRST_START], sp_[b, E_FIRST_LEN], sp_[b, E_P_ENTER], sp_[b, E_P_EXIT])
    n_sensed = ZERO
    aeb_trig = NONE  # step at which the AEB triggered, -1 while idle
    senses = has_sensor and ag.valid[b, 0]
    rules_on = has_rules(road)  # else the right of way stops nobody

    for t in range(cfg.n_steps):
        time = t * dt
        frame = _record(b, t, frame, cfg, ag, out, st, sc)
        set_motions(b, time, cfg, road, ag, st, sc, tr)
        collisions(b, time, ag, out, st, sc)
        step_ttc = ego_metrics(b, time, exact_below, cfg, road, ag, out, st, sc)
        named_actor_metrics(b, cfg, road, ag, out, st, sc)
        tr.drop_ttc[t] = step_ttc
        if senses:
            rstate, lost, n_sensed = perceive(b, t, time, frame, step_ttc, rstate, lost, n_sensed, burst0, burst_len,
                                              road, ag, cfg, sensor, out, st, sc, tr)
        n_lc, n_free = lane_order(b, t, road, ag, st, sc)
        n_lc = triggers(b, time, n_lc, has_sensor, road, ag, st, sc, tr)
        n_lc = forced_merges(b, time, n_lc, has_sensor, road, ag, st, sc, tr)
        leaders(b, t, time, n_lc, n_free, has_sensor, rules_on, road, world, ag, st, sc, tr)
        aeb_trig = accelerations(b, t, time, aeb_trig, has_sensor, cfg, road, ag, sensor, out, st, sc, tr)
        n_lc = mobil(b, t, time, n_lc, has_sensor, mobil_every, road, ag, st, sc, tr)
        leader_metrics(b, ag, out, st)
        integrate(b, time, dt, road, ag, init, st, sc)
        ego_prev_acc = accel_metrics(b, t, ego_prev_acc, cfg, ag, out, st)

    finish_metrics(b, has_sensor, cfg, ag, sensor, out, sc, tr)


@njit(cache=True, nogil=True, _nrt=False)
def simulate_range(lo, hi, road, world, ag, init, cfg, sensor, out, st, sc, tr):
    """Simulate scenarios ``lo`` to ``hi - 1`` with one thread's work arrays (:func:`.groups.alloc`,
    :func:`.paths.start_paths`); releases the GIL."""
    for b in range(lo, hi):
        _simulate_one(b, road, world, ag, init, cfg, sensor, out, st, sc, tr)


def simulate_batch(road, world, ag, init, cfg, sensor, out, n_chunks, n_threads=1):
    """Simulate every scenario of the batch in ``n_chunks`` chunks shared out to ``n_threads``
    threads, each with its own work arrays; fills ``out`` (trajectories and perception only if they
    have frames). Plain Python threads: :func:`simulate_range` releases the GIL, and a scenario's
    result does not depend on the thread or chunk that ran it."""
    B, N = init.x.shape
    if B == 0:
        return
    per = -(-B // max(1, min(B, n_chunks)))
    starts = iter(range(0, B, per))
    lock = threading.Lock()

    def work() -> None:
        st, sc, tr = alloc(N, ag.man_type.shape[1], road.length.shape[0], cfg.n_steps, sensor.occ_px,
                           sensor.occ_py, sensor.occ_start, sensor.occ_count)
        start_paths(road, tr)
        while True:
            with lock:
                lo = next(starts, None)
            if lo is None:
                return
            simulate_range(lo, min(B, lo + per), road, world, ag, init, cfg, sensor, out, st, sc, tr)

    n_threads = max(1, min(n_threads, -(-B // per)))
    if n_threads == 1:
        work()
        return
    with ThreadPoolExecutor(n_threads) as pool:
        for f in [pool.submit(work) for _ in range(n_threads)]:
            f.result()
