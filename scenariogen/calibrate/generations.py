"""Model collapse, measured: generations of a family, each calibrated on the last one's data.

Generation 0 is the real data. Generation k (k >= 1) is the family calibrated (:func:`calibrate`,
starting from generation k-1's laws) on a training set, then simulated: its ego windows (agent 0
the ego, cut as ``scenariogen coverage`` cuts a run and as the fit measures the family) are its
data. Under ``replace`` the training set is generation k-1's data alone; under ``accumulate`` it is
the real data and every generation's data so far (Gerstgrasser et al. 2024, "Is model collapse
inevitable?"). Each generation's fit sees a finite sample: under ``replace`` its errors add up from
one generation to the next, under ``accumulate`` the real data stays in every fit and holds them.

Only distributions fitted by simulation can be iterated: a generation's data are descriptor
windows, not trajectories, so IDM parameters fitted per trajectory are refused.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..coverage.report import DescriptorSet
from ..dsl.distributions import Distribution
from ..dsl.schema import ScenarioSpec
from ..errors import CalibrationError, ParameterError
from .fit import _IDM_RE, _frames, calibrate, sim_windows

MODES = ("replace", "accumulate")


@dataclass(frozen=True, eq=False)
class Generation:
    """One generation: its ``index`` (1, 2, ...), the ``mode``, the training set it was fitted on
    (``training_windows`` windows, ``real_share`` of them real), the fitted ``laws`` (parameter name,
    distribution), the calibrated family ``spec``, the fit's energy distance to its training set
    (``distance``, real-standardised) and the generation's simulated windows ``data``."""

    index: int
    mode: str
    training_windows: int
    real_share: float
    laws: tuple[tuple[str, Distribution], ...]
    spec: ScenarioSpec
    distance: float
    data: DescriptorSet


def _stack(sets: list[DescriptorSet]) -> DescriptorSet:
    first = sets[0]
    logs = {k: v for s in sets for k, v in (s.info.get("logs") or {}).items()}
    return DescriptorSet(np.concatenate([s.D for s in sets]), None, first.dt, first.frames,
                         {"logs": logs, "position_noise": first.info["position_noise"]},
                         np.concatenate([s.groups for s in sets]), np.concatenate([s.recordings for s in sets]))


def simulate_windows(spec: ScenarioSpec, scenarios: int, seed: int, position_noise: float, tag: str) -> DescriptorSet:
    """``scenarios`` scenarios of ``spec`` drawn from its laws with ``seed``, cut into the ego windows of its
    ``calibrate.window``, with ``position_noise`` (m) added as the fit adds it; each scenario is its
    own recording, named ``TAG-i``."""
    _window, frames = _frames(spec)
    rng = np.random.default_rng([seed, 0x6E4])
    theta = spec.parameters.sample(rng, scenarios)
    D, rows = sim_windows(spec, theta, seed, frames, position_noise)
    recs = np.array([f"{tag}-{i}" for i in rows], dtype=object)
    return DescriptorSet(D, None, spec.dt, frames, {"logs": {}, "position_noise": position_noise}, recs, recs)


def iterate(spec: ScenarioSpec, real: DescriptorSet, generations: int, *, modes: tuple[str, ...] = MODES,
            scenarios: int | None = None, seed: int | None = None, progress: bool = False) -> dict[str, tuple[Generation, ...]]:
    """``generations`` generations of ``spec`` per mode of ``modes`` (:data:`MODES`), from the ``real``
    windows (generation 0, cut to ``spec.calibrate.window`` seconds); the ``calibrate:`` block says
    what each generation fits and how. Each generation is simulated with ``scenarios`` scenarios
    (default ``calibrate.scenarios``). Generation 1 is fitted on the real data in every mode, once.
    ``seed`` (default the family's) fixes every fit and simulation: the same inputs give the same
    generations."""
    from tqdm import tqdm

    bad = [m for m in modes if m not in MODES]
    if bad or not modes:
        raise ParameterError("modes", f"{', '.join(map(repr, bad)) or 'none'}: expected some of {', '.join(MODES)}")
    if not isinstance(generations, int) or generations < 1:
        raise ParameterError("generations", f"must be a whole number >= 1, got {generations!r}")
    c = spec.calibrate
    if c is None or not c.fit:
        raise CalibrationError(f"{spec.source}: the family marks nothing to fit; add a 'calibrate: {{fit: [...]}}' "
                               "block naming the distributions to fit (docs/calibration.md)")
    idm = [n for n in c.fit if _IDM_RE.search(n)]
    if idm:
        raise CalibrationError(f"{', '.join(idm)}: IDM parameters are fitted per trajectory on logs, and a generation's "
                               "data are descriptor windows; leave them out of 'calibrate.fit' for this experiment")
    seed = spec.seed if seed is None else int(seed)
    n = c.scenarios if scenarios is None else int(scenarios)
    noise = float(real.info.get("position_noise", 0.0))
    real = dataclasses.replace(real, weights=None, recordings=np.array([f"real:{r}" for r in real.recordings],
                                                                       dtype=object))
    bar = tqdm(total=1 + (generations - 1) * len(modes), desc="generations", unit="fit",
               disable=not progress or None)

    def step(k: int, mode: str, current: ScenarioSpec, data: list[DescriptorSet]) -> Generation:
        train = data[-1] if mode == "replace" else _stack(data)
        res = calibrate(current, train, seed=seed + k)
        fitted = dataclasses.replace(res.spec, calibrate=c)  # the experiment's settings, whatever the file says
        real_n = int(sum(str(r).startswith("real:") for r in train.recordings))
        bar.update(1)
        return Generation(k, mode, len(train.D), real_n / len(train.D), tuple((p.name, p.after) for p in res.parameters),
                          fitted, res.distance_after, simulate_windows(fitted, n, seed + 1000 + k, noise, f"gen{k}"))

    try:
        first = step(1, modes[0], spec, [real])  # on the real data alone, whatever the mode
        out = {}
        for mode in modes:
            gens = [dataclasses.replace(first, mode=mode)]
            for k in range(2, generations + 1):
                gens.append(step(k, mode, gens[-1].spec, [real] + [g.data for g in gens]))
            out[mode] = tuple(gens)
    finally:
        bar.close()
    return out


__all__ = ["MODES", "Generation", "iterate", "simulate_windows"]
