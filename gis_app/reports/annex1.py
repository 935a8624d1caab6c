"""Annex 1 in the official layout: 防止返贫监测帮扶集中排查情况统计表 (seed 002, 附件1).

Each sheet is one table: the title, 填报单位（盖章）and 填报时间, the form's four header rows with
their merged cells (:data:`gis_app.core.annex.HEADER`), the row of codes A1 … D2, one row per unit
and the total row, then the form's 备注. Counts are Excel numbers. The leading columns are the
form's 序号 and 乡镇场, and 村（社区）on a township's sheet (annex 2's column, one row per village).
Identities are checked by the caller before anything is written.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from gis_app.core.annex import CODES, HEADER, HEADER_ROWS, NOTE
from gis_app.reports.forms import FormSheet, date_text, new_workbook, page_setup, save, sheet_title

#: Sheet rows: title, unit and date, the four header rows, codes, then data.
TITLE_ROW, UNIT_ROW, FIRST_HEADER_ROW = 1, 2, 3
CODE_ROW = FIRST_HEADER_ROW + HEADER_ROWS
FIRST_DATA_ROW = CODE_ROW + 1
_LEAD_WIDTHS = {"序号": 5, "乡镇场": 10, "村（社区）": 12}
_NUMBER_WIDTH = 6.5


@dataclass
class StatisticsSheet:
    """One table of annex 1.

    ``table`` holds the leading columns (named by their headers: 序号, 乡镇场, maybe 村（社区）)
    and then one column per code; its last ``total_rows`` rows are totals (printed bold).
    """

    name: str
    unit: str
    table: pd.DataFrame
    total_rows: int = 1


def lead_columns(table: pd.DataFrame) -> list[str]:
    """The leading (label) columns of a sheet's table: every column before A1."""
    return list(table.columns[:list(table.columns).index(CODES[0])])


def statistics_form(sheet: StatisticsSheet, title: str, date: dt.date | None) -> FormSheet:
    """The sheet laid out cell by cell."""
    lead = lead_columns(sheet.table)
    ncols = len(lead) + len(CODES)
    form = FormSheet(ncols)
    form.widths = [_LEAD_WIDTHS.get(h, 10) for h in lead] + [_NUMBER_WIDTH] * len(CODES)
    form.line(TITLE_ROW, title, "title", height=30)
    half = ncols // 2
    form.put(UNIT_ROW, 1, f"填报单位（盖章）：{sheet.unit}", "subtitle", cols=half)
    form.put(UNIT_ROW, half + 1, f"填报时间：{date_text(date)}", "subtitle", cols=ncols - half)
    form.heights[UNIT_ROW] = 22
    for col, header in enumerate(lead, start=1):
        form.put(FIRST_HEADER_ROW, col, header, "header", rows=HEADER_ROWS)
        form.put(CODE_ROW, col, None, "code")
    column = {code: len(lead) + i for i, code in enumerate(CODES, start=1)}
    for cell in HEADER:
        form.put(FIRST_HEADER_ROW + cell.row, column[cell.first], cell.text, "header",
                 rows=cell.last_row - cell.row + 1, cols=column[cell.last] - column[cell.first] + 1)
    for row in range(FIRST_HEADER_ROW, CODE_ROW):
        form.heights[row] = 30
    for code in CODES:
        form.put(CODE_ROW, column[code], code, "code")
    n = len(sheet.table)
    values = sheet.table.astype(object).where(sheet.table.notna(), None).to_numpy().tolist()
    for i, row_values in enumerate(values):
        row = FIRST_DATA_ROW + i
        total = i >= n - sheet.total_rows
        for col, value in enumerate(row_values, start=1):
            if col <= len(lead):
                style = "total" if total else ("number" if isinstance(value, int) else "cell")
                form.put(row, col, value, style)
            else:
                form.put(row, col, int(value), "total" if total else "number")
        form.heights[row] = 20
    form.line(FIRST_DATA_ROW + n, NOTE, "note", height=20)
    return form


def write_statistics_excel(sheets: list[StatisticsSheet], path: str | os.PathLike, title: str,
                           date: dt.date | None = None) -> Path:
    """Write annex 1, one worksheet per table, print-ready (A4 landscape, headers repeated).

    Parameters
    ----------
    sheets : list of StatisticsSheet
        The tables, in order (their identities already checked).
    path : path-like
        Target ``.xlsx``.
    title : str
        The form's title, e.g. ``"青溪县防止返贫监测帮扶集中排查情况统计表"``.
    date : datetime.date, optional
        填报时间 (blank when None).

    Returns
    -------
    pathlib.Path
        The path written.
    """
    wb = new_workbook()
    taken: set[str] = set()
    for sheet in sheets:
        ws = wb.create_sheet(sheet_title(sheet.name, taken))
        form = statistics_form(sheet, title, date)
        page_setup(ws, (FIRST_HEADER_ROW, CODE_ROW))
        ws.freeze_panes = f"{_letter(len(lead_columns(sheet.table)) + 1)}{FIRST_DATA_ROW}"
        form.write(ws)
    return save(wb, path)


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)
