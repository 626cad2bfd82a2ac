"""The highD plugin formats its tracks tables vectorised: the exact bytes of ``np.savetxt``.

``csvtext`` needs only numpy, so it is loaded from the plugin's source file
(no install needed); the plugin's end-to-end tests are in test_highd_plugin.py.
"""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import numpy as np
import pytest

SOURCE = Path(__file__).resolve().parents[2] / "plugins" / "scenariogen-highd" / "scenariogen_highd" / "csvtext.py"


@pytest.fixture(scope="module")
def format_rows():
    spec = importlib.util.spec_from_file_location("highd_csvtext", SOURCE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.format_rows


def savetxt(table: np.ndarray, decimals: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.savetxt(buf, table, fmt=["%.3f" if d else "%d" for d in decimals], delimiter=",")
    return buf.getvalue()


def test_awkward_values(format_rows):
    """Exact ties (odd sixteenths), values rounding to a signed zero, -0.0, truncation of '%d'."""
    row = np.array([0.0625, 0.1875, -0.0625, 2.5, -0.0005, -0.0004, -0.0, 0.0, 1e-9, 1234567.8915,
                    -3.7, -0.5, 0.0, 42.0, -7.0])
    decimals = np.array([True] * 10 + [False] * 5)
    table = np.vstack([row, -row, row * 16])
    assert format_rows(table, decimals) == savetxt(table, decimals)


def test_near_ties(format_rows):
    """Doubles nearest to k + 0.5 thousandths: v * 1000 rounds onto the half, the exact value is not on it."""
    near = (np.arange(-20000, 20000) * 2 + 1) / 2000.0
    table = near.reshape(-1, 4)
    decimals = np.ones(4, bool)
    assert format_rows(table, decimals) == savetxt(table, decimals)


@pytest.mark.parametrize("seed", range(4))
def test_random_tables(format_rows, seed):
    rng = np.random.default_rng(seed)
    R, C = 300, 9
    decimals = rng.random(C) < 0.6
    table = rng.normal(size=(R, C)) * 10.0 ** rng.integers(-4, 8, size=(R, C))
    table[rng.random((R, C)) < 0.1] = (rng.integers(-4000, 4000, size=1) * 2 + 1) / 16  # ties of '%.3f'
    table[rng.random((R, C)) < 0.2] = rng.normal(size=1).astype(np.float32) * 100  # float32 data, as simulated
    table[:, ~decimals] = np.trunc(table[:, ~decimals])
    assert format_rows(table, decimals) == savetxt(table, decimals)


def test_what_it_cannot_format_is_left_to_numpy(format_rows):
    decimals = np.array([True, False])
    assert format_rows(np.array([[np.nan, 1.0]]), decimals) is None
    assert format_rows(np.array([[1e13, 1.0]]), decimals) is None
    assert format_rows(np.zeros((0, 2)), decimals) == b""
