"""The README's speed table in one command: the cut-in with and without its sensor, the kernel on
the C reference's work and the C reference itself, in interleaved rounds, as CPU-time rates.

    python -m benchmarks.speed_table [--baseline REV] [--rounds 7] [--n 1000] [--json FILE]

Each tree (this one, and with ``--baseline`` a git revision materialised as in
``test_against_baseline.py``) runs in its own worker process with one Numba thread and its own
Numba cache; a warm-up call per case (compile or cache load, and a run with full frames that
counts the agents present) is not timed, and the garbage collector is frozen after it (a process
that has just compiled the kernels holds about 850 000 of the compiler's objects, which each
collection in a timed run would walk again: about 8 %, docs/performance.md). Then, round after round, the C reference
(``benchmarks/reference.py``, one timed repetition after its own warm-up) and every case of every
tree run one after the other, so a change of load hits all alike.

Rates:

- CPU-time rate: work / CPU seconds of the process doing it (``time.process_time`` in a worker;
  for the C program its children's CPU time, which includes its warm-up pass and its set-up, so
  its CPU rate is slightly low);
- wall rate: work / wall seconds of the same call (for the C program its own median wall rate);
- work: agent-steps = n x N_slots x T (every agent slot of the batch), and the present
  agent-steps (only agents that exist) for the cut-in; vehicle-steps B x N x steps for the
  kernel on the C reference's work.

The ratio to the C reference divides medians of the same run. The load average is printed before
and after; the processor is named from ``/proc/cpuinfo``. Two-thread figures are not measured
here: on a shared machine they say nothing (``benchmarks/test_sensor.py`` measures them next to
an idle-core check).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks.reference import ReferenceUnavailable, build_c_reference, parse_result  # noqa: E402
from benchmarks.test_against_baseline import Worker as BaselineWorker  # noqa: E402
from benchmarks.test_against_baseline import _load, _materialise, _processor  # noqa: E402

C_WORK = dict(B=1000, N=20, steps=200)
CUT_IN = "scenarios/highway_cut_in.yaml"

WORKER = r"""
import gc, json, sys, time
import numpy as np
import scenariogen

def strip_ego_blocks(text, keys=("sensor", "aeb")):
    out, deeper = [], None
    for line in text.splitlines():
        indent = len(line) - len(line.lstrip(" "))
        if deeper is not None:
            if line.strip() and indent > deeper:
                continue
            deeper = None
        if indent == 4 and any(line.lstrip().startswith(k + ":") for k in keys):
            deeper = indent
            continue
        out.append(line)
    return "\n".join(out) + "\n"

specs, present, rw = {}, {}, None
for line in sys.stdin:
    cmd, case, path, n = line.split()
    n = int(n)
    if case == "c_work":  # the C reference's work as a Numba kernel (benchmarks/reference_work.py)
        if rw is None:
            from benchmarks import reference_work as rw
        B, N, steps = [int(x) for x in path.split(",")]
        state = rw.init_state(B, N, 2)
        if cmd == "warmup":
            rw.run_serial(*rw.init_state(2 * rw.BLOCK + 3, N, 1), 2, rw.BLOCK)
            gc.collect(); gc.freeze()  # the compiler's leftovers are not walked by the timed runs' collections
        t0, w0 = time.process_time(), time.perf_counter()
        rw.run_serial(*state, steps, rw.BLOCK)
        cpu, wall = time.process_time() - t0, time.perf_counter() - w0
        print(json.dumps(dict(cpu=cpu, wall=wall, work=B * N * steps, present_work=B * N * steps,
                              file=scenariogen.__file__)), flush=True)
        continue
    if case not in specs:
        text = open(path).read()
        specs[case] = scenariogen.parse_text(strip_ego_blocks(text) if case == "cut_in_no_sensor" else text)
    spec = specs[case]
    if cmd == "warmup":
        full = scenariogen.simulate(spec, n=n, record="full")
        present[case] = float(full.mask.sum()) / (n * full.mask.shape[2])
        gc.collect(); gc.freeze()
    t0, w0 = time.process_time(), time.perf_counter()
    batch = scenariogen.simulate(spec, n=n, record="none")
    cpu, wall = time.process_time() - t0, time.perf_counter() - w0
    slots, steps = int(batch.kinds.shape[1]), int(spec.steps)
    print(json.dumps(dict(cpu=cpu, wall=wall, work=n * slots * steps, present_work=n * present[case] * steps,
                          slots=slots, present=present[case], file=scenariogen.__file__)), flush=True)
"""


class Worker(BaselineWorker):
    """One tree's simulation process for the speed table (its worker script above; the repository
    root on the path too, for the benchmarks package)."""

    source = WORKER

    def __init__(self, name: str, tree: Path):
        super().__init__(name, tree, extra_path=(REPO_ROOT,))

    def run(self, cmd: str, case: str, arg: str, n: int) -> dict:
        return self.ask(f"{cmd} {case} {arg} {n}")


def c_round(exe: Path) -> dict:
    """One run of the C reference (its warm-up pass and one timed pass): wall rate and CPU rate."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run([str(exe), str(C_WORK["B"]), str(C_WORK["N"]), str(C_WORK["steps"]), "1"],
                          capture_output=True, text=True, check=True, timeout=600)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    work = C_WORK["B"] * C_WORK["N"] * C_WORK["steps"]
    return dict(cpu_rate=2 * work / cpu, wall_rate=parse_result(proc.stdout)["median"])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--baseline", help="a git revision to measure beside this tree (e.g. 79753c6)")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--n", type=int, default=1000, help="scenarios per simulate call")
    ap.add_argument("--json", type=Path, help="also write every measurement to this file")
    args = ap.parse_args(argv)

    try:
        exe = build_c_reference()
    except ReferenceUnavailable as exc:
        print(f"C reference unavailable: {exc}", file=sys.stderr)
        exe = None
    trees = [("current", REPO_ROOT)]
    if args.baseline:
        trees.insert(0, (f"baseline {args.baseline}", _materialise(args.baseline)))
    workers = [Worker(name, tree) for name, tree in trees]
    cases = [("cut_in", str(REPO_ROOT / CUT_IN), args.n), ("cut_in_no_sensor", str(REPO_ROOT / CUT_IN), args.n)]
    c_arg = f"{C_WORK['B']},{C_WORK['N']},{C_WORK['steps']}"
    load_before = _load()
    print(f"processor {_processor()}, {os.cpu_count()} cores, load average {load_before}; 1 thread, "
          f"{args.rounds} interleaved rounds, n={args.n}", flush=True)
    t_start = time.perf_counter()
    for w in workers:  # warm-up: compile or load, count the agents present; not timed
        for case, path, n in cases:
            w.run("warmup", case, str(Path(w.tree) / CUT_IN), n)
        w.run("warmup", "c_work", c_arg, 0)
    res: dict = {"c": []}
    for r in range(args.rounds):
        if exe is not None:
            res["c"].append(c_round(exe))
        for w in workers:
            for case, _path, n in cases:
                res.setdefault((w.name, case), []).append(w.run("timed", case, str(Path(w.tree) / CUT_IN), n))
            res.setdefault((w.name, "c_work"), []).append(w.run("timed", "c_work", c_arg, 0))
        print(f"round {r + 1}/{args.rounds} done, load average {_load()}", flush=True)
    for w in workers:
        w.close()
    load_after = _load()

    def med(xs):
        return statistics.median(xs) if xs else float("nan")

    c_cpu = med([x["cpu_rate"] for x in res["c"]])
    c_wall = med([x["wall_rate"] for x in res["c"]])
    rows = []
    labels = {"cut_in": "`highway_cut_in` as shipped (sensor + AEB), metrics only",
              "cut_in_no_sensor": "the same without the ego's sensor and AEB",
              "c_work": "scenariogen's style of Numba kernel on the C reference's work"}
    print(f"\nC reference (B={C_WORK['B']} N={C_WORK['N']} steps={C_WORK['steps']}, 1 core): "
          f"{c_cpu:.3e} vehicle-steps per CPU s, {c_wall:.3e} per wall s\n")
    print("| tree | work | agent-steps per CPU s (all slots) | present agents per CPU s | per wall s | x C (CPU) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for w in workers:
        for case in ("cut_in", "cut_in_no_sensor", "c_work"):
            xs = res[(w.name, case)]
            cpu_rate = med([x["work"] / x["cpu"] for x in xs])
            present_rate = med([x["present_work"] / x["cpu"] for x in xs])
            wall_rate = med([x["work"] / x["wall"] for x in xs])
            rows.append(dict(tree=w.name, case=case, cpu_rate=cpu_rate, present_cpu_rate=present_rate,
                             wall_rate=wall_rate, vs_c=cpu_rate / c_cpu, runs=xs))
            print(f"| {w.name} | {labels[case]} | {cpu_rate:.3e} | {present_rate:.3e} | {wall_rate:.3e} | "
                  f"{cpu_rate / c_cpu:.3f} |")
    if len(workers) == 2:
        print()
        for case in ("cut_in", "cut_in_no_sensor", "c_work"):
            b = [x["cpu"] for x in res[(workers[0].name, case)]]
            c = [x["cpu"] for x in res[(workers[1].name, case)]]
            paired = sorted(bi / ci for bi, ci in zip(b, c))
            print(f"{case}: current / baseline per CPU s {med(b) / med(c):.3f} (per round "
                  f"{paired[0]:.3f}..{paired[-1]:.3f})")
    print(f"\nload average {load_before} -> {load_after}; {time.perf_counter() - t_start:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(dict(processor=_processor(), cores=os.cpu_count(), load_before=load_before,
                                             load_after=load_after, c_cpu_rate=c_cpu, c_wall_rate=c_wall,
                                             c_runs=res["c"], rows=rows), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
