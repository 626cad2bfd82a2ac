"""The oracle the path-TTC tests compare with: the first contact of two boxes moved along known
poses, found on a fine time grid and refined by bisection."""

from __future__ import annotations

import math

from scenariogen.kernels.geometry import boxes_overlap

CAR = (4.6, 1.9)  # m, the default car's length and width


def first_contact(pose_a, pose_b, size_a=CAR, size_b=CAR, t_lim=10.0, dt=0.01, grow=0.0):
    """First time (s) the boxes at ``pose_a(t)``, ``pose_b(t)`` (x, y, heading) overlap, each box
    grown by ``grow`` m in length and width; inf if not before ``t_lim``."""
    la, wa = size_a[0] + grow, size_a[1] + grow
    lb, wb = size_b[0] + grow, size_b[1] + grow

    def hit(t):
        return boxes_overlap(*pose_a(t), la, wa, *pose_b(t), lb, wb)

    if hit(0.0):
        return 0.0
    t = 0.0
    while t < t_lim:
        if hit(t + dt):
            lo, hi = t, t + dt
            for _ in range(40):
                mid = 0.5 * (lo + hi)
                lo, hi = (lo, mid) if hit(mid) else (mid, hi)
            return hi
        t += dt
    return math.inf
