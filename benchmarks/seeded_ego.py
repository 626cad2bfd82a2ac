"""How many neighbours the seeded families' ego has, against the logs' egos, on the calibration
recordings only (never the held-out ones): docs/calibration.md, "Drivers wander within their lane".

    python benchmarks/seeded_ego.py [N]

The real windows (3 s, every eligible logged vehicle taking the ego's role, as the coverage report
cuts them) of the ten calibration recordings against N (default 300) plain Monte Carlo scenarios of
each seeded family, once with its own ego rule (``busiest: 30``, the vehicle with the most others
within 30 m) and once with ``any: true`` (any eligible vehicle, a parameter of the family). Prints
the quartiles of ``n_agents_30m`` (agents within 30 m of the ego) and the median shift in real
robust sd (1.4826 x MAD). Not collected by pytest.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from calibration_proof import CALIBRATION, _linked  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
FAMILIES = ("highway_cut_in_us101_seeded", "leader_hard_brake_us101_seeded")
RULE = "ego: {busiest: 30}"


def _row(label: str, x: np.ndarray, ref: np.ndarray) -> str:
    q = np.nanpercentile(x, [25, 50, 75])
    rsd = 1.4826 * np.nanmedian(np.abs(ref - np.nanmedian(ref)))
    return (f"  {label:52s} {q[0]:5.1f} {q[1]:5.1f} {q[2]:5.1f}   median shift "
            f"{(q[1] - np.nanmedian(ref)) / rsd:+.2f} real sd")


def main(n: int) -> None:
    from scenariogen.api import simulate
    from scenariogen.coverage.report import real_descriptors, synthetic_descriptors
    from scenariogen.data.layout import DESCRIPTOR_NAMES
    from scenariogen.dsl.parse import parse_text

    col = DESCRIPTOR_NAMES.index("n_agents_30m")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        rl = real_descriptors(_linked(tmp / "calibration", CALIBRATION), window=3.0, dt=0.1)
        real = rl.D[:, col]
        print(f"n_agents_30m, 3 s windows: quartiles (25 / 50 / 75 %)\n  {'calibration recordings':52s} "
              + " ".join(f"{v:5.1f}" for v in np.nanpercentile(real, [25, 50, 75])) + f"   ({len(real)} windows)")
        for name in FAMILIES:
            path = REPO / "scenarios" / "calibrated" / f"{name}.yaml"
            text = path.read_text()
            assert RULE in text, name
            for rule in (RULE, "ego: {any: true}"):
                spec = parse_text(text.replace(RULE, rule), str(path))
                out = tmp / f"{name}_{'any' if 'any' in rule else 'busiest'}.npz"
                simulate(spec, n, out=out)
                syn = synthetic_descriptors(out, window=3.0, position_noise=rl.info["position_noise"]).D[:, col]
                print(_row(f"{name}, {rule}", syn, real), flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
