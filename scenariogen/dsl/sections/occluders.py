"""``occluders:``: static polygons (or boxes) that hide agents from the ego's sensor."""

from __future__ import annotations

import math

from .. import schema as S
from ..distparse import ValueReader
from ..reader import POS, join_path, type_name
from ..yamlmarks import YMap, YSeq


def parse_occluders(c: ValueReader, root: YMap) -> tuple[S.OccluderSpec, ...]:
    if "occluders" not in root:
        return ()
    body = root["occluders"]
    if not isinstance(body, YSeq):
        c.error(c.at(root, "occluders"), "occluders", f"expected a list of occluders, got {type_name(body)}")
        return ()
    from shapely.geometry import Polygon

    out = []
    for i, (b, mk) in enumerate(zip(body, body.item_marks)):
        path = f"occluders[{i}]"
        m = c.mapping(b, mk, path, "{polygon: [[x, y], ...]} or {box: {x, y, length, width, heading_deg}}")
        if m is None:
            continue
        c.keys(m, path, ("name", "polygon", "box"))
        name = c.text(m, "name", path, f"occluder{i}")
        if ("polygon" in m) == ("box" in m):
            c.error(m.mark, path, "an occluder has exactly one of 'polygon' or 'box'")
            continue
        if "polygon" in m:
            pts = c.points(m["polygon"], c.at(m, "polygon"), join_path(path, "polygon"), 3)
            if pts is None:
                continue
            poly = Polygon(pts)
            if not poly.is_valid or poly.area <= 0:
                c.error(c.at(m, "polygon"), join_path(path, "polygon"), "polygon is degenerate or self-intersecting")
                continue
        else:
            bp = join_path(path, "box")
            bm = c.mapping(m["box"], c.at(m, "box"), bp)
            if bm is None:
                continue
            c.keys(bm, bp, ("x", "y", "length", "width", "heading_deg"), ("x", "y", "length", "width"))
            x, y = c.number(bm, "x", bp, None), c.number(bm, "y", bp, None)
            ln, wd = c.number(bm, "length", bp, None, POS), c.number(bm, "width", bp, None, POS)
            hd = c.number(bm, "heading_deg", bp, 0.0)
            if None in (x, y, ln, wd, hd):
                continue
            h = math.radians(hd)
            ch, sh = math.cos(h), math.sin(h)
            pts = tuple((x + ch * dx - sh * dy, y + sh * dx + ch * dy)
                        for dx, dy in ((ln / 2, wd / 2), (-ln / 2, wd / 2), (-ln / 2, -wd / 2), (ln / 2, -wd / 2)))
        out.append(S.OccluderSpec(name, tuple(pts)))
    return tuple(out)
