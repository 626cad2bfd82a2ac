"""Lane lookups (scenariogen.kernels.lanes): lane_curvature gives lane_pose's bits."""

from __future__ import annotations

import numpy as np

import scenariogen
from scenariogen.kernels.lanes import lane_curvature, lane_pose
from scenariogen.sim.compile import compiled_road
from scenariogen.sim.engine import kernel_road


def test_lane_curvature_is_lane_pose_s():
    """On both lanes of a curve, before, on and past each lane (both ends and the points between
    segments too), lane_curvature is bit for bit lane_pose's curvature."""
    spec = scenariogen.parse_text("scenariogen: 1\nname: t\ndt: 0.1\nduration: 1.0\n"
                                  "road: {type: curve, lanes: 2, radius: 60, angle_deg: 75}\n"
                                  "actors:\n  ego: {kind: car, lane: 0, s: 1, speed: 1}\n")
    r = kernel_road(compiled_road(spec))
    rng = np.random.default_rng(3)
    curved = 0
    for lane in range(r.length.shape[0]):
        n = r.offset[lane + 1] - r.offset[lane]
        step = r.length[lane] / (n - 1)
        s_all = np.concatenate([rng.uniform(-20.0, r.length[lane] + 20.0, 300), np.arange(n) * step,
                                [-0.0, 0.0, r.length[lane], np.nextafter(r.length[lane], 0.0)]])
        for s in s_all:
            want = lane_pose(r.offset, r.length, r.px, r.py, r.heading, r.curvature, lane, s, 0.0)[3]
            got = lane_curvature(r.offset, r.length, r.curvature, lane, s)
            assert got == want, (lane, s)
            curved += want != 0.0
    assert curved > 100  # the curve's curvature is read, not only the zeros past the ends
