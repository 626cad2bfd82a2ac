"""A kernel edited in one file invalidates Numba's cached kernels of every file (Numba alone checks
only the file of the function it compiled): stale cache entries go, a matching stamp keeps them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = ("import numpy as np, scenariogen.kernels as k; from scenariogen.kernels.rng import next_uniform; "
         "next_uniform(np.uint64(1)); from numba.core.caching import FunctionCache; "
         "print(FunctionCache(k._cache_probe)._cache_path)")


def _run(cache: Path) -> Path:
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), PYTHONPATH=str(ROOT))
    env.pop("NUMBA_DISABLE_JIT", None)
    r = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return Path(r.stdout.strip().splitlines()[-1])


def test_stale_kernel_caches_are_dropped(tmp_path):
    where = _run(tmp_path)
    stamp = where / "scenariogen-kernels.sha256"
    cached = sorted(p.name for p in where.glob("rng.*.nb[ic]"))
    assert stamp.exists() and cached, "the first run compiles, caches and stamps"
    digest = stamp.read_text()
    _run(tmp_path)
    assert sorted(p.name for p in where.glob("rng.*.nb[ic]")) == cached and stamp.read_text() == digest
    # as after an edit of another kernel file: the stamp no longer matches the sources
    stamp.write_text("an older version")
    (where / "step.simulate_range-1.py311.nbi").write_bytes(b"stale")
    _run(tmp_path)
    assert stamp.read_text() == digest and not (where / "step.simulate_range-1.py311.nbi").exists()
    assert sorted(p.name for p in where.glob("rng.*.nb[ic]")) == cached  # recompiled and cached again
