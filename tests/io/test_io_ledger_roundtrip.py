"""Export then import of the annex-2 ledger gives back the same values; layout and determinism."""

from __future__ import annotations

import datetime as dt
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gis_app.core.idcard import check_digit
from gis_app.core.ledger import ANNEX2_COLUMNS
from gis_app.io import read_ledger, write_ledger_excel

TITLE = "邵阳县防止返贫监测帮扶集中排查台账"


def _plain(value):
    """Comparable form: every kind of missing is None, numpy scalars become Python values."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, str):
        return value or None
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return None if np.isnan(value) else float(value)
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value


def assert_same_values(expected: pd.DataFrame, actual: pd.DataFrame) -> None:
    for key in expected.columns:
        assert key in actual.columns, key
        want = [_plain(v) for v in expected[key]]
        got = [_plain(v) for v in actual[key]]
        assert got == want, key


def test_round_trip_returns_every_value(tmp_path, ledger_frame):
    path = write_ledger_excel(ledger_frame, tmp_path / "台账.xlsx", title=TITLE,
                              unit="罗城乡", date=dt.date(2023, 6, 2))
    result = read_ledger(path)
    assert result.header_row == 4
    assert list(result.rows) == [5, 6, 7, 8, 9]
    assert_same_values(ledger_frame, result.frame)
    assert list(result.frame["seq"]) == [1, 2, 3, 4, 5]
    # ID ending in X, dates and the types the importer promises
    assert result.frame["head_id_number"].iloc[1].endswith("X")
    assert result.frame["checked_on"].iloc[0] == dt.date(2023, 6, 1)
    assert result.frame["checked_on"].iloc[2] is pd.NaT
    assert str(result.frame["members"].dtype) == "Int64"
    assert str(result.frame["attribute"].dtype) == "Int64"
    assert result.frame["lon"].dtype == np.float64
    assert result.frame["water_problem"].dtype == bool
    assert str(result.frame["housing_problem"].dtype) == "boolean"
    # monitored households all have a monitoring type: no warning
    assert result.issues == []


def test_layout_matches_the_form(tmp_path, ledger_frame):
    path = write_ledger_excel(ledger_frame, tmp_path / "ledger.xlsx", title=TITLE,
                              unit="罗城乡人民政府", date=dt.date(2023, 6, 2))
    ws = openpyxl.load_workbook(path).active
    merged = {str(r) for r in ws.merged_cells.ranges}
    last = openpyxl.utils.get_column_letter(len(ANNEX2_COLUMNS))
    assert ws["A1"].value == "邵阳县防止返贫监测帮扶集中排查台账"
    assert ws["A1"].font.b and ws["A1"].alignment.horizontal == "center"
    assert f"A1:{last}1" in merged
    assert ws["A2"].value == "填报单位：罗城乡人民政府"
    assert any(c.value == "填报时间：2023年6月2日" for c in ws[2])
    assert ws["A3"].value == "基本情况" and "A3:G3" in merged  # 序号 … 户属性
    assert ws["I3"].value == "三保障和饮水安全" and "I3:L3" in merged
    assert [c.value for c in ws[4]] == [c.header for c in ANNEX2_COLUMNS]
    assert ws.freeze_panes == "E5"
    header = {c.value: c.column for c in ws[4]}
    id_cell = ws.cell(6, header["户主证件号码"])
    assert id_cell.data_type == "s" and id_cell.number_format == "@"
    assert id_cell.value == ledger_frame["head_id_number"].iloc[1]
    assert ws.cell(5, header["联系电话"]).data_type == "s"
    assert ws.cell(5, header["户属性"]).value == 1  # codes are integers
    assert ws.cell(5, header["是否有住房安全问题"]).value == "是"
    assert ws.cell(6, header["是否有住房安全问题"]).value == "否"
    assert ws.cell(7, header["是否有住房安全问题"]).value is None
    date_cell = ws.cell(5, header["排查日期"])
    assert date_cell.is_date and date_cell.number_format == "yyyy-mm-dd"
    assert ws.cell(5, header["家庭年人均纯收入"]).value == 7500.5
    formula = ws.cell(5, header["其他问题"])
    assert formula.data_type == "s" and formula.value.startswith("=")
    notes = ws.cell(5 + len(ledger_frame), 1).value
    assert notes.startswith("备注") and "1.脱贫户；2.监测对象；3.档外农户" in notes


def test_deterministic_bytes(tmp_path, ledger_frame):
    first = write_ledger_excel(ledger_frame, tmp_path / "a.xlsx", deterministic=True)
    second = write_ledger_excel(ledger_frame, tmp_path / "b.xlsx", deterministic=True)
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        assert {info.date_time for info in archive.infolist()} == {(2000, 1, 1, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
    assert "2000-01-01T00:00:00Z" in core
    wb = openpyxl.load_workbook(first)
    assert wb.properties.modified == dt.datetime(2000, 1, 1)


def test_only_some_keys_are_written_and_read(tmp_path, make_id):
    frame = pd.DataFrame({"head_name": ["张三"], "head_id_number": [make_id()],
                          "members": [2], "attribute": [3]})
    result = read_ledger(write_ledger_excel(frame, tmp_path / "min.xlsx"))
    assert_same_values(frame, result.frame)


_CHINESE = st.text(alphabet=st.sampled_from(list("张王李赵欧阳娜石门村乡镇社区（）-·A1 ")),
                   min_size=1, max_size=12).map(str.strip).filter(bool)


@st.composite
def _households(draw):
    n = draw(st.integers(1, 6))
    seqs = draw(st.lists(st.integers(0, 999), min_size=n, max_size=n, unique=True))
    births = draw(st.lists(st.dates(dt.date(1920, 1, 1), dt.date(2020, 12, 31)),
                           min_size=n, max_size=n))
    first17 = [f"430523{b:%Y%m%d}{s:03d}" for s, b in zip(seqs, births, strict=True)]
    ids = [p + check_digit(p) for p in first17]
    opt = st.none() | st.booleans()
    return pd.DataFrame({
        "head_name": draw(st.lists(_CHINESE, min_size=n, max_size=n)),
        "head_id_number": ids,
        "members": pd.array(draw(st.lists(st.integers(1, 20), min_size=n, max_size=n)),
                            dtype="Int64"),
        "attribute": pd.array(draw(st.lists(st.integers(1, 3), min_size=n, max_size=n)),
                              dtype="Int64"),
        "risk_type": pd.array(draw(st.lists(st.none() | st.integers(1, 9), min_size=n,
                                            max_size=n)), dtype="Int64"),
        "has_risk": pd.array(draw(st.lists(opt, min_size=n, max_size=n)), dtype="boolean"),
        "other_problems": draw(st.lists(st.none() | _CHINESE, min_size=n, max_size=n)),
        "checked_on": draw(st.lists(st.none() | st.dates(dt.date(2000, 1, 1),
                                                         dt.date(2030, 12, 31)),
                                    min_size=n, max_size=n)),
        "lon": draw(st.lists(st.none() | st.floats(73.5, 135.0), min_size=n, max_size=n)),
        "income_per_person": draw(st.lists(st.none() | st.floats(0, 1e6), min_size=n,
                                           max_size=n)),
        "phone": draw(st.lists(st.none() | st.from_regex(r"1[3-9]\d{9}", fullmatch=True),
                               min_size=n, max_size=n)),
    }).assign(lat=lambda f: np.where(f["lon"].isna(), np.nan, 27.0))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(frame=_households())
def test_round_trip_property(tmp_path, frame):
    frame["lon"] = frame["lon"].astype(np.float64)
    path = write_ledger_excel(frame, tmp_path / "prop.xlsx")
    assert_same_values(frame, read_ledger(path).frame)


@pytest.mark.parametrize("suffix", [".xlsx"])
def test_written_file_is_a_valid_zip(tmp_path, ledger_frame, suffix):
    path = write_ledger_excel(ledger_frame, tmp_path / f"x{suffix}")
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None


def test_labels_and_words_are_accepted_on_export(tmp_path, make_id):
    frame = pd.DataFrame({"head_name": ["张三"], "head_id_number": [make_id()], "members": ["4"],
                          "attribute": ["监测对象"], "monitoring_type": ["2.边缘易致贫户"],
                          "has_risk": ["是"], "checked_on": ["2023-06-01"]})
    result = read_ledger(write_ledger_excel(frame, tmp_path / "labels.xlsx"))
    row = result.frame.iloc[0]
    assert (row["members"], row["attribute"], row["monitoring_type"]) == (4, 2, 2)
    assert bool(row["has_risk"]) is True and row["checked_on"] == dt.date(2023, 6, 1)


@pytest.mark.parametrize("column, value, message", [
    ("attribute", "贫困户", "列【户属性】有1个值不是整数代码：第1条“贫困户”"),
    ("has_risk", "可能", "列【是否存在致返贫风险】有1个值不是是/否：第1条“可能”"),
    ("members", "三口", "列【家庭人口数】有1个值不是整数：第1条“三口”"),
])
def test_export_refuses_values_it_would_lose(tmp_path, make_id, column, value, message):
    frame = pd.DataFrame({"head_name": ["张三"], "head_id_number": [make_id()], "members": [3],
                          "attribute": [1], column: [value]})
    with pytest.raises(ValueError, match=message):
        write_ledger_excel(frame, tmp_path / "bad.xlsx")
    assert not (tmp_path / "bad.xlsx").exists()
