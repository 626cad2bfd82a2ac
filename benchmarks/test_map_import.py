"""Import time of a large OpenDRIVE map (about 50 km of driving lanes), cold and from the cache.

The map is generated here (OpenDRIVE 1.7 text): ROADS roads in a chain, each a spiral, an arc, a
spiral and a line (clothoid transitions as on a motorway), with 3 driving lanes per direction whose
outer lanes widen (cubic widths), a lane offset, a sidewalk on each side and road links between
them. Figures are CPU seconds of this process (``time.process_time``), the median of ROUNDS
imports, for:

* cold: parse and sample the file, then build the RoadNetwork (no cache);
* cached: the same file again through the on-disk cache (a new process would do this: the
  in-process memo is cleared);
* compile: ``compile_road`` of the network (what the simulator does next, at 0.5 m).

    python -m pytest benchmarks/test_map_import.py --benchmark-only -s
"""

from __future__ import annotations

import statistics
import time

import pytest

from benchmarks.conftest import machine_info, summary
from benchmarks.test_startup import processor

ROADS = 7  # roads of 1.3 km with 6 driving lanes: 54.6 km of driving lanes
ROUNDS = 3


def road(i: int, x: float, y: float, hdg: float) -> tuple[str, float, float, float]:
    """One road: spiral 150 m, arc 300 m, spiral 150 m, line 700 m (1.3 km); returns its end pose."""
    from scenariogen.road.maps.opendrive import Geometry

    k = 0.002 if i % 2 == 0 else -0.002
    parts = [("spiral", 150.0, (0.0, k)), ("arc", 300.0, (k,)), ("spiral", 150.0, (k, 0.0)), ("line", 700.0, ())]
    s = 0.0
    geo = []
    for kind, L, p in parts:
        g = Geometry(s, x, y, hdg, L, kind, p)
        if kind == "spiral":
            body = f'<spiral curvStart="{p[0]}" curvEnd="{p[1]}"/>'
        elif kind == "arc":
            body = f'<arc curvature="{p[0]}"/>'
        else:
            body = "<line/>"
        geo.append(f'<geometry s="{s!r}" x="{x!r}" y="{y!r}" hdg="{hdg!r}" length="{L!r}">{body}</geometry>')
        ex, ey, eh, _ = g.eval([L])
        x, y, hdg = float(ex[0]), float(ey[0]), float(eh[0])
        s += L
    link = []
    if i > 0:
        link.append(f'<predecessor elementType="road" elementId="{i - 1}" contactPoint="end"/>')
    if i < ROADS - 1:
        link.append(f'<successor elementType="road" elementId="{i + 1}" contactPoint="start"/>')

    def lane(lid: int, kind: str, w: str) -> str:
        lk = f'<link><predecessor id="{lid}"/><successor id="{lid}"/></link>' if kind == "driving" else ""
        return f'<lane id="{lid}" type="{kind}">{lk}{w}</lane>'

    flat = '<width sOffset="0" a="3.5" b="0" c="0" d="0"/>'
    widening = '<width sOffset="0" a="3.25" b="0" c="1e-6" d="-5e-10"/>'
    side = '<width sOffset="0" a="2.0" b="0" c="0" d="0"/>'
    left = lane(4, "sidewalk", side) + lane(3, "driving", widening) + lane(2, "driving", flat) + lane(1, "driving", flat)
    right = lane(-1, "driving", flat) + lane(-2, "driving", flat) + lane(-3, "driving", widening) + lane(-4, "sidewalk", side)
    xml = (f'<road id="{i}" length="{s!r}" junction="-1"><link>{"".join(link)}</link><planView>{"".join(geo)}</planView>'
           f'<lanes><laneOffset s="0" a="0.25" b="0" c="0" d="0"/><laneSection s="0"><left>{left}</left>'
           f'<center><lane id="0" type="none"/></center><right>{right}</right></laneSection></lanes></road>')
    return xml, x, y, hdg


def big_map(path) -> None:
    parts = ['<?xml version="1.0"?><OpenDRIVE><header revMajor="1" revMinor="7" name="bench"/>']
    x = y = hdg = 0.0
    for i in range(ROADS):
        xml, x, y, hdg = road(i, x, y, hdg)
        parts.append(xml)
    parts.append("</OpenDRIVE>")
    path.write_text("".join(parts))


def cpu(fn) -> float:
    t = time.process_time()
    fn()
    return time.process_time() - t


@pytest.mark.benchmark(group="map-import")
def test_import_50_km(benchmark, tmp_path, monkeypatch):
    from scenariogen.road import compile_road, maps

    path = tmp_path / "bench.xodr"
    big_map(path)
    cold, cached, comp = [], [], []
    net = None
    for r in range(ROUNDS):
        monkeypatch.setenv("SCENARIOGEN_MAP_CACHE", str(tmp_path / f"cache{r}"))
        maps._MEMO.clear()
        maps._NET_MEMO.clear()
        cold.append(cpu(lambda: maps.map_road(path)))
        maps._MEMO.clear()
        maps._NET_MEMO.clear()
        holder = {}
        cached.append(cpu(lambda: holder.setdefault("net", maps.map_road(path)[0])))
        net = holder["net"]
        comp.append(cpu(lambda: compile_road(net)))
    km = sum(net.lane(lid).length for lid in net.lane_ids) / 1000
    points = sum(len(net.lane(lid).points) for lid in net.lane_ids)
    info = {"lanes": len(net), "km_of_lanes": round(km, 1), "centre_points": points, "file_mb": round(path.stat().st_size / 1e6, 2),
            "cold_cpu_s": round(statistics.median(cold), 3), "cached_cpu_s": round(statistics.median(cached), 3),
            "compile_cpu_s": round(statistics.median(comp), 3), "processor": processor(), **machine_info()}
    benchmark.extra_info.update(info)
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    summary(f"map import: {info['lanes']} lanes, {info['km_of_lanes']} km, {points} points: cold "
            f"{info['cold_cpu_s']} s, cached {info['cached_cpu_s']} s, compile {info['compile_cpu_s']} s CPU "
            f"({info['processor']}, load {info['loadavg_1min']})")
    assert 45 < km < 60
