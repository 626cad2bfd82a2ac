"""Start-up cost of the light commands and of a small cached simulation, in CPU seconds of a fresh
process (user + system).

``scenariogen validate``, ``show`` and ``formats`` must answer at once: they load neither Numba
nor SciPy. ``scenariogen simulate -n 100`` (kernels cached: the warm-up run compiles them if
needed) should take under 1 s of CPU. Each command runs ROUNDS times in a fresh interpreter; the figure is the median CPU time
of the child process (``resource.getrusage(RUSAGE_CHILDREN)``), which a busy machine changes far
less than wall time. The bare interpreter (``python -c pass``) is measured in the same run as the
reference.

    python -m pytest benchmarks/test_startup.py --benchmark-only -s
"""

from __future__ import annotations

import os
import resource
import tempfile
import statistics
import subprocess
import sys

import pytest

from benchmarks.conftest import REPO_ROOT, machine_info, summary

ROUNDS = 7
TARGET_VALIDATE_CPU_S = 0.5
EXAMPLE = str(REPO_ROOT / "scenarios" / "highway_cut_in.yaml")

COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "import scenariogen": [sys.executable, "-c", "import scenariogen"],
    "scenariogen validate": [sys.executable, "-m", "scenariogen.cli", "validate", EXAMPLE],
    "scenariogen show": [sys.executable, "-m", "scenariogen.cli", "show", EXAMPLE],
    "scenariogen formats": [sys.executable, "-m", "scenariogen.cli", "formats"],
    "scenariogen simulate -n 100 (cached)": [sys.executable, "-m", "scenariogen.cli", "simulate", EXAMPLE, "-n",
                                             "100", "-q", "--out",
                                             os.path.join(tempfile.gettempdir(), "scenariogen-startup.npz")],
}
_CPU: dict[str, float] = {}


def processor() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def child_cpu_seconds(cmd: list[str]) -> float:
    """User + system CPU seconds of one run of ``cmd`` (it must exit 0)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert proc.returncode == 0, proc.stderr
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


@pytest.mark.parametrize("name", list(COMMANDS))
def test_start_up_cpu(benchmark, name):
    cmd = COMMANDS[name]
    child_cpu_seconds(cmd)  # warm the file cache and any bytecode
    times = benchmark.pedantic(lambda: [child_cpu_seconds(cmd) for _ in range(ROUNDS)], rounds=1, iterations=1)
    cpu = statistics.median(times)
    _CPU[name] = cpu
    base = _CPU.get("python -c pass")
    benchmark.extra_info.update(cpu_s_median=cpu, cpu_s_all=times, processor=processor(), **machine_info())
    ratio = f", {cpu / base:.1f}x the bare interpreter ({base:.3f} s)" if base and name != "python -c pass" else ""
    summary(f"start-up {name}: {cpu:.3f} s CPU (median of {ROUNDS}){ratio} [{processor()}, "
            f"load {os.getloadavg()[0]:.2f}]")
    if name == "scenariogen validate":
        benchmark.extra_info["target_cpu_s"] = TARGET_VALIDATE_CPU_S
        summary(f"  validate target {TARGET_VALIDATE_CPU_S} s CPU: {'met' if cpu < TARGET_VALIDATE_CPU_S else 'MISSED'}")
