"""The ledger workbook as Excel sees it: numbers and dates typed, text kept, well-formed, atomic.

Read back with openpyxl (cell types and number formats), GDAL (another reader of the package)
and the XML parser (every part well-formed); the values are compared with the frame written.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from xml.etree import ElementTree

import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest

from gis_app.core.idcard import is_valid, validation_error
from gis_app.io import InputFileError, read_ledger, write_ledger_excel
from gis_app.io.tables import write_table_excel

HEADER_ROW = 4


def _sheet(path):
    ws = openpyxl.load_workbook(path).active
    header = [c.value for c in ws[HEADER_ROW]]
    return ws, lambda row, name: ws.cell(HEADER_ROW + 1 + row, header.index(name) + 1)


def test_numbers_dates_and_text_are_excel_types(tmp_path, ledger_frame):
    frame = ledger_frame.copy()
    frame.loc[1, "income_per_person"] = 0.1 + 0.2  # 17 significant digits survive
    path = write_ledger_excel(frame, tmp_path / "台账.xlsx", title="台账", unit="罗城乡")
    ws, cell = _sheet(path)
    for i in range(len(frame)):
        income = cell(i, "家庭年人均纯收入")
        want = frame["income_per_person"].iloc[i]
        if np.isnan(want):
            assert income.value is None
        else:
            assert isinstance(income.value, (int, float)) and not isinstance(income.value, bool)
            assert income.value == want and income.number_format == "#,##0.00"
        members = cell(i, "家庭人口数")
        assert members.value == frame["members"].iloc[i] and members.data_type == "n"
        assert cell(i, "户属性").value == frame["attribute"].iloc[i]
        checked = cell(i, "排查日期")
        if frame["checked_on"].iloc[i] is None:
            assert checked.value is None
        else:
            assert checked.is_date and checked.value.date() == frame["checked_on"].iloc[i]
            assert checked.number_format == "yyyy-mm-dd"
        lon = cell(i, "经度")
        if not np.isnan(frame["lon"].iloc[i]):
            assert lon.value == frame["lon"].iloc[i] and lon.number_format == "0.000000"
        # ID numbers, phones and codes stay text: every digit and leading zero kept.
        identity = cell(i, "户主证件号码")
        assert identity.data_type == "s" and identity.value == frame["head_id_number"].iloc[i]
        assert identity.number_format == "@"
        for name, key in (("联系电话", "phone"), ("户编号", "household_code")):
            value = frame[key].iloc[i]
            assert cell(i, name).value == (None if pd.isna(value) or value == "" else value)
            assert cell(i, name).data_type in ("s", "n") and not isinstance(
                cell(i, name).value, (int, float))
        water = cell(i, "是否有饮水安全问题").value
        assert water == ("是" if frame["water_problem"].iloc[i] else "否")
    assert cell(1, "家庭年人均纯收入").value == 0.30000000000000004
    assert cell(1, "户编号").value == "0043"
    assert cell(2, "联系电话").value == "0739-5123456"
    # A text starting with "=" is text, never a formula.
    assert cell(0, "其他问题").value == "=1+1 不是公式" and cell(0, "其他问题").data_type == "s"
    assert cell(1, "是否有住房安全问题").value == "否"
    assert cell(2, "是否有住房安全问题").value is None


def test_the_workbook_is_print_ready_and_well_formed(tmp_path, ledger_frame):
    path = write_ledger_excel(ledger_frame, tmp_path / "台账.xlsx", title="台账 & <附件2>")
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        for name in archive.namelist():
            if name.endswith((".xml", ".rels")):
                ElementTree.fromstring(archive.read(name))  # raises when malformed
    ws = openpyxl.load_workbook(path).active
    assert ws["A1"].value == "台账 & <附件2>"
    assert ws.freeze_panes == "E5"
    assert ws.print_title_rows == "$3:$4"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
    assert ws.column_dimensions["E"].width == 22  # 户主证件号码
    assert ws["E5"].border.left.style == "thin"
    pyogrio.set_gdal_config_options({"OGR_XLSX_HEADERS": "DISABLE"})
    try:
        gdal = pyogrio.read_dataframe(path)
    finally:
        pyogrio.set_gdal_config_options({"OGR_XLSX_HEADERS": None})
    # GDAL reads the same rows: title, unit, groups, headers, five households, notes.
    assert len(gdal) == 4 + len(ledger_frame) + 1
    assert list(gdal.iloc[HEADER_ROW:HEADER_ROW + 5, 3]) == list(ledger_frame["head_name"])


def test_a_cancelled_write_leaves_no_file_and_the_old_one_untouched(tmp_path, ledger_frame):
    class Stop(Exception):
        pass

    def cancel(done, total):
        raise Stop

    target = tmp_path / "台账.xlsx"
    with pytest.raises(Stop):
        write_ledger_excel(ledger_frame, target, progress=cancel)
    assert list(tmp_path.iterdir()) == []
    target.write_bytes(b"old")
    with pytest.raises(Stop):
        write_table_excel(ledger_frame, target, progress=cancel)
    assert target.read_bytes() == b"old" and list(tmp_path.iterdir()) == [target]


def test_progress_reaches_the_end(tmp_path, ledger_frame):
    seen = []
    write_ledger_excel(ledger_frame, tmp_path / "a.xlsx", progress=lambda d, t: seen.append((d, t)))
    assert seen[-1][0] == seen[-1][1] and all(d <= t for d, t in seen)


def test_same_content_same_bytes(tmp_path, ledger_frame):
    first = write_ledger_excel(ledger_frame, tmp_path / "a.xlsx", deterministic=True)
    second = write_ledger_excel(ledger_frame, tmp_path / "b.xlsx", deterministic=True)
    assert first.read_bytes() == second.read_bytes()


def test_table_export_keeps_types(tmp_path):
    frame = pd.DataFrame({"名称": ["甲", "乙"], "人数": [3, 12000],
                          "收入": [13860.0, 2500.5], "日期": [dt.date(2023, 6, 1), None],
                          "是否": [True, False]})
    path = write_table_excel(frame, tmp_path / "t.xlsx", title="表")
    ws = openpyxl.load_workbook(path).active
    assert [c.value for c in ws[2]] == ["名称", "人数", "收入", "日期", "是否"]
    assert ws["B4"].value == 12000 and ws["B4"].number_format == "0"
    assert ws["C3"].value == 13860 and ws["C3"].number_format == "#,##0.00"
    assert ws["D3"].is_date and ws["D3"].value.date() == dt.date(2023, 6, 1)
    assert ws["E3"].value == "是" and ws.freeze_panes == "A3"


def _ledger_rows(path, ids):
    headers = ["序号", "户主姓名", "户主证件号码", "家庭人口数", "户属性"]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["台账"])
    ws.append(headers)
    for i, value in enumerate(ids, start=1):
        ws.append([i, f"户主{i}", value, 2, 1])
    wb.save(path)
    return path


def test_id_numbers_stored_as_numbers_are_named(tmp_path):
    # The whole column typed as numbers (Excel keeps 15 digits): every row says so.
    ids = [int(i) for i in (_unique_id(n) for n in range(20)) if i[-1] != "X"][:2]
    with pytest.raises(InputFileError) as excinfo:
        read_ledger(_ledger_rows(tmp_path / "numbers.xlsx", ids))
    errors = [i.message for i in excinfo.value.issues if i.field == "户主证件号码"]
    assert len(errors) == 2 and all(e.startswith("证件号码被存成了数字") for e in errors)


def test_full_width_id_numbers_are_read_half_width(tmp_path, make_id):
    good = make_id(seq="007")
    wide = good.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    result = read_ledger(_ledger_rows(tmp_path / "wide.xlsx", [wide]))
    assert list(result.frame["head_id_number"]) == [good]


def test_full_width_digits_are_explained_not_a_crash(make_id):
    wide = make_id().translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert validation_error(wide) == "证件号码含有全角字符，应为半角数字和X"
    assert not is_valid(wide)
    assert validation_error("43052319900101123٣") == "证件号码含有非法字符"  # Arabic-Indic 3


def test_a_truncated_ledger_is_refused_as_broken(tmp_path, ledger_frame):
    good = write_ledger_excel(ledger_frame, tmp_path / "good.xlsx")
    for cut in (200, good.stat().st_size // 3, good.stat().st_size - 30):
        broken = tmp_path / f"cut{cut}.xlsx"
        broken.write_bytes(good.read_bytes()[:cut])
        with pytest.raises(InputFileError) as excinfo:
            read_ledger(broken)
        assert "文件已损坏或不是有效的Excel文件" in str(excinfo.value)


def test_a_bad_last_row_is_named(tmp_path, ledger_frame):
    frame = pd.concat([ledger_frame] * 40, ignore_index=True)
    frame["head_id_number"] = [_unique_id(i) for i in range(len(frame))]
    last = len(frame) - 1
    frame.loc[last, "head_id_number"] = frame.loc[last, "head_id_number"][:17] + (
        "0" if frame.loc[last, "head_id_number"][17] != "0" else "1")
    path = write_ledger_excel(frame, tmp_path / "big.xlsx")
    with pytest.raises(InputFileError) as excinfo:
        read_ledger(path)
    errors = [str(i) for i in excinfo.value.issues if i.severity == "error"]
    assert len(errors) == 1
    row = HEADER_ROW + 1 + last
    assert errors[0].startswith(f"big.xlsx 第{row}行【户主证件号码】: 证件号码校验位错误")


def _unique_id(i: int) -> str:
    from gis_app.core.idcard import check_digit

    first17 = f"430523{dt.date(1950, 1, 1) + dt.timedelta(days=i):%Y%m%d}{i % 1000:03d}"
    return first17 + check_digit(first17)


def test_a_point_layer_in_excel_keeps_every_digit(tmp_path):
    import geopandas as gpd

    from gis_app.io import read_vector, write_vector

    x, y = [110.7598492738501, 111.1, 0.1 + 110.2], [27.236634831001556, 27.2, 26.9]
    points = gpd.GeoDataFrame({"名称": ["甲", "乙", "丙"], "户数": [3, 12, 7]},
                              geometry=gpd.points_from_xy(x, y), crs=4490)
    path = write_vector(points, tmp_path / "点.xlsx")
    ws = openpyxl.load_workbook(path).active
    header = [c.value for c in ws[1]]
    lon = ws.cell(2, header.index("经度") + 1)
    assert lon.value == x[0] and lon.number_format == "0.000000"
    back = read_vector(path).frame
    assert list(back.geometry.x) == x and list(back.geometry.y) == y
    assert list(back["户数"]) == [3, 12, 7]
