import numpy as np
import pytest

from scenariogen.errors import RoadError
from scenariogen.road import compile_road


@pytest.fixture(params=["straight3", "curve_left", "merge2", "cross2"])
def network(request):
    return request.getfixturevalue(request.param)


def test_compiled_arrays(network):
    c = compile_road(network, ds=0.5)
    L = len(network)
    assert c.lane_ids == network.lane_ids and c.n_lanes == L
    assert c.lane_offset.shape == (L + 1,) and c.lane_offset.dtype == np.int64
    assert c.lane_offset[0] == 0 and c.lane_offset[-1] == c.n_points
    for name in ("px", "py", "s", "heading", "curvature"):
        arr = getattr(c, name)
        assert arr.shape == (c.n_points,) and arr.dtype == np.float64
        assert not arr.flags.writeable
    for name in ("lane_length", "lane_width"):
        assert getattr(c, name).shape == (L,) and getattr(c, name).dtype == np.float64
    for name in ("left", "right", "n_successor", "n_predecessor"):
        assert getattr(c, name).shape == (L,) and getattr(c, name).dtype == np.int64
    assert c.successor.dtype == np.int64 and c.successor.shape[0] == L

    for k, lid in enumerate(c.lane_ids):
        lane = network.lane(lid)
        sl = slice(c.lane_offset[k], c.lane_offset[k + 1])
        assert sl.stop - sl.start >= 2 and c.lane_slice(lid) == sl
        s = c.s[sl]
        assert s[0] == 0.0 and s[-1] == pytest.approx(lane.length, abs=1e-12)
        assert s[-1] == c.lane_length[k]
        assert np.all(np.diff(s) > 0) and np.all(np.diff(s) <= 0.5 + 1e-9)
        x, y, h = lane.positions(s)
        np.testing.assert_allclose(c.px[sl], x)
        np.testing.assert_allclose(c.py[sl], y)
        np.testing.assert_allclose(c.heading[sl], h)
        assert (c.px[sl][[0, -1]], c.py[sl][[0, -1]]) == (
            pytest.approx(lane.points[[0, -1], 0]), pytest.approx(lane.points[[0, -1], 1]))
        assert np.all(np.abs(np.diff(c.heading[sl])) < 0.1)  # unwrapped within the lane
        assert c.lane_width[k] == lane.width
        # successor / predecessor tables match the graph
        succ = c.successor[k, : c.n_successor[k]]
        assert [c.lane_ids[j] for j in succ] == list(network.successors(lid))
        assert np.all(c.successor[k, c.n_successor[k]:] == -1)
        pred = c.predecessor[k, : c.n_predecessor[k]]
        assert [c.lane_ids[j] for j in pred] == list(network.predecessors(lid))
        assert c.left[k] == (c.index_of(network.left(lid)) if network.left(lid) else -1)
        assert c.right[k] == (c.index_of(network.right(lid)) if network.right(lid) else -1)
    assert int(c.n_successor.sum()) == network.graph.number_of_edges()


def test_compiled_curvature(curve_left):
    c = compile_road(curve_left, ds=1.0)
    sl = c.lane_slice("0")
    np.testing.assert_allclose(c.curvature[sl], 1 / 40.0, rtol=1e-4)


def test_curvature_window_reads_a_surveyed_straight_lane_as_straight(curve_left):
    """A straight centreline with a vertex every 2 m, each followed 5 mm on by another 1 mm aside
    (as maps made of surveyed lanelets have), has segment curvatures far above 1/m, which would make
    drivers crawl; read over 10 m it is straight. On an arc the window keeps 1/R."""
    from scenariogen.road import Lane, RoadNetwork

    rng = np.random.default_rng(0)
    x = np.repeat(np.arange(0.0, 200.0, 2.0), 2) + np.tile([0.0, 0.005], 100)
    y = np.tile([0.0, 1.0], 100) * 0.001 * rng.standard_normal(200)
    net = RoadNetwork([Lane("0", np.column_stack([x, y]), 3.7)])
    assert np.abs(compile_road(net).curvature).max() > 1.0
    assert np.abs(compile_road(net, curvature_window=10.0).curvature).max() < 0.001
    c = compile_road(curve_left, ds=1.0, curvature_window=10.0)
    np.testing.assert_allclose(c.curvature[c.lane_slice("0")], 1 / 40.0, rtol=2e-3)  # chords of a polyline arc


def test_compile_errors(straight3):
    with pytest.raises(RoadError):
        compile_road(straight3, ds=0.0)
    with pytest.raises(RoadError, match="valid lane ids"):
        compile_road(straight3).index_of("9")


def test_compile_deterministic(cross2):
    a, b = compile_road(cross2), compile_road(cross2)
    for name in ("px", "py", "s", "heading", "curvature", "successor", "lane_offset"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
