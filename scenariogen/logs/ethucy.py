"""ETH/UCY pedestrian files (Social-GAN preprocessing): ``frame_id ped_id x y`` per line.

Whitespace- or tab-separated, no header; positions in metres in a fixed world
frame; frame ids step by 10 and one step of 10 frames is 0.4 s (2.5 Hz), so a
frame id ``f`` is at ``f * frame_time`` seconds with ``frame_time = 0.04``.
Every agent is a pedestrian with a nominal 0.5 m x 0.5 m footprint; speeds and
headings come from (smoothed) finite differences of the positions.
"""

from __future__ import annotations

import math
from array import array
from pathlib import Path

import numpy as np

from ..errors import LogFormatError, ParameterError
from .base import NOMINAL_SIZE, PEDESTRIAN, Reader, check_exists, head_bytes
from .scenes import LogScenes
from .tracks import RawTrack, build_scenes

FRAME_TIME = 0.04  # s per frame id (10 frame ids = 0.4 s)


def _parse(path: Path) -> np.ndarray:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise LogFormatError(path, f"not a text file (undecodable byte at offset {exc.start})") from None
    except OSError as exc:
        raise LogFormatError(path, f"cannot read ({exc.strerror or exc})") from None
    values = array("d")  # 8 bytes a number, not a Python float object each
    for ln, line in enumerate(text.splitlines(), 1):
        parts = line.split()
        if not parts or parts[0].startswith("#"):
            continue
        if len(parts) != 4:
            raise LogFormatError(path, f"expected 4 columns (frame_id ped_id x y), found {len(parts)}: "
                                 f"{line.strip()[:60]!r}", f"line {ln}")
        try:
            vals = [float(p) for p in parts]
        except ValueError:
            raise LogFormatError(path, f"not a number in {line.strip()[:60]!r}", f"line {ln}") from None
        if not all(math.isfinite(v) for v in vals):
            raise LogFormatError(path, f"non-finite value in {line.strip()[:60]!r}", f"line {ln}")
        values.extend(vals)
    if not values:
        raise LogFormatError(path, "no data rows")
    return np.frombuffer(values, dtype=np.float64).reshape(-1, 4).copy()


class EthUcyReader(Reader):
    """ETH/UCY pedestrian trajectories (.txt)."""

    name = "eth-ucy"
    extensions = (".txt", ".tsv")
    format_version = "social-gan-raw (frame_id ped_id x y, 2.5 Hz)"
    requires = ()
    description = "ETH/UCY pedestrian files, frame ped x y"

    @classmethod
    def sniff(cls, path: Path) -> bool:
        if not path.is_file():
            return False
        head = head_bytes(path, 2048).decode("utf-8", "replace").splitlines()[:5]
        try:
            return bool(head) and all(len(line.split()) == 4 and [float(v) for v in line.split()] for line in head
                                      if line.strip())
        except ValueError:
            return False

    @classmethod
    def read(cls, path, *, dt: float = 0.1, clean: bool = True, frame_time: float = FRAME_TIME,
             **options) -> LogScenes:
        path = check_exists(path)
        if not (isinstance(frame_time, (int, float)) and not isinstance(frame_time, bool) and math.isfinite(frame_time)
                and frame_time > 0):
            raise ParameterError("frame_time", f"must be a positive number of seconds, got {frame_time!r}")
        a = _parse(path)
        ids = a[:, 1]
        t = a[:, 0] * frame_time
        order = np.lexsort((t, ids))
        a, t, ids = a[order], t[order], ids[order]
        cuts = np.flatnonzero(np.diff(ids)) + 1
        length, width = NOMINAL_SIZE[PEDESTRIAN]
        tracks = []
        for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, len(ids)]):
            pid = ids[lo]
            tracks.append(RawTrack(id=str(int(pid)) if pid == int(pid) else str(pid), kind=PEDESTRIAN, length=length,
                                   width=width, t=t[lo:hi], x=a[lo:hi, 2], y=a[lo:hi, 3]))
        frames = np.unique(a[:, 0])
        step = float(np.median(np.diff(frames))) * frame_time if len(frames) > 1 else 10 * frame_time
        info = dict(format="eth-ucy", format_version=cls.format_version, raw_dt=step)
        # raw samples every 0.4 s: interpolate across one missing sample at most
        options.setdefault("max_gap", max(1.0, 2.5 * step))
        return build_scenes(tracks, str(path), dt=dt, clean=clean, info=info, **options)
