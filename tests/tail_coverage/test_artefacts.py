"""Annotation errors of real windows: boxes overlapping at the start, impossible speeds and
teleports are flagged, left out of the real set and counted in the report's numbers."""

from __future__ import annotations

import numpy as np
from coverage_helpers import NGSIM, need

from scenariogen.coverage.artefacts import AnnotationRules, annotation_errors, boxes_overlap
from scenariogen.coverage.report import real_descriptors
from scenariogen.data import layout as Lo
from scenariogen.logs import make_windows, read_log


def _pair(T=30, gap=10.0, dt=0.1):
    """Ego and a leader ``gap`` metres (centre to centre) ahead, both at 10 m/s along +x."""
    t = np.arange(T) * dt
    traj = np.full((1, 2, T, 8), np.nan)
    for i, x0 in enumerate((0.0, gap)):
        traj[0, i, :, Lo.F_X] = x0 + 10 * t
        traj[0, i, :, Lo.F_Y] = 0.0
        traj[0, i, :, Lo.F_HEADING] = 0.0
        traj[0, i, :, Lo.F_SPEED] = 10.0
    return traj, np.ones((1, 2, T), bool), np.zeros((1, 2), np.int8), np.tile([4.0, 2.0], (1, 2, 1))


def test_box_overlap_by_separating_axes():
    assert boxes_overlap(0, 0, 0, 4, 2, 3.9, 0, 0, 4, 2) and not boxes_overlap(0, 0, 0, 4, 2, 4.1, 0, 0, 4, 2)
    # rotated by 45 degrees: corners reach 2.12 m along x
    assert boxes_overlap(0, 0, np.pi / 4, 3, 3, 3.1, 0, 0, 2, 2) and not boxes_overlap(0, 0, np.pi / 4, 3, 3, 3.2, 0, 0, 2, 2)


def test_each_error_is_flagged():
    dt = 0.1
    assert annotation_errors(*_pair(), dt)[0] == ""
    assert annotation_errors(*_pair(gap=3.0), dt)[0] == "overlap at start"
    traj, mask, kinds, sizes = _pair()
    traj[0, 1, :, Lo.F_X], traj[0, 1, :, Lo.F_SPEED] = 10.0, 0.0  # the ego runs into a stopped car at 0.6 s:
    assert boxes_overlap(traj[0, 0, 10, 0], 0, 0, 4, 2, 10, 0, 0, 4, 2)  # a contact within the window, kept
    assert annotation_errors(traj, mask, kinds, sizes, dt)[0] == ""
    traj, mask, kinds, sizes = _pair()
    traj[0, 1, 15:, Lo.F_X] += 4.0  # the leader jumps 4 m in one frame
    assert annotation_errors(traj, mask, kinds, sizes, dt)[0] == "teleport"
    assert annotation_errors(traj, mask, kinds, sizes, dt, AnnotationRules(teleport=5.0))[0] == ""
    assert annotation_errors(traj, mask, kinds, sizes, dt, AnnotationRules(radius=5.0))[0] == ""  # far from the ego
    traj, mask, kinds, sizes = _pair()
    traj[0, 0, :, Lo.F_SPEED] = 70.0
    assert annotation_errors(traj, mask, kinds, sizes, dt)[0] == "impossible speed"
    kinds[0, 0] = Lo.KIND_CODES["pedestrian"]
    traj, mask, _k, sizes = _pair()
    traj[0, 0, :, Lo.F_X] *= 2.0  # 20 m/s by its positions: too fast for a pedestrian
    assert annotation_errors(traj, mask, kinds, sizes, dt)[0] == "impossible speed"


def test_overlapping_real_window_is_excluded_and_counted(tmp_path):
    """A real NGSIM window edited so that the nearest vehicle starts inside the ego's box: the
    real set loses that window and the report's counts name it."""
    src = need(NGSIM / "USA_US101-4_1_T-1.xml")
    clean = real_descriptors(src, window=3.0, dt=0.1)
    assert clean.info["annotation_errors"] == {"overlap at start": 0, "impossible speed": 0, "teleport": 0}
    w = make_windows(read_log(src), 3.0, stride=3.0)
    flags = annotation_errors(w.trajectories, w.mask, w.kinds, w.sizes, w.dt)
    assert (flags == "").all() and len(flags) == len(clean.D)
    # shift one vehicle's whole track onto another's start: both begin inside each other (in every
    # window with either as ego that starts then) and move on as logged, with no jump
    import xml.etree.ElementTree as ET

    tree = ET.parse(src)
    obs = [o for o in tree.getroot().iter("dynamicObstacle")]

    def start(o):
        st = o.find("initialState")
        pt = st.find("position").find("point")
        return int(st.find("time").findtext("exact")), float(pt.findtext("x")), float(pt.findtext("y"))

    t0 = min(start(o)[0] for o in obs)
    # two vehicles logged from the first step for at least a 3 s window
    a, b = [o for o in obs if start(o)[0] == t0 and len(o.findall(".//state")) >= 30][:2]
    dx, dy = start(a)[1] - start(b)[1], start(a)[2] - start(b)[2]
    for pt in b.iter("point"):
        pt.find("x").text = repr(float(pt.findtext("x")) + dx)
        pt.find("y").text = repr(float(pt.findtext("y")) + dy)
    bad = tmp_path / src.name
    tree.write(bad)
    edited = real_descriptors(bad, window=3.0, dt=0.1)
    n = edited.info["annotation_errors"]["overlap at start"]
    assert n >= 1 and len(edited.D) == len(clean.D) - n
    assert edited.info["excluded"] == {str(bad): {"overlap at start": n}}
