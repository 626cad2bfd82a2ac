"""The simulator's metrics: per step on the current state, and once at the end of a scenario.

Per step: collisions of any two agents (sweep and prune along x, then an
exact oriented-box test; colliding agents stop where they are), the named
actors' smallest gap and TTC to any agent, the ego's box distance and TTC to
every agent with TET, DRAC and time headway to its leader, and
the largest decelerations and the ego's jerk. At the end: PET, occlusion of
each agent before its closest approach, the dropout summary, and the
scenario's metrics row. Every TTC is the first time the two boxes overlap
along the paths the agents are predicted to follow (:mod:`.paths`: lanes
along routes at constant speed, straight lines for off-lane agents), within
the horizon ``ttc_horizon``. Columns: ``data.layout`` ``S_*`` and ``A_*``. The
running values live in the output rows themselves. Units: m, s, m/s, m/s^2.
"""

from __future__ import annotations

import math

from numba import njit

from ..data.layout import (
    A_COLL_TIME,
    A_MAX_DECEL,
    A_MIN_DIST,
    A_MIN_GAP,
    A_MIN_TTC,
    A_MIN_TTC_ANY,
    A_OCC_AT_ENTRY,
    A_OCC_LONGEST,
    A_OCC_TOTAL,
    A_PET,
    A_T_MIN_DIST,
    A_T_MIN_TTC,
    E_RANGE,
    E_THRESHOLD,
    S_AEB_TIME,
    S_COLL_A,
    S_COLL_B,
    S_COLL_TIME,
    S_DROP_COUNT,
    S_DROP_CRITICAL,
    S_DROP_LONGEST,
    S_DROP_THREAT_LONGEST,
    S_EGO_COLL_TIME,
    S_EGO_MAX_DECEL,
    S_EGO_MAX_JERK,
    S_MAX_DRAC,
    S_MIN_DIST,
    S_MIN_PET,
    S_MIN_THW,
    S_MIN_TTC,
    S_TET,
    THREAT_TTC,
)
from .geometry import box_distance_below, boxes_overlap
from .order import insertion_sort
from .paths import MO_R, envelopes_apart, motion_ttc
from .safety import crossing_pet, follow_drac_thw
from .typed import ZERO

INF = math.inf


@njit(cache=True, no_cpython_wrapper=True)
def start_metrics(b, n_named, out):
    """Reset scenario ``b``'s metric rows to the values the step loop improves on."""
    metrics, agent_metrics = out.metrics, out.agent_metrics
    for i in range(agent_metrics.shape[1]):
        for m in range(agent_metrics.shape[2]):
            agent_metrics[b, i, m] = INF
        agent_metrics[b, i, A_MAX_DECEL] = 0.0
        agent_metrics[b, i, A_OCC_AT_ENTRY] = math.nan
        # the gap to every other agent is tracked for the named actors other than the ego (others: nan)
        agent_metrics[b, i, A_MIN_GAP] = INF if 0 < i < n_named else math.nan
        agent_metrics[b, i, A_MIN_TTC_ANY] = INF if 0 < i < n_named else math.nan
    metrics[b, S_TET] = 0.0
    metrics[b, S_MAX_DRAC] = 0.0
    metrics[b, S_MIN_THW] = INF
    metrics[b, S_EGO_MAX_DECEL] = 0.0
    metrics[b, S_EGO_MAX_JERK] = 0.0
    metrics[b, S_COLL_TIME] = INF
    metrics[b, S_COLL_A] = -1.0
    metrics[b, S_COLL_B] = -1.0
    metrics[b, S_EGO_COLL_TIME] = INF
    metrics[b, S_AEB_TIME] = INF


@njit(inline="always")
def collisions(b, time, ag, out, st, sc):
    """Mark colliding agents as crashed and note the first collision times (sweep and prune on x);
    the circumradii come from this step's motion rows (``sc.mot``, :func:`.paths.set_motions`)."""
    valid, length, width = ag.valid, ag.length, ag.width
    xs, ys, hs, crashed = st.xs, st.ys, st.hs, st.crashed
    pos, key = sc.pos, sc.key
    metrics, agent_metrics = out.metrics, out.agent_metrics
    N = sc.n_act[0]  # the slots past it are empty: they stay at the end of ``pos``, in place
    for i in range(N):  # order by x for the sweep (insertion sort, nearly sorted)
        key[i] = xs[i] if valid[b, i] else INF
    insertion_sort(pos, key, N)
    mot = sc.mot  # this step's motion rows (paths.set_motions): the circumradii
    rmax = 0.0
    for i in range(N):
        if valid[b, i]:
            rmax = max(rmax, mot[i, MO_R])
    for p in range(N):
        i = pos[p]
        if not valid[b, i]:
            break
        ri = mot[i, MO_R]
        for q in range(p + 1, N):
            j = pos[q]
            if not valid[b, j] or xs[j] - xs[i] > ri + rmax:
                break
            rj = mot[j, MO_R]
            dx = xs[j] - xs[i]
            dy = ys[j] - ys[i]
            if dx * dx + dy * dy > (ri + rj) * (ri + rj):
                continue
            if boxes_overlap(xs[i], ys[i], hs[i], length[b, i], width[b, i],
                             xs[j], ys[j], hs[j], length[b, j], width[b, j]):
                if crashed[i] and crashed[j]:
                    continue
                if time < metrics[b, S_COLL_TIME]:
                    metrics[b, S_COLL_TIME] = time
                    metrics[b, S_COLL_A] = min(i, j)
                    metrics[b, S_COLL_B] = max(i, j)
                if (i == 0 or j == 0) and time < metrics[b, S_EGO_COLL_TIME]:
                    metrics[b, S_EGO_COLL_TIME] = time
                for a_ in (i, j):
                    if agent_metrics[b, a_, A_COLL_TIME] == INF:
                        agent_metrics[b, a_, A_COLL_TIME] = time
                    crashed[a_] = True


@njit(inline="always")
def named_actor_metrics(b, cfg, road, ag, out, st, sc):
    """The named actors' (ego excluded) smallest box gap and path TTC to any agent (``sc.mot``: this
    step's predicted motions, :func:`.paths.set_motions`). Runs after :func:`ego_metrics`: a TTC to
    the ego is the ego's to the actor (``sc.ttc0``, exact below ``sc.tlim0``), and the TTC of two
    named actors is computed once for both."""
    valid, length, width = ag.valid, ag.length, ag.width
    xs, ys, hs = st.xs, st.ys, st.hs
    mot = sc.mot
    agent_metrics = out.agent_metrics
    ttc_horizon = cfg.ttc_horizon
    n_named = cfg.n_named
    N = sc.n_act[0]
    for i in range(1, n_named):
        if not valid[b, i]:
            continue
        ri = mot[i, MO_R]
        for j in range(N):
            if j == i or not valid[b, j]:
                continue
            dx = xs[j] - xs[i]
            dy = ys[j] - ys[i]
            cd = math.sqrt(dx * dx + dy * dy)
            lower_gap = cd - ri - mot[j, MO_R]
            if lower_gap < agent_metrics[b, i, A_MIN_GAP]:
                gap = box_distance_below(agent_metrics[b, i, A_MIN_GAP], xs[i], ys[i], hs[i], length[b, i],
                                         width[b, i], xs[j], ys[j], hs[j], length[b, j], width[b, j])
                if gap < agent_metrics[b, i, A_MIN_GAP]:
                    agent_metrics[b, i, A_MIN_GAP] = gap
            # TTC as for the ego: the path TTC only where it can improve the smallest so far
            if 0 < j < i:
                continue  # two named actors: done when j was the first of the pair
            t_lim = min(agent_metrics[b, i, A_MIN_TTC_ANY], ttc_horizon)
            if j < n_named:  # a named actor too: what improves either
                t_lim = min(max(t_lim, agent_metrics[b, j, A_MIN_TTC_ANY]), ttc_horizon)
            if j == 0 and (sc.ttc0[i] < INF or sc.tlim0[i] >= t_lim):
                ttc = sc.ttc0[i]  # the ego's TTC to i: exact, or none before t_lim
            elif envelopes_apart(mot, i, mot, j, dx, dy, cd, t_lim):
                continue
            else:
                ttc = motion_ttc(mot, i, mot, j, t_lim, ag.route, road)
            if ttc < agent_metrics[b, i, A_MIN_TTC_ANY]:
                agent_metrics[b, i, A_MIN_TTC_ANY] = ttc
            if 0 < j < n_named and ttc < agent_metrics[b, j, A_MIN_TTC_ANY]:
                agent_metrics[b, j, A_MIN_TTC_ANY] = ttc


@njit(inline="always")
def ego_metrics(b, time, exact_below, cfg, road, ag, out, st, sc):
    """The ego's smallest box distance (and when) and path TTC (and when) to every agent, and TET;
    returns the ego's smallest TTC this step (s, inf without an ego). Each agent's TTC this step goes
    to ``sc.ttc0`` (INF: none before ``sc.tlim0``, s), for :func:`named_actor_metrics`. Every TTC below
    ``exact_below`` (s) is exact: the dropout summary asks whether a threat was present during each
    burst, and an AEB without a sensor brakes on it. ``sc.mot``: this step's predicted motions."""
    valid, length, width = ag.valid, ag.length, ag.width
    xs, ys, hs = st.xs, st.ys, st.hs
    mot = sc.mot
    metrics, agent_metrics = out.metrics, out.agent_metrics
    ttc_threshold, ttc_horizon = cfg.ttc_threshold, cfg.ttc_horizon
    N = sc.n_act[0]
    if not valid[b, 0]:
        return INF
    le, we = length[b, 0], width[b, 0]
    re = mot[0, MO_R]
    step_ttc = INF
    for j in range(1, N):
        if not valid[b, j]:
            continue
        rj = mot[j, MO_R]
        dx = xs[j] - xs[0]
        dy = ys[j] - ys[0]
        cd = math.sqrt(dx * dx + dy * dy)
        if cd - re - rj < agent_metrics[b, j, A_MIN_DIST]:
            dist = box_distance_below(agent_metrics[b, j, A_MIN_DIST], xs[0], ys[0], hs[0], le, we, xs[j], ys[j],
                                      hs[j], length[b, j], width[b, j])
            if dist < agent_metrics[b, j, A_MIN_DIST]:
                agent_metrics[b, j, A_MIN_DIST] = dist
                agent_metrics[b, j, A_T_MIN_DIST] = time
        # the path TTC only where it can matter: below the larger of the thresholds and the pair's
        # smallest so far, and where the envelopes of the two motions can meet (for two agents at
        # constant velocity, the closing speed of their centres: most pairs stop here)
        t_lim = min(max(ttc_threshold, exact_below, agent_metrics[b, j, A_MIN_TTC]), ttc_horizon)
        sc.tlim0[j] = t_lim
        sc.ttc0[j] = INF
        if envelopes_apart(mot, 0, mot, j, dx, dy, cd, t_lim):
            continue
        ttc = motion_ttc(mot, ZERO, mot, j, t_lim, ag.route, road)
        sc.ttc0[j] = ttc
        if ttc < agent_metrics[b, j, A_MIN_TTC]:
            agent_metrics[b, j, A_MIN_TTC] = ttc
            agent_metrics[b, j, A_T_MIN_TTC] = time
        if ttc < step_ttc:
            step_ttc = ttc
    if step_ttc < ttc_threshold:
        metrics[b, S_TET] += cfg.dt
    return step_ttc


@njit(inline="always")
def leader_metrics(b, ag, out, st):
    """The ego's DRAC and time headway to the leader it found this step."""
    valid, v, lead_gap, lead_v, metrics = ag.valid, st.v, st.lead_gap, st.lead_v, out.metrics
    if valid[b, 0] and lead_gap[0] < INF:
        drac, thw = follow_drac_thw(v[0], lead_v[0], lead_gap[0])
        metrics[b, S_MAX_DRAC] = max(metrics[b, S_MAX_DRAC], drac)
        metrics[b, S_MIN_THW] = min(metrics[b, S_MIN_THW], thw)


@njit(inline="always")
def accel_metrics(b, t, ego_prev_acc, cfg, ag, out, st):
    """Every agent's largest deceleration, the ego's and its largest jerk; returns the ego's
    acceleration (m/s^2) for the next step's jerk."""
    valid, acc, metrics, agent_metrics = ag.valid, st.acc, out.metrics, out.agent_metrics
    for i in range(acc.shape[0]):
        if valid[b, i] and -acc[i] > agent_metrics[b, i, A_MAX_DECEL]:
            agent_metrics[b, i, A_MAX_DECEL] = -acc[i]
    if valid[b, 0]:
        metrics[b, S_EGO_MAX_DECEL] = max(metrics[b, S_EGO_MAX_DECEL], -acc[0])
        if t > 0:
            metrics[b, S_EGO_MAX_JERK] = max(metrics[b, S_EGO_MAX_JERK], abs(acc[0] - ego_prev_acc) / cfg.dt)
        return acc[0]
    return ego_prev_acc


@njit(inline="always")
def _ever(present, T):
    """Whether an agent was in the scene at any of the ``T`` steps of its history ``present`` (a
    replayed agent may have left before the end)."""
    for t in range(T):
        if present[t]:
            return True
    return False


@njit(cache=True, no_cpython_wrapper=True)
def finish_metrics(b, has_sensor, cfg, ag, sensor, out, sc, tr):
    """After the last step: PET of the ego against every agent, occlusion of each agent before its
    closest approach and the dropout summary (with a sensor), and the scenario's smallest TTC,
    distance and PET."""
    width = ag.width
    hx, hy, hh, present = sc.hx, sc.hy, sc.hh, sc.present
    metrics, agent_metrics = out.metrics, out.agent_metrics
    dt = cfg.dt
    N = hx.shape[0]
    T = cfg.n_steps
    m_pet = INF
    for j in range(1, N):
        if not _ever(present[j], T):
            continue
        best = crossing_pet(agent_metrics[b, j, A_MIN_DIST], hx[0], hy[0], hh[0], present[0], width[b, 0],
                            hx[j], hy[j], hh[j], present[j], width[b, j], dt)
        agent_metrics[b, j, A_PET] = best
        m_pet = min(m_pet, best)

    if has_sensor:
        vis_hist, drop_hist, drop_ttc = tr.vis_hist, tr.drop_hist, tr.drop_ttc
        thr = sensor.params[b, E_THRESHOLD]
        rng2 = sensor.params[b, E_RANGE] ** 2
        for j in range(1, N):
            if not _ever(present[j], T):
                continue
            t_end = agent_metrics[b, j, A_T_MIN_DIST]
            total = 0.0
            run = 0.0
            longest = 0.0
            for t in range(T):
                if t * dt > t_end:
                    break
                dx = hx[j, t] - hx[0, t]
                dy = hy[j, t] - hy[0, t]
                if present[j, t] and vis_hist[t, j] < thr and dx * dx + dy * dy < rng2:
                    total += dt
                    run += dt
                    longest = max(longest, run)
                else:
                    run = 0.0
            agent_metrics[b, j, A_OCC_TOTAL] = total
            agent_metrics[b, j, A_OCC_LONGEST] = longest
        count = 0
        longest = 0.0
        threat_longest = 0.0
        critical = 0.0
        t = 0
        while t < T:
            if not drop_hist[t]:
                t += 1
                continue
            t0 = t
            threat = False
            crit = False
            while t < T and drop_hist[t]:
                if drop_ttc[t] < THREAT_TTC:
                    threat = True
                if drop_ttc[t] < cfg.ttc_threshold:
                    crit = True
                t += 1
            dur = (t - t0) * dt
            count += 1
            longest = max(longest, dur)
            if threat:
                threat_longest = max(threat_longest, dur)
            if crit:
                critical = 1.0
        metrics[b, S_DROP_COUNT] = count
        metrics[b, S_DROP_LONGEST] = longest
        metrics[b, S_DROP_THREAT_LONGEST] = threat_longest
        metrics[b, S_DROP_CRITICAL] = critical
    else:
        for j in range(N):
            agent_metrics[b, j, A_OCC_TOTAL] = 0.0
            agent_metrics[b, j, A_OCC_LONGEST] = 0.0
        metrics[b, S_DROP_COUNT] = 0.0
        metrics[b, S_DROP_LONGEST] = 0.0
        metrics[b, S_DROP_THREAT_LONGEST] = 0.0
        metrics[b, S_DROP_CRITICAL] = 0.0

    m_min_ttc = INF
    m_min_dist = INF
    for j in range(1, N):
        if _ever(present[j], T):
            m_min_ttc = min(m_min_ttc, agent_metrics[b, j, A_MIN_TTC])
            m_min_dist = min(m_min_dist, agent_metrics[b, j, A_MIN_DIST])
    metrics[b, S_MIN_TTC] = m_min_ttc
    metrics[b, S_MIN_DIST] = m_min_dist
    metrics[b, S_MIN_PET] = m_pet
