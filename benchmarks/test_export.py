"""Export throughput: scenarios per second for every registered writer on a 10 000-scenario run.

    python -m pytest benchmarks/test_export.py --benchmark-only -s

The run is plain Monte Carlo over ``leader_hard_brake`` (10 s at 0.1 s, about
12-20 agents per scenario) keeping every scenario with full trajectories, in
shards of 1000, generated once per session. Each writer registered in the
``scenariogen.writers`` entry-point group (built-in and plugins, so new writers
are measured without editing this file) exports the whole run once into a
fresh temporary location that is removed afterwards. ``extra_info`` holds
scenarios/s, MB written, MB/s, files and the machine load; a writer that is not
installed or broken is skipped with its reason. ``SG_BENCH_EXPORT_N`` changes
the run size.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest

import scenariogen
from benchmarks.conftest import REPO_ROOT, machine_info, summary
from scenariogen.export import writers
from scenariogen.runs import GenerateSettings, generate

N = int(os.environ.get("SG_BENCH_EXPORT_N", "10000"))
SPEC = REPO_ROOT / "scenarios" / "leader_hard_brake.yaml"


@pytest.fixture(scope="module")
def big_run():
    root = Path(tempfile.mkdtemp(prefix="sg-bench-export-"))
    run = root / "run"
    spec = scenariogen.load_scenario(SPEC)
    t0 = time.perf_counter()
    generate(spec, run, GenerateSettings(sampler="mc", target="collision", seed=1, budget=N, shard_size=1000,
                                         keep="all"), progress=False)
    size = sum(p.stat().st_size for p in (run / "shards").iterdir())
    summary(f"export benchmark run: {N} scenarios generated in {time.perf_counter() - t0:.1f} s, "
            f"shards {size / 1e6:.0f} MB")
    yield run
    shutil.rmtree(root, ignore_errors=True)


def _out_path(writer, folder: Path) -> Path:
    if getattr(writer, "directory", False) or not writer.extensions:
        return folder / f"out_{writer.name}"
    return folder / f"out{writer.extensions[0]}"


@pytest.mark.parametrize("fmt", writers().names())
def test_export_throughput(benchmark, big_run, fmt):
    status = {s.entry.name: s for s in writers().available()}[fmt]
    if status.status != "ok":
        pytest.skip(f"{fmt}: {status.status}: {status.reason}")
    writer = status.plugin
    reports = []
    folder = Path(tempfile.mkdtemp(prefix=f"sg-bench-{fmt}-"))
    try:
        benchmark.pedantic(lambda: reports.append(writer.write(big_run, _out_path(writer, folder))),
                           rounds=1, iterations=1)
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # outside the timed call
    r = reports[-1]
    assert r.scenarios == N
    rate = r.scenarios / r.seconds
    benchmark.extra_info.update(format=fmt, scenarios=r.scenarios, seconds=round(r.seconds, 2),
                                scenarios_per_s=round(rate, 1), mb_written=round(r.bytes / 1e6, 1),
                                mb_per_s=round(r.bytes / 1e6 / r.seconds, 1), files=r.files, **machine_info())
    summary(f"export {fmt:>12}: {rate:8.0f} scenarios/s  ({r.seconds:.1f} s for {r.scenarios}, "
            f"{r.bytes / 1e6:.0f} MB in {r.files} files)  load {machine_info()['loadavg_1min']}")
