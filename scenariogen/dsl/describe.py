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
    if isinstance(p, S.LogPlacement):
        room = f" with {p.room:g} m of room to change into the ego's lane" if p.room is not None else ""
        return {"ego": "the logged ego (seed_from.ego)", "track": f"logged track {p.track}"}.get(
            p.role, f"the logged {p.role.replace('_', ' ')}{room}") + (", replayed" if a.replay else "")
    return f"x = {format_value(p.x, 'm')}, y = {format_value(p.y, 'm')}, heading {format_value(p.heading_deg, 'deg')}"


def _seed_lines(spec: S.ScenarioSpec) -> list[str]:
    sd = spec.seed_from
    out = [f"seeded from {len(sd.scenes)} logged scene(s) ({sd.reader}); ego: {sd.ego.text()}"
           + f"; other logged vehicles {'replay their recording' if sd.replay == 'others' else _behavior(sd.behavior)}"]
    kg = sd.keep_gaps
    if kg is None:
        out.append("  logged gaps not kept (keep_gaps: false): the behaviours' own min gap and time headway")
    else:
        kept = f" (as written: {', '.join(kg.fixed)})" if kg.fixed else ""
        out.append(f"  logged gaps kept: each follower's IDM min gap in [{kg.min_gap[0]:g}, {kg.min_gap[1]:g}] m, "
                   f"then time headway in [{kg.time_headway[0]:g}, {kg.time_headway[1]:g}] s{kept}")
    for sc, sm in zip(sd.scenes, spec.road.seed_maps):
        T = sc.x.shape[1]
        out.append(f"  {sc.name}: {(T - 1) * spec.dt:g} s, {sc.x.shape[0]} agents, {len(sc.usable)} start frames "
                   f"({sc.usable[0] * spec.dt:g} to {sc.usable[-1] * spec.dt:g} s; {sc.overlapping} left out where "
                   f"logged boxes overlap), map shifted by "
                   f"({sm.shift[0]:g}, {sm.shift[1]:g}) m, {len(sc.lane_ids)} lanes")
    return out


# driver traits: (key, unit, whether a trait left out is drawn per driver rather than one default for all)
_DRIVER_TRAITS = (("lateral_accel", "m/s^2", True), ("critical_gap", "s", True), ("follow_up", "s", True),
                  ("cooperation", "", True), ("merge_gap", "s", False), ("accel_noise", "m/s^2", False),
                  ("accel_noise_time", "s", False))


def _driver(d: S.DriverParams) -> str:
    """The driver traits the scenario gives; "" when none is given."""
    given = [f"{k}={format_value(getattr(d, k), unit)}" for k, unit, _drawn in _DRIVER_TRAITS
             if getattr(d, k) is not None]
    if d.wander is not None:
        given.append(f"wander(sd={format_value(d.wander.sd, 'm')}, tau={format_value(d.wander.tau, 's')})")
    return f" + driver({', '.join(given)})" if given else ""


def _behavior(b: S.BehaviorSpec) -> str:
    if b.model in ("idm", "keep_lane"):
        text = f"{b.model}(v0={format_value(b.idm.desired_speed)}, T={format_value(b.idm.time_headway)})"
    elif b.model == "stop":
        text = f"stop(decel={format_value(b.stop_decel)})"
    else:
        text = b.model
    if b.mobil is not None:
        text += f" + mobil(p={format_value(b.mobil.politeness)})"
    return text + _driver(b.driver)


def _condition(t: S.Trigger) -> str:
    if t.kind == "time":
        return f"at t={format_value(t.value, 's')}"
    if t.kind == "after_previous":
        return f"{format_value(t.value, 's')} after the previous one"
    if t.kind == "distance":
        return f"when the distance to {t.other} < {format_value(t.value, 'm')}"
    return f"when the time gap of {t.other} behind < {format_value(t.value, 's')}"


def _maneuver(m: S.ManeuverSpec) -> str:
    t = m.start
    when = _condition(t)
    if t.second is not None:
        when = f"{t.combine} of ({when}; {_condition(t.second)})"
    if t.timeout is not None:
        when += f", at the latest at t={format_value(t.timeout, 's')}"
    if m.gap_check != Const(0.0):
        when += ", once the gap is safe" if m.type == "lane_change" else (
            f", once the oncoming lane is free for {format_value(m.gap_check, 's')}")
    if m.type == "lane_change":
        return f"lane_change to {m.to} over {format_value(m.duration, 's')}, {when}"
    if m.type == "offset":
        return f"offset to {format_value(m.offset, 'm')} over {format_value(m.duration, 's')}, {when}"
    if m.type in ("hard_brake", "stop"):
        return f"{m.type} at {format_value(m.decel, 'm/s^2')}, {when}"
    return f"cross {len(m.path)}-point path at {format_value(m.speed, 'm/s')}, {when}"


def _arms(arms) -> str:
    return ", ".join(arms)


def _control_lines(r: S.RoadSpec) -> list[str]:
    """An intersection's right of way (control, signal plan) and crosswalks."""
    ctl = r.control
    if ctl.type == "priority":
        minor = [a for a in ("N", "E", "S", "W") if a not in ctl.major]
        text = (f"priority: major road {_arms(ctl.major)}; "
                + (f"{_arms(minor)} {ctl.sign} ({'stop at the line, then ' if ctl.sign == 'stop' else ''}"
                   "accept a gap of their critical gap)" if minor else "no minor arm"))
    elif ctl.type == "all_way_stop":
        text = "all-way stop: every arm stops at its line, then first come, first served"
    elif ctl.type == "signal":
        text = (f"signal, {len(ctl.phases)} phase(s), all red {format_value(ctl.all_red, 's')} between them, "
                f"cycle offset {format_value(ctl.offset, 's')}")
        unsignalled = [a for a in ("N", "E", "S", "W") if all(a not in ph.arms for ph in ctl.phases)]
        if unsignalled:
            text += f"; no signal on {_arms(unsignalled)} (turn rules)"
    else:
        text = "uncontrolled: yield to the right, a left turn yields to oncoming traffic"
    out = [f"  control: {text}"]
    for k, ph in enumerate(ctl.phases if ctl.type == "signal" else ()):
        out.append(f"    phase {k + 1}: {_arms(ph.arms)} green {format_value(ph.green, 's')}, "
                   f"amber {format_value(ph.amber, 's')}")
    if r.crosswalks:
        out.append(f"  crosswalks on {_arms(r.crosswalks)} (vehicles yield to pedestrians on them)")
    return out


def _polyline_lines(r: S.RoadSpec) -> list[str]:
    """The explicit lanes that run against another or carry a sign or a priority level."""
    out = []
    for p in r.polylines:
        bits = [f"opposite {p.opposite}"] if p.opposite else []
        bits += [f"{p.sign} sign at its end"] if p.sign else []
        bits += [f"priority {p.priority}"] if p.priority != 1 else []
        if bits:
            out.append(f"  lane {p.id}: {', '.join(bits)}")
    return out


def _map_lines(r: S.RoadSpec) -> list[str]:
    """The imported road: file, format, region, its right of way (signs, signal groups and their plan,
    crosswalks, and what the simulator leaves out), then one line per lane (id, length, width, links,
    controls at its end)."""
    from ..road.maps import Region, map_controls, map_road

    net, data = map_road(r.map_file or r.map_path, r.map_format or None, Region(r.region_bbox, tuple(r.region_ids)))
    region = Region(r.region_bbox, tuple(r.region_ids))
    total = sum(net.lane(lid).length for lid in net.lane_ids)
    out = [f"road: map {r.map_path} ({data.format} {data.version}".rstrip() + f"; {region.describe()}), "
           f"{len(net)} lanes, {total / 1000:.2f} km"]
    mc = map_controls(data)
    c = mc.controls
    kinds: dict[str, int] = {}
    for sg in data.signals:
        kinds[sg.kind] = kinds.get(sg.kind, 0) + 1
    if kinds:
        names = {"traffic_light": "traffic lights", "stop": "stop signs or all-way stops",
                 "yield": "yield signs or right-of-way rules",
                 "priority": "priority signs", "speed_limit": "speed limits", "other": "other signs"}
        out.append("  signs and lights in the map: "
                   + ", ".join(f"{n} {names.get(k, k)}" for k, n in sorted(kinds.items())))
    used = []
    for what in ("stop", "yield"):
        n = sum(1 for v in c.sign.values() if v == what)
        if n:
            used.append(f"{what} sign on {n} lane(s)")
    n_major = sum(1 for v in c.priority.values() if v > 1)
    if n_major:
        used.append(f"priority (level 2) on {n_major} lane(s)")
    if c.signal:
        used.append(f"traffic lights on {len(c.signal)} lane(s) in {c.n_groups} signal group(s), the file's plan "
                    f"(cycle {c.cycle:g} s)")
    if c.crosswalks:
        used.append(f"{len(c.crosswalks)} crosswalk(s) (vehicles yield to pedestrians on them)")
    head = "  right of way from the map: " + ("; ".join(used) if used else "none (the turn rules apply)")
    if c.all_way_stop:
        head += "; an all-way stop: first come, first served"
    out.append(head)
    for g, (start, green, amber) in enumerate(c.plan):
        lights = ", ".join(mc.groups[g]) if g < len(mc.groups) else ""
        out.append(f"    signal group {g + 1} (lights {lights}): green {green:g} s from {start:g} s into the cycle, "
                   f"amber {amber:g} s")
    if data.stop_lines:
        out.append(f"  {len(data.stop_lines)} stop line(s): drivers stop at the end of their lane")
    for text, n in mc.notes:
        out.append(f"  {n} {text}")
    if kinds.get("speed_limit"):
        out.append("  speed limit signs are not used (drivers keep their desired speed)")
    n_areas = sum(1 for a in data.areas if a.kind != "crosswalk")
    if n_areas:
        out.append(f"  {n_areas} non-drivable areas and borders (drawn, not simulated)")
    for lid in net.lane_ids:
        lane = net.lane(lid)
        links = [f"-> {', '.join(net.successors(lid))}"] if net.successors(lid) else []
        links += [f"left {net.left(lid)}"] if net.left(lid) else []
        links += [f"right {net.right(lid)}"] if net.right(lid) else []
        if lid in c.signal:
            links.append(f"signal group {c.signal[lid] + 1} at its end")
        if lid in c.sign:
            links.append(f"{c.sign[lid]} sign at its end")
        elif c.priority.get(lid, 1) > 1:
            links.append(f"priority {c.priority[lid]}")
        out.append(f"  lane {lid}: {lane.length:.1f} m x {lane.width:.2f} m" + (f"  {'; '.join(links)}" if links else ""))
    return out


def event_options(e: S.EventSpec) -> list[str]:
    """Every option of an event as ``key=value``, in the order its section takes them (the defaults
    included: a near miss without ``actor:`` is the ego's)."""
    from .sections.events import EVENT_KEYS

    out = []
    for key in EVENT_KEYS[e.type][1:]:
        if key == "with":
            value = e.with_kind or (f"[{', '.join(e.with_actors)}]" if e.with_actors else "any")
        else:
            value = getattr(e, key)
            if value is None:
                continue
        out.append(f"{key}={value:g}" if isinstance(value, float) else f"{key}={value}")
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
        out.extend(_polyline_lines(r))
    elif r.type == "map":
        out.extend(_map_lines(r))
    elif r.type == "seed":
        out.extend(_seed_lines(spec))
    else:
        dims = {
            "straight": f"length {r.length:g} m",
            "curve": f"radius {r.radius:g} m, angle {r.angle_deg:g} deg",
            "merge": f"length {r.length:g} m, ramp {r.ramp_length:g} m joining at s={r.merge_start:g} m, accel lane {r.merge_length:g} m",
            "intersection": f"arms {r.length:g} m, turn radius {r.turn_radius:g} m",
        }[r.type]
        lanes = f"{r.lanes} lane(s)"
        if r.lanes_reverse:
            rev = ", ".join(f"r{k}" for k in range(r.lanes_reverse))
            lanes += f" + {r.lanes_reverse} the other way ({rev})"
        out.append(f"road: {r.type}, {lanes} x {r.lane_width:g} m, {dims}")
        if r.type == "intersection":
            out.extend(_control_lines(r))
    out.append("actors:")
    for a in spec.actors:
        if isinstance(a.placement, S.LogPlacement):
            out.append(f"  {a.name}: {_placement(a)}, {_behavior(a.behavior)}")
        else:
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
        placed += f", lateral offset sd {t.offset_sd:g} m" if t.offset_sd else ""
        out.append(f"traffic {t.name}: {format_value(t.count)} x {t.kind} on lanes {', '.join(t.lanes)}, {sp}, "
                   f"speed {format_value(t.speed, 'm/s')}{placed}, {_behavior(t.behavior)}")
    drawn = [k for k, _unit, per_driver in _DRIVER_TRAITS if per_driver
             and any(getattr(b.driver, k) is None for b in [a.behavior for a in spec.actors] + [t.behavior for t in spec.traffic])]
    if drawn:
        out.append(f"drivers: {', '.join(drawn)} drawn for each driver that has none given (docs/dsl.md 7.5)")
    for o in spec.occluders:
        out.append(f"occluder {o.name}: polygon of {len(o.polygon)} points")
    if spec.events:
        out.append("events:")
        for e in spec.events:
            mark = "  <- target" if e.name == spec.target else ""
            opts = event_options(e)
            out.append(f"  {e.name} ({e.type}{': ' + ', '.join(opts) if opts else ''}){mark}")
    ps = spec.parameters
    out.append(f"parameter space: {ps.dim} dimension(s)")
    width = max((len(p.name) for p in ps.parameters), default=0)
    for p in ps.parameters:
        lo, hi = p.bounds
        out.append(f"  {p.name:<{width}}  {format_distribution(p.dist):<44} bounds [{lo:g}, {hi:g}]"
                   + ("  (integer)" if p.discrete else ""))
    return "\n".join(out)
