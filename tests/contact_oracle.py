"""The oracle the path-TTC tests compare with: the first contact of two boxes moved along known
poses, found on a fine time grid and refined by bisection; and the known pose of a left turn on the
tests' junction."""

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


# the tests' junction: one lane per direction, 3.5 m wide, turn radius 6 m
JUNCTION = "road: {type: intersection, lanes: 1, lane_width: 3.5, length: 80, turn_radius: 6}\n"
H = 3.5 + 6.0  # half the junction box (m)
R_LEFT = H + 1.75  # radius of a left turn (m)


def left_turner(s0, u):
    """The south arm's left turn at ``u`` m/s: S_in_0 (heading north at x = 1.75, ending at y = -H),
    the quarter circle about (-H, -H), then W_out_0 heading west at y = 1.75; ``s0``: arc length
    from the start of the turn (m, negative on S_in_0)."""
    def pose(t):
        s = s0 + u * t
        if s < 0.0:
            return 1.75, -H + s, math.pi / 2
        if s < R_LEFT * math.pi / 2:
            a = s / R_LEFT
            return -H + R_LEFT * math.cos(a), -H + R_LEFT * math.sin(a), a + math.pi / 2
        return -H - (s - R_LEFT * math.pi / 2), 1.75, math.pi
    return pose
