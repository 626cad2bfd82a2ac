"""The lane lookups with the points' heading cosines and sines (kernels/lanes.py, ``*_cs``) give the
bits of the ones that compute them, on straight, curved and junction lanes, inside and beyond the
lanes' ends."""

from __future__ import annotations

import math

import numpy as np
import pytest

import scenariogen
from scenariogen.kernels.groups import alloc
from scenariogen.kernels.lanes import heading_cs, lane_pose, lane_pose_cs, project_local, project_local_cs
from scenariogen.kernels.paths import start_paths
from scenariogen.sim.compile import compiled_road
from scenariogen.sim.engine import kernel_road

ROADS = (
    "road: {type: straight, lanes: 3, lane_width: 3.5, length: 300}",
    "road: {type: curve, lanes: 2, radius: 60, angle_deg: 90}",
    "road: {type: intersection, lanes: 1, lane_width: 3.5, length: 80, turn_radius: 6}",
)


@pytest.mark.parametrize("road_yaml", ROADS)
def test_tables_give_the_same_bits(road_yaml):
    lane0 = "S_in_0" if "intersection" in road_yaml else "0"
    spec = scenariogen.parse_text(f"scenariogen: 1\nname: t\ndt: 0.1\nduration: 1.0\n{road_yaml}\n"
                                  f"actors:\n  ego: {{kind: car, lane: {lane0}, s: 1, speed: 1}}\n")
    rd = kernel_road(compiled_road(spec))
    no_poly = np.zeros(0, np.int64)
    _st, _sc, tr = alloc(1, 1, rd.length.shape[0], rd.px.shape[0], 1, np.zeros(0), np.zeros(0), no_poly, no_poly)
    start_paths(rd, tr)
    args = (rd.offset, rd.length, rd.px, rd.py, rd.heading, rd.curvature)
    r = np.random.default_rng(4)
    for lane in range(rd.length.shape[0]):
        for _ in range(60):
            s = float(r.uniform(-20.0, rd.length[lane] + 20.0))
            d = float(r.choice([0.0, r.uniform(-3.0, 3.0)]))
            a = lane_pose(*args, lane, s, d)
            b = lane_pose_cs(*args, tr.pt_cs, lane, s, d)
            assert np.array(a).tobytes() == np.array(b).tobytes(), (lane, s, d)
            # libm's cos and sin, as the kernels call them (NumPy's own may differ in the last bit)
            assert heading_cs(rd.offset, rd.length, rd.heading, tr.pt_cs, lane, s, a[2]) == (math.cos(a[2]),
                                                                                             math.sin(a[2]))
            x, y = a[0] + float(r.normal(0, 2)), a[1] + float(r.normal(0, 2))
            guess = s + float(r.normal(0, 3))
            p = project_local(*args, lane, x, y, guess)
            q = project_local_cs(*args, tr.pt_cs, lane, x, y, guess)
            assert np.array(p).tobytes() == np.array(q).tobytes(), (lane, x, y, guess)
