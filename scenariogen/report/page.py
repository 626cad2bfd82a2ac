"""``scenariogen report``: a static HTML page of what a run found, for a browser opened on the file.

The folder holds ``index.html`` (the run's summary, and the table of every kept scenario, sortable
and filterable in the browser, shown a page at a time), ``scenes/<id>.svg`` (an animated picture
of each scenario, loaded only when its row is shown; a click shows it large with the command that
renders it in full) and ``rows.json`` (the table, for scripts). No server, no network: the page's
script and style are inline, and it works from disk.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from html import escape
from pathlib import Path

from ..errors import ParameterError
from .table import COLUMNS, ScenarioRow, shard_rows

MARKER = ".scenariogen-report"  # names a folder this command wrote, so it may replace it


@dataclass(frozen=True)
class ReportResult:
    """What :func:`write_report` wrote: the folder, its page and the number of scenarios in it."""

    out: Path
    page: Path
    scenarios: int


def _check_out(out: Path) -> None:
    from ..data.files import check_report_dir

    check_report_dir(out, MARKER, "scenariogen report")


def _coverage_summary(path: Path | None) -> dict | None:
    if path is None:
        return None
    f = path / "report.json" if path.is_dir() else path
    try:
        rep = json.loads(f.read_text(encoding="utf-8"))
        return {"summary": rep["summary"], "source": str(path),
                "verdicts": [{"name": v["name"], "fired": bool(v["fired"]), "message": v.get("message", "")}
                             for v in rep["verdicts"]]}
    except FileNotFoundError:
        raise ParameterError("coverage", f"{f}: no such file; give the folder 'scenariogen coverage' wrote") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ParameterError("coverage", f"{f}: not a coverage report ({type(exc).__name__}: {exc})") from None


def write_report(source: str | Path, out: str | Path, *, coverage: str | Path | None = None,
                 progress: bool = False) -> ReportResult:
    """Write the report folder of the run directory ``source`` to ``out`` atomically (a temporary
    folder, then a rename; a report folder written before is replaced). ``coverage``: a
    ``scenariogen coverage`` report folder whose verdicts the summary shows. ``progress``: a
    progress bar over the scenarios."""
    from tqdm import tqdm

    from ..data.files import directory_written_whole
    from ..data.run import open_run
    from ..dsl import parse_text
    from ..road import build_road
    from .svg import road_shape, scenario_svg

    out = Path(out)
    _check_out(out)
    cov = _coverage_summary(Path(coverage) if coverage is not None else None)
    run = open_run(source)
    m = run.manifest
    spec = parse_text(m.spec_text, file=m.spec_file or f"<{m.spec_name} from {run.path}>")
    road = road_shape(build_road(spec.road), [o.polygon for o in spec.occluders])
    named = {a.name for a in spec.actors}
    with directory_written_whole(out) as tmp:
        (tmp / "scenes").mkdir()
        rows: list[ScenarioRow] = []
        events: tuple[str, ...] = ()
        with tqdm(total=m.totals.kept, unit="scn", desc="report", disable=not progress or None) as bar:
            for rec, batch, sim in run.kept():
                dt = batch.frame_dt(spec.dt)
                new = shard_rows(batch, sim, len(rows), rec.stage)
                events = tuple(batch.labels)
                for b, r in enumerate(new):
                    (tmp / "scenes" / f"{r.id}.svg").write_text(scenario_svg(batch, b, road, named, frame_dt=dt),
                                                                encoding="utf-8")
                    bar.update(1)
                rows += new
        data = [r.to_dict() for r in rows]
        (tmp / "rows.json").write_text(json.dumps(data, allow_nan=False) + "\n", encoding="utf-8")
        (tmp / "index.html").write_text(_page(run, m, events, rows, cov), encoding="utf-8")
        (tmp / MARKER).write_text("written by scenariogen report\n", encoding="utf-8")
    return ReportResult(out, out / "index.html", len(rows))


# ------------------------------------------------------------------ the page


def _num(v, digits: int = 4) -> str:
    try:
        v = float(v)
    except (TypeError, ValueError):
        return escape(str(v))
    return f"{v:.{digits}g}" if math.isfinite(v) else str(v)


def _summary(run, m, cov: dict | None) -> str:
    st = m.settings
    where = f" <span class=dim>({escape(m.spec_file)})</span>" if m.spec_file else ""
    facts = [("scenario", f"{escape(m.spec_name)}{where}"),
             ("run", escape(str(run.path))),
             ("sampler", escape(f"{st.get('sampler')} {st.get('sampler_options') or ''}".strip())),
             ("seed", escape(str(st.get("seed")))), ("target event", escape(str(st.get("target")))),
             ("simulations", f"{m.totals.simulations:,}"), ("target events", f"{m.totals.events:,}"),
             ("kept scenarios", f"{m.totals.kept:,} ({escape(str(st.get('keep')))})"),
             ("failure clusters", escape(str(m.failure_clusters if m.failure_clusters is not None else "-")))]
    e = m.estimate or {}
    if e:
        facts.append((f"P({escape(str(st.get('target')))})",
                      f"<b>{_num(e.get('p'))}</b>, {round(100 * float(e.get('confidence', 0.95)))} % interval "
                      f"[{_num(e.get('ci_low'))}, {_num(e.get('ci_high'))}] "
                      f"({escape(str((e.get('details') or {}).get('interval', 'normal')))}), relative half-width {_num(e.get('rel_half_width'), 3)}, ESS {_num(e.get('ess'), 4)}"))
    html = ["<table class=facts>"] + [f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in facts] + ["</table>"]
    for w in e.get("warnings") or []:
        html.append(f"<p class=warn>warning: {escape(str(w))}</p>")
    types = m.conflict_types or {}
    if types:
        n = sum(types.values())
        under = m.conflict_shares_under_p or {}
        html.append(f"<h3>Conflict types among {n} target events</h3><table class=small><tr><th>events</th>"
                    "<th>share</th><th>share under p</th><th>conflict type</th></tr>")
        for name, k in sorted(types.items(), key=lambda kv: (-kv[1], kv[0])):
            html.append(f"<tr><td>{k}</td><td>{k / n:.1%}</td><td>{under[name]:.1%}</td>" if name in under else
                        f"<tr><td>{k}</td><td>{k / n:.1%}</td><td>-</td>")
            html.append(f"<td><a href='#' class=conf data-c='{escape(name, quote=True)}'>{escape(name)}</a></td></tr>")
        html.append("</table><p class=dim>share under p: each event weighted by p/q, so the shares the "
                    "scenario's own distributions give; click a type to filter the table.</p>")
    if cov:
        html.append(f"<h3>Coverage against real logs</h3><p>{escape(cov['summary'])} "
                    f"<span class=dim>({escape(cov['source'])})</span></p><ul>")
        for v in cov["verdicts"]:
            mark = "<b class=bad>fired</b>" if v["fired"] else "<span class=dim>not fired</span>"
            html.append(f"<li>{escape(v['name'])}: {mark} {escape(v['message'])}</li>")
        html.append("</ul>")
    return "\n".join(html)


def _page(run, m, events: tuple[str, ...], rows: list[ScenarioRow], cov: dict | None) -> str:
    from .._version import __version__

    cols = [c for c, _ in COLUMNS]
    meta = {"columns": cols, "help": dict(COLUMNS), "events": list(events), "target": m.settings.get("target"),
            "run": str(run.path), "rows": [[r.to_dict()[c] for c in cols] for r in rows]}
    data = json.dumps(meta, allow_nan=False).replace("</", "<\\/")
    title = f"{m.spec_name}: {len(rows)} kept scenarios"
    # one pass, so a text put in (a spec name, a warning) is never searched for a placeholder
    parts = {"title": escape(title), "summary": _summary(run, m, cov), "version": escape(__version__), "data": data}
    return re.sub(r"\{\{(title|summary|version|data)\}\}", lambda mt: parts[mt.group(1)], _TEMPLATE)


_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{title}}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:0 1.5em 2em;color:#102027}
h1{font-size:1.4em;margin:.8em 0 .3em}h3{margin:1em 0 .3em;font-size:1.05em}
.dim{color:#607d8b}.warn{color:#b26a00;margin:.2em 0}.bad{color:#c62828}
table.facts th{text-align:left;padding-right:1em;font-weight:600;vertical-align:top}
table.small td,table.small th{padding:1px 8px;text-align:left}
#bar{position:sticky;top:0;background:#fff;padding:.6em 0;border-bottom:1px solid #cfd8dc;z-index:2;
display:flex;gap:.8em;align-items:center;flex-wrap:wrap}
#filter{width:28em;padding:4px}
#scenarios{border-collapse:collapse;margin-top:.5em}
#scenarios th{position:sticky;top:3.2em;background:#eceff1;cursor:pointer;padding:4px 6px;text-align:left;
white-space:nowrap;user-select:none}
#scenarios th[aria-sort=ascending]::after{content:" \\25B2"}#scenarios th[aria-sort=descending]::after{content:" \\25BC"}
#scenarios td{padding:2px 6px;border-bottom:1px solid #eceff1;white-space:nowrap}
#scenarios td.num{text-align:right;font-variant-numeric:tabular-nums}
#scenarios tr:hover{background:#f5f9ff}
#scenarios img{width:240px;height:80px;display:block;cursor:zoom-in;background:#e4e9df}
.ev{display:inline-block;background:#e53935;color:#fff;border-radius:3px;padding:0 4px;margin-right:2px;font-size:12px}
.ev.other{background:#90a4ae}
#overlay{display:none;position:fixed;inset:0;background:rgba(16,32,39,.75);z-index:5}
#overlay.on{display:flex;align-items:center;justify-content:center}
#card{background:#fff;padding:1em;max-width:96vw;max-height:96vh;overflow:auto;border-radius:6px}
#card img{width:min(1200px,92vw);display:block}
#card code{background:#eceff1;padding:2px 4px;user-select:all}
button{padding:3px 10px}
</style></head><body>
<h1>{{title}}</h1>
{{summary}}
<h3>Kept scenarios</h3>
<div id="bar">
<input id="filter" type="search" placeholder="filter: cutter  min_ttc<0.5  weight>=1  collision="
 title="space-separated terms, all must hold: COLUMN&lt;VALUE, &lt;=, &gt;, &gt;=, = or != compare a column;
any other word must appear in the row's events, collision or conflict type; 'collision=' (empty) means none">
<select id="event"><option value="">any event</option></select>
<span id="count"></span>
<label>rows per page <select id="size"><option>25</option><option selected>100</option><option>500</option>
<option value="0">all</option></select></label>
<button id="prev">&larr;</button><span id="page"></span><button id="next">&rarr;</button>
</div>
<table id="scenarios"><thead><tr id="head"><th data-col="">scenario</th></tr></thead><tbody id="body"></tbody></table>
<div id="overlay"><div id="card"></div></div>
<p class="dim">scenariogen {{version}}. Pictures: the ego in blue, the other party of its closest call outlined in
red, named actors in orange; the bar at the bottom is time, red where a collision happened. Click a picture for
it large, with the command that renders the scenario in full.</p>
<script id="data" type="application/json">{{data}}</script>
<script>
"use strict";
const D = JSON.parse(document.getElementById("data").textContent);
const C = D.columns, NUM = new Set(["row","id","stage","min_ttc","min_distance","max_drac","collision_time","weight"]);
const col = Object.fromEntries(C.map((c, i) => [c, i]));
const num = v => typeof v === "number" ? v : v === "inf" ? Infinity : v === "-inf" ? -Infinity : NaN;
let view = D.rows.map((r, i) => i), sortCol = null, sortDir = 1, page = 0;
const $ = id => document.getElementById(id);
for (const c of C) {
  const th = document.createElement("th");
  th.textContent = c; th.dataset.col = c; th.title = D.help[c];
  th.addEventListener("click", () => sortBy(c)); $("head").appendChild(th);
}
for (const e of D.events) {
  const o = document.createElement("option"); o.value = e; o.textContent = e + (e === D.target ? " (target)" : "");
  $("event").appendChild(o);
}
function fmt(c, v) {
  if (c === "events") return v.map(e => `<span class="ev${e === D.target ? "" : " other"}">${esc(e)}</span>`).join("");
  if (NUM.has(c)) { const x = num(v); return Number.isFinite(x) ? (Number.isInteger(x) ? String(x) : x.toPrecision(3)) : String(v); }
  return esc(v === "" ? "-" : String(v));
}
function esc(s) { return s.replace(/[&<>"']/g, ch => ({"&":"&amp;","<":"&lt;",">":"&gt;","\\"":"&quot;","'":"&#39;"}[ch])); }
function parse(text) {
  const terms = [];
  for (const tok of text.trim().split(/\\s+/).filter(Boolean)) {
    const m = tok.match(/^([a-z_]+)(<=|>=|!=|<|>|=)(.*)$/);
    if (m && m[1] in col) terms.push({c: m[1], op: m[2], v: m[3]});
    else terms.push({word: tok.toLowerCase()});
  }
  return terms;
}
function holds(r, t) {
  if (t.word !== undefined)
    return [r[col.events].join(" "), r[col.collision], r[col.conflict]].join(" ").toLowerCase().includes(t.word);
  const v = r[col[t.c]];
  if (NUM.has(t.c)) {
    const a = num(v), b = t.v === "inf" ? Infinity : parseFloat(t.v);
    if (Number.isNaN(b)) return false;
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "=": a === b, "!=": a !== b}[t.op];
  }
  const s = (Array.isArray(v) ? v.join(",") : String(v)).toLowerCase(), w = t.v.toLowerCase();
  return {"=": s === w, "!=": s !== w, "<": s < w, ">": s > w, "<=": s <= w, ">=": s >= w}[t.op];
}
function apply() {
  const terms = parse($("filter").value), ev = $("event").value;
  view = [];
  D.rows.forEach((r, i) => { if ((!ev || r[col.events].includes(ev)) && terms.every(t => holds(r, t))) view.push(i); });
  if (sortCol !== null) {
    const k = col[sortCol], isNum = NUM.has(sortCol);
    const key = i => { const v = D.rows[i][k]; return isNum ? (Number.isNaN(num(v)) ? Infinity : num(v)) :
                       (Array.isArray(v) ? v.join(",") : String(v)); };
    view.sort((a, b) => { const x = key(a), y = key(b); return (x < y ? -1 : x > y ? 1 : a - b) * (x === y ? 1 : sortDir); });
  }
  page = 0; draw();
}
function sortBy(c) {
  sortDir = sortCol === c ? -sortDir : 1; sortCol = c;
  for (const th of $("head").children) th.removeAttribute("aria-sort");
  $("head").querySelector(`[data-col="${c}"]`).setAttribute("aria-sort", sortDir > 0 ? "ascending" : "descending");
  apply();
}
function draw() {
  const size = parseInt($("size").value, 10) || view.length || 1, pages = Math.max(1, Math.ceil(view.length / size));
  page = Math.min(Math.max(page, 0), pages - 1);
  const part = view.slice(page * size, (page + 1) * size);
  $("body").innerHTML = part.map(i => {
    const r = D.rows[i], id = r[col.id];
    return `<tr data-id="${id}"><td><img loading="lazy" src="scenes/${id}.svg" alt="scenario ${id}"></td>` +
      C.map(c => `<td class="${NUM.has(c) ? "num" : ""}">${fmt(c, r[col[c]])}</td>`).join("") + "</tr>";
  }).join("");
  $("count").textContent = `${view.length} of ${D.rows.length} scenarios`;
  $("page").textContent = `page ${page + 1} of ${pages}`;
  $("prev").disabled = page === 0; $("next").disabled = page >= pages - 1;
}
function show(id) {
  const r = D.rows.find(x => x[col.id] === id);
  $("card").innerHTML = `<h3>scenario id ${id} (row ${r[col.row]})</h3><img src="scenes/${id}.svg" alt="scenario ${id}">` +
    "<table class=small>" + C.map(c => `<tr><th>${c}</th><td>${fmt(c, r[col[c]])}</td></tr>`).join("") + "</table>" +
    `<p>Full render (road markings, sensor view, labels, timeline):<br><code>scenariogen render ${esc(D.run)} --id ${id} --out ${id}.gif</code>` +
    ` <span class=dim>(.png for one frame; --whole, --follow ACTOR or --window to move the camera)</span></p>` +
    `<p><a href="scenes/${id}.svg" target="_blank">open the picture alone</a> &middot; <button id="close">close</button></p>`;
  $("overlay").classList.add("on"); $("close").addEventListener("click", hide);
}
function hide() { $("overlay").classList.remove("on"); $("card").innerHTML = ""; }
$("body").addEventListener("click", ev => { const tr = ev.target.closest("tr"); if (tr && ev.target.tagName === "IMG") show(+tr.dataset.id); });
$("overlay").addEventListener("click", ev => { if (ev.target.id === "overlay") hide(); });
document.addEventListener("keydown", ev => { if (ev.key === "Escape") hide(); });
$("filter").addEventListener("input", apply);
$("event").addEventListener("change", apply);
$("size").addEventListener("change", () => { page = 0; draw(); });
$("prev").addEventListener("click", () => { page--; draw(); });
$("next").addEventListener("click", () => { page++; draw(); });
for (const a of document.querySelectorAll("a.conf"))
  a.addEventListener("click", ev => { ev.preventDefault(); $("filter").value = ""; $("event").value = "";
    const c = a.dataset.c; view = []; D.rows.forEach((r, i) => { if (r[col.conflict] === c) view.push(i); });
    page = 0; draw(); $("count").textContent += ` (conflict type: ${c})`; });
apply();
</script>
</body></html>
"""
