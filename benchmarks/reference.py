"""Build and run the plain-C reference kernel, for speed ratios.

The C file lives outside the repository, in ``shared/bench/limit_kernel.c`` next
to the repository root (``<repo>/../shared/bench``). :func:`run_c_reference`
compiles it once per process with ``gcc -O3 -march=native`` into a temporary
directory, runs it and returns the median rate of its ``RESULT`` line.
:class:`ReferenceUnavailable` is raised when gcc or the source is missing, so a
benchmark can ``pytest.skip``.

What the C kernel does (read from limit_kernel.c; a scenariogen kernel doing
"the same work" must do all of this)
--------------------------------------------------------------------------
Constants: 4 lanes of width 3.7 m on a straight road, lane ``l`` centred at
``y = (l + 0.5) * 3.7``; ``dt = 0.1`` s; IDM ``a_max = 1.5`` m/s^2,
``b_comf = 2.0`` m/s^2, ``s0 = 2.0`` m, time headway ``T = 1.5`` s,
vehicle length 5.0 m; bicycle ``lf = lr = 1.4`` m; lateral gains
``k_lat = 0.15`` rad/m, ``k_head = 1.2``, ``|delta| <= 0.5`` rad; bounding-circle
radius ``R = 2.6`` m; critical TTC 2.0 s. Double precision, struct of arrays
indexed ``b * N + i``, scenario-outer loop (each scenario runs all its steps
before the next one starts), single thread.

Initial state, per scenario b (xorshift64* generator ``u()`` uniform in [0, 1),
seeded once per repetition with ``seed = rep + 2``, state
``seed * 0x9E3779B97F4A7C15 + 1``; draws happen in exactly this order):
  * ``head[l] = 20 u()`` for the 4 lanes (position of the next car in lane l);
  * then for each vehicle i: ``lane = min(int(4 u()), 3)``; ``x = head[lane]``;
    ``head[lane] += 18 + 30 u()`` (centre spacing 18..48 m, i.e. bumper gap
    13..43 m); ``y = lane centre + 0.6 (u() - 0.5)``;
    ``psi = 0.04 (u() - 0.5)`` rad; ``v = 18 + 10 u()`` m/s;
    desired speed ``v0 = 24 + 10 u()`` m/s;
  * accumulators ``min_dist = +inf``, ``min_ttc = +inf``, ``n_crit = 0``.
Lanes never change (no lane changes in the kernel).

One step of one scenario:
  1. Leader search + IDM, all from the old state. For each i, scan all j
     (including i itself, rejected by ``gap > 0``): ``gap = x_j - x_i``; the
     leader is the j with ``lane_j == lane_i``, ``gap > 0`` and the smallest
     gap (ties: first j). Then, with ``r = v_i / v0_i``,
     ``a = 1 - r^4``; if a leader exists:
     ``s = max(gap - 5.0, 0.1)`` (bumper gap, centre gap minus one car length),
     ``s* = max(0, s0 + v_i T + v_i (v_i - v_lead) / (2 sqrt(a_max b_comf)))``,
     ``a -= (s* / s)^2``; ``acc_i = a_max * a`` (no clamp on braking).
  2. Lateral control and kinematic bicycle, per vehicle (uses acc from 1):
     ``delta = clamp(-k_lat (y - y_lane) - k_head psi, -0.5, 0.5)``;
     ``beta = atan(lr / (lf + lr) * tan(delta))``;
     ``x += v cos(psi + beta) dt``; ``y += v sin(psi + beta) dt``;
     ``psi += v / lr * sin(beta) dt``; ``v = max(0, v + acc dt)``.
     The velocity used for TTC is the OLD speed along the new course:
     ``vx = v_old cos(psi_old + beta)``, ``vy = v_old sin(psi_old + beta)``.
  3. Pair metrics on the NEW positions, all i < j (N (N - 1) / 2 pairs, lanes
     ignored): ``d = |p_j - p_i|``, ``clear = d - 2R`` (= d - 5.2 m);
     ``min_dist = min(min_dist, clear)`` (may go negative);
     ``closing = -((p_j - p_i) . (v_j - v_i)) / d``;
     ``ttc = max(clear, 0) / closing`` if ``closing > 1e-9`` else ``+inf``;
     ``min_ttc = min(min_ttc, ttc)``; ``n_crit += (ttc < 2.0)``.
     (``geometry.circle_distance`` / ``geometry.circle_ttc`` compute exactly
     these per-pair quantities.)

Timing: per repetition the whole batch is re-initialised (not timed), then B
scenarios x STEPS steps are timed with CLOCK_MONOTONIC; rate =
``B N STEPS / elapsed`` vehicle-steps/s. A warm-up repetition runs first and
is left out of the statistics; RESULT reports the median of the REPS rates
(mean of the middle two for even REPS), min, max, and a checksum: the sum over
all repetitions, warm-up included, of ``min_dist[b] + x[b, 0]`` over b.
"""

from __future__ import annotations

import atexit
import functools
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "bench"
C_SOURCE = BENCH_DIR / "limit_kernel.c"

_RESULT_RE = re.compile(
    r"^RESULT B=(?P<B>\d+) N=(?P<N>\d+) steps=(?P<steps>\d+) reps=(?P<reps>\d+) "
    r"vehicle_steps_per_s median=(?P<median>\S+) min=(?P<min>\S+) max=(?P<max>\S+)"
    r".*checksum=(?P<checksum>\S+)",
    re.MULTILINE,
)


class ReferenceUnavailable(RuntimeError):
    """The C reference cannot be built here (no gcc, or no source file)."""


@functools.lru_cache(maxsize=1)
def build_c_reference() -> Path:
    """Compile limit_kernel.c once per process; return the executable's path."""
    if not C_SOURCE.is_file():
        raise ReferenceUnavailable(f"C reference not found at {C_SOURCE}")
    gcc = shutil.which("gcc")
    if gcc is None:
        raise ReferenceUnavailable("gcc not found on PATH")
    out_dir = Path(tempfile.mkdtemp(prefix="scenariogen-cref-"))
    atexit.register(shutil.rmtree, out_dir, ignore_errors=True)
    exe = out_dir / "limit_kernel"
    errors = []
    # -march=native first (as the README builds it); plain -O3 if the compiler refuses it
    for flags in (["-O3", "-march=native"], ["-O3"]):
        proc = subprocess.run(
            [gcc, *flags, "-o", str(exe), str(C_SOURCE), "-lm"],
            capture_output=True, text=True,
        )
        if proc.returncode == 0:
            return exe
        errors.append(f"gcc {' '.join(flags)}: {proc.stderr.strip()}")
    raise ReferenceUnavailable("could not compile the C reference:\n" + "\n".join(errors))


def parse_result(stdout: str) -> dict:
    """Parse the RESULT line of limit_kernel's output into a dict of numbers."""
    m = _RESULT_RE.search(stdout)
    if m is None:
        raise ValueError(f"no RESULT line in the C reference output:\n{stdout}")
    out = {k: int(m[k]) for k in ("B", "N", "steps", "reps")}
    out.update({k: float(m[k]) for k in ("median", "min", "max", "checksum")})
    return out


def run_c_reference_full(B: int, N: int, steps: int, reps: int, timeout: float = 600.0) -> dict:
    """Run the C reference; return the parsed RESULT line (rates in vehicle-steps/s)."""
    exe = build_c_reference()
    proc = subprocess.run(
        [str(exe), str(B), str(N), str(steps), str(reps)],
        capture_output=True, text=True, timeout=timeout, check=True,
    )
    return parse_result(proc.stdout)


def run_c_reference(B: int, N: int, steps: int, reps: int) -> float:
    """Median vehicle-steps per second of the C reference for B x N x steps, over reps."""
    return run_c_reference_full(B, N, steps, reps)["median"]


if __name__ == "__main__":  # quick manual check: python benchmarks/reference.py
    print(run_c_reference_full(1000, 20, 200, 5))
