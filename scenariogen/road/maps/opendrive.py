"""ASAM OpenDRIVE 1.4 to 1.8 (``.xodr``): roads, lanes, links and junctions as map lanes.

Read (XML, ``xml.etree``; our own evaluator, checked against closed forms in the tests):

* ``planView`` geometries ``line``, ``arc``, ``spiral`` (clothoid: curvature linear in s; positions
  by 8-point Gauss-Legendre quadrature of the exact heading), ``poly3`` and ``paramPoly3``
  (``pRange`` ``normalized`` or ``arcLength``; s is the true arc length, found by Newton steps on
  the quadrature of the speed, and scaled to the declared ``length``).
* ``lanes``: ``laneOffset`` and per-lane ``width`` cubic polynomials in every ``laneSection``;
  each lane's centre is the middle of its borders, sampled every 0.5 m (and at most 0.01 rad of
  reference-line turn) with exact tangent headings, or only at its ends on a straight piece of
  constant widths. One map lane per lane and section, id ``"<road>_<section index>_<lane id>"``
  (our own exports name lanes in ``userData code="scenariogen:lane"``; those names are used, and
  consecutive pieces of one named lane joined, so an exported road reads back as itself).
* Driving direction: right lanes (negative ids) drive along the reference line under the road's
  ``rule="RHT"`` (the default), left lanes under ``LHT``; a lane's ``direction="reversed"``
  (1.7+) flips it. Lanes of types ``driving``, ``entry``, ``exit``, ``onRamp``, ``offRamp``,
  ``connectingRamp``, ``slipLane``, ``mwyEntry``, ``mwyExit``, ``bidirectional``, ``bus``,
  ``taxi`` and ``HOV`` are driving lanes; every other type (``shoulder``, ``border``,
  ``sidewalk``, ``biking``, ``parking``, ``median``, ``curb``, ``restricted``, ``none``, ...)
  becomes a non-drivable area of its outline.
* Links: lane ``link`` predecessor/successor between sections, road ``link`` with
  ``contactPoint``, ``junction`` connections (``connectingRoad`` of default junctions,
  ``linkedRoad`` of direct ones) with ``laneLink``. Contacts become successors in the direction
  of travel. Adjacent lanes of a section driving the same way are left/right neighbours; adjacent
  lanes driving opposite ways are recorded as ``opposite`` only.
* ``signals``: ``signal`` and ``signalReference`` with ``validity``: dynamic signals and type
  ``1000001`` are traffic lights (OpenDRIVE gives no signal plan), ``206`` / ``R1-1`` stop,
  ``205`` / ``R1-2`` yield, ``306`` / ``301`` priority, ``274`` / ``R2-1`` speed limits
  (``value`` with ``unit``), ``294`` stop lines; ``objects``: ``crosswalk`` outlines and
  stop-line objects. The lanes a signal applies to follow its ``orientation`` (``+``: lanes
  driving along s, ``-`` against, ``none`` both) in the lane section at its ``s``.
* Speed limits: the road's ``type/speed``.

Dropped (counted in ``MapData.dropped``): elevation, superelevation and lateral profiles (the road
model is planar), road marks, lane ``height``/``material``/``access``/``rule``, other objects,
controllers, junction groups, stations, railroads, ``geoReference`` and the header ``offset``.
Not supported (a precise error): lanes described by ``border`` instead of ``width`` where a
driving lane depends on them, geometries of other types, OpenDRIVE 2.x.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from .model import MapArea, MapData, MapLane, Signal, StopLine
from ._xml import Numbers, parse_xml

__all__ = ["read_opendrive", "RefLine", "Geometry", "DRIVING_TYPES", "LANE_CODE"]

LANE_CODE = "scenariogen:lane"
DRIVING_TYPES = {"driving", "entry", "exit", "onRamp", "offRamp", "connectingRamp", "slipLane", "mwyEntry",
                 "mwyExit", "bidirectional", "bus", "taxi", "HOV"}
MAX_STEP = 0.5  # m, largest spacing of lane samples on curved or widening pieces
MAX_TURN = 0.01  # rad, largest turn of the reference line between samples
MIN_WIDTH = 0.05  # m, a driving lane never wider than this is a placeholder and is left out
_GL_X, _GL_W = np.polynomial.legendre.leggauss(8)
SPEED_UNITS = {"m/s": 1.0, "km/h": 1 / 3.6, "mph": 0.44704}


# ------------------------------------------------------------------ geometry


def _cumint(f, total: float, u: np.ndarray, step: float = 1.0) -> np.ndarray:
    """``integral_0^u f(t) dt`` for each ``u`` in [0, total] (composite 8-point Gauss-Legendre on a
    grid of ``step``, then one more rule on the last partial interval); ``f`` is vectorised."""
    u = np.clip(np.asarray(u, dtype=np.float64), 0.0, total)
    n = max(1, math.ceil(total / step))
    grid = np.linspace(0.0, total, n + 1)
    a, b = grid[:-1], grid[1:]
    t = 0.5 * (b - a)[:, None] * (_GL_X + 1.0)[None, :] + a[:, None]
    vals = f(t)
    per = (vals * _GL_W[None, :]).sum(axis=1) * 0.5 * (b - a)
    cum = np.concatenate([[0.0], np.cumsum(per)]).astype(vals.dtype)
    j = np.clip(np.searchsorted(grid, u, side="right") - 1, 0, n - 1)
    lo = grid[j]
    tt = 0.5 * (u - lo)[:, None] * (_GL_X + 1.0)[None, :] + lo[:, None]
    part = (f(tt) * _GL_W[None, :]).sum(axis=1) * 0.5 * (u - lo)
    return cum[j] + part


@dataclass(frozen=True)
class Geometry:
    """One planView record: start ``s0`` (m), start pose ``x``, ``y`` (m), ``hdg`` (rad),
    ``length`` (m), ``kind`` (line, arc, spiral, poly3, paramPoly3) and its parameters."""

    s0: float
    x: float
    y: float
    hdg: float
    length: float
    kind: str
    params: tuple[float, ...] = ()
    normalized: bool = True  # paramPoly3 pRange

    def kmax(self) -> float:
        """Largest |curvature| (1/m) along the record."""
        if self.kind == "line":
            return 0.0
        if self.kind == "arc":
            return abs(self.params[0])
        if self.kind == "spiral":
            return max(abs(self.params[0]), abs(self.params[1]))
        u = np.linspace(0.0, self.length, 65)
        return float(np.max(np.abs(self.eval(u)[3])))

    def eval(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """x, y (m), heading (rad) and curvature (1/m) at arc length ``u`` (m) from the record's start."""
        u = np.clip(np.asarray(u, dtype=np.float64), 0.0, self.length)
        x0, y0, h0 = self.x, self.y, self.hdg
        if self.kind == "line":
            return x0 + u * math.cos(h0), y0 + u * math.sin(h0), np.full_like(u, h0), np.zeros_like(u)
        if self.kind == "arc":
            k = self.params[0]
            if k == 0.0:
                return x0 + u * math.cos(h0), y0 + u * math.sin(h0), np.full_like(u, h0), np.zeros_like(u)
            h = h0 + k * u
            return x0 + (np.sin(h) - math.sin(h0)) / k, y0 - (np.cos(h) - math.cos(h0)) / k, h, np.full_like(u, k)
        if self.kind == "spiral":
            k0, k1 = self.params
            c = (k1 - k0) / self.length

            def e(t):
                return np.exp(1j * (h0 + k0 * t + 0.5 * c * t * t))

            z = _cumint(e, self.length, u)
            return x0 + z.real, y0 + z.imag, h0 + k0 * u + 0.5 * c * u * u, k0 + c * u
        if self.kind == "poly3":
            a, b, c, d = self.params

            def speed(t):
                return np.sqrt(1.0 + (b + 2 * c * t + 3 * d * t * t) ** 2)

            # arc length s(U) >= U, so U <= s: Newton from U = s
            U = u.copy()
            for _ in range(30):
                step = (_cumint(speed, self.length, U) - u) / speed(U)
                U = np.clip(U - step, 0.0, self.length)
                if np.all(np.abs(step) < 1e-11):
                    break
            V = a + b * U + c * U * U + d * U ** 3
            dv = b + 2 * c * U + 3 * d * U * U
            ddv = 2 * c + 6 * d * U
            ch, sh = math.cos(h0), math.sin(h0)
            return (x0 + U * ch - V * sh, y0 + U * sh + V * ch, h0 + np.arctan(dv), ddv / (1.0 + dv * dv) ** 1.5)
        # paramPoly3
        aU, bU, cU, dU, aV, bV, cV, dV = self.params
        P = 1.0 if self.normalized else self.length

        def du(p):
            return bU + 2 * cU * p + 3 * dU * p * p

        def dv(p):
            return bV + 2 * cV * p + 3 * dV * p * p

        def speed(p):
            return np.hypot(du(p), dv(p))

        total = float(_cumint(speed, P, np.array([P]))[0])
        if not total > 0.0:
            return np.full_like(u, x0), np.full_like(u, y0), np.full_like(u, h0), np.zeros_like(u)
        target = u / self.length * total
        p = u / self.length * P
        for _ in range(30):
            sp = np.maximum(speed(p), 1e-12)
            step = (_cumint(speed, P, p) - target) / sp
            p = np.clip(p - step, 0.0, P)
            if np.all(np.abs(step) < 1e-11):
                break
        U = aU + bU * p + cU * p * p + dU * p ** 3
        V = aV + bV * p + cV * p * p + dV * p ** 3
        d1u, d1v = du(p), dv(p)
        d2u, d2v = 2 * cU + 6 * dU * p, 2 * cV + 6 * dV * p
        ch, sh = math.cos(h0), math.sin(h0)
        k = (d1u * d2v - d1v * d2u) / np.maximum(np.hypot(d1u, d1v), 1e-12) ** 3
        return x0 + U * ch - V * sh, y0 + U * sh + V * ch, h0 + np.arctan2(d1v, d1u), k


@dataclass(frozen=True)
class RefLine:
    """A road's reference line: its geometry records in s order."""

    geoms: tuple[Geometry, ...]

    @property
    def length(self) -> float:
        g = self.geoms[-1]
        return g.s0 + g.length

    def index(self, s: np.ndarray) -> np.ndarray:
        starts = np.array([g.s0 for g in self.geoms])
        return np.clip(np.searchsorted(starts, s, side="right") - 1, 0, len(self.geoms) - 1)

    def eval(self, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """x, y (m), heading (rad), curvature (1/m) at road s (m)."""
        s = np.asarray(s, dtype=np.float64)
        out = [np.zeros_like(s) for _ in range(4)]
        idx = self.index(s)
        for k in np.unique(idx):
            sel = idx == k
            g = self.geoms[k]
            for o, v in zip(out, g.eval(s[sel] - g.s0)):
                o[sel] = v
        return tuple(out)  # type: ignore[return-value]


# ------------------------------------------------------------------ parsed structure


@dataclass(frozen=True)
class _Poly:
    s: float  # m, start (road s for laneOffset; section-relative sOffset for widths)
    a: float
    b: float
    c: float
    d: float

    @property
    def constant(self) -> bool:
        return self.b == 0.0 and self.c == 0.0 and self.d == 0.0


def _poly_eval(recs: list[_Poly], s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Value and derivative of piecewise cubic records at ``s`` (0 before the first record)."""
    v = np.zeros_like(s)
    dv = np.zeros_like(s)
    if not recs:
        return v, dv
    starts = np.array([r.s for r in recs])
    idx = np.searchsorted(starts, s, side="right") - 1
    for k in np.unique(idx):
        if k < 0:
            continue
        r = recs[k]
        sel = idx == k
        ds = s[sel] - r.s
        v[sel] = r.a + r.b * ds + r.c * ds * ds + r.d * ds ** 3
        dv[sel] = r.b + 2 * r.c * ds + 3 * r.d * ds * ds
    return v, dv


@dataclass
class _Lane:
    id: int
    type: str
    widths: list[_Poly]
    has_border: bool
    direction: str
    pred: list[int]
    succ: list[int]
    name: str | None
    where: str
    speed: float | None = None


@dataclass
class _Section:
    s: float
    end: float
    lanes: dict[int, _Lane]
    single_side: bool = False


@dataclass
class _Link:
    type: str  # road | junction
    id: str
    contact: str | None


@dataclass
class _Road:
    id: str
    length: float
    junction: str
    rule: str
    ref: RefLine
    offsets: list[_Poly]
    sections: list[_Section]
    pred: _Link | None
    succ: _Link | None
    speed: float | None
    el: ET.Element = field(repr=False)


# ------------------------------------------------------------------ reading


class _Reader:
    def __init__(self, path: Path, root: ET.Element):
        self.path = path
        self.root = root
        self.num = Numbers(path)
        self.dropped: dict[str, int] = {}

    def drop(self, what: str, n: int = 1) -> None:
        if n:
            self.dropped[what] = self.dropped.get(what, 0) + n

    def fail(self, where: str, detail: str):
        return self.num.fail(where, detail)

    # -------------------------------------------------------------- elements
    def poly(self, el: ET.Element, where: str, s_attr: str) -> _Poly:
        f = self.num.attr
        return _Poly(f(el, s_attr, where, 0.0), f(el, "a", where, 0.0), f(el, "b", where, 0.0),
                     f(el, "c", where, 0.0), f(el, "d", where, 0.0))

    def geometry(self, g: ET.Element, where: str) -> Geometry:
        f = self.num.attr
        s0, x, y, hdg, length = (f(g, a, where) for a in ("s", "x", "y", "hdg", "length"))
        if length < 0:
            raise self.fail(where, f"negative length {length}")
        kids = [c for c in g if c.tag not in ("userData", "include", "dataQuality")]
        if len(kids) != 1:
            raise self.fail(where, f"expected one geometry type element, found {len(kids)}"
                            + (f" ({', '.join('<' + c.tag + '>' for c in kids)})" if kids else ""))
        k = kids[0]
        w = f"{where} <{k.tag}>"
        if k.tag == "line":
            return Geometry(s0, x, y, hdg, length, "line")
        if k.tag == "arc":
            return Geometry(s0, x, y, hdg, length, "arc", (f(k, "curvature", w),))
        if k.tag == "spiral":
            return Geometry(s0, x, y, hdg, length, "spiral", (f(k, "curvStart", w), f(k, "curvEnd", w)))
        if k.tag == "poly3":
            return Geometry(s0, x, y, hdg, length, "poly3", tuple(f(k, a, w, 0.0) for a in "abcd"))
        if k.tag == "paramPoly3":
            pr = k.get("pRange", "normalized")
            if pr not in ("normalized", "arcLength"):
                raise self.fail(w, f"pRange {pr!r} is neither 'normalized' nor 'arcLength'")
            params = tuple(f(k, a, w, 0.0) for a in ("aU", "bU", "cU", "dU", "aV", "bV", "cV", "dV"))
            return Geometry(s0, x, y, hdg, length, "paramPoly3", params, pr == "normalized")
        raise self.fail(w, f"unsupported geometry type <{k.tag}> (supported: line, arc, spiral, poly3, paramPoly3)")

    def link(self, el: ET.Element | None, where: str) -> _Link | None:
        if el is None:
            return None
        t = el.get("elementType", "road")
        eid = el.get("elementId")
        if eid is None:
            raise self.fail(where, "missing attribute 'elementId'")
        if t not in ("road", "junction"):
            self.drop(f"road links to a <{t}>")
            return None
        cp = el.get("contactPoint")
        if t == "road" and cp not in ("start", "end"):
            raise self.fail(where, f"a link to road {eid} needs contactPoint 'start' or 'end', got {cp!r}")
        return _Link(t, eid, cp)

    def road(self, r: ET.Element, k: int) -> _Road:
        rid = r.get("id")
        where = f"<road id={rid}>" if rid is not None else f"<road> #{k + 1}"
        if rid is None:
            raise self.fail(where, "missing attribute 'id'")
        length = self.num.attr(r, "length", where)
        rule = r.get("rule", "RHT")
        if rule not in ("RHT", "LHT"):
            raise self.fail(where, f"rule {rule!r} is neither 'RHT' nor 'LHT'")
        geoms = []
        plan = r.find("planView")
        if plan is None:
            raise self.fail(where, "missing <planView>")
        for i, g in enumerate(plan.findall("geometry")):
            geo = self.geometry(g, f"{where} <geometry> #{i + 1} (s={g.get('s')})")
            if geo.length > 1e-9:
                geoms.append(geo)
        if not geoms:
            raise self.fail(f"{where} <planView>", "no <geometry> of positive length")
        geoms.sort(key=lambda g: g.s0)
        lk = r.find("link")
        pred = self.link(lk.find("predecessor") if lk is not None else None, f"{where} <link><predecessor>")
        succ = self.link(lk.find("successor") if lk is not None else None, f"{where} <link><successor>")
        lanes_el = r.find("lanes")
        if lanes_el is None:
            raise self.fail(where, "missing <lanes>")
        offsets = sorted((self.poly(o, f"{where} <laneOffset>", "s") for o in lanes_el.findall("laneOffset")),
                         key=lambda p: p.s)
        secs = []
        sec_els = lanes_el.findall("laneSection")
        if not sec_els:
            raise self.fail(f"{where} <lanes>", "no <laneSection>")
        starts = [self.num.attr(se, "s", f"{where} <laneSection> #{i + 1}", 0.0) for i, se in enumerate(sec_els)]
        order = sorted(range(len(sec_els)), key=lambda i: starts[i])
        for n, i in enumerate(order):
            se = sec_els[i]
            end = starts[order[n + 1]] if n + 1 < len(order) else length
            swhere = f"{where} <laneSection> #{i + 1} (s={starts[i]:g})"
            lanes = {}
            for side in ("left", "right"):
                side_el = se.find(side)
                if side_el is None:
                    continue
                for ln in side_el.findall("lane"):
                    lane = self.lane(ln, swhere, side)
                    if lane.id in lanes:
                        raise self.fail(f"{swhere} <lane id={lane.id}>", "duplicate lane id in the section")
                    lanes[lane.id] = lane
            if end - starts[i] > 1e-9:
                secs.append(_Section(starts[i], end, lanes, se.get("singleSide") == "true"))
            else:
                self.drop("lane sections of zero length")
        speed = None
        for t in r.findall("type"):
            sp = t.find("speed")
            if sp is not None and sp.get("max") not in (None, "no limit", "undefined"):
                unit = sp.get("unit", "m/s")
                speed = self.num.attr(sp, "max", f"{where} <type><speed>") * SPEED_UNITS.get(unit, 1.0)
                break
        for tag in ("elevationProfile", "lateralProfile"):
            if r.find(tag) is not None and len(r.find(tag)):
                self.drop(f"<{tag}> (the road model is planar)")
        return _Road(rid, length, r.get("junction", "-1"), rule, RefLine(tuple(geoms)), offsets, secs, pred, succ,
                     speed, r)

    def lane(self, ln: ET.Element, swhere: str, side: str) -> _Lane:
        lid_text = ln.get("id")
        where = f"{swhere} <lane id={lid_text}>"
        try:
            lid = int(lid_text)
        except (TypeError, ValueError):
            raise self.fail(where, f"lane id {lid_text!r} is not an integer") from None
        if (side == "left" and lid <= 0) or (side == "right" and lid >= 0):
            raise self.fail(where, f"a lane in <{side}> must have a {'positive' if side == 'left' else 'negative'} id")
        widths = sorted((self.poly(w, f"{where} <width>", "sOffset") for w in ln.findall("width")),
                        key=lambda p: p.s)
        link = ln.find("link")
        pred = [int(self.num.attr(p, "id", f"{where} <link><predecessor>")) for p in
                (link.findall("predecessor") if link is not None else [])]
        succ = [int(self.num.attr(p, "id", f"{where} <link><successor>")) for p in
                (link.findall("successor") if link is not None else [])]
        name = None
        for ud in ln.findall("userData"):
            if ud.get("code") == LANE_CODE and ud.get("value"):
                name = ud.get("value")
        speed = None
        sp = ln.find("speed")
        if sp is not None and sp.get("max") is not None:
            speed = self.num.attr(sp, "max", f"{where} <speed>") * SPEED_UNITS.get(sp.get("unit", "m/s"), 1.0)
        return _Lane(lid, ln.get("type", "none"), widths, ln.find("border") is not None and not widths,
                     ln.get("direction", "standard"), pred, succ, name, where, speed)


# ------------------------------------------------------------------ sampling lanes


def _section_grid(road: _Road, sec: _Section) -> np.ndarray:
    """Road s (m) of the samples of a section: every break (geometry, offset and width records),
    plus 0.5 m (and 0.01 rad of turn) steps where something curves or widens."""
    a, b = sec.s, min(sec.end, road.length)
    breaks = {a, b}
    breaks |= {g.s0 for g in road.ref.geoms if a < g.s0 < b}
    breaks |= {o.s for o in road.offsets if a < o.s < b}
    for ln in sec.lanes.values():
        breaks |= {a + w.s for w in ln.widths if a < a + w.s < b}
    pts = sorted(breaks)
    out = [np.array([pts[0]])]
    for lo, hi in zip(pts[:-1], pts[1:]):
        mid = 0.5 * (lo + hi)
        g = road.ref.geoms[int(road.ref.index(np.array([mid]))[0])]
        off = [o for o in road.offsets if o.s <= mid]
        bent = g.kind != "line" or (off and not off[-1].constant)
        if not bent:
            for ln in sec.lanes.values():
                ws = [w for w in ln.widths if a + w.s <= mid]
                if ws and not ws[-1].constant:
                    bent = True
                    break
        if bent:
            k = g.kmax()
            step = min(MAX_STEP, MAX_TURN / k) if k > 0 else MAX_STEP
            n = max(1, math.ceil((hi - lo) / step))
            out.append(np.linspace(lo, hi, n + 1)[1:])
        else:
            out.append(np.array([hi]))
    return np.concatenate(out)


@dataclass
class _Piece:
    """One lane of one section, sampled: ``t_in`` / ``t_out`` inner and outer border offsets."""

    key: tuple[str, int, int]
    lane: _Lane
    s: np.ndarray
    t_centre: np.ndarray
    dt_centre: np.ndarray
    t_in: np.ndarray
    t_out: np.ndarray
    width: np.ndarray


def _section_pieces(rd: _Reader, road: _Road, si: int, sec: _Section) -> tuple[np.ndarray, dict[int, _Piece]]:
    s = _section_grid(road, sec)
    off, doff = _poly_eval(road.offsets, s)
    pieces: dict[int, _Piece] = {}
    for sign in (1, -1):
        ids = sorted((i for i in sec.lanes if i * sign > 0), key=abs)
        border, dborder = off.copy(), doff.copy()
        for i in ids:
            ln = sec.lanes[i]
            if ln.has_border:
                if any(ln2.type in DRIVING_TYPES for j, ln2 in sec.lanes.items() if j * sign > 0 and abs(j) >= abs(i)):
                    raise rd.fail(ln.where, "lane described by <border> instead of <width>: not supported")
                break
            w, dw = _poly_eval([replace(p, s=sec.s + p.s) for p in ln.widths], s)
            t_out = border + sign * w
            pieces[i] = _Piece((road.id, si, i), ln, s, border + sign * 0.5 * w, dborder + sign * 0.5 * dw,
                               border.copy(), t_out, w)
            border, dborder = t_out, dborder + sign * dw
    return s, pieces


def _forward(road: _Road, lane: _Lane) -> bool:
    fwd = (lane.id < 0) == (road.rule == "RHT")
    return not fwd if lane.direction == "reversed" else fwd


# ------------------------------------------------------------------ the reader


def read_opendrive(path: Path, data: bytes) -> MapData:
    """The lanes of an OpenDRIVE file (module docstring)."""
    root = parse_xml(path, data, "OpenDRIVE")
    rd = _Reader(path, root)
    if root.tag != "OpenDRIVE":
        raise rd.fail(f"root element <{root.tag}>", "not an OpenDRIVE file (expected an <OpenDRIVE> root)")
    header = root.find("header")
    if header is None:
        raise rd.fail("<OpenDRIVE>", "missing <header>")
    major, minor = header.get("revMajor", "1"), header.get("revMinor", "4")
    if major != "1" or not minor.isdigit() or int(minor) > 8:
        raise rd.fail("<header>", f"unsupported OpenDRIVE revision {major}.{minor} (supported: 1.4 to 1.8)")
    if header.find("offset") is not None:
        rd.drop("the header <offset> (coordinates are read as written)")
    roads: dict[str, _Road] = {}
    for k, r in enumerate(root.findall("road")):
        road = rd.road(r, k)
        if road.id in roads:
            raise rd.fail(f"<road id={road.id}>", "duplicate road id")
        roads[road.id] = road
    if not roads:
        raise rd.fail("<OpenDRIVE>", "the file has no <road>")

    # sample every lane of every section
    lanes_out: dict[tuple[str, int, int], dict] = {}
    areas: list[MapArea] = []
    section_pieces: dict[tuple[str, int], dict[int, _Piece]] = {}
    for road in roads.values():
        for si, sec in enumerate(road.sections):
            s, pieces = _section_pieces(rd, road, si, sec)
            section_pieces[(road.id, si)] = pieces
            x, y, h, k = road.ref.eval(s)
            nx, ny = -np.sin(h), np.cos(h)
            for i, pc in pieces.items():
                ln = pc.lane
                if ln.type not in DRIVING_TYPES:
                    if ln.type != "none" and np.max(np.abs(pc.width)) > 1e-6:
                        inner = np.stack([x + pc.t_in * nx, y + pc.t_in * ny], 1)
                        outer = np.stack([x + pc.t_out * nx, y + pc.t_out * ny], 1)
                        areas.append(MapArea(f"road {road.id} section {si} lane {i}", ln.type,
                                             np.vstack([inner, outer[::-1], inner[:1]])))
                    continue
                if np.max(pc.width) < MIN_WIDTH:
                    rd.drop("driving lanes of (almost) zero width")
                    continue
                cx, cy = x + pc.t_centre * nx, y + pc.t_centre * ny
                hh = h + np.arctan2(pc.dt_centre, 1.0 - k * pc.t_centre)
                fwd = _forward(road, ln)
                if ln.direction == "both":
                    rd.drop("lanes driven both ways (read in their default direction)")
                centre = np.stack([cx, cy], 1)
                if not fwd:
                    centre, hh = centre[::-1], hh[::-1] + math.pi
                seg = np.hypot(*np.diff(centre, axis=0).T)
                length = float(seg.sum())
                if length < 1e-6:
                    rd.drop("lanes of zero length")
                    continue
                w = pc.width[::-1] if not fwd else pc.width
                wmean = float((0.5 * (w[1:] + w[:-1]) * seg).sum() / length)
                lanes_out[pc.key] = dict(centre=centre, headings=hh, width=wmean, wmin=float(w.min()),
                                         wmax=float(w.max()), forward=fwd, lane=ln, road=road, section=si)

    contacts = _contacts(rd, roads)
    succ: dict[tuple, list[tuple]] = {k: [] for k in lanes_out}
    for (a, ea), (b, eb) in contacts:
        if a not in lanes_out or b not in lanes_out:
            continue
        fa, fb = lanes_out[a]["forward"], lanes_out[b]["forward"]
        exit_a, entry_a = ("end", "start") if fa else ("start", "end")
        exit_b, entry_b = ("end", "start") if fb else ("start", "end")
        if ea == exit_a and eb == entry_b:
            if b not in succ[a]:
                succ[a].append(b)
        elif eb == exit_b and ea == entry_a:
            if a not in succ[b]:
                succ[b].append(a)
        else:
            rd.drop("lane links between lanes that both start or both end there (ignored)")

    # neighbours within each section, ordered across the road by t
    left: dict[tuple, tuple] = {}
    right: dict[tuple, tuple] = {}
    opposite: dict[tuple, list] = {k: [] for k in lanes_out}
    for (rid, si), pieces in section_pieces.items():
        order = sorted(pieces, key=lambda i: -i)  # left lanes (high ids) first: decreasing t
        order = [i for i in order if (rid, si, i) in lanes_out or pieces[i].lane.type not in DRIVING_TYPES]
        for hi_t, lo_t in zip(order[:-1], order[1:]):  # hi_t lies left of lo_t along +s
            ka, kb = (rid, si, hi_t), (rid, si, lo_t)
            if ka not in lanes_out or kb not in lanes_out:
                continue
            fa, fb = lanes_out[ka]["forward"], lanes_out[kb]["forward"]
            if fa != fb:
                opposite[ka].append(kb)
                opposite[kb].append(ka)
            elif fa:
                left[kb], right[ka] = ka, kb
            else:
                left[ka], right[kb] = kb, ka

    names = _names(lanes_out, succ)
    signals, stops = _signals(rd, roads, section_pieces, lanes_out, names)
    areas += _crosswalks(rd, roads)
    lanes = _assemble(lanes_out, succ, left, right, opposite, names)
    return MapData(format="opendrive", file=str(path), version=f"{major}.{minor}", lanes=tuple(lanes),
                   areas=tuple(areas), stop_lines=tuple(stops), signals=tuple(signals),
                   traffic="left" if roads and all(r.rule == "LHT" for r in roads.values()) else "right",
                   dropped=tuple(sorted(rd.dropped.items())))


def _contacts(rd: _Reader, roads: dict[str, _Road]) -> list[tuple[tuple, tuple]]:
    """Touching lane ends: ((road, section, lane), 'start'|'end') pairs, in file order."""
    out: list[tuple[tuple, tuple]] = []

    def sec_at(road: _Road, cp: str) -> int:
        return 0 if cp == "start" else len(road.sections) - 1

    for road in roads.values():
        n = len(road.sections)
        for si, sec in enumerate(road.sections):
            for ln in sec.lanes.values():
                for m in ln.succ:
                    if si + 1 < n:
                        out.append((((road.id, si, ln.id), "end"), ((road.id, si + 1, m), "start")))
                    elif road.succ is not None and road.succ.type == "road" and road.succ.id in roads:
                        other = roads[road.succ.id]
                        out.append((((road.id, si, ln.id), "end"),
                                    ((other.id, sec_at(other, road.succ.contact), m), road.succ.contact)))
                for m in ln.pred:
                    if si > 0:
                        out.append((((road.id, si, ln.id), "start"), ((road.id, si - 1, m), "end")))
                    elif road.pred is not None and road.pred.type == "road" and road.pred.id in roads:
                        other = roads[road.pred.id]
                        out.append((((road.id, si, ln.id), "start"),
                                    ((other.id, sec_at(other, road.pred.contact), m), road.pred.contact)))
        for lk in (road.pred, road.succ):
            if lk is not None and lk.type == "road" and lk.id not in roads:
                rd.drop("road links to roads not in the file")
    for k, j in enumerate(rd.root.findall("junction")):
        jid = j.get("id", f"#{k + 1}")
        jw = f"<junction id={jid}>"
        for c in j.findall("connection"):
            cw = f"{jw} <connection id={c.get('id')}>"
            inc = c.get("incomingRoad")
            target = c.get("connectingRoad") or c.get("linkedRoad")
            cp = c.get("contactPoint")
            if inc is None or target is None:
                raise rd.fail(cw, "needs 'incomingRoad' and 'connectingRoad' (or 'linkedRoad')")
            if cp not in ("start", "end"):
                raise rd.fail(cw, f"contactPoint must be 'start' or 'end', got {cp!r}")
            if inc not in roads or target not in roads:
                rd.drop("junction connections to roads not in the file")
                continue
            ri, rt = roads[inc], roads[target]
            if ri.succ is not None and ri.succ.type == "junction" and ri.succ.id == jid:
                end_i = "end"
            elif ri.pred is not None and ri.pred.type == "junction" and ri.pred.id == jid:
                end_i = "start"
            else:
                end_i = _nearest_end(ri, rt, cp)
            links = c.findall("laneLink")
            if not links:
                rd.drop("junction connections without <laneLink>")
            for ll in links:
                f = int(rd.num.attr(ll, "from", f"{cw} <laneLink>"))
                t = int(rd.num.attr(ll, "to", f"{cw} <laneLink>"))
                out.append((((ri.id, sec_at(ri, end_i), f), end_i), ((rt.id, sec_at(rt, cp), t), cp)))
    return out


def _nearest_end(road: _Road, other: _Road, cp: str) -> str:
    """Which end of ``road`` lies closer to the ``cp`` end of ``other`` (links that say neither)."""
    px = other.ref.eval(np.array([0.0 if cp == "start" else other.ref.length]))
    ends = road.ref.eval(np.array([0.0, road.ref.length]))
    d = np.hypot(ends[0] - px[0], ends[1] - px[1])
    return "start" if d[0] <= d[1] else "end"


def _names(lanes_out: dict, succ: dict) -> dict[tuple, str]:
    """Map lane id of each piece: ``road_section_lane``, or the scenariogen name its userData gives
    (then consecutive pieces of one name share it and are joined in :func:`_assemble`)."""
    names = {}
    for key, info in lanes_out.items():
        nm = info["lane"].name
        names[key] = nm if nm else f"{key[0]}_{key[1]}_{key[2]}"
    # a userData name must stand for one chain of pieces, else fall back to the generic ids
    groups: dict[str, list[tuple]] = {}
    for key, nm in names.items():
        if lanes_out[key]["lane"].name:
            groups.setdefault(nm, []).append(key)
    for nm, keys in groups.items():
        if len(keys) > 1 and not _one_chain(keys, succ):
            for key in keys:
                names[key] = f"{key[0]}_{key[1]}_{key[2]}"
    return names


def _one_chain(keys: list[tuple], succ: dict) -> bool:
    ks = set(keys)
    nxt = {k: [s for s in succ[k] if s in ks] for k in keys}
    heads = [k for k in keys if not any(k in v for v in nxt.values())]
    if len(heads) != 1:
        return False
    seen, cur = [], heads[0]
    while True:
        seen.append(cur)
        if len(nxt[cur]) > 1:
            return False
        if not nxt[cur]:
            break
        cur = nxt[cur][0]
        if cur in seen:
            return False
    return len(seen) == len(keys)


def _assemble(lanes_out, succ, left, right, opposite, names) -> list[MapLane]:
    """MapLanes in file order; pieces sharing a name joined in their chain order."""
    chains: dict[str, list[tuple]] = {}
    for key in lanes_out:
        chains.setdefault(names[key], []).append(key)
    out = []
    for nm, keys in chains.items():
        if len(keys) > 1:
            ks = set(keys)
            head = next(k for k in keys if not any(k in succ[o] for o in keys))
            order = [head]
            while True:
                nxt = [s for s in succ[order[-1]] if s in ks]
                if not nxt:
                    break
                order.append(nxt[0])
            keys = order
        infos = [lanes_out[k] for k in keys]
        centre = np.concatenate([infos[0]["centre"]] + [i["centre"][1:] for i in infos[1:]])
        heads = np.concatenate([infos[0]["headings"]] + [i["headings"][1:] for i in infos[1:]])
        lens = [float(np.hypot(*np.diff(i["centre"], axis=0).T).sum()) for i in infos]
        width = float(sum(i["width"] * L for i, L in zip(infos, lens)) / sum(lens))

        def first(mapping) -> str | None:
            for k in keys:
                if k in mapping and names[mapping[k]] != nm:
                    return names[mapping[k]]
            return None

        road = infos[0]["road"]
        ln = infos[0]["lane"]
        speed = ln.speed if ln.speed is not None else road.speed
        out.append(MapLane(
            id=nm, centre=centre, headings=np.unwrap(heads), width=width,
            width_min=min(i["wmin"] for i in infos), width_max=max(i["wmax"] for i in infos),
            successors=tuple(dict.fromkeys(names[s] for s in succ[keys[-1]] if names[s] != nm)),
            left=first(left), right=first(right),
            opposite=tuple(dict.fromkeys(names[o] for k in keys for o in opposite[k])),
            group=road.id, kind=ln.type, junction=road.junction if road.junction != "-1" else "",
            speed_limit=speed, source=ln.where))
    return out


# ------------------------------------------------------------------ signals and objects


#: signal types (German StVO numbers, US MUTCD codes) and what they are
SIGNAL_KIND = {"206": "stop", "R1-1": "stop", "205": "yield", "R1-2": "yield", "306": "priority", "301": "priority",
               "274": "speed_limit", "R2-1": "speed_limit", "294": "stop_line"}


def _kind(sig: ET.Element) -> str:
    t = (sig.get("type") or "").strip()
    if sig.get("dynamic") == "yes" or t == "1000001":
        return "traffic_light"
    return SIGNAL_KIND.get(t, SIGNAL_KIND.get(t.upper(), "other"))


def _signals(rd: _Reader, roads: dict[str, _Road], section_pieces, lanes_out, names):
    by_id: dict[str, ET.Element] = {}
    for road in roads.values():
        sigs = road.el.find("signals")
        if sigs is not None:
            for sg in sigs.findall("signal"):
                if sg.get("id") is not None:
                    by_id[sg.get("id")] = sg
    signals, stops = [], []
    for road in roads.values():
        sigs = road.el.find("signals")
        if sigs is None:
            continue
        items = [(sg, sg) for sg in sigs.findall("signal")]
        for ref in sigs.findall("signalReference"):
            target = by_id.get(ref.get("id", ""))
            if target is None:
                rd.drop("signal references to signals not in the file")
                continue
            items.append((ref, target))
        for placed, sg in items:
            sid = sg.get("id", "?")
            where = f"<road id={road.id}> <{placed.tag} id={sid}>"
            s = min(max(rd.num.attr(placed, "s", where), 0.0), road.length)
            t = rd.num.attr(placed, "t", where, 0.0)
            si = max(i for i, sec in enumerate(road.sections) if sec.s <= s + 1e-9) if road.sections else 0
            pieces = section_pieces.get((road.id, si), {})
            orient = placed.get("orientation", "none")
            if orient not in ("+", "-", "none"):
                raise rd.fail(where, f"orientation must be '+', '-' or 'none', got {orient!r}")
            valid = [(int(rd.num.attr(v, "fromLane", where)), int(rd.num.attr(v, "toLane", where)))
                     for v in placed.findall("validity")]
            keys = []
            for i, pc in pieces.items():
                key = (road.id, si, i)
                if key not in lanes_out:
                    continue
                fwd = lanes_out[key]["forward"]
                if orient == "+" and not fwd or orient == "-" and fwd:
                    continue
                if valid and not any(min(a, b) <= i <= max(a, b) for a, b in valid):
                    continue
                keys.append(key)
            x, y, h, _ = road.ref.eval(np.array([s]))
            px, py = float(x[0] - t * math.sin(h[0])), float(y[0] + t * math.cos(h[0]))
            kind = _kind(sg)
            lane_ids = tuple(dict.fromkeys(names[k] for k in keys))
            value = None
            if sg.get("value") not in (None, "", "-1"):
                try:
                    value = float(sg.get("value"))
                except ValueError:
                    value = None
                if value is not None and kind == "speed_limit":
                    value *= SPEED_UNITS.get(sg.get("unit", "km/h"), 1 / 3.6)
            if kind == "stop_line":
                stops.append(StopLine(f"road {road.id} signal {sid}", _across(road, pieces, keys, s), lane_ids))
            else:
                signals.append(Signal(sid, kind, sg.get("type", ""), (px, py), lane_ids, value, source=where))
        # stop lines given as objects
        objs = road.el.find("objects")
        if objs is None:
            continue
        for ob in objs.findall("object"):
            label = " ".join(filter(None, (ob.get("type"), ob.get("subtype"), ob.get("name")))).lower().replace("_", "")
            if "stopline" in label.replace(" ", ""):
                where = f"<road id={road.id}> <object id={ob.get('id')}>"
                s = min(max(rd.num.attr(ob, "s", where), 0.0), road.length)
                si = max(i for i, sec in enumerate(road.sections) if sec.s <= s + 1e-9)
                pieces = section_pieces.get((road.id, si), {})
                t = rd.num.attr(ob, "t", where, 0.0)
                orient = ob.get("orientation", "none")
                keys = [(road.id, si, i) for i, pc in pieces.items() if (road.id, si, i) in lanes_out
                        and not (orient == "+" and not lanes_out[(road.id, si, i)]["forward"])
                        and not (orient == "-" and lanes_out[(road.id, si, i)]["forward"])]
                near = [k for k in keys if _covers(pieces[k[2]], s, t)] or keys
                stops.append(StopLine(f"road {road.id} object {ob.get('id')}", _across(road, pieces, near, s),
                                      tuple(dict.fromkeys(names[k] for k in near))))
    return signals, stops


def _covers(pc: _Piece, s: float, t: float) -> bool:
    a = float(np.interp(s, pc.s, pc.t_in))
    b = float(np.interp(s, pc.s, pc.t_out))
    return min(a, b) - 1e-6 <= t <= max(a, b) + 1e-6


def _across(road: _Road, pieces: dict, keys: list, s: float) -> np.ndarray:
    """A line (2, 2) across the lanes ``keys`` at road ``s``."""
    if keys:
        ts = [float(np.interp(s, pieces[k[2]].s, v)) for k in keys for v in (pieces[k[2]].t_in, pieces[k[2]].t_out)]
        t0, t1 = min(ts), max(ts)
    else:
        t0, t1 = -1.0, 1.0
    x, y, h, _ = road.ref.eval(np.array([s, s]))
    t = np.array([t0, t1])
    return np.stack([x - t * np.sin(h), y + t * np.cos(h)], 1)


def _crosswalks(rd: _Reader, roads: dict[str, _Road]) -> list[MapArea]:
    out = []
    n_other = 0
    for road in roads.values():
        objs = road.el.find("objects")
        if objs is None:
            continue
        for ob in objs.findall("object"):
            if (ob.get("type") or "").lower() != "crosswalk":
                label = " ".join(filter(None, (ob.get("type"), ob.get("subtype"), ob.get("name")))).lower()
                if "stop" not in label:
                    n_other += 1
                continue
            where = f"<road id={road.id}> <object id={ob.get('id')}>"
            s = rd.num.attr(ob, "s", where)
            t = rd.num.attr(ob, "t", where, 0.0)
            x, y, h, _ = road.ref.eval(np.array([s]))
            ox, oy, oh = float(x[0] - t * math.sin(h[0])), float(y[0] + t * math.cos(h[0])), float(h[0])
            hdg = oh + rd.num.attr(ob, "hdg", where, 0.0)
            outline = ob.find("outline")
            if outline is None:
                outlines = ob.find("outlines")
                outline = outlines.find("outline") if outlines is not None else None
            pts = []
            if outline is not None:
                for c in outline:
                    if c.tag == "cornerRoad":
                        cs, ct = rd.num.attr(c, "s", where), rd.num.attr(c, "t", where)
                        cx, cy, chh, _ = road.ref.eval(np.array([cs]))
                        pts.append((float(cx[0] - ct * math.sin(chh[0])), float(cy[0] + ct * math.cos(chh[0]))))
                    elif c.tag == "cornerLocal":
                        u, v = rd.num.attr(c, "u", where), rd.num.attr(c, "v", where)
                        pts.append((ox + u * math.cos(hdg) - v * math.sin(hdg), oy + u * math.sin(hdg) + v * math.cos(hdg)))
            if len(pts) < 3:
                L = rd.num.attr(ob, "length", where, 0.0)
                W = rd.num.attr(ob, "width", where, 0.0)
                if L <= 0 or W <= 0:
                    rd.drop("crosswalk objects without an outline or a size")
                    continue
                c, sn = math.cos(hdg), math.sin(hdg)
                pts = [(ox + du * c - dv * sn, oy + du * sn + dv * c)
                       for du, dv in ((-L / 2, -W / 2), (L / 2, -W / 2), (L / 2, W / 2), (-L / 2, W / 2))]
            out.append(MapArea(f"road {road.id} crosswalk {ob.get('id')}", "crosswalk", np.array(pts + pts[:1])))
    rd.drop("<object> elements other than crosswalks and stop lines", n_other)
    return out
