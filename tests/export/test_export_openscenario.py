"""openscenario: schema-valid OpenSCENARIO 1.2 / OpenDRIVE 1.7 whose content matches the simulation.

The official XSDs come from the ``scenariogeneration`` wheel (a ``test`` extra):
nothing fetched is stored in this repository. Parsing back uses the standard
library's ElementTree and an independent evaluator of the OpenDRIVE reference
line written here (lines and arcs, lane offsets and widths).
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import json
import math
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from export_helpers import assert_replays, read_xosc, wrap
from lxml import etree
from shapely.geometry import LineString, MultiLineString, Point

import scenariogen
from scenariogen.cli import EXIT_OK, EXIT_USER_ERROR, main
from scenariogen.dsl.schema import PolylineLaneSpec, RoadSpec
from scenariogen.export import export
from scenariogen.export.opendrive import LANE_CODE, xodr_bytes
from scenariogen.road import build_road
from scenariogen.data.run import open_run, read_manifest

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
GEOM_TOL = 0.01  # m, OpenDRIVE lane centre vs our (finely sampled) lane centreline


# ---------------------------------------------------------------- schemas


def _schema_file(name: str) -> Path:
    files = importlib.metadata.files("scenariogeneration") or []
    hits = [Path(str(f.locate())) for f in files if f.name == name]
    assert hits, f"{name} not found in the installed scenariogeneration package (pip install '.[test]')"
    return hits[0]


@pytest.fixture(scope="module")
def xosc_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(_schema_file("OpenSCENARIO_1_2.xsd"))))


@pytest.fixture(scope="module")
def xodr_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(_schema_file("opendrive_17_core.xsd"))))


def assert_valid(schema: etree.XMLSchema, path_or_bytes) -> None:
    doc = etree.fromstring(path_or_bytes) if isinstance(path_or_bytes, bytes) else etree.parse(str(path_or_bytes))
    if not schema.validate(doc):
        raise AssertionError(f"{path_or_bytes if isinstance(path_or_bytes, Path) else 'document'}: "
                             f"{schema.error_log.last_error}")


# ---------------------------------------------------------------- a run through the CLI


@pytest.fixture(scope="module")
def mc_xosc(mc_run, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("xosc") / "mc"
    code = main(["export", str(mc_run), "--format", "openscenario", "--out", str(out), "--limit", "12", "-q"])
    assert code == EXIT_OK
    return out


def test_cli_export_is_valid_and_replays_the_run(mc_run, mc_xosc, xosc_schema, xodr_schema):
    files = sorted(mc_xosc.iterdir())
    roads = [f for f in files if f.suffix == ".xodr"]
    scenarios = [f for f in files if f.suffix == ".xosc"]
    assert [f.name for f in roads] == ["leader_hard_brake.xodr"] and len(scenarios) == 12
    assert_valid(xodr_schema, roads[0])
    ref = open_run(mc_run).batch()
    manifest = read_manifest(mc_run)
    log_weight = np.concatenate([np.load(mc_run / r.file)["sim/log_weight"] for r in manifest.shards])
    row = {int(k): r for r, k in enumerate(ref.indices)}
    frame_dt = ref.provenance["dt"] * ref.provenance["frame_step"]
    for path in scenarios:
        assert_valid(xosc_schema, path)
        sc = read_xosc(path)
        assert (sc["header"]["revMajor"], sc["header"]["revMinor"]) == ("1", "2")
        assert sc["logic_file"] == "leader_hard_brake.xodr"
        i = row[int(sc["props"]["scenariogen.index"])]
        assert path.name == f"leader_hard_brake-{ref.indices[i]:09d}.xosc"
        assert_replays(sc, ref, i, frame_dt)
        assert sc["stop"] == pytest.approx((ref.trajectories.shape[2] - 1) * frame_dt)
        p = sc["props"]
        assert p["scenariogen.target"] == "collision" and p["scenariogen.sampler"] == "mc"
        assert p["scenariogen.run_content_hash"] == manifest.content_hash
        for e in ref.labels:
            assert p[f"label.{e}"] == ("true" if ref.labels[e][i] else "false")
            assert float(p[f"robustness.{e}"]) == ref.robustness[e][i]
        assert float(p["scenariogen.log_weight"]) == log_weight[ref.indices[i]]
        for k, name in enumerate(ref.parameter_names):
            assert float(p[f"theta.{name}"]) == ref.theta[i, k]


def test_same_run_exports_identical_bytes(mc_run, mc_xosc, tmp_path):
    out = tmp_path / "again"
    export(mc_run, "openscenario", out, limit=12)
    first = sorted(mc_xosc.iterdir())
    assert [f.name for f in first] == sorted(p.name for p in out.iterdir())
    assert all(f.read_bytes() == (out / f.name).read_bytes() for f in first)


@pytest.mark.parametrize("path", [p for p in SCENARIOS if p.stem in ("pedestrian_behind_van", "on_ramp_merge",
                                                                     "unprotected_left_turn")], ids=lambda p: p.stem)
def test_each_road_family_exports_valid_files(path, tmp_path, xosc_schema, xodr_schema):
    spec = scenariogen.load_scenario(path)
    b = scenariogen.simulate(spec, n=3, seed=2)
    report = export(b, "openscenario", tmp_path / "o")
    assert report.scenarios == 3 and any("acceleration" in d for d in report.dropped)
    if spec.occluders:
        assert any("occluder" in d for d in report.dropped)
    if b.perception:
        assert any("perception" in d for d in report.dropped)
    assert_valid(xodr_schema, tmp_path / "o" / f"{spec.name}.xodr")
    for i in range(3):
        f = tmp_path / "o" / f"{spec.name}-{b.indices[i]:09d}.xosc"
        assert_valid(xosc_schema, f)
        assert_replays(read_xosc(f), b, i, spec.dt)
    if "pedestrian" in b.agent_names:
        ent = read_xosc(tmp_path / "o" / f"{spec.name}-{b.indices[0]:09d}.xosc")["entities"]["pedestrian"]
        assert ent.tag == "Pedestrian" and ent.get("pedestrianCategory") == "pedestrian"


def test_agents_present_part_of_the_time(brake_spec, tmp_path, xosc_schema):
    """Late appearance, a gap and an early exit: each valid run is one span, hidden outside them."""
    b = scenariogen.simulate(brake_spec, n=2, seed=4)
    mask = b.mask.copy()
    T = mask.shape[2]
    mask[0, 1, :] = True
    mask[0, 1, :5] = False  # appears at frame 5
    mask[0, 1, 20:23] = False  # gone for three frames
    mask[0, 1, T - 4:] = False  # leaves before the end
    mask[0, 2, :] = False
    mask[0, 2, 7] = True  # present for a single frame
    b = dataclasses.replace(b, mask=mask)
    export(b, "openscenario", tmp_path / "o")
    f = tmp_path / "o" / f"leader_hard_brake-{b.indices[0]:09d}.xosc"
    assert_valid(xosc_schema, f)
    sc = read_xosc(f)
    assert_replays(sc, b, 0, brake_spec.dt)
    dt = brake_spec.dt
    one = b.agent_names[1]
    assert [round(t / dt) for t, _ in sc["tracks"][one]] == [5, 23]
    assert [len(v) for _, v in sc["tracks"][one]] == [15, T - 4 - 23]
    assert sc["init"][one][1] is False  # hidden at 0 s
    assert [(round(t / dt), shown) for t, shown in sc["visibility"][one]] == \
        [(5, True), (20, False), (23, True), (T - 4, False)]
    two = b.agent_names[2]
    assert [(round(t / dt), len(v)) for t, v in sc["tracks"][two]] == [(7, 1)]  # a teleport
    assert [(round(t / dt), shown) for t, shown in sc["visibility"][two]] == [(7, True), (8, False)]


# ---------------------------------------------------------------- the road: an independent evaluator


def _reference(geoms: list[ET.Element], s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, y, heading of the planView reference line at ``s`` (lines and arcs)."""
    x, y, h = (np.zeros_like(s) for _ in range(3))
    starts = np.array([float(g.get("s")) for g in geoms])
    for k, g in enumerate(geoms):
        sel = (s >= starts[k]) & ((s < starts[k + 1]) if k + 1 < len(geoms) else True)
        u = s[sel] - starts[k]
        x0, y0, h0 = (float(g.get(a)) for a in ("x", "y", "hdg"))
        arc = g.find("arc")
        kappa = 0.0 if arc is None else float(arc.get("curvature"))
        assert arc is not None or g.find("line") is not None
        if kappa == 0.0:
            x[sel], y[sel], h[sel] = x0 + u * math.cos(h0), y0 + u * math.sin(h0), h0
        else:
            hh = h0 + kappa * u
            x[sel] = x0 + (np.sin(hh) - math.sin(h0)) / kappa
            y[sel] = y0 - (np.cos(hh) - math.cos(h0)) / kappa
            h[sel] = hh
    return x, y, h


def _poly(el: ET.Element, ds: np.ndarray) -> np.ndarray:
    a, b, c, d = (float(el.get(k)) for k in "abcd")
    return a + b * ds + c * ds**2 + d * ds**3


def odr_lane_centres(xodr: bytes, step: float = 0.25) -> dict[str, list[tuple[np.ndarray, np.ndarray]]]:
    """Our lane id -> pieces of (points (K, 2), driving headings (K,)) sampled from the file."""
    root = ET.fromstring(xodr)
    out: dict[str, list] = {}
    for road in root.findall("road"):
        length = float(road.get("length"))
        geoms = road.findall("planView/geometry")
        assert abs(sum(float(g.get("length")) for g in geoms) - length) < 1e-9
        sections = road.findall("lanes/laneSection")
        bounds = [float(sec.get("s")) for sec in sections] + [length]
        offsets = road.findall("lanes/laneOffset")
        for k, sec in enumerate(sections):
            s = np.linspace(bounds[k], bounds[k + 1], max(2, int((bounds[k + 1] - bounds[k]) / step) + 1))
            corners = [float(g.get("s")) for g in geoms]  # keep the vertices of piecewise geometry
            s = np.union1d(s, [c for c in corners if bounds[k] < c < bounds[k + 1]])
            rx, ry, rh = _reference(geoms, s)
            base = _poly(offsets[0], s - float(offsets[0].get("s"))) if offsets else np.zeros_like(s)
            for side, sign in (("left", 1), ("right", -1)):
                lanes = sorted(sec.findall(f"{side}/lane"), key=lambda el: abs(int(el.get("id"))))
                inner = base.copy()
                for lane in lanes:
                    assert abs(int(lane.get("id"))) == lanes.index(lane) + 1  # ids 1, 2, ... outwards
                    w = _poly(lane.find("width"), s - bounds[k])
                    t = inner + sign * w / 2
                    inner = inner + sign * w
                    pts = np.column_stack((rx - t * np.sin(rh), ry + t * np.cos(rh)))
                    heading = rh if sign < 0 else rh + np.pi  # right-hand traffic
                    if sign > 0:
                        pts, heading = pts[::-1], heading[::-1]
                    user = lane.find("userData")
                    assert user is not None and user.get("code") == LANE_CODE
                    out.setdefault(user.get("value"), []).append((pts, heading))
    return out


ROAD_CASES = {f"{p.stem}": p for p in SCENARIOS}


def _road_specs() -> dict[str, RoadSpec]:
    cases = {stem: scenariogen.load_scenario(p).road for stem, p in ROAD_CASES.items()}
    cases["curve_left_3"] = RoadSpec("curve", lanes=3, lane_width=3.5, radius=60.0, angle_deg=120.0)
    cases["curve_right_2"] = RoadSpec("curve", lanes=2, lane_width=3.0, radius=40.0, angle_deg=-75.0)
    cases["merge_to_the_end"] = RoadSpec("merge", lanes=1, length=180.0, merge_start=0.0, merge_length=180.0)
    cases["intersection_2"] = RoadSpec("intersection", lanes=2, lane_width=3.25, length=50.0, turn_radius=9.0)
    cases["polylines"] = RoadSpec("lanes", polylines=(
        PolylineLaneSpec("a", ((0.0, 0.0), (30.0, 0.0), (50.0, 5.0)), 3.5, ("b", "c")),
        PolylineLaneSpec("b", ((50.0, 5.0), (80.0, 20.0)), 3.5, ("d",)),
        PolylineLaneSpec("c", ((50.0, 5.0), (80.0, 0.0), (100.0, -2.0)), 3.0),
        PolylineLaneSpec("d", ((80.0, 20.0), (90.0, 40.0)), 3.5),
    ))
    L = PolylineLaneSpec  # side by side (issue 28): one road where the geometry allows, else a road per lane
    cases["lane_drop_3"] = RoadSpec("lanes", polylines=(
        L("a", ((0.0, 7.0), (500.0, 7.0)), 3.5, right="b"), L("b", ((0.0, 3.5), (500.0, 3.5)), 3.5, left="a", right="c"),
        L("c", ((0.0, 0.25), (250.0, 0.25)), 3.0, left="b")))
    cases["added_lane_bent"] = RoadSpec("lanes", polylines=(  # a lane from 100 to 180 m, on a bent road
        L("a", ((0.0, 0.0), (200.0, 0.0), (400.0, 40.0)), 3.5, right="b"),
        L("b", ((100.0, -3.5), (180.0, -3.5)), 3.5, left="a")))
    cases["left_lane_ends"] = RoadSpec("lanes", polylines=(  # would move the lane on its right: two roads
        L("a", ((0.0, 3.5), (200.0, 3.5)), 3.5, right="b"), L("b", ((0.0, 0.0), (400.0, 0.0)), 3.5, left="a")))
    return cases


ROADS = _road_specs()


def test_the_examples_cover_every_generated_road_type():
    assert {ROADS[stem].type for stem in ROAD_CASES} >= {"straight", "merge", "intersection"}
    assert {sp.type for sp in ROADS.values()} == {"straight", "curve", "merge", "intersection", "lanes"}


@pytest.mark.parametrize("case", sorted(ROADS))
def test_opendrive_matches_our_lane_centrelines(case, xodr_schema):
    spec = ROADS[case]
    xodr = xodr_bytes(spec, case)
    assert xodr == xodr_bytes(spec, case)  # deterministic
    assert_valid(xodr_schema, xodr)
    net = build_road(spec)
    pieces = odr_lane_centres(xodr)
    assert sorted(pieces) == sorted(net.lane_ids)  # every lane once, nothing else
    for lid, parts in pieces.items():
        lane = net.lane(lid)
        ours = lane.centerline
        theirs = MultiLineString([LineString(p) for p, _ in parts])
        assert ours.hausdorff_distance(theirs) < GEOM_TOL, lid
        assert abs(sum(LineString(p).length for p, _ in parts) - lane.length) < GEOM_TOL * 5, lid
        corners = np.array([ours.project(Point(c)) for c in ours.coords])
        for pts, heading in parts:  # driven in our direction: the tangent of our centreline there
            for (x, y), h in zip(pts[::7], heading[::7]):
                s = ours.project(Point(x, y))
                if np.abs(corners - s).min() < 0.1:  # at a vertex of a polyline the tangent is not defined
                    continue
                a, b = ours.interpolate(max(s - 0.05, 0.0)), ours.interpolate(min(s + 0.05, ours.length))
                assert abs(wrap(h - math.atan2(b.y - a.y, b.x - a.x))) < 0.02, lid


@pytest.mark.parametrize("case", sorted(ROADS))
def test_opendrive_links_are_our_lane_graph(case):
    """Road links, lane links and junction connections give exactly our successor edges, and
    every linked pair of lanes meets end to start."""
    spec = ROADS[case]
    root = ET.fromstring(xodr_bytes(spec, case))
    roads = {r.get("id"): r for r in root.findall("road")}
    junctions = {j.get("id"): j for j in root.findall("junction")}

    def lane_el(road, lane_id, at_start):
        sections = road.findall("lanes/laneSection")
        sec = sections[0] if at_start else sections[-1]
        return next(el for el in sec.iter("lane") if el.get("id") == str(lane_id))

    def our(road, lane_id, at_start):
        return lane_el(road, lane_id, at_start).find("userData").get("value")

    edges = set()
    for rid, road in roads.items():
        for tag in ("predecessor", "successor"):
            link = road.find(f"link/{tag}")
            if link is None:
                continue
            target = link.get("elementId")
            assert target in (roads if link.get("elementType") == "road" else junctions), (rid, tag, target)
            if link.get("elementType") == "road" and tag == "successor":
                other = roads[target]
                for lane in road.findall("lanes/laneSection")[-1].iter("lane"):
                    nxt = lane.find("link/successor")
                    if nxt is not None and int(lane.get("id")) != 0:
                        start = link.get("contactPoint") == "start"
                        edges.add((lane.find("userData").get("value"), our(other, nxt.get("id"), start)))
    for j in junctions.values():
        for c in j.findall("connection"):
            inc = roads[c.get("incomingRoad")]
            target = roads[c.get("linkedRoad") or c.get("connectingRoad")]
            assert (c.get("linkedRoad") is not None) == (j.get("type") == "direct")
            for ll in c.findall("laneLink"):
                a = our(inc, ll.get("from"), int(ll.get("from")) > 0)
                edges.add((a, our(target, ll.get("to"), c.get("contactPoint") == "start")))
            if j.get("type") == "default":  # connecting road -> the road it leads to
                succ = target.find("link/successor")
                lane = target.find("lanes/laneSection").find("right/lane")
                edges.add((our(target, -1, True), our(roads[succ.get("elementId")],
                                                      lane.find("link/successor").get("id"), False)))
    edges = {(a, b) for a, b in edges if a != b}  # lane sections / split roads of one of our lanes
    net = build_road(spec)
    assert edges == {(a, b) for a in net.lane_ids for b in net.successors(a)}
    pieces = odr_lane_centres(xodr_bytes(spec, case))
    for a, b in edges:  # in the OpenDRIVE geometry, a's lane ends where b's begins
        gap = min(math.dist(pa[-1], pb[0]) for pa, _ in pieces[a] for pb, _ in pieces[b])
        assert gap < GEOM_TOL, (a, b, gap)


# ---------------------------------------------------------------- bad input


def _cli(capsys, *args: str) -> tuple[int, str]:
    code = main(["export", *args, "-q"])
    return code, capsys.readouterr().err


def test_unwritable_output(mc_run, tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    code, err = _cli(capsys, str(mc_run), "--format", "openscenario", "--out", str(blocker / "sub" / "o"))
    assert code == EXIT_USER_ERROR and "cannot write here" in err and "Traceback" not in err
    assert [p.name for p in tmp_path.iterdir()] == ["a_file"]


def test_incomplete_run_writes_nothing(mc_run, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(mc_run, run)
    m = read_manifest(run).to_dict()
    m["complete"] = False
    (run / "manifest.json").write_text(json.dumps(m))
    code, err = _cli(capsys, str(run), "--format", "openscenario", "--out", str(tmp_path / "o"))
    assert code == EXIT_USER_ERROR and "incomplete" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_failure_midway_leaves_nothing(mc_run, tmp_path, capsys):
    """The first shard's scenarios are written before a corrupt shard is found: all removed."""
    run = tmp_path / "run"
    shutil.copytree(mc_run, run)
    bad = run / read_manifest(run).shards[1].file
    data = bytearray(bad.read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad.write_bytes(bytes(data))
    code, err = _cli(capsys, str(run), "--format", "openscenario", "--out", str(tmp_path / "exports" / "o"))
    assert code == EXIT_USER_ERROR and "corrupt" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


@pytest.mark.parametrize("case, roads", [("work_zone_lane_drop", {("through", "closing")}),
                                         ("lane_drop_3", {("a", "b", "c")}), ("added_lane_bent", {("a", "b")}),
                                         ("left_lane_ends", {("a",), ("b",)})])
def test_lanes_side_by_side_are_one_road(case, roads):
    """Explicit lanes that run side by side become one road with a lane per lane, so a lane drop is one
    road with a lane that ends (no successor) in one lane section and is gone in the next; where a
    lane would move (a lane on its left ends) they stay a road per lane."""
    root = ET.fromstring(xodr_bytes(ROADS[case], case))
    found = set()
    for road in root.findall("road"):
        sections = road.findall("lanes/laneSection")
        names = [[el.find("userData").get("value") for el in sec.iter("lane") if el.get("id") != "0"]
                 for sec in sections]
        found.add(tuple(max(names, key=len)))
        for k, sec in enumerate(sections):
            for el in sec.iter("lane"):
                if el.get("id") == "0":
                    continue
                ends = el.find("link/successor") is None
                gone = k + 1 < len(sections) and names[k + 1].count(el.find("userData").get("value")) == 0
                assert ends == (k + 1 == len(sections) or gone)
    assert found == roads
    if case == "work_zone_lane_drop":  # read back by our OpenDRIVE map reader: one road, the closing lane ends
        from scenariogen.road.maps.opendrive import read_opendrive

        m = read_opendrive(Path("wz.xodr"), xodr_bytes(ROADS[case], case))
        through, closing = m.lane("through"), m.lane("closing")
        assert through.group == closing.group and (through.right, closing.left) == ("closing", "through")
        assert closing.successors == () and abs(closing.centre[-1, 0] - 300.0) < GEOM_TOL
        assert abs(through.centre[-1, 0] - 700.0) < GEOM_TOL
