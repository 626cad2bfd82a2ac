"""A small Lanelet2 map written from the format description (no Lanelet2 map ships in an installable
package): built here as OSM XML text so the test shows every element it relies on.

Layout (local metres, x east, y north), right-hand traffic:

* eastbound, two lanes from x = 0 to 50 (lanelets 101 left, 102 right) then 50 to 100 (103, 104);
  bounds: ways 11 (y = 3.5), 12 (y = 0), 13 (y = -3.5) for x in [0, 50], ways 21, 22, 23 for [50, 100];
* westbound, one lanelet 105 north of the eastbound lanes (y in [3.5, 7], x from 50 to 0): its left
  bound is way 11 used against its direction, its right bound way 14 (y = 7, stored westwards);
* a crosswalk lanelet 106 across x in [60, 64] (non-drivable);
* a traffic light (regulatory element 201) for lanelets 103 and 104, with its stop line way 31 at x = 52;
* a curbstone way 41 along y = -5.
"""

from __future__ import annotations

import math

LAT0, LON0 = 49.0, 8.4  # degrees: the first node is the ENU origin

NODES = {  # id: (x, y)
    1: (0.0, 3.5), 2: (50.0, 3.5), 3: (100.0, 3.5),
    4: (0.0, 0.0), 5: (50.0, 0.0), 6: (100.0, 0.0),
    7: (0.0, -3.5), 8: (50.0, -3.5), 9: (100.0, -3.5),
    10: (0.0, 7.0), 11: (50.0, 7.0),
    12: (52.0, 0.0), 13: (52.0, -3.5), 14: (52.0, 3.5),
    15: (60.0, -3.5), 16: (60.0, 3.5), 17: (64.0, -3.5), 18: (64.0, 3.5),
    19: (0.0, -5.0), 20: (100.0, -5.0),
    21: (25.0, 3.5), 22: (25.0, 0.0), 23: (25.0, -3.5),
}
WAYS = {  # id: (node ids, tags)
    11: ([1, 21, 2], {"type": "line_thin", "subtype": "solid"}),
    12: ([4, 22, 5], {"type": "line_thin", "subtype": "dashed"}),
    13: ([7, 23, 8], {"type": "line_thin", "subtype": "solid"}),
    21: ([2, 3], {"type": "line_thin", "subtype": "solid"}),
    22: ([5, 6], {"type": "line_thin", "subtype": "dashed"}),
    23: ([8, 9], {"type": "line_thin", "subtype": "solid"}),
    14: ([11, 10], {"type": "line_thin", "subtype": "solid"}),
    31: ([13, 12, 14], {"type": "stop_line"}),
    32: ([15, 16], {"type": "line_thin"}),
    33: ([17, 18], {"type": "line_thin"}),
    34: ([16, 18], {"type": "traffic_light", "subtype": "red_yellow_green"}),
    41: ([19, 20], {"type": "curbstone"}),
}
LANELETS = {  # id: (left way, right way, tags)
    101: (11, 12, {"subtype": "road", "speed_limit": "50"}),
    102: (12, 13, {"subtype": "road"}),
    103: (21, 22, {"subtype": "road"}),
    104: (22, 23, {"subtype": "road"}),
    105: (11, 14, {"subtype": "road"}),
    106: (32, 33, {"subtype": "crosswalk"}),
}


def latlon(x: float, y: float) -> tuple[float, float]:
    """Approximate inverse of the local tangent plane (enough for a 100 m map)."""
    a, e2 = 6378137.0, 0.00669437999014
    phi = math.radians(LAT0)
    m = a * (1 - e2) / (1 - e2 * math.sin(phi) ** 2) ** 1.5
    n = a / math.sqrt(1 - e2 * math.sin(phi) ** 2)
    return LAT0 + math.degrees(y / m), LON0 + math.degrees(x / (n * math.cos(phi)))


def osm_text(local: bool = True, reg_light: bool = True) -> str:
    """The map as OSM XML; ``local``: nodes carry Autoware's local_x / local_y tags."""
    out = ["<?xml version='1.0' encoding='UTF-8'?>", "<osm version='0.6' generator='scenariogen tests'>"]
    for nid, (x, y) in NODES.items():
        lat, lon = latlon(x, y)
        tags = f"<tag k='local_x' v='{x}'/><tag k='local_y' v='{y}'/>" if local else ""
        out.append(f"<node id='{nid}' lat='{lat:.10f}' lon='{lon:.10f}'>{tags}<tag k='ele' v='0'/></node>")
    for wid, (refs, tags) in WAYS.items():
        body = "".join(f"<nd ref='{r}'/>" for r in refs) + "".join(f"<tag k='{k}' v='{v}'/>" for k, v in tags.items())
        out.append(f"<way id='{wid}'>{body}</way>")
    for rid, (lw, rw, tags) in LANELETS.items():
        reg = "<member type='relation' ref='201' role='regulatory_element'/>" if reg_light and rid in (103, 104) else ""
        body = (f"<member type='way' ref='{lw}' role='left'/><member type='way' ref='{rw}' role='right'/>{reg}"
                + "".join(f"<tag k='{k}' v='{v}'/>" for k, v in {"type": "lanelet", **tags}.items()))
        out.append(f"<relation id='{rid}'>{body}</relation>")
    if reg_light:
        out.append("<relation id='201'><member type='way' ref='34' role='refers'/>"
                   "<member type='way' ref='31' role='ref_line'/><tag k='type' v='regulatory_element'/>"
                   "<tag k='subtype' v='traffic_light'/></relation>")
    out.append("</osm>")
    return "\n".join(out)
