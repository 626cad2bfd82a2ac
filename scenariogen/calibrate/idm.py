"""IDM parameters fitted per trajectory on the car-following episodes of real logs.

An episode is a stretch of at least ``min_duration`` seconds in which one vehicle follows the same
leader: the nearest vehicle ahead of it along its heading whose centre is within ``corridor``
metres sideways. On each episode the five IDM parameters (desired speed, time headway, standstill
gap, maximum acceleration, comfortable deceleration; exponent fixed at 4 as in the simulator) are
fitted by bounded least squares of the gap the follower keeps when IDM drives it behind its
recorded leader, as in the traffic-flow literature (Treiber and Kesting, "Traffic Flow Dynamics",
ch. 16: the gap is the robust objective, accelerations of video data are too noisy). The simulator's reaction time is not fitted. In congested traffic the desired
speed is rarely reached, so its estimates scatter over the whole range of the fit and pile up at
its bound: such a parameter is not identified by the episodes (:data:`MAX_SPREAD`,
:data:`MAX_AT_BOUND`; docs/calibration.md, "How it fits").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..data import layout as Lo

#: the DSL's IDM keys in the order of the fitted vector, with the bounds of the fit (SI units)
IDM_KEYS = ("desired_speed", "time_headway", "min_gap", "max_accel", "comfort_decel")
_LOWER = np.array([3.0, 0.1, 0.3, 0.2, 0.3])
_UPPER = np.array([45.0, 4.0, 8.0, 5.0, 8.0])
DELTA = 4.0
#: the widest interquartile range of the episodes' estimates of a parameter, as a share of the range
#: of the fit, that identifies it: a law of that spread (sd = IQR / 1.349) is wider than the range itself
MAX_SPREAD = 0.5
#: the largest share of the episodes' estimates of a parameter at a bound of the fit that identifies
#: it: beyond it, the median the law is centred on is a bound
MAX_AT_BOUND = 0.5


@dataclass(frozen=True)
class IdmFits:
    """One row per episode of ``params`` (n, 5) in the order of :data:`IDM_KEYS` (m/s, s, m, m/s^2,
    m/s^2), its recording (``recordings``, (n,)), its RMS gap error ``rmse`` (m) and
    whether each fitted value sits at a bound of the fit (``at_bound``, (n, 5))."""

    params: np.ndarray
    recordings: np.ndarray
    rmse: np.ndarray
    at_bound: np.ndarray

    @property
    def size(self) -> int:
        return int(len(self.params))

    def share_at_bound(self, key: str) -> float:
        """The share of episodes whose estimate of IDM parameter ``key`` sits at a bound of the fit."""
        return float(self.at_bound[:, IDM_KEYS.index(key)].mean()) if self.size else 0.0

    def spread(self, key: str) -> tuple[float, float, float]:
        """The quartiles of the episodes' estimates of IDM parameter ``key`` (its unit) and their
        distance as a share of the range of the fit."""
        j = IDM_KEYS.index(key)
        q25, q75 = np.quantile(self.params[:, j], [0.25, 0.75])
        return float(q25), float(q75), float((q75 - q25) / (_UPPER[j] - _LOWER[j]))

    @staticmethod
    def concat(parts: list[IdmFits]) -> IdmFits:
        """The episodes of several fits, in order."""
        return IdmFits(np.concatenate([f.params for f in parts]).reshape(-1, 5),
                       np.concatenate([f.recordings for f in parts]), np.concatenate([f.rmse for f in parts]),
                       np.concatenate([f.at_bound for f in parts]).reshape(-1, 5))


def bounds(key: str) -> tuple[float, float]:
    """The bounds of the per-episode fit of IDM parameter ``key`` (SI units)."""
    j = IDM_KEYS.index(key)
    return float(_LOWER[j]), float(_UPPER[j])


def idm_accel(p: np.ndarray, v: np.ndarray, gap: np.ndarray, dv: np.ndarray) -> np.ndarray:
    """IDM acceleration (m/s^2) for parameters ``p`` (5,), speed ``v``, bumper gap ``gap`` (m) and
    approach rate ``dv`` = v - v_leader (m/s)."""
    v0, T, s0, a, b = p
    s_star = s0 + np.maximum(0.0, v * T + v * dv / (2.0 * np.sqrt(a * b)))
    return a * (1.0 - (v / v0) ** DELTA - (s_star / np.maximum(gap, 0.1)) ** 2)


def episodes(traj: np.ndarray, mask: np.ndarray, sizes: np.ndarray, dt: float, *, min_duration: float = 4.0,
             corridor: float = 1.6, min_speed: float = 1.0):
    """Car-following episodes of one scene (``traj`` (N, T, F), ``mask`` (N, T), ``sizes`` (N, 2)):
    a list of (speed, gap, dv) arrays of the follower, each at least ``min_duration`` s long."""
    N, T = mask.shape
    x, y = traj[:, :, Lo.F_X].astype(float), traj[:, :, Lo.F_Y].astype(float)
    h, v = traj[:, :, Lo.F_HEADING].astype(float), traj[:, :, Lo.F_SPEED].astype(float)
    L = sizes[:, 0].astype(float)
    need = int(round(min_duration / dt)) + 1
    out = []
    for i in range(N):
        if mask[i].sum() < need:
            continue
        dx, dy = x - x[i], y - y[i]  # (N, T)
        along = dx * np.cos(h[i]) + dy * np.sin(h[i])
        side = -dx * np.sin(h[i]) + dy * np.cos(h[i])
        ok = mask & mask[i] & (along > 0) & (np.abs(side) < corridor)
        ok[i] = False
        dist = np.where(ok, along, np.inf)
        lead = np.argmin(dist, axis=0)
        has = np.isfinite(dist[lead, np.arange(T)])
        lead = np.where(has, lead, -1)
        t = 0
        while t < T:
            if lead[t] < 0:
                t += 1
                continue
            j, t1 = lead[t], t
            while t1 < T and lead[t1] == j:
                t1 += 1
            if t1 - t >= need:
                sl = slice(t, t1)
                gap = dist[j, sl] - 0.5 * (L[i] + L[j])
                vi, vj = v[i, sl], v[j, sl]
                if np.all(np.isfinite(vi)) and np.all(np.isfinite(vj)) and gap.min() > 0 and vi.mean() >= min_speed:
                    out.append((vi, gap, vi - vj))
            t = t1
    return out


def follow(p: np.ndarray, v_first: float, gap_first: float, v_lead: np.ndarray, dt: float):
    """The follower's speed and gap (m/s, m) under IDM parameters ``p`` behind a leader driving at
    ``v_lead`` (T,), from its first speed and gap (explicit Euler, ``dt`` s; speed kept >= 0)."""
    v0, T_, s0, a, b = (float(x) for x in p)
    root = 2.0 * math.sqrt(a * b)
    vl = v_lead.tolist()
    v, g = [float(v_first)], [float(gap_first)]
    for k in range(len(vl) - 1):
        vk, gk = v[-1], g[-1]
        s_star = s0 + max(0.0, vk * T_ + vk * (vk - vl[k]) / root)
        acc = a * (1.0 - (vk / v0) ** DELTA - (s_star / max(gk, 0.1)) ** 2)
        vn = max(vk + acc * dt, 0.0)
        v.append(vn)
        g.append(gk + (vl[k] - 0.5 * (vk + vn)) * dt)
    return np.array(v), np.array(g)


def fit_episode(v: np.ndarray, gap: np.ndarray, dv: np.ndarray, dt: float) -> tuple[np.ndarray, float]:
    """Least-squares IDM parameters (5,) of one episode and the RMS gap error (m): the follower is
    driven by IDM behind its recorded leader from its recorded first speed and gap, and its gap is
    matched to the recorded one (the gap, not the noisy acceleration, is what the literature fits)."""
    from scipy.optimize import least_squares

    v_lead = v - dv
    x0 = np.clip(np.array([max(v.max() * 1.2, 5.0), 1.2, 2.0, 1.5, 2.0]), _LOWER + 1e-3, _UPPER - 1e-3)
    res = least_squares(lambda p: follow(p, v[0], gap[0], v_lead, dt)[1] - gap, x0, bounds=(_LOWER, _UPPER),
                        method="trf", x_scale=np.array([10.0, 0.5, 1.0, 0.5, 0.5]), max_nfev=100)
    return res.x, float(np.sqrt(np.mean(res.fun ** 2)))


def fit_scenes(scenes, recordings: np.ndarray, *, min_duration: float = 4.0, progress=None) -> IdmFits:
    """IDM fits of every car-following episode of real ``scenes`` (a ``LogScenes``); ``recordings``
    (B,) names each scene's recording. ``progress(k)`` is called after each scene."""
    params, recs, rmse = [], [], []
    for b in range(scenes.size):
        for v, gap, dv in episodes(scenes.trajectories[b], scenes.mask[b], scenes.sizes[b], scenes.dt,
                                   min_duration=min_duration):
            p, e = fit_episode(v, gap, dv, scenes.dt)
            params.append(p)
            rmse.append(e)
            recs.append(recordings[b])
        if progress is not None:
            progress(1)
    return fits_of(np.array(params).reshape(-1, 5), np.array(recs, dtype=object), np.array(rmse))


def fits_of(params: np.ndarray, recordings: np.ndarray, rmse: np.ndarray) -> IdmFits:
    """:class:`IdmFits` of per-episode estimates ``params`` (n, 5), marking those at a bound (within
    0.1 % of the fit's range)."""
    W = _UPPER - _LOWER
    at = (np.abs(params - _LOWER) < 1e-3 * W) | (np.abs(params - _UPPER) < 1e-3 * W)
    return IdmFits(params, recordings, rmse, at)
