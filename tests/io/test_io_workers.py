"""The worker roster: round trip and the checks on roles and phone numbers."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd
import pytest

from gis_app.core.codes import WorkerRole
from gis_app.core.ledger import WORKER_COLUMNS
from gis_app.io import InputFileError, read_workers, write_workers_excel


@pytest.fixture
def workers(make_id) -> pd.DataFrame:
    return pd.DataFrame({
        "name": ["刘建国", "陈晓梅", "王五"],
        "role": [WorkerRole.GRID_CAPTAIN.value, WorkerRole.LEVEL3_WORKER.value,
                 WorkerRole.HELPER.value],
        "unit": ["邵阳县人民政府", "罗城乡人民政府", None],
        "phone": ["13807390001", "13907390002", "15073900003"],
        "id_number": [make_id(seq="101"), None, make_id(seq="103")],
        "grid_codes": ["430523101", "430523101001001,430523101001002", None],
        "start_date": [dt.date(2023, 1, 1), dt.date(2023, 3, 15), None],
    })


def test_round_trip(tmp_path, workers):
    path = write_workers_excel(workers, tmp_path / "网格员.xlsx")
    ws = openpyxl.load_workbook(path).active
    assert ws["A1"].value == "网格工作人员名册"
    assert [c.value for c in ws[2]] == [c.header for c in WORKER_COLUMNS]
    assert ws.freeze_panes == "A3"
    result = read_workers(path)
    assert result.header_row == 2 and result.issues == []
    for key in workers.columns:
        got = [None if pd.isna(v) else v for v in result.frame[key]]
        want = [None if pd.isna(v) else v for v in workers[key]]
        assert got == want, key
    assert list(result.frame["seq"]) == [1, 2, 3]


def test_deterministic(tmp_path, workers):
    a = write_workers_excel(workers, tmp_path / "a.xlsx", deterministic=True)
    b = write_workers_excel(workers, tmp_path / "b.xlsx", deterministic=True)
    assert a.read_bytes() == b.read_bytes()


def test_invalid_role_phone_and_missing_name(tmp_path, workers):
    bad = workers.copy()
    bad.loc[0, "role"] = "村长"
    bad.loc[1, "phone"] = "0739-5123456"
    bad.loc[2, "name"] = None
    path = write_workers_excel(bad, tmp_path / "workers.xlsx")
    with pytest.raises(InputFileError) as excinfo:
        read_workers(path)
    errors = [str(i) for i in excinfo.value.errors]
    roles = "、".join(r.value for r in WorkerRole)
    assert errors == [
        f"workers.xlsx 第3行【网格职务】: “村长”不是有效的网格职务，应为：{roles}",
        "workers.xlsx 第4行【联系电话】: 联系电话应为11位手机号码（当前值“0739-5123456”）",
        "workers.xlsx 第5行【姓名】: 必填项为空",
    ]


def test_csv_roster_with_aliases(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes("姓名,职务,单位,电话\n刘建国,网格长,县政府,13807390001\n".encode("gbk"))
    result = read_workers(path)
    assert result.frame.loc[0, "role"] == "网格长"
    assert result.frame.loc[0, "phone"] == "13807390001"
    missing = tmp_path / "no_phone.csv"
    missing.write_text("姓名,网格职务\n刘建国,网格长\n", encoding="utf-8")
    expected = "no_phone.csv 第1行【联系电话】: 缺少必填列【联系电话】"
    with pytest.raises(InputFileError, match=expected):
        read_workers(missing)
