"""Truncated and malformed copies of real files give a LogFormatError naming the file and the place."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scenariogen.errors import ScenarioGenError
from scenariogen.errors import LogFormatError
from scenariogen.logs import read_log

from logs_helpers import ETH, FORECAST, NGSIM, SENSOR, need


def _truncate(src, dst, frac=0.5):
    data = src.read_bytes()
    dst.write_bytes(data[: int(len(data) * frac)])
    return dst


def _raises(path, *patterns):
    with pytest.raises(LogFormatError) as ei:
        read_log(path)
    msg = str(ei.value)
    assert isinstance(ei.value, ScenarioGenError)
    assert str(path) in msg
    for p in patterns:
        assert p in msg, msg
    return msg


def test_commonroad_truncated(tmp_path):
    p = _truncate(need(NGSIM / "USA_US101-3_3_T-1.xml"), tmp_path / "cut.xml")
    _raises(p, "malformed XML", "line ")


@pytest.mark.parametrize("name", ["USA_US101-3_3_T-1.xml", "USA_Peach-4_8_T-1.xml"])
def test_commonroad_malformed_element(tmp_path, name):
    text = need(NGSIM / name).read_text()
    bad = text.replace("<exact>5</exact>", "<exact>five</exact>", 1)
    assert bad != text
    p = tmp_path / name
    p.write_text(bad)
    msg = _raises(p, "<state> #", "time/exact")
    assert "obstacle" in msg.lower() or "Obstacle" in msg


def test_commonroad_missing_position(tmp_path):
    text = need(NGSIM / "USA_US101-4_1_T-1.xml").read_text()
    i = text.index("<position>", text.index("<dynamicObstacle"))
    j = text.index("</position>", i) + len("</position>")
    p = tmp_path / "nopos.xml"
    p.write_text(text[:i] + text[j:])
    _raises(p, "<dynamicObstacle id=", "missing <position>")


def test_eth_bad_row(tmp_path):
    lines = need(ETH / "crowds_zara01.txt").read_text().splitlines()
    lines[16] = "10\t3.0\tabc\t1.0"
    p = tmp_path / "zara.txt"
    p.write_text("\n".join(lines))
    _raises(p, "line 17", "not a number")
    lines[16] = "10\t3.0\t1.0"
    p.write_text("\n".join(lines))
    _raises(p, "line 17", "expected 4 columns")


def test_eth_truncated_mid_row(tmp_path):
    p = tmp_path / "cut.txt"
    data = need(ETH / "students001.txt").read_text()
    cut = data[: len(data) // 2]
    cut = cut[: cut.rindex("\t")]  # stop inside a row: 3 columns
    p.write_text(cut)
    _raises(p, "line ", "expected 4 columns")


def test_av2_parquet_truncated(tmp_path):
    pytest.importorskip("pyarrow")
    p = _truncate(need(FORECAST), tmp_path / "scenario.parquet")
    _raises(p, "not a readable parquet file")


def test_av2_parquet_bad_row(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import numpy as np
    import pyarrow.parquet as pq

    t = pq.read_table(need(FORECAST))
    x = t.column("position_x").to_numpy().copy()
    x[123] = np.nan
    t = t.set_column(t.column_names.index("position_x"), "position_x", pa.array(x))
    p = tmp_path / "scenario.parquet"
    pq.write_table(t, p)
    _raises(p, "row 123", "position_x")
    pq.write_table(t.drop(["heading"]), p)
    _raises(p, "missing column(s) heading")


def test_av2_sensor_truncated_and_missing_poses(tmp_path):
    pytest.importorskip("pyarrow")
    src = need(SENSOR / "adcf7d18-0510-35b0-a2fa-b4cea13a6d76")
    d = tmp_path / "log"
    d.mkdir()
    shutil.copy(src / "city_SE3_egovehicle.feather", d)
    _truncate(src / "annotations.feather", d / "annotations.feather", 0.3)
    _raises(d / "annotations.feather", "not a readable feather file")
    shutil.copy(src / "annotations.feather", d)
    (d / "city_SE3_egovehicle.feather").unlink()
    _raises(d / "annotations.feather", "city_SE3_egovehicle.feather")


def test_npz_truncated(tmp_path):
    import scenariogen
    from scenariogen.data.npz import save_npz

    spec = scenariogen.load_scenario(Path(__file__).resolve().parents[2] / "scenarios" / "highway_cut_in.yaml")
    good = save_npz(scenariogen.simulate(spec, n=3, seed=1), tmp_path / "b.npz")
    p = _truncate(good, tmp_path / "cut.npz")
    _raises(p, "not a readable scenariogen .npz batch")


def test_unknown_format_and_missing_file(tmp_path):
    p = tmp_path / "thing.bin"
    p.write_bytes(b"\x00\x01garbage")
    _raises(p, "unknown log format", "commonroad", "av2", "eth-ucy", "scenariogen")
    _raises(tmp_path / "nope.xml", "no such file")
    d = tmp_path / "emptydir"
    d.mkdir()
    _raises(d, "neither a scenariogen run")
