"""Motion of one step: every agent moves by its acceleration over ``dt``.

On-lane agents: jerk- and braking-limited acceleration (set before), a
kinematic bicycle in the lane's Frenet frame (s, d, heading error) with a
steering-limited lateral controller tracking the agent's held lateral offset
(its initial one; the lane centre after a lane change; plus, for a driver with
``P_WSD`` > 0, its wander: an Ornstein-Uhlenbeck process clipped to the lane and
clear of the vehicles alongside in its own and the adjacent lanes, the lateral acceleration off the lane's
curve then kept within ``P_ALAT``) or a minimum-jerk
lane-change profile; lane transitions follow the route or the
first successor; an agent with ``P_LEAVE`` set leaves the scene (``valid`` turns false) once its
body is past the end of a lane without successor. Pedestrians and other off-lane agents walk their crossing
path once their manoeuvre started, else keep a constant velocity; crashed
agents stand still. Units: m, s, rad, m/s, m/s^2.
"""

from __future__ import annotations

import math

from numba import njit

from ..data.layout import M_SPEED, MAN_CROSS, P_ALAT, P_LEAVE, P_WSD, P_WTAU
from .behavior import ou_step, smoothstep5
from .lanes import lane_pose, project_local
from .order import next_lane, turned_width

K_LAT = 0.8  # 1/s, lateral offset gain
K_HEAD = 2.5  # 1/s, heading-error gain
STEER_RATE = 0.7  # rad/s, steering rate limit
LC_SETTLED = 0.5  # m from its target offset at which a lane change whose time is up has ended
WANDER_MARGIN = 0.05  # m kept between a wandering target's box and its lane's edge
# m kept sideways between a wandering target's box and a vehicle alongside (in its own or an adjacent lane): real
# drivers drift but do not drift into the car beside them (the NGSIM logs have no side contacts); it
# leaves room for the steering's overshoot and the box's turn (a few cm) and for the neighbour's own wander
WANDER_CLEARANCE = 0.5
ALONGSIDE_MARGIN = 1.0  # m added to the boxes' half lengths: a neighbour this close lengthwise is alongside


@njit(inline="always")
def integrate(b, time, dt, road, ag, init, st, sc):
    """Advance every agent of scenario ``b`` from ``time`` to ``time + dt`` (s)."""
    valid, free, length, width, max_steer = ag.valid, ag.free, ag.length, ag.width, ag.max_steer
    route, route_len, man_type, man_val = ag.route, ag.route_len, ag.man_type, ag.man_val
    path, path_len = ag.path, ag.path_len
    x0, y0 = init.x, init.y
    r_off, r_len, r_px, r_py, r_ph, r_pk = road.offset, road.length, road.px, road.py, road.heading, road.curvature
    r_succ, r_nsucc = road.successor, road.n_successor
    xs, ys, hs, v, acc, e, dl, sl, ln = st.xs, st.ys, st.hs, st.v, st.acc, st.e, st.dl, st.sl, st.ln
    steer, crashed, route_pos, path_pos = st.steer, st.crashed, st.route_pos, st.path_pos
    man_state, man_t0 = st.man_state, st.man_t0
    lc_active, lc_t0, lc_dur, lc_d0, d_hold = st.lc_active, st.lc_t0, st.lc_dur, st.lc_d0, st.d_hold
    N = sc.n_act[0]
    for i in range(N):
        if init.replay[b, i]:
            replay_step(i, b, time, dt, road, valid, init, st)
            continue
        if not valid[b, i]:
            continue
        if crashed[i]:
            v[i] = 0.0
            acc[i] = 0.0
            continue
        if free[b, i]:
            move_free(i, b, time, dt, xs, ys, hs, v, acc, man_type, man_state, man_t0, man_val, path, path_len,
                      path_pos, x0, y0, length, width, valid, free)
            continue
        a_i = acc[i]
        vi = v[i]
        vn = vi + a_i * dt
        if vn < 0.0:
            vn = 0.0
            a_i = -vi / dt
        vm = 0.5 * (vi + vn)
        li = ln[i]
        # lateral reference: the held offset (plus its wander), or the lane-change profile towards it
        d_ref = d_hold[i]
        d_ref_dot = 0.0
        wsd = ag.params[b, i, P_WSD]
        if wsd > 0.0 and time > 0.5 * dt:  # the wander moves on every step, changing lanes or not
            st.wander_rng[i], st.wander[i] = ou_step(st.wander[i], st.wander_rng[i], dt, ag.params[b, i, P_WTAU])
        wandering = wsd > 0.0 and not lc_active[i]
        if wandering:  # within the lane's room and clear of the neighbours alongside, or no further than the held offset
            room = max(0.5 * (road.width[li] - width[b, i]) - WANDER_MARGIN, 0.0)
            lo, hi = side_room(b, i, li, road, ag, st, sc)
            d_ref = max(min(max(lo, -room), d_ref), min(max(min(hi, room), d_ref), d_ref + wsd * st.wander[i]))
        if lc_active[i]:
            tau = (time - lc_t0[i]) / lc_dur[i]
            q, qd = smoothstep5(tau)
            d_ref = d_hold[i] + (lc_d0[i] - d_hold[i]) * (1.0 - q)
            d_ref_dot = -(lc_d0[i] - d_hold[i]) * qd / lc_dur[i]
            if tau >= 1.0 and abs(dl[i] - d_hold[i]) < LC_SETTLED:  # a car that stopped mid-change
                lc_active[i] = False  # is still changing
        _xx, _yy, _hh, kappa = lane_pose(r_off, r_len, r_px, r_py, r_ph, r_pk, li, sl[i], 0.0)
        wheelbase = 0.6 * length[b, i]
        vv = max(vm, 1.0)
        e_des = math.atan2(d_ref_dot + K_LAT * (d_ref - dl[i]), vv)
        ei = e[i]
        di = dl[i]
        ce = math.cos(ei)  # once: the store to steer[i] below would make the compiler read e[i] again
        turn = K_HEAD * (e_des - ei)
        if wandering:  # a wandering driver keeps its lateral acceleration off the lane's curve within P_ALAT
            a_cap = ag.params[b, i, P_ALAT] / vv
            turn = max(-a_cap, min(a_cap, turn))
        yaw_rate = kappa * vm * ce / max(1.0 - kappa * di, 0.1) + turn
        delta_cmd = math.atan(wheelbase * yaw_rate / vv)
        ds_ = STEER_RATE * dt
        delta = max(steer[i] - ds_, min(steer[i] + ds_, delta_cmd))
        lim = max_steer[b, i]
        delta = max(-lim, min(lim, delta))
        steer[i] = delta
        s_dot = vm * ce / max(1.0 - kappa * di, 0.1)
        dl[i] = di + vm * math.sin(ei) * dt
        e[i] = ei + (vm * math.tan(delta) / wheelbase - kappa * s_dot) * dt
        sl[i] += s_dot * dt
        v[i] = vn
        acc[i] = a_i
        # lane transitions
        while sl[i] > r_len[li]:
            nl = next_lane(i, li, route, route_len, route_pos, r_succ, r_nsucc)
            if nl < 0:
                break
            sl[i] -= r_len[li]
            sc.lane_enter[li] = time + dt  # it drove past the end of li (a junction's stop line)
            if route_pos[i] >= 0 and route_pos[i] + 1 < route_len[i] and route[i, route_pos[i] + 1] == nl:
                route_pos[i] += 1
            else:
                route_pos[i] = -1
            li = nl
            ln[i] = nl
        if ag.params[b, i, P_LEAVE] > 0.0 and sl[i] - 0.5 * length[b, i] > r_len[li] and r_nsucc[li] == 0:
            valid[b, i] = False  # off the end of the map: it leaves the scene (a seeded vehicle, as it left its log)
            continue
        px_, py_, lh, _k = lane_pose(r_off, r_len, r_px, r_py, r_ph, r_pk, li, sl[i], dl[i])
        xs[i] = px_
        ys[i] = py_
        hs[i] = lh + e[i]


@njit(cache=True, no_cpython_wrapper=True)
def side_room(b, i, li, road, ag, st, sc):
    """Bounds (lo, hi) on agent ``i``'s lateral offset (m, left +) in its lane ``li`` that keep its
    box ``WANDER_CLEARANCE`` m sideways from every vehicle alongside it: in the lanes to its left
    and right (boxes overlapping lengthwise within ``ALONGSIDE_MARGIN`` m), and in its own lane
    (boxes overlapping lengthwise: one passing it at an offset, on the side it is on now);
    (-inf, inf) if none."""
    lo, hi = -math.inf, math.inf
    length, width = ag.length, ag.width
    w_i = turned_width(width[b, i], length[b, i], st.e[i])  # as turned now: heading across, its corners reach out
    for q in range(sc.lane_first[li], sc.lane_end[li]):  # its own lane: offsets and arc lengths on li itself
        j = sc.order[q]
        if j == i or not ag.valid[b, j] or ag.free[b, j] or st.ln[j] != li:
            continue
        if abs(st.sl[j] - st.sl[i]) >= 0.5 * (length[b, i] + length[b, j]):
            continue  # ahead or behind, not alongside
        half = 0.5 * (w_i + turned_width(width[b, j], length[b, j], st.e[j])) + WANDER_CLEARANCE
        if st.dl[j] > st.dl[i]:
            hi = min(hi, st.dl[j] - half)
        else:
            lo = max(lo, st.dl[j] + half)
    ch, sh = math.cos(st.hs[i]), math.sin(st.hs[i])
    for k in range(2):
        side = road.left[li] if k == 0 else road.right[li]
        if side < 0:
            continue
        for q in range(sc.lane_first[side], sc.lane_end[side]):
            j = sc.order[q]
            if j == i or not ag.valid[b, j] or ag.free[b, j]:
                continue
            reach = 0.5 * (length[b, i] + length[b, j]) + ALONGSIDE_MARGIN
            if abs((st.xs[j] - st.xs[i]) * ch + (st.ys[j] - st.ys[i]) * sh) >= reach + 1.0:
                continue  # far along the road (1 m spare for the lanes' curve): no projection needed
            sj, dj = project_local(road.offset, road.length, road.px, road.py, road.heading, road.curvature, li,
                                   st.xs[j], st.ys[j], st.sl[i])
            if abs(sj - st.sl[i]) >= reach:
                continue
            half = 0.5 * (w_i + turned_width(width[b, j], length[b, j], st.e[j])) + WANDER_CLEARANCE
            if k == 0:  # by its lane, not by dj's sign: a neighbour nosing towards i's lane stays on its side
                hi = min(hi, dj - half)
            else:
                lo = max(lo, dj + half)
    return lo, hi


@njit(cache=True, no_cpython_wrapper=True)
def replay_step(i, b, time, dt, road, valid, init, st):
    """Log-replay agent ``i``: its recorded state at ``time + dt`` (s), whatever happened; it enters
    and leaves the scene (``valid``) as it does in the log."""
    t1 = int(round(time / dt)) + 1
    was = valid[b, i]
    now = init.rpresent[b, i, t1]
    valid[b, i] = now
    if not now:
        return
    v_old = st.v[i]
    st.xs[i] = init.rx[b, i, t1]
    st.ys[i] = init.ry[b, i, t1]
    st.hs[i] = init.rh[b, i, t1]
    st.v[i] = init.rv[b, i, t1]
    st.acc[i] = (st.v[i] - v_old) / dt if was else 0.0
    li = init.rlane[b, i, t1]
    st.ln[i] = li
    st.sl[i] = init.rs[b, i, t1]
    st.dl[i] = init.roff[b, i, t1]
    st.d_hold[i] = st.dl[i]
    st.crashed[i] = False
    st.lc_active[i] = False
    st.route_pos[i] = -1
    if li >= 0:
        _x, _y, lh, _k = lane_pose(road.offset, road.length, road.px, road.py, road.heading, road.curvature, li,
                                   st.sl[i], 0.0)
        st.e[i] = st.hs[i] - lh


@njit(cache=True)
def _blocked(i, b, px, py, xs, ys, hs, length, width, valid, free):
    """True if point (px, py) lies within 0.6 m of another (non-free) agent's box: a walker waits there."""
    for j in range(xs.shape[0]):
        if j == i or not valid[b, j] or free[b, j]:
            continue
        dx = px - xs[j]
        dy = py - ys[j]
        c = math.cos(hs[j])
        sn = math.sin(hs[j])
        if abs(c * dx + sn * dy) < 0.5 * length[b, j] + 0.6 and abs(-sn * dx + c * dy) < 0.5 * width[b, j] + 0.6:
            return True
    return False


@njit(cache=True)
def move_free(i, b, time, dt, xs, ys, hs, v, acc, man_type, man_state, man_t0, man_val, path, path_len,
              path_pos, x0, y0, length, width, valid, free):
    """Off-lane agent ``i``: walk the crossing path once its manoeuvre started (waiting while a
    vehicle blocks the next step), else keep a constant velocity."""
    K = man_type.shape[1]
    for k in range(K):
        if man_type[i, k] != MAN_CROSS:
            continue
        if man_state[i, k] == 0:
            # waiting at the kerb: stand still
            v[i] = 0.0
            acc[i] = 0.0
            return
        if man_state[i, k] == 2:
            v[i] = 0.0
            return
        speed = man_val[b, i, k, M_SPEED]
        pp = path_pos[i] + speed * dt
        n = path_len[i]
        # walk along the polyline of offsets
        rem = pp
        for p in range(n - 1):
            ax, ay = path[i, p, 0], path[i, p, 1]
            bx, by = path[i, p + 1, 0], path[i, p + 1, 1]
            seg = math.sqrt((bx - ax) ** 2 + (by - ay) ** 2)
            if rem <= seg or p == n - 2:
                f = min(rem / seg, 1.0) if seg > 0 else 1.0
                nx = x0[b, i] + ax + f * (bx - ax)
                ny = y0[b, i] + ay + f * (by - ay)
                if _blocked(i, b, nx, ny, xs, ys, hs, length, width, valid, free):
                    v[i] = 0.0
                    return
                xs[i] = nx
                ys[i] = ny
                hs[i] = math.atan2(by - ay, bx - ax)
                if rem >= seg and p == n - 2:
                    man_state[i, k] = 2
                    man_t0[i, k] = time  # its end time (for after_previous)
                    v[i] = 0.0
                else:
                    v[i] = speed
                break
            rem -= seg
        path_pos[i] = pp
        return
    xs[i] += v[i] * math.cos(hs[i]) * dt
    ys[i] += v[i] * math.sin(hs[i]) * dt
