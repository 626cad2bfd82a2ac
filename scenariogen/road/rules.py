"""Right of way on a road: signs, priority levels, signal groups and crosswalks.

Every control belongs to an approach lane and acts at its stop line, the lane's end (where a
junction's connector lanes begin): a ``yield`` sign makes its drivers accept a gap in the traffic
with priority, a ``stop`` sign adds a full stop at the line first, a signal group stops them on red
(and on amber when they can stop comfortably). Priority levels rank approaches (higher goes first);
at equal levels the turn rules of :mod:`scenariogen.road.conflicts` decide. An all-way stop gives
every approach a stop sign and lets the conflicting drivers go first come, first served.
Crosswalks are convex polygons (m, world frame) where vehicles yield to pedestrians.

The timing of the signal groups is usually part of the scenario (an intersection's ``phases``); a
road imported from a map whose file carries the light cycles (CommonRoad) brings its own ``plan``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from scenariogen.errors import RoadError

if TYPE_CHECKING:
    from .network import RoadNetwork

__all__ = ["Controls", "Crosswalk", "SIGNS"]

SIGNS = ("yield", "stop")


@dataclass(frozen=True)
class Crosswalk:
    """A pedestrian crossing: ``id`` and its outline, a convex polygon (m)."""

    id: str
    polygon: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Controls:
    """The right-of-way of a road network; every mapping is keyed by approach lane id.

    ``sign``: ``yield`` or ``stop`` at the lane's end; ``priority``: its level (default 1, higher
    goes first); ``all_way_stop``: conflicting drivers who stopped go in the order they stopped;
    ``signal``: the lane's signal group (0 .. ``n_groups`` - 1, the timing of each group is part of
    the scenario, not of the road, unless ``plan`` gives it); ``crosswalks``: where vehicles yield
    to pedestrians. ``plan``: the road's own signal timing, one ``(start, green, amber)`` (s) per
    group, green from ``start`` into a cycle of ``cycle`` s, then amber, then red; empty when the
    scenario times the groups."""

    sign: dict[str, str] = field(default_factory=dict)
    priority: dict[str, int] = field(default_factory=dict)
    all_way_stop: bool = False
    signal: dict[str, int] = field(default_factory=dict)
    n_groups: int = 0
    crosswalks: tuple[Crosswalk, ...] = ()
    plan: tuple[tuple[float, float, float], ...] = ()
    cycle: float = 0.0

    def level(self, lane_id: str) -> int:
        return self.priority.get(lane_id, 1)

    def check(self, net: RoadNetwork) -> None:
        """RoadError for a control on an unknown lane, an unknown sign, a bad group or polygon."""
        for what, mapping in (("sign", self.sign), ("priority", self.priority), ("signal", self.signal)):
            for lid in mapping:
                if lid not in net:
                    raise RoadError(f"{what} on unknown lane {lid!r}")
        for lid, sign in self.sign.items():
            if sign not in SIGNS:
                raise RoadError(f"lane {lid!r}: unknown sign {sign!r} (signs: {', '.join(SIGNS)})")
        for lid, g in self.signal.items():
            if not 0 <= g < self.n_groups:
                raise RoadError(f"lane {lid!r}: signal group {g} outside 0..{self.n_groups - 1}")
        for cw in self.crosswalks:
            if len(cw.polygon) < 3:
                raise RoadError(f"crosswalk {cw.id!r} needs at least 3 points")
        if self.plan:
            if len(self.plan) != self.n_groups:
                raise RoadError(f"a signal plan of {len(self.plan)} group(s) for {self.n_groups} signal group(s)")
            if not self.cycle > 0.0:
                raise RoadError(f"a signal plan needs a positive cycle, got {self.cycle}")
            for g, (start, green, amber) in enumerate(self.plan):
                if not (0.0 <= start < self.cycle and green > 0.0 and amber >= 0.0
                        and green + amber <= self.cycle + 1e-9):
                    raise RoadError(f"signal group {g}: green {green} s from {start} s and amber {amber} s do not "
                                    f"fit a cycle of {self.cycle} s")

    def overlap(self, g: int, h: int) -> bool:
        """True if signal groups ``g`` and ``h`` of the road's own ``plan`` may both show green or
        amber at once (never without a plan: the phases of a scenario's plan follow each other)."""
        if not self.plan or g == h:
            return g == h
        c = self.cycle

        def windows(k: int) -> list[tuple[float, float]]:
            start, green, amber = self.plan[k]
            end = start + green + amber
            return [(start, min(end, c))] + ([(0.0, end - c)] if end > c else [])

        return any(a0 < b1 - 1e-9 and b0 < a1 - 1e-9 for a0, a1 in windows(g) for b0, b1 in windows(h))
