"""openscenario renders its files straight to text: the bytes ElementTree writes for the same document.

Re-serialising a file with ``ET.indent`` + ``ET.tostring`` gives its bytes back
exactly outside the polylines (indentation, attribute order, escaping); the
polylines, one vertex per line in the file, are compared as canonical XML. The
cases here are the unusual ones: agents present part of the time, a single-frame
span, headings that wrap, a signed zero, and names that need escaping; each file
still replays its scenario exactly.
"""

from __future__ import annotations

import dataclasses
import io
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from export_helpers import assert_replays, read_xosc

import scenariogen
from scenariogen.export.xosc import scenario_bytes

ROOT = Path(__file__).resolve().parents[2]
POLYLINE = re.compile(r"<Polyline>.*?</Polyline>", re.DOTALL)
NAME = 'a&b <"c"> \t\u00e9'


def _awkward(spec_name: str) -> tuple:
    """A small batch of ``spec_name`` made awkward on purpose, and its spec."""
    spec = scenariogen.load_scenario(ROOT / "scenarios" / f"{spec_name}.yaml")
    b = scenariogen.simulate(spec, n=3, seed=11)
    mask, traj = b.mask.copy(), b.trajectories.copy()
    A, T = mask.shape[1], mask.shape[2]
    mask[0, A - 1, :] = True
    mask[0, A - 1, :4] = False  # appears late
    mask[0, A - 1, 30:33] = False  # a gap
    mask[0, A - 1, T - 3:] = False  # leaves early
    if A > 2:
        mask[0, 1, :] = False
        mask[0, 1, 9] = True  # a single frame: a teleport
    mask[1] = np.random.default_rng(0).random(mask[1].shape) < 0.8  # many short spans
    traj[2, 0, :, 2] = np.linspace(-8.0, 8.0, T, dtype=np.float32)  # the heading wraps: unwrapped text
    traj[2, 0, 3, :3] = -0.0
    names = list(b.agent_names)
    names[A - 1] = NAME
    return dataclasses.replace(b, mask=mask, trajectories=traj, agent_names=tuple(names)), spec


@pytest.mark.parametrize("spec_name", ["leader_hard_brake", "pedestrian_behind_van"])
def test_text_rendering_is_elementtree_byte_for_byte(spec_name):
    b, spec = _awkward(spec_name)
    meta = {"spec_name": 'run & "co"', "target": "collision", "run": {"sampler": "mc", "content_hash": "abc"}}
    kw = {"meta": meta, "road_file": "road.xodr", "frame_dt": spec.dt, "times": {}}
    for i in range(b.size):
        for log_weight, stage in ((None, None), (-2.5, 1)):
            doc = scenario_bytes(b, i, log_weight=log_weight, stage=stage, **kw)
            root = ET.fromstring(doc)
            ET.indent(root, space=" ")
            ref = ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
            txt, ref_txt = doc.decode(), ref.decode()
            assert POLYLINE.sub("", txt) == POLYLINE.sub("", ref_txt)
            assert txt.count("<Polyline>") == ref_txt.count("<Polyline>") > 0
            assert ET.canonicalize(txt, strip_text=True) == ET.canonicalize(ref_txt, strip_text=True)
            sc = read_xosc(io.BytesIO(doc))
            assert_replays(sc, b, i, spec.dt)
            assert sc["header"]["description"] == f"scenariogen scenario {b.indices[i]} of {meta['spec_name']}"
    first = scenario_bytes(b, 0, log_weight=None, stage=None, **kw).decode()
    assert "a&amp;b &lt;&quot;c&quot;&gt; &#09;\u00e9 appears 0" in first  # escaped as ElementTree does
    assert first.count("TeleportAction") >= 2  # init poses and the single-frame span
    assert NAME in read_xosc(io.BytesIO(first.encode()))["tracks"]
    wrapped = scenario_bytes(b, 2, log_weight=None, stage=None, **kw)
    assert b'x="-0.0" y="-0.0"' in wrapped  # the sign of zero is kept
    (_, ego), = read_xosc(io.BytesIO(wrapped))["tracks"]["Ego"]
    assert np.abs(np.diff(ego[:, 3])).max() < np.pi  # unwrapped: never the long way round
