"""A slow, plain Python/numpy reference of the simulator's longitudinal dynamics.

It re-implements, independently of the Numba kernel (``scenariogen.sim.kernels.step``),
what the kernel does in a restricted case:

- a straight road (every lane point heading 0, no curvature, no successors,
  no dead ends), every agent on a lane at offset 0;
- IDM (or ``keep_lane``) vehicles, no MOBIL; the only manoeuvre is a
  time-triggered ``hard_brake``; a reaction delay of whole steps.

Per step ``t`` (time ``t * dt``), exactly in the kernel's order:

1. record s, speed, accel;
2. collisions on the current state: boxes are axis-aligned here, so two boxes
   overlap iff their x and y extents overlap (closed intervals); colliding
   agents are marked crashed;
3. ego metrics against every other agent: box distance, 1-D box TTC in the
   same lane (capped by the horizon), TET;
4. leader = nearest valid agent ahead in the same lane (larger s), bumper gap;
   command = IDM with the constant-acceleration heuristic (Treiber & Kesting's
   ACC model, coolness 0.99), leader acceleration = its acceleration after
   the previous step;
5. ego DRAC and time headway to that leader;
6. the command of ``r`` steps ago (reaction delay; 0 before step ``r``), overridden
   by an active hard brake (-decel; it starts at its trigger time and ends after
   its duration, or at standstill when the duration is 0); clamped to
   [-max brake, 1.5 a_max + 0.5]; the applied acceleration moves towards it by at
   most max_jerk * dt;
7. integrate: v' = v + a dt, clamped at 0 (then a = -v / dt), s += (v + v') / 2 dt;
   crashed agents stand still with zero acceleration;
8. per-agent max deceleration, ego max deceleration and jerk (from step 1 on).

Run as a script (``python tests/sim/reference.py OUT.npz``) it simulates a
tiny batch of :data:`SPEC_TEXT`, compares it with this reference and writes
the kernel's arrays to ``OUT.npz``; the tests run that with
``NUMBA_DISABLE_JIT=1`` so the kernel executes as plain Python.
"""

from __future__ import annotations

import json
import math
import sys

import numpy as np

INF = math.inf

# A restricted-case family: two lanes, IDM / keep_lane vehicles with random
# parameters, a relative placement that sometimes overlaps (a crash at t = 0),
# a stopped car ahead, and padded background traffic (invalid slots).
SPEC_TEXT = """\
scenariogen: 1
name: reference_family
dt: 0.1
duration: {duration}
seed: 3
road: {{type: straight, lanes: 2, lane_width: 3.5, length: 400}}
actors:
  ego:
    kind: car
    lane: 0
    s: {{uniform: [20, 60]}}
    speed: {{uniform: [0, 30]}}
    behavior:
      idm:
        desired_speed: {{uniform: [15, 35]}}
        time_headway: {{uniform: [0.5, 2.0]}}
        min_gap: {{uniform: [1, 3]}}
        max_accel: {{uniform: [0.8, 2.5]}}
        comfort_decel: {{uniform: [1, 3]}}
        reaction_time: {{uniform: [0, 1.2]}}
  a:
    kind: car
    lane: 0
    s: {{relative_to: ego, offset: {{uniform: [7, 60]}}}}
    speed: {{uniform: [0, 25]}}
    behavior: {{idm: {{desired_speed: {{uniform: [10, 30]}}, delta: 3}}}}
    maneuvers:
      - hard_brake: {{start: {{uniform: [0.5, 4]}}, decel: {{uniform: [3, 12]}}, duration: {{uniform: [0.5, 2.5]}}}}
      - hard_brake: {{start: {{uniform: [4, 7]}}, decel: {{uniform: [2, 6]}}}}
  b:
    kind: truck
    lane: 1
    s: {{uniform: [10, 100]}}
    speed: {{uniform: [5, 30]}}
    behavior: {{keep_lane: {{desired_speed: 25, time_headway: 1.0, reaction_time: 0.5}}}}
  c:
    kind: motorcycle
    lane: 1
    s: {{relative_to: b, offset: {{uniform: [7, 40]}}}}
    speed: {{uniform: [5, 35]}}
    behavior: {{idm: {{desired_speed: 33, max_accel: 3.0}}}}
  d:
    kind: car
    lane: 0
    s: {{relative_to: a, offset: {{uniform: [6, 50]}}}}
    speed: {{uniform: [0, 4]}}
    behavior: {{idm: {{desired_speed: {{uniform: [2, 12]}}}}}}
traffic:
  - kind: car
    count: {{choice: [0, 1, 2, 3]}}
    lanes: [0, 1]
    s_range: [150, 350]
    spacing: {{uniform: [10, 40]}}
    speed: {{uniform: [10, 25]}}
    behavior: {{idm: {{desired_speed: 25}}}}
events:
  near_miss: {{ttc_below: 2.0}}
  collision: {{}}
"""


def spec_text(duration: float = 8.0) -> str:
    return SPEC_TEXT.format(duration=duration)


# ---------------------------------------------------------------------------------------- models


def idm(v, v0, T, s0, a_max, b_comf, delta, gap, v_lead):
    """Intelligent Driver Model (Treiber, Hennecke, Helbing 2000); gap floored at 0.1 m."""
    free = 1.0 - (max(v, 0.0) / v0) ** delta
    if gap == INF:
        return a_max * free
    s_star = s0 + max(0.0, v * T + v * (v - v_lead) / (2.0 * math.sqrt(a_max * b_comf)))
    return a_max * (free - (s_star / max(gap, 0.1)) ** 2)


def acc_model(v, v0, T, s0, a_max, b_comf, delta, gap, v_lead, a_lead, coolness=0.99):
    """IDM + constant-acceleration heuristic (Treiber & Kesting, "Traffic Flow Dynamics", ACC model)."""
    a_idm = idm(v, v0, T, s0, a_max, b_comf, delta, gap, v_lead)
    if gap == INF:
        return a_idm
    s = max(gap, 0.1)
    a_l = min(a_lead, a_max)
    if v_lead * (v - v_lead) <= -2.0 * s * a_l and a_l < 0.0:
        a_cah = v * v * a_l / (v_lead * v_lead - 2.0 * s * a_l)
    else:
        a_cah = a_l - (max(v - v_lead, 0.0) ** 2) / (2.0 * s)
    if a_idm >= a_cah:
        return a_idm
    return (1.0 - coolness) * a_idm + coolness * (a_cah + b_comf * math.tanh((a_idm - a_cah) / b_comf))


# ---------------------------------------------------------------------------------------- reference


def _check_restricted(ki, lay):
    r = ki.road.arrays
    a = ki.arrays
    st = ki.state
    assert np.all(r.heading == 0.0) and np.all(r.curvature == 0.0), "reference needs a straight road"
    assert np.all(r.n_successor == 0) and not np.any(ki.road.dead_end), "reference needs lanes without successors"
    man = a["man_type"] != lay.MAN_NONE
    assert np.all(a["man_type"][man] == lay.MAN_HARD_BRAKE), "reference knows only hard brakes"
    assert np.all(a["man_trig"][man] == lay.TRIG_TIME), "reference knows only time triggers"
    v = st.valid
    assert not np.any(a["free"][v]), "reference has no off-lane agents"
    assert np.all(np.isin(a["model"][v], (lay.MODEL_IDM, lay.MODEL_KEEP_LANE))), "reference models IDM only"
    assert np.all(a["params"][..., lay.P_MOBIL][v] < 0.5), "reference has no lane changes"
    assert np.all(st.offset[v] == 0.0) and np.all(st.lane[v] >= 0)


def simulate_reference(ki, dt: float, n_steps: int, ttc_threshold: float, horizon: float) -> dict:
    """Reference run of every scenario of the compiled batch ``ki`` (``compile_batch`` output).

    Returns float64 arrays: ``s``, ``speed``, ``accel``, ``x``, ``y`` of shape (B, N, T); per-agent
    ``min_ttc``, ``min_distance``, ``max_decel``, ``collision_time`` (B, N); per-scenario ``tet``,
    ``max_drac``, ``min_thw``, ``ego_max_decel``, ``ego_max_jerk``, ``collision_time``,
    ``ego_collision_time`` (B,)."""
    from scenariogen.data import layout as lay

    _check_restricted(ki, lay)
    st, a, r = ki.state, ki.arrays, ki.road.arrays
    B, N = st.shape
    T = n_steps
    out = {k: np.zeros((B, N, T)) for k in ("s", "speed", "accel", "x", "y")}
    per_agent = {k: np.full((B, N), INF) for k in ("min_ttc", "min_distance", "collision_time")}
    per_agent["max_decel"] = np.zeros((B, N))
    per_scn = {k: np.zeros(B) for k in ("tet", "max_drac", "ego_max_decel", "ego_max_jerk")}
    for k in ("min_thw", "collision_time", "ego_collision_time"):
        per_scn[k] = np.full(B, INF)
    lane_x0 = r.px[r.lane_offset[:-1]]
    lane_y0 = r.py[r.lane_offset[:-1]]

    for b in range(B):
        valid = st.valid[b]
        agents = [i for i in range(N) if valid[i]]
        lane = st.lane[b].copy()
        s = st.s[b].astype(float).copy()
        v = st.speed[b].astype(float).copy()
        acc = np.zeros(N)
        crashed = np.zeros(N, bool)
        L, W = st.length[b], st.width[b]
        p = a["params"][b]
        brake, jerk = a["max_brake"][b], a["max_jerk"][b]
        prev_ego_acc = 0.0
        react = p[:, lay.P_REACT].astype(int)
        man_type, man_val = a["man_type"], a["man_val"][b]
        brakes = [(i, k) for i in agents for k in range(man_type.shape[1]) if man_type[i, k] == lay.MAN_HARD_BRAKE]
        man_state = {ik: 0 for ik in brakes}  # 0 waiting, 1 braking, 2 done
        man_t0 = {}
        cmd_hist = np.zeros((T, N))
        for t in range(T):
            time = t * dt
            x = np.array([lane_x0[lane[i]] + s[i] if valid[i] else 0.0 for i in range(N)])
            y = np.array([lane_y0[lane[i]] if valid[i] else 0.0 for i in range(N)])
            for i in agents:
                out["s"][b, i, t] = s[i]
                out["speed"][b, i, t] = v[i]
                out["accel"][b, i, t] = acc[i]
                out["x"][b, i, t] = x[i]
                out["y"][b, i, t] = y[i]

            def gaps(i, j):
                gx = abs(x[j] - x[i]) - 0.5 * (L[i] + L[j])
                gy = abs(y[j] - y[i]) - 0.5 * (W[i] + W[j])
                return gx, gy

            # collisions (closed boxes: touching counts)
            for ii, i in enumerate(agents):
                for j in agents[ii + 1:]:
                    gx, gy = gaps(i, j)
                    if gx <= 0.0 and gy <= 0.0:
                        if crashed[i] and crashed[j]:
                            continue
                        per_scn["collision_time"][b] = min(per_scn["collision_time"][b], time)
                        if i == 0 or j == 0:
                            per_scn["ego_collision_time"][b] = min(per_scn["ego_collision_time"][b], time)
                        for k in (i, j):
                            per_agent["collision_time"][b, k] = min(per_agent["collision_time"][b, k], time)
                            crashed[k] = True

            # ego against every agent
            if valid[0]:
                step_ttc = INF
                for j in agents:
                    if j == 0:
                        continue
                    gx, gy = gaps(0, j)
                    dist = math.hypot(max(gx, 0.0), max(gy, 0.0))
                    per_agent["min_distance"][b, j] = min(per_agent["min_distance"][b, j], dist)
                    if gx <= 0.0 and gy <= 0.0:
                        ttc = 0.0
                    elif gy <= 0.0:  # same lane: the x gap closes at the relative speed
                        closing = (v[0] - v[j]) if x[j] > x[0] else (v[j] - v[0])
                        ttc = gx / closing if closing > 0.0 else INF
                        if ttc > horizon:
                            ttc = INF
                    else:  # parallel lanes never meet
                        ttc = INF
                    per_agent["min_ttc"][b, j] = min(per_agent["min_ttc"][b, j], ttc)
                    step_ttc = min(step_ttc, ttc)
                if step_ttc < ttc_threshold:
                    per_scn["tet"][b] += dt

            # hard brakes start at their trigger time (not for crashed agents)
            for (i, k) in brakes:
                if man_state[(i, k)] == 0 and not crashed[i] and time >= man_val[i, k, lay.M_TRIG]:
                    man_state[(i, k)] = 1
                    man_t0[(i, k)] = time

            # commands from the current state (all agents before any update)
            cmd = cmd_hist[t]
            lead_gap = np.full(N, INF)
            lead_v = np.zeros(N)
            for i in agents:
                if crashed[i]:
                    continue
                ahead = [j for j in agents if j != i and lane[j] == lane[i] and s[j] > s[i]]
                gap, vl, al = INF, 0.0, 0.0
                if ahead:
                    j = min(ahead, key=lambda q: s[q])
                    gap = s[j] - s[i] - 0.5 * (L[i] + L[j])
                    vl, al = v[j], acc[j]
                lead_gap[i], lead_v[i] = gap, vl
                cmd[i] = acc_model(v[i], p[i, lay.P_V0], p[i, lay.P_T], p[i, lay.P_S0], p[i, lay.P_AMAX],
                                   p[i, lay.P_BCOMF], p[i, lay.P_DELTA], gap, vl, al)
            if valid[0] and lead_gap[0] < INF:
                g = max(lead_gap[0], 0.0)
                if v[0] > lead_v[0]:
                    per_scn["max_drac"][b] = max(per_scn["max_drac"][b], (v[0] - lead_v[0]) ** 2 / (2.0 * max(g, 0.01)))
                if v[0] > 0.5:
                    per_scn["min_thw"][b] = min(per_scn["min_thw"][b], g / v[0])

            # limits, then integration
            for i in agents:
                if crashed[i]:
                    v[i] = 0.0
                    acc[i] = 0.0
                    continue
                r_i = react[i]
                target = cmd[i] if r_i <= 0 else (cmd_hist[t - r_i, i] if t >= r_i else 0.0)
                for (j, k) in brakes:
                    if j != i or man_state[(j, k)] != 1:
                        continue
                    dur = man_val[i, k, lay.M_DUR]
                    if (dur > 0.0 and time - man_t0[(i, k)] >= dur) or (dur <= 0.0 and v[i] <= 0.0):
                        man_state[(i, k)] = 2
                        continue
                    target = min(target, -man_val[i, k, lay.M_DECEL])
                target = min(max(target, -brake[i]), 1.5 * p[i, lay.P_AMAX] + 0.5)
                step = jerk[i] * dt
                ai = min(max(target, acc[i] - step), acc[i] + step)
                vn = v[i] + ai * dt
                if vn < 0.0:
                    vn = 0.0
                    ai = -v[i] / dt
                s[i] += 0.5 * (v[i] + vn) * dt
                v[i] = vn
                acc[i] = ai
            for i in agents:
                per_agent["max_decel"][b, i] = max(per_agent["max_decel"][b, i], -acc[i])
            if valid[0]:
                per_scn["ego_max_decel"][b] = max(per_scn["ego_max_decel"][b], -acc[0])
                if t > 0:
                    per_scn["ego_max_jerk"][b] = max(per_scn["ego_max_jerk"][b], abs(acc[0] - prev_ego_acc) / dt)
                prev_ego_acc = acc[0]
    # the ego's own slot holds no encounter metrics
    per_agent["min_ttc"][:, 0] = INF
    per_agent["min_distance"][:, 0] = INF
    per_scn["min_ttc"] = np.min(np.where(st.valid[:, 1:], per_agent["min_ttc"][:, 1:], INF), axis=1, initial=INF)
    per_scn["min_distance"] = np.min(np.where(st.valid[:, 1:], per_agent["min_distance"][:, 1:], INF), axis=1,
                                     initial=INF)
    return {**out, "agent": per_agent, "scenario": per_scn}


# ---------------------------------------------------------------------------------------- comparison

# float32 trajectories: one rounding of a float64 value is at most 2**-24 relative; the reference
# and the kernel agree in float64 to ~1e-12, so 2 float32 ulps plus a tiny absolute floor (accelerations
# near 0) bound every difference. Metrics are float64: 1e-9.
TRAJ_RTOL = 2.0**-22
TRAJ_ATOL = 1e-9
METRIC_RTOL = 1e-9
METRIC_ATOL = 1e-9


def kernel_run(spec, n: int, seed: int, chunk_size: int = 4096):
    """simulate() plus the compiled inputs of the same scenarios (for the reference)."""
    from scenariogen import simulate
    from scenariogen.sim.compile import compile_batch

    batch = simulate(spec, n=n, seed=seed, record="full", chunk_size=chunk_size)
    ki = compile_batch(spec, batch.theta, batch.indices, seed)
    return batch, ki


def compare(spec, batch, ki) -> dict:
    """Largest normalised differences between ``batch`` (kernel) and the reference; each <= 1 passes."""
    from scenariogen.data import layout as lay
    from scenariogen.data.layout import TTC_HORIZON

    thr = min((e.ttc_below for e in spec.events if e.type == "near_miss" and e.ttc_below is not None), default=1.5)
    ref = simulate_reference(ki, spec.dt, spec.steps, thr, TTC_HORIZON)
    valid = ki.state.valid
    errs = {}

    def err(name, got, want, rtol, atol, where=None):
        got = np.asarray(got, dtype=np.float64)
        want = np.asarray(want, dtype=np.float64)
        if where is not None:
            got, want = got[where], want[where]
        same_inf = (np.isinf(got) & np.isinf(want) & (np.sign(got) == np.sign(want)))
        bad_inf = np.isinf(got) != np.isinf(want)
        fin = ~np.isinf(got) & ~np.isinf(want)
        e = np.zeros(got.shape)
        e[fin] = np.abs(got[fin] - want[fin]) / (atol + rtol * np.abs(want[fin]))
        e[bad_inf | np.isnan(got) | np.isnan(want)] = np.inf
        e[same_inf] = 0.0
        errs[name] = float(e.max(initial=0.0))

    tr = batch.trajectories
    for name, f in (("s", lay.F_S), ("speed", lay.F_SPEED), ("accel", lay.F_ACCEL), ("x", lay.F_X), ("y", lay.F_Y)):
        err(name, tr[..., f], ref[name], TRAJ_RTOL, TRAJ_ATOL, where=np.broadcast_to(valid[..., None], tr.shape[:3]))
    for name, col in (("min_ttc", lay.A_MIN_TTC), ("min_distance", lay.A_MIN_DIST), ("max_decel", lay.A_MAX_DECEL),
                      ("collision_time", lay.A_COLL_TIME)):
        err(f"agent.{name}", batch.agent_metrics[..., col], ref["agent"][name], METRIC_RTOL, METRIC_ATOL, where=valid)
    for name in ("min_ttc", "min_distance", "tet", "max_drac", "min_thw", "ego_max_decel", "ego_max_jerk",
                 "collision_time", "ego_collision_time"):
        err(name, batch.metrics[name], ref["scenario"][name], METRIC_RTOL, METRIC_ATOL)
    errs["mask_ok"] = 0.0 if np.array_equal(batch.mask, np.broadcast_to(valid[..., None], batch.mask.shape)) else np.inf
    errs["pet_inf"] = 0.0 if np.all(np.isinf(batch.metrics["min_pet"])) else np.inf
    errs["n_collisions"] = int(np.isfinite(ref["scenario"]["collision_time"]).sum())
    errs["n_clamped"] = int(np.sum((ref["speed"][..., 1:] == 0.0) & (ref["speed"][..., :-1] > 0.0)))
    return errs


def main(argv: list[str]) -> int:
    """Tiny batch (B = 2, 1 s): compare with the reference, print the errors as JSON, save the kernel arrays."""
    import scenariogen

    spec = scenariogen.parse_text(spec_text(duration=1.0))
    batch, ki = kernel_run(spec, n=2, seed=int(argv[1]) if len(argv) > 1 else 5)
    errs = compare(spec, batch, ki)
    if argv:
        np.savez(argv[0], trajectories=batch.trajectories, agent_metrics=batch.agent_metrics,
                 theta=batch.theta, **{f"metric/{k}": v for k, v in batch.metrics.items()})
    import numba

    errs["jit_disabled"] = bool(numba.config.DISABLE_JIT)
    print(json.dumps(errs))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
