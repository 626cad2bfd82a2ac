"""A thread's work arrays (``groups.alloc``): built by NumPy, not compiled, with the shapes, types and
starting values the step kernel reads."""

from __future__ import annotations

import math

import numpy as np
from numba.core.dispatcher import Dispatcher

from scenariogen.kernels import groups
from scenariogen.kernels.occlusion import OccScratch
from scenariogen.kernels.paths import N_MOT


def _alloc(N=5, K=2, L=3, T=7):
    no_poly = np.zeros(0, np.int64)
    return groups.alloc(N, K, L, T, np.zeros(0), np.zeros(0), no_poly, no_poly)


def test_alloc_is_not_compiled():
    # plain NumPy: the step's first start compiles no allocation of the work arrays (docs/performance.md)
    assert not isinstance(groups.alloc, Dispatcher)


def test_alloc_shapes_types_and_starting_values():
    N, K, L, T = 5, 2, 3, 7
    st, sc, tr = _alloc(N, K, L, T)
    assert type(st) is groups.State and type(sc) is groups.Scratch and type(tr) is groups.Tracks
    assert type(tr.occ) is OccScratch
    arrays = [a for g in (st, sc, tr) for a in g if isinstance(a, np.ndarray)] + list(tr.occ)
    assert all(a.flags.c_contiguous and a.flags.writeable for a in arrays)
    assert len({id(a) for a in arrays}) == len(arrays), "no two fields share an array"
    assert st.man_state.shape == (N, K) and st.man_state.dtype == np.int64
    assert st.cmd_buf.shape == (N, groups.REACT_BUF) and st.cmd_buf.dtype == np.float64
    assert st.crashed.dtype == np.bool_ and st.ln.dtype == np.int64
    assert st.noise_rng.dtype == np.uint64 and not st.noise_rng.any() and not st.wander.any()
    assert sc.hx.shape == (N, T) and sc.present.dtype == np.bool_ and not sc.present.any()
    assert sc.lc_list.shape == (2 * N,) and sc.lane_first.shape == (L,)
    assert sc.mot.shape == (N, N_MOT) and not sc.mot.any()
    assert np.all(sc.ttc0 == math.inf) and sc.n_act.tolist() == [N]
    assert sc.lc_at.tolist() == [-1] * N and sc.lc_other.tolist() == [-1] * N
    assert tr.vis_hist.shape == (T, N) and tr.drop_hist.dtype == np.bool_
    assert np.all(tr.drop_ttc == math.inf) and tr.drop_ttc.shape == (T,)
    assert tr.lane_dir.shape == (L, 2) and tr.kmax.shape == (1,)
    assert tr.occ.start.tolist() == [0, 4, 8, 12, 16] and tr.occ.count.tolist() == [4] * N
