"""Road model: directed lanes (shapely), the lane graph (networkx), and flat arrays for kernels.

Units: metres and radians; world x east, y north; headings counter-clockwise
from +x; lateral offsets positive to the left of travel; right-hand traffic.
"""

from __future__ import annotations

from .builders import build_road
from .compile import CompiledRoad, compile_road
from .lane import Lane
from .network import RoadNetwork

__all__ = ["Lane", "RoadNetwork", "CompiledRoad", "build_road", "compile_road"]
