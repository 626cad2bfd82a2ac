"""The table of docs/calibration.md, "Only what the episodes identify": per IDM key, the spread of the
per-trajectory estimates over the car-following episodes of the ten calibration recordings, the
share at a bound of the fit, and whether `scenariogen calibrate` fits it or refuses it.

    python benchmarks/idm_identifiability.py

Not collected by pytest.
"""

from __future__ import annotations

import time

import numpy as np

from calibration_proof import CALIBRATION
from scenariogen.calibrate.idm import IDM_KEYS, MAX_AT_BOUND, MAX_SPREAD, IdmFits, bounds, fit_scenes
from scenariogen.logs import read_log


def main() -> None:
    t = time.process_time()
    parts = []
    for path in CALIBRATION:
        scenes = read_log(path, dt=0.1)
        parts.append(fit_scenes(scenes, np.full(scenes.size, path.stem, dtype=object)))
    fits = IdmFits.concat(parts)
    print(f"{fits.size} episodes of {len(CALIBRATION)} recordings; {time.process_time() - t:.1f} s CPU")
    print("| IDM key | range of the fit | estimates' quartiles | share of the range | at a bound | |")
    print("| --- | --- | --- | --- | --- | --- |")
    for key in IDM_KEYS:
        q25, q75, share = fits.spread(key)
        at = fits.share_at_bound(key)
        lo, hi = bounds(key)
        verdict = "refused" if share > MAX_SPREAD or at > MAX_AT_BOUND else "fitted"
        print(f"| `{key}` | {lo:g} to {hi:g} | {q25:.3g} to {q75:.3g} | {share:.0%} | {at:.0%} | {verdict} |")


if __name__ == "__main__":
    main()
