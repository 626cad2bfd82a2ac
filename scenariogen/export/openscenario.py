"""``openscenario``: ASAM OpenSCENARIO XML 1.2 (.xosc) per scenario, with an ASAM OpenDRIVE 1.7 road.

Output: a new folder with one road file for the run (``<spec>.xodr``, one spec
has one road; see :mod:`scenariogen.export.opendrive`) and one scenario file
per scenario, ``<spec>-<index:09d>.xosc`` (``<spec>``: the spec name made a safe
file name by :func:`scenariogen.data.files.safe_name`; the name itself is the
``scenariogen.spec_name`` property) (``index``: the global scenario
index), whose ``RoadNetwork/LogicFile`` names the road file by its relative path.

Frame, units, time base: the world frame of the simulation unchanged (x east,
y north in metres, heading in radians counter-clockwise from +x, z = 0), which
is also the OpenDRIVE inertial frame of the road file. Simulation time starts
at 0 s with the first recorded frame; frame ``k`` is at ``k * dt * frame_step``
seconds (the spec's ``dt``, and the recording step of the run).

What each scenario file holds: :mod:`scenariogen.export.xosc`.

What the format cannot carry is reported by each export: acceleration, lane
index, arc length and offset per frame (speed follows from the vertex timing),
the ego's perception (visibility, detections, tracks, dropouts) and the static
occluder polygons.
"""

from __future__ import annotations

from ..data.files import safe_name
from .base import Writer
from .npz import event_times
from .opendrive import xodr_bytes
from .xosc import REV_MAJOR, REV_MINOR, ShardDocuments

__all__ = ["OpenScenarioWriter"]


class OpenScenarioWriter(Writer):
    """OpenSCENARIO XML 1.2 scenario files plus one OpenDRIVE 1.7 road file, in a new folder."""

    name = "openscenario"
    extensions = ()
    directory = True
    format_version = f"OpenSCENARIO {REV_MAJOR}.{REV_MINOR} + OpenDRIVE 1.7"
    cannot_carry = (
        ("acceleration, lane index, arc length and lateral offset per frame (polylines carry time, x, y, "
         "heading; speed follows from the timing)"),
        "perception arrays (visible, detected, tracked, track_xy, dropout): use jsonl",
        "static occluder polygons of the map",
    )

    def write_stream(self, stream, tmp, report, progress) -> None:
        meta = stream.meta
        spec = stream.spec(self.name)
        stem = safe_name(meta["spec_name"] or spec.name)  # the name itself: scenariogen.spec_name
        road_file = f"{stem}.xodr"
        (tmp / road_file).write_bytes(xodr_bytes(spec.road, stem))
        report.drop(self.cannot_carry[0])
        if spec.occluders:
            report.drop(self.cannot_carry[2])
        empty = 0
        for chunk in stream:
            b = chunk.batch
            self.require_frames(b, 2)
            if b.perception:
                report.drop(self.cannot_carry[1])
            frame_dt = b.frame_dt(spec.dt)
            times = event_times(spec, b, frame_dt)
            empty += int((~b.mask.any(axis=2)).sum())
            shard = ShardDocuments(b, meta=meta, road_file=road_file, frame_dt=frame_dt, times=times)
            weights = None if chunk.log_weight is None else chunk.log_weight.tolist()
            stages = None if chunk.stage is None else chunk.stage.tolist()
            for i, index in enumerate(b.indices.tolist()):
                doc = shard.render(i, None if weights is None else float(weights[i]),
                                   None if stages is None else int(stages[i]))
                (tmp / f"{stem}-{int(index):09d}.xosc").write_bytes(doc)
            report.scenarios += b.size
            if progress:
                progress(b.size, stream.total)
        if empty:
            report.notes.append(f"{empty} agent slot(s) never present in their scenario (unused traffic slots) "
                                "are not entities")
        if meta.get("run") is None:
            report.notes.append("the source is a Batch: no importance weights (scenariogen.importance_weight = 1)")
