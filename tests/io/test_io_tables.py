"""Generic tables: CSV encoding detection and Excel export of any attribute table."""

from __future__ import annotations

import datetime as dt

import numpy as np
import openpyxl
import pandas as pd
import pytest

from gis_app.io import InputFileError, read_csv_auto, write_table_excel
from gis_app.io.tables import decode_bytes

TEXT = "村名,户数,备注\n石门村,120,“重点村”\n大田村（社区）,85,\n"


@pytest.mark.parametrize("encoding, detected", [
    ("utf-8-sig", "utf-8-sig"), ("utf-8", "utf-8"), ("gbk", "gb18030"), ("gb18030", "gb18030"),
    ("utf-16", "utf-16"),
])
def test_read_csv_auto_detects_encodings(tmp_path, encoding, detected):
    path = tmp_path / "villages.csv"
    path.write_bytes(TEXT.encode(encoding))
    frame = read_csv_auto(path)
    assert frame.attrs["encoding"] == detected
    assert list(frame.columns) == ["村名", "户数", "备注"]
    assert list(frame["村名"]) == ["石门村", "大田村（社区）"]
    assert list(frame["户数"]) == ["120", "85"]  # text: the caller decides the types


def test_undecodable_bytes(tmp_path):
    path = tmp_path / "binary.csv"
    path.write_bytes(b"\x81\x30\xff\xfe\x00\x80" * 10)
    with pytest.raises(InputFileError, match="binary.csv: 无法识别文件编码"):
        read_csv_auto(path)
    assert decode_bytes("户".encode("gbk")) == ("户", "gb18030")


def test_ragged_csv_with_a_title_line(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("标题\n村名,户数\n石门村,120,多余\n", encoding="utf-8")
    frame = read_csv_auto(path, header=1)
    assert list(frame.iloc[0][:2]) == ["石门村", "120"]


def test_write_table_excel_types(tmp_path):
    frame = pd.DataFrame({
        "村名": ["石门村", "=SUM(A1)"],
        "户数": pd.array([120, None], dtype="Int64"),
        "面积": [1.5, np.nan],
        "重点村": [True, False],
        "日期": [dt.date(2023, 6, 1), None],
        "时间": pd.to_datetime(["2023-06-01 08:30", None]),
    })
    path = write_table_excel(frame, tmp_path / "table.xlsx", title="村庄统计表")
    ws = openpyxl.load_workbook(path).active
    assert ws["A1"].value == "村庄统计表" and "A1:F1" in {str(r) for r in ws.merged_cells.ranges}
    assert [c.value for c in ws[2]] == list(frame.columns)
    assert ws.freeze_panes == "A3"
    assert [c.value for c in ws[3]] == ["石门村", 120, 1.5, "是", dt.datetime(2023, 6, 1),
                                        dt.datetime(2023, 6, 1, 8, 30)]
    assert ws["A4"].data_type == "s" and ws["A4"].value == "=SUM(A1)"
    assert [c.value for c in ws[4]][1:] == [None, None, "否", None, None]
    a = write_table_excel(frame, tmp_path / "a.xlsx", deterministic=True)
    b = write_table_excel(frame, tmp_path / "b.xlsx", deterministic=True)
    assert a.read_bytes() == b.read_bytes()
