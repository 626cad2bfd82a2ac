"""scenariogen's own output as logs: ``.npz`` batches (``scenariogen simulate``) and run
directories (``scenariogen generate``: ``manifest.json`` plus ``shards/*.npz``).

The scenes keep the simulator's frames (dt = the spec's dt times the frame step),
agents (agent 0 is the ego) and features; frames where an agent is absent are
set to NaN as in every :class:`LogScenes`. ``track_ids`` are the spec's agent names.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np

from ..data import layout as Lo
from ..data.batch import concat
from ..errors import LogFormatError, ParameterError, ScenarioGenError
from .base import Reader, check_exists, head_bytes
from .scenes import LogScenes


def batch_to_scenes(batch, source: str) -> LogScenes:
    """A simulated :class:`~scenariogen.sim.engine.Batch` (with recorded frames) as :class:`LogScenes`."""
    prov = batch.provenance or {}
    dt = batch.frame_dt()
    traj = np.array(batch.trajectories, dtype=np.float32, copy=True)
    mask = np.asarray(batch.mask, bool)
    traj[..., : Lo.F_LANE][~mask] = np.nan
    B, N = traj.shape[:2]
    names = np.array(list(batch.agent_names) + [""] * max(0, N - len(batch.agent_names)), dtype=object)[:N]
    info = dict(format="scenariogen", spec_name=prov.get("spec_name"), spec_hash=prov.get("spec_hash"),
                seed=prov.get("seed"), version=prov.get("version"), indices=np.asarray(batch.indices))
    return LogScenes(trajectories=traj, mask=mask, kinds=np.asarray(batch.kinds, np.int8),
                     sizes=np.asarray(batch.sizes, np.float32), dt=dt, sources=np.full(B, source, dtype=object),
                     track_ids=np.tile(names, (B, 1)), t0=np.zeros(B), lanes={source: ()}, info={source: info})


def _load(path: Path):
    from ..data.npz import load_npz

    try:
        return load_npz(path)
    except ScenarioGenError as exc:  # reported as a log file that cannot be read, like the other formats
        raise LogFormatError(path, str(exc).removeprefix(f"{path}: ")) from None


class ScenariogenReader(Reader):
    """scenariogen .npz batches and run directories."""

    name = "scenariogen"
    extensions = (".npz",)
    format_version = "scenariogen-npz/1, scenariogen-run/1"
    requires = ()
    description = "scenariogen's own .npz batches and generate run directories"

    @classmethod
    def sniff(cls, path: Path) -> bool:
        if path.is_dir():
            return (path / "manifest.json").exists()
        return head_bytes(path, 4).startswith(b"PK")

    @classmethod
    def read(cls, path, **options) -> LogScenes:
        options.pop("dt", None)  # simulated frames are kept as they are
        options.pop("clean", None)
        if options:
            raise ParameterError("options", f": unknown option(s) for the scenariogen reader: {', '.join(sorted(options))}")
        path = check_exists(path)
        if not path.is_dir():
            batch = _load(path)
            if batch.trajectories.shape[2] == 0:
                raise LogFormatError(path, "holds metrics only (simulated with --metrics-only): no trajectories")
            return batch_to_scenes(batch, str(path))
        from ..data.run import open_run

        try:
            run = open_run(path, complete=False)
        except ScenarioGenError as exc:  # reported as a log that cannot be read, like the other formats
            raise LogFormatError(path, str(exc).removeprefix(f"{path}: ")) from None
        parts = [b for _rec, b, _sim in run.kept() if b.size and b.trajectories.shape[2]]
        if not parts:
            raise LogFormatError(path, "the run holds no scenarios with trajectories")
        scenes = batch_to_scenes(concat(parts), str(path))
        m = run.manifest
        scenes.info[str(path)]["run_manifest"] = {"spec_hash": m.spec_hash, "settings": m.settings,
                                                  "totals": asdict(m.totals)}
        return scenes
