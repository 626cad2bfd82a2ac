"""CommonRoad XML reader (versions 2018b and 2020a), with ``xml.etree.ElementTree``.

Dynamic agents are ``<obstacle>`` elements whose ``<role>`` is ``dynamic`` (2018b)
or ``<dynamicObstacle>`` elements (2020a). Each agent's ``<initialState>`` (when
present) and ``<trajectory>/<state>`` elements give position (m), orientation
(rad), time (integer step times the root's ``timeStepSize``) and velocity (m/s);
its ``<shape><rectangle>`` gives length and width (a ``<circle>`` gives a square
of its diameter). Lanelets become :class:`LanePolyline` with the centre line
the mean of the left and right bounds (both resampled to a common count by arc
length when their point counts differ). Static obstacles and static types
(parkedVehicle, constructionZone, building, ...) are dropped.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from ..errors import LogFormatError
from .base import (BICYCLE, BUS, CAR, MOTORCYCLE, PEDESTRIAN, TRUCK, Reader, check_exists, head_bytes,
                   size_problem)
from .scenes import LanePolyline, LogScenes
from .tracks import RawTrack, build_scenes

TYPE_KIND = {
    "car": CAR, "taxi": CAR, "priorityVehicle": CAR, "unknown": CAR, "truck": TRUCK, "bus": BUS, "train": BUS,
    "motorcycle": MOTORCYCLE, "bicycle": BICYCLE, "pedestrian": PEDESTRIAN,
}
STATIC_TYPES = {"parkedVehicle", "constructionZone", "roadBoundary", "building", "pillar", "medianStrip"}


class _Ctx:
    def __init__(self, path):
        self.path = path

    def fail(self, where, msg):
        raise LogFormatError(self.path, msg, where)


def _num(ctx, el, where, what):
    if el is None or el.text is None:
        ctx.fail(where, f"missing <{what}>")
    try:
        v = float(el.text)
    except ValueError:
        ctx.fail(where, f"<{what}> is not a number: {el.text.strip()[:40]!r}")
    if not np.isfinite(v):
        ctx.fail(where, f"<{what}> is not finite: {el.text.strip()!r}")
    return v


def _exact(ctx, parent, tag, where, required=True):
    """Value of ``<tag><exact>`` (or the middle of ``<intervalStart>``/``<intervalEnd>``)."""
    el = parent.find(tag)
    if el is None:
        if required:
            ctx.fail(where, f"missing <{tag}>")
        return None
    ex = el.find("exact")
    if ex is not None:
        return _num(ctx, ex, where, f"{tag}/exact")
    lo, hi = el.find("intervalStart"), el.find("intervalEnd")
    if lo is not None and hi is not None:
        return 0.5 * (_num(ctx, lo, where, f"{tag}/intervalStart") + _num(ctx, hi, where, f"{tag}/intervalEnd"))
    if required:
        ctx.fail(where, f"<{tag}> has neither <exact> nor an interval")
    return None


def _points(ctx, el, where):
    pts = el.findall("point")
    if len(pts) < 2:
        ctx.fail(where, f"needs at least 2 <point> elements, found {len(pts)}")
    return np.array([[_num(ctx, p.find("x"), where, "x"), _num(ctx, p.find("y"), where, "y")] for p in pts])


def _resample(poly: np.ndarray, n: int) -> np.ndarray:
    seg = np.hypot(*np.diff(poly, axis=0).T)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    if s[-1] <= 0:
        return np.repeat(poly[:1], n, axis=0)
    u = np.linspace(0.0, s[-1], n)
    return np.stack([np.interp(u, s, poly[:, 0]), np.interp(u, s, poly[:, 1])], axis=1)


def _lanelets(ctx, root) -> tuple[LanePolyline, ...]:
    out = []
    for k, ll in enumerate(root.findall("lanelet")):
        lid = ll.get("id", str(k))
        where = f"element <lanelet id={lid}>"
        lb, rb = ll.find("leftBound"), ll.find("rightBound")
        if lb is None or rb is None:
            ctx.fail(where, "missing <leftBound> or <rightBound>")
        left = _points(ctx, lb, where + " <leftBound>")
        right = _points(ctx, rb, where + " <rightBound>")
        if len(left) != len(right):
            n = max(len(left), len(right))
            left, right = _resample(left, n), _resample(right, n)
        out.append(LanePolyline(id=lid, centre=0.5 * (left + right), left=left, right=right))
    return tuple(out)


def _shape(ctx, ob, where):
    sh = ob.find("shape")
    if sh is None:
        ctx.fail(where, "missing <shape>")
    rect = sh.find("rectangle")
    circ = sh.find("circle")
    poly = sh.find("polygon")
    if rect is not None:
        size = _num(ctx, rect.find("length"), where, "length"), _num(ctx, rect.find("width"), where, "width")
    elif circ is not None:
        r = _num(ctx, circ.find("radius"), where, "radius")
        size = 2 * r, 2 * r
    elif poly is not None:
        p = _points(ctx, poly, where + " <polygon>")
        ext = p.max(axis=0) - p.min(axis=0)
        size = float(ext.max()), float(ext.min())
    else:
        ctx.fail(where, "<shape> has no <rectangle>, <circle> or <polygon>")
    problem = size_problem(*size)
    if problem:
        ctx.fail(where + " <shape>", problem)
    return size


def _state(ctx, st, where, step):
    pos = st.find("position")
    if pos is None:
        ctx.fail(where, "missing <position>")
    pt = pos.find("point")
    if pt is None:
        ctx.fail(where, "<position> has no <point> (uncertain positions are not supported)")
    x = _num(ctx, pt.find("x"), where, "x")
    y = _num(ctx, pt.find("y"), where, "y")
    h = _exact(ctx, st, "orientation", where)
    t = _exact(ctx, st, "time", where)
    v = _exact(ctx, st, "velocity", where, required=False)
    if not np.isfinite(t * step):
        ctx.fail(where, f"time {t:g} x timeStepSize {step:g} s is not a finite number of seconds")
    return t * step, x, y, h, (np.nan if v is None else v)


class CommonRoadReader(Reader):
    """CommonRoad scenarios (.xml)."""

    name = "commonroad"
    extensions = (".xml",)
    format_version = "2018b, 2020a"
    requires = ()
    description = "CommonRoad XML scenarios (dynamic obstacles, lanelets)"

    @classmethod
    def sniff(cls, path: Path) -> bool:
        return path.is_file() and b"<commonRoad" in head_bytes(path)

    @classmethod
    def read(cls, path, *, dt: float = 0.1, clean: bool = True, **options) -> LogScenes:
        path = check_exists(path)
        ctx = _Ctx(path)
        try:
            root = ET.parse(path).getroot()
        except ET.ParseError as exc:
            line, col = exc.position
            raise LogFormatError(path, f"malformed XML ({exc.msg if hasattr(exc, 'msg') else exc})",
                                 f"line {line}, column {col + 1}") from None
        except OSError as exc:
            raise LogFormatError(path, f"cannot read ({exc.strerror or exc})") from None
        if root.tag != "commonRoad":
            ctx.fail(f"root element <{root.tag}>", "not a CommonRoad file (root must be <commonRoad>)")
        version = root.get("commonRoadVersion", "")
        try:
            step = float(root.get("timeStepSize", ""))
        except ValueError:
            ctx.fail("root element <commonRoad>", f"timeStepSize is not a number: {root.get('timeStepSize')!r}")
        if not (np.isfinite(step) and step > 0):
            ctx.fail("root element <commonRoad>", f"timeStepSize must be a positive finite number of seconds, got "
                                                  f"{root.get('timeStepSize')!r}")
        agents = []
        n_static = 0
        for ob in root:
            if ob.tag == "obstacle":
                role = (ob.findtext("role") or "").strip()
                if role != "dynamic":
                    n_static += 1
                    continue
            elif ob.tag == "dynamicObstacle":
                pass
            elif ob.tag in ("staticObstacle", "environmentObstacle", "phantomObstacle"):
                n_static += 1
                continue
            else:
                continue
            agents.append(ob)
        tracks = []
        for ob in agents:
            oid = ob.get("id", "?")
            where = f"element <{ob.tag} id={oid}>"
            typ = (ob.findtext("type") or "").strip()
            if typ in STATIC_TYPES:
                n_static += 1
                continue
            if typ not in TYPE_KIND:
                ctx.fail(where, f"unknown obstacle <type> {typ!r}")
            length, width = _shape(ctx, ob, where)
            rows = []
            init = ob.find("initialState")
            if init is not None:
                rows.append(_state(ctx, init, where + " <initialState>", step))
            traj = ob.find("trajectory")
            if traj is not None:
                for k, st in enumerate(traj.findall("state")):
                    rows.append(_state(ctx, st, f"{where} <state> #{k + 1}", step))
            if not rows:
                ctx.fail(where, "no <initialState> and no <trajectory> states")
            a = np.array(rows, float)
            tracks.append(RawTrack(id=oid, kind=TYPE_KIND[typ], length=length, width=width, t=a[:, 0], x=a[:, 1],
                                   y=a[:, 2], heading=a[:, 3], speed=a[:, 4] if np.isfinite(a[:, 4]).all() else None))
        lanes = _lanelets(ctx, root)
        info = dict(format="commonroad", format_version=version, raw_dt=step, benchmark=root.get("benchmarkID", ""),
                    stats={"static_class_dropped": n_static})
        return build_scenes(tracks, str(path), dt=dt, clean=clean, lanes=lanes, info=info, **options)
