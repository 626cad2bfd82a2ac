"""Where the first start's compile time goes: one ``simulate`` of a scenario in a fresh process with
an empty Numba cache, with a recorder on Numba's ``numba:compile`` events.

    python -m benchmarks.compile_profile [SCENARIO] [--n 100] [--top 25] [--signatures]

Prints the process's CPU time (user + system), its wall time, the time spent holding LLVM's lock,
and per jitted function the exclusive compile time (its own, without the functions it made Numba
compile) and how many specialisations were compiled; ``--signatures`` lists the argument types of
every function compiled more than once (each one a separate compile). The event times are wall
times: on a busy machine their shares are only indicative, the CPU total is the figure to compare.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time
from collections import defaultdict
from numba.core import event
import scenariogen

path, n = sys.argv[1], int(sys.argv[2])
spec = scenariogen.load_scenario(path)
t0 = time.perf_counter()
with event.install_recorder("numba:compile") as comp, event.install_recorder("numba:llvm_lock") as lock:
    scenariogen.simulate(spec, n=n, record="full")
wall = time.perf_counter() - t0
excl, count, sigs, stack = defaultdict(float), defaultdict(int), defaultdict(list), []
for ts, ev in comp.buffer:
    d = ev.data["dispatcher"].py_func
    name = d.__module__.rsplit(".", 1)[-1] + "." + d.__qualname__
    if ev.is_start:
        stack.append([name, ts, 0.0])
        sigs[name].append(str(ev.data["args"]))
    else:
        name, start, inner = stack.pop()
        excl[name] += ts - start - inner
        count[name] += 1
        if stack:
            stack[-1][2] += ts - start
held, start = 0.0, None
for ts, ev in lock.buffer:
    if ev.is_start:
        start = ts
    else:
        held += ts - start
ru = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"cpu_s": ru.ru_utime + ru.ru_stime, "wall_s": wall, "llvm_lock_s": held,
                  "functions": [[k, excl[k], count[k], sigs[k]] for k in excl]}))
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", nargs="?", default=str(REPO_ROOT / "scenarios" / "highway_cut_in.yaml"))
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--signatures", action="store_true")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="numba-cache-") as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONPATH=str(REPO_ROOT))
        env.pop("NUMBA_DISABLE_JIT", None)
        load0 = os.getloadavg()[0]
        proc = subprocess.run([sys.executable, "-c", CHILD, args.scenario, str(args.n)], env=env, cwd=REPO_ROOT,
                              capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        return 1
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    funcs = sorted(res["functions"], key=lambda f: -f[1])
    total = sum(f[1] for f in funcs) or 1.0
    print(f"first start, empty Numba cache: {res['cpu_s']:.1f} s CPU, {res['wall_s']:.1f} s wall, "
          f"{res['llvm_lock_s']:.1f} s holding LLVM's lock; load average {load0:.1f} -> {os.getloadavg()[0]:.1f}; "
          f"{len(funcs)} functions, {sum(f[2] for f in funcs)} compiles")
    for name, t, k, _ in funcs[:args.top]:
        print(f"{t:8.2f} s {100 * t / total:5.1f} %  x{k}  {name}")
    if args.signatures:
        for name, _, k, sigs in funcs:
            if k > 1:
                print(f"{name}: {k} specialisations")
                for s in sigs:
                    print("    " + s)
    return 0


if __name__ == "__main__":
    sys.exit(main())
