"""Numeric CSV rows as text, vectorised: the exact bytes ``np.savetxt`` writes with ``%d`` / ``%.3f``.

``np.savetxt`` formats each row with Python's ``%`` operator, a few microseconds
a row; a highD tracks file has thousands of rows per scenario. Here every cell
becomes characters in a fixed-width byte matrix (pad bytes are zero and are
dropped at the end), so the whole table is formatted by a few numpy operations.

Exactness: ``%.3f`` rounds the exact binary value to the nearest multiple of
0.001, ties to even. ``rint(v * 1000)`` gives the same integer except when the
rounded product lands exactly on a half-integer; there the rounding error of the
product (computed exactly, Dekker's two-product) says which way the exact value
lies. ``%d`` of a float truncates towards zero. Values that are not finite or too
large for this arithmetic are left to Python's formatting (the caller's fallback).
"""

from __future__ import annotations

import numpy as np

__all__ = ["format_rows"]

_LIMIT = 2.0**50  # |v * 1000| below this: integers and half-integers are exact doubles
_SPLIT = 2.0**27 + 1  # Veltkamp split of a double into two 26-bit halves


def _thousandths(v: np.ndarray) -> np.ndarray:
    """``v * 1000`` rounded to the nearest integer as ``'%.3f'`` rounds (ties to even), as float64."""
    p = v * 1000.0
    r = np.rint(p)  # correct unless p is exactly a half-integer that the exact product is not
    half = np.abs(p - r) == 0.5
    if half.any():
        vh = v[half]
        t = vh * _SPLIT
        hi = t - (t - vh)
        lo = vh - hi
        err = (hi * 1000.0 - p[half]) + lo * 1000.0  # exact product = p + err
        fl = np.floor(p[half])
        r[half] = np.where(err > 0, fl + 1.0, np.where(err < 0, fl, r[half]))
    return r


def format_rows(table: np.ndarray, decimals: np.ndarray) -> bytes | None:
    """The rows of ``table`` (R, C) as CSV lines, cell ``c`` written as ``'%.3f'`` where
    ``decimals[c]`` else ``'%d'``, comma-separated, each line ending in ``\\n``.

    Returns None when a value is not finite or too large to be formatted here (|v| of 2**50 / 1000
    or more): then use ``np.savetxt``."""
    table = np.asarray(table, np.float64)
    R, C = table.shape
    dec = np.asarray(decimals, bool)
    if R == 0:
        return b""
    if not np.abs(table).max() < _LIMIT / 1000.0:  # also false for nan
        return None
    scaled = np.trunc(table)
    scaled[:, dec] = _thousandths(table[:, dec])
    neg = scaled < 0
    neg[:, dec] = np.signbit(table[:, dec])  # '%.3f' keeps the sign of -0.0004 and of -0.0
    mag = np.abs(scaled)
    whole = mag.copy()
    whole[:, dec] = np.floor(mag[:, dec] / 1000.0)  # exact: mag is an integer below 2**50
    frac = (mag[:, dec] - whole[:, dec] * 1000.0).astype(np.int16)
    top = int(whole.max())
    whole = whole.astype(np.int32 if top < 2**31 else np.int64)  # 32-bit division is much faster
    K = len(str(top))
    # per cell: [sign][K integer digits][. d d d][separator]; zero bytes are padding
    cells = np.zeros((R, C, K + 6), np.uint8)
    cells[..., 0] = neg * np.uint8(ord("-"))
    rest = whole
    for k in range(K):  # digit k from the right of the integer part; leading zeros stay padding
        digit = (rest % 10).astype(np.uint8) + np.uint8(ord("0"))
        if k:
            digit *= whole >= 10**k
        cells[..., K - k] = digit
        rest = rest // 10
    fcells = cells[:, dec]
    fcells[..., K + 1] = ord(".")
    for k in range(3):
        fcells[..., K + 4 - k] = (frac % 10).astype(np.uint8) + np.uint8(ord("0"))
        frac = frac // 10
    cells[:, dec] = fcells
    cells[..., K + 5] = ord(",")
    cells[:, -1, K + 5] = ord("\n")
    return cells.tobytes().translate(None, b"\0")
