"""Every limit on the size of a scenario, in one place, with its unit.

Each bounds something that drives memory or time downstream (the bytes read, the YAML tree, the
road the simulator resamples every 0.5 m, the agents and steps of the kernel, the columns of
theta), or a number whose sampling would produce NaN, inf or absurd values. The validator checks
each one and reports it at the line and column of the key that exceeds it; ``docs/dsl.md``
("Limits") lists them. Shipped scenarios stay far inside: the largest uses 120 steps, 3 named
actors, 24 traffic vehicles, 1 500 m of lanes and 13 parameters.
"""

from __future__ import annotations

# ---- the document
MAX_BYTES = 1_000_000  # bytes of a scenario file, pipe or device; reading stops after one more
MAX_NODES = 100_000  # YAML nodes after alias expansion
MAX_DEPTH = 64  # levels of nesting
MAX_NAME_CHARS = 200  # characters of the scenario name and of each event name

# ---- what the simulator allocates and loops over
MAX_STEPS = 100_000  # simulation steps, duration / dt (e.g. 1 000 s at dt = 0.01 s)
MAX_AGENTS = 1_000  # named actors plus the largest count of every traffic block
MAX_TRAFFIC_COUNT = 500  # vehicles of one traffic block (the upper bound of its count)
MAX_LANES = 1_000  # lanes of the road, connectors included
MAX_LANE_LENGTH = 10_000.0  # m, one lane of any road type
MAX_ROAD_LENGTH = 200_000.0  # m, all lanes of the road together
MAX_EVENTS = 100  # events of a scenario (one label and one robustness per scenario each)
MAX_PARAMETERS = 1_000  # dimensions of the parameter space (columns of theta)
MAX_MANEUVERS = 4  # manoeuvres of one actor (the kernel's slots per agent)
MAX_ROUTE = 8  # lane ids in one route
MAX_PATH_POINTS = 16  # points of one cross path

# ---- numbers
MAX_MAGNITUDE = 1e7  # any number a value can take (a constant, or wherever its distribution reaches) and any coordinate, in the field's unit (m, s, m/s, ...)
MAX_POISSON_MEAN = 1e6  # lam of a poisson; scipy's poisson quantiles are NaN from about 1e11
SAMPLED_Z = 8.3  # standard normal quantile of 1 - 1e-16: how far the sampler's clipped uniforms reach

__all__ = [
    "MAX_AGENTS", "MAX_BYTES", "MAX_DEPTH", "MAX_EVENTS", "MAX_LANES", "MAX_LANE_LENGTH", "MAX_MAGNITUDE",
    "MAX_MANEUVERS", "MAX_NAME_CHARS", "MAX_NODES", "MAX_PARAMETERS", "MAX_PATH_POINTS", "MAX_POISSON_MEAN",
    "MAX_ROAD_LENGTH", "MAX_ROUTE", "MAX_STEPS", "MAX_TRAFFIC_COUNT", "SAMPLED_Z",
]
