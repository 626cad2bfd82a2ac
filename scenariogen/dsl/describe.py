"""Human-readable summary of a resolved :class:`ScenarioSpec` (what ``scenariogen show`` prints)."""

from __future__ import annotations

import math

from . import schema as S
from .distributions import Choice, Const, LogNormal, Normal, Poisson, Ref, Uniform, Value


def format_distribution(d) -> str:
    """Short text for a distribution, e.g. ``normal(27, 3) in [15, 40]``."""
    if isinstance(d, Uniform):
        return f"uniform[{d.low:g}, {d.high:g}]"
    if isinstance(d, Normal):
        text = f"normal(mean={d.mean:g}, std={d.std:g})"
        if d.low is not None or d.high is not None:
            lo = "-inf" if d.low is None else f"{d.low:g}"
            hi = "inf" if d.high is None else f"{d.high:g}"
            text += f" truncated to [{lo}, {hi}]"
        return text
    if isinstance(d, LogNormal):
        return f"lognormal(median={math.exp(d.mu):.4g}, sigma={d.sigma:.4g})"
    if isinstance(d, Choice):
        vals = ", ".join(f"{v:g}" for v in d.values)
        if len(set(d.weights)) > 1:
            return f"choice[{vals}] weights [{', '.join(f'{w:.3g}' for w in d.weights)}]"
        return f"choice[{vals}]"
    if isinstance(d, Poisson):
        return f"poisson({d.lam:g})" + (f" capped at {d.high}" if d.high is not None else "")
    return repr(d)


def format_value(v: Value | None, unit: str = "") -> str:
    if v is None:
        return "-"
    if isinstance(v, Const):
        return f"{v.value:g}{(' ' + unit) if unit else ''}"
    if isinstance(v, Ref):
        return f"${v.name}"
    return str(v)


def _placement(a: S.ActorSpec) -> str:
    p = a.placement
    if isinstance(p, S.LanePlacement):
        s = format_value(p.s, "m")
        where = f"lane {p.lane}, s = {s}" if p.relative_to is None else f"lane {p.lane}, s = {p.relative_to} {s}"
        if not (isinstance(p.offset, Const) and p.offset.value == 0):
            where += f", offset {format_value(p.offset, 'm')}"
        return where
    return f"x = {format_value(p.x, 'm')}, y = {format_value(p.y, 'm')}, heading {format_value(p.heading_deg, 'deg')}"


def _behavior(b: S.BehaviorSpec) -> str:
    if b.model in ("idm", "keep_lane"):
        text = f"{b.model}(v0={format_value(b.idm.desired_speed)}, T={format_value(b.idm.time_headway)})"
    elif b.model == "stop":
        text = f"stop(decel={format_value(b.stop_decel)})"
    else:
        text = b.model
    if b.mobil is not None:
        text += f" + mobil(p={format_value(b.mobil.politeness)})"
    return text


def _maneuver(m: S.ManeuverSpec) -> str:
    t = m.start
    when = f"at t={format_value(t.value, 's')}" if t.kind == "time" else (
        f"when {t.kind.replace('_', ' ')} to {t.other} < {format_value(t.value)}")
    if m.type == "lane_change":
        return f"lane_change to {m.to} over {format_value(m.duration, 's')} {when}"
    if m.type in ("hard_brake", "stop"):
        return f"{m.type} at {format_value(m.decel, 'm/s^2')} {when}"
    return f"cross {len(m.path)}-point path at {format_value(m.speed, 'm/s')} {when}"


def _map_lines(r: S.RoadSpec) -> list[str]:
    """The imported road: file, format, region, then one line per lane (id, length, width, links)."""
    from ..road.maps import Region, map_road

    net, data = map_road(r.map_file or r.map_path, r.map_format or None, Region(r.region_bbox, tuple(r.region_ids)))
    region = Region(r.region_bbox, tuple(r.region_ids))
    total = sum(net.lane(lid).length for lid in net.lane_ids)
    head = (f"road: map {r.map_path} ({data.format} {data.version}".rstrip() + f"; {region.describe()}), "
            f"{len(net)} lanes, {total / 1000:.2f} km")
    extra = [f"{len(data.stop_lines)} stop lines"] if data.stop_lines else []
    extra += [f"{len(data.signals)} signals"] if data.signals else []
    extra += [f"{len(data.areas)} non-drivable areas"] if data.areas else []
    out = [head + (f" ({', '.join(extra)}, not used by the simulator yet)" if extra else "")]
    for lid in net.lane_ids:
        lane = net.lane(lid)
        links = [f"-> {', '.join(net.successors(lid))}"] if net.successors(lid) else []
        links += [f"left {net.left(lid)}"] if net.left(lid) else []
        links += [f"right {net.right(lid)}"] if net.right(lid) else []
        out.append(f"  lane {lid}: {lane.length:.1f} m x {lane.width:.2f} m" + (f"  {'; '.join(links)}" if links else ""))
    return out


def summary(spec: S.ScenarioSpec) -> str:
    """Multi-line summary: header, road, actors, traffic, occluders, sensor, events, parameter space."""
    out = [f"{spec.name}  ({spec.source})"]
    if spec.description:
        out.append(f"  {spec.description.strip()}")
    out.append(f"  dt {spec.dt:g} s, duration {spec.duration:g} s ({spec.steps} steps), seed {spec.seed}")
    r = spec.road
    if r.type == "lanes":
        out.append(f"road: {len(r.polylines)} explicit lanes ({', '.join(p.id for p in r.polylines)})")
    elif r.type == "map":
        out.extend(_map_lines(r))
    else:
        dims = {
            "straight": f"length {r.length:g} m",
            "curve": f"radius {r.radius:g} m, angle {r.angle_deg:g} deg",
            "merge": f"length {r.length:g} m, ramp {r.ramp_length:g} m joining at s={r.merge_start:g} m, accel lane {r.merge_length:g} m",
            "intersection": f"arms {r.length:g} m, turn radius {r.turn_radius:g} m",
        }[r.type]
        out.append(f"road: {r.type}, {r.lanes} lane(s) x {r.lane_width:g} m, {dims}")
    out.append("actors:")
    for a in spec.actors:
        out.append(f"  {a.name}: {a.kind} {a.length:g} x {a.width:g} m, {_placement(a)}, speed {format_value(a.speed, 'm/s')}, {_behavior(a.behavior)}")
        for m in a.maneuvers:
            out.append(f"    maneuver: {_maneuver(m)}")
        if a.sensor is not None:
            s = a.sensor
            d = s.dropout
            if d.model == "none":
                drop = "none"
            elif d.model == "independent":
                drop = f"independent(p={format_value(d.p_loss)})"
            elif d.loss_rate is not None:
                drop = f"gilbert_elliott(loss_rate={format_value(d.loss_rate)}, mean_burst={format_value(d.mean_burst, 's')})"
            else:
                drop = f"gilbert_elliott(p_enter={format_value(d.p_enter)}, p_exit={format_value(d.p_exit)})"
            if d.first_burst_start is not None:
                drop += ", first burst sampled"
            out.append(f"    sensor: range {format_value(s.range, 'm')}, fov {format_value(s.fov_deg, 'deg')}, "
                       f"latency {format_value(s.latency, 's')}, dropout {drop}")
        if a.aeb is not None:
            out.append(f"    aeb: ttc {format_value(a.aeb.ttc, 's')}, max decel {format_value(a.aeb.max_decel, 'm/s^2')}")
    for t in spec.traffic:
        sp = f"spacing {format_value(t.spacing, 'm')}" if t.spacing is not None else f"density {format_value(t.density, '/km')}"
        placed = ", first of each lane sampled" if t.first_position else ""
        out.append(f"traffic {t.name}: {format_value(t.count)} x {t.kind} on lanes {', '.join(t.lanes)}, {sp}, "
                   f"speed {format_value(t.speed, 'm/s')}{placed}, {_behavior(t.behavior)}")
    for o in spec.occluders:
        out.append(f"occluder {o.name}: polygon of {len(o.polygon)} points")
    if spec.events:
        out.append("events:")
        for e in spec.events:
            bits = [f"{k}={getattr(e, k):g}" for k in ("ttc_below", "distance_below", "decel_above", "min_duration")
                    if getattr(e, k) is not None]
            if e.target:
                bits.append(f"target={e.target}")
            mark = "  <- target" if e.name == spec.target else ""
            out.append(f"  {e.name} ({e.type}{': ' + ', '.join(bits) if bits else ''}){mark}")
    ps = spec.parameters
    out.append(f"parameter space: {ps.dim} dimension(s)")
    width = max((len(p.name) for p in ps.parameters), default=0)
    for p in ps.parameters:
        lo, hi = p.bounds
        out.append(f"  {p.name:<{width}}  {format_distribution(p.dist):<44} bounds [{lo:g}, {hi:g}]"
                   + ("  (integer)" if p.discrete else ""))
    return "\n".join(out)
