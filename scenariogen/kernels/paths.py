"""Predicted paths: where each agent will be over the TTC horizon, and the time to collision (TTC)
of two agents along those paths.

A lane-bound agent is predicted along the lanes it will drive: its route, else the first successor
(as :func:`.order.next_lane` drives it), at its current speed (its arc length on the lane centreline
grows at that speed), with its lateral offset following its lane-change profile (else held; a
tracking error to that reference decays at the controller's lateral gain ``K_LAT``), its heading
along the predicted path, the heading error it has now decaying at the heading gain ``K_HEAD``.
Past the end of its last lane it goes straight on. An off-lane agent (a pedestrian) and a standing
one move at constant velocity along their heading, as does a lane-bound agent whose predicted path
is a straight line over the whole horizon with its offset held. A crashed agent stands still from
the step after its collision.

Each agent's prediction is one *motion row* (columns ``MO_*``) filled once per step
(:func:`set_motions`, ground truth) or from a track (:func:`set_track_motion`, the ego's
perception). Each row also holds an *envelope*: the predicted centre stays within ``MO_DEV0 +
MO_DEV1 t`` (m) of a point moving at constant velocity from where it is now (for a straight path,
at its speed along the lane, off it by the lateral motion only; for a path that turns, a disc
growing at its speed bound). The TTC of two motions (:func:`motion_ttc`) is the first time (s)
their boxes overlap:

- both linear: exactly, :func:`.geometry.box_ttc` (constant velocity, headings held), pruned by the
  closing speed of the two centres where their circumcircles are apart (the ego's straight-line TTC
  of before pruned by it also where they overlapped, and missed a box that closes in while the
  centres draw apart, e.g. a pedestrian stepping towards a car's rear quarter as it passes);
- otherwise: only within the window of time where the two envelopes meet
  (:func:`envelope_window`), on the chords between the predicted poses every ``PRED_DT`` s (each
  piece at constant velocity with the heading half-way between its ends, tested exactly with
  ``box_ttc``), skipping the pieces the circle bound rules out: centres cannot approach faster
  than the sum of the two motions' speed bounds ``MO_VB`` (m/s), less a slack of ``SEAM`` m for
  seams between consecutive lanes. Against exact contact on a junction's true geometry the error is
  a few hundredths of a second (tests/kernels/test_paths.py).

Callers prune with :func:`envelopes_apart` first, which is free for the common pair (two vehicles
on straight lanes: the closing speed of the straight-line TTC). Units: m, s, rad, m/s.
"""

from __future__ import annotations

import math

from numba import njit

from .behavior import smoothstep5
from .geometry import box_ttc, boxes_overlap, circumradius, wrap_angle
from .integrate import K_HEAD, K_LAT
from .lanes import lane_pose, project_local

INF = math.inf
PRED_DT = 0.2  # s between predicted poses (the pieces of a path prediction)
LAT_TOL = 0.01  # m: a lateral offset this close to its reference counts as held
STRAIGHT_TOL = 1e-9  # rad: a lane whose headings all agree this closely is straight
SEAM = 0.25  # m: slack of the circle bound for seams between consecutive lanes
MATCH_HEADING = math.pi / 4  # rad: a track is on its candidate lane only within this of its heading
MATCH_COS = math.cos(MATCH_HEADING)
MATCH_SPEED = 0.1  # m/s: a slower track has no heading of its own
SMOOTH_RATE = 1.875  # largest slope of the minimum-jerk profile (smoothstep5) on [0, 1]

# columns of a motion row
MO_LIN = 0  # 1.0: constant velocity (MO_VX, MO_VY) over the horizon; 0.0: along its lanes
MO_X, MO_Y, MO_H = 1, 2, 3  # pose now: m, m, rad
MO_VX, MO_VY = 4, 5  # m/s, velocity of a linear motion; else of its envelope's centre (below)
MO_VB = 6  # m/s, bound on the speed of the predicted centre
MO_LANE, MO_S, MO_U = 7, 8, 9  # lane, arc length on it now (m), speed along the path (m/s)
MO_RP, MO_RLEN = 10, 11  # position on the route (-1 off it), route length (0: first successors)
MO_D0, MO_DHOLD = 12, 13  # m, lateral offset now and the one held
MO_LCD0, MO_TAU0, MO_LCDUR = 14, 15, 16  # lane change: offset at its start (m), progress now, duration (s; 0: none)
MO_E = 17  # rad, heading error now less the predicted path's direction (decays at K_HEAD)
MO_LEN, MO_WID, MO_R = 18, 19, 20  # box length, width and circumradius (m)
# envelope: the predicted centre stays within MO_DEV0 + MO_DEV1 * t (m) of (MO_X, MO_Y) + (MO_VX, MO_VY) * t
MO_DEV0, MO_DEV1 = 21, 22  # m, m/s
N_MOT = 23


@njit(cache=True)
def start_paths(road, tr):
    """The road's shape for the predictions, into the thread's work arrays ``tr``: per lane whether
    it is a straight line (``tr.lane_straight``) and the direction of its start (``tr.lane_dir``,
    cos and sin), and in ``tr.kmax[0]`` the largest heading change per metre of any lane segment
    (1/m): it bounds how much faster than the centreline a point off it moves."""
    off, length, ph = road.offset, road.length, road.heading
    best = 0.0
    for lane in range(length.shape[0]):
        p0 = off[lane]
        p1 = off[lane + 1]
        step = length[lane] / max(p1 - p0 - 1, 1)
        straight = True
        for k in range(p0 + 1, p1):
            if abs(ph[k] - ph[p0]) > STRAIGHT_TOL:
                straight = False
            if step > 0.0:
                best = max(best, abs(ph[k] - ph[k - 1]) / step)
        tr.lane_straight[lane] = straight
        tr.lane_dir[lane, 0] = math.cos(ph[p0])
        tr.lane_dir[lane, 1] = math.sin(ph[p0])
    tr.kmax[0] = best


@njit(cache=True)
def _next_on_path(lane, rp, route, rlen, road):
    """(next lane, its route position) after ``lane``: the route's next lane, else the first
    successor (route position -1), else (-1, -1)."""
    if rp >= 0 and rp + 1 < rlen and route[rp] == lane:
        return route[rp + 1], rp + 1
    if road.n_successor[lane] > 0:
        return road.successor[lane, 0], -1
    return -1, -1


@njit(cache=True)
def _straight_ahead(lane, s, reach, rp, route, rlen, road, lane_straight):
    """True if the path from arc length ``s`` (m) on ``lane`` over ``reach`` m (route, else first
    successors; straight on past its end) is one straight line: straight lanes, same heading,
    no seam."""
    off, r_len, px, py, ph = road.offset, road.length, road.px, road.py, road.heading
    h0 = ph[off[lane]]
    rem = s + reach
    for _hop in range(64):
        if not lane_straight[lane] or abs(wrap_angle(ph[off[lane]] - h0)) > STRAIGHT_TOL:
            return False
        if rem <= r_len[lane]:
            return True
        nl, rp = _next_on_path(lane, rp, route, rlen, road)
        if nl < 0:
            return True
        pe = off[lane + 1] - 1
        if abs(px[off[nl]] - px[pe]) + abs(py[off[nl]] - py[pe]) > 1e-6:
            return False
        rem -= r_len[lane]
        lane = nl
    return False


@njit(cache=True)
def _lateral(t, row):
    """Predicted lateral offset (m) ``t`` s ahead and its rate (m/s): the lane-change reference (or
    the held offset) plus the tracking error now, decaying at ``K_LAT``."""
    dh = row[MO_DHOLD]
    dur = row[MO_LCDUR]
    ref0 = dh
    ref = dh
    ref_dot = 0.0
    if dur > 0.0:
        q0, _q = smoothstep5(row[MO_TAU0])
        q1, qd1 = smoothstep5(row[MO_TAU0] + t / dur)
        ref0 = dh + (row[MO_LCD0] - dh) * (1.0 - q0)
        ref = dh + (row[MO_LCD0] - dh) * (1.0 - q1)
        ref_dot = -(row[MO_LCD0] - dh) * qd1 / dur
    err = (row[MO_D0] - ref0) * math.exp(-K_LAT * t)
    return ref + err, ref_dot - K_LAT * err


@njit(cache=True)
def motion_pose(mot, i, t, route, road):
    """Predicted (x, y, heading) (m, m, rad) of motion row ``mot[i]`` ``t`` s from now; ``route``
    (N, R): the agents' routes."""
    if mot[i, MO_LIN] > 0.5:
        return mot[i, MO_X] + mot[i, MO_VX] * t, mot[i, MO_Y] + mot[i, MO_VY] * t, mot[i, MO_H]
    lane = int(mot[i, MO_LANE])
    s = mot[i, MO_S] + mot[i, MO_U] * t
    rp = int(mot[i, MO_RP])
    rlen = int(mot[i, MO_RLEN])
    for _hop in range(64):
        if s <= road.length[lane]:
            break
        nl, rp = _next_on_path(lane, rp, route[i], rlen, road)
        if nl < 0:
            break
        s -= road.length[lane]
        lane = nl
    d, d_dot = _lateral(t, mot[i])
    x, y, h, _k = lane_pose(road.offset, road.length, road.px, road.py, road.heading, road.curvature, lane, s, d)
    # heading: along the predicted path (the lateral rate over the speed along the lane), the
    # heading error now to that direction decaying at the controller's heading gain
    u = max(mot[i, MO_U], 1.0)
    return x, y, h + math.atan2(d_dot, u) + mot[i, MO_E] * math.exp(-K_HEAD * t)


@njit(inline="always")
def _linear(mot, i, x, y, h, vx, vy, length, width):
    """Fill ``mot[i]`` with a constant-velocity motion from pose (x, y, h) at (vx, vy) (m/s)."""
    mot[i, MO_LIN] = 1.0
    mot[i, MO_X] = x
    mot[i, MO_Y] = y
    mot[i, MO_H] = h
    mot[i, MO_VX] = vx
    mot[i, MO_VY] = vy
    mot[i, MO_VB] = math.sqrt(vx * vx + vy * vy)
    mot[i, MO_DEV0] = 0.0
    mot[i, MO_DEV1] = 0.0
    mot[i, MO_LEN] = length
    mot[i, MO_WID] = width
    mot[i, MO_R] = circumradius(length, width)


@njit(cache=True)
def _on_lane(mot, i, x, y, h, lane, s, u, rp, rlen, d0, d_hold, lc_d0, tau0, lc_dur, e, length, width, horizon,
             route, road, tr):
    """Fill ``mot[i]`` with a motion along the lanes from ``lane`` at ``s`` (m) and speed ``u`` (m/s)
    (see the module docstring); linear when that path is a straight line over ``horizon`` s with
    the offset held. ``route`` (R,): the agent's route; ``tr``: the road's shape
    (:func:`start_paths`)."""
    ref0 = d_hold
    lat = 0.0
    d_max = abs(d_hold)
    if lc_dur > 0.0:
        q0, _q = smoothstep5(tau0)
        ref0 = d_hold + (lc_d0 - d_hold) * (1.0 - q0)
        lat = SMOOTH_RATE * abs(lc_d0 - d_hold) / lc_dur
        d_max = max(d_max, abs(lc_d0))
    err = d0 - ref0
    if lc_dur <= 0.0 and abs(err) < LAT_TOL:
        d_hold = d0  # held: the offset stays where it is
        err = 0.0
        d_max = abs(d0)
    straight = _straight_ahead(lane, s, u * horizon, rp, route, rlen, road, tr.lane_straight)
    cl, sl = tr.lane_dir[lane, 0], tr.lane_dir[lane, 1]
    if straight and err == 0.0 and lc_dur <= 0.0:  # one straight line, the offset held
        _linear(mot, i, x, y, h, u * cl, u * sl, length, width)
        return
    mot[i, MO_LIN] = 0.0
    mot[i, MO_X] = x
    mot[i, MO_Y] = y
    mot[i, MO_H] = h
    mot[i, MO_LANE] = lane
    mot[i, MO_S] = s
    mot[i, MO_U] = u
    mot[i, MO_RP] = rp
    mot[i, MO_RLEN] = rlen
    mot[i, MO_D0] = d0
    mot[i, MO_DHOLD] = d_hold
    mot[i, MO_LCD0] = lc_d0
    mot[i, MO_TAU0] = tau0
    mot[i, MO_LCDUR] = lc_dur
    mot[i, MO_LEN] = length
    mot[i, MO_WID] = width
    mot[i, MO_R] = circumradius(length, width)
    mot[i, MO_VB] = u * (1.0 + tr.kmax[0] * (d_max + abs(err))) + lat + K_LAT * abs(err)
    if straight:
        # one straight line ahead: the centre moves along it at u, off it by the lateral motion only
        # (from d0 towards d_hold: the lane change left plus the tracking error)
        mot[i, MO_VX] = u * cl
        mot[i, MO_VY] = u * sl
        mot[i, MO_DEV0] = abs(d_hold - ref0) + abs(err)
        mot[i, MO_DEV1] = 0.0
    else:  # lanes that turn, or seams: the centre stays within its speed bound of where it is
        mot[i, MO_VX] = 0.0
        mot[i, MO_VY] = 0.0
        mot[i, MO_DEV0] = SEAM
        mot[i, MO_DEV1] = mot[i, MO_VB]
    # the heading error now, less the predicted path's own direction (it decays at K_HEAD)
    _d, d_dot0 = _lateral(0.0, mot[i])
    mot[i, MO_E] = wrap_angle(e - math.atan2(d_dot0, max(u, 1.0)))


@njit(inline="always")
def envelopes_apart(ma, i, mb, j, dx, dy, cd, t_lim):
    """True if motions ``ma[i]`` and ``mb[j]``, centres (``dx``, ``dy``) (m) apart (``cd``, their
    distance), cannot touch within ``t_lim`` (s): their envelopes' distance, at least ``cd`` less
    the closing speed of their centres times t, stays above their radii. For two linear motions this
    is the closing-speed test of the straight-line TTC."""
    gap = cd - ma[i, MO_R] - mb[j, MO_R] - ma[i, MO_DEV0] - mb[j, MO_DEV0]
    if gap <= 0.0:
        return False
    closing = (-(dx * (mb[j, MO_VX] - ma[i, MO_VX]) + dy * (mb[j, MO_VY] - ma[i, MO_VY])) / cd
               + ma[i, MO_DEV1] + mb[j, MO_DEV1])
    return closing <= 1e-9 or gap >= t_lim * closing


@njit(inline="always")
def set_motion(i, b, time, horizon, road, ag, st, mot, tr):
    """Fill ``mot[i]`` with agent ``i``'s predicted motion from its true state at ``time`` (s);
    ``tr``: the road's shape (:func:`start_paths`). Inlined: the common case, a vehicle on a
    straight lane that it will not leave within the horizon, costs no call."""
    length = ag.length[b, i]
    width = ag.width[b, i]
    x, y, h = st.xs[i], st.ys[i], st.hs[i]
    u = st.v[i]  # a crashed agent stands still from the step after its collision
    lane = st.ln[i]
    if ag.free[b, i] or lane < 0 or u <= 0.0:
        _linear(mot, i, x, y, h, u * math.cos(h), u * math.sin(h), length, width)
    elif (not st.lc_active[i] and abs(st.dl[i] - st.d_hold[i]) < LAT_TOL and tr.lane_straight[lane]
          and (st.sl[i] + u * horizon <= road.length[lane] or road.n_successor[lane] == 0)):
        # straight on within its lane, or past its end (no successor): what _on_lane finds, without the call
        _linear(mot, i, x, y, h, u * tr.lane_dir[lane, 0], u * tr.lane_dir[lane, 1], length, width)
    else:
        lc_dur = st.lc_dur[i] if st.lc_active[i] else 0.0
        tau0 = (time - st.lc_t0[i]) / lc_dur if lc_dur > 0.0 else 0.0
        _on_lane(mot, i, x, y, h, lane, st.sl[i], u, st.route_pos[i], ag.route_len[i], st.dl[i], st.d_hold[i],
                 st.lc_d0[i], tau0, lc_dur, st.e[i], length, width, horizon, ag.route[i], road, tr)


@njit(inline="always")
def set_motions(b, time, cfg, road, ag, st, sc, tr):
    """Every valid agent's predicted motion at ``time`` (s) into ``sc.mot``."""
    for i in range(sc.n_act[0]):
        if ag.valid[b, i]:
            set_motion(i, b, time, cfg.ttc_horizon, road, ag, st, sc.mot, tr)


@njit(inline="always")
def set_track_motion(j, b, horizon, road, ag, st, tr, mot):
    """Fill ``mot[j]`` with the motion the ego predicts for its track ``j``.

    The track has a position, a velocity and a heading (the detected box's), no lane. Its candidate
    lane is the lane the agent is on (what a map matcher that knows the lane ids would find); the
    track is on it when its position lies within half the lane's width of the centreline and its
    direction of travel within ``MATCH_HEADING`` of the lane's. It is then predicted along that lane
    and the first successors (the ego does not know the others' routes) at its speed along the lane,
    its offset held; else it moves at constant velocity (a track slower than ``MATCH_SPEED`` stands
    still)."""
    x, y = tr.trk_x[j], tr.trk_y[j]
    vx, vy = tr.trk_vx[j], tr.trk_vy[j]
    sp = math.sqrt(vx * vx + vy * vy)
    hj = tr.trk_h[j]
    length = ag.length[b, j]
    width = ag.width[b, j]
    lane = st.ln[j]
    done = False
    if sp > MATCH_SPEED and not ag.free[b, j] and lane >= 0:
        if tr.lane_straight[lane]:  # a straight lane: its frame in closed form
            p0 = road.offset[lane]
            c, sn = tr.lane_dir[lane, 0], tr.lane_dir[lane, 1]
            s = (x - road.px[p0]) * c + (y - road.py[p0]) * sn
            d = -(x - road.px[p0]) * sn + (y - road.py[p0]) * c
            lh = road.heading[p0]
        else:
            s, d = project_local(road.offset, road.length, road.px, road.py, road.heading, road.curvature, lane,
                                 x, y, st.sl[j])
            _x, _y, lh, _k = lane_pose(road.offset, road.length, road.px, road.py, road.heading, road.curvature,
                                       lane, s, 0.0)
            c, sn = math.cos(lh), math.sin(lh)
        u = vx * c + vy * sn  # the speed along the lane
        if abs(d) <= 0.5 * road.width[lane] and u > sp * MATCH_COS:
            done = True
            if tr.lane_straight[lane] and (s + u * horizon <= road.length[lane] or road.n_successor[lane] == 0):
                _linear(mot, j, x, y, hj, u * c, u * sn, length, width)
            else:
                _on_lane(mot, j, x, y, hj, lane, s, u, -1, 0, d, d, 0.0, 0.0, 0.0, wrap_angle(hj - lh), length,
                         width, horizon, ag.route[j], road, tr)
    if not done and sp > MATCH_SPEED:
        _linear(mot, j, x, y, hj, vx, vy, length, width)
    elif not done:
        _linear(mot, j, x, y, hj, 0.0, 0.0, length, width)


@njit(cache=True)
def envelope_window(dx, dy, dvx, dvy, a, b, t_lim):
    """(first, last) (s): the times within [0, ``t_lim``] where two envelopes, their centres
    (``dx``, ``dy``) (m) apart closing at (``dvx``, ``dvy``) (m/s), can meet: where the distance of
    the centres is at most ``a + b t`` (m, ``a``, ``b`` >= 0); first > last when never. The times
    between first and last where they cannot meet are not excluded."""
    a += 1e-6  # rounding: never drop a contact at the border
    # |d + v t|^2 - (a + b t)^2 = qa t^2 + qb t + qc <= 0
    qa = dvx * dvx + dvy * dvy - b * b
    qb = 2.0 * (dx * dvx + dy * dvy - a * b)
    qc = dx * dx + dy * dy - a * a
    if qc <= 0.0:
        first = 0.0
    elif abs(qa) <= 1e-12:
        if qb >= 0.0:
            return INF, -INF
        first = -qc / qb
    else:
        disc = qb * qb - 4.0 * qa * qc
        if disc < 0.0:  # qa > 0: never; qa < 0 is impossible with qc > 0
            return (INF, -INF) if qa > 0.0 else (0.0, t_lim)
        r = math.sqrt(disc)
        r1 = (-qb - r) / (2.0 * qa)
        r2 = (-qb + r) / (2.0 * qa)
        lo, hi = min(r1, r2), max(r1, r2)
        if qa > 0.0:  # between the roots
            if hi < 0.0:
                return INF, -INF
            first = max(lo, 0.0)
        else:  # outside them; t = 0 is not in the set, so it lies between them
            first = hi
    if first > t_lim:
        return INF, -INF
    last = t_lim
    if qa > 1e-12:
        r = math.sqrt(max(qb * qb - 4.0 * qa * qc, 0.0))
        last = min(t_lim, (-qb + r) / (2.0 * qa))
    elif abs(qa) <= 1e-12 and qb > 0.0:
        last = min(t_lim, -qc / qb)
    return first, last


@njit(inline="always")
def motion_ttc(ma, i, mb, j, t_lim, route, road):
    """TTC (s) of motion rows ``ma[i]`` and ``mb[j]`` (see the module docstring): 0 if their boxes
    overlap now, else the first time they overlap before ``t_lim`` (s), else INF. ``route`` (N, R):
    the agents' routes. Inlined: two linear motions cost no call (with the road's arrays)."""
    if ma[i, MO_LIN] > 0.5 and mb[j, MO_LIN] > 0.5:
        return _linear_ttc(ma, i, mb, j, t_lim)
    return _path_ttc(ma, i, mb, j, t_lim, route, road)


@njit(cache=True)
def _linear_ttc(ma, i, mb, j, t_lim):
    """:func:`motion_ttc` of two linear motions: the exact box TTC, pruned by the closing speed."""
    xi, yi, hi = ma[i, MO_X], ma[i, MO_Y], ma[i, MO_H]
    xj, yj, hj = mb[j, MO_X], mb[j, MO_Y], mb[j, MO_H]
    li, wi, lj, wj = ma[i, MO_LEN], ma[i, MO_WID], mb[j, MO_LEN], mb[j, MO_WID]
    dx = xj - xi
    dy = yj - yi
    cd = math.sqrt(dx * dx + dy * dy)
    gap = cd - ma[i, MO_R] - mb[j, MO_R]
    if gap <= 0.0 and boxes_overlap(xi, yi, hi, li, wi, xj, yj, hj, lj, wj):
        return 0.0
    # apart by more than their circumcircles: the centres' closing speed bounds the box TTC from below
    dvx = mb[j, MO_VX] - ma[i, MO_VX]
    dvy = mb[j, MO_VY] - ma[i, MO_VY]
    if gap > 0.0:
        closing = -(dx * dvx + dy * dvy) / cd
        if closing <= 1e-9 or gap >= t_lim * closing:
            return INF
    return box_ttc(xi, yi, hi, li, wi, ma[i, MO_VX], ma[i, MO_VY], xj, yj, hj, lj, wj, mb[j, MO_VX], mb[j, MO_VY],
                   t_lim)


@njit(cache=True)
def _path_ttc(ma, i, mb, j, t_lim, route, road):
    """:func:`motion_ttc` where either motion follows its lanes: on the chords between predicted
    poses, within the window where the envelopes meet."""
    xi, yi, hi = ma[i, MO_X], ma[i, MO_Y], ma[i, MO_H]
    xj, yj, hj = mb[j, MO_X], mb[j, MO_Y], mb[j, MO_H]
    li, wi, lj, wj = ma[i, MO_LEN], ma[i, MO_WID], mb[j, MO_LEN], mb[j, MO_WID]
    rr = ma[i, MO_R] + mb[j, MO_R]
    dx = xj - xi
    dy = yj - yi
    cd = math.sqrt(dx * dx + dy * dy)
    gap = cd - rr
    if gap <= 0.0 and boxes_overlap(xi, yi, hi, li, wi, xj, yj, hj, lj, wj):
        return 0.0
    # the window of time where the envelopes meet; nothing outside it can touch
    first, last = envelope_window(dx, dy, mb[j, MO_VX] - ma[i, MO_VX], mb[j, MO_VY] - ma[i, MO_VY],
                                  rr + ma[i, MO_DEV0] + mb[j, MO_DEV0], ma[i, MO_DEV1] + mb[j, MO_DEV1], t_lim)
    if first > last:
        return INF
    vsum = ma[i, MO_VB] + mb[j, MO_VB]
    if vsum <= 0.0:  # neither moves: apart now, apart for good
        return INF
    k = int(math.floor(first / PRED_DT))
    if k > 0:
        xi, yi, hi = motion_pose(ma, i, k * PRED_DT, route, road)
        xj, yj, hj = motion_pose(mb, j, k * PRED_DT, route, road)
    for _piece in range(1 << 20):
        t0 = k * PRED_DT
        if t0 >= t_lim or t0 > last:
            return INF
        dx = xj - xi
        dy = yj - yi
        g = math.sqrt(dx * dx + dy * dy) - rr - SEAM
        if g > vsum * PRED_DT:  # no contact before t0 + g / vsum: go to the piece that holds it
            k = max(k + 1, int(math.floor((t0 + g / vsum) / PRED_DT)))
            if k * PRED_DT >= t_lim:
                return INF
            xi, yi, hi = motion_pose(ma, i, k * PRED_DT, route, road)
            xj, yj, hj = motion_pose(mb, j, k * PRED_DT, route, road)
            continue
        t1 = (k + 1) * PRED_DT
        xi1, yi1, hi1 = motion_pose(ma, i, t1, route, road)
        xj1, yj1, hj1 = motion_pose(mb, j, t1, route, road)
        # the piece: each box along its chord, turned half-way to its heading at the end
        tau = box_ttc(xi, yi, hi + 0.5 * wrap_angle(hi1 - hi), li, wi, (xi1 - xi) / PRED_DT, (yi1 - yi) / PRED_DT,
                      xj, yj, hj + 0.5 * wrap_angle(hj1 - hj), lj, wj, (xj1 - xj) / PRED_DT, (yj1 - yj) / PRED_DT,
                      min(PRED_DT, t_lim - t0))
        if tau < INF:
            return t0 + tau
        xi, yi, hi = xi1, yi1, hi1
        xj, yj, hj = xj1, yj1, hj1
        k += 1
    return INF
