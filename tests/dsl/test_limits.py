"""The limits of ``dsl/limits.py``: each accepted at its value and refused one step beyond, the
distributions they allow sample finite values, reading stops at the byte limit whatever the input
is, and ``docs/dsl.md`` lists every limit with its value."""

from __future__ import annotations

import io
import os
import re
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from scenariogen.cli import main
from scenariogen.dsl import limits as L
from scenariogen.dsl import load_scenario, parse_text
from scenariogen.errors import DSLError

ROOT = Path(__file__).resolve().parents[2]
HEAD = "scenariogen: 1\nname: s\n"
STRAIGHT = "road: {type: straight, lanes: 2, length: 300}\nactors:\n  ego: {kind: car, lane: 0, s: 20, speed: 20}\n"


def problems(text: str) -> list[tuple[str, str]]:
    try:
        parse_text(text)
    except DSLError as exc:
        return [(p.path, p.message) for p in exc.problems]
    return []


def polylines(lengths: list[float]) -> str:
    lanes = "".join(f"    l{i}: {{points: [[0, {4 * i}], [{x}, {4 * i}]]}}\n" for i, x in enumerate(lengths))
    return HEAD + "road:\n  type: lanes\n  lanes:\n" + lanes + "actors:\n  ego: {kind: car, lane: l0, s: 1}\n"


# each: (text at the limit, text one step beyond, key path of the problem)
EDGES = {
    "steps": (HEAD + "dt: 0.01\nduration: 1000\n" + STRAIGHT, HEAD + "dt: 0.01\nduration: 1000.1\n" + STRAIGHT,
              "duration"),
    "agents": (HEAD + STRAIGHT + "traffic:\n  - {count: 500}\n  - {count: {choice: [0, 499]}}\n",
               HEAD + STRAIGHT + "traffic:\n  - {count: 500}\n  - {count: {choice: [0, 500]}}\n", "traffic[1].count"),
    "lane": (polylines([L.MAX_LANE_LENGTH]), polylines([L.MAX_LANE_LENGTH + 0.01]), "road.lanes.l0.points"),
    "road": (polylines([L.MAX_LANE_LENGTH] * 20), polylines([L.MAX_LANE_LENGTH] * 20 + [1]),
             "road.lanes"),
    "straight": (HEAD + STRAIGHT.replace("lanes: 2, length: 300", "lanes: 16, length: 10000"), None, None),
    "curve": (HEAD + STRAIGHT.replace("straight, lanes: 2, length: 300", "curve, radius: 3000, angle_deg: 190"),
              HEAD + STRAIGHT.replace("straight, lanes: 2, length: 300", "curve, radius: 3000, angle_deg: 192"),
              "road.radius"),
    "poisson": (HEAD + STRAIGHT + f"params:\n  n: {{poisson: {L.MAX_POISSON_MEAN:.1e}}}\n".replace("e+0", "e+"),
                HEAD + STRAIGHT + "params:\n  n: {poisson: 1.1e+6}\n", "params.n.poisson"),
    "magnitude": (HEAD + STRAIGHT + "params:\n  x: {uniform: [-1.0e+7, 1.0e+7]}\n",
                  HEAD + STRAIGHT + "params:\n  x: {uniform: [-1.0e+7, 1.00001e+7]}\n", "params.x.uniform"),
    "name": (HEAD.replace("name: s", "name: " + "n" * L.MAX_NAME_CHARS) + STRAIGHT,
             HEAD.replace("name: s", "name: " + "n" * (L.MAX_NAME_CHARS + 1)) + STRAIGHT, "name"),
}


@pytest.mark.parametrize("case", sorted(EDGES))
def test_each_limit_accepts_its_value_and_refuses_beyond(case):
    at, beyond, path = EDGES[case]
    assert problems(at) == []
    if beyond is not None:
        assert [p for p, _ in problems(beyond)] == [path]


def test_every_shipped_scenario_is_inside_the_limits():
    for p in sorted((ROOT / "scenarios").glob("*.yaml")) + sorted((ROOT / "tests/dsl/valid").glob("*.yaml")):
        spec = load_scenario(p)
        assert spec.steps <= L.MAX_STEPS and spec.parameters.dim <= L.MAX_PARAMETERS


# distributions at the edges of what the DSL accepts: sampling stays finite and inside the bounds
EXTREMES = {
    "poisson": "{poisson: {lam: 1.0e+6, high: 500}}",
    "poisson_uncapped": "{poisson: 1.0e+6}",
    "normal_open": "{normal: {mean: 0, std: 1.2e+6}}",
    "normal_far": "{normal: {mean: 1.0e+7, std: 1.0e+7, low: 0, high: 1}}",
    "normal_tail": "{normal: {mean: 0, std: 1, low: 39, high: 40}}",
    "lognormal_wide": "{lognormal: {median: 1, sigma: 1.9}}",
    "lognormal_mean_std": "{lognormal: {mean: 1.0e+4, std: 1.0e+4}}",
    "uniform": "{uniform: [-1.0e+7, 1.0e+7]}",
    "choice": "{choice: {values: [-1.0e+7, 1.0e+7], weights: [1.0e+300, 1.0e+300]}}",
}


@pytest.mark.parametrize("case", sorted(EXTREMES))
def test_accepted_distributions_sample_finite_values(case):
    spec = parse_text(HEAD + STRAIGHT + f"params:\n  p: {EXTREMES[case]}\n")
    space = spec.parameters
    theta = np.concatenate([space.sample(np.random.default_rng(0), 2000),
                            space.from_unit(np.array([[1e-16], [0.5], [1 - 1e-16]]))])
    lo, hi = space.bounds()[0]
    assert np.isfinite(theta).all() and (np.abs(theta) <= L.MAX_MAGNITUDE).all()
    assert (theta >= lo - 1e-9 * max(1, abs(lo))).all() and (theta <= hi + 1e-9 * max(1, abs(hi))).all()
    assert np.isfinite(space.logpdf(theta[:2000])).all()


def test_a_huge_poisson_mean_used_to_sample_nan():
    """The defect: lam 1e12 passed validation and sampled NaN counts (and no cars)."""
    from scenariogen.dsl.distributions import Poisson

    assert np.isnan(Poisson(1e12, 500).ppf(np.array([0.5]))).all()
    assert [p for p, _ in problems(HEAD + STRAIGHT + "traffic:\n  - {count: {poisson: {lam: 1.0e+12, high: 500}}}\n")] \
        == ["traffic[0].count.poisson.lam"]


# ----------------------------------------------------------------------------- reading


def test_a_pipe_is_read_only_up_to_the_byte_limit(tmp_path):
    """``validate <(yes "a: 1")`` read the whole stream (1.6 GB) before failing: the size check used
    the file's stat size, 0 for a pipe. Now at most MAX_BYTES + 1 bytes are read."""
    r, w = os.pipe()
    written = [0]

    def endless():
        block = b"a: 1\n" * 13_000
        try:
            while written[0] < 50 * L.MAX_BYTES:
                written[0] += os.write(w, block)
        except OSError:  # the reader closed its end
            pass
        finally:
            os.close(w)

    t = threading.Thread(target=endless, daemon=True)
    t.start()
    try:
        with pytest.raises(DSLError) as info:
            load_scenario(f"/dev/fd/{r}")
    finally:
        os.close(r)
        t.join(10)
    (p,) = info.value.problems
    assert (p.line, p.column) == (1, 1) and "larger than 1000 kB" in p.message
    assert written[0] < 2 * L.MAX_BYTES  # the writer was stopped, not drained


def test_a_device_that_never_ends_is_refused():
    with pytest.raises(DSLError) as info:
        load_scenario("/dev/zero")
    assert "larger than" in info.value.problems[0].message


def test_stdin_is_read_with_the_same_limit(monkeypatch, capsys):
    text = (ROOT / "scenarios/highway_cut_in.yaml").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text)))
    assert main(["validate", "-"]) == 0
    assert "ok (highway_cut_in" in capsys.readouterr().out
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"a: 1\n" * (L.MAX_BYTES // 5 + 1))))
    assert main(["validate", "-"]) == 2
    err = capsys.readouterr().err
    assert "<stdin>:1:1: file is larger than 1000 kB" in err and "Traceback" not in err


# ----------------------------------------------------------------------------- documentation


def test_every_limit_is_documented_with_its_value():
    """docs/dsl.md, "Limits": a table row ``| `NAME` | value | unit | ... |`` per limit."""
    doc = (ROOT / "docs/dsl.md").read_text(encoding="utf-8")
    section = doc[doc.index("### Limits"):]
    section = section[:section.index("\n## ")]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0].startswith("`MAX_"):
            rows[cells[0].strip("`")] = float(re.sub(r"[ ,]", "", cells[1]))
    assert rows == {name: float(getattr(L, name)) for name in L.__all__ if name.startswith("MAX_")}
