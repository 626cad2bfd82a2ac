"""Annotation errors of real log windows: flagged, left out of the real set and counted.

A real window is an annotation error (and not a rare real situation) when, at frames where the
agent involved is present:

- ``overlap at start``: at the window's first frame the ego's box overlaps another agent's box.
  Two vehicles do not start a window inside each other; a genuine contact develops within a
  window from apart, which is kept;
- ``impossible speed``: the ego, or an agent within ``radius`` of it, moves faster than the
  limit of its kind (``max_speed`` m/s for vehicles, ``max_speed_slow`` for pedestrians and
  bicycles), by its logged speed or by its displacement between consecutive frames;
- ``teleport``: such an agent moves between two consecutive frames ``teleport`` metres farther
  than its logged speeds allow (max of the two speeds x dt).

Synthetic windows are not checked: the simulator's states are exact, and a crash it produces is
a result, not an error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data import layout as Lo
from ..errors import ParameterError
from ..logs.base import boxes_overlap

REASONS = ("overlap at start", "impossible speed", "teleport")
SLOW_KINDS = (Lo.KIND_CODES["pedestrian"], Lo.KIND_CODES["bicycle"])


@dataclass(frozen=True)
class AnnotationRules:
    """Limits of :func:`annotation_errors`: ``max_speed`` (m/s) for vehicles, ``max_speed_slow``
    (m/s) for pedestrians and bicycles, ``teleport`` (m) of unexplained displacement in one
    frame, and the ``radius`` (m, centre distance to the ego) within which another agent's
    speed and jumps are checked."""

    max_speed: float = 60.0
    max_speed_slow: float = 15.0
    teleport: float = 3.0
    radius: float = 50.0

    def __post_init__(self):
        for name in ("max_speed", "max_speed_slow", "teleport", "radius"):
            if not getattr(self, name) > 0:
                raise ParameterError(name, f"must be positive, got {getattr(self, name)}")


def annotation_errors(traj, mask, kinds, sizes, dt: float, rules: AnnotationRules = AnnotationRules()) -> np.ndarray:
    """Per window (agent 0 the ego), the first annotation error found (one of ``REASONS``), or
    "" for a clean window; (B,) array of str."""
    traj = np.asarray(traj, np.float64)
    mask = np.asarray(mask, bool)
    kinds = np.asarray(kinds)
    sizes = np.asarray(sizes, np.float64)
    B, N, T = traj.shape[:3]
    out = np.full(B, "", dtype=object)
    if B == 0 or N == 0 or T == 0:
        return out.astype(str)
    x, y, h, v = (traj[..., f] for f in (Lo.F_X, Lo.F_Y, Lo.F_HEADING, Lo.F_SPEED))
    valid = mask & (kinds[:, :, None] >= 0) & np.isfinite(x) & np.isfinite(y)
    # overlap at the first frame: the ego against every other agent present there
    hv = np.isfinite(h[:, :, 0])
    ov = boxes_overlap(x[:, :1, 0], y[:, :1, 0], h[:, :1, 0], sizes[:, :1, 0], sizes[:, :1, 1],
                       x[:, :, 0], y[:, :, 0], h[:, :, 0], sizes[:, :, 0], sizes[:, :, 1])
    ov &= valid[:, :, 0] & valid[:, :1, 0] & hv & hv[:, :1]
    ov[:, 0] = False
    # the agents checked for speed and jumps: the ego and those within the radius of it
    dist = np.hypot(x - x[:, :1], y - y[:, :1])
    near = valid & valid[:, :1] & (dist <= rules.radius)
    near[:, 0] = valid[:, 0]
    limit = np.where(np.isin(kinds, SLOW_KINDS), rules.max_speed_slow, rules.max_speed)[:, :, None]
    step = np.hypot(np.diff(x, axis=2), np.diff(y, axis=2))  # (B, N, T-1), NaN across absences
    both = valid[:, :, 1:] & valid[:, :, :-1] & (near[:, :, 1:] | near[:, :, :-1])
    with np.errstate(invalid="ignore"):
        too_fast = (near & (v > limit)).any(axis=(1, 2)) | (both & (step / dt > limit)).any(axis=(1, 2))
        allowed = np.fmax(v[:, :, 1:], v[:, :, :-1]) * dt
        jump = (both & np.isfinite(allowed) & (step - allowed > rules.teleport)).any(axis=(1, 2))
    for reason, hit in zip(REASONS, (ov.any(axis=1), too_fast, jump)):
        out[(out == "") & hit] = reason
    return out.astype(str)
