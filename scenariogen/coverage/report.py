"""``scenariogen coverage``: descriptors of a synthetic run and of real logs, scored, written as a report.

The synthetic side is a ``scenariogen generate`` run directory (its kept scenarios, with the
importance weight of each from the shard's ``sim/log_weight``) or an ``.npz`` batch of
``scenariogen simulate`` (weight 1). The real side is a log file or a directory of logs read
with the log readers and cut into windows with each eligible vehicle as the ego
(:func:`scenariogen.logs.make_windows`). Both sides are measured on windows of the same
length (default: the simulated duration), resampled to the simulation's frame step.

The report directory holds ``report.json`` (every number), ``report.md`` (verdicts first, then
tables) and PNG plots; it is built in a temporary folder and renamed into place when complete.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import math
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..errors import ParameterError, ScenarioGenError
from ..data.files import jsonable
from ..data.files import check_report_dir, directory_written_whole
from ..data.layout import TYPICAL_DESCRIPTORS
from .artefacts import REASONS, AnnotationRules, annotation_errors
from .derivatives import SMOOTH_WINDOW, noise_sd, noise_stats
from .measurement import MeasurementNoise
from .descriptors import DESCRIPTOR_NAMES, DESCRIPTOR_UNITS, RISKY_SIDE, descriptors
from ..errors import TooFewSamplesError
from .assess import Assessment, assess
from .metrics import CoverageResult, CoverageSettings
from .typical import TypicalTraffic, typical_traffic
from .verdict import Thresholds, summary, training_mix

REPORT_FORMAT = "scenariogen-coverage/2"


@dataclass(frozen=True, eq=False)
class DescriptorSet:
    """Descriptor rows of one side: ``D`` (n, 13) raw units, optional importance ``weights`` (n,),
    the frame step ``dt`` (s) and frames per window, what was read (``info``), ``groups`` (n,):
    the source each window was cut from (a simulated scenario's index; a real log, scene and ego
    track), and ``recordings`` (n,): the independent unit it belongs to (a simulated scenario; a
    real recording, see :func:`recording_of`). Real windows of one recording share traffic, so
    the classifier's folds and the real-vs-real baseline split real data by recording."""

    D: np.ndarray
    weights: np.ndarray | None
    dt: float
    frames: int
    info: dict
    groups: np.ndarray | None = None
    recordings: np.ndarray | None = None


def ego_windows(traj, mask, kinds, sizes, W: int, S: int):
    """Windows of W frames every S frames of simulated scenarios, agent 0 (the ego) kept as the ego;
    returns the stacked arrays and, per window, its scenario row. A window counts under the rule of
    the real side (:func:`scenariogen.logs.make_windows`): the ego present throughout and moving at
    its kind's least mean speed; a crashed ego standing still gives frozen, identical windows."""
    from ..logs.windows import min_ego_speed_default
    from ..data import layout as Lo

    T = traj.shape[2]
    W = min(W, T)
    vmin = np.array([min_ego_speed_default(int(k)) for k in kinds[:, 0]])
    parts, rows = [], []
    for start in range(0, T - W + 1, S):
        speed = np.where(mask[:, 0, start:start + W], traj[:, 0, start:start + W, Lo.F_SPEED], np.nan)
        with np.errstate(invalid="ignore"):
            moving = np.nanmean(speed, axis=1) >= vmin  # all-nan rows (ego absent) compare False
        ok = mask[:, 0, start:start + W].all(axis=1) & moving
        idx = np.flatnonzero(ok)
        parts.append((traj[idx, :, start:start + W], mask[idx, :, start:start + W], kinds[idx], sizes[idx]))
        rows.append(idx)
    return (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]),
            np.concatenate([p[2] for p in parts]), np.concatenate([p[3] for p in parts]), np.concatenate(rows))


def _shards(run: Path):
    """The shards holding kept scenarios of a run directory (or the one .npz), a reader for each,
    and what the report says about the run."""
    from ..data.npz import load_npz
    from ..data.run import open_run

    if not run.exists():
        raise ScenarioGenError(f"{run}: no such run directory or .npz file")
    if run.is_dir():
        opened = open_run(run)
        m = opened.manifest
        shards = [(opened.shard_path(rec), (lambda rec=rec: opened.read_shard(rec))) for rec in m.shards
                  if rec.kept > 0]
        info = {"kind": "run", "path": str(run), "spec_name": m.spec_name, "spec_hash": m.spec_hash,
                "settings": m.settings, "totals": asdict(m.totals), "complete": m.complete}
        if not shards:
            raise ScenarioGenError(f"{run}: the run kept no scenarios to score")
    elif run.suffix.lower() == ".npz":
        shards = [(run, lambda: (load_npz(run), None))]
        info = {"kind": "npz", "path": str(run)}
    else:
        raise ScenarioGenError(f"{run}: not a run directory or an .npz batch of 'scenariogen simulate'")
    return shards, info


def _frames(path, b, window: float | None) -> tuple[float, int]:
    """The frame step (s) of a batch and the frames of a ``window`` (s; default: the whole simulation)."""
    if b.trajectories.shape[2] == 0:
        raise ScenarioGenError(f"{path}: holds metrics only (no trajectories); simulate without --metrics-only")
    dt = b.frame_dt()
    T = b.trajectories.shape[2]
    frames = T if window is None else round(window / dt)
    if frames < 2 or frames > T:
        raise ParameterError("window", f"{window} s: must span 2 to {T} frames of {dt:g} s "
                               f"(the simulated duration is {(T - 1) * dt:g} s)")
    return float(dt), int(frames)


def synthetic_timing(run, *, window: float | None = None) -> tuple[float, int]:
    """The frame step (s) of a run (or .npz) and the frames of its windows, from its first shard."""
    shards, _info = _shards(Path(run))
    path, read = shards[0]
    return _frames(path, read()[0], window)


def synthetic_descriptors(run, *, window: float | None = None, stride: float | None = None,
                          progress: bool = False, position_noise: float = 0.0, seed: int = 0) -> DescriptorSet:
    """Descriptors of a run directory's kept scenarios (weights from ``sim/log_weight``) or of a
    simulated ``.npz`` batch, shard by shard. ``window`` (s, default the whole simulation) cuts
    each scenario into ego windows every ``stride`` seconds (default: the window).
    ``position_noise`` (m): the real logs' measured position noise, added to the egos' positions
    (seeded by ``seed`` and the shard) before the derivative descriptors' filter; or a
    :class:`~scenariogen.coverage.measurement.MeasurementNoise` (``info['measurement_noise']``)."""
    from tqdm import tqdm

    run = Path(run)
    shards, info = _shards(run)
    Ds, ws, gs = [], [], []
    dt = frames = None
    n_scen = 0
    for k, (path, read) in enumerate(tqdm(shards, desc="synthetic descriptors", unit="shard",
                                          disable=not progress or None)):
        b, sim = read()
        bdt = b.frame_dt()
        if dt is None:
            dt, frames = _frames(path, b, window)
        elif b.trajectories.shape[2] == 0:
            raise ScenarioGenError(f"{path}: holds metrics only (no trajectories); simulate without --metrics-only")
        step = frames if stride is None else max(1, round(stride / dt))
        traj, mask, kinds, sizes, rows = ego_windows(b.trajectories, b.mask, b.kinds, b.sizes, frames, step)
        D, _ = descriptors(traj, mask, kinds, sizes, bdt, position_noise=position_noise, noise_seed=[seed, k])
        Ds.append(D)
        gs.append(np.asarray(b.indices, np.int64)[rows] if b.indices is not None else rows + n_scen)
        n_scen += b.size
        if sim is not None:
            lw = dict(zip(np.asarray(sim["index"]).tolist(), np.asarray(sim["log_weight"], float).tolist()))
            try:
                w = np.exp(np.array([lw[int(i)] for i in np.asarray(b.indices)[rows]]))
            except KeyError as exc:
                raise ScenarioGenError(f"{path}: kept scenario {exc} has no sim/log_weight entry") from None
        else:
            w = np.ones(len(rows))
        ws.append(w)
    info.update(scenarios=n_scen, windows=int(sum(len(d) for d in Ds)))
    groups = np.concatenate(gs)
    if info["windows"] == 0:
        raise ScenarioGenError(f"{run}: no window of {frames} frames has a moving ego (a mean speed of at least "
                               "1 m/s, 0.3 for a pedestrian, as the real windows need); try a shorter window")
    if isinstance(position_noise, MeasurementNoise):  # reported, never silent
        info["position_noise"] = None
        info["measurement_noise"] = position_noise.as_dict()
    else:
        info["position_noise"] = position_noise
    if info.get("kind") == "run" and (info.get("settings") or {}).get("keep") == "events":
        info["note"] = ("the run kept only its target events: the synthetic set is conditional on the event, and "
                        "its weighted shares are conditional too")
    return DescriptorSet(np.concatenate(Ds), np.concatenate(ws), float(dt), int(frames), info, groups, groups)


def _log_paths(path: Path, reader) -> list[Path]:
    """The logs under a directory: files with a reader's extension and log directories (taken whole)."""
    from ..logs import installed_readers

    readers = [reader] if reader is not None else installed_readers()
    exts = {e for r in readers for e in getattr(r, "extensions", ())}
    out = []
    for root, dirs, files in os.walk(path):
        here = Path(root)
        if here != path and any(getattr(r, "sniff", lambda p: False)(here) for r in readers):
            out.append(here)
            dirs[:] = []
            continue
        dirs.sort()
        out.extend(here / f for f in sorted(files) if Path(f).suffix.lower() in exts and not f.startswith("."))
    return out


def _reader_object(name: str | None):
    """The reader called ``name`` (built-in or plugin) and how to name it in messages; (None, "") for
    automatic choice. A plugin whose ``read`` cannot take ``dt=`` is refused here, by name and
    distribution, before any log is read."""
    if name is None:
        return None, ""
    from ..logs import readers

    reg = readers()
    obj = reg.get(name)  # raises listing the valid names
    entry = next((e for e in reg.entries() if e.name == name), None)
    where = f"reader plugin {name!r}" + (f" from distribution {entry.origin} ({entry.value})" if entry else "")
    _require_dt(obj, where)
    return obj, where


def _require_dt(reader, where: str) -> None:
    """Refuse a reader whose ``read`` takes no ``dt`` keyword: both sides must share one frame step."""
    try:
        sig = inspect.signature(reader.read)
    except (TypeError, ValueError):  # not introspectable (a C function): the call will tell
        return
    try:
        sig.bind("log", dt=0.1)
    except TypeError:
        raise ScenarioGenError(
            f"{where} cannot be used for coverage: its read{sig} takes no 'dt' keyword, and real logs must be "
            "resampled to the simulation's frame step; the plugin needs read(path, *, dt=seconds, ...)") from None


# CommonRoad benchmark ids: COUNTRY_MAP-CONFIGURATION_PREDICTION_T-VERSION (optionally C- in front,
# S- or P- for other prediction types); the slices (prediction ids) of one configuration share traffic
_COMMONROAD_ID = re.compile(r"^(?:C-)?([A-Z]{3}_[A-Za-z0-9]+-\d+)_\d+_[A-Z]+-\d+$")


def recording_of(path) -> str:
    """The recording a real log belongs to: logs of one recording share traffic and are never split
    between the two sides of a real-vs-real comparison or of a classifier fold. A CommonRoad
    benchmark id ``USA_US101-22_1_T-1`` belongs to recording ``USA_US101-22`` (its slices
    ``_1``, ``_10``, ... share vehicles); any other log is its own recording, whole: when a reader
    splits a long log into several scenes (:func:`scenariogen.logs.read_log`), those are
    consecutive stretches of one recording that share vehicles, so they are never separated.
    (The scenarios of a scenariogen run or batch read as logs share nothing: :func:`real_descriptors`
    makes each one its own recording, ``PATH#SCENE``.)"""
    p = Path(path)
    m = _COMMONROAD_ID.match(p.stem) if p.suffix.lower() == ".xml" else None
    return m.group(1) if m else str(p)


def real_descriptors(path, *, reader: str | None = None, window: float, dt: float, stride: float | None = None,
                     progress: bool = False, rules: AnnotationRules = AnnotationRules(),
                     smooth: float | None = SMOOTH_WINDOW) -> DescriptorSet:
    """Descriptors of real logs: one file or log directory, or every log under a directory (files no
    reader can read are skipped and listed in ``info['skipped']``; a log named directly must read).
    Windows of ``window`` seconds every ``stride`` seconds (default: disjoint windows), resampled to
    ``dt`` seconds, each eligible vehicle taking the ego's role. Windows with an annotation error
    (:func:`~scenariogen.coverage.artefacts.annotation_errors` under ``rules``) are left out and
    counted in ``info['annotation_errors']`` (per reason) and ``info['excluded']`` (per log).
    ``smooth``: the derivative descriptors' filter window (s), as for the synthetic side.
    ``info['position_noise']``: the egos' position noise (m, pooled over the logs; per log in
    ``position_noise_by_log``) measured around that filter's fit, which the synthetic side is given."""
    from tqdm import tqdm

    from ..logs import make_windows

    path = Path(path)
    paths, r, is_log = _log_files(path, reader, "real")
    Ds, gs, rs, skipped, used, excluded, noise = [], [], [], {}, {}, {}, {}
    for p in tqdm(paths, desc="real descriptors", unit="log", disable=not progress or None):
        try:
            scenes = _read(p, r, dt)
        except ScenarioGenError as exc:  # LogFormatError, MissingDependencyError, a reader's other errors
            if is_log:
                raise
            skipped[str(p)] = str(exc)
            continue
        if not math.isclose(scenes.dt, dt, rel_tol=1e-6):  # only a simulated log keeps its own frame step
            raise ScenarioGenError(f"{p}: frames every {scenes.dt:g} s, not the {dt:g} s of the other side; a "
                                   "scenariogen run used as real data must be recorded at every step")
        n_scenes = scenes.size
        # simulated scenarios read as logs (scenariogen's own runs) share no traffic: each is a recording
        simulated = all(v.get("format") == "scenariogen" for v in scenes.info.values())
        # several scenes in one file may reuse track ids: tag them with the scene
        tag = np.char.add(np.arange(n_scenes).astype(str)[:, None], ":")
        scenes = dataclasses.replace(scenes, track_ids=np.char.add(tag, scenes.track_ids.astype(str)).astype(object))
        w = make_windows(scenes, window, stride=window if stride is None else stride)
        if w.size == 0:
            skipped[str(p)] = f"no window of {window:g} s with an eligible ego (log lasts {scenes.duration:g} s)"
            continue
        flags = annotation_errors(w.trajectories, w.mask, w.kinds, w.sizes, w.dt, rules)
        clean = flags == ""
        if not clean.all():
            excluded[str(p)] = {r: int((flags == r).sum()) for r in REASONS if (flags == r).any()}
        D, _ = descriptors(w.trajectories[clean], w.mask[clean], w.kinds[clean], w.sizes[clean], w.dt, smooth=smooth)
        ss, cnt = noise_stats(w.trajectories[clean], w.mask[clean], w.dt, smooth or SMOOTH_WINDOW)
        noise[str(p)] = (ss, cnt)
        # a window's source: this log and the ego's track (agent 0 of the window), without the scene
        # tag: the scenes of a long log are consecutive stretches of one recording, and a track
        # present in several of them is one vehicle; every window of the file is one recording.
        # A simulated log's scenes are independent scenarios: each is its own source and recording.
        tids = [str(t).split(":", 1) for t in w.track_ids[clean, 0]]
        if simulated:
            g = np.array([f"{p}|{scene}|{tid}" for scene, tid in tids], dtype=object)
            rec = np.array([f"{recording_of(p)}#{scene}" for scene, _tid in tids], dtype=object)
        else:
            g = np.array([f"{p}|{src}|{tid}" for src, (_scene, tid) in zip(w.sources[clean], tids)], dtype=object)
            rec = np.full(len(g), recording_of(p), dtype=object)
        ok = np.isfinite(D).any(axis=1)
        Ds.append(D[ok])
        gs.append(g[ok])
        rs.append(rec[ok])
        used[str(p)] = int(ok.sum())
    if not Ds:
        why = "; ".join(f"{k}: {v}" for k, v in list(skipped.items())[:5])
        raise ParameterError("real", f"{path}: no usable real windows of {window:g} s"
                             + (f" ({why})" if why else "") + "; try a shorter window")
    D = np.concatenate(Ds)
    groups = np.concatenate(gs)
    recs = np.concatenate(rs)
    counts = {r: sum(v.get(r, 0) for v in excluded.values()) for r in REASONS}
    win = smooth or SMOOTH_WINDOW
    pooled = noise_sd(sum(v[0] for v in noise.values()), sum(v[1] for v in noise.values()), dt, win)
    return DescriptorSet(D, None, float(dt), round(window / dt),
                         {"path": str(path), "logs": used, "skipped": skipped, "windows": len(D),
                          "sources": len(set(groups.tolist())), "recordings": len(set(recs.tolist())),
                          "annotation_errors": counts, "excluded": excluded, "annotation_rules": asdict(rules),
                          "position_noise": pooled,
                          "position_noise_by_log": {k: noise_sd(*v, dt, win) for k, v in noise.items()}},
                         groups, recs)


def measure_noise(path, *, reader: str | None = None, dt: float):
    """The :class:`~scenariogen.coverage.measurement.MeasurementNoise` of the logs at ``path`` (a log
    or a directory of logs, resampled to ``dt`` s), fitted on every moving vehicle's stretches."""
    from ..logs.base import VEHICLE_KINDS
    from .measurement import empty_spectra, fit, spectra

    path = Path(path)
    paths, r, is_log = _log_files(path, reader, "measurement_noise")
    sp = empty_spectra(dt)
    for p in paths:
        try:
            scenes = _read(p, r, dt)
        except ScenarioGenError:
            if is_log:
                raise
            continue
        if not math.isclose(scenes.dt, dt, rel_tol=1e-6):
            raise ScenarioGenError(f"{p}: frames every {scenes.dt:g} s, not the {dt:g} s of the simulated side")
        sp = sp + spectra(scenes.trajectories, scenes.mask, dt, kinds=np.isin(scenes.kinds, VEHICLE_KINDS))
    try:
        return fit(sp)
    except ValueError as exc:
        raise ParameterError("measurement_noise", f"{path}: {exc}") from None


def _log_files(path: Path, reader: str | None, param: str):
    """(paths, reader object or None, is_log) for a log or a folder of logs named by option ``param``;
    an error naming the option when it does not exist or holds no log."""
    if not path.exists():
        raise ParameterError(param, f"{path}: no such file or directory")
    r, _where = _reader_object(reader)
    is_log = path.is_file() or any(getattr(x, "sniff", lambda p: False)(path)
                                   for x in ([r] if r is not None else _all_readers()))
    paths = [path] if is_log else _log_paths(path, r)
    if not paths:
        raise ParameterError(param, f"{path}: no log files found (readers: {', '.join(_all_names())})")
    return paths, r, is_log


def _read(p, r, dt: float):
    from ..logs import read_log

    return read_log(p, reader=r, dt=dt) if r is not None else read_log(p, dt=dt)


def _all_readers():
    from ..logs import installed_readers

    return installed_readers()


def _all_names():
    from ..logs import readers

    return readers().names()


# ----------------------------------------------------------------------------- report


CALIBRATED = ("density", "coverage", "off_support", "vendi_ratio", "duplicate_excess", "auc")


def _band(b) -> dict | None:
    return None if not b.n else {"median": b.median, "lo": b.lo, "hi": b.hi, "splits": b.n}


def typical_dict(ty: TypicalTraffic) -> dict:
    """The typical-traffic block of ``report.json``: the descriptors, per number its synthetic value,
    real-vs-real band, value against all real windows, whether it is inside and whether it tells the
    set from real data (:meth:`~scenariogen.coverage.typical.TypicalTraffic.numbers`), and the
    numbers that do."""
    nums = {k: dict(v, band=_band(v["band"])) for k, v in ty.numbers().items()}
    return {"descriptors": list(ty.names), "numbers": nums, "indistinguishable": ty.indistinguishable(),
            "telling": [k for k, v in nums.items() if v["tells"]]}


def report_dict(a: Assessment, thresholds: Thresholds, synthetic: DescriptorSet, real: DescriptorSet,
                typical: TypicalTraffic | None = None) -> dict:
    """Every number of the report as one JSON-ready dict (``typical``: the typical-traffic block)."""
    from .._version import __version__

    result, vs, bl, cal = a.result, a.verdicts, a.baseline, a.calibration
    st = result.standardiser
    main = {"density": result.fidelity.density, "coverage": result.fidelity.coverage,
            "off_support": result.fidelity.off_support, "vendi_ratio": result.diversity.vendi_ratio,
            "duplicate_excess": result.diversity.duplicate_rate - result.diversity.duplicate_rate_real,
            "auc": result.classifier.auc if result.classifier is not None else None}
    keys = sorted(set(bl.real) | set(cal.synthetic))
    # strict JSON: an undefined (non-finite) number is null
    return jsonable({
        "format": REPORT_FORMAT,
        "version": __version__,
        "summary": summary(vs),
        "verdicts": [asdict(v) for v in vs],
        "training": training_mix(vs),
        "thresholds": asdict(thresholds),
        "settings": asdict(result.settings),
        "synthetic": {**synthetic.info, "dt": synthetic.dt, "window_frames": synthetic.frames,
                      "rows": len(synthetic.D)},
        "real": {**real.info, "dt": real.dt, "window_frames": real.frames, "rows": len(real.D)},
        "baseline": {"unit": bl.unit, "groups": bl.groups, "splits": len(bl.held_out), "held_out": bl.held_out,
                     "held_out_windows": bl.sizes, "synthetic_windows": cal.sizes, "note": bl.note,
                     "calibrated": {k: {"synthetic": cal.value(k), "real": _band(cal.band(k)),
                                        "all_real": main.get(k)} for k in CALIBRATED},
                     "numbers": {k: {"synthetic": cal.value(k), "real": _band(cal.band(k))} for k in keys}},
        "typical": typical_dict(typical) if typical is not None else None,
        "descriptors": {n: {"unit": DESCRIPTOR_UNITS[n], "risky_side": RISKY_SIDE[n],
                            "used": n in st.names,
                            "loc": float(st.loc[st.names.index(n)]) if n in st.names else None,
                            "scale": float(st.scale[st.names.index(n)]) if n in st.names else None,
                            "real_vs_real_separation": a.separation.get(n),
                            "ignored": (f"separates real from real (median |2 AUC - 1| {a.separation[n]:.2f} over the "
                                        f"splits, limit {result.settings.unreliable_separation:g})"
                                        if n in a.unreliable else result.ignored.get(n))}
                        for n in DESCRIPTOR_NAMES},
        "counts": {"real": result.n_real, "synthetic": result.n_synthetic, "dropped_real": result.dropped_real,
                   "dropped_synthetic": result.dropped_synthetic, "weighted": result.weighted,
                   "annotation_errors": real.info.get("annotation_errors", {})},
        "tails": [asdict(t) for t in result.tails],
        "tail_test": asdict(result.tail_test) if result.tail_test is not None else None,
        "fidelity": asdict(result.fidelity),
        "diversity": asdict(result.diversity),
        "classifier": asdict(result.classifier) if result.classifier is not None else None,
        "notes": list(result.notes),
    }, nonfinite_as_null=True)


def _f(x, nd=3) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    return f"{x:.{nd}g}"


def _fb(b) -> str:
    """A real-vs-real band as 'median (lo to hi)'."""
    return "-" if not b else f"{_f(b['median'])} ({_f(b['lo'])} to {_f(b['hi'])})"


NAMES = {"density": "density (k-NN balls)", "coverage": "coverage", "off_support": "off-support rate",
         "vendi_ratio": "Vendi ratio (order 1), synthetic / real", "duplicate_excess": "duplicate rate over the real one",
         "auc": "classifier AUC"}


def _measurement_line(me: dict) -> str:
    """How the simulated egos were measured before the derivative descriptors' filter."""
    if me["model"] == "white":
        return (f"**Measurement model:** the simulated egos' positions get white noise of {me['sd']:.3f} m per axis "
                f"(measured on `{me['fitted_on']}`) before the derivative filter.")
    return (f"**Measurement model:** the simulated egos' positions get the logs' smoothed position noise, fitted on "
            f"`{me['fitted_on']}` ({me['stretches']} vehicle stretches): {me['along_sd']:.3f} m along the heading "
            f"(smoothing {me['along_smooth']:.3f} s), {me['across_sd']:.3f} m across ({me['across_smooth']:.3f} s), "
            "before the derivative filter (docs/coverage.md, \"Measured like the logs\").")


def report_markdown(rep: dict, plots: list[str]) -> str:
    """The human report: verdicts first, then the baseline and the tables."""
    L = ["# Tail coverage report", ""]
    syn, real, bl = rep["synthetic"], rep["real"], rep["baseline"]
    errs = rep["counts"].get("annotation_errors") or {}
    L.append(f"Synthetic: `{syn['path']}` ({syn.get('spec_name') or syn['kind']}, {rep['counts']['synthetic']} windows "
             f"of {syn['window_frames']} frames x {syn['dt']:g} s). Real: `{real['path']}` "
             f"({len(real['logs'])} logs, {real.get('recordings', '?')} recordings, {rep['counts']['real']} windows"
             + (f"; {sum(errs.values())} windows left out as annotation errors: "
                + ", ".join(f"{v} {k}" for k, v in errs.items() if v) if sum(errs.values()) else "") + ").")
    me = rep.get("measurement")
    if me:
        L += ["", _measurement_line(me)]
    L += ["", f"**Verdict: {rep['summary']}**", ""]
    for v in rep["verdicts"]:
        mark = "YES" if v["fired"] else "no"
        L.append(f"- **{v['name']}**: {mark}. {v['message']}")
        for act in v.get("actions") or ():
            L.append(f"  - {act}")
    ty = rep.get("typical")
    if ty:
        L += ["", _typical_line(ty)]
    tr = rep.get("training")
    if tr:
        L += ["", f"**Training on it:** {tr['advice']}."]
    if syn.get("note"):
        L += ["", f"Note: {syn['note']}."]
    for n in rep["notes"]:
        L.append(f"- note: {n}")
    L += ["", "## Real versus real", "",
          (f"The real windows were split {bl['splits']} ways leaving whole {bl['unit']}s out ({bl['groups']} "
           f"{bl['unit']}s; about half held out each time). Each held-out side was scored against its reference "
           "like a synthetic set, and the synthetic set against the same references at the held-out side's size: "
           "a verdict fires only outside the real-versus-real range." + (f" {bl['note']}." if bl.get("note") else "")),
          "", "All descriptors, and typical traffic alone (" + (", ".join(ty["descriptors"]) if ty else "not scored")
          + "; the AUC's synthetic value is the one against all real windows):", "",
          "| number | synthetic (median over the splits) | real vs real: median (range) | synthetic vs all real | "
          "typical traffic: synthetic | typical traffic: real vs real |",
          "| --- | --- | --- | --- | --- | --- |"]
    for k, v in bl["calibrated"].items():
        t = (ty or {}).get("numbers", {}).get(k)
        typ = f"{_f(t['synthetic'])} | {_fb(t['band'])}" if t else "- | -"
        L.append(f"| {NAMES[k]} | {_f(v['synthetic'])} | {_fb(v['real'])} | {_f(v['all_real'])} | {typ} |")
    f, d, c = rep["fidelity"], rep["diversity"], rep["classifier"]
    L += ["", "## Fidelity, coverage, diversity, artefacts (synthetic against all real windows)", "",
          "| metric | value |", "| --- | --- |",
          f"| density (k = {f['k']}) | {_f(f['density'])} |", f"| coverage | {_f(f['coverage'])} |",
          f"| off-support rate | {_f(f['off_support'])} |",
          (f"| Vendi order 1, synthetic / real (n = {d['n']}) | {_f(d['vendi_synthetic'])} / {_f(d['vendi_real'])} "
           f"(ratio {_f(d['vendi_ratio'])}) |"),
          (f"| Vendi order 0.5, synthetic / real | {_f(d['vendi_synthetic_half'])} / {_f(d['vendi_real_half'])} "
           f"(ratio {_f(d['vendi_ratio_half'])}) |"),
          f"| duplicate rate, synthetic / real | {_f(d['duplicate_rate'])} / {_f(d['duplicate_rate_real'])} |"]
    if c is not None:
        L += [(f"| classifier accuracy ({c['folds']}-fold, {c['n_per_class']} per class"
               + (f", folds grouped: {c['groups_real']} real {bl['unit']}s, {c['groups_synthetic']} synthetic "
                  "scenarios" if c.get("grouped") else ", plain folds") + f") | {_f(c['accuracy'])} "
               f"(chance {_f(c['accuracy_chance'][0])}-{_f(c['accuracy_chance'][1])}) |"),
              (f"| classifier AUC | {_f(c['auc'])} (chance {_f(c['auc_chance'][0])}-{_f(c['auc_chance'][1])}, from "
               f"{_f(c['effective_real'])} effective real {bl['unit']}s) |")]
    tt = rep.get("tail_test") or {}
    nums = bl["numbers"]
    L += ["", "## Tails", "",
          ("Real tail beyond the real quantile on the risky side; shares are fractions of each set. A tail is judged "
           f"from {rep['settings']['min_tail_real']} real windows on"
           + (f" ({tt['judged']} of {tt['formed']} are); its bounds are cluster-bootstrap bounds ({tt['draws']} draws "
              f"over {tt['real_units']} real {bl['unit']}s) that hold for all judged tails at once at level "
              f"{tt['alpha']:g} per direction (max-T)" if tt and tt.get("judged") else "") + "."), "",
          "| descriptor | side | level | threshold | real windows | synthetic share | enrichment | bounds | "
          "real vs real | weighted | reach | reach: at held-out size, real vs real | reach 1-D |",
          "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for t in rep["tails"]:
        key = f"tail:{t['descriptor']}:{t['level']:g}"
        rk = nums.get(f"reach_full:{t['descriptor']}:{t['level']:g}") or {}
        bounds = f"{_f(t['enrichment_low'])} to {_f(t['enrichment_high'])}" if t.get("judged") else "not judged"
        L.append(f"| {t['descriptor']} | {t['side']} | {t['level']:g} | {_f(t['threshold'])} | {t['n_real']} | "
                 f"{_f(t['synthetic_share'])} | {_f(t['enrichment'])} | {bounds} | {_fb((nums.get(key) or {}).get('real'))} | "
                 f"{_f(t['weighted_enrichment'])} | {_f(t['reach'])} | "
                 f"{_f(rk.get('synthetic'))}: {_fb(rk.get('real'))} | {_f(t['reach_1d'])} |")
    L += ["", "## Per descriptor", "",
          ("Shift: synthetic median minus real median in real robust sd; separation: |2 AUC - 1| of the descriptor "
           "alone. Synthetic values against all real windows; real vs real: median (range) over the splits."), "",
          "| descriptor | unit | real median | real scale | shift (sd) | real vs real shift | separation | "
          "real vs real separation | off-support 1-D | drift share |",
          "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for n, dd in rep["descriptors"].items():
        if not dd["used"]:
            L.append(f"| {n} | {dd['unit']} | - | - | ignored: {dd['ignored']} | - | - | - | - | - |")
            continue
        L.append(f"| {n} | {dd['unit']} | {_f(dd['loc'])} | {_f(dd['scale'])} | {_f(f['median_shift'][n])} | "
                 f"{_fb((nums.get('shift:' + n) or {}).get('real'))} | {_f(f['separation'].get(n))} | "
                 f"{_fb((nums.get('separation:' + n) or {}).get('real'))} | {_f(f['off_support_1d'][n])} | "
                 f"{_f(f['drift_share'][n])} |")
    if real.get("excluded"):
        L += ["", "## Real windows left out (annotation errors)", ""] + [
            f"- `{k}`: " + ", ".join(f"{c_} {r_}" for r_, c_ in v.items()) for k, v in real["excluded"].items()]
    if real.get("skipped"):
        L += ["", "## Real logs skipped", ""] + [f"- `{k}`: {v}" for k, v in real["skipped"].items()]
    if plots:
        L += ["", "## Plots", ""] + [f"![{p}]({p})" for p in plots]
    return "\n".join(L) + "\n"


def _typical_line(ty: dict) -> str:
    """The typical-traffic block in one sentence."""
    def one(k, v):
        where = ("undefined" if v["inside"] is None else "inside" if v["inside"] else
                 "outside" if v["tells"] else "outside, on the real side of")
        return f"{NAMES[k]} {_f(v['synthetic'])} ({where} real vs real {_fb(v['band'])})"

    word = "indistinguishable from" if ty["indistinguishable"] else "distinguishable from"
    return (f"**Typical traffic** ({', '.join(ty['descriptors'])}, the descriptors `calibrate` matches): {word} the "
            "real traffic: " + "; ".join(one(k, v) for k, v in ty["numbers"].items())
            + ". The verdicts judge all descriptors.")


def _check_out(out) -> None:
    """The report folder can be written: not a file, creatable, and empty or an earlier report."""
    check_report_dir(Path(out), "report.json", "coverage report")


def write_report(out, rep: dict, real: DescriptorSet, synthetic: DescriptorSet, result: CoverageResult) -> list[str]:
    """Write report.json, report.md and the plots into ``out`` atomically (temporary folder, then
    rename; an existing report folder is replaced). Returns notes about what could not be written."""
    from .plots import plot_report

    out = Path(out)
    _check_out(out)
    notes = []
    with directory_written_whole(out) as tmp:
        plots, why, plot_axes = plot_report(tmp, real.D, synthetic.D, result)
        if why:
            notes.append(why)
        rep = dict(rep, plots=plots, plot_note=why, plot_axes=plot_axes)
        (tmp / "report.json").write_text(json.dumps(rep, indent=2, allow_nan=False) + "\n", encoding="utf-8")
        (tmp / "report.md").write_text(report_markdown(rep, plots), encoding="utf-8")
    return notes


def coverage_report(run, real, out, *, reader: str | None = None, window: float | None = None,
                    stride: float | None = None, settings: CoverageSettings | None = None,
                    thresholds: Thresholds | None = None, progress: bool = False,
                    measurement_noise=None) -> dict:
    """Score a synthetic run against real logs and write the report folder ``out``; returns the
    report dict (what ``report.json`` holds). ``settings``/``thresholds`` default to the
    defaults of :class:`CoverageSettings` and :class:`Thresholds`. ``measurement_noise``: None (the
    simulated egos get white position noise of the real logs' measured size) or logs (a path) on which
    the smoothed position noise of :mod:`~scenariogen.coverage.measurement` is fitted and given to the
    simulated egos instead; ``report.json`` ``measurement`` says which."""
    settings = settings or CoverageSettings()
    thresholds = thresholds or Thresholds()
    from tqdm import tqdm

    _check_out(out)  # before the scoring work, not after it
    if measurement_noise is not None:  # a missing path or a folder without logs: refused before the work
        _log_files(Path(measurement_noise), reader, "measurement_noise")
    dt, frames = synthetic_timing(run, window=window)
    rl = real_descriptors(real, reader=reader, window=frames * dt, dt=dt, stride=stride, progress=progress)
    # the simulated egos get the logs' measured position noise before the same derivative filter
    if measurement_noise is None:
        noise = rl.info["position_noise"]
        measurement = {"model": "white", "sd": noise, "fitted_on": str(real)}
    else:
        noise = measure_noise(measurement_noise, reader=reader, dt=dt)
        measurement = {"model": "smoothed", "fitted_on": str(measurement_noise), **noise.as_dict()}
    syn = synthetic_descriptors(run, window=window, stride=stride, progress=progress,
                                position_noise=noise, seed=settings.seed)
    bar = tqdm(total=8, desc="scoring", unit="step", disable=not progress or None)
    started = []

    def tick(name):  # called as each of the eight steps starts (score, its four parts, baseline, calibration,
        # typical traffic)
        if started:
            bar.update(1)
        started.append(name)
        bar.set_postfix_str(name)

    try:
        a = assess(rl.D, syn.D, real_units=rl.recordings, real_sources=rl.groups, synthetic_units=syn.groups,
                   weights=syn.weights, settings=settings, thresholds=thresholds, progress=tick)
        tick("typical traffic")  # none when every typical descriptor is constant or unreliable in the logs
        bl = a.baseline
        ty = (typical_traffic(rl.D, syn.D, labels=bl.labels, splits=bl.held_out, unit=bl.unit, note=bl.note,
                              used=a.result.names, synthetic_units=syn.groups, settings=settings)
              if set(TYPICAL_DESCRIPTORS) & set(a.result.names) else None)
        bar.update(1)
    except TooFewSamplesError as exc:  # short logs or a long window leave few windows
        raise ScenarioGenError(f"cannot score: {exc}; a shorter window (or stride) gives more windows from "
                               "the same logs, and more real logs or a larger run give more of them") from None
    except ValueError as exc:
        raise ScenarioGenError(f"cannot score: {exc}") from None
    finally:
        bar.close()
    rep = dict(report_dict(a, thresholds, syn, rl, ty), measurement=measurement)
    notes = write_report(out, rep, rl, syn, a.result)
    return dict(rep, notes_written=notes)
