"""The dense reference implementation of scenariogen.logs.tracks before issue 23 (commit ac624c4),
kept verbatim as a test oracle: the sparse implementation must give bit-for-bit the same scenes
wherever this one fits in memory. It allocates a tracks x frames grid over the whole time span and
compares all pairs of tracks, so feed it small inputs only."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scenariogen.data import layout as Lo
from scenariogen.errors import ParameterError
from scenariogen.logs.base import BICYCLE, BUS, CAR, MOTORCYCLE, PEDESTRIAN, TRUCK
from scenariogen.logs.scenes import LanePolyline, LogScenes, empty_scenes

GROUP = {CAR: 0, TRUCK: 0, BUS: 0, MOTORCYCLE: 1, BICYCLE: 1, PEDESTRIAN: 2}


@dataclass
class RawTrack:
    """One object's samples as read from a log. ``t`` seconds (increasing after
    :func:`build_scenes` sorts them); ``heading``/``speed`` None when the log has none."""

    id: str
    kind: int
    length: float
    width: float
    t: np.ndarray
    x: np.ndarray
    y: np.ndarray
    heading: np.ndarray | None = None
    speed: np.ndarray | None = None


def _runs(valid: np.ndarray) -> list[tuple[int, int]]:
    """Contiguous True runs as (start, stop) half-open index pairs."""
    v = np.concatenate([[False], valid, [False]]).astype(np.int8)
    d = np.diff(v)
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)))


def _derivative(y: np.ndarray, dt: float, window: int) -> np.ndarray:
    n = y.shape[0]
    if n < 2:
        return np.zeros(n)
    w = min(window, n if n % 2 == 1 else n - 1)
    if w >= 5:
        from scipy.signal import savgol_filter  # scipy.signal takes 0.7 s to import: only when smoothing

        return savgol_filter(y, w, 2, deriv=1, delta=dt, mode="interp")
    return np.gradient(y, dt)


def _smooth(y: np.ndarray, window: int) -> np.ndarray:
    n = y.shape[0]
    w = min(window, n if n % 2 == 1 else n - 1)
    if w >= 5:
        from scipy.signal import savgol_filter

        return savgol_filter(y, w, 2, mode="interp")
    return y.copy()


class _Grid:
    """Per-track arrays (N, T) on the common grid, edited in place by the cleaning steps."""

    def __init__(self, tracks: list[RawTrack], dt: float, max_gap: float):
        self.dt = dt
        t_start = min(float(tr.t[0]) for tr in tracks)
        t_end = max(float(tr.t[-1]) for tr in tracks)
        T = int(np.floor((t_end - t_start) / dt + 1e-6)) + 1
        self.t_start = t_start
        self.grid = t_start + np.arange(T) * dt
        N = len(tracks)
        self.x = np.full((N, T), np.nan)
        self.y = np.full((N, T), np.nan)
        self.h = np.full((N, T), np.nan)  # given heading (unwrapped), NaN if none
        self.v = np.full((N, T), np.nan)  # given speed, NaN if none
        self.m = np.zeros((N, T), bool)
        eps = 1e-6 * max(dt, 1e-3)
        for i, tr in enumerate(tracks):
            t = tr.t
            g = self.grid
            inside = (g >= t[0] - eps) & (g <= t[-1] + eps)
            idx = np.clip(np.searchsorted(t, g, side="right"), 1, len(t) - 1) if len(t) > 1 else None
            if idx is not None:
                gap = t[idx] - t[idx - 1]
                exact = np.isclose(g, t[idx - 1], atol=eps, rtol=0) | np.isclose(g, t[idx], atol=eps, rtol=0)
                inside &= (gap <= max_gap + eps) | exact
            if not inside.any():
                continue
            gi = g[inside]
            self.m[i, inside] = True
            self.x[i, inside] = np.interp(gi, t, tr.x)
            self.y[i, inside] = np.interp(gi, t, tr.y)
            if tr.heading is not None:
                self.h[i, inside] = np.interp(gi, t, np.unwrap(tr.heading))
            if tr.speed is not None:
                self.v[i, inside] = np.interp(gi, t, tr.speed)
        self.alive = np.ones(N, bool)

    # ---------------------------------------------------------------- kinematics
    def kinematics(self, smooth: float):
        """(heading, speed, accel, vx, vy) arrays (N, T), NaN where absent."""
        N, T = self.x.shape
        win = max(5, int(round(smooth / self.dt)) | 1)
        H = np.full((N, T), np.nan)
        V = np.full((N, T), np.nan)
        A = np.full((N, T), np.nan)
        VX = np.full((N, T), np.nan)
        VY = np.full((N, T), np.nan)
        for i in np.flatnonzero(self.alive):
            for a, b in _runs(self.m[i]):
                vx = _derivative(self.x[i, a:b], self.dt, win)
                vy = _derivative(self.y[i, a:b], self.dt, win)
                VX[i, a:b] = vx
                VY[i, a:b] = vy
                given_v = self.v[i, a:b]
                sp = np.where(np.isfinite(given_v), given_v, np.hypot(vx, vy))
                V[i, a:b] = sp
                given_h = self.h[i, a:b]
                if np.all(np.isfinite(given_h)):
                    hd = given_h
                else:
                    moving = np.hypot(vx, vy) > 0.2
                    hd = np.arctan2(vy, vx)
                    if moving.any():
                        k = np.where(moving, np.arange(b - a), -1)
                        k = np.maximum.accumulate(k)
                        first = int(np.argmax(moving))
                        k[k < 0] = first
                        hd = hd[k]
                    else:
                        hd = np.zeros(b - a)
                    hd = np.where(np.isfinite(given_h), given_h, hd)
                H[i, a:b] = np.angle(np.exp(1j * hd))
                A[i, a:b] = _derivative(_smooth(sp, win), self.dt, win)
        return H, V, A, VX, VY


def _spans(m: np.ndarray):
    any_ = m.any(axis=1)
    first = np.where(any_, np.argmax(m, axis=1), -1)
    last = np.where(any_, m.shape[1] - 1 - np.argmax(m[:, ::-1], axis=1), -2)
    return first, last


def _merge_duplicates(g: _Grid, kinds, widths, ids, keep_first: bool, stats: dict) -> None:
    dt = g.dt
    n_min = max(3, int(np.ceil(0.5 / dt - 1e-9)))
    groups = np.array([GROUP.get(int(k), -1) for k in kinds])
    changed = True
    while changed:
        changed = False
        first, last = _spans(g.m)
        alive = np.flatnonzero(g.alive & (first >= 0))
        if len(alive) < 2:
            return
        f, l_ = first[alive], last[alive]
        ov = np.minimum(l_[:, None], l_[None, :]) - np.maximum(f[:, None], f[None, :]) + 1
        same = groups[alive][:, None] == groups[alive][None, :]
        ii, jj = np.nonzero(np.triu((ov >= n_min) & same, 1))
        for a, b in zip(alive[ii], alive[jj]):
            if not (g.alive[a] and g.alive[b]):
                continue
            common = g.m[a] & g.m[b]
            n = int(common.sum())
            if n < n_min:
                continue
            d = np.hypot(g.x[a, common] - g.x[b, common], g.y[a, common] - g.y[b, common])
            thr = max(0.1, 0.25 * min(widths[a], widths[b]))
            if np.mean(d < thr) < 0.8:
                continue
            na, nb = int(g.m[a].sum()), int(g.m[b].sum())
            keep, drop = (a, b) if (na >= nb or (keep_first and a == 0)) else (b, a)
            if keep_first and drop == 0:
                keep, drop = 0, keep
            extra = g.m[drop] & ~g.m[keep]
            for arr in (g.x, g.y, g.h, g.v):
                arr[keep, extra] = arr[drop, extra]
            g.m[keep] |= extra
            g.m[drop] = False
            g.alive[drop] = False
            stats["duplicates_merged"].append((ids[keep], ids[drop]))
            changed = True


def _join_handoffs(g: _Grid, kinds, ids, keep_first: bool, max_gap_s: float, dist: dict, stats: dict) -> None:
    dt = g.dt
    kmax = int(round(max_gap_s / dt))
    groups = np.array([GROUP.get(int(k), -1) for k in kinds])
    for _ in range(10):
        first, last = _spans(g.m)
        alive = np.flatnonzero(g.alive & (first >= 0))
        fa, la = first[alive], last[alive]
        lag = fa[None, :] - la[:, None]  # [a, b]: b's start minus a's end, frames
        ok = ((lag >= -kmax) & (lag <= kmax) & (fa[:, None] < fa[None, :]) & (la[None, :] > la[:, None])
              & (groups[alive][:, None] == groups[alive][None, :]))
        if keep_first:
            ok[:, alive == 0] = False
        cands = []
        for ia, ib in zip(*np.nonzero(ok)):
            a, b = alive[ia], alive[ib]
            ea, sb = last[a], first[b]
            lg = sb - ea
            base = dist[groups[a]]
            if lg <= 0:
                common = g.m[a] & g.m[b]
                if not common.any():
                    continue
                d = np.hypot(g.x[a, common] - g.x[b, common], g.y[a, common] - g.y[b, common])
                if np.median(d) >= base or d.max() >= 2 * base:
                    continue
                score = float(np.median(d))
            else:
                gap = lg * dt
                k = min(5, int(g.m[a, : ea + 1][::-1].cumprod().sum()) - 1)
                vx = (g.x[a, ea] - g.x[a, ea - k]) / (k * dt) if k > 0 else 0.0
                vy = (g.y[a, ea] - g.y[a, ea - k]) / (k * dt) if k > 0 else 0.0
                d = float(np.hypot(g.x[a, ea] + vx * gap - g.x[b, sb], g.y[a, ea] + vy * gap - g.y[b, sb]))
                if d >= base + 0.25 * float(np.hypot(vx, vy)) * gap:
                    continue
                score = d
            cands.append((score, a, b))
        if not cands:
            return
        cands.sort()
        used_end, used_start = set(), set()
        for _score, a, b in cands:
            if a in used_end or b in used_start or a in used_start or b in used_end:
                continue
            used_end.add(a)
            used_start.add(b)
            ea, sb = last[a], first[b]
            common = g.m[a] & g.m[b]
            for arr in (g.x, g.y, g.h, g.v):
                arr[a, common] = 0.5 * (arr[a, common] + arr[b, common])
            only_b = g.m[b] & ~g.m[a]
            for arr in (g.x, g.y, g.h, g.v):
                arr[a, only_b] = arr[b, only_b]
            if sb > ea + 1:  # fill the gap linearly
                k = np.arange(ea + 1, sb)
                w = (k - ea) / (sb - ea)
                for arr in (g.x, g.y, g.h, g.v):
                    arr[a, k] = (1 - w) * arr[a, ea] + w * arr[b, sb]
                g.m[a, k] = True
            g.m[a] |= g.m[b]
            g.m[b] = False
            g.alive[b] = False
            stats["handoffs_joined"].append((ids[a], ids[b]))


def build_scenes(
    tracks: list[RawTrack],
    source: str,
    *,
    dt: float = 0.1,
    ego_id: str | None = None,
    clean: bool = True,
    max_gap: float = 1.0,
    smooth: float = 1.0,
    handoff_gap: float = 1.0,
    handoff_dist: float | None = None,
    static_extent: float = 1.0,
    static_speed: float = 0.5,
    lanes: tuple[LanePolyline, ...] = (),
    info: dict | None = None,
) -> LogScenes:
    """One scene holding every track of a log, resampled to ``dt`` and cleaned (module docstring).

    ``ego_id``: the track that becomes agent 0 (the recording vehicle); it is never
    dropped as static nor merged away. Units: seconds and metres."""
    if dt <= 0:
        raise ParameterError("dt", f"must be positive, got {dt}")
    info = dict(info or {})
    stats = {"tracks_read": len(tracks), "static_dropped": [], "short_dropped": [], "duplicates_merged": [],
             "handoffs_joined": []}
    stats.update(info.pop("stats", {}))
    tracks = [tr for tr in tracks if len(tr.t) > 0]
    for tr in tracks:
        o = np.argsort(tr.t, kind="stable")
        keep = np.concatenate([[True], np.diff(tr.t[o]) > 0])
        o = o[keep]
        tr.t, tr.x, tr.y = tr.t[o], tr.x[o], tr.y[o]
        tr.heading = None if tr.heading is None else tr.heading[o]
        tr.speed = None if tr.speed is None else tr.speed[o]
    if ego_id is not None:
        tracks.sort(key=lambda tr: (tr.id != ego_id,))
    keep_first = ego_id is not None and bool(tracks) and tracks[0].id == ego_id
    info.update(stats=stats, dt=dt, ego=ego_id if keep_first else None)
    if not tracks:
        arrays = empty_scenes(1, 0, 0, dt)
        return LogScenes(dt=dt, sources=np.array([source], dtype=object), t0=np.zeros(1),
                         lanes={source: tuple(lanes)}, info={source: info}, **arrays)
    g = _Grid(tracks, dt, max_gap)
    kinds = np.array([tr.kind for tr in tracks], np.int8)
    sizes = np.array([[tr.length, tr.width] for tr in tracks], np.float64)
    ids = [tr.id for tr in tracks]
    if clean:
        _merge_duplicates(g, kinds, sizes[:, 1], ids, keep_first, stats)
        dist = {0: 1.5, 1: 1.0, 2: 0.5, -1: 1.0} if handoff_dist is None else {k: handoff_dist for k in (0, 1, 2, -1)}
        _join_handoffs(g, kinds, ids, keep_first, handoff_gap, dist, stats)
    H, V, A, _VX, _VY = g.kinematics(smooth)
    n_frames = g.m.sum(axis=1)
    for i in range(len(tracks)):
        if not g.alive[i] or (keep_first and i == 0):
            continue
        if n_frames[i] < 2:
            g.alive[i] = False
            stats["short_dropped"].append(ids[i])
            continue
        if clean:
            mi = g.m[i]
            xs, ys = g.x[i, mi], g.y[i, mi]
            extent = np.hypot(xs - xs.mean(), ys - ys.mean()).max()
            if extent < static_extent and np.percentile(V[i, mi], 90) < static_speed:
                g.alive[i] = False
                stats["static_dropped"].append(ids[i])
    # order: ego first, then by first appearance
    first, _last = _spans(g.m)
    idx = [i for i in np.flatnonzero(g.alive)]
    idx.sort(key=lambda i: (not (keep_first and i == 0), first[i], i))
    N, T = len(idx), g.grid.shape[0]
    out = empty_scenes(1, N, T, dt)
    tr_ = out["trajectories"][0]
    for n, i in enumerate(idx):
        mi = g.m[i]
        tr_[n, mi, Lo.F_X] = g.x[i, mi]
        tr_[n, mi, Lo.F_Y] = g.y[i, mi]
        tr_[n, mi, Lo.F_HEADING] = H[i, mi]
        tr_[n, mi, Lo.F_SPEED] = V[i, mi]
        tr_[n, mi, Lo.F_ACCEL] = A[i, mi]
        out["mask"][0, n] = mi
    out["kinds"][0] = kinds[idx]
    out["sizes"][0] = sizes[idx]
    out["track_ids"][0] = np.array([ids[i] for i in idx], dtype=object)
    stats["tracks_kept"] = N
    return LogScenes(dt=dt, sources=np.array([source], dtype=object), t0=np.array([0.0]),
                     lanes={source: tuple(lanes)}, info={source: info}, **out)
