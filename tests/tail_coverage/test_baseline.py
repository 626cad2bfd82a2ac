"""The real-versus-real baseline: splits leave whole recordings out, fall back to ego tracks with a
stated cost when there are too few recordings, and the synthetic set is measured on the same references
at the same sizes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scenariogen.coverage import DESCRIPTOR_NAMES
from scenariogen.coverage.baseline import Band, calibrate, choose_unit, group_splits, real_baseline
from scenariogen.coverage.metrics import CoverageSettings
from scenariogen.errors import ParameterError, TooFewSamplesError


def test_splits_leave_whole_groups_out():
    labels = np.repeat(list("abcdef"), 5)
    every = group_splits(labels, 100, 0)
    assert len(every) == math.comb(6, 3) == len(set(every))  # all of them when there are few
    some = group_splits(labels, 7, 0)
    assert len(some) == 7 == len(set(some)) and all(len(s) == 3 for s in some)
    assert some == group_splits(labels, 7, 0) != group_splits(labels, 7, 1)  # seeded
    assert group_splits(np.array(list("ab")), 5, 0) == [("a",), ("b",)]
    with pytest.raises(TooFewSamplesError):
        group_splits(np.array(list("aaa")), 5, 0)


def test_too_few_recordings_fall_back_to_sources_and_say_so():
    rec = np.repeat(["r1", "r2"], 10)
    src = np.array([f"r{i // 10 + 1}|{i % 5}" for i in range(20)])
    labels, unit, note = choose_unit(rec, src, 4)
    assert unit == "source" and (labels == src).all() and "only 2 real recording" in note
    labels, unit, note = choose_unit(np.repeat(list("abcd"), 5), None, 4)
    assert unit == "recording" and note == ""
    with pytest.raises(TooFewSamplesError, match="at least 4 recordings"):
        choose_unit(rec, None, 4)
    with pytest.raises(ParameterError, match="min_groups"):
        CoverageSettings(min_groups=2)


def test_band_position():
    b = Band(1.0, 0.5, 2.0, 10)
    assert b.outside(0.4) == -1 and b.outside(1.0) == 0 and b.outside(2.5) == 1
    assert b.outside(math.nan) == 0 and Band(math.nan, math.nan, math.nan, 0).outside(5.0) == 0


def _groups_of_gaussians(n_groups=8, per=60, shift=0.0, seed=0):
    """Rows of 13 columns, one Gaussian per group with its own small offset (recordings differ)."""
    rng = np.random.default_rng(seed)
    X, g = [], []
    for k in range(n_groups):
        X.append(rng.normal(0.3 * rng.normal(size=13), 1.0, size=(per, 13)) + shift)
        g += [f"g{k}"] * per
    return np.concatenate(X), np.array(g)


def test_real_baseline_and_calibration_share_references_and_sizes():
    X, g = _groups_of_gaussians()
    st = CoverageSettings(splits=6, bootstrap=200)
    bl = real_baseline(X, g, settings=st)
    assert bl.unit == "recording" and bl.groups == 8 and len(bl.held_out) == 6 and set(bl.sizes) == {240}
    assert all(len(h) == 4 for h in bl.held_out)
    assert len(bl.real["auc"]) == 6 and np.isfinite(bl.real["density"]).all()
    assert {"shift:ego_speed_mean", "separation:min_ttc", "tail:joint:0.05"} <= set(bl.real)
    Y, _ = _groups_of_gaussians(seed=1)
    cal = calibrate(bl, X, Y, settings=st)
    assert cal.sizes == bl.sizes and "auc" not in cal.synthetic  # the classifier runs once, on all data
    b = cal.band("density")
    assert b.n == 6 and b.lo <= b.median <= b.hi
    # a synthetic set drawn like the real one lands inside the real-vs-real range; a shifted one does not
    assert b.lo - 0.1 <= cal.value("density") <= b.hi + 0.1
    far = calibrate(bl, X, Y + 3.0, settings=st)
    assert far.value("off_support") > cal.band("off_support").hi
    assert far.value(f"shift:{DESCRIPTOR_NAMES[0]}") > cal.band(f"shift:{DESCRIPTOR_NAMES[0]}").hi
    # the full-space reach of a tail has its band too: a set 3 sd away reaches none of the real tail
    assert far.value("reach_full:min_ttc:0.05") < cal.band("reach_full:min_ttc:0.05").lo
    # a synthetic set smaller than the held-out side gets a baseline at its own size
    small = real_baseline(X, g, settings=st, size=100)
    assert set(small.sizes) == {100}


def test_the_scenes_of_one_log_are_one_recording(tmp_path, monkeypatch):
    """A reader splits a long log into consecutive scenes that share vehicles (scenariogen.logs): their
    windows stay one recording, and a vehicle's windows one source whichever scene they come from."""
    import dataclasses
    import shutil

    import scenariogen.logs as logs
    from coverage_helpers import NGSIM, need

    from scenariogen.coverage import real_descriptors

    log = tmp_path / "us101_segment.xml"  # not a CommonRoad benchmark id: the file is its own recording
    shutil.copy(need(NGSIM / "USA_US101-4_1_T-1.xml"), log)
    read = logs.read_log

    def in_two_scenes(path, **kw):  # the log's 10 s as two consecutive 5 s scenes
        s = read(path, **kw)
        h = s.trajectories.shape[2] // 2
        return dataclasses.replace(
            s, trajectories=np.concatenate([s.trajectories[:, :, :h], s.trajectories[:, :, h:2 * h]]),
            mask=np.concatenate([s.mask[:, :, :h], s.mask[:, :, h:2 * h]]), kinds=np.tile(s.kinds, (2, 1)),
            sizes=np.tile(s.sizes, (2, 1, 1)), sources=np.tile(s.sources, 2), track_ids=np.tile(s.track_ids, (2, 1)),
            t0=np.array([0.0, h * s.dt]))

    monkeypatch.setattr(logs, "read_log", in_two_scenes)
    r = real_descriptors(log, window=3.0, dt=0.1)
    assert set(r.recordings.tolist()) == {str(log)} and r.info["recordings"] == 1
    per_source = {str(g): n for g, n in zip(*np.unique(r.groups.astype(str), return_counts=True))}
    assert max(per_source.values()) == 2  # a vehicle present in both scenes: its two windows, one source
    assert r.info["sources"] == len(per_source) < len(r.D)
