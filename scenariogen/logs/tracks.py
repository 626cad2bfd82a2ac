"""From raw tracks to a cleaned, resampled :class:`LogScenes`.

Steps (all on the log's time grid ``t_start + k * dt``, ``t_start`` its earliest sample):

1. Resample: each track's x, y, heading (unwrapped) and speed are linearly
   interpolated onto the grid inside its time span; a frame between two raw
   samples more than ``max_gap`` seconds apart is left absent. Tracks are kept
   sparse (the frames each one is present at), never as a tracks x frames grid.
2. Kinematics: velocities from a Savitzky-Golay derivative (window ``smooth``
   seconds, quadratic) of the positions over each contiguous run; the speed
   is the log's own speed where it has one, else |velocity|; the heading is the
   log's own heading where it has one, else the velocity direction (held while
   the agent is slower than 0.2 m/s); accel is the smoothed derivative of speed.
3. Cleaning (``clean=True``):
   - duplicate boxes: two tracks of one kind group present together for at least
     ``0.5 s`` whose centres are closer than a quarter of the narrower width
     (at least 0.1 m) on 80 % of their common frames are one object; the track with
     more frames keeps its values and takes the other's extra frames;
   - hand-offs: a track that ends where another of the same kind group starts,
     within ``handoff_gap`` seconds (gap or overlap), is joined to it when the
     positions match: over an overlap, median centre distance below ``handoff_dist``
     (default 1.5 m for cars/trucks/buses, 1.0 m for two-wheelers, 0.5 m for
     pedestrians) and never above twice that; across a gap, the first track's end
     extrapolated at constant velocity lands within ``handoff_dist`` plus a quarter
     of the distance travelled in the gap. Overlapping frames are averaged, gap
     frames interpolated linearly. Kind groups: {car, truck, bus}, {motorcycle,
     bicycle}, {pedestrian};
   - static objects: a track (other than the recording ego) whose positions stay
     within ``static_extent`` metres of their mean and whose 90th-percentile speed
     is below ``static_speed`` is dropped; so are tracks with fewer than 2 frames.
   Static classes (signs, cones, ...) are dropped by each reader before this.
   Candidate pairs come from k-d trees over (x, y, frame) samples, chunk by chunk of
   frames (duplicates, overlapping hand-offs), and from a sweep over track starts sorted
   in time (hand-offs across a gap), so cleaning costs O(n log n) in the samples, not
   O(tracks^2); the pairs are then visited in the order the all-pairs scan had, with the
   same results. Degenerate input is refused rather than enumerated: more than
   ``MAX_NEAR_PAIRS`` close sample pairs in one frame (many objects on one spot), more
   than ``MAX_GAP_PAIRS`` tracks ending and starting within ``handoff_gap`` of each other.
4. Scenes: one scene holds the whole log when its padded (agents x frames) grid has at
   most ``max_cells`` cells. A larger log is split where no agent is present (no
   window can cross such a stretch, so none is lost); if the padded scenes still need
   more than ``max_cells`` cells, stretches longer than a scene length are cut into
   consecutive scenes of that length, the length halved until the padded scenes fit
   (not below ``MIN_SCENE`` = 20 s; a window across a cut is not made). ``t0[b]`` is
   the scene's start in seconds after ``t_start``; a track present in several scenes
   takes a slot in each, under its own id. ``info[source]["split"]`` is None for one
   scene, else says why, into how many stretches and scenes, their longest frame
   count and whether stretches were cut.

Limits (keyword options, each a clear :class:`LogFormatError` naming the file when
exceeded, so memory follows the data and never a stray extreme): ``max_tracks``
(default 100 000) tracks; ``max_span`` (default 86 400 s) seconds between the
earliest and the latest sample (a corrupt timestamp far away is reported with its
track); ``max_cells`` (default 4 000 000, about 130 MB of float32 scenes) cells of the
padded scenes and agent-frames of resampled data. Lengths and widths must be positive
and at most ``MAX_SIZE`` (100 m), positions within ``MAX_COORD`` (1e9 m) of the origin,
given speeds at most ``MAX_SPEED`` (1000 m/s), times finite.

Smoothing runs of up to 64 frames applies the Savitzky-Golay filter as a cached matrix
(the same linear map as ``scipy.signal.savgol_filter``, rounded differently in the
last bits: speeds and accelerations agree to 1e-12 with the per-call filter).
"""

from __future__ import annotations

import functools
import heapq
import math
from dataclasses import dataclass, replace

import numpy as np

from ..data import layout as Lo
from ..errors import LogFormatError, ParameterError
from .base import BICYCLE, BUS, CAR, MAX_COORD, MAX_SPEED, MOTORCYCLE, PEDESTRIAN, TRUCK, size_problem
from .scenes import LanePolyline, LogScenes, empty_scenes

GROUP = {CAR: 0, TRUCK: 0, BUS: 0, MOTORCYCLE: 1, BICYCLE: 1, PEDESTRIAN: 2}

MAX_TRACKS = 100_000
MAX_SPAN = 86_400.0  # s
MAX_CELLS = 4_000_000
MIN_SCENE = 20.0  # s: the shortest scene a long log is cut into
MIN_DT = 1e-6  # s
MAX_NEAR_PAIRS = 1_000_000  # close same-frame sample pairs a cleaning step looks at in one chunk of frames
NEAR_CHUNK = 100_000  # samples per chunk of frames
MAX_GAP_PAIRS = 50_000_000  # (end, start) pairs a hand-off sweep scores, in chunks of _CHUNK
_CHUNK = 200_000  # candidate pairs scored at once


@dataclass(frozen=True, eq=False)
class RawTrack:
    """One object's samples as read from a log: ``t`` seconds (any order; :func:`build_scenes`
    sorts them and drops repeated times), ``x``/``y`` metres; ``heading``/``speed`` None when the
    log has none."""

    id: str
    kind: int
    length: float
    width: float
    t: np.ndarray
    x: np.ndarray
    y: np.ndarray
    heading: np.ndarray | None = None
    speed: np.ndarray | None = None


_SHORT = 64  # runs up to this many frames are filtered with a cached matrix (the same linear map)


@functools.lru_cache(maxsize=4096)
def _savgol_matrix(n: int, w: int, deriv: int, dt: float) -> np.ndarray:
    """The Savitzky-Golay filter (quadratic, mode "interp") of n samples as an n x n matrix."""
    from scipy.signal import savgol_filter  # scipy.signal takes 0.7 s to import: only when smoothing

    m = savgol_filter(np.eye(n), w, 2, deriv=deriv, delta=dt, mode="interp", axis=0)
    m.setflags(write=False)
    return m


def _savgol(y: np.ndarray, w: int, deriv: int, dt: float) -> np.ndarray:
    n = y.shape[0]
    if n <= _SHORT:  # a short run costs a matrix product, not SciPy's per-call edge fits
        return _savgol_matrix(n, w, deriv, dt) @ y
    from scipy.signal import savgol_filter

    return savgol_filter(y, w, 2, deriv=deriv, delta=dt, mode="interp")


def _derivative(y: np.ndarray, dt: float, window: int) -> np.ndarray:
    n = y.shape[0]
    if n < 2:
        return np.zeros(n)
    w = min(window, n if n % 2 == 1 else n - 1)
    if w >= 5:
        return _savgol(y, w, 1, dt)
    return np.gradient(y, dt)


def _smooth(y: np.ndarray, window: int) -> np.ndarray:
    n = y.shape[0]
    w = min(window, n if n % 2 == 1 else n - 1)
    if w >= 5:
        return _savgol(y, w, 0, 1.0)
    return y.copy()


# ---------------------------------------------------------------------------------------- resampling
def _candidate_ranges(t: np.ndarray, t_start: float, dt: float, eps: float, max_gap: float):
    """(lo, hi) inclusive frame ranges holding every grid frame a track can be present at: those
    within ``eps`` of a sample and those inside an interval short enough to interpolate."""
    lo = [np.floor((t - eps - t_start) / dt) - 1]
    hi = [np.ceil((t + eps - t_start) / dt) + 1]
    if len(t) > 1:
        good = np.diff(t) <= max_gap + eps
        lo.append(np.floor((t[:-1][good] - eps - t_start) / dt) - 1)
        hi.append(np.ceil((t[1:][good] + eps - t_start) / dt) + 1)
    return np.concatenate(lo), np.concatenate(hi)


def _expand(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The sorted unique integers of the inclusive ranges [lo, hi]."""
    n = hi - lo + 1
    keep = n > 0
    lo, n = lo[keep], n[keep]
    if not len(n):
        return np.zeros(0, np.int64)
    off = np.cumsum(n) - n
    k = np.repeat(lo - off, n) + np.arange(int(n.sum()), dtype=np.int64)
    return np.unique(k)


def _resample(t, x, y, heading, speed, t_start: float, T: int, dt: float, max_gap: float):
    """Frames (sorted) and x, y, heading, speed there: the same frames and values as linear
    interpolation on the whole grid ``t_start + arange(T) * dt``, computed only near the data."""
    eps = 1e-6 * max(dt, 1e-3)
    lo, hi = _candidate_ranges(t, t_start, dt, eps, max_gap)
    k = _expand(np.clip(lo, 0, T - 1).astype(np.int64), np.clip(hi, 0, T - 1).astype(np.int64))
    g = t_start + k * dt
    inside = (g >= t[0] - eps) & (g <= t[-1] + eps)
    if len(t) > 1:
        idx = np.clip(np.searchsorted(t, g, side="right"), 1, len(t) - 1)
        gap = t[idx] - t[idx - 1]
        exact = np.isclose(g, t[idx - 1], atol=eps, rtol=0) | np.isclose(g, t[idx], atol=eps, rtol=0)
        inside &= (gap <= max_gap + eps) | exact
    k, g = k[inside], g[inside]
    nan = np.full(len(k), np.nan)
    return (k, np.interp(g, t, x), np.interp(g, t, y),
            nan if heading is None else np.interp(g, t, np.unwrap(heading)),
            nan.copy() if speed is None else np.interp(g, t, speed))


def _content_estimate(t: np.ndarray, dt: float, max_gap: float) -> float:
    """About how many frames a track fills once resampled (an upper estimate)."""
    if len(t) < 2:
        return float(len(t))
    gap = np.diff(t)
    return float(gap[gap <= max_gap + 1e-6 * max(dt, 1e-3)].sum() / dt) + len(t)


class _Tracks:
    """Resampled tracks, sparse: per track the sorted frames it is present at (``f``) and, at
    those frames, x, y, the given heading (unwrapped; NaN if none) and the given speed (NaN if
    none). Cleaning edits them in place."""

    def __init__(self, f, x, y, h, v, dt: float):
        self.f, self.x, self.y, self.h, self.v = f, x, y, h, v
        self.dt = dt
        self.alive = np.ones(len(f), bool)

    def spans(self):
        """(first, last) frame per track; -1, -2 for an empty one."""
        first = np.array([f[0] if len(f) else -1 for f in self.f], np.int64)
        last = np.array([f[-1] if len(f) else -2 for f in self.f], np.int64)
        return first, last

    def arrays(self, i: int):
        return self.x[i], self.y[i], self.h[i], self.v[i]

    def set(self, i: int, f, vals) -> None:
        self.f[i] = f
        self.x[i], self.y[i], self.h[i], self.v[i] = vals

    def absorb(self, keep: int, drop: int) -> None:
        """``keep`` takes ``drop``'s frames it does not have, with ``drop``'s values; ``drop`` dies."""
        fk, fd = self.f[keep], self.f[drop]
        extra = ~np.isin(fd, fk, assume_unique=True)
        f = np.concatenate([fk, fd[extra]])
        o = np.argsort(f, kind="stable")
        self.set(keep, f[o], [np.concatenate([a, b[extra]])[o] for a, b in zip(self.arrays(keep), self.arrays(drop))])
        self.kill(drop)

    def kill(self, i: int) -> None:
        self.f[i] = self.f[i][:0]
        self.x[i], self.y[i], self.h[i], self.v[i] = (a[:0] for a in self.arrays(i))
        self.alive[i] = False

    # ---------------------------------------------------------------- kinematics
    def kinematics(self, i: int, smooth: float):
        """(heading, speed, accel) at track ``i``'s frames."""
        win = max(5, int(round(smooth / self.dt)) | 1)
        f = self.f[i]
        n = len(f)
        H, V, A = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
        cuts = np.flatnonzero(np.diff(f) != 1) + 1
        for a, b in zip(np.r_[0, cuts], np.r_[cuts, n]):
            vx = _derivative(self.x[i][a:b], self.dt, win)
            vy = _derivative(self.y[i][a:b], self.dt, win)
            given_v = self.v[i][a:b]
            sp = np.where(np.isfinite(given_v), given_v, np.hypot(vx, vy))
            V[a:b] = sp
            given_h = self.h[i][a:b]
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
            H[a:b] = np.angle(np.exp(1j * hd))
            A[a:b] = _derivative(_smooth(sp, win), self.dt, win)
        return H, V, A


# ---------------------------------------------------------------------------------------- near pairs
def _samples(tk: _Tracks, members: np.ndarray, lo=None, hi=None):
    """(owner, frame, x, y) of the samples of tracks ``members`` (only frames in [lo, hi] per track
    when given), sorted by frame."""
    own, fr, xs, ys = [], [], [], []
    for j, i in enumerate(members):
        f = tk.f[i]
        a = 0 if lo is None else int(np.searchsorted(f, lo[j], side="left"))
        b = len(f) if hi is None else int(np.searchsorted(f, hi[j], side="right"))
        if b <= a:
            continue
        own.append(np.full(b - a, i, np.int64))
        fr.append(f[a:b])
        xs.append(tk.x[i][a:b])
        ys.append(tk.y[i][a:b])
    if not own:
        z = np.zeros(0)
        return z.astype(np.int64), z.astype(np.int64), z, z
    fr = np.concatenate(fr)
    o = np.argsort(fr, kind="stable")
    return np.concatenate(own)[o], fr[o], np.concatenate(xs)[o], np.concatenate(ys)[o]


def _frame_chunks(frames: np.ndarray, size: int) -> list[tuple[int, int]]:
    """Inclusive frame ranges holding about ``size`` of these (sorted) sample frames each; a frame is
    never split."""
    if not len(frames):
        return []
    u, c = np.unique(frames, return_counts=True)
    cid = (np.cumsum(c) - c) // size
    cut = np.flatnonzero(np.diff(cid)) + 1
    return [(int(u[a]), int(u[b - 1])) for a, b in zip(np.r_[0, cut], np.r_[cut, len(u)])]


def _near_track_pairs(A, B, r: float, source: str, what: str) -> np.ndarray:
    """Unique (owner in A, owner in B) rows, owners different, of samples at the same frame within
    ``r`` metres; A and B are (owner, frame, x, y) tuples sorted by frame, B None for pairs within A.
    Works through chunks of frames, each with a k-d tree over (x, y, frame), so memory stays
    bounded; a single frame with more than ``MAX_NEAR_PAIRS`` close pairs is refused (degenerate
    positions: many objects on one spot)."""
    from scipy.spatial import cKDTree

    same = B is None
    B = A if same else B
    zscale = 2 * r + 1  # samples of different frames are further apart than r
    stack = _frame_chunks(np.concatenate([A[1], B[1]]), NEAR_CHUNK)[::-1]
    out = []
    while stack:
        lo, hi = stack.pop()
        sa = slice(*np.searchsorted(A[1], [lo, hi + 1]))
        sb = slice(*np.searchsorted(B[1], [lo, hi + 1]))
        if sa.start == sa.stop or sb.start == sb.stop:
            continue
        ta = cKDTree(np.column_stack([A[2][sa], A[3][sa], A[1][sa] * zscale]))
        tb = ta if same else cKDTree(np.column_stack([B[2][sb], B[3][sb], B[1][sb] * zscale]))
        n = int(ta.count_neighbors(tb, r))
        if same:
            n = (n - (sa.stop - sa.start)) // 2
        if n > MAX_NEAR_PAIRS:
            if lo < hi:  # halve the frames
                mid = (lo + hi) // 2
                stack += [(mid + 1, hi), (lo, mid)]
                continue
            raise LogFormatError(source, f"{n} pairs of samples of different tracks lie within {r:.3g} m of each "
                                         f"other at one time (frame {lo}; limit {MAX_NEAR_PAIRS}) while looking for "
                                         f"{what}: the positions are degenerate (many objects on one spot)")
        if same:
            p = ta.query_pairs(r, output_type="ndarray")
            i, j = p[:, 0], p[:, 1]
        else:
            m = ta.sparse_distance_matrix(tb, r, output_type="ndarray")
            i, j = m["i"], m["j"]
        oa, ob = A[0][sa][i], B[0][sb][j]
        keep = oa != ob
        if keep.any():
            out.append(np.unique(np.column_stack([oa[keep], ob[keep]]), axis=0))
    if not out:
        return np.zeros((0, 2), np.int64)
    return np.unique(np.concatenate(out), axis=0)


# ---------------------------------------------------------------------------------------- duplicates
def _duplicate_neighbours(tk: _Tracks, alive: np.ndarray, groups, thr, source: str) -> np.ndarray:
    """(a, b) rows, a < b, of tracks of one kind group with centres within the pair's
    threshold at some common frame: every pair that can be a duplicate."""
    out = []
    for grp in np.unique(groups[alive]):
        members = alive[groups[alive] == grp]
        cls = np.ceil(np.log2(thr[members])).astype(int)  # the pair's threshold is the smaller one
        samples = {c: _samples(tk, members[cls == c]) for c in np.unique(cls)}
        for c1 in sorted(samples):
            for c2 in sorted(samples):
                if c2 < c1:
                    continue
                r = float(2.0 ** c1) * (1 + 1e-9)  # a hair above: the tree's rounding never loses a pair
                out.append(_near_track_pairs(samples[c1], None if c2 == c1 else samples[c2], r, source,
                                             "duplicate boxes"))
    if not out:
        return np.zeros((0, 2), np.int64)
    p = np.concatenate(out)
    return np.unique(np.sort(p, axis=1), axis=0)


def _merge_duplicates(tk: _Tracks, kinds, widths, ids, keep_first: bool, stats: dict, source: str) -> None:
    """Pairs are visited in index order per pass, as an all-pairs scan would (the pass's pair list:
    spans overlapping by ``n_min`` frames); the k-d tree only leaves out pairs that cannot match.
    A merge can make new pairs match (the keeper gains frames): they are queued in order."""
    dt = tk.dt
    n_min = max(3, int(np.ceil(0.5 / dt - 1e-9)))
    groups = np.array([GROUP.get(int(k), -1) for k in kinds])
    thr_i = np.maximum(0.1, 0.25 * np.asarray(widths, float))
    changed = True
    while changed:
        changed = False
        first, last = tk.spans()
        alive = np.flatnonzero(tk.alive & (first >= 0))
        if len(alive) < 2:
            return
        near = _duplicate_neighbours(tk, alive, groups, thr_i, source)
        nbrs: dict[int, set] = {}
        for a, b in near.tolist():
            nbrs.setdefault(a, set()).add(b)
            nbrs.setdefault(b, set()).add(a)
        parent: dict[int, int] = {}

        def find(i):
            while i in parent:
                i = parent[i]
            return i

        def listed(a, b):  # in this pass's pair list
            return min(last[a], last[b]) - max(first[a], first[b]) + 1 >= n_min

        heap = [(a, b) for a, b in near.tolist() if listed(a, b)]
        heapq.heapify(heap)
        seen = set()
        while heap:
            a, b = heapq.heappop(heap)
            if (a, b) in seen:
                continue
            seen.add((a, b))
            if not (tk.alive[a] and tk.alive[b]):
                continue
            common, ia, ib = np.intersect1d(tk.f[a], tk.f[b], assume_unique=True, return_indices=True)
            if len(common) < n_min:
                continue
            d = np.hypot(tk.x[a][ia] - tk.x[b][ib], tk.y[a][ia] - tk.y[b][ib])
            thr = max(0.1, 0.25 * min(widths[a], widths[b]))
            if np.mean(d < thr) < 0.8:
                continue
            na, nb = len(tk.f[a]), len(tk.f[b])
            keep, drop = (a, b) if (na >= nb or (keep_first and a == 0)) else (b, a)
            if keep_first and drop == 0:
                keep, drop = 0, keep
            tk.absorb(keep, drop)
            stats["duplicates_merged"].append((ids[keep], ids[drop]))
            changed = True
            parent[drop] = keep
            new = nbrs.pop(drop, set())
            nbrs.setdefault(keep, set()).update(new)
            for c in new:
                y = find(c)
                if y == keep or not tk.alive[y]:
                    continue
                pair = (min(keep, y), max(keep, y))
                if pair > (a, b) and pair not in seen and listed(*pair):
                    heapq.heappush(heap, pair)


# ---------------------------------------------------------------------------------------- hand-offs
def _overlap_candidates(tk, alive, groups, first, last, kmax, dist, keep_first, source):
    """(score, a, b) for pairs where b starts before a ends (by at most ``kmax`` frames) and their
    centres stay close over the common frames."""
    out = []
    for grp in np.unique(groups[alive]):
        members = alive[groups[alive] == grp]
        base = dist[grp]
        tail = _samples(tk, members, lo=last[members] - kmax)
        head = _samples(tk, members, hi=first[members] + kmax)
        for a, b in _near_track_pairs(tail, head, 2 * base * (1 + 1e-9), source, "track hand-offs").tolist():
            lg = first[b] - last[a]
            if not (-kmax <= lg <= 0 and first[a] < first[b] and last[b] > last[a]) or (keep_first and b == 0):
                continue
            common, ia, ib = np.intersect1d(tk.f[a], tk.f[b], assume_unique=True, return_indices=True)
            if not len(common):
                continue
            d = np.hypot(tk.x[a][ia] - tk.x[b][ib], tk.y[a][ia] - tk.y[b][ib])
            if np.median(d) >= base or d.max() >= 2 * base:
                continue
            out.append((float(np.median(d)), a, b))
    return out


def _gap_candidates(tk, alive, groups, first, last, kmax, dist, keep_first, source):
    """(score, a, b) for pairs where b starts 1 to ``kmax`` frames after a ends near where a's end,
    moved on at its final velocity, would be: a sweep over the starts sorted in time."""
    if kmax < 1:
        return []
    dt = tk.dt
    ea, sb = last[alive], first[alive]
    xe = np.array([tk.x[i][-1] for i in alive])
    ye = np.array([tk.y[i][-1] for i in alive])
    xs = np.array([tk.x[i][0] for i in alive])
    ys = np.array([tk.y[i][0] for i in alive])
    k = np.zeros(len(alive), np.int64)  # frames back to the velocity sample: min(5, final run length - 1)
    for j, i in enumerate(alive):
        f = tk.f[i]
        tail = f[-6:]
        run = tail[::-1] == f[-1] - np.arange(len(tail))
        k[j] = min(5, int(np.cumprod(run).sum()) - 1)
    xb = np.array([tk.x[i][-1 - kk] for i, kk in zip(alive, k)])
    yb = np.array([tk.y[i][-1 - kk] for i, kk in zip(alive, k)])
    kd = np.where(k > 0, k, 1) * dt
    vx = np.where(k > 0, (xe - xb) / kd, 0.0)
    vy = np.where(k > 0, (ye - yb) / kd, 0.0)
    speed = np.hypot(vx, vy)
    base = np.array([dist[g] for g in groups[alive]])
    out = []
    grp_alive = groups[alive]
    for grp in np.unique(grp_alive):
        pos = np.flatnonzero(grp_alive == grp)
        o = pos[np.argsort(sb[pos], kind="stable")]  # this group's tracks by start
        starts = sb[o]
        lo = np.searchsorted(starts, ea[pos] + 1, side="left")
        hi = np.searchsorted(starts, ea[pos] + kmax, side="right")
        cnt = hi - lo
        if cnt.sum() > MAX_GAP_PAIRS:
            raise LogFormatError(source, f"{int(cnt.sum())} pairs of tracks of one kind end and start within "
                                         f"handoff_gap = {kmax * dt:g} s of each other (limit {MAX_GAP_PAIRS}): lower "
                                         "handoff_gap or read with clean=False")
        done = 0
        while done < len(pos):  # chunks of about _CHUNK pairs
            stop = done + max(1, int(np.searchsorted(np.cumsum(cnt[done:]), _CHUNK, side="right")))
            c = cnt[done:stop]
            if c.sum():
                pa = np.repeat(pos[done:stop], c)
                off = np.cumsum(c) - c
                pb = o[np.repeat(lo[done:stop] - off, c) + np.arange(int(c.sum()))]
                gap = (sb[pb] - ea[pa]) * dt
                d = np.hypot(xe[pa] + vx[pa] * gap - xs[pb], ye[pa] + vy[pa] * gap - ys[pb])
                ok = ~(d >= base[pa] + 0.25 * speed[pa] * gap)
                if keep_first:
                    ok &= alive[pb] != 0
                for s, a, b in zip(d[ok].tolist(), alive[pa[ok]].tolist(), alive[pb[ok]].tolist()):
                    out.append((s, a, b))
            done = stop
    return out


def _join_handoffs(tk: _Tracks, kinds, ids, keep_first: bool, max_gap_s: float, dist: dict, stats: dict,
                   source: str) -> None:
    dt = tk.dt
    kmax = int(round(max_gap_s / dt))
    groups = np.array([GROUP.get(int(k), -1) for k in kinds])
    for _ in range(10):
        first, last = tk.spans()
        alive = np.flatnonzero(tk.alive & (first >= 0))
        cands = (_overlap_candidates(tk, alive, groups, first, last, kmax, dist, keep_first, source)
                 + _gap_candidates(tk, alive, groups, first, last, kmax, dist, keep_first, source))
        if not cands:
            return
        cands.sort()
        used_end, used_start = set(), set()
        for _score, a, b in cands:
            if a in used_end or b in used_start or a in used_start or b in used_end:
                continue
            used_end.add(a)
            used_start.add(b)
            ea, sb = int(last[a]), int(first[b])
            fa, fb = tk.f[a], tk.f[b]
            va, vb = [arr.copy() for arr in tk.arrays(a)], tk.arrays(b)
            _common, ia, ib = np.intersect1d(fa, fb, assume_unique=True, return_indices=True)
            for arr, brr in zip(va, vb):
                arr[ia] = 0.5 * (arr[ia] + brr[ib])
            only_b = ~np.isin(fb, fa, assume_unique=True)
            parts_f = [fa, fb[only_b]]
            parts_v = [[arr, brr[only_b]] for arr, brr in zip(va, vb)]
            if sb > ea + 1:  # fill the gap linearly
                k = np.arange(ea + 1, sb)
                w = (k - ea) / (sb - ea)
                parts_f.append(k)
                for p, arr, brr in zip(parts_v, va, vb):
                    p.append((1 - w) * arr[-1] + w * brr[0])
            f = np.concatenate(parts_f)
            o = np.argsort(f, kind="stable")
            tk.set(a, f[o], [np.concatenate(p)[o] for p in parts_v])
            tk.kill(b)
            stats["handoffs_joined"].append((ids[a], ids[b]))


# ---------------------------------------------------------------------------------------- scenes
def _scene_rows(frames: list, starts: np.ndarray, stops: np.ndarray):
    """Per scene [starts[s], stops[s]), the tracks present in it: (scene, track) rows, sorted."""
    own = np.concatenate([np.full(len(f), i, np.int64) for i, f in enumerate(frames)])
    fr = np.concatenate(frames)
    s = np.searchsorted(starts, fr, side="right") - 1
    inside = (s >= 0) & (fr < stops[np.maximum(s, 0)])
    key = np.unique(s[inside] * len(frames) + own[inside])
    return key // len(frames), key % len(frames)


def _plan_scenes(frames: list, T: int, dt: float, max_cells: int, source: str):
    """Scene frame ranges (starts, stops) and what was done (None: one scene for the whole log)."""
    N = len(frames)
    if N * T <= max_cells:
        return np.array([0]), np.array([T]), None
    occ = np.unique(np.concatenate(frames))
    if not len(occ):  # only an ego without frames
        return np.array([0]), np.array([1]), dict(reason="no agent is present at any frame", stretches=0, scenes=1,
                                                  scene_frames=1, cut=False)
    brk = np.flatnonzero(np.diff(occ) > 1)
    seg0 = occ[np.r_[0, brk + 1]]
    seg1 = occ[np.r_[brk, len(occ) - 1]] + 1
    min_len = max(2, int(math.ceil(MIN_SCENE / dt)))
    L = int((seg1 - seg0).max())
    reason = (f"one scene would need {N} agents x {T} frames = {N * T} cells, more than max_cells = {max_cells}")
    while True:
        n = -(-(seg1 - seg0) // L)
        starts = np.concatenate([a + L * np.arange(k) for a, k in zip(seg0, n)])
        stops = np.minimum(starts + L, np.repeat(seg1, n))
        sc, _tr = _scene_rows(frames, starts, stops)
        per = np.bincount(sc, minlength=len(starts))
        cells = len(starts) * int(per.max()) * int((stops - starts).max())
        if cells <= max_cells:
            return starts, stops, dict(reason=reason, stretches=len(seg0), scenes=len(starts),
                                       scene_frames=int((stops - starts).max()), cut=bool(L < (seg1 - seg0).max()))
        if L <= min_len:
            raise LogFormatError(source, f"too dense to hold as padded scenes: cut into scenes of {L * dt:g} s "
                                         f"({L} frames) it needs {len(starts)} scenes x {int(per.max())} agents x "
                                         f"{int((stops - starts).max())} frames = {cells} cells (limit max_cells = "
                                         f"{max_cells}); {int(per.max())} tracks appear within one scene")
        L = max(min_len, L // 2)


# ---------------------------------------------------------------------------------------- checks
def _number(name: str, value, *, minimum: float = 0.0, strict: bool = False, integer: bool = False):
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if ok:
        v = float(value)
        ok = math.isfinite(v) and (v > minimum if strict else v >= minimum) and (not integer or v == int(v))
    if not ok:
        kind = "a whole number" if integer else "a finite number"
        raise ParameterError(name, f"must be {kind} {'>' if strict else '>='} {minimum:g}, got {value!r}")
    return int(value) if integer else float(value)


def _check_tracks(tracks: list[RawTrack], source: str, max_tracks: int, max_span: float):
    if len(tracks) > max_tracks:
        raise LogFormatError(source, f"{len(tracks)} tracks, more than max_tracks = {max_tracks}")
    for tr in tracks:
        problem = size_problem(tr.length, tr.width)
        if problem:
            raise LogFormatError(source, problem, f"track {tr.id}")
        n = len(tr.t)
        for name in ("x", "y", "heading", "speed"):
            a = getattr(tr, name)
            if a is not None and len(a) != n:
                raise LogFormatError(source, f"{len(a)} {name} values for {n} times", f"track {tr.id}")
        for name, bound, unit in (("t", np.inf, "s"), ("x", MAX_COORD, "m"), ("y", MAX_COORD, "m"),
                                  ("heading", np.inf, "rad"), ("speed", MAX_SPEED, "m/s")):
            a = getattr(tr, name)
            if a is None or not n:
                continue
            a = np.asarray(a, float)
            ok = np.isfinite(a) & (np.abs(a) <= bound)
            if not ok.all():
                bad = int(np.flatnonzero(~ok)[0])
                what = "not finite" if not np.isfinite(a[bad]) else f"out of range (|{name}| at most {bound:g} {unit})"
                raise LogFormatError(source, f"{name} = {a[bad]:g} at sample {bad} is {what}", f"track {tr.id}")
    if not tracks:
        return
    lo = min(tracks, key=lambda tr: tr.t.min())
    hi = max(tracks, key=lambda tr: tr.t.max())
    t0, t1 = float(lo.t.min()), float(hi.t.max())
    if t1 - t0 > max_span:
        raise LogFormatError(source, f"the samples span {t1 - t0:.6g} s, from {t0:.6g} s (track {lo.id}) to "
                                     f"{t1:.6g} s (track {hi.id}), more than max_span = {max_span:g} s: a corrupt "
                                     "time stamp?")


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
    max_tracks: int = MAX_TRACKS,
    max_span: float = MAX_SPAN,
    max_cells: int = MAX_CELLS,
    lanes: tuple[LanePolyline, ...] = (),
    info: dict | None = None,
    **unknown,
) -> LogScenes:
    """The tracks of a log resampled to ``dt``, cleaned and laid out as scenes (module docstring).

    ``ego_id``: the track that becomes agent 0 (the recording vehicle); it is never
    dropped as static nor merged away. Units: seconds and metres."""
    if unknown:
        raise ParameterError("options", f": unknown option(s) {', '.join(sorted(unknown))}; the readers take dt, "
                                        "clean, max_gap, smooth, handoff_gap, handoff_dist, static_extent, "
                                        "static_speed, max_tracks, max_span, max_cells (eth-ucy also frame_time)")
    dt = _number("dt", dt, minimum=MIN_DT)
    for name, value in (("max_gap", max_gap), ("smooth", smooth), ("handoff_gap", handoff_gap),
                        ("static_extent", static_extent), ("static_speed", static_speed)):
        _number(name, value)
    if handoff_dist is not None:
        _number("handoff_dist", handoff_dist, strict=True)
    max_tracks = _number("max_tracks", max_tracks, minimum=1, integer=True)
    max_span = _number("max_span", max_span, strict=True)
    max_cells = _number("max_cells", max_cells, minimum=1, integer=True)
    _check_tracks(tracks, source, max_tracks, max_span)
    info = dict(info or {})
    stats = {"tracks_read": len(tracks), "static_dropped": [], "short_dropped": [], "duplicates_merged": [],
             "handoffs_joined": []}
    stats.update(info.pop("stats", {}))
    sorted_tracks = []
    for tr in tracks:
        if len(tr.t) == 0:
            continue
        t = np.asarray(tr.t, float)
        o = np.argsort(t, kind="stable")
        keep = np.concatenate([[True], np.diff(t[o]) > 0])
        o = o[keep]
        sorted_tracks.append(replace(tr, t=t[o], x=np.asarray(tr.x, float)[o], y=np.asarray(tr.y, float)[o],
                                     heading=None if tr.heading is None else np.asarray(tr.heading, float)[o],
                                     speed=None if tr.speed is None else np.asarray(tr.speed, float)[o]))
    tracks = sorted_tracks
    if ego_id is not None:
        tracks.sort(key=lambda tr: (tr.id != ego_id,))
    keep_first = ego_id is not None and bool(tracks) and tracks[0].id == ego_id
    info.update(stats=stats, dt=dt, ego=ego_id if keep_first else None, split=None)
    if not tracks:
        arrays = empty_scenes(1, 0, 0, dt)
        return LogScenes(dt=dt, sources=np.array([source], dtype=object), t0=np.zeros(1),
                         lanes={source: tuple(lanes)}, info={source: info}, **arrays)
    max_gap = float(max_gap)
    content = sum(_content_estimate(tr.t, dt, max_gap) for tr in tracks)
    if content > max_cells:
        raise LogFormatError(source, f"the tracks resampled to dt = {dt:g} s fill about {content:.4g} agent-frames, "
                                     f"more than max_cells = {max_cells}")
    t_start = min(float(tr.t[0]) for tr in tracks)
    t_end = max(float(tr.t[-1]) for tr in tracks)
    T = int(np.floor((t_end - t_start) / dt + 1e-6)) + 1
    cols = list(zip(*(_resample(tr.t, tr.x, tr.y, tr.heading, tr.speed, t_start, T, dt, max_gap) for tr in tracks)))
    tk = _Tracks(*[list(c) for c in cols], dt=dt)
    kinds = np.array([tr.kind for tr in tracks], np.int8)
    sizes = np.array([[tr.length, tr.width] for tr in tracks], np.float64)
    ids = [tr.id for tr in tracks]
    if clean:
        _merge_duplicates(tk, kinds, sizes[:, 1], ids, keep_first, stats, source)
        dist = {0: 1.5, 1: 1.0, 2: 0.5, -1: 1.0} if handoff_dist is None else {k: handoff_dist for k in (0, 1, 2, -1)}
        _join_handoffs(tk, kinds, ids, keep_first, float(handoff_gap), dist, stats, source)
    kin = {}
    for i in np.flatnonzero(tk.alive).tolist():
        if keep_first and i == 0:
            kin[i] = tk.kinematics(i, smooth)
            continue
        if len(tk.f[i]) < 2:
            tk.alive[i] = False
            stats["short_dropped"].append(ids[i])
            continue
        kin[i] = H_V_A = tk.kinematics(i, smooth)
        if clean:
            xs, ys = tk.x[i], tk.y[i]
            extent = np.hypot(xs - xs.mean(), ys - ys.mean()).max()
            if extent < static_extent and np.percentile(H_V_A[1], 90) < static_speed:
                tk.alive[i] = False
                stats["static_dropped"].append(ids[i])
    # order: ego first, then by first appearance
    first, _last = tk.spans()
    idx = [int(i) for i in np.flatnonzero(tk.alive)]
    idx.sort(key=lambda i: (not (keep_first and i == 0), first[i], i))
    stats["tracks_kept"] = len(idx)
    starts, stops, split = _plan_scenes([tk.f[i] for i in idx], T, dt, max_cells, source)
    info["split"] = split
    if split is None:
        rows_s, rows_t = np.zeros(len(idx), np.int64), np.arange(len(idx))
    else:
        rows_s, rows_t = _scene_rows([tk.f[i] for i in idx], starts, stops)
    B = len(starts)
    per = np.bincount(rows_s, minlength=B)
    out = empty_scenes(B, int(per.max()) if len(idx) else 0, int((stops - starts).max()), dt)
    slot = np.zeros(B, np.int64)
    order = np.lexsort((rows_t, rows_s))  # rows_t follows the agents' order within a scene
    for s, n in zip(rows_s[order].tolist(), rows_t[order].tolist()):
        i = idx[n]
        f = tk.f[i]
        a, b = np.searchsorted(f, starts[s]), np.searchsorted(f, stops[s])
        k = f[a:b] - starts[s]
        j = slot[s]
        slot[s] += 1
        H, V, A = kin[i]
        tr_ = out["trajectories"][s, j]
        tr_[k, Lo.F_X] = tk.x[i][a:b]
        tr_[k, Lo.F_Y] = tk.y[i][a:b]
        tr_[k, Lo.F_HEADING] = H[a:b]
        tr_[k, Lo.F_SPEED] = V[a:b]
        tr_[k, Lo.F_ACCEL] = A[a:b]
        out["mask"][s, j, k] = True
        out["kinds"][s, j] = kinds[i]
        out["sizes"][s, j] = sizes[i]
        out["track_ids"][s, j] = ids[i]
    return LogScenes(dt=dt, sources=np.full(B, source, dtype=object), t0=starts * dt,
                     lanes={source: tuple(lanes)}, info={source: info}, **out)
