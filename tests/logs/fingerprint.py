"""A fingerprint of a LogScenes, to check that a change of the readers leaves their results on the
real samples the same: a sha256 of everything but the kinematic channels (masks, kinds, sizes, t0,
track ids, x, y, the cleaning statistics) and, for heading, speed and accel, sums that must agree
to 1e-9 (the smoothing filter may round differently in the last bits; a heading of exactly pi can
come out as -pi)."""

from __future__ import annotations

import hashlib
import json

import numpy as np

from scenariogen.data import layout as Lo


def fingerprint(scenes) -> dict:
    h = hashlib.sha256()
    xy = scenes.trajectories[..., [Lo.F_X, Lo.F_Y]]
    for a in (xy, scenes.mask, scenes.kinds, scenes.sizes, scenes.t0):
        a = np.ascontiguousarray(a)
        h.update(str((a.dtype.str, a.shape)).encode())
        h.update(a.tobytes())
    h.update(json.dumps([list(map(str, r)) for r in scenes.track_ids]).encode())
    for src in sorted(scenes.info):
        st = scenes.info[src].get("stats", {})
        h.update(json.dumps({k: st[k] for k in ("tracks_read", "static_dropped", "short_dropped", "duplicates_merged",
                                                "handoffs_joined", "tracks_kept") if k in st},
                            default=str, sort_keys=True).encode())
    m = scenes.mask
    hd, sp, ac = (scenes.trajectories[..., c][m].astype(np.float64) for c in (Lo.F_HEADING, Lo.F_SPEED, Lo.F_ACCEL))
    sums = [np.cos(hd).sum(), np.sin(hd).sum(), np.abs(sp).sum(), (sp * sp).sum(), np.abs(ac).sum(), (ac * ac).sum()]
    return {"exact": h.hexdigest(), "kinematics": [float(s) for s in sums]}


def same(a: dict, b: dict) -> bool:
    return a["exact"] == b["exact"] and bool(np.allclose(a["kinematics"], b["kinematics"], rtol=1e-9, atol=1e-9))
