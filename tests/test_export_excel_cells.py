"""``gis-app export P out.xlsx``: the ledger's numbers and dates are Excel's, as in the store.

The workbook is read back with openpyxl and every household's cells are compared with the rows
read from the project file with sqlite3 (not through the app's readers).
"""

from __future__ import annotations

import datetime as dt
import sqlite3

import openpyxl
import pytest

from gis_app.cli import main
from gis_app.core.idcard import mask_id, mask_phone

HEADER_ROW = 4


def _store(path) -> dict:
    with sqlite3.connect(path) as connection:
        rows = connection.execute(
            "SELECT household_code, head_id_number, phone, members, attribute, "
            "income_per_person, lon, lat FROM household").fetchall()
        newest = connection.execute(
            "SELECT id FROM campaign ORDER BY year DESC, round DESC LIMIT 1").fetchone()[0]
        checked = connection.execute(
            "SELECT h.household_code, r.checked_on FROM investigation_record r "
            "JOIN household h ON h.id = r.household_id WHERE r.campaign_id = ? "
            "ORDER BY r.checked_on, r.id", (newest,)).fetchall()
    dates = dict(checked)  # the latest record of the newest campaign wins, as the ledger says
    return {code: (*rest, dates.get(code)) for code, *rest in rows}


def _ledger(path):
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        rows = list(book.active.iter_rows(min_row=HEADER_ROW))
    finally:
        book.close()
    header = [c.value for c in rows[0]]
    return [{name: cell for name, cell in zip(header, row, strict=False)}
            for row in rows[1:] if row[header.index("户编号")].value]


@pytest.mark.parametrize("unmask", [False, True])
def test_exported_ledger_cells_against_the_store(sample_project_path, tmp_path, capsys, unmask):
    out = tmp_path / "台账.xlsx"
    argv = ["export", str(sample_project_path), str(out)] + (["--unmask"] if unmask else [])
    assert main(argv) == 0, capsys.readouterr().err
    store = _store(sample_project_path)
    ledger = _ledger(out)
    assert len(ledger) == len(store)
    dated = 0
    for row in ledger:
        code = row["户编号"].value
        identity, phone, members, attribute, income, lon, lat, checked = store[code]
        assert row["户编号"].data_type == "s"
        id_cell = row["户主证件号码"]
        assert id_cell.data_type == "s" and id_cell.number_format == "@"
        assert id_cell.value == (identity if unmask else mask_id(identity))
        if phone:
            assert row["联系电话"].value == (phone if unmask else mask_phone(phone))
        assert row["家庭人口数"].value == members and isinstance(members, int)
        assert row["户属性"].value == attribute
        assert row["家庭年人均纯收入"].data_type == "n"
        assert row["家庭年人均纯收入"].value == pytest.approx(income, abs=0)
        assert row["家庭年人均纯收入"].number_format == "#,##0.00"
        if lon is not None:
            assert (row["经度"].value, row["纬度"].value) == (lon, lat)
        if checked is not None:
            cell = row["排查日期"]
            assert cell.is_date and cell.value.date() == dt.date.fromisoformat(checked)
            dated += 1
        else:
            assert row["排查日期"].value is None
    assert dated > len(store) // 2  # the sample county's campaign checked most households
