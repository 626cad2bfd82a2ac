"""The animated SVG of one scenario (report/svg.py): valid XML, the road and occluders, a moving box
per agent in view, the other party of the ego's closest call outlined, labels on the named actors."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

import scenariogen
from scenariogen.data import layout as Lo
from scenariogen.road import build_road
from scenariogen.report.svg import COLORS, party_of, road_shape, scenario_svg

VAN = Path(__file__).resolve().parents[2] / "scenarios" / "pedestrian_behind_van.yaml"
NS = "{http://www.w3.org/2000/svg}"


def test_svg_of_the_pedestrian_behind_the_van():
    spec = scenariogen.load_scenario(VAN)
    batch = scenariogen.simulate(spec, 1, seed=2)
    text = scenario_svg(batch, 0, road_shape(build_road(spec.road), [o.polygon for o in spec.occluders]),
                        {a.name for a in spec.actors}, frame_dt=batch.frame_dt())
    root = ET.fromstring(text)
    paths = [p.get("d") for p in root.iter(f"{NS}path")]
    assert len(paths) == 4 and all(paths[:3])  # asphalt, its outline, lane edges; then the occluders
    assert re.search(r'<path d="M[^"]+" fill="#263238"/>', text)  # the van
    labels = {t.text for t in root.iter(f"{NS}text")}
    assert {"ego", "pedestrian"} <= labels
    party = party_of(batch.agent_metrics, batch.metrics, 0)
    assert party > 0 and batch.agent_names[party] in labels
    assert text.count(f'stroke="{COLORS["party"]}"') == 1
    moves = [a for a in root.iter(f"{NS}animateTransform") if a.get("type") == "translate"]
    T = batch.trajectories.shape[2]
    assert all(len(a.get("values").split(";")) == len(range(0, T, int(np.ceil(T / 60)))) for a in moves)
    ego = next(a for a in moves[1:])  # the first translate is the camera; the ego's box comes next
    x0, y0 = (float(v) for v in ego.get("values").split(";")[0].split(","))
    assert abs(x0 - batch.trajectories[0, 0, 0, Lo.F_X]) < 0.06 and abs(y0 + batch.trajectories[0, 0, 0, Lo.F_Y]) < 0.06
