from __future__ import annotations

import numpy as np

from scenariogen.sampling import cluster_count, cluster_labels, get_sampler
from scenariogen.sampling.toy import TwoSidedTail


def test_one_and_two_blobs():
    """Event blobs inside a wide sample of non-events (which sets the column scales)."""
    rng = np.random.default_rng(0)
    background = rng.uniform(-20, 20, (2000, 3))
    one = np.concatenate([rng.normal(0, 1, (400, 3)), background])
    two = np.concatenate([rng.normal(0, 1, (300, 3)), rng.normal(0, 1, (200, 3)) + [8, 0, 0], background])
    labels1 = np.arange(len(one)) < 400
    labels2 = np.arange(len(two)) < 500
    assert cluster_count(one, labels1) == 1
    assert cluster_count(two, labels2) == 2
    n, lab = cluster_labels(two, labels2)
    assert n == 2 and set(lab[:300]) <= {0, -1} and set(lab[300:]) <= {1, -1}
    assert (lab == -1).mean() < 0.02  # a few isolated tail points are noise


def test_blobs_alone_with_unit_scale():
    rng = np.random.default_rng(0)
    two = np.concatenate([rng.normal(0, 1, (300, 3)), rng.normal(0, 1, (200, 3)) + [8, 0, 0]])
    assert cluster_count(two, scale=1.0) == 2
    assert cluster_count(two[:300], scale=1.0) == 1


def test_only_event_rows_count():
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.normal(0, 1, (300, 2)), rng.normal(0, 1, (300, 2)) + [10, 0]])
    labels = np.zeros(600, bool)
    labels[:300] = True
    assert cluster_count(x, labels) == 1
    assert cluster_count(x, np.where(labels, -1.0, 1.0)) == 1  # robustness works too
    assert cluster_count(x, np.zeros(600, bool)) == 0


def test_deterministic_and_scale_free():
    rng = np.random.default_rng(2)
    x = np.concatenate([rng.normal(0, 1, (200, 2)), rng.normal(0, 1, (200, 2)) + [0, 9]])
    x_scaled = x * [1000.0, 0.01]
    assert cluster_labels(x)[1].tolist() == cluster_labels(x)[1].tolist()
    assert cluster_count(x_scaled) == cluster_count(x) == 2


def test_two_failure_modes_found_from_mc_sample():
    m = TwoSidedTail(2, 0.05)
    th = get_sampler("mc", m.space, 0).propose(20_000, 0).theta
    assert cluster_count(th, m(th)) == 2
