"""The typical-traffic block (scenariogen.coverage.typical): the fidelity numbers on the descriptors
``calibrate`` matches, each against its real-vs-real band from the assessment's own splits. A third
of the held-out real recordings, scored as if synthetic against the rest, is told from real data by
none of them; the same windows with the ego's speeds scaled by 1.3 are, by density, coverage and
off-support (the AUC stays inside the band: one third of the recordings is a small set).

One fixed split and 6 baseline splits (20 in a report) keep the test short: a new real split lands
outside a 6-split band with probability up to 2/7 per number (docs/coverage.md, "Typical traffic")."""

from __future__ import annotations

import numpy as np
import pytest
from coverage_helpers import heldout_real

from scenariogen.coverage import DESCRIPTOR_NAMES
from scenariogen.coverage.baseline import group_splits
from scenariogen.coverage.metrics import CoverageSettings
from scenariogen.coverage.typical import typical_traffic
from scenariogen.data.layout import TYPICAL_DESCRIPTORS

SETTINGS = CoverageSettings(splits=6, bootstrap=200, vendi_size=300)


@pytest.fixture(scope="module")
def split():
    """A third of the held-out recordings (seeded) against the other two thirds, by recording."""
    D, rec, _src = heldout_real()
    recs = np.unique(rec)
    h = np.isin(rec, np.random.default_rng(0).permutation(recs)[: len(recs) // 3])
    return D[~h], rec[~h], D[h], rec[h]


def test_real_is_inside_and_scaled_speeds_are_outside(split):
    X, gx, Y, gy = split
    splits = group_splits(gx, SETTINGS.splits, SETTINGS.seed)
    ty = typical_traffic(X, Y, labels=gx, splits=splits, synthetic_units=gy, settings=SETTINGS)
    assert ty.names == TYPICAL_DESCRIPTORS
    # the held-out sides given, subsampled to the synthetic set's size where larger, on the typical columns
    assert ty.baseline.held_out == tuple(splits)
    assert ty.baseline.sizes == tuple(min(np.isin(gx, h).sum(), len(Y)) for h in splits)
    assert ty.result.names == TYPICAL_DESCRIPTORS and ty.result.classifier.grouped
    nums = ty.numbers()
    assert ty.indistinguishable(), nums
    assert nums["auc"]["synthetic"] == ty.result.classifier.auc

    speeds = [DESCRIPTOR_NAMES.index(n) for n in ("ego_speed_mean", "ego_speed_std", "ego_speed_max")]
    Z = Y.copy()
    Z[:, speeds] *= 1.3
    # the real side's baseline is reused: only the scaled set is scored again
    tz = typical_traffic(X, Z, labels=gx, splits=splits, synthetic_units=gy, settings=SETTINGS, previous=ty)
    assert tz.baseline is ty.baseline
    telling = {k for k, v in tz.numbers().items() if v["tells"]}
    assert not tz.indistinguishable() and {"density", "coverage", "off_support"} <= telling, tz.numbers()
