"""docs/dsl.md names every key the validator accepts (issue 21: "docs/dsl.md documents every new
key"): each key of the parser's key lists appears in the page as `key`."""

from __future__ import annotations

from pathlib import Path

import pytest

from scenariogen.dsl.sections import actors, behavior, calibrate, maneuvers, road

DOC = (Path(__file__).resolve().parents[2] / "docs" / "dsl.md").read_text(encoding="utf-8")

KEYS = sorted(
    set(actors._ACTOR_KEYS)
    | set(behavior._IDM_KEYS) | set(behavior._MOBIL_KEYS) | set(behavior._BEHAVIORS) | set(behavior._DRIVER_KEYS)
    | {k for keys in maneuvers._MANEUVERS.values() for k in keys} | set(maneuvers._MANEUVERS) | set(maneuvers._KINDS)
    | {"below", "timeout", "any", "all"}
    | {k for keys in road._ROAD_KEYS.values() for k in keys} | set(road._CONTROLS)
    | {k for keys in road._CONTROL_KEYS.values() for k in keys} | set(road._SIGNS) | set(road._LANE_KEYS)
    | {"arms", "green", "amber"}  # a signal phase (sections/road.py, _parse_control)
    | set(calibrate._KEYS) | {"calibrate"}
)


@pytest.mark.parametrize("key", KEYS)
def test_every_key_is_in_the_reference(key):
    assert f"`{key}`" in DOC or f"`{key}:" in DOC, f"docs/dsl.md does not mention `{key}`"
