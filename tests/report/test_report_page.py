"""``scenariogen report``: the folder it writes, and the page opened in a real headless Chromium
(Debian's ``chromium`` and ``chromium-driver``, driven by Selenium): one table row per kept
scenario, sorting and filtering in the browser, the large picture on a click, no JavaScript
error. The screenshot is kept in ``test-artefacts/`` at the repository root (``$SG_TEST_ARTEFACTS``
to put it elsewhere). In CI (``CI`` set) a missing browser fails the test instead of skipping it."""

from __future__ import annotations

import json
import os
import shutil
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from scenariogen.api import list_scenarios
from scenariogen.cli import main
from scenariogen.data.run import open_run

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def report(small_run, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "page"
    assert main(["report", str(small_run), "--out", str(out), "-q"]) == 0
    return out


def test_the_folder(report, small_run):
    kept = open_run(small_run).manifest.totals.kept
    rows = json.loads((report / "rows.json").read_text())
    assert len(rows) == kept and [r["id"] for r in rows] == [r.id for r in list_scenarios(small_run).rows]
    scenes = sorted(report.glob("scenes/*.svg"))
    assert len(scenes) == kept
    svg = ET.parse(report / "scenes" / f"{rows[0]['id']}.svg").getroot()  # well-formed XML
    ns = "{http://www.w3.org/2000/svg}"
    assert svg.tag == f"{ns}svg" and svg.findall(f".//{ns}animateTransform")
    assert any(t.text == "ego" for t in svg.iter(f"{ns}text"))
    assert "<script" not in (report / "scenes" / f"{rows[0]['id']}.svg").read_text()
    page = (report / "index.html").read_text()
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page  # works offline


def test_coverage_verdicts_in_the_summary(small_run, tmp_path):
    cov = tmp_path / "cov"
    cov.mkdir()
    (cov / "report.json").write_text(json.dumps({"summary": "2 failure modes fired", "verdicts": [
        {"name": "simulator drift", "fired": True, "message": "ego speed +4.6 sd"},
        {"name": "collapse", "fired": False, "message": ""}]}))
    assert main(["report", str(small_run), "--out", str(tmp_path / "page"), "--coverage", str(cov), "-q"]) == 0
    page = (tmp_path / "page" / "index.html").read_text()
    assert "2 failure modes fired" in page and "simulator drift: <b class=bad>fired</b> ego speed +4.6 sd" in page
    assert "collapse: <span class=dim>not fired</span>" in page


def test_rewrite_and_user_errors(report, small_run, tmp_path, capsys):
    assert main(["report", str(small_run), "--out", str(report), "-q"]) == 0  # a report folder is replaced
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "mine.txt").write_text("x")
    assert main(["report", str(small_run), "--out", str(busy), "-q"]) == 2
    assert "not empty and holds no scenariogen report" in capsys.readouterr().err
    assert main(["report", str(small_run), "--out", str(tmp_path / "r"), "--coverage", str(tmp_path), "-q"]) == 2
    assert "--coverage" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "nothing"), "--out", str(tmp_path / "r2"), "-q"]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["busy"] and os.listdir(busy) == ["mine.txt"]


def _browser():
    """A Selenium driver of the system's headless Chromium, or a skip (a failure in CI) saying what is missing."""
    missing = []
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing.append("selenium (pip install '.[test]')")
    chromium = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        missing.append("chromium and chromedriver (apt-get install chromium chromium-driver)")
    if missing:
        (pytest.fail if os.environ.get("CI") else pytest.skip)("the browser test needs " + " and ".join(missing))
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,1000", "--allow-file-access-from-files"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=opts, service=Service(driver))


def _wait(cond, timeout: float = 10.0):
    end = time.monotonic() + timeout
    while True:
        value = cond()
        if value or time.monotonic() > end:
            return value
        time.sleep(0.05)


def test_the_page_in_a_headless_browser(report, small_run):
    table = list_scenarios(small_run)
    d = _browser()
    try:
        d.get((report / "index.html").as_uri())
        cells = lambda col: d.execute_script(  # noqa: E731
            "const i=[...document.querySelectorAll('#head th')].findIndex(t=>t.dataset.col===arguments[0]);"
            "return [...document.querySelectorAll('#body tr')].map(tr=>tr.children[i].textContent)", col)
        count = lambda: d.find_element("id", "count").text  # noqa: E731
        assert _wait(lambda: count() == f"{len(table.rows)} of {len(table.rows)} scenarios"), count()
        assert len(cells("id")) == 100  # the first page
        d.find_element("css selector", "#size option[value='0']").click()  # all rows on one page
        ids = cells("id")
        assert [int(v) for v in ids] == [r.id for r in table.rows]

        d.find_element("css selector", "#head th[data-col='min_distance']").click()
        asc = [float(v) for v in cells("min_distance")]
        assert asc == sorted(asc) and len(asc) == len(table.rows)
        d.find_element("css selector", "#head th[data-col='min_distance']").click()
        assert [float(v) for v in cells("min_distance")] == sorted(asc, reverse=True)

        box = d.find_element("id", "filter")
        for text, keep in (("min_ttc<8", lambda r: r.min_ttc < 8),
                           (" cutter", lambda r: r.min_ttc < 8 and "cutter" in " ".join([*r.events, r.collision,
                                                                                        r.conflict]))):
            box.send_keys(text)  # typed on: both terms must hold
            want = [r for r in table.rows if keep(r)]
            assert 0 < len(want) < len(table.rows)
            assert _wait(lambda: len(cells("id")) == len(want)), (text, len(cells("id")), len(want))
            assert sorted(int(v) for v in cells("id")) == sorted(r.id for r in want)
            assert count() == f"{len(want)} of {len(table.rows)} scenarios"
        box.clear()
        d.execute_script("const s=document.getElementById('event'); s.value='hard_braking';"
                         "s.dispatchEvent(new Event('change'))")
        assert len(cells("id")) == sum("hard_braking" in r.events for r in table.rows)
        d.execute_script("const s=document.getElementById('event'); s.value='';s.dispatchEvent(new Event('change'))")

        d.find_element("css selector", "#body img").click()  # the large picture, one click away
        assert _wait(lambda: d.find_element("id", "overlay").is_displayed())
        big = d.find_element("css selector", "#card img")
        assert _wait(lambda: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", big))
        assert "scenariogen render" in d.find_element("id", "card").text
        artefacts = Path(os.environ.get("SG_TEST_ARTEFACTS") or ROOT / "test-artefacts")
        artefacts.mkdir(parents=True, exist_ok=True)
        d.save_screenshot(str(artefacts / "report_overlay.png"))
        d.find_element("id", "close").click()
        d.execute_script("window.scrollTo(0, 0)")
        assert _wait(lambda: d.execute_script(  # the thumbnails of the first rows have loaded
            "return [...document.querySelectorAll('#body img')].slice(0, 5).every(i => i.complete && i.naturalWidth)"))
        d.save_screenshot(str(artefacts / "report.png"))
        errors = [e for e in d.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
        assert not errors, errors
    finally:
        d.quit()
