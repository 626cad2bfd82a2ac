"""Backends for ``generate`` and ``estimate``: local (threads, processes) and Ray give bit-identical runs,
also when results come back out of order, when a worker dies mid-run, and across a resume."""

from __future__ import annotations

import collections
import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import scenariogen
from scenariogen import cli
from scenariogen.errors import ScenarioGenError
from scenariogen.parallel import (
    FAULT_DIR_ENV,
    LocalBackend,
    RayBackend,
    Session,
    make_backend,
)
from scenariogen.data.run import open_run, read_manifest
from scenariogen.runs import GenerateSettings, generate

ROOT = Path(__file__).resolve().parents[2]
BRAKE = ROOT / "scenarios" / "leader_hard_brake.yaml"

# cross-entropy: two adapting stages fanned out in pieces, then final stages proposed ahead of the results
ST = GenerateSettings(sampler="ce", target="near_miss", seed=4, budget=2000, shard_size=200, stage_size=400)


@pytest.fixture(scope="module")
def spec():
    return scenariogen.load_scenario(BRAKE)


@pytest.fixture(scope="module")
def reference(spec, tmp_path_factory):
    """The run on the default backend (one process, numba threads)."""
    out = tmp_path_factory.mktemp("ref") / "run"
    return out, generate(spec, out, ST, progress=False, backend=LocalBackend(workers=1))


@pytest.fixture(scope="module")
def fault_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("faults")


@pytest.fixture(scope="module")
def ray_session(fault_dir):
    """One local Ray instance for the module; its workers see the fault-injection folder."""
    ray = pytest.importorskip("ray")
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {FAULT_DIR_ENV: str(fault_dir)}})
    yield ray
    ray.shutdown()


def shard_contents(run: Path) -> list[dict]:
    out = []
    for rec in read_manifest(run).shards:
        with np.load(run / rec.file) as z:
            out.append({k: z[k] for k in z.files})
    return out


def assert_same_run(run: Path, manifest: dict, ref: tuple[Path, dict]) -> None:
    ref_run, ref_manifest = ref
    assert manifest.complete
    assert manifest.content_hash == ref_manifest.content_hash
    assert [s.sha256 for s in manifest.shards] == [s.sha256 for s in ref_manifest.shards]
    for a, b in zip(shard_contents(run), shard_contents(ref_run), strict=True):
        assert a.keys() == b.keys()
        for k in a:
            np.testing.assert_array_equal(a[k], b[k])
    assert not list(run.rglob("*.tmp"))


def test_reference_run_fans_out_ce_stages(reference):
    _, m = reference
    assert m.totals.simulations == 2000
    stages = m.stages
    assert stages[0]["adapting"] and not stages[0]["estimate"] and stages[-1]["estimate"]
    # adapting stages hold several shards each: their pieces run concurrently
    assert sum(s.stage == 0 for s in m.shards) == 2
    idx = np.concatenate([np.load(reference[0] / s.file)["sim/index"] for s in m.shards])
    np.testing.assert_array_equal(idx, np.arange(2000))


def test_two_threads_match_one(spec, reference, tmp_path):
    # two local processes are compared in test_dead_local_worker_process_is_replaced
    m = generate(spec, tmp_path / "run", ST, progress=False, backend=LocalBackend(workers=2))
    assert_same_run(tmp_path / "run", m, reference)


class _LastFirstSession(Session):
    """Runs the most recently submitted task first: results arrive in the reverse of index order."""

    window = 5

    def __init__(self, spec):
        self.spec = spec
        self.tasks = collections.deque()
        self.order = []

    def submit(self, task):
        self.tasks.append(task)

    def next_result(self):
        task = self.tasks.pop()
        self.order.append(task.k)
        return task.run(self.spec)

    @property
    def pending(self):
        return len(self.tasks)

    def cancel(self):
        self.tasks.clear()


class _LastFirstBackend:
    def __init__(self):
        self.sessions = []

    def session(self, spec):
        self.sessions.append(_LastFirstSession(spec))
        return self.sessions[-1]


def test_out_of_order_results_are_written_in_index_order(spec, reference, tmp_path):
    backend = _LastFirstBackend()
    m = generate(spec, tmp_path / "run", ST, progress=False, backend=backend)
    order = backend.sessions[0].order
    assert order != sorted(order)  # results really came back out of order
    assert_same_run(tmp_path / "run", m, reference)


def test_dead_local_worker_process_is_replaced(spec, reference, tmp_path, monkeypatch):
    faults = tmp_path / "faults"
    faults.mkdir()
    (faults / "kill-task-3").touch()
    monkeypatch.setenv(FAULT_DIR_ENV, str(faults))  # spawned workers inherit it
    m = generate(spec, tmp_path / "run", ST, progress=False, backend=LocalBackend(workers=2, mode="processes"))
    assert not (faults / "kill-task-3").exists(), "the worker of shard 3 should have claimed the marker and died"
    assert_same_run(tmp_path / "run", m, reference)


# ------------------------------------------------------------------------------ ray


def test_ray_matches_local(spec, reference, ray_session, tmp_path):
    m = generate(spec, tmp_path / "run", ST, progress=False, backend=RayBackend(workers=2))
    assert_same_run(tmp_path / "run", m, reference)
    assert ray_session.is_initialized()  # a session reuses the caller's Ray instance and leaves it running


def test_killed_ray_worker_is_retried_without_duplicate_or_gap(spec, reference, ray_session, fault_dir, tmp_path):
    marker = fault_dir / "kill-task-4"
    marker.touch()
    m = generate(spec, tmp_path / "run", ST, progress=False, backend=RayBackend(workers=2))
    assert not marker.exists(), "the Ray worker of shard 4 should have claimed the marker and died"
    assert_same_run(tmp_path / "run", m, reference)
    assert [s.first_index for s in m.shards] == [s.first_index for s in reference[1].shards]


def test_ray_run_resumes_after_a_driver_stop(spec, reference, ray_session, tmp_path):
    out = tmp_path / "run"
    generate(spec, out, ST, progress=False, backend=RayBackend(workers=2), stop_after_shards=3)
    part = read_manifest(out)
    assert not part.complete and len(part.shards) == 3
    generate(spec, out, ST, progress=False, backend=RayBackend(workers=2), stop_after_shards=3, resume=True)
    assert len(read_manifest(out).shards) == 6
    # the backend is not part of the run: a Ray run can be finished locally (and the other way round)
    m = generate(spec, out, ST, progress=False, backend=LocalBackend(workers=2), resume=True)
    assert_same_run(out, m, reference)


def test_two_ray_writers_on_one_out_never_lose_a_run(spec, ray_session, tmp_path):
    """Two drivers (threads here, each with its own Ray session and its own lock descriptor) on one
    --out, 20 times: one writes the run, the other is refused, and the run equals one written alone."""
    import threading

    st = {s: dataclasses.replace(ST, sampler="mc", seed=s, budget=400, shard_size=100) for s in (3, 4)}
    alone = {s: generate(spec, tmp_path / f"alone{s}", st[s], progress=False,
                         backend=RayBackend(workers=1)).content_hash for s in st}
    for k in range(20):
        out = tmp_path / f"run{k}"
        got: dict = {}

        def write(seed: int) -> None:
            try:
                got[seed] = generate(spec, out, st[seed], progress=False, backend=RayBackend(workers=1))
            except ScenarioGenError as exc:
                got[seed] = exc

        threads = [threading.Thread(target=write, args=(s,)) for s in st]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=600)
        won = [s for s, v in got.items() if not isinstance(v, ScenarioGenError)]
        assert len(won) == 1, got
        lost = got[({3, 4} - set(won)).pop()]
        assert "another writer is using this run directory" in str(lost) or "already holds a run" in str(lost)
        run = open_run(out)
        assert run.manifest.content_hash == alone[won[0]]
        assert sum(b.size for _r, b, _s in run.kept()) == run.manifest.totals.kept


def test_killed_ray_driver_resumes_identically(ray_session, reference, tmp_path):
    """A driver process killed mid-run (SIGKILL), then resumed by a new driver on the same Ray cluster."""
    address = ray_session.get_runtime_context().gcs_address
    out = tmp_path / "killed"
    args = [sys.executable, "-m", "scenariogen.cli", "generate", str(BRAKE), "--out", str(out), "--sampler", "ce",
            "--target", "near_miss", "--seed", "4", "--budget", "2000", "--shard-size", "200", "--stage-size",
            "400", "-q", "--backend", "ray", "--ray-address", address]
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        m = read_manifest(out) if (out / "manifest.json").exists() else None
        if m and len(m.shards) >= 3:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the driver finished before it could be killed: " + proc.stderr.read().decode()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not read_manifest(out).complete
    again = subprocess.run([*args, "--resume"], check=False, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert_same_run(out, read_manifest(out), reference)


def test_cli_generate_and_estimate_on_ray(ray_session, reference, tmp_path, capsys):
    out = tmp_path / "cli"
    args = ["generate", str(BRAKE), "--out", str(out), "--sampler", "ce", "--target", "near_miss", "--seed", "4",
            "--budget", "2000", "--shard-size", "200", "--stage-size", "400", "-q"]
    assert cli.main([*args, "--backend", "ray", "--workers", "2"]) == 0
    assert read_manifest(out).content_hash == reference[1].content_hash
    est = []
    for extra in ([], ["--backend", "ray"]):
        capsys.readouterr()
        assert cli.main(["estimate", str(BRAKE), "--event", "near_miss", "--sampler", "ce", "--budget", "1500",
                         "--seed", "2", "--json", *extra]) == 0
        est.append(json.loads(capsys.readouterr().out))
    assert est[0] == est[1] and est[0]["n_sims"] == 1500


# ------------------------------------------------------------------------ bad input


def test_missing_ray_gives_install_hint(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    with pytest.raises(ScenarioGenError, match=r"pip install 'scenariogen\[ray\]'"):
        make_backend("ray")
    code = cli.main(["generate", str(BRAKE), "--out", str(tmp_path / "x"), "--budget", "100", "--backend", "ray"])
    err = capsys.readouterr().err
    assert code == 2 and "scenariogen[ray]" in err and "Traceback" not in err
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("kw, message", [
    ({"name": "dask"}, "backend 'dask' is unknown"),
    ({"address": "10.0.0.1:6379"}, "address needs the ray backend"),
    ({"workers": 0}, "workers must be"),
])
def test_bad_backend_requests(kw, message):
    with pytest.raises(ScenarioGenError, match=message):
        make_backend(**kw)


def _dead_port() -> int:
    """A local TCP port where nothing listens (bound, then released)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("address, env, message", [
    ("127.0.0.1:{port}", None, r"cannot join the Ray cluster at 127\.0\.0\.1:\d+: nothing answers there"),
    ("ray://127.0.0.1:{port}", None, "nothing answers there"),
    ("auto", "127.0.0.1:{port}", r"cannot join the Ray cluster at auto \(.*:\d+\): nothing answers there"),
    ("nonsense", None, "expected HOST:PORT"),
])
def test_ray_address_where_nothing_answers(address, env, message, tmp_path):
    """Ray retries an address without a head forever; scenariogen says so at once, exit 2, nothing written."""
    pytest.importorskip("ray")
    port = _dead_port()
    run_env = {**os.environ, "RAY_ADDRESS": env.format(port=port)} if env else None
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "scenariogen.cli", "generate", str(BRAKE), "--out", str(out),
                           "--budget", "100", "--backend", "ray", "--ray-address", address.format(port=port)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, env=run_env, check=False)
    assert proc.returncode == 2, proc.stderr
    assert re.search(message, proc.stderr) and "Traceback" not in proc.stderr
    assert not out.exists()
