"""Colours of the pictures and the defaults of the render commands."""

from __future__ import annotations

FORMATS = (".png", ".svg", ".gif")
DEFAULT_MAX_FRAMES = 100
DEFAULT_FPS = 10
TRAIL_SECONDS = 3.0

# ---------------------------------------------------------------- colours
GROUND = "#e4e9df"
ASPHALT = "#50555c"
MARKING = "#f4f4f4"
DIVIDER = "#f2c14e"
CENTRELINE = "#8a9098"
OCCLUDER = "#263238"
EGO = "#1e88e5"
KIND_COLORS = {
    "car": "#b8c4cc",
    "truck": "#a1887f",
    "bus": "#9575cd",
    "motorcycle": "#4db6ac",
    "bicycle": "#81c784",
    "pedestrian": "#ff9800",
}
FOV = "#ffe066"
FOV_EDGE = "#f9a825"
SHADOW = "#11151a"
TRACK = "#ff3fa4"
ALERT = "#e53935"
