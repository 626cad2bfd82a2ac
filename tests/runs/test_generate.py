"""``scenariogen generate``: run directories, resume after a stop or a kill, bad input."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import scenariogen
from scenariogen.errors import ScenarioGenError
from scenariogen.events.conflicts import conflict_names
from scenariogen.data.run import open_run, read_manifest
from scenariogen.runs import GenerateSettings, generate
from scenariogen.runs.summary import conflict_types

ROOT = Path(__file__).resolve().parents[2]
CUT_IN = ROOT / "scenarios" / "highway_cut_in.yaml"
BRAKE = ROOT / "scenarios" / "leader_hard_brake.yaml"


@pytest.fixture(scope="module")
def spec():
    return scenariogen.load_scenario(BRAKE)


def settings(**kw) -> GenerateSettings:
    base = dict(sampler="mc", target="near_miss", seed=3, budget=600, shard_size=200, stage_size=300)
    base.update(kw)
    return GenerateSettings(**base)


def shard_hashes(run: Path) -> list[str]:
    return [s.sha256 for s in read_manifest(run).shards]


def test_mc_run_writes_manifest_and_shards(spec, tmp_path):
    out = tmp_path / "run"
    m = generate(spec, out, settings(), progress=False)
    assert m.complete and m.totals.simulations == 600
    assert len(m.shards) == 3 and all((out / s.file).exists() for s in m.shards)
    assert m.totals.kept == m.totals.events > 0
    assert m.estimate["n_sims"] == 600 and m.estimate["method"] == "mc"
    assert not list(out.rglob("*.tmp"))
    batch = open_run(out).batch()
    assert batch.size == m.totals.kept and batch.labels["near_miss"].all()
    assert batch.trajectories.shape[2] == spec.steps
    # scenario indices run through the whole run without gaps
    idx = np.concatenate([np.load(out / s.file)["sim/index"] for s in m.shards])
    np.testing.assert_array_equal(idx, np.arange(600))


def test_simulations_match_a_direct_simulate(spec, tmp_path):
    out = tmp_path / "run"
    generate(spec, out, settings(keep="all", budget=200), progress=False)
    z = np.load(out / "shards" / "shard-000000.npz")
    direct = scenariogen.simulate(spec, theta=z["sim/theta"], seed=3, record="none")
    np.testing.assert_array_equal(direct.robustness["near_miss"], z["sim/robustness"])


@pytest.mark.parametrize("sampler", ["mc", "ce"])
def test_stopped_run_resumes_to_the_identical_result(spec, tmp_path, sampler):
    st = settings(sampler=sampler, budget=900)
    whole = generate(spec, tmp_path / "whole", st, progress=False)
    generate(spec, tmp_path / "part", st, progress=False, stop_after_shards=2)
    assert not read_manifest(tmp_path / "part").complete
    resumed = generate(spec, tmp_path / "part", st, resume=True, progress=False)
    assert resumed.content_hash == whole.content_hash
    assert shard_hashes(tmp_path / "part") == shard_hashes(tmp_path / "whole")


@pytest.mark.parametrize("stop", [7, 9])
def test_ce_run_stopped_while_refining_resumes_identically(tmp_path, stop):
    """Stopped inside the first refining stage (7 shards written) or inside the second, after a
    refit (9): the resumed run reloads the pooled events' sums and ends identical."""
    spec = scenariogen.load_scenario(CUT_IN)
    st = GenerateSettings(sampler="ce", target="near_miss", seed=4, budget=3000, shard_size=200, stage_size=400)
    whole = generate(spec, tmp_path / "whole", st, progress=False)
    refining = [s["stage"] for s in whole.stages if s["adapting"] and s["estimate"]]
    assert len(refining) >= 2 and refining[0] == 3  # stages 0-2 are levels; shards 6, 7 hold stage 3
    generate(spec, tmp_path / "part", st, progress=False, stop_after_shards=stop)
    part = read_manifest(tmp_path / "part")
    assert not part.complete and part.shards[-1].stage == refining[0] + (stop - 7) // 2
    resumed = generate(spec, tmp_path / "part", st, resume=True, progress=False)
    assert resumed.content_hash == whole.content_hash
    assert resumed.estimate == whole.estimate
    assert shard_hashes(tmp_path / "part") == shard_hashes(tmp_path / "whole")


def test_ce_hunts_the_target_and_weights_its_samples(tmp_path):
    spec = scenariogen.load_scenario(CUT_IN)
    m = generate(spec, tmp_path / "ce", GenerateSettings(sampler="ce", target="near_miss", seed=1, count=100,
                                                         budget=30000, shard_size=1000, stage_size=1000),
                 progress=False)
    final = [s for s in m.stages if s["estimate"]]  # refining or fixed final proposals
    assert final, "the cross-entropy levels should reach the event"
    assert all(s["info"]["converged"] for s in final)
    assert m.totals.events >= 100
    # the final proposal hits the event far more often than p(theta) does (about 1e-3)
    rate = sum(s["events"] for s in final) / sum(s["size"] for s in final)
    assert rate > 0.02
    lw = np.concatenate([np.load(tmp_path / "ce" / s.file)["sim/log_weight"] for s in m.shards])
    assert np.isfinite(lw).all()
    # conflict types: counted on (at most) 500 events, each naming the other party of the closest call
    types = m.conflict_types
    assert sum(types.values()) == min(m.totals.events, 500)
    assert all(name.split(", ")[0] in ("cutter", "traffic0") for name in types)
    assert list(types.values()) == sorted(types.values(), reverse=True)
    # their shares under p: every event of the estimate's stages, weighted by its p/q
    under_p = m.conflict_shares_under_p
    final_stages = {s["stage"] for s in final}
    names, weights = [], []
    for rec in m.shards:
        z = np.load(tmp_path / "ce" / rec.file)
        ev = z["sim/event"]
        if rec.stage in final_stages and ev.any():
            agents = json.loads(bytes(z["header"]).decode())["agent_names"]
            names += conflict_names(z["sim/conflict"][ev], agents)
            weights += np.exp(z["sim/log_weight"][ev]).tolist()
    expect = {n: sum(w for m_, w in zip(names, weights) if m_ == n) / sum(weights) for n in set(names)}
    assert under_p.keys() == expect.keys()
    assert all(under_p[n] == pytest.approx(expect[n], rel=1e-9) for n in expect)
    assert list(under_p.values()) == sorted(under_p.values(), reverse=True)
    # ce hunts close calls: it keeps more contacts than their real share
    kept_contact = sum(k for n, k in types.items() if ", contact" in n) / sum(types.values())
    assert sum(v for n, v in under_p.items() if ", contact" in n) < kept_contact


def test_conflict_shares_under_p_of_plain_mc_are_the_plain_shares(tmp_path):
    out = tmp_path / "mc"
    m = generate(scenariogen.load_scenario(BRAKE), out, GenerateSettings(sampler="mc", target="near_miss", seed=3,
                                                                          budget=600, shard_size=300), progress=False)
    types = conflict_types(open_run(out), n_events=None)
    n = sum(types.values())
    assert n > 0 and m.conflict_shares_under_p == pytest.approx({k: v / n for k, v in types.items()})


def test_ce_prints_the_conflict_shares_under_p_next_to_the_kept_ones(tmp_path, capsys):
    from scenariogen import cli

    out = tmp_path / "run"
    assert cli.main(["generate", str(CUT_IN), "--out", str(out), "--count", "100", "--budget", "30000",
                     "--seed", "1", "--shard-size", "1000", "--stage-size", "1000", "-q"]) == 0
    m = read_manifest(out)
    printed = capsys.readouterr().out
    assert "weighted by p/q" in printed
    # the estimate as estimate prints it: the interval's construction (Poisson count of the largest terms)
    assert "95% CI" in printed and "  interval: normal for the bulk + Poisson count of the" in printed
    assert m.estimate["details"]["interval"].startswith("normal for the bulk")
    name, k = next(iter(m.conflict_types.items()))
    share = k / sum(m.conflict_types.values())
    assert f"{share:6.1%}  {m.conflict_shares_under_p.get(name, 0.0):6.1%}  {name}" in printed


def test_conflict_types_are_stored_for_events_only_and_printed(tmp_path, capsys):
    from scenariogen import cli

    out = tmp_path / "run"
    assert cli.main(["generate", str(BRAKE), "--out", str(out), "--target", "near_miss", "--budget", "600",
                     "--sampler", "mc", "--seed", "3", "--shard-size", "300", "-q"]) == 0
    m = read_manifest(out)
    z = np.load(out / m.shards[0].file)
    ev, conflict = z["sim/event"], z["sim/conflict"]
    assert conflict.shape == (ev.size, 5) and (conflict[~ev] == -1).all() and (conflict[ev, 0] >= 1).all()
    printed = capsys.readouterr().out
    assert f"among {sum(m.conflict_types.values())} events: {len(m.conflict_types)}" in printed
    assert next(iter(m.conflict_types)) in printed


def _cli(*args, **kw):
    return subprocess.run([sys.executable, "-m", "scenariogen.cli", *map(str, args)], capture_output=True,
                          text=True, cwd=ROOT, timeout=600, **kw)


def test_killed_cli_run_resumes_identically(tmp_path):
    args = ["generate", BRAKE, "--budget", 2400, "--sampler", "mc", "--seed", 5, "--shard-size", 300, "-q",
            "--target", "near_miss"]
    ref = _cli(*args, "--out", tmp_path / "ref")
    assert ref.returncode == 0, ref.stderr
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "scenariogen.cli", *map(str, args), "--out", str(out)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while time.time() < deadline:
        m = read_manifest(out) if (out / "manifest.json").exists() else None
        if m and len(m.shards) >= 2:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    m = read_manifest(out)
    assert m is not None and not m.complete
    again = _cli(*args, "--out", out, "--resume")
    assert again.returncode == 0, again.stderr
    assert read_manifest(out).content_hash == read_manifest(tmp_path / "ref").content_hash
    assert shard_hashes(out) == shard_hashes(tmp_path / "ref")
    assert not list(out.rglob("*.tmp"))


def test_worker_count_does_not_change_the_output(tmp_path):
    args = ["generate", CUT_IN, "--budget", 800, "--sampler", "qmc", "--seed", 2, "--shard-size", 400, "-q"]
    one = _cli(*args, "--out", tmp_path / "w1", "--workers", 1)
    two = _cli(*args, "--out", tmp_path / "w2", "--workers", 2)
    assert one.returncode == 0 and two.returncode == 0, one.stderr + two.stderr
    assert read_manifest(tmp_path / "w1").content_hash == read_manifest(tmp_path / "w2").content_hash


@pytest.mark.parametrize("extra, message", [
    (["--target", "near_mis"], "not an event"),
    (["--budget", "0"], "positive"),
    (["--sampler", "magic"], "--sampler 'magic' is unknown"),
    ([], "--count"),
    (["--every", "0"], "--every must be a positive"),
    (["--every", "1000"], "so only its first frame would be kept"),
    (["--sampler", "splitting", "--budget", "50"], "smaller than one stage of splitting"),
    (["--option", "keep=foo"], "option 'keep' of sampler 'ce' must be a finite number, got 'foo'"),
])
def test_bad_requests_exit_2_and_write_nothing(tmp_path, extra, message):
    out = tmp_path / "never"
    args = ["generate", BRAKE, "--out", out, *extra]
    if "--budget" not in extra and extra:
        args += ["--budget", "100"]
    r = _cli(*args)
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr
    assert not out.exists()


def test_a_recording_too_large_is_refused_before_anything_is_written(spec, tmp_path, monkeypatch):
    from scenariogen.sim import engine

    monkeypatch.setattr(engine, "MAX_CHUNK_BYTES", engine.record_bytes(spec, 1) - 1)
    with pytest.raises(ScenarioGenError, match="one scenario would record"):
        generate(spec, tmp_path / "run", settings(budget=200), progress=False)
    assert not (tmp_path / "run").exists()
    generate(spec, tmp_path / "run", settings(budget=200, record_every=2), progress=False)  # fewer frames fit


def test_an_output_path_that_is_a_file_is_refused(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("mine")
    r = _cli("generate", BRAKE, "--out", afile, "--budget", 100)
    assert r.returncode == 2 and "is a file" in r.stderr and "Traceback" not in r.stderr
    assert afile.read_text() == "mine"


def test_a_backend_that_cannot_start_leaves_no_run_behind(spec, tmp_path):
    """The backend starts before the run directory is written, so a failed start (a Ray address
    nobody answers, say) leaves nothing to delete before the next try."""

    class Refused:
        def session(self, spec):
            raise ScenarioGenError("cannot start or join 1.2.3.4:1: no answer")

    out = tmp_path / "run"
    with pytest.raises(ScenarioGenError, match="cannot start"):
        generate(spec, out, settings(budget=200), progress=False, backend=Refused())
    assert not out.exists()
    generate(spec, out, settings(budget=200), progress=False)  # the same directory, right away


def test_count_of_an_event_that_never_happens_stops_with_an_error(tmp_path, monkeypatch):
    """--count without --budget would otherwise run forever (plain MC never adapts; ce stops
    adapting at its stage limit): after MAX_STAGES_WITHOUT_EVENT stages without one event, stop."""
    monkeypatch.setattr(sys.modules["scenariogen.runs.generate"], "MAX_STAGES_WITHOUT_EVENT", 3)
    never = scenariogen.parse_text(CUT_IN.read_text().replace("hard_braking: {decel_above: 5.0}",
                                                              "hard_braking: {decel_above: 99.0}"))  # brakes stop at 8
    for sampler, message in (("mc", "no target event in 400 simulations"), ("ce", "did not reach the target")):
        with pytest.raises(ScenarioGenError, match=message):
            generate(never, tmp_path / sampler, GenerateSettings(sampler=sampler, target="hard_braking", count=1,
                                                                 shard_size=100, stage_size=100), progress=False)


def test_directory_of_another_scenario_is_refused(spec, tmp_path):
    out = tmp_path / "run"
    generate(spec, out, settings(budget=200), progress=False)
    before = sorted(p.name for p in out.rglob("*"))
    r = _cli("generate", CUT_IN, "--out", out, "--budget", 100)
    assert r.returncode == 2 and "another scenario" in r.stderr
    r = _cli("generate", CUT_IN, "--out", out, "--budget", 100, "--resume")
    assert r.returncode == 2 and "another scenario" in r.stderr
    assert sorted(p.name for p in out.rglob("*")) == before


def test_resume_needs_the_same_settings(spec, tmp_path):
    out = tmp_path / "run"
    generate(spec, out, settings(budget=200), progress=False, stop_after_shards=1)
    with pytest.raises(ScenarioGenError, match="other settings"):
        generate(spec, out, settings(budget=400), resume=True, progress=False)


def _strict_json(text: str):
    """Parse as strict JSON: Python's reader accepts NaN and Infinity, other tools do not."""
    def refuse(name):
        raise ValueError(f"not strict JSON: {name}")
    return json.loads(text, parse_constant=refuse)


def test_estimate_cli_prints_json():
    r = _cli("estimate", BRAKE, "--event", "collision", "--sampler", "mc", "--budget", 400, "--seed", 1, "--json")
    assert r.returncode == 0, r.stderr
    est = _strict_json(r.stdout)
    assert est["n_sims"] == 400 and 0.0 <= est["p"] <= 1.0 and est["ci_low"] <= est["p"] <= est["ci_high"]


def test_estimate_cli_shows_progress_unless_quiet(capsys, monkeypatch):
    from scenariogen import cli

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    argv = ["estimate", str(BRAKE), "--event", "collision", "--sampler", "mc", "--budget", "400", "--seed", "1"]
    assert cli.main(argv) == 0
    assert "400/400" in capsys.readouterr().err
    assert cli.main([*argv, "-q"]) == 0
    assert capsys.readouterr().err == ""


def test_estimate_cli_json_is_strict_without_events():
    """No event: the half-width is infinite, written as the string 'inf' (as Estimate.to_dict does)."""
    r = _cli("estimate", BRAKE, "--event", "collision", "--sampler", "qmc", "--budget", 50, "--seed", 1, "--json")
    assert r.returncode == 0, r.stderr
    est = _strict_json(r.stdout)
    assert est["n_events"] == 0 and est["rel_half_width"] == "inf"


def test_manifest_is_strict_json_without_events(tmp_path):
    """A run without a single event has an infinite half-width: written as 'inf', so other tools
    can read the manifest, and printed by the CLI as before."""
    never = tmp_path / "never.yaml"
    never.write_text(CUT_IN.read_text().replace("hard_braking: {decel_above: 5.0}", "hard_braking: {decel_above: 99.0}"))
    r = _cli("generate", never, "--budget", 100, "--sampler", "qmc", "--target", "hard_braking", "--out", tmp_path / "r")
    assert r.returncode == 0 and "rel. half-width inf" in r.stdout, r.stderr
    m = _strict_json((tmp_path / "r" / "manifest.json").read_text())
    assert m["totals"]["events"] == 0 and m["estimate"]["rel_half_width"] == "inf"


def test_estimate_cli_budget_below_one_splitting_stage():
    """A splitting stage holds --stage-size particles unless n_particles is given."""
    r = _cli("estimate", BRAKE, "--event", "collision", "--sampler", "splitting", "--budget", 50)
    assert r.returncode == 2 and "smaller than one stage of splitting (1000" in r.stderr and "Traceback" not in r.stderr
    r = _cli("estimate", BRAKE, "--event", "collision", "--sampler", "splitting", "--budget", 150, "--stage-size", 200)
    assert r.returncode == 2 and "smaller than one stage of splitting (200" in r.stderr and "Traceback" not in r.stderr


def test_estimate_cli_bad_event():
    r = _cli("estimate", BRAKE, "--event", "nope", "--budget", 10)
    assert r.returncode == 2 and "not an event" in r.stderr


def test_estimate_cli_stage_size_reaches_the_sampler():
    """Without --stage-size, ce's stages are a twelfth of the budget (at least 250)."""
    r = _cli("estimate", ROOT / "scenarios" / "emergency_brake.yaml", "--event", "collision", "--budget", 3000,
             "--seed", 2, "--json")
    assert r.returncode == 0, r.stderr
    est = json.loads(r.stdout)
    # levels of 250 reach the event within half the budget; refining and final rows count for the estimate
    assert est["n_sims"] == 3000 and est["details"]["n_adapt"] % 250 == 0 and est["details"]["n_adapt"] <= 1500
    assert any(a.get("refining") for a in est["details"]["adaptation"]) and est["n_events"] >= 20
    bad = _cli("estimate", BRAKE, "--event", "collision", "--budget", 100, "--stage-size", 0)
    assert bad.returncode == 2 and "--stage-size must be a positive" in bad.stderr and "Traceback" not in bad.stderr



def test_sampler_options_reach_the_sampler_and_bind_the_run(tmp_path, capsys):
    from scenariogen import cli

    out = tmp_path / "mix"
    args = ["generate", str(BRAKE), "--out", str(out), "--target", "near_miss", "--budget", "1200", "--seed", "3",
            "--stage-size", "400", "--shard-size", "400", "-q", "--option", "family=mixture", "--option", "eps=0.25"]
    assert cli.main(args) == 0
    m = read_manifest(out)
    assert m.settings["sampler_options"] == {"family": "mixture", "eps": 0.25}
    assert m.sampler_state["options"]["family"] == "mixture" and m.sampler_state["options"]["eps"] == 0.25
    # the same request without the options is another run: resume refuses it by name
    capsys.readouterr()
    assert cli.main([*args[:-4], "--resume"]) == 2
    assert "sampler_options" in capsys.readouterr().err


@pytest.mark.parametrize("option, message", [
    ("famly=mixture", "unknown option(s) 'famly'"),
    ("eps=2", "eps must be in [0, 1)"),
    ("eps", "expects KEY=VALUE"),
    ("preset=fast", "preset must be one of 'estimate', 'diverse'"),
    ("explore=0.9", "explore must be in [0, 1 - eps - keep - novelty)"),
])
def test_bad_sampler_option_is_refused_before_anything_runs(tmp_path, capsys, option, message):
    from scenariogen import cli

    for cmd in (["generate", str(CUT_IN), "--out", str(tmp_path / "run"), "--budget", "100"],
                ["estimate", str(CUT_IN), "--event", "near_miss", "--budget", "100"]):
        capsys.readouterr()
        assert cli.main([*cmd, "--option", option]) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err
    assert not (tmp_path / "run").exists()


def test_ce_with_a_novelty_component_resumes_identically_and_reports_it(tmp_path, capsys):
    """With a novelty share (and an exploring one), stages keep watching for under-sampled events as long as the run lasts
    (each waits for the one before); a run stopped after the component exists resumes identically.
    ``novel_ratio=1`` counts every event where the adapted proposal is below p, so that a short run
    has some."""
    from scenariogen import cli

    spec = scenariogen.load_scenario(CUT_IN)
    options = {"eps": 0.2, "explore": 0.2, "keep": 0.1, "novelty": 0.2, "novel_ratio": 1.0}
    st = GenerateSettings(sampler="ce", target="near_miss", seed=3, budget=4000, shard_size=200, stage_size=400,
                          sampler_options=options)
    whole = generate(spec, tmp_path / "whole", st, progress=False)
    assert whole.sampler_state["n_novel"] > 0
    assert all(s["adapting"] for s in whole.stages)  # watching to the end
    first = next(s["stage"] for s in whole.stages if s["info"].get("novel_events"))
    stop = 2 * (first + 2)  # two shards per stage: stopped after the component joined the mixture
    generate(spec, tmp_path / "part", st, progress=False, stop_after_shards=stop)
    resumed = generate(spec, tmp_path / "part", st, resume=True, progress=False)
    assert resumed.content_hash == whole.content_hash and resumed.estimate == whole.estimate
    assert shard_hashes(tmp_path / "part") == shard_hashes(tmp_path / "whole")
    capsys.readouterr()
    args = ["generate", str(CUT_IN), "--out", str(tmp_path / "cli"), "--budget", "4000", "--seed", "3",
            "--stage-size", "400", "--shard-size", "200", "-q", *[arg for k, v in options.items() for arg in ("--option", f"{k}={v}")]]
    assert cli.main(args) == 0
    assert f"novelty component: fitted on {whole.sampler_state['n_novel']} events" in capsys.readouterr().out


def test_generate_takes_the_estimates_stage_size_with_a_budget():
    from scenariogen.runs.generate import GENERATE_STAGE, resolved

    assert resolved(GenerateSettings(sampler="ce", budget=3000)).stage_size == 250
    assert resolved(GenerateSettings(sampler="ce", budget=60000)).stage_size == 2000
    assert resolved(GenerateSettings(sampler="ce", count=10)).stage_size == GENERATE_STAGE
    assert resolved(GenerateSettings(sampler="mc", budget=3000)).stage_size == GENERATE_STAGE
    assert resolved(GenerateSettings(sampler="ce", budget=3000, stage_size=700)).stage_size == 700
