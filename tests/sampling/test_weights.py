"""Kish's effective sample size, computed in one place (:mod:`scenariogen.sampling.weights`)."""

from __future__ import annotations

import numpy as np
import pytest

from scenariogen.sampling import kish_ess


def test_kish_of_weights_and_of_their_sums():
    w = np.random.default_rng(0).exponential(size=500)
    assert kish_ess(w) == pytest.approx(w.sum() ** 2 / (w * w).sum(), rel=1e-12)
    assert kish_ess(np.ones(40)) == pytest.approx(40.0)
    assert kish_ess(np.zeros(5)) == 0.0 and kish_ess(np.zeros(0)) == 0.0
    sw, sw2 = float(w.sum()), float(np.dot(w, w))
    assert kish_ess(sum_w=sw, sum_w2=sw2) == sw * sw / sw2  # the running-sum form (pooled stages)
    assert kish_ess(sum_w=0.0, sum_w2=0.0) == 0.0
    # normalised weights: 1 / sum w^2, exactly
    wn = w / w.sum()
    assert kish_ess(sum_w=1.0, sum_w2=float(np.dot(wn, wn))) == 1.0 / float(np.dot(wn, wn))


def test_kish_takes_the_weights_or_their_sums():
    with pytest.raises(TypeError):
        kish_ess(np.ones(3), sum_w=3.0, sum_w2=3.0)
    with pytest.raises(TypeError):
        kish_ess(sum_w=3.0)
