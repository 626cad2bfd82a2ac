"""Issue 23, the log readers: peak memory and CPU of reading hostile logs, cleaning time against the track
count, and the real samples read as before.

Each read runs in a fresh subprocess started by a small launcher process, which reports
``resource.getrusage(RUSAGE_CHILDREN)`` after it: ``ru_maxrss`` is then that one read's peak RSS (on
Linux a child's ``ru_maxrss`` starts at its parent's RSS, so the launcher is kept small), and
``ru_utime + ru_stime`` its CPU seconds. The reader itself also reports its own ``VmHWM`` and the CPU
seconds spent in cleaning (duplicate boxes and hand-offs). The read is capped at 4 GB of address space.
"Before" rows run the pre-issue dense code (``tests/logs/reference_tracks.py``) the same way.
Figures go to ``benchmark.extra_info`` and the summary; docs/reliability.md quotes them.

    python -m pytest benchmarks/test_logs_hostile.py --benchmark-only -s
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.conftest import REPO_ROOT, machine_info, summary

TESTS_LOGS = REPO_ROOT / "tests" / "logs"
if str(TESTS_LOGS) not in sys.path:
    sys.path.insert(0, str(TESTS_LOGS))

import hostile_logs as H  # noqa: E402
from logs_helpers import ETH, REAL  # noqa: E402

PEAK_LIMIT_MB = 500
CLEAN_LIMIT_S = 10.0

READ = r"""
import json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
sys.path.insert(0, sys.argv[2])
import scenariogen.logs.tracks as tracks
from scenariogen.errors import ScenarioGenError
from scenariogen.logs import read_log

if sys.argv[3] == "before":  # the dense all-pairs code of before issue 23
    import reference_tracks as ref
    import scenariogen.logs.av2, scenariogen.logs.commonroad, scenariogen.logs.ethucy

    def dense(tracks_, source, **kw):
        tr = [ref.RawTrack(**{k: getattr(t, k) for k in ("id", "kind", "length", "width", "t", "x", "y", "heading",
                                                         "speed")}) for t in tracks_]
        return ref.build_scenes(tr, source, **kw)
    for m in (scenariogen.logs.av2, scenariogen.logs.commonroad, scenariogen.logs.ethucy):
        m.build_scenes = dense
    mod = ref
else:
    mod = tracks
cleaning = [0.0]
for name in ("_merge_duplicates", "_join_handoffs"):
    def timed(*a, _f=getattr(mod, name), **k):
        t = time.process_time()
        try:
            return _f(*a, **k)
        finally:
            cleaning[0] += time.process_time() - t
    setattr(mod, name, timed)
out = {}
try:
    s = read_log(sys.argv[1])
    out["outcome"] = "read: %d scene(s) x %d agents x %d frames" % s.trajectories.shape[:3]
    out["split"] = s.info[str(sys.argv[1])].get("split")
except ScenarioGenError as exc:
    out["outcome"] = "%s: %s" % (type(exc).__name__, str(exc).replace(sys.argv[1], "<file>")[:160])
except MemoryError as exc:
    out["outcome"] = "MemoryError: %s" % str(exc)[:120]
out["cleaning_cpu_s"] = round(cleaning[0], 2)
out["vmhwm_mb"] = [int(ln.split()[1]) / 1024 for ln in open("/proc/self/status") if ln.startswith("VmHWM:")][0]
print(json.dumps(out))
"""

LAUNCH = r"""
import json, resource, subprocess, sys
r = subprocess.run([sys.executable, "-c", sys.argv[1], *sys.argv[2:]], capture_output=True, text=True)
u = resource.getrusage(resource.RUSAGE_CHILDREN)
try:
    out = json.loads(r.stdout.strip().splitlines()[-1])
except (IndexError, ValueError):
    out = {"outcome": "crashed (exit %d): %s" % (r.returncode, (r.stderr.strip().splitlines() or ["?"])[-1][:160])}
out.update(peak_rss_mb=round(u.ru_maxrss / 1024, 1), cpu_s=round(u.ru_utime + u.ru_stime, 2))
print(json.dumps(out))
"""


def processor() -> str:
    try:
        for ln in Path("/proc/cpuinfo").read_text().splitlines():
            if ln.startswith("model name"):
                return ln.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def measure(path: Path, code: str = "after") -> dict:
    """One read of ``path`` in a fresh process: outcome, peak RSS (MB), CPU (s), cleaning CPU (s)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]))
    r = subprocess.run([sys.executable, "-c", LAUNCH, READ, str(path), str(TESTS_LOGS), code], capture_output=True,
                       text=True, env=env, cwd="/", timeout=3600)
    assert r.returncode == 0, r.stderr[-2000:]
    out = json.loads(r.stdout)
    load1, load5, _ = os.getloadavg()
    out.update(size_mb=round(path.stat().st_size / 1e6, 2) if path.is_file() else None, processor=processor(),
               loadavg_1min=round(load1, 2), loadavg_5min=round(load5, 2))
    return out


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    d = tmp_path_factory.mktemp("hostile")
    return {
        "ETH/UCY zara01 + line '-1e9 1 0 0'": H.eth_corrupt_timestamp(d),
        "ETH/UCY zara01 + line '250000 1 0 0' (10 000 s on)": _stray(d),
        "CommonRoad, 3000 short obstacles over 4 h": H.commonroad_sparse_hours(d),
        "ETH/UCY, 15 000 tracks": H.eth_many_tracks(d, n=15_000),
        "ETH/UCY, 200 000 tracks": H.eth_many_tracks(d, n=200_000, span=8000),
        "real: biwi_hotel (largest real log)": ETH / "biwi_hotel.txt",
    }


def _stray(d: Path) -> Path:
    sub = d / "stray"
    sub.mkdir()
    return H.eth_corrupt_timestamp(sub, "250000")


HOSTILE = ["ETH/UCY zara01 + line '-1e9 1 0 0'", "ETH/UCY zara01 + line '250000 1 0 0' (10 000 s on)",
           "CommonRoad, 3000 short obstacles over 4 h", "ETH/UCY, 15 000 tracks", "ETH/UCY, 200 000 tracks",
           "real: biwi_hotel (largest real log)"]


@pytest.mark.parametrize("case", HOSTILE)
@pytest.mark.parametrize("code", ["before", "after"])
def test_hostile_read_memory(benchmark, hostile, case, code):
    """The hostile reads; "before" swaps in the dense code of before issue 23 (the readers' new checks
    stay: these files pass them)."""
    path = hostile[case]
    res = benchmark.pedantic(measure, args=(path, code), rounds=1, iterations=1)
    benchmark.extra_info.update(machine_info(), case=case, code=code, **res)
    summary(f"{case} ({code}): {res['outcome']}; peak RSS {res['peak_rss_mb']:.0f} MB (VmHWM "
            f"{res.get('vmhwm_mb', float('nan')):.0f}), CPU {res['cpu_s']:.1f} s (cleaning "
            f"{res.get('cleaning_cpu_s', float('nan')):.1f} s), {res['size_mb']} MB file; {res['processor']}, "
            f"load {res['loadavg_1min']}")
    if code == "before":
        return
    assert not res["outcome"].startswith(("crashed", "MemoryError")), res
    assert res["peak_rss_mb"] < PEAK_LIMIT_MB, res
    if case == "ETH/UCY, 15 000 tracks":
        assert res["cleaning_cpu_s"] < CLEAN_LIMIT_S, res


@pytest.mark.parametrize("n", [1000, 3000, 15_000])
@pytest.mark.parametrize("code", ["before", "after"])
def test_cleaning_against_track_count(benchmark, tmp_path, n, code):
    """Cleaning CPU seconds for n pedestrian tracks (density of the 15 000-track file: starts spread over
    n / 25 s); "before" is the dense all-pairs code (at 15 000 tracks it stops at the 4 GB cap)."""
    path = H.eth_many_tracks(tmp_path, n=n, span=n / 25)
    res = benchmark.pedantic(measure, args=(path, code), rounds=1, iterations=1)
    benchmark.extra_info.update(machine_info(), n=n, code=code, **res)
    summary(f"cleaning {n} tracks ({code}): {res['cleaning_cpu_s']:.2f} CPU s of {res['cpu_s']:.1f} s read, "
            f"peak RSS {res['peak_rss_mb']:.0f} MB; {res['outcome']}")
    if code == "after":
        assert res["cleaning_cpu_s"] < CLEAN_LIMIT_S * n / 15_000 + 1.0


def test_real_samples_unchanged(benchmark):
    """Every log in ../shared/data/real, cleaned and raw, against the fingerprints of the pre-issue code."""
    from fingerprint import fingerprint, same

    from scenariogen.logs import read_log

    before = json.loads((TESTS_LOGS / "real_fingerprints.json").read_text())

    def check():
        return [name for name in sorted(before)
                if not (same(fingerprint(read_log(REAL / name)), before[name]["clean"])
                        and same(fingerprint(read_log(REAL / name, clean=False)), before[name]["raw"]))]

    differ = benchmark.pedantic(check, rounds=1, iterations=1)
    benchmark.extra_info.update(files=len(before), differ=differ, **machine_info())
    summary(f"real samples: {len(before) - len(differ)} of {len(before)} files read as before (clean and raw)")
    assert not differ
