"""``scenariogen list`` (report/table.py): one row per kept scenario with its id, events, metrics,
weight and conflict type; ``--where`` and ``--sort``; ``render --id`` and ``--row`` agree with it."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from scenariogen.api import list_scenarios
from scenariogen.cli import main
from scenariogen.data.run import open_run
from scenariogen.errors import ParameterError, ScenarioGenError
from scenariogen.render import find_scenario


def test_one_row_per_kept_scenario_in_run_order(small_run):
    table = list_scenarios(small_run)
    run = open_run(small_run)
    batch = run.batch()
    assert [r.row for r in table.rows] == list(range(batch.size)) and batch.size == run.manifest.totals.kept
    assert [r.id for r in table.rows] == batch.indices.tolist()
    assert table.target == "hard_braking" and "collision" in table.events
    for r, b in zip(table.rows, range(batch.size)):
        assert r.events == tuple(k for k, v in batch.labels.items() if v[b])
        assert r.min_ttc == batch.metrics["min_ttc"][b] and r.min_distance == batch.metrics["min_distance"][b]
        assert r.weight == 1.0  # plain MC: q = p
        assert (r.conflict != "") == ("hard_braking" in r.events)  # conflict types are those of target events
        assert (r.collision != "") == math.isfinite(batch.metrics["collision_time"][b])
    assert any(r.conflict for r in table.rows)


def test_weights_and_conflicts_come_from_the_shards(small_run, tmp_path):
    """The weight is exp(sim/log_weight) of the scenario's own id, however the shard orders its rows."""
    run = open_run(small_run)
    rec = run.manifest.shards[1]
    sim = run.sim_arrays(rec)
    from scenariogen.report.table import shard_rows

    batch = run.read_shard(rec, frames=False)[0]
    fake = dict(sim, log_weight=np.log(np.arange(1, len(sim["index"]) + 1, dtype=float))[::-1].copy(),
                index=sim["index"][::-1].copy())
    rows = shard_rows(batch, fake, 0, 0)
    for r in rows:
        k = int(np.flatnonzero(fake["index"] == r.id)[0])
        assert r.weight == pytest.approx(math.exp(fake["log_weight"][k]))


def test_where_and_sort(small_run):
    table = list_scenarios(small_run)
    fast = list_scenarios(small_run, where="min_ttc < 2 and not collision", sort="min_ttc")
    expect = [r for r in table.rows if r.min_ttc < 2 and not r.collision]
    assert sorted(r.id for r in fast.rows) == sorted(r.id for r in expect) and fast.rows
    assert [r.min_ttc for r in fast.rows] == sorted(r.min_ttc for r in expect)
    down = list_scenarios(small_run, sort="min_distance", descending=True).rows
    assert [r.min_distance for r in down] == sorted((r.min_distance for r in table.rows), reverse=True)
    events = list_scenarios(small_run, where="near_miss or 'hard_braking' in events").rows
    assert {r.id for r in events} == {r.id for r in table.rows if {"near_miss", "hard_braking"} & set(r.events)}
    assert len(list_scenarios(small_run, where="'cutter' in conflict and id >= 0").rows) == \
        sum("cutter" in r.conflict for r in table.rows)


@pytest.mark.parametrize("where, message", [
    ("min_tc < 1", "unknown name 'min_tc'"),
    ("__import__('os')", "call is not allowed"),
    ("min_ttc <", "is not a condition"),
    ("min_ttc.real > 1", "attribute is not allowed"),
    ("events < 1", "cannot compare"),
    ("-conflict < 1", "cannot negate"),
])
def test_bad_where_is_a_clear_error(small_run, where, message):
    with pytest.raises(ParameterError, match=message):
        list_scenarios(small_run, where=where)


def test_cli_list(small_run, capsys):
    assert main(["list", str(small_run), "--where", "min_ttc < 5", "--sort", "min_ttc", "--limit", "3"]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["row", "id", "stage", "events"] and len(lines) == 4
    assert "where min_ttc < 5 (3 shown)" in err
    assert main(["list", str(small_run), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["rows"]) == open_run(small_run).manifest.totals.kept
    assert data["rows"][0]["collision_time"] in ("inf", data["rows"][0]["collision_time"])
    assert main(["list", str(small_run), "--where", "foo > 1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --where: unknown name 'foo'") and "Traceback" not in err
    assert main(["list", str(small_run), "--sort", "nope"]) == 2
    assert "--sort: unknown column 'nope'" in capsys.readouterr().err
    assert main(["list", str(small_run / "missing")]) == 2


def test_render_id_and_row_agree_with_list(small_run):
    """Every row of the table is found again by its id and by its row, in both shards."""
    table = list_scenarios(small_run)
    for r in (table.rows[0], table.rows[150], table.rows[-1]):
        b1, i1, row1 = find_scenario(small_run, id=r.id)
        b2, i2, row2 = find_scenario(small_run, row=r.row)
        assert int(b1.indices[i1]) == int(b2.indices[i2]) == r.id and row1 == row2 == r.row


def test_render_id_errors(small_run, tmp_path):
    with pytest.raises(ScenarioGenError, match="no scenario 999999"):
        find_scenario(small_run, id=999999)
    with pytest.raises(ScenarioGenError, match="row 240 out of range"):
        find_scenario(small_run, row=240)


def test_cli_render_names_the_scenario_it_drew(small_run, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    row = list_scenarios(small_run, sort="min_ttc").rows[0]
    assert main(["render", str(small_run), "--id", str(row.id), "--out", str(tmp_path / "a.png")]) == 0
    assert f"scenario id {row.id} (row {row.row} of run)" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main(["render", str(small_run), "--id", "1", "--row", "2", "--out", str(tmp_path / "b.png")])
    assert exc.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_cli_list_refuses_a_negative_limit(small_run, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["list", str(small_run), "--limit", "-1"])
    assert exc.value.code == 2 and "must be 0 or more, got -1" in capsys.readouterr().err
