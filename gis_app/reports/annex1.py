"""Annex 1 in the official layout: 防止返贫监测帮扶集中排查情况统计表 (seed 002, 附件1).

Each sheet is one table: the title, 填报单位（盖章）and 填报时间, the form's four header rows with
their merged cells (:data:`gis_app.core.annex.HEADER`), the row of codes A1 … D2, one row per unit
and the total row, then the form's 备注. Counts are Excel numbers. The leading columns are the
form's 序号 and 乡镇场, and 村（社区）on a township's sheet (annex 2's column, one row per village).
Identities are checked by the caller before anything is written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gis_app.core.annex import CODES, HEADER, HEADER_ROWS, NOTE
from gis_app.reports.forms import FormSheet, date_text, sheet_title

#: Sheet rows: title, unit and date, the four header rows, codes, then data.
TITLE_ROW, UNIT_ROW, FIRST_HEADER_ROW = 1, 2, 3
CODE_ROW = FIRST_HEADER_ROW + HEADER_ROWS
FIRST_DATA_ROW = CODE_ROW + 1
_LEAD_WIDTHS = {"序号": 5, "乡镇场": 10, "村（社区）": 12}
_NUMBER_WIDTH = 6.5


@dataclass
class StatisticsSheet:
    """One table of annex 1.

    ``lead`` holds the leading columns by their headers (序号, 乡镇场, maybe 村（社区）), one
    value per row (None for an empty cell); ``counts`` one row of the codes' numbers per row.
    The last ``total_rows`` rows are totals (printed bold).
    """

    name: str
    unit: str
    lead: dict[str, list]
    counts: np.ndarray
    total_rows: int = 1

    @property
    def table(self) -> pd.DataFrame:
        """The sheet's rows as a frame: the leading columns, then one column per code."""
        counts = dict(zip(CODES, np.asarray(self.counts, np.int64).T, strict=True))
        return pd.DataFrame({**self.lead, **counts})


def statistics_form(sheet: StatisticsSheet, title: str, date: dt.date | None) -> FormSheet:
    """The sheet laid out cell by cell."""
    lead = list(sheet.lead)
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
    n = len(sheet.counts)
    labels = [[_label(v) for v in sheet.lead[header]] for header in lead]
    counts = np.asarray(sheet.counts, np.int64).tolist()
    for i, numbers in enumerate(counts):
        row = FIRST_DATA_ROW + i
        total = i >= n - sheet.total_rows
        for col, column in enumerate(labels, start=1):
            value = column[i]
            form.put(row, col, value,
                     "total" if total else ("number" if isinstance(value, int) else "cell"))
        for col, value in enumerate(numbers, start=len(lead) + 1):
            form.put(row, col, value, "total" if total else "number")
        form.heights[row] = 20
    form.line(FIRST_DATA_ROW + n, NOTE, "note", height=20)
    return form


def _label(value):
    """A leading cell's value: text, a whole number as int (序号), None for empty."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (float, np.floating, np.integer)) and float(value).is_integer():
        return int(value)
    return value


def statistics_forms(sheets: list[StatisticsSheet], title: str,
                     date: dt.date | None = None) -> list[FormSheet]:
    """Annex 1's worksheets: one per table, A4 landscape, the header rows on every page.

    Parameters
    ----------
    sheets : list of StatisticsSheet
        The tables, in order (their identities already checked).
    title : str
        The form's title, e.g. ``"青溪县防止返贫监测帮扶集中排查情况统计表"``.
    date : datetime.date, optional
        填报时间 (blank when None).

    Returns
    -------
    list of FormSheet
    """
    taken: set[str] = set()
    forms = []
    for sheet in sheets:
        form = statistics_form(sheet, title, date)
        form.name = sheet_title(sheet.name, taken)
        form.title_rows = (FIRST_HEADER_ROW, CODE_ROW)
        form.freeze = (CODE_ROW, len(sheet.lead))
        forms.append(form)
    return forms
