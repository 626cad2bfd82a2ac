"""Pictures of one simulated scenario: a PNG/SVG frame or an animated GIF.

This is what a user opens first to understand a rare case, so every frame shows:

* the road (lanes as asphalt, white lane edges, dashed between lanes of one
  direction, faint dotted centrelines) and the occluders (dark, hatched);
* every agent as an oriented box (pedestrians as circles) coloured by kind, the
  ego in blue, with a heading tick, a fading trail of its last seconds and, for
  named actors, its name and speed;
* the ego sensor's field of view (range and opening from the spec) with the
  regions shadowed by occluders shaded; with perception outputs in the batch,
  agents the sensor cannot see are drawn dashed, the ego's tracks as crosses,
  and a "SENSOR DROPOUT" badge marks frames of a dropout burst;
* the closest approach of the ego to any agent (box distance, from the recorded
  trajectories): a line between the two boxes with the distance;
* a header with the scenario name and index, the time, the events that fired
  and the key metrics, and a timeline of the ego's gap to its nearest agent
  with the current time, the closest approach, dropouts and collisions.

Public API: :func:`render` (format from the file name), :func:`render_frame`,
:func:`render_animation`, :func:`animation_frames`, :class:`View` (what the camera shows), and
:func:`find_scenario` (by id or row) for an ``.npz`` file, a directory of ``.npz`` shards or a run
directory. matplotlib is
optional (``pip install scenariogen[viz]``): importing this package does not
import it, and without it the drawing functions raise
:class:`~scenariogen.errors.ScenarioGenError`.

Modules: ``source`` (what to draw), ``scene`` (a scenario row as arrays and
shapely geometry), ``style`` (colours, defaults), ``draw`` (static and per-frame
artists), ``figure`` (camera, layout, timeline, legend, scale bar) and ``write``
(the files).
"""

from __future__ import annotations

from .figure import View
from .source import find_scenario
from .style import FORMATS
from .write import animation_frames, render, render_animation, render_frame

__all__ = ["FORMATS", "View", "animation_frames", "find_scenario", "render", "render_animation",
           "render_frame"]
