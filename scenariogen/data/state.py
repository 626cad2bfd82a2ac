"""Struct-of-arrays agent state: one numpy array per field, shape (B, N).

B scenarios x N agent slots; ``valid`` marks the slots that hold an agent
(background traffic is padded to the largest count its distribution allows).
This module imports nothing else from scenariogen, so kernels, writers and
readers can all share it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np


@dataclass(frozen=True, eq=False)
class AgentState:
    """The state of every agent of a batch at one instant.

    - ``x``, ``y``: float64, m, world frame (x east, y north)
    - ``heading``: float64, rad, counter-clockwise from +x
    - ``speed``: float64, m/s (>= 0)
    - ``accel``: float64, m/s^2, longitudinal
    - ``lane``: int64, lane index in the compiled road (-1: off the lane graph, e.g. pedestrians)
    - ``s``: float64, m, arc length along ``lane``
    - ``offset``: float64, m, lateral offset from the lane centre, left positive
    - ``length``, ``width``: float64, m, the agent's box
    - ``kind``: int64 code (car 0, truck 1, bus 2, motorcycle 3, bicycle 4, pedestrian 5)
    - ``valid``: bool, the slot holds an agent
    """

    x: np.ndarray
    y: np.ndarray
    heading: np.ndarray
    speed: np.ndarray
    accel: np.ndarray
    lane: np.ndarray
    s: np.ndarray
    offset: np.ndarray
    length: np.ndarray
    width: np.ndarray
    kind: np.ndarray
    valid: np.ndarray

    _DTYPES = {"lane": np.int64, "kind": np.int64, "valid": np.bool_}

    @property
    def shape(self) -> tuple[int, int]:
        return self.x.shape  # type: ignore[return-value]

    def validate(self) -> "AgentState":
        """Check shapes, dtypes and physical sanity; raises ValueError naming the field."""
        shape = self.x.shape
        if len(shape) != 2:
            raise ValueError(f"state arrays must be (B, N), got x of shape {shape}")
        for f in fields(self):
            arr = getattr(self, f.name)
            if not isinstance(arr, np.ndarray) or arr.shape != shape:
                raise ValueError(f"state field {f.name!r} must be an array of shape {shape}")
            want = self._DTYPES.get(f.name, np.float64)
            if arr.dtype != want:
                raise ValueError(f"state field {f.name!r} must have dtype {np.dtype(want).name}, got {arr.dtype}")
        v = self.valid
        for name in ("x", "y", "heading", "speed", "s", "offset"):
            if not np.all(np.isfinite(getattr(self, name)[v])):
                raise ValueError(f"state field {name!r} holds NaN or infinite values for valid agents")
        if np.any(self.speed[v] < 0):
            raise ValueError("state field 'speed' must be >= 0")
        if np.any(self.length[v] <= 0) or np.any(self.width[v] <= 0):
            raise ValueError("agent boxes must have positive length and width")
        return self

    @classmethod
    def empty(cls, batch: int, agents: int) -> "AgentState":
        """All-invalid state of the given shape (lanes -1, zeros elsewhere)."""
        z = lambda dt=np.float64: np.zeros((batch, agents), dt)  # noqa: E731
        return cls(z(), z(), z(), z(), z(), np.full((batch, agents), -1, np.int64), z(), z(), z(), z(),
                   z(np.int64), z(np.bool_))
