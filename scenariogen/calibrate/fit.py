"""``scenariogen calibrate``: fit a family's marked distributions to real logs.

Two kinds of fit, chosen per parameter:

* an IDM parameter of a behaviour (``...behavior.idm.time_headway`` and the other four keys of
  :data:`~scenariogen.calibrate.idm.IDM_KEYS`) is fitted per trajectory on the car-following
  episodes of the logs (:mod:`~scenariogen.calibrate.idm`); the family's distribution takes the
  episodes' median and robust spread, and a parameter the episodes do not identify is refused
  (:func:`refuse_unidentified`);
* every other marked parameter is fitted by simulation: the family is simulated with common
  random numbers (the same uniforms per scenario, mapped through each candidate distribution's
  inverse CDF, and the same simulation streams), its ego windows measured with the coverage
  descriptors of typical traffic (:data:`TYPICAL`), and the energy distance between these and the
  real windows, on descriptors standardised by the real medians and robust scales, is minimised
  over the distributions' free numbers (:mod:`~scenariogen.calibrate.dists`) by Powell's line
  searches, then Nelder-Mead.

Uncertainty: the fit is repeated ``bootstrap`` times from its result, on real recordings drawn
with replacement and fresh common random numbers; each fitted number is given with the standard
deviation of its refits. Real data is split by recording, never by vehicle.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..coverage.report import DescriptorSet
from ..data.layout import TYPICAL_DESCRIPTORS
from ..dsl.distributions import Distribution, ParameterSpace
from ..dsl.parse import parse_text
from ..dsl.schema import ScenarioSpec
from ..errors import CalibrationError, DSLError, ScenarioGenError
from . import dists as Dd
from .idm import IDM_KEYS
from .output import calibrated_text, header

#: descriptors of typical traffic that calibration matches (coverage descriptors; units there)
TYPICAL = TYPICAL_DESCRIPTORS
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
DEFAULT_WINDOW = 3.0  # s
BAND_SPLITS = 20  # real-vs-real halvings by recording
_BAD = 1e6  # objective of an invalid candidate
Z_CAP = 20.0  # real robust sd: a standardised descriptor is clipped to +-Z_CAP (see _Real)
_IDM_RE = re.compile(r"\.behavior\.idm\.(" + "|".join(IDM_KEYS) + r")$")


@dataclass(frozen=True)
class FittedParameter:
    """One fitted distribution: ``before`` and ``after``, how (``idm per trajectory`` or
    ``simulation``), its free numbers (``coords`` named by ``coord_names``) and their bootstrap
    standard deviations ``sd`` (NaN without bootstrap)."""

    name: str
    method: str
    before: Distribution
    after: Distribution
    coord_names: tuple[str, ...]
    coords: tuple[float, ...]
    sd: tuple[float, ...]


@dataclass(frozen=True)
class DescriptorFit:
    """One typical-traffic descriptor: real, before and after quantiles (:data:`QUANTILES`, its
    unit), the median shift before and after in real robust sd, and the real-vs-real range of that
    shift between halves of the recordings (``band``)."""

    name: str
    real: tuple[float, ...]
    before: tuple[float, ...]
    after: tuple[float, ...]
    shift_before: float
    shift_after: float
    band: tuple[float, float]

    @property
    def inside(self) -> bool:
        return self.band[0] <= self.shift_after <= self.band[1]


@dataclass(frozen=True)
class CalibrationResult:
    """What :func:`calibrate` found: the calibrated YAML ``text`` and its ``spec``, the fitted
    parameters, per descriptor the quantiles, the energy distance before and after with the
    real-vs-real range (``distance_band``), the evaluations spent and what was read."""

    text: str
    spec: ScenarioSpec
    parameters: tuple[FittedParameter, ...]
    descriptors: tuple[DescriptorFit, ...]
    distance_before: float
    distance_after: float
    distance_band: tuple[float, float]
    evaluations: int
    real: dict = field(default_factory=dict)

    def report(self) -> str:
        """The fit and its quality as Markdown tables."""
        r = self.real
        out = [f"# Calibration of {self.spec.name}", "",
               f"Real data: {r['windows']} windows of {r['window']:g} s from {len(r['recordings'])} recordings "
               f"({', '.join(r['recordings'])}); {r.get('episodes', 0)} car-following episodes.", "",
               "| parameter | method | before | after | +- 2 sd (bootstrap, about 95 %) |", "| --- | --- | --- | --- | --- |"]
        for p in self.parameters:
            sd = ", ".join(f"{n} {2 * s:.3g}" for n, s in zip(p.coord_names, p.sd))
            out.append(f"| {p.name} | {p.method} | {Dd.to_yaml(p.before)} | {Dd.to_yaml(p.after)} | {sd} |")
        out += ["", f"Energy distance to the real windows: {self.distance_before:.3f} before, "
                f"{self.distance_after:.3f} after (real vs real {self.distance_band[0]:.3f} to "
                f"{self.distance_band[1]:.3f}); {self.evaluations} evaluations.", "",
                "| descriptor | real q05 q25 q50 q75 q95 | before | after | shift before (sd) | shift after (sd) "
                "| real vs real | inside |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
        for d in self.descriptors:
            q = lambda v: " ".join(f"{x:.3g}" for x in v)  # noqa: E731
            out.append(f"| {d.name} | {q(d.real)} | {q(d.before)} | {q(d.after)} | {d.shift_before:+.2f} | "
                       f"{d.shift_after:+.2f} | {d.band[0]:+.2f} to {d.band[1]:+.2f} | {'yes' if d.inside else 'no'} |")
        return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- pieces


def _frames(spec: ScenarioSpec) -> tuple[float, int]:
    c = spec.calibrate
    window = c.window if c is not None and c.window is not None else min(DEFAULT_WINDOW, spec.duration)
    return float(window), int(round(window / spec.dt))


class _Real:
    """The real side: standardised typical descriptors (``names``; one constant in the real set is
    left out and listed in ``ignored``), their recordings, and the columns they come from. Standardised
    values are clipped to +-:data:`Z_CAP`: a window that far out is far whatever its value, and a
    crash's deceleration spike (thousands of sd when most windows never brake) would otherwise
    swamp the distance with sampling noise the optimiser then chases."""

    def __init__(self, D: np.ndarray, recordings: np.ndarray):
        from ..coverage.descriptors import DESCRIPTOR_NAMES
        from ..coverage.metrics import fit_standardiser

        X = D[:, [DESCRIPTOR_NAMES.index(n) for n in TYPICAL]]
        ok = np.isfinite(X).all(axis=1)
        st, self.ignored = fit_standardiser(X[ok], TYPICAL)
        self.names = st.names
        self.cols = [DESCRIPTOR_NAMES.index(n) for n in st.names]
        self.X, self.recordings = D[ok][:, self.cols], np.asarray(recordings)[ok]
        self.loc, self.scale = st.loc, st.scale
        self.Z = np.clip((self.X - self.loc) / self.scale, -Z_CAP, Z_CAP)

    def z(self, D: np.ndarray) -> np.ndarray:
        X = D[:, self.cols]
        X = X[np.isfinite(X).all(axis=1)]
        return np.clip((X - self.loc) / self.scale, -Z_CAP, Z_CAP)


def _mean_dist(A: np.ndarray, B: np.ndarray | None = None) -> float:
    from scipy.spatial.distance import cdist

    if B is None:
        n = len(A)
        return float(cdist(A, A).sum() / max(n * (n - 1), 1))
    return float(cdist(A, B).mean())


def energy(Zs: np.ndarray, Zr: np.ndarray, rr: float | None = None) -> float:
    """Energy distance 2E|X-Y| - E|X-X'| - E|Y-Y'| of two standardised samples (rows)."""
    if len(Zs) < 2:
        return _BAD
    return 2.0 * _mean_dist(Zs, Zr) - _mean_dist(Zs) - (_mean_dist(Zr) if rr is None else rr)


def sim_windows(spec: ScenarioSpec, theta: np.ndarray, seed: int, frames: int, noise: float):
    """Descriptors of the ego windows of ``frames`` frames of ``spec`` simulated at the rows of ``theta``
    (egos given ``noise`` m of position noise), and the row of ``theta`` each window comes from."""
    from ..coverage.descriptors import descriptors
    from ..coverage.report import ego_windows
    from ..sim.engine import iter_batches

    Ds, rows, offset = [], [], 0
    for k, b in enumerate(iter_batches(spec, theta, seed, record="full")):
        traj, mask, kinds, sizes, r = ego_windows(b.trajectories, b.mask, b.kinds, b.sizes, frames, frames)
        D, _ = descriptors(traj, mask, kinds, sizes, b.frame_dt(), occlusion=False, position_noise=noise,
                           noise_seed=[seed, k])
        Ds.append(D)
        rows.append(r + offset)
        offset += b.size
    if not Ds:
        return np.zeros((0, 13)), np.zeros(0, np.int64)
    return np.concatenate(Ds), np.concatenate(rows)


def _sim_descriptors(spec: ScenarioSpec, theta: np.ndarray, seed: int, frames: int, noise: float) -> np.ndarray:
    return sim_windows(spec, theta, seed, frames, noise)[0]


class _Model:
    """The family under common random numbers: theta from fixed uniforms through candidate laws."""

    def __init__(self, spec: ScenarioSpec, n: int, seed: int, frames: int, noise: float):
        self.spec, self.seed, self.frames, self.noise = spec, seed, frames, noise
        self.space = spec.parameters
        u = np.random.default_rng([seed, 0xCA1]).random((n, self.space.dim))
        self.u = np.clip(u, 1e-12, 1 - 1e-12)
        self.base = self.space.from_unit(self.u)
        self.calls = 0

    def with_laws(self, laws: dict[str, Distribution]) -> ScenarioSpec:
        ps = tuple(dataclasses.replace(p, dist=laws.get(p.name, p.dist)) for p in self.space.parameters)
        return dataclasses.replace(self.spec, parameters=ParameterSpace(ps))

    def descriptors(self, laws: dict[str, Distribution]) -> np.ndarray:
        theta = self.base.copy()
        for name, d in laws.items():
            j = self.space.index(name)
            theta[:, j] = d.ppf(self.u[:, j])
        self.calls += 1
        return _sim_descriptors(self.with_laws(laws), theta, self.seed, self.frames, self.noise)


def _quantiles(X: np.ndarray) -> np.ndarray:
    return np.nanquantile(X, QUANTILES, axis=0).T if len(X) else np.full((X.shape[1], len(QUANTILES)), np.nan)


# --------------------------------------------------------------------------- fitting


def _minimise(f, x0: np.ndarray, step: np.ndarray, maxfev: int, rel: float):
    """Powell's line searches (large moves, few evaluations per dimension) then Nelder-Mead (a
    converged simplex) over coordinates scaled by ``step``; the best point, its value, whether
    Nelder-Mead converged within ``rel`` steps, and the evaluations spent."""
    from scipy.optimize import minimize

    g = lambda z: f(x0 + z * step)  # noqa: E731
    n = len(x0)
    p = minimize(g, np.zeros(n), method="Powell", options={"maxfev": maxfev // 3, "xtol": rel, "ftol": 1e-2})
    simplex = np.vstack([p.x] + [p.x + 0.2 * np.eye(n)[i] for i in range(n)])
    res = minimize(g, p.x, method="Nelder-Mead",
                   options={"initial_simplex": simplex, "maxfev": max(maxfev - p.nfev, n + 2), "xatol": rel,
                            "fatol": 1e-2})
    best = res if res.fun <= p.fun else p
    return x0 + best.x * step, float(best.fun), bool(res.success), int(p.nfev + res.nfev)


def _fits_fields(spec: ScenarioSpec, laws: dict[str, Distribution]) -> bool:
    """Whether the family with ``laws`` written in is still valid (each law inside its field's
    range): the check the written file gets, applied to every candidate so the search stays inside."""
    try:
        parse_text(calibrated_text(spec, laws), spec.source)
    except DSLError:
        return False
    return True


def _sim_fit(model: _Model, rl: _Real, real_Z: np.ndarray, fixed: dict, start: dict, maxfev: int,
             step_share: float, tick) -> tuple[dict, float, bool, int]:
    """The laws in ``start`` fitted over their free numbers (:func:`_minimise`; the laws in ``fixed`` held), on
    the energy distance to the standardised real windows ``real_Z``; the first simplex steps
    ``step_share`` of each law's scale."""
    rr = _mean_dist(real_Z)
    names = list(start)
    sizes = [len(Dd.coords(start[n])) for n in names]
    x0 = np.concatenate([Dd.coords(start[n]) for n in names])
    step = np.concatenate([np.full(k, Dd.scale(start[n]) * step_share) for n, k in zip(names, sizes)])

    def laws_of(x):
        out, i = dict(fixed), 0
        for n, k in zip(names, sizes):
            d = Dd.rebuild(start[n], x[i:i + k])
            if d is None:
                return None
            out[n] = d
            i += k
        return out

    def f(x):
        laws = laws_of(x)
        if laws is None or not _fits_fields(model.spec, laws):
            return _BAD
        tick()
        return energy(rl.z(model.descriptors(laws)), real_Z, rr)

    x, fun, ok, nfev = _minimise(f, x0, step, maxfev, 0.015 / step_share)
    return laws_of(x), fun, ok, nfev


def calibrate(spec: ScenarioSpec, real: list[str | Path] | DescriptorSet, *, reader: str | None = None, seed: int | None = None,
              progress: bool = False) -> CalibrationResult:
    """Fit the distributions named in ``spec.calibrate.fit`` to the real logs under ``real``
    (files or folders, read with ``reader`` or by extension; or real windows already measured, a
    :class:`~scenariogen.coverage.report.DescriptorSet` of ``spec.dt`` frames) and return the calibrated family as
    YAML text with a header, its re-validated spec, and the fit's quality; writes nothing.
    ``seed`` (default the family's) fixes the common random numbers and the bootstrap: the same
    spec, logs and seed give the same result."""
    from tqdm import tqdm

    from ..coverage.report import real_descriptors

    c = spec.calibrate
    if c is None or not c.fit:
        raise CalibrationError(f"{spec.source}: the family marks nothing to fit; add a 'calibrate: {{fit: [...]}}' "
                               "block naming the distributions to fit (docs/calibration.md)")
    seed = spec.seed if seed is None else int(seed)
    window, frames = _frames(spec)
    if isinstance(real, DescriptorSet):  # already measured (a test's synthetic "real" set): no logs to read
        sets = [real]
    elif not real:
        raise CalibrationError("no real logs given")
    else:
        sets = [real_descriptors(p, reader=reader, window=window, dt=spec.dt) for p in real]
    if any(s.frames != frames for s in sets):
        raise CalibrationError(f"the real windows are not of {frames} frames of {spec.dt:g} s")
    D = np.concatenate([s.D for s in sets])
    recs = np.concatenate([s.recordings for s in sets]).astype(str)
    noise = float(np.mean([s.info["position_noise"] for s in sets]))
    logs = [p for s in sets for p in s.info.get("logs", ())]
    rl = _Real(D, recs)
    recordings = sorted(set(rl.recordings.tolist()))
    if len(recordings) < 2:
        raise CalibrationError(f"the real logs hold {len(recordings)} recording(s); calibration needs at least two "
                               "to measure how much real recordings differ")
    if len(rl.Z) < 20:
        raise CalibrationError(f"only {len(rl.Z)} usable real windows of {window:g} s; calibration needs at least 20")
    laws0 = {p.name: p.dist for p in spec.parameters.parameters if p.name in c.fit}
    idm_names = [n for n in c.fit if _IDM_RE.search(n)]
    sim_names = [n for n in c.fit if n not in idm_names]
    total = (c.evaluations + c.bootstrap * max(c.evaluations // 2, 10)) if sim_names else 0
    bar = tqdm(total=total + (len(logs) if idm_names else 0), unit="step", desc=f"calibrate {spec.name}",
               disable=not progress or None)
    try:
        fitted, episodes = {}, 0
        if idm_names and not logs:
            raise CalibrationError(f"{', '.join(idm_names)}: IDM parameters are fitted per trajectory on logs, and "
                                   "none were given")
        if idm_names:
            fitted, episodes = _idm_fit(spec, laws0, idm_names, logs, reader, c.bootstrap, seed, bar.update)
        model = _Model(spec, c.scenarios, seed, frames, noise)
        fixed = {n: fitted[n][0] for n in idm_names}
        sim_fit: dict = {}
        if sim_names:
            start = {n: laws0[n] for n in sim_names}
            laws, fun, ok, nfev = _sim_fit(model, rl, rl.Z, fixed, start, c.evaluations, 0.5, lambda: bar.update(1))
            if not ok or laws is None:
                raise CalibrationError(
                    f"the fit did not converge in {c.evaluations} evaluations (energy distance {fun:.3f}); raise "
                    "'calibrate.evaluations', fit fewer parameters, or check that the family can reach the real "
                    "traffic at all")
            boots = []
            rng = np.random.default_rng([seed, 0xB007])
            for b in range(c.bootstrap):
                pick = rng.choice(recordings, len(recordings), replace=True)
                Zb = np.concatenate([rl.Z[rl.recordings == r] for r in pick])
                mb = _Model(spec, c.scenarios, seed + 1 + b, frames, noise)
                lb, *_ = _sim_fit(mb, rl, Zb, fixed, {n: laws[n] for n in sim_names},
                                  max(c.evaluations // 2, 10), 0.25, lambda: bar.update(1))
                boots.append(np.concatenate([Dd.coords(lb[n]) for n in sim_names]))
            sds = np.std(np.array(boots), axis=0, ddof=1) if len(boots) > 1 else np.full(sum(
                len(Dd.coords(laws[n])) for n in sim_names), np.nan)
            i = 0
            for n in sim_names:
                k = len(Dd.coords(laws[n]))
                sim_fit[n] = (laws[n], tuple(sds[i:i + k]))
                i += k
    finally:
        bar.close()
    fitted.update(sim_fit)
    after = {n: fitted[n][0] for n in c.fit}
    params = tuple(FittedParameter(n, "idm per trajectory" if n in idm_names else "simulation", laws0[n], after[n],
                                   Dd.coord_names(after[n]), tuple(float(v) for v in Dd.coords(after[n])),
                                   tuple(float(s) for s in fitted[n][1])) for n in c.fit)
    # the written file is re-read: what is reported after is exactly what the file holds
    body = calibrated_text(spec, after)
    try:
        new_spec = parse_text(body, spec.source)
    except DSLError as exc:  # a fitted law left a field's range
        raise CalibrationError(f"the fitted distributions do not fit the family's fields:\n{exc}") from None
    check = _Model(new_spec, c.scenarios, seed, frames, noise)
    Zb = rl.z(D_before := model.descriptors({}))
    D_after = check.descriptors({})
    Za = rl.z(D_after)
    rr = _mean_dist(rl.Z)
    e_before, e_after = energy(Zb, rl.Z, rr), energy(Za, rl.Z, rr)
    rows, band_e = _descriptor_rows(rl, D_before, D_after, seed)
    if e_after > e_before:  # the same scenarios and streams: a real loss, not sampling noise
        how = ", ".join(f"{p.name} ({p.method})" for p in params)
        raise CalibrationError(
            f"{spec.source}: the fitted family is further from the real windows than the family as written "
            f"(energy distance {e_after:.3f} after, {e_before:.3f} before; real vs real {band_e[0]:.3f} to "
            f"{band_e[1]:.3f}), so nothing was written; fitted: {how}. Fit fewer parameters, fit the "
            "per-trajectory ones by simulation through named parameters, or raise 'calibrate.evaluations'")
    res = CalibrationResult(text="", spec=new_spec, parameters=params, descriptors=rows, distance_before=e_before,
                            distance_after=e_after, distance_band=band_e,
                            evaluations=model.calls, real={"windows": int(len(rl.Z)), "window": window,
                                                           "recordings": recordings, "logs": logs,
                                                           "episodes": episodes, "position_noise": noise,
                                                           "reader": reader or "by extension",
                                                           "constant": dict(rl.ignored)})
    text = header(res, seed) + body
    return dataclasses.replace(res, text=text, spec=parse_text(text, spec.source))


def _descriptor_rows(rl: _Real, D_before: np.ndarray, D_after: np.ndarray, seed: int):
    from ..coverage.baseline import group_splits

    Xb, Xa = D_before[:, rl.cols], D_after[:, rl.cols]
    qr, qb, qa = _quantiles(rl.X), _quantiles(Xb), _quantiles(Xa)
    med = np.median(rl.Z, axis=0)
    zb, za = rl.z(D_before), rl.z(D_after)
    shift_b = np.median(zb, axis=0) - med
    shift_a = np.median(za, axis=0) - med
    shifts, es = [], []
    for held in group_splits(rl.recordings, BAND_SPLITS, seed, share=0.5):
        h = np.isin(rl.recordings, held)
        shifts.append(np.median(rl.Z[h], axis=0) - np.median(rl.Z[~h], axis=0))
        es.append(energy(rl.Z[h], rl.Z[~h]))
    S = np.array(shifts)
    rows = tuple(DescriptorFit(n, tuple(qr[j]), tuple(qb[j]), tuple(qa[j]), float(shift_b[j]), float(shift_a[j]),
                               (float(S[:, j].min()), float(S[:, j].max()))) for j, n in enumerate(rl.names))
    return rows, (float(min(es)), float(max(es)))


def _idm_fit(spec, laws0, names, logs, reader, n_boot, seed, tick):
    """Per-trajectory IDM fits on the logs; each named law takes the episodes' median and robust sd."""
    from ..coverage.report import recording_of
    from ..logs import read_log
    from .idm import IdmFits, fit_scenes

    parts = []
    for p in logs:
        scenes = read_log(p, reader, dt=spec.dt) if reader else read_log(p, dt=spec.dt)
        parts.append(fit_scenes(scenes, np.full(scenes.size, recording_of(p), dtype=object)))
        tick(1)
    fits = IdmFits.concat(parts)
    P, R = fits.params, fits.recordings.astype(str)
    if len(P) < 10:
        raise CalibrationError(f"the real logs hold {len(P)} car-following episodes of 4 s or more; the IDM "
                               "parameters need at least 10")
    refuse_unidentified(spec, fits, names)

    def law(Psub, name):
        j = IDM_KEYS.index(_IDM_RE.search(name).group(1))
        q25, q50, q75 = np.quantile(Psub[:, j], [0.25, 0.5, 0.75])
        return Dd.moment_match(laws0[name], q50, (q75 - q25) / 1.349)

    rng = np.random.default_rng([seed, 0x1D3])
    recs = sorted(set(R.tolist()))
    boots = {n: [] for n in names}
    for _ in range(n_boot):
        pick = rng.choice(recs, len(recs), replace=True)
        Pb = np.concatenate([P[R == r] for r in pick])
        for n in names:
            boots[n].append(Dd.coords(law(Pb, n)))
    out = {}
    for n in names:
        sd = np.std(np.array(boots[n]), axis=0, ddof=1) if n_boot > 1 else np.full(len(Dd.coords(laws0[n])), np.nan)
        out[n] = (law(P, n), tuple(sd))
    return out, int(len(P))


def refuse_unidentified(spec: ScenarioSpec, fits, names: list[str]) -> None:
    """Refuse the per-trajectory IDM parameters ``names`` that the episodes of ``fits`` (an
    :class:`~scenariogen.calibrate.idm.IdmFits`) do not identify: the middle half of their
    estimates spans more than :data:`~scenariogen.calibrate.idm.MAX_SPREAD` of the range of the fit,
    or more than :data:`~scenariogen.calibrate.idm.MAX_AT_BOUND` of them sit at its bounds. The
    error is at the parameter's item of ``calibrate.fit`` when the family's text is known."""
    from .idm import MAX_AT_BOUND, MAX_SPREAD, bounds

    bad = {}
    for n in names:
        key = _IDM_RE.search(n).group(1)
        q25, q75, share = fits.spread(key)
        at = fits.share_at_bound(key)
        if share > MAX_SPREAD or at > MAX_AT_BOUND:
            lo, hi = bounds(key)
            bad[n] = (f"{n} is not identified by the logs' car-following episodes: the middle half of their "
                      f"{fits.size} per-trajectory estimates spans {q25:.3g} to {q75:.3g}, {share:.0%} of the range "
                      f"{lo:g} to {hi:g} the fit allows, and {at:.0%} sit at its bounds (identified: at most "
                      f"{MAX_SPREAD:.0%} and {MAX_AT_BOUND:.0%}), so a law fitted to them would describe that range, "
                      "not the drivers (docs/calibration.md); fit it by simulation through a named parameter (declare "
                      f"it under 'params:', write '{key}: $NAME' and list NAME in 'fit') or leave it out of 'fit'")
    if bad:
        raise _at_fit_lines(spec, bad)


def _at_fit_lines(spec: ScenarioSpec, messages: dict[str, str]) -> ScenarioGenError:
    """An error per fitted parameter (name -> message) at its item of ``calibrate.fit`` in the
    family's text (a :class:`DSLError`); a :class:`CalibrationError` naming the file when the text
    or the item cannot be found."""
    from ..dsl.reader import NodeReader
    from ..dsl.yamlmarks import LoadError, YMap, YSeq, load

    try:
        root = load(spec.source_text)[0] if spec.source_text else None
    except LoadError:
        root = None
    cal = root.get("calibrate") if isinstance(root, YMap) else None
    items = cal.get("fit") if isinstance(cal, YMap) else None
    if isinstance(items, YSeq):
        r = NodeReader(spec.source, spec.source_text)
        for i, (item, mark) in enumerate(zip(items, items.item_marks)):
            key = item[1:] if isinstance(item, str) and item.startswith("$") else item
            if key in messages:
                r.error(mark, f"calibrate.fit[{i}]", messages[key])
        if len(r.problems) == len(messages):
            return DSLError(r.problems)
    return CalibrationError("\n".join(f"{spec.source}: {m}" for m in messages.values()))


__all__ = ["TYPICAL", "CalibrationResult", "DescriptorFit", "FittedParameter", "calibrate", "energy"]
