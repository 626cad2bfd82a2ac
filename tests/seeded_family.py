"""A small seeded family on two real US-101 scenes (NGSIM, CommonRoad), for the seeding tests."""

from __future__ import annotations

from pathlib import Path

from real_data import NGSIM_MORE, need

SCENES = ("USA_US101-8_1_T-1.xml", "USA_US101-11_1_T-1.xml")  # 7.5 s and 7.2 s, 27 and 32 vehicles


def seeded_yaml(tmp: Path, *, duration: float = 5.0, ego: str = "{busiest: 30}", extra_seed: str = "",
                actors: str | None = None, logs: list[str] | None = None) -> Path:
    """A seeded cut-in written to ``tmp`` (the logs by absolute path: the file is not committed)."""
    files = logs if logs is not None else [str(need(NGSIM_MORE / s)) for s in SCENES]
    listed = "\n".join(f"    - {f}" for f in files)
    actors = actors if actors is not None else """  ego:
    behavior: {idm: {desired_speed: 25, time_headway: 1.0}}
  cutter:
    from_log: {role: left_ahead}
    maneuver:
      lane_change: {to: right, start: {time_gap_to: ego, below: {uniform: [0.8, 2.5]}}, duration: 2.0}
  leader:
    from_log: {role: leader}
"""
    text = f"""scenariogen: 1
name: seeded_test
dt: 0.1
duration: {duration}
seed_from:
  logs:
{listed}
  ego: {ego}
  behavior: {{idm: {{desired_speed: 25}}}}
{extra_seed}actors:
{actors}events:
  near_miss: {{ttc_below: 1.0}}
"""
    path = tmp / "seeded.yaml"
    path.write_text(text)
    return path
