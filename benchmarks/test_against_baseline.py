"""Simulation speed of this tree against a baseline revision, measured side by side.

The baseline (environment variable ``SG_BASELINE``, default ``99d2e60``, the
last commit before the redesign of issue 20) is materialised with ``git
archive`` into a temporary directory. Each tree runs in its own worker
process (``PYTHONPATH`` pointing at the tree, its own ``NUMBA_CACHE_DIR``,
``NUMBA_NUM_THREADS=1``); the two workers are driven alternately, baseline
then current, round after round, so a change of load on the machine hits both
alike. Each worker runs one warm-up call per case first (compile or cache
load, excluded), then times ``scenariogen.simulate(spec, n=..., record=...)``
with ``time.process_time`` (CPU seconds of the worker).

Rates are agent-steps per CPU second: n x N_slots x T / CPU time, N_slots
being the batch's agent dimension and T the number of steps; the row's figure
is the median over the rounds. The plain-C reference (``benchmarks/reference.py``,
B=1000, N=20, 200 steps, a simpler workload) is run in the same session so a
rate can be read against what the machine does at the time.

    python -m pytest benchmarks/test_against_baseline.py --benchmark-only -s

``SG_BASELINE_ROUNDS`` (default 7) sets the rounds per case. Target: the
current tree within 3 % of the baseline on the cut-in, both record modes.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import pytest

from benchmarks.conftest import REPO_ROOT, summary
from benchmarks.reference import ReferenceUnavailable, run_c_reference_full

BASELINE = os.environ.get("SG_BASELINE", "99d2e60")
ROUNDS = max(5, int(os.environ.get("SG_BASELINE_ROUNDS", "7")))
TARGET = 0.97  # current / baseline on the cut-in
C_ARGS = dict(B=1000, N=20, steps=200, reps=5)

# (row id, scenario file relative to the tree, n, record)
CASES = [
    ("cut_in-none", "scenarios/highway_cut_in.yaml", 1000, "none"),
    ("cut_in-full", "scenarios/highway_cut_in.yaml", 1000, "full"),
    ("left_turn-none", "scenarios/unprotected_left_turn.yaml", 1000, "none"),
    ("ped_behind_van-none", "scenarios/pedestrian_behind_van.yaml", 1000, "none"),
]

WORKER = r"""
import json, sys, time
import scenariogen

specs = {}
for line in sys.stdin:
    cmd, path, n, record = line.split()
    n = int(n)
    if path not in specs:
        specs[path] = scenariogen.load_scenario(path)
    spec = specs[path]
    t0 = time.process_time()
    batch = scenariogen.simulate(spec, n=n, record=record)
    cpu = time.process_time() - t0
    print(json.dumps(dict(cmd=cmd, cpu=cpu, slots=int(batch.kinds.shape[1]), steps=int(spec.steps),
                          file=scenariogen.__file__)), flush=True)
"""


def _processor() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _sources_hash(tree: Path) -> str:
    """Hash of the tree's package sources: a Numba cache directory per content, never a stale one
    (Numba checks only the defining file's time stamp, not the files its callees live in)."""
    h = hashlib.sha256()
    for p in sorted((tree / "scenariogen").rglob("*.py")):
        h.update(str(p.relative_to(tree)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def _materialise(rev: str) -> Path:
    """The baseline revision's files in a temporary directory (kept between sessions, keyed by the
    full commit id, so its Numba cache can be reused)."""
    sha = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "--verify", rev + "^{commit}"],
                         capture_output=True, text=True, check=True).stdout.strip()
    dest = Path(tempfile.gettempdir()) / f"scenariogen-baseline-{sha[:12]}"
    marker = dest / ".materialised"
    if not marker.exists():
        data = subprocess.run(["git", "-C", str(REPO_ROOT), "archive", "--format=tar", sha],
                              capture_output=True, check=True).stdout
        dest.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            tar.extractall(dest, filter="data")
        marker.write_text(sha + "\n")
    return dest


class Worker:
    """One tree's simulation process (1 Numba thread, its own Numba cache) running ``source``,
    driven a line at a time; each answer is a JSON line naming the file it imported scenariogen
    from, which must be in its own tree (not an installed copy)."""

    source = WORKER

    def __init__(self, name: str, tree: Path, extra_path: tuple[Path, ...] = ()):
        self.name = name
        self.tree = tree
        cache = Path(tempfile.gettempdir()) / f"scenariogen-bench-numba-{_sources_hash(tree)}"
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(map(str, (tree, *extra_path))), NUMBA_CACHE_DIR=str(cache),
                   NUMBA_NUM_THREADS="1", OMP_NUM_THREADS="1")
        self.proc = subprocess.Popen([sys.executable, "-c", self.source], cwd=str(tree), env=env, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def ask(self, line: str) -> dict:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline()
        if not answer:
            raise RuntimeError(f"{self.name} worker ended (exit code {self.proc.wait()})")
        out = json.loads(answer)
        if not Path(out["file"]).resolve().is_relative_to(self.tree.resolve()):
            raise RuntimeError(f"{self.name} worker imported {out['file']}, not its own tree")
        return out

    def run(self, cmd: str, path: str, n: int, record: str) -> dict:
        return self.ask(f"{cmd} {self.tree / path} {n} {record}")

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


@pytest.fixture(scope="module")
def workers():
    base = Worker("baseline", _materialise(BASELINE))
    cur = Worker("current", REPO_ROOT)
    summary(f"baseline {BASELINE} ({base.tree}) against current ({cur.tree}); processor {_processor()}, "
            f"{os.cpu_count()} cores, load average {_load()}; 1 Numba thread, CPU time, {ROUNDS} rounds")
    yield base, cur
    base.close()
    cur.close()


@pytest.fixture(scope="module")
def c_rate():
    """The C reference's median rate (vehicle-steps/s), once for the module; None when unavailable."""
    try:
        res = run_c_reference_full(C_ARGS["B"], C_ARGS["N"], C_ARGS["steps"], C_ARGS["reps"])
    except ReferenceUnavailable as exc:
        summary(f"C reference unavailable: {exc}")
        return None
    summary(f"C reference (B={C_ARGS['B']} N={C_ARGS['N']} steps={C_ARGS['steps']}, 1 thread): "
            f"{res['median']:.3e} vehicle-steps/s (min {res['min']:.3e}, max {res['max']:.3e}); load {_load()}")
    return res["median"]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_against_baseline(benchmark, workers, c_rate, case):
    name, path, n, record = case
    base, cur = workers
    load_before = _load()

    def measure():
        for w in (base, cur):  # warm-up: compile or load the kernels, not timed
            w.run("warmup", path, n, record)
        cpu = {"baseline": [], "current": []}
        shape = {}
        for _ in range(ROUNDS):
            for w in (base, cur):
                out = w.run("timed", path, n, record)
                cpu[w.name].append(out["cpu"])
                shape[w.name] = (out["slots"], out["steps"])
        return cpu, shape

    cpu, shape = benchmark.pedantic(measure, rounds=1, iterations=1)
    rates = {}
    for k in ("baseline", "current"):
        slots, steps = shape[k]
        rates[k] = n * slots * steps / statistics.median(cpu[k])
    assert shape["baseline"] == shape["current"], shape
    ratio = rates["current"] / rates["baseline"]
    paired = sorted(b / c for b, c in zip(cpu["baseline"], cpu["current"]))  # per round, current/baseline rate
    vs_c = {k: (r / c_rate if c_rate else float("nan")) for k, r in rates.items()}
    load_after = _load()
    benchmark.extra_info.update(
        baseline=BASELINE, n=n, record=record, slots=shape["current"][0], steps=shape["current"][1],
        cpu_s_baseline=cpu["baseline"], cpu_s_current=cpu["current"],
        rate_baseline=rates["baseline"], rate_current=rates["current"], ratio=ratio,
        paired_ratio_min=paired[0], paired_ratio_median=statistics.median(paired), paired_ratio_max=paired[-1],
        c_rate=c_rate, baseline_vs_c=vs_c["baseline"], current_vs_c=vs_c["current"],
        processor=_processor(), loadavg_before=load_before, loadavg_after=load_after, threads=1,
    )
    target = ""
    if name.startswith("cut_in"):
        target = " [within 3 %]" if ratio >= TARGET else " [BELOW the 3 % target]"
    summary(f"{name} n={n} record={record}: baseline {rates['baseline']:.3e}, current {rates['current']:.3e} "
            f"agent-steps/CPU-s; current/baseline {ratio:.3f} (per round: median {statistics.median(paired):.3f}, "
            f"{paired[0]:.3f}..{paired[-1]:.3f}){target}; "
            f"vs C: baseline {vs_c['baseline']:.3f}x, current {vs_c['current']:.3f}x; "
            f"load {load_before} -> {load_after}")
    assert rates["current"] > 0.0 and rates["baseline"] > 0.0
