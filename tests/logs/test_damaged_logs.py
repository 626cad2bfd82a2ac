"""Randomly damaged copies of the real samples: a reader either reads them or raises a ScenarioGenError
(what the coverage report skips a file for), never another exception. Seeded, so a failure repeats."""

from __future__ import annotations

import random
import re
import warnings

import numpy as np
import pytest

from logs_helpers import ETH, FORECAST, NGSIM, SENSOR, need
from scenariogen.errors import ScenarioGenError
from scenariogen.logs import read_log

TOKENS = ["nan", "inf", "-inf", "-1e300", "1e300", "abc", "", "-5", "0", "1e-300", "99999999999999999999", "-0"]
NUMBER = re.compile(r"-?\d+(\.\d+)?(e-?\d+)?")


def _read(p):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # an overflow on the way is a bug too
        try:
            read_log(p)
        except ScenarioGenError:
            pass


@pytest.mark.parametrize("seed", range(8))
def test_damaged_text_logs(seed, tmp_path):
    rng = random.Random(seed)
    sources = [NGSIM / "USA_US101-3_3_T-1.xml", NGSIM / "USA_Peach-4_8_T-1.xml", ETH / "crowds_zara01.txt"]
    for it in range(6):
        src = need(rng.choice(sources))
        s = src.read_text()
        for _ in range(rng.choice([1, 2, 5])):
            k = rng.random()
            if k < 0.6:  # a number replaced by something else
                m = rng.choice(list(NUMBER.finditer(s)))
                s = s[:m.start()] + rng.choice(TOKENS) + s[m.end():]
            elif k < 0.8:  # truncated
                s = s[:rng.randrange(len(s))]
            else:  # a piece cut out
                a = rng.randrange(len(s))
                s = s[:a] + s[a + rng.randrange(200):]
        p = tmp_path / f"f{it}{src.suffix}"
        p.write_text(s)
        _read(p)


def _mutate(t, rng, nrng):
    import pyarrow as pa

    for _ in range(rng.choice([1, 2, 3])):
        name = rng.choice(t.column_names)
        i = t.column_names.index(name)
        col = t.column(name)
        vals = col.to_pylist()
        k = rng.random()
        if k < 0.15:
            arr = pa.array([str(v) for v in vals])
        elif k < 0.25:
            arr = pa.array([[v] for v in vals])
        elif k < 0.32:
            arr = pa.array([str(v).encode() + b"\xff" for v in vals], pa.binary())
        elif k < 0.4:
            arr = pa.nulls(len(vals), col.type)
        elif k < 0.6 and (pa.types.is_floating(col.type) or pa.types.is_integer(col.type)):
            a = np.array(vals, dtype=float)
            a[nrng.integers(0, len(a), max(1, len(a) // 50))] = rng.choice([np.nan, np.inf, -1e300, 1e300, -5.0,
                                                                            0.0, 1e15, -1e15])
            arr = pa.array(a) if pa.types.is_floating(col.type) else pa.array(
                np.clip(np.nan_to_num(a), -9e18, 9e18).astype(np.int64))
        elif k < 0.7:
            t = t.slice(0, rng.randrange(max(1, t.num_rows)))
            continue
        elif k < 0.8:
            t = t.drop([name])
            continue
        elif k < 0.9:
            arr = pa.array([bool(v) for v in vals], pa.bool_())
        else:
            t = t.take(pa.array(nrng.permutation(t.num_rows)))
            continue
        t = t.set_column(i, name, arr)
    return t


@pytest.mark.parametrize("seed", range(8))
def test_damaged_arrow_logs(seed, tmp_path):
    pytest.importorskip("pyarrow")
    import pyarrow.feather as pf
    import pyarrow.parquet as pq

    rng, nrng = random.Random(seed), np.random.default_rng(seed)
    sensor = need(SENSOR / "adcf7d18-0510-35b0-a2fa-b4cea13a6d76")
    for it in range(6):
        if it % 2 == 0:
            p = tmp_path / f"f{it}.parquet"
            pq.write_table(_mutate(pq.read_table(need(FORECAST)), rng, nrng), p)
        else:
            p = tmp_path / f"s{it}"
            p.mkdir()
            ann = pf.read_table(sensor / "annotations.feather")
            pose = pf.read_table(sensor / "city_SE3_egovehicle.feather")
            if rng.random() < 0.7:
                ann = _mutate(ann, rng, nrng)
            else:
                pose = _mutate(pose, rng, nrng)
            pf.write_feather(ann, p / "annotations.feather")
            pf.write_feather(pose, p / "city_SE3_egovehicle.feather")
        _read(p)
