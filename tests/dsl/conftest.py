"""Small factories for the DSL tests."""

from __future__ import annotations

import pytest

# The smallest valid scenario: a two-lane straight road and the ego.
MINIMAL = """\
scenariogen: 1
name: minimal
road: {type: straight, lanes: 2, length: 300}
actors:
  ego: {kind: car, lane: 0, s: 20, speed: 20}
"""


@pytest.fixture
def scenario_text():
    """Factory: the minimal valid scenario, with its ego line replaced and extra top-level YAML appended."""

    def make(extra: str = "", ego: str | None = None) -> str:
        text = MINIMAL
        if ego is not None:
            text = text.replace("  ego: {kind: car, lane: 0, s: 20, speed: 20}\n", ego)
        return text + extra

    return make
