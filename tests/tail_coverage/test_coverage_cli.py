"""``scenariogen coverage``: the cut-in's CE batch covers more of the real min-TTC tail than MC at the same
budget; the command writes its report atomically and refuses bad input with exit status 2."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import numpy as np
import pytest
from coverage_helpers import CUT_IN, REAL, REPO, highway_dir, need

import scenariogen
from scenariogen.cli import main
from scenariogen.coverage import plots
from scenariogen.coverage.metrics import score
from scenariogen.coverage.plots import histogram_axis
from scenariogen.coverage.report import real_descriptors, synthetic_descriptors
from scenariogen.data.layout import TYPICAL_DESCRIPTORS
from scenariogen.runs import GenerateSettings, generate
from scenariogen.data.npz import save_npz

BUDGET = 3000


@pytest.fixture(scope="module")
def real_highway(tmp_path_factory):
    return highway_dir(tmp_path_factory.mktemp("real"))


@pytest.fixture(scope="module")
def small_npz(tmp_path_factory):
    spec = scenariogen.load_scenario(CUT_IN)
    path = tmp_path_factory.mktemp("sim") / "cut_in.npz"
    save_npz(scenariogen.simulate(spec, n=300, seed=3), path)
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    spec = scenariogen.load_scenario(CUT_IN)
    d = tmp_path_factory.mktemp("runs")
    for s in ("ce", "mc"):
        generate(spec, d / s, GenerateSettings(sampler=s, target="near_miss", seed=1, budget=BUDGET, stage_size=500,
                                               keep="all"), progress=False)
    return d


def test_ce_covers_more_of_the_real_min_ttc_tail_than_mc(runs, real_highway):
    real = real_descriptors(real_highway, window=3.0, dt=0.1, stride=1.0)
    assert real.D.shape[0] >= 60 and set(real.info["logs"]) == {str(real_highway / n) for n in
                                                                ("USA_US101-3_3_T-1.xml", "USA_US101-4_1_T-1.xml")}
    # overlapping windows (3 s every 1 s) of one vehicle share their source: log and ego track
    assert real.groups.shape == (len(real.D),) and real.info["sources"] < len(real.D) / 2
    assert all(str(g).startswith(str(real_highway)) for g in real.groups)
    res = {}
    for s in ("ce", "mc"):
        syn = synthetic_descriptors(runs / s, window=3.0, stride=2.5)
        assert syn.info["scenarios"] == BUDGET and len(syn.D) == len(syn.weights) > BUDGET
        assert len(np.unique(syn.groups)) == BUDGET  # a scenario's windows share its index
        res[s] = score(real.D, syn.D, weights=syn.weights, real_groups=real.groups, synthetic_groups=syn.groups)
        assert res[s].classifier.grouped
    for q in (0.05,):
        ce, mc = res["ce"].tail("min_ttc", q), res["mc"].tail("min_ttc", q)
        assert ce.threshold == mc.threshold  # the same real tail
        assert ce.n_synthetic > 10 * max(mc.n_synthetic, 1)
        assert ce.enrichment > 0.3 > 10 * mc.enrichment
        assert ce.reach_1d >= mc.reach_1d and ce.reach_1d >= 0.8
        assert ce.n_real == mc.n_real >= 5
        # the importance weights take the steering back out: far below the raw enrichment
        assert ce.weighted_enrichment < 0.2 * ce.enrichment
        assert mc.weighted_enrichment == pytest.approx(mc.enrichment)


def test_run_weights_follow_the_kept_scenarios(runs):
    """Each kept scenario carries exp(sim/log_weight) of its own simulation (keep=all: every one, in order)."""
    from scenariogen.data.run import open_run

    for s in ("ce", "mc"):
        syn = synthetic_descriptors(runs / s)
        run = open_run(runs / s)
        lw = np.concatenate([run.sim_arrays(rec)["log_weight"] for rec in run.manifest.shards])
        assert syn.frames == 80 and len(syn.D) == BUDGET
        np.testing.assert_allclose(syn.weights, np.exp(lw))
    assert np.ptp(syn.weights) == 0  # plain MC: p = q


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "scenariogen.cli", *map(str, args)], cwd=REPO, capture_output=True,
                          text=True, timeout=600, check=False)


def test_cli_measures_the_synthetic_egos_like_the_logs(small_npz, real_highway, tmp_path):
    """--measurement-noise LOGS: the logs' smoothed position noise, fitted on LOGS, is given to the
    simulated egos and stated in the report (docs/coverage.md, "Measured like the logs")."""
    out = tmp_path / "report"
    r = _cli("coverage", small_npz, "--real", real_highway, "--out", out, "--window", "3", "--splits", "2", "-q",
             "--measurement-noise", real_highway)
    assert r.returncode == 0, r.stderr
    rep = json.loads((out / "report.json").read_text())
    me = rep["measurement"]
    assert me["model"] == "smoothed" and me["fitted_on"] == str(real_highway) and 0 < me["across_sd"] < me["along_sd"]
    assert rep["synthetic"]["position_noise"] is None and rep["synthetic"]["measurement_noise"]["along_sd"] == me["along_sd"]
    assert "get the logs' smoothed position noise" in (out / "report.md").read_text()
    bad = _cli("coverage", small_npz, "--real", real_highway, "--out", tmp_path / "r2", "--window", "3", "-q",
               "--measurement-noise", tmp_path / "missing")
    assert bad.returncode == 2 and "--measurement-noise" in bad.stderr and "missing" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_cli_writes_the_report(small_npz, real_highway, tmp_path):
    out = tmp_path / "report"
    r = _cli("coverage", small_npz, "--real", real_highway, "--out", out, "--window", "3", "--splits", "5", "-q")
    assert r.returncode == 0, r.stderr
    assert "verdict:" in r.stdout
    rep = json.loads((out / "report.json").read_text())
    assert rep["format"] == "scenariogen-coverage/2"
    assert [v["name"] for v in rep["verdicts"]] == ["missing tails", "simulator drift", "collapse", "shortcut risk",
                                                    "enriching"]
    # 8 s simulations cut into disjoint 3 s ego windows: frames 0-29 and 30-59
    assert rep["synthetic"]["scenarios"] == 300 and rep["counts"]["synthetic"] == 600 and rep["counts"]["real"] >= 20
    assert rep["fidelity"]["k"] == 5 and 0 <= rep["fidelity"]["coverage"] <= 1
    assert {t["descriptor"] for t in rep["tails"]} >= {"min_ttc", "joint"}
    assert rep["classifier"]["grouped"] and rep["real"]["sources"] <= rep["counts"]["real"]
    # two recordings are too few to hold whole recordings out: the baseline says so and splits ego tracks
    bl = rep["baseline"]
    assert bl["unit"] == "source" and "only 2 real recording" in bl["note"] and bl["splits"] == 5
    assert set(bl["calibrated"]) == {"density", "coverage", "off_support", "vendi_ratio", "duplicate_excess", "auc"}
    assert bl["calibrated"]["density"]["real"]["lo"] <= bl["calibrated"]["density"]["real"]["hi"]
    assert rep["counts"]["annotation_errors"] == {"overlap at start": 0, "impossible speed": 0, "teleport": 0}
    assert rep["real"]["position_noise"] == rep["synthetic"]["position_noise"] > 0  # the logs' noise, given
    assert rep["measurement"] == {"model": "white", "sd": rep["real"]["position_noise"], "fitted_on": str(real_highway)}
    assert all(t["judged"] is False for t in rep["tails"])  # 40 real windows: no tail holds 20
    md = (out / "report.md").read_text()
    assert md.index("Verdict") < md.index("## Real versus real") < md.index("## Tails")
    fired = [v["name"] for v in rep["verdicts"] if v["fired"] and v["name"] != "enriching"]
    assert rep["training"]["failures"] == fired and rep["training"]["keep_real_share"] == (1.0 if fired else 0.5)
    assert "**Training on it:**" in md and "**Measurement model:** the simulated egos' positions get white noise" in md
    # the typical-traffic block: the descriptors calibrate matches, each number with its band
    ty = rep["typical"]
    assert ty["descriptors"] == [n for n in TYPICAL_DESCRIPTORS if rep["descriptors"][n]["used"]]
    assert set(ty["numbers"]) == {"auc", "density", "coverage", "off_support"}
    assert ty["numbers"]["auc"]["synthetic"] == ty["numbers"]["auc"]["all_real"]
    assert ty["indistinguishable"] == (not ty["telling"]) and "**Typical traffic**" in md
    assert "not enough real tail to judge" in md
    if importlib.util.find_spec("matplotlib") is not None:
        assert {"histograms.png", "risky_map.png"} <= {p.name for p in out.iterdir()}
        assert (out / "histograms.png").read_bytes()[:4] == b"\x89PNG"
        # max_drac has near-zero gaps giving thousands of m/s^2: a symlog axis, decided from the data
        assert rep["plot_axes"]["max_drac"] == "symlog" and rep["plot_axes"]["ego_speed_mean"] == "linear"
        assert set(rep["plot_axes"]) == {n for n, d in rep["descriptors"].items() if d["used"]}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    # a second run replaces the report, leaving nothing else behind
    assert main(["coverage", str(small_npz), "--real", str(real_highway), "--out", str(out), "--window", "3",
                 "-q", "--seed", "1"]) == 0
    assert json.loads((out / "report.json").read_text())["settings"]["seed"] == 1
    assert not [p for p in tmp_path.iterdir() if p.name != "report"]


def test_without_matplotlib_the_report_says_how_to_get_plots(small_npz, real_highway, tmp_path, monkeypatch,
                                                             capsys):
    real_find = importlib.util.find_spec
    monkeypatch.setattr(plots.importlib.util, "find_spec",
                        lambda name, *a: None if name == "matplotlib" else real_find(name, *a))
    out = tmp_path / "r"
    assert main(["coverage", str(small_npz), "--real", str(real_highway), "--out", str(out), "--window", "3",
                 "-q"]) == 0
    assert "scenariogen[viz]" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == ["report.json", "report.md"]
    assert json.loads((out / "report.json").read_text())["plot_note"].endswith("pip install scenariogen[viz]")


@pytest.mark.parametrize("case, message", [
    ("missing_run", "no such run"),
    ("not_a_run", "not a scenariogen run"),
    ("missing_real", "no such file"),
    ("no_windows", "no usable real windows"),
    ("unknown_reader", "unknown reader"),
    ("bad_window", "--window"),
    ("out_not_empty", "not empty"),
])
def test_bad_requests_exit_2(case, message, small_npz, real_highway, tmp_path, capsys):
    run, real, out = str(small_npz), str(real_highway), tmp_path / "out"
    extra = ["--window", "3"]
    if case == "missing_run":
        run = str(tmp_path / "nope")
    elif case == "not_a_run":
        (tmp_path / "empty").mkdir()
        run = str(tmp_path / "empty")
    elif case == "missing_real":
        real = str(tmp_path / "nothing")
    elif case == "no_windows":
        lic = tmp_path / "lic"
        lic.mkdir()
        (lic / "LICENSE.txt").write_text("not a log\n")
        real = str(lic)
    elif case == "unknown_reader":
        extra += ["--reader", "comonroad"]
    elif case == "bad_window":
        extra = ["--window", "30"]
    elif case == "out_not_empty":
        out.mkdir()
        (out / "keep.txt").write_text("mine")
    code = main(["coverage", run, "--real", real, "--out", str(out), "-q", *extra])
    err = capsys.readouterr().err
    assert code == 2 and message in err, err
    assert "Traceback" not in err
    if case == "out_not_empty":
        assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    else:
        assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_pedestrian_logs_give_no_vehicle_windows(small_npz, tmp_path, capsys):
    eth = need(REAL / "eth-ucy" / "crowds_zara01.txt")
    code = main(["coverage", str(small_npz), "--real", str(eth), "--out", str(tmp_path / "o"), "--window", "3", "-q"])
    assert code == 2 and "no usable real windows" in capsys.readouterr().err


def test_heavy_tails_get_a_symlog_axis():
    rng = np.random.default_rng(0)
    assert histogram_axis(rng.normal(size=5000))[0] == "linear"
    assert histogram_axis(rng.exponential(size=5000), rng.uniform(0, 3, 800))[0] == "linear"
    drac = np.r_[rng.exponential(0.5, 5000), 8000.0, 3000.0, 900.0]  # a few near-zero gaps
    scale, linthresh = histogram_axis(rng.exponential(0.5, 800), drac)
    assert scale == "symlog" and 0.3 < linthresh < 1.0  # linear over the bulk (its IQR), log beyond
    assert histogram_axis(np.r_[np.zeros(950), rng.uniform(0, 3, 50)])[0] == "linear"  # a point mass
    assert histogram_axis(np.array([np.nan, np.inf]))[0] == "linear"


class _OldReader:
    """A reader plugin written before readers took ``dt``."""

    name = "oldfmt"

    def read(self, path):
        raise AssertionError("must not be called")


class _EntryPoint:
    def load(self):
        return _OldReader


def test_reader_plugin_without_dt_is_refused_by_name(small_npz, tmp_path, monkeypatch, capsys):
    from scenariogen import logs
    from scenariogen.registry import PluginEntry, Registry

    entry = PluginEntry("oldfmt", "oldfmt_pkg:OldReader", "oldfmt-pkg", "0.3")
    monkeypatch.setattr(logs, "readers", lambda: Registry(logs.READERS_GROUP, "reader", logs.check_reader,
                                                          discover=lambda group: [(entry, _EntryPoint())]))
    log = tmp_path / "a.old"
    log.write_text("whatever\n")
    code = main(["coverage", str(small_npz), "--real", str(log), "--reader", "oldfmt", "--out",
                 str(tmp_path / "o"), "--window", "3", "-q"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err, err
    assert "reader plugin 'oldfmt' from distribution oldfmt-pkg 0.3" in err and "'dt'" in err
    assert not (tmp_path / "o").exists()


def test_synthetic_windows_skip_an_ego_standing_still(small_npz, tmp_path):
    """The rule of the real windows holds for the synthetic ones: an ego that stands still through
    a window (after a crash, say) is no ego, so its frozen, identical windows do not count."""
    import dataclasses

    from scenariogen.data import layout as Lo
    from scenariogen.data.npz import load_npz

    b = load_npz(small_npz)
    traj = b.trajectories.copy()
    traj[:10, 0, 30:, Lo.F_SPEED] = 0.0  # rows 0-9: the ego stands still from 3 s on
    save_npz(dataclasses.replace(b, trajectories=traj), tmp_path / "stopped.npz")
    full = synthetic_descriptors(small_npz, window=3.0)
    cut = synthetic_descriptors(tmp_path / "stopped.npz", window=3.0)
    # two windows per scenario (0-3 s, 3-6 s); rows 0-9 lose the second
    assert len(full.D) == 2 * 300 and len(cut.D) == len(full.D) - 10
    assert all((cut.groups == g).sum() == 1 for g in np.unique(full.groups)[:10])


def test_no_window_with_a_moving_ego_is_a_clear_error(small_npz, tmp_path):
    import dataclasses

    from scenariogen.errors import ScenarioGenError
    from scenariogen.data import layout as Lo
    from scenariogen.data.npz import load_npz

    b = load_npz(small_npz)
    traj = b.trajectories.copy()
    traj[:, 0, :, Lo.F_SPEED] = 0.0
    save_npz(dataclasses.replace(b, trajectories=traj), tmp_path / "parked.npz")
    with pytest.raises(ScenarioGenError, match="no window of 30 frames has a moving ego"):
        synthetic_descriptors(tmp_path / "parked.npz", window=3.0)


def test_too_few_windows_to_score_says_what_gives_more(real_highway, tmp_path, capsys):
    one = tmp_path / "one.npz"
    save_npz(scenariogen.simulate(scenariogen.load_scenario(CUT_IN), n=1, seed=3), one)
    code = main(["coverage", str(one), "--real", str(real_highway), "--out", str(tmp_path / "o"), "--window", "5", "-q"])
    err = capsys.readouterr().err
    assert code == 2 and "too few usable samples" in err and "a shorter window" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()
