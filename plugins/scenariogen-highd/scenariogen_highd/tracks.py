"""One scenario's agents as highD track columns (pure numpy, no I/O).

Conventions (highD's, adapted to a simulator):
- ids are agent slots + 1 (id 1 is the ego); 0 means "no such vehicle";
- frames are 1-based; ``x``, ``y`` are the corner of the agent's box with the
  smallest world x and y, so ``x + width / 2``, ``y + height / 2`` is its
  centre (world frame, y north: not image coordinates), ``width`` is the
  length along the road and ``height`` the width, as in highD;
- velocities and accelerations are the speed and longitudinal acceleration
  projected on the world x and y axes;
- neighbours are found per frame: same lane ahead/behind (``preceding``,
  ``following``), and in the lane to the left/right (of the lane graph) ahead,
  overlapping (``alongside``) or behind, measured along the agent's heading;
- ``dhw`` is the bumper-to-bumper gap to the preceding vehicle (m), ``thw`` =
  dhw / speed (s), ``ttc`` = dhw / closing speed (s); 0 when undefined, as in highD;
- ``frontSightDistance`` / ``backSightDistance`` are the distances to the end
  and the start of the agent's current lane (m); ``laneId`` is the lane index + 1.
"""

from __future__ import annotations

import numpy as np

TRACK_COLUMNS = (
    "frame", "id", "x", "y", "width", "height", "xVelocity", "yVelocity", "xAcceleration", "yAcceleration",
    "frontSightDistance", "backSightDistance", "dhw", "thw", "ttc", "precedingXVelocity", "precedingId",
    "followingId", "leftPrecedingId", "leftAlongsideId", "leftFollowingId", "rightPrecedingId", "rightAlongsideId",
    "rightFollowingId", "laneId",
)  # fmt: skip
INT_COLUMNS = {"frame", "id", "precedingId", "followingId", "leftPrecedingId", "leftAlongsideId", "leftFollowingId",
               "rightPrecedingId", "rightAlongsideId", "rightFollowingId", "laneId"}

# feature columns of scenariogen trajectories (scenariogen.sim.layout.FEATURES)
X, Y, HEADING, SPEED, ACCEL, LANE, S = 0, 1, 2, 3, 4, 5, 6


def _closest(cand: np.ndarray, dist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per (t, i): the id (j + 1) of the candidate j with the smallest ``dist``, 0 if none; and that j."""
    key = np.where(cand, dist, np.inf)
    j = key.argmin(axis=-1)
    found = np.isfinite(np.take_along_axis(key, j[..., None], axis=-1)[..., 0])
    return np.where(found, j + 1, 0), np.where(found, j, -1)


def track_columns(traj: np.ndarray, mask: np.ndarray, sizes: np.ndarray, left: np.ndarray, right: np.ndarray,
                  lane_length: np.ndarray) -> dict[str, np.ndarray]:
    """Every column of ``tracks.csv`` as a (T, N) array (rows where ``mask`` is false are meaningless).

    ``traj`` (N, T, F) and ``mask`` (N, T) are one scenario; ``sizes`` (N, 2) length, width;
    ``left`` / ``right`` (L,) neighbour lane index or -1; ``lane_length`` (L,) m."""
    tr = np.transpose(traj, (1, 0, 2)).astype(np.float64)  # (T, N, F)
    m = mask.T  # (T, N)
    T, N = m.shape
    length, width = sizes[:, 0].astype(np.float64), sizes[:, 1].astype(np.float64)
    h, v, a = tr[..., HEADING], tr[..., SPEED], tr[..., ACCEL]
    lane = np.where(m, tr[..., LANE], -1).astype(np.int64)
    on = lane >= 0
    safe = np.where(on, lane, 0)
    cols = {
        "frame": np.broadcast_to(np.arange(1, T + 1)[:, None], (T, N)),
        "id": np.broadcast_to(np.arange(1, N + 1)[None, :], (T, N)),
        "x": tr[..., X] - length / 2, "y": tr[..., Y] - width / 2,
        "width": np.broadcast_to(length, (T, N)), "height": np.broadcast_to(width, (T, N)),
        "xVelocity": v * np.cos(h), "yVelocity": v * np.sin(h),
        "xAcceleration": a * np.cos(h), "yAcceleration": a * np.sin(h),
        "frontSightDistance": np.where(on, lane_length[safe] - tr[..., S], 0.0),
        "backSightDistance": np.where(on, tr[..., S], 0.0),
        "laneId": lane + 1,
    }
    # pairwise offsets along each agent's heading: d[t, i, j] > 0 when j is ahead of i
    dx = tr[:, None, :, X] - tr[:, :, None, X]
    dy = tr[:, None, :, Y] - tr[:, :, None, Y]
    d = dx * np.cos(h)[:, :, None] + dy * np.sin(h)[:, :, None]
    half = (length[:, None] + length[None, :]) / 2
    pair = m[:, :, None] & m[:, None, :] & ~np.eye(N, dtype=bool)
    lane_j = lane[:, None, :]
    same = pair & on[:, :, None] & (lane_j == lane[:, :, None])
    cols["precedingId"], prec = _closest(same & (d > 0), d)
    cols["followingId"], _ = _closest(same & (d < 0), -d)
    for side, nb in (("left", left), ("right", right)):
        nb_lane = np.where(on, nb[safe], -1)
        there = pair & (nb_lane[:, :, None] >= 0) & (lane_j == nb_lane[:, :, None])
        cols[f"{side}PrecedingId"], _ = _closest(there & (d >= half), d)
        cols[f"{side}AlongsideId"], _ = _closest(there & (np.abs(d) < half), np.abs(d))
        cols[f"{side}FollowingId"], _ = _closest(there & (d <= -half), -d)
    has = prec >= 0
    pj = np.where(has, prec, 0)
    gap = np.take_along_axis(d, pj[..., None], axis=-1)[..., 0] - half[np.arange(N)[None, :], pj]
    vx, vy = v * np.cos(h), v * np.sin(h)
    # the leader's velocity along this agent's heading
    v_lead = np.take_along_axis(vx, pj, axis=-1) * np.cos(h) + np.take_along_axis(vy, pj, axis=-1) * np.sin(h)
    closing = v - v_lead
    cols["dhw"] = np.where(has, gap, 0.0)
    cols["thw"] = np.where(has & (v > 0), gap / np.where(v > 0, v, 1.0), 0.0)
    cols["ttc"] = np.where(has & (closing > 0), gap / np.where(closing > 0, closing, 1.0), 0.0)
    cols["precedingXVelocity"] = np.where(has, np.take_along_axis(cols["xVelocity"], pj, axis=-1), 0.0)
    return cols
