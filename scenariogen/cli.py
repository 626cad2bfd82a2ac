"""Command-line interface: parses arguments and calls library functions, nothing more.

Every command is a function ``cmd_<name>(args) -> int`` that tests can call.
User mistakes (any :class:`ScenarioGenError`) are printed as ``file:line:col:
message`` and exit with status 2, never with a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from .errors import DSLError, ParameterError, ScenarioGenError

EXIT_OK = 0
EXIT_USER_ERROR = 2
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a reader that stopped early (`| head`)
_CONFLICTS_SHOWN = 6  # conflict types printed after generate; the manifest holds all
# the flag that sets each library parameter, for error messages
_FLAGS = {"n": "-n", "record_every": "--every", "count": "--count", "budget": "--budget", "target": "--target",
          "sampler": "--sampler", "seed": "--seed", "options": "--option", "shard_size": "--shard-size",
          "stage_size": "--stage-size", "keep": "--keep", "event": "--event", "window": "--window",
          "stride": "--stride", "limit": "--limit", "index": "--index", "chunk_size": "--chunk", "out": "--out",
          "time": "--time", "address": "--ray-address", "workers": "--workers", "real": "--real",
          "backend": "--backend", "splits": "--splits", "id": "--id", "row": "--row", "where": "--where",
          "sort": "--sort", "follow": "--follow", "view": "--follow/--window/--whole", "coverage": "--coverage",
          "measurement_noise": "--measurement-noise"}


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate each scenario file; print every problem; exit 2 if any file is invalid."""
    from .api import load_scenario

    bad = 0
    for path in args.files:
        try:
            spec = load_scenario(path)
        except DSLError as exc:
            bad += 1
            n = len(exc.problems)
            print(str(exc), file=sys.stderr)
            print(f"{path}: {n} problem{'s' if n != 1 else ''}", file=sys.stderr)
            continue
        if not args.quiet:
            print(f"{path}: ok ({spec.name}, {len(spec.actors)} actors, {spec.parameters.dim} parameters)")
    return EXIT_USER_ERROR if bad else EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    """Print the resolved spec: road, actors, events, parameter space with bounds."""
    from .api import describe, load_scenario

    for i, path in enumerate(args.files):
        spec = load_scenario(path)
        if i:
            print()
        print(describe(spec))
    return EXIT_OK


def _compile_note(quiet: bool) -> None:
    """Say on stderr that the kernels compile now, when they do (the first use after an install)."""
    from .api import kernels_ready

    if not quiet and not kernels_ready():
        print("scenariogen: compiling the simulation kernels (first use of this version only: one to two "
              "minutes of CPU, then cached) ...", file=sys.stderr, flush=True)


def cmd_simulate(args: argparse.Namespace) -> int:
    """Simulate N scenarios drawn from the spec, save them to an .npz file and print a summary."""
    import numpy as np
    from tqdm import tqdm

    from .api import load_scenario, simulate

    spec = load_scenario(args.scenario)
    _compile_note(args.quiet)
    with tqdm(total=max(args.n, 0), unit="scn", desc=spec.name, disable=args.quiet or None) as bar:
        batch = simulate(spec, args.n, seed=args.seed, record="none" if args.metrics_only else "full",
                         record_every=args.every, chunk_size=args.chunk, progress=bar.update, out=args.out)
    print(f"{spec.name}: {batch.size} scenarios, {len(batch.agent_names)} agent slots, "
          f"{spec.steps} steps of {spec.dt:g} s -> {args.out}")
    for name, lab in batch.labels.items():
        mark = "  (target)" if name == spec.target else ""
        print(f"  {name:<16} {int(lab.sum()):>7} events  rate {lab.mean():.4f}{mark}")
    print("  metric quantiles      p1        p5       p50")
    for name in ("min_ttc", "min_distance", "tet", "max_drac", "min_thw", "ego_max_decel"):
        x = batch.metrics[name]
        q = np.quantile(np.where(np.isfinite(x), x, np.finfo(float).max), [0.01, 0.05, 0.5])
        print(f"  {name:<16} " + " ".join(f"{v:>9.3f}" if v < 1e300 else f"{'inf':>9}" for v in q))
    return EXIT_OK


def cmd_render(args: argparse.Namespace) -> int:
    """Draw one scenario of a simulated batch: a frame (.png/.svg) or an animation (.gif)."""
    from .api import render

    row = args.row if args.row is not None else args.index
    out, caption = render(args.run, args.out, id=args.id, row=row, time=args.time, max_frames=args.max_frames,
                          fps=args.fps, follow=args.follow, window=args.window, whole=args.whole)
    print(f"{caption} -> {out}")
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    """Print the table of a run's kept scenarios (or a simulate .npz's), filtered and sorted."""
    import json

    from .api import list_scenarios

    table = list_scenarios(args.run, where=args.where, sort=args.sort, descending=args.desc)
    rows = table.rows[:args.limit] if args.limit is not None else table.rows
    if args.json:
        print(json.dumps({"source": table.source, "spec_name": table.spec_name, "target": table.target,
                          "rows": [r.to_dict() for r in rows]}, allow_nan=False))
        return EXIT_OK
    for line in table.lines(rows):
        print(line)
    shown = f" ({len(rows)} shown)" if len(rows) < len(table.rows) else ""
    print(f"{table.spec_name}: {len(table.rows)} scenario{'s' if len(table.rows) != 1 else ''}"
          + (f" where {args.where}" if args.where else "") + f"{shown} in {table.source}", file=sys.stderr)
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    """Write the static HTML report of a run: summary, sortable and filterable table, pictures."""
    from .api import report

    res = report(args.run_dir, args.out, coverage=args.coverage, progress=not args.quiet)
    print(f"report of {res.scenarios} kept scenarios -> {res.page}")
    return EXIT_OK


def _count(text: str) -> int:
    """An argparse type: a whole number >= 0."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {n}")
    return n


def _backend(args: argparse.Namespace):
    """The execution backend of --backend / --workers / --ray-address (checked before anything runs)."""
    from .api import backend

    return backend(args.backend, workers=args.workers, address=args.ray_address)


def _sampler_options(pairs: list[str] | None) -> dict:
    """``--option KEY=VALUE`` pairs as a dict; values read as int, float or true/false where they parse."""
    opts: dict = {}
    for pair in pairs or []:
        key, sep, text = pair.partition("=")
        if not sep or not key.strip():
            raise ScenarioGenError(f"--option expects KEY=VALUE, got {pair!r}")
        value: object = text
        if text.lower() in ("true", "false"):
            value = text.lower() == "true"
        else:
            for conv in (int, float):
                try:
                    value = conv(text)
                    break
                except ValueError:
                    pass
        opts[key.strip()] = value
    return opts


def cmd_generate(args: argparse.Namespace) -> int:
    """Sample and simulate until --count target events are found or --budget simulations are spent."""
    from .api import generate, load_scenario, sampler_note

    spec = load_scenario(args.scenario)
    _compile_note(args.quiet)
    m = generate(spec, args.out, count=args.count, budget=args.budget, sampler=args.sampler, target=args.target,
                 seed=args.seed, options=_sampler_options(args.option), shard_size=args.shard_size,
                 stage_size=args.stage_size, keep=args.keep, record_every=args.every, resume=args.resume,
                 backend=_backend(args), progress=not args.quiet)
    t = m.totals
    target = m.settings["target"]
    e = {k: float(v) if k in ("p", "ci_low", "ci_high", "rel_half_width", "ess") else v
         for k, v in (m.estimate or {}).items()}  # the manifest writes non-finite numbers as strings
    print(f"{spec.name}: {t.simulations} simulations, {t.events} '{target}' events "
          f"({t.kept} scenarios kept) in {len(m.shards)} shards -> {args.out}")
    if e:
        conf = round(100 * float(e.get("confidence", 0.95)))
        print(f"  P({target}) = {e['p']:.4g}  {conf}% CI [{e['ci_low']:.4g}, {e['ci_high']:.4g}]  "
              f"rel. half-width {e['rel_half_width']:.3g}  ESS {e['ess']:.1f}")
        _print_interval_notes(e.get("details", {}), e.get("warnings", []))
    print(f"  distinct failure clusters among the events: {m.failure_clusters or 0}")
    types = m.conflict_types or {}
    if types:
        n = sum(types.values())
        # an importance sampler keeps more of the failures it steers towards: show their real shares too
        under_p = (m.conflict_shares_under_p or {}) if m.settings["sampler"] == "ce" else {}
        print(f"  conflict types (other party, side, motion, contact, pile-up) among {n} events: {len(types)}")
        if under_p:
            print("    share among the events | weighted by p/q: the share under the scenario's own distributions")
        for name, k in list(types.items())[:_CONFLICTS_SHOWN]:
            weighted = f"  {under_p.get(name, 0.0):6.1%}" if under_p else ""
            print(f"    {k / n:6.1%}{weighted}  {name}")
        if len(types) > _CONFLICTS_SHOWN:
            print(f"    ... {len(types) - _CONFLICTS_SHOWN} more in {Path(args.out) / 'manifest.json'}")
    line = sampler_note(m)
    if line:
        print(f"  {line}")
    return EXIT_OK


def _print_interval_notes(details: dict, warnings: list) -> None:
    """How an importance-sampling interval was built, and the warnings with the rule that fired."""
    if "interval" in details:
        print(f"  interval: {details['interval']}")
    for w in warnings:
        print(f"  warning: {w}")


def cmd_estimate(args: argparse.Namespace) -> int:
    """Estimate P(event) with a sampler and a simulation budget."""
    import json

    from tqdm import tqdm

    from .api import estimate, load_scenario

    spec = load_scenario(args.scenario)
    _compile_note(args.quiet or args.json)
    bar = tqdm(total=max(args.budget, 0), unit="sim", desc=f"{spec.name} [{args.sampler}]",
               disable=args.quiet or args.json or None)  # None: only on a terminal
    events = [0]

    def progress(sims: int, found: int) -> None:  # simulations done, and events found, on the bar
        events[0] += found
        bar.update(sims)
        bar.set_postfix(events=events[0])

    with bar:
        est = estimate(spec, args.event, budget=args.budget, sampler=args.sampler, seed=args.seed,
                       stage_size=args.stage_size, options=_sampler_options(args.option), backend=_backend(args),
                       progress=progress)
    if args.json:
        # strict JSON for other tools: non-finite numbers as the strings 'inf', '-inf', 'nan' (Estimate.to_dict)
        print(json.dumps({"event": args.event, "sampler": args.sampler, **est.to_dict()}, allow_nan=False))
    else:
        print(f"{spec.name}: P({args.event}) = {est.p:.4g}  {round(100 * est.confidence)}% CI "
              f"[{est.ci_low:.4g}, {est.ci_high:.4g}]")
        print(f"  sampler {args.sampler}, {est.n_sims} simulations, {est.n_events} events, "
              f"relative half-width {est.rel_half_width:.3g}, ESS {est.ess:.1f}")
        _print_interval_notes(est.details, est.warnings)
    return EXIT_OK


def cmd_formats(args: argparse.Namespace) -> int:
    """List the installed writers and readers with their versions and whether they can be used."""
    from .api import plugins

    for title, reg in plugins().items():
        found = reg.available()
        print(f"{title} ({reg.group}):")
        if not found:
            print("  none installed")
        for st in found:
            p = st.plugin
            fv = str(getattr(p, "format_version", "") or "")
            version = f"v{fv}" if fv.isdigit() else fv
            exts = " ".join(getattr(p, "extensions", ()) or ()) or ("(folder)" if p is not None else "")
            state = "ok" if st.status == "ok" else f"{st.status}: {st.reason}"
            print(f"  {st.entry.name:<12} {exts:<22} from {st.entry.origin:<26} {state}")
            if version:
                print(f"  {'':<12} format {version}")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    """Export a run directory to another format with a writer plugin."""
    from tqdm import tqdm

    from .api import export

    bar = tqdm(unit="scn", desc=f"export {args.format}", disable=args.quiet or None)

    def progress(n: int, total: int) -> None:
        bar.total = total
        bar.update(n)

    with bar:
        report = export(args.run_dir, args.format, args.out, only_events=args.only_events, limit=args.limit,
                        progress=progress)
    print(report.summary())
    return EXIT_OK


def cmd_coverage(args: argparse.Namespace) -> int:
    """Score a run's scenarios against real logs: tail coverage, fidelity, drift, collapse, artefacts."""
    from .api import coverage

    rep = coverage(args.run_dir, args.real, args.out, reader=args.reader, window=args.window, stride=args.stride,
                   seed=args.seed, splits=args.splits, progress=not args.quiet,
                   measurement_noise=args.measurement_noise)
    c, bl = rep["counts"], rep["baseline"]
    errs = sum((c.get("annotation_errors") or {}).values())
    print(f"coverage of {c['synthetic']} synthetic windows against {c['real']} real windows"
          + (f" ({errs} left out as annotation errors)" if errs else "") + f" -> {args.out}")
    print(f"  calibrated against {bl['splits']} real-versus-real splits of {bl['groups']} {bl['unit']}s"
          + (f" ({bl['note']})" if bl.get("note") else ""))
    print(f"  verdict: {rep['summary']}")
    for v in rep["verdicts"]:
        if v["fired"] or v["name"] == "enriching":  # what the set adds is worth a line even when blocked
            print(f"  {v['name']}: {v['message']}")
            for act in v.get("actions") or ():
                print(f"    -> {act}")
    tr = rep.get("training") or {}
    if tr:
        print(f"  training: {tr['advice']}")
    for note in rep.get("notes_written", []):
        print(f"  note: {note}")
    return EXIT_OK


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Fit a family's marked distributions to real logs and write the calibrated family."""
    from .api import calibrate, load_scenario

    spec = load_scenario(args.scenario)
    res = calibrate(spec, args.real, args.out, reader=args.reader, seed=args.seed, progress=not args.quiet)
    print(res.report(), end="")
    inside = sum(d.inside for d in res.descriptors)
    print(f"-> {args.out}: {inside} of {len(res.descriptors)} descriptors inside the real-vs-real range")
    return EXIT_OK


def _add_sampler_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--option", action="append", default=None, metavar="KEY=VALUE",
                   help="a sampler option, repeatable, e.g. --option family=mixture --option eps=0.2 for ce, or "
                        "--option preset=diverse for a rare set that keeps the rarer kinds of failure "
                        "(see docs/sampling.md)")


def _add_backend_options(p: argparse.ArgumentParser) -> None:
    """--workers, --backend and --ray-address, shared by generate and estimate."""
    p.add_argument("--workers", type=int, default=None, metavar="K",
                   help="local: kernel threads (default: all cores); ray: tasks at once (default: cluster CPUs)")
    p.add_argument("--backend", choices=("local", "ray"), default="local",
                   help="where simulations run: this machine (default) or a Ray cluster (pip install scenariogen[ray])")
    p.add_argument("--ray-address", default=None, metavar="ADDRESS",
                   help="with --backend ray: join this running cluster (default: start a local Ray instance)")


def build_parser() -> argparse.ArgumentParser:
    from ._version import __version__

    parser = argparse.ArgumentParser(
        prog="scenariogen",
        description="Author, batch-generate and export autonomous-driving edge-case scenarios.",
    )
    parser.add_argument("--version", action="version", version=f"scenariogen {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("validate", help="check scenario files and report every problem")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("-q", "--quiet", action="store_true", help="print problems only")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("show", help="print a scenario's resolved spec and parameter space")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("simulate", help="simulate a batch of scenarios drawn from a scenario file")
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("-n", type=int, default=1000, help="number of scenarios (default 1000)")
    p.add_argument("--seed", type=int, default=None, help="run seed (default: the file's seed)")
    p.add_argument("--out", required=True, metavar="FILE.npz")
    p.add_argument("--metrics-only", action="store_true", help="keep metrics and labels, not trajectories")
    p.add_argument("--every", type=int, default=1, metavar="K", help="record every K-th frame (default 1)")
    p.add_argument("--chunk", type=int, default=4096, help="scenarios per kernel call (memory bound)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("generate", help="hunt rare events: sample, simulate and store scenarios in a run directory")
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--count", type=int, default=None, metavar="N", help="stop once N target events are found")
    p.add_argument("--budget", type=int, default=None, metavar="SIMS", help="simulate at most SIMS scenarios")
    p.add_argument("--sampler", default="ce", help="mc, qmc, ce or splitting (default ce)")
    p.add_argument("--target", default=None, metavar="EVENT", help="event to hunt (default: the file's target)")
    p.add_argument("--seed", type=int, default=None)
    _add_sampler_option(p)
    _add_backend_options(p)
    p.add_argument("--resume", action="store_true", help="continue the run in DIR")
    p.add_argument("--shard-size", type=int, default=1000, help="scenarios per shard (default 1000)")
    p.add_argument("--stage-size", type=int, default=None, metavar="N",
                   help="scenarios per cross-entropy level (default: with --budget, a twelfth of it within "
                        "250 to 2000, as estimate; else 2000)")
    p.add_argument("--keep", choices=("events", "all"), default="events",
                   help="store trajectories of target events only (default) or of every scenario")
    p.add_argument("--every", type=int, default=1, metavar="K", help="record every K-th frame")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("estimate", help="estimate the probability of an event with a simulation budget")
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("--event", required=True)
    p.add_argument("--sampler", default="ce", help="mc, qmc, ce or splitting (default ce)")
    p.add_argument("--budget", type=int, required=True, metavar="N")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--stage-size", type=int, default=None, metavar="N",
                   help="scenarios per stage: ce's levels and refining stages, mc's and qmc's batches, splitting's "
                        "particles (default: for ce a twelfth of the budget within 250..2000, so that small "
                        "budgets reach the event level and refine; 1000 for the others)")
    _add_sampler_option(p)
    _add_backend_options(p)
    p.add_argument("--json", action="store_true", help="print the estimate as JSON")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_estimate)

    p = sub.add_parser("render", help="draw one simulated scenario as a .png/.svg frame or a .gif animation")
    p.add_argument("run", metavar="RUN_OR_FILE",
                   help="a 'generate' run directory (its kept scenarios), an .npz from 'simulate', or a directory "
                        "of .npz shards")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--id", type=int, default=None, metavar="ID",
                       help="the scenario with this global id (the id column of 'scenariogen list')")
    which.add_argument("--row", type=int, default=None, metavar="R",
                       help="the R-th scenario held, from 0 (the row column of 'scenariogen list'); default 0")
    which.add_argument("--index", type=int, default=None, help=argparse.SUPPRESS)  # the old name of --row
    p.add_argument("--out", required=True, metavar="FILE", help="FILE.png, FILE.svg (one frame) or FILE.gif")
    p.add_argument("--time", type=float, default=None, metavar="T",
                   help="time of the frame in seconds (default: the ego's closest approach to any agent)")
    p.add_argument("--max-frames", type=int, default=100, metavar="K", help="most frames in a .gif (default 100)")
    p.add_argument("--fps", type=int, default=10, help="frames per second of a .gif (default 10)")
    cam = p.add_mutually_exclusive_group()
    cam.add_argument("--follow", default=None, metavar="ACTOR",
                     help="follow this agent instead of the ego (a name such as merger or traffic0.3)")
    cam.add_argument("--window", type=float, nargs=4, default=None, metavar=("X0", "Y0", "X1", "Y1"),
                     help="show this fixed window of the map (m)")
    cam.add_argument("--whole", action="store_true", help="show every agent over the whole scenario")
    p.set_defaults(func=cmd_render)

    p = sub.add_parser("list", help="the table of a run's kept scenarios: ids, events, metrics, weights, conflicts")
    p.add_argument("run", metavar="RUN_OR_FILE", help="a 'generate' run directory or an .npz from 'simulate'")
    p.add_argument("--where", default=None, metavar="EXPR",
                   help="keep the rows where EXPR holds: comparisons of the columns (and the event names, true "
                        "when the event fired) joined by and, or, not, e.g. \"min_ttc < 0.5 and not collision\", "
                        "\"'pile-up' in conflict\", \"hard_braking or weight > 2\"")
    p.add_argument("--sort", default=None, metavar="KEY", help="sort by this column, smallest first")
    p.add_argument("--desc", action="store_true", help="with --sort: largest first")
    p.add_argument("--limit", type=_count, default=None, metavar="N", help="print at most N rows")
    p.add_argument("--json", action="store_true", help="print the rows as JSON, for scripts")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("report", help="a static HTML page of a run: summary, table of its kept scenarios, pictures")
    p.add_argument("run_dir", metavar="RUN_DIR", help="a 'generate' run directory")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="report folder (written atomically); open DIR/index.html")
    p.add_argument("--coverage", default=None, metavar="REPORT_DIR",
                   help="a 'scenariogen coverage' report folder whose verdicts the summary shows")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("formats", help="list the installed export writers and readers")
    p.set_defaults(func=cmd_formats)

    p = sub.add_parser("export", help="export a run directory with a writer (see 'scenariogen formats')")
    p.add_argument("run_dir", metavar="RUN_DIR")
    p.add_argument("--format", required=True, metavar="NAME", help="writer name, e.g. jsonl or npz")
    p.add_argument("--out", required=True, metavar="PATH", help="output file or folder (written atomically)")
    p.add_argument("--only-events", action="store_true", help="only scenarios where the target event happened")
    p.add_argument("--limit", type=int, default=None, metavar="N", help="export at most N scenarios")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("coverage", help="score a run against real logs: tails, fidelity, drift, collapse, artefacts")
    p.add_argument("run_dir", metavar="RUN_DIR", help="a 'generate' run directory or an .npz from 'simulate'")
    p.add_argument("--real", required=True, metavar="PATH", help="a real log file or a directory of logs")
    p.add_argument("--reader", default=None, metavar="NAME", help="log reader (default: by extension and content)")
    p.add_argument("--out", required=True, metavar="REPORT_DIR", help="report folder (written atomically)")
    p.add_argument("--window", type=float, default=None, metavar="SECONDS",
                   help="window length for both sides (default: the simulated duration)")
    p.add_argument("--stride", type=float, default=None, metavar="SECONDS",
                   help="seconds between window starts (default: the window, i.e. disjoint windows)")
    p.add_argument("--seed", type=int, default=0, help="seed of the subsamples, splits and classifier (default 0)")
    p.add_argument("--splits", type=int, default=None, metavar="N",
                   help="real-versus-real splits of the baseline, leaving whole recordings out (default 20)")
    p.add_argument("--measurement-noise", default=None, metavar="LOGS",
                   help="logs on which to fit the logs' smoothed position noise, given to the simulated egos "
                        "instead of white noise (e.g. the logs a family was calibrated on)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_coverage)

    p = sub.add_parser("calibrate", help="fit a family's marked distributions to real logs")
    p.add_argument("scenario", metavar="FAMILY", help="a scenario file with a 'calibrate:' block")
    p.add_argument("--real", required=True, action="append", metavar="PATH",
                   help="a real log file or a directory of logs (repeatable)")
    p.add_argument("--reader", default=None, metavar="NAME", help="log reader (default: by extension and content)")
    p.add_argument("--out", required=True, metavar="CALIBRATED.yaml", help="the calibrated family (written atomically)")
    p.add_argument("--seed", type=int, default=None, help="seed of the common random numbers and the bootstrap "
                   "(default: the family's)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_calibrate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USER_ERROR
    try:
        code = args.func(args)
        sys.stdout.flush()  # a reader that went away shows here, not as a traceback at interpreter exit
        return code
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except ParameterError as exc:  # a library parameter: name the flag that set it
        print(f"error: {exc.named(_FLAGS.get(exc.param, exc.param))}", file=sys.stderr)
        return EXIT_USER_ERROR
    except ScenarioGenError as exc:
        print(f"error: {exc}" if not isinstance(exc, DSLError) else str(exc), file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except OSError as exc:  # the machine, not the code: a full disk, a vanished folder, a lost mount
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_USER_ERROR


def _silence_stdout() -> None:
    """Point stdout at the null device, so that the final flush at exit finds no closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # stdout is not a real file (tests capture it): nothing to do
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
