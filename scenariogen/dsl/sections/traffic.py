"""``traffic:``: blocks of vehicles filling lanes, and their optionally sampled first placement."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import schema as S
from ..distparse import ValueReader, is_sampled, quantile_parameter
from ..distributions import Const
from ..limits import MAX_AGENTS, MAX_TRAFFIC_COUNT
from ..reader import POS, Range, did_you_mean, join_path, type_name
from ..yamlmarks import Mark, YMap, YSeq
from .behavior import parse_behavior

if TYPE_CHECKING:
    from ...road import RoadNetwork

_VEHICLES = ("car", "truck", "bus", "motorcycle")


def parse_traffic(c: ValueReader, root: YMap, net: RoadNetwork | None) -> tuple[S.TrafficSpec, ...]:
    if "traffic" not in root:
        return ()
    body = root["traffic"]
    mark = c.at(root, "traffic")
    blocks: list[tuple[Any, Mark, str]]
    if isinstance(body, YSeq):
        blocks = [(b, mk, f"traffic[{i}]") for i, (b, mk) in enumerate(zip(body, body.item_marks))]
    else:
        blocks = [(body, mark, "traffic")]
    out = []
    # agents: every named actor plus the largest count of each block
    agents = len(root["actors"]) if isinstance(root.get("actors"), YMap) else 0
    for i, (b, mk, path) in enumerate(blocks):
        m = c.mapping(b, mk, path, "a traffic block mapping (kind, count, lanes, ...)")
        if m is None:
            continue
        c.keys(m, path, ("kind", "count", "lanes", "s_range", "spacing", "density", "speed", "behavior", "length", "width",
                          "placement", "offset_sd"), ("count",))
        kind = c.text(m, "kind", path, "car")
        if kind not in _VEHICLES:
            c.error(c.at(m, "kind"), join_path(path, "kind"), f"traffic kind must be a vehicle ({', '.join(_VEHICLES)}), got '{kind}'{did_you_mean(kind, _VEHICLES)}")
            kind = "car"
        dl, dw = S.DEFAULT_SIZE[kind]
        count = c.value(m, "count", path, None, Range(0.0, MAX_TRAFFIC_COUNT, integer=True))
        hi = None if count is None else count.value if isinstance(count, Const) else c.param_bounds(count.name)[1]
        if hi is not None and hi <= MAX_TRAFFIC_COUNT:  # else the count's own error is reported
            cap = int(hi)
            if agents <= MAX_AGENTS < agents + cap:
                c.error(c.at(m, "count"), join_path(path, "count"), f"up to {cap} vehicles here make up to "
                        f"{agents + cap} agents with the actors and the blocks before; a scenario has at most "
                        f"{MAX_AGENTS} agents")
            agents += cap
        lanes: list[str] = []
        if "lanes" in m:
            lv = m["lanes"]
            if not isinstance(lv, YSeq) or not lv:
                c.error(c.at(m, "lanes"), join_path(path, "lanes"), "expected a non-empty list of lane ids")
            else:
                for j, (lid, lm) in enumerate(zip(lv, lv.item_marks)):
                    if isinstance(lid, bool) or not isinstance(lid, (int, str)):
                        c.error(lm, f"{path}.lanes[{j}]", f"expected a lane id, got {type_name(lid)}")
                        continue
                    lid = str(lid)
                    if net is not None and lid not in net.lanes:
                        c.error(lm, f"{path}.lanes[{j}]", f"unknown lane '{lid}'{did_you_mean(lid, net.lanes)}")
                    elif lid in lanes:
                        # each lane is filled from one head: a second entry would place vehicles on top of the first
                        c.error(lm, f"{path}.lanes[{j}]", f"lane '{lid}' is listed twice")
                    else:
                        lanes.append(lid)
        elif net is not None:
            # by default, the lanes where traffic enters the map (no predecessor): every lane of a
            # straight road or curve, the main lanes and the ramp of a merge, the incoming arms of
            # an intersection (never the junction connectors)
            lanes = [lid for lid in net.lanes if not net.predecessors(lid)]
        s_range = None
        if "s_range" in m:
            pr = c.pair(m["s_range"], c.at(m, "s_range"), join_path(path, "s_range"))
            if pr is not None:
                if pr[0] < 0 or pr[0] >= pr[1]:
                    c.error(c.at(m, "s_range"), join_path(path, "s_range"), f"expected 0 <= low < high, got [{pr[0]:g}, {pr[1]:g}]")
                else:
                    s_range = pr
        if "spacing" in m and "density" in m:
            c.error(m.key_marks["density"], join_path(path, "density"), "give either 'spacing' or 'density', not both")
        spacing = c.value(m, "spacing", path, None, POS) if "spacing" in m else None
        density = c.value(m, "density", path, None, Range(0.0, 200.0, low_open=True)) if "density" in m else None
        if spacing is None and density is None and "spacing" not in m and "density" not in m:
            spacing = Const(20.0)
        speed = c.value(m, "speed", path, 25.0, Range(0.0, 80.0))
        behavior = parse_behavior(c, m, path)
        length = c.number(m, "length", path, dl, Range(0.1, 30.0))
        width = c.number(m, "width", path, dw, Range(0.1, 5.0))
        first = _parse_placement(c, m, path, lanes)
        offset_sd = c.number(m, "offset_sd", path, 0.0, Range(0.0, 1.0))
        if count is not None and speed is not None:
            out.append(S.TrafficSpec(f"traffic{i}", kind, length, width, count, tuple(lanes), s_range, spacing, density,
                                     speed, behavior, **first, offset_sd=offset_sd))
    return tuple(out)


def _parse_placement(c: ValueReader, m: YMap, path: str, lanes: list[str]) -> dict:
    """``placement: sampled`` adds, per lane of the block, the p-quantiles of its first vehicle's
    start (``…placement.<lane>.position``) and initial speed (``….speed``), each uniform on
    (0, 1), to the family's parameters; ``random`` (the default) leaves placement to the
    block's random stream."""
    if not is_sampled(c, m, "placement", path, "random"):
        return {}
    p, mark = join_path(path, "placement"), c.at(m, "placement")
    refs = [(quantile_parameter(c, join_path(join_path(p, lane), "position"), mark),
             quantile_parameter(c, join_path(join_path(p, lane), "speed"), mark))
            for lane in lanes]
    return {"first_position": tuple(r[0] for r in refs), "first_speed": tuple(r[1] for r in refs)}
