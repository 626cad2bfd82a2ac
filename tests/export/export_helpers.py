"""Helpers shared by the export tests."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from scenariogen.data import layout as Lo
from scenariogen.data.run import read_manifest


def sim_arrays(run: Path) -> dict:
    """The run's sim/* arrays over all shards, concatenated."""
    parts = [np.load(run / rec.file) for rec in read_manifest(run).shards]
    return {k: np.concatenate([p[f"sim/{k}"] for p in parts]) for k in ("index", "log_weight", "event", "stage")}


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """Identical dtype, shape and bytes (NaNs compared as NaNs)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.kind == "f":
        nan = np.isnan(a)
        return bool(np.array_equal(nan, np.isnan(b)) and a[~nan].tobytes() == b[~nan].tobytes())
    return a.tobytes() == b.tobytes()


def read_xosc(path: Path) -> dict:
    """Header properties, entities and, per entity, its trajectory spans and visibility events."""
    root = ET.parse(path).getroot()
    head = root.find("FileHeader")
    props = {p.get("name"): p.get("value") for p in head.find("Properties")}
    entities = {so.get("name"): so[0] for so in root.find("Entities")}
    init = {}
    for priv in root.find("Storyboard/Init/Actions").findall("Private"):
        wp = priv.find("PrivateAction/TeleportAction/Position/WorldPosition")
        hidden = priv.find("PrivateAction/VisibilityAction")
        init[priv.get("entityRef")] = ((float(wp.get("x")), float(wp.get("y")), float(wp.get("h"))),
                                       hidden is None or hidden.get("graphics") == "true")
    tracks, visibility = {}, {}
    for mg in root.iter("ManeuverGroup"):
        name = mg.find("Actors/EntityRef").get("entityRef")
        spans, vis = [], []
        for ev in mg.iter("Event"):
            start = float(ev.find("StartTrigger/ConditionGroup/Condition/ByValueCondition/"
                                  "SimulationTimeCondition").get("value"))
            for va in ev.iter("VisibilityAction"):
                vis.append((start, va.get("graphics") == "true"))
            fta = ev.find(".//FollowTrajectoryAction")
            if fta is not None:
                timing = fta.find("TimeReference/Timing")
                assert (timing.get("domainAbsoluteRelative"), timing.get("scale"), timing.get("offset")) == \
                    ("absolute", "1", "0")
                assert fta.find("TrajectoryFollowingMode").get("followingMode") == "position"
                verts = [(float(v.get("time")), *(float(v.find("Position/WorldPosition").get(k)) for k in "xyh"))
                         for v in fta.iter("Vertex")]
                spans.append((start, np.array(verts)))
            tp = ev.find(".//TeleportAction/Position/WorldPosition")
            if tp is not None:
                spans.append((start, np.array([[start, *(float(tp.get(k)) for k in "xyh")]])))
        tracks[name], visibility[name] = spans, vis
    stop = root.find("Storyboard/StopTrigger/ConditionGroup/Condition/ByValueCondition/SimulationTimeCondition")
    return {"header": head.attrib, "props": props, "entities": entities, "init": init, "tracks": tracks,
            "visibility": visibility, "logic_file": root.find("RoadNetwork/LogicFile").get("filepath"),
            "stop": float(stop.get("value"))}


def wrap(a):
    return (np.asarray(a) + np.pi) % (2 * np.pi) - np.pi


def assert_replays(sc: dict, b, i: int, frame_dt: float) -> None:
    """Every present agent's vertices are its simulated frames: times, positions and headings."""
    names = ["Ego"] + list(b.agent_names[1:])
    present = [a for a in range(len(names)) if b.mask[i, a].any()]
    assert sorted(sc["tracks"]) == sorted(names[a] for a in present)
    for a in present:
        name = names[a]
        verts = np.concatenate([v for _, v in sc["tracks"][name]])
        frames = np.flatnonzero(b.mask[i, a])
        traj = b.trajectories[i, a, frames]
        np.testing.assert_allclose(verts[:, 0], frames * frame_dt, atol=1e-9)
        # float32 values are written as their shortest text: they read back exactly
        np.testing.assert_array_equal(verts[:, 1].astype(np.float32), traj[:, Lo.F_X])
        np.testing.assert_array_equal(verts[:, 2].astype(np.float32), traj[:, Lo.F_Y])
        assert np.abs(wrap(verts[:, 3] - traj[:, Lo.F_HEADING])).max() < 1e-6
        (x0, y0, h0), _ = sc["init"][name]
        assert (np.float32(x0), np.float32(y0)) == tuple(traj[0, :2]) and abs(wrap(h0 - traj[0, 2])) < 1e-6
        ent = sc["entities"][name]
        dims = ent.find("BoundingBox/Dimensions")
        assert np.float32(float(dims.get("length"))) == b.sizes[i, a, 0]
        assert np.float32(float(dims.get("width"))) == b.sizes[i, a, 1]
        kind = Lo.KIND_NAMES[b.kinds[i, a]]
        assert ent.tag == ("Pedestrian" if kind == "pedestrian" else "Vehicle")
