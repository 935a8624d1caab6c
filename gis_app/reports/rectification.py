"""Annex 4 in the official layout: 发现问题整改台账, one sheet per village (seed 002, 附件4).

The form's heading names the township, the village and the date; its columns are 序号, 具体问题,
整改责任人及联系电话, 整改措施, 整改情况, 完成时限 and 备注. 完成时限 is an Excel date; the phone
arrives masked or not.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from gis_app.reports.forms import FormSheet, date_text, sheet_title

#: The form's columns and their widths.
COLUMNS: tuple[tuple[str, float], ...] = (
    ("序号", 6), ("具体问题", 34), ("整改责任人及联系电话", 22), ("整改措施", 34),
    ("整改情况", 18), ("完成时限", 12), ("备注", 16),
)
TITLE_ROW, PLACE_ROW, HEADER_ROW, FIRST_DATA_ROW = 1, 2, 3, 4
#: Empty rows a village without items still gets, to be filled in by hand.
_BLANK_ROWS = 4


@dataclass
class VillageLedger:
    """One village's items: ``problem, responsible, measure, progress, deadline, note``."""

    township: str
    village: str
    items: pd.DataFrame


def rectification_form(ledger: VillageLedger, title: str, date: dt.date | None) -> FormSheet:
    """One village's ledger laid out cell by cell."""
    form = FormSheet(len(COLUMNS))
    form.widths = [width for _, width in COLUMNS]
    form.line(TITLE_ROW, title, "title", height=30)
    form.line(PLACE_ROW, f"{ledger.township}    {ledger.village}    {date_text(date)}",
              "subtitle", height=22)
    for col, (header, _) in enumerate(COLUMNS, start=1):
        form.put(HEADER_ROW, col, header, "header")
    form.heights[HEADER_ROW] = 30
    keys = ("problem", "responsible", "measure", "progress", "deadline", "note")
    styles = ("text", "cell", "text", "cell", "date", "text")
    rows = ledger.items[list(keys)].astype(object).where(ledger.items[list(keys)].notna(), None)
    for i, values in enumerate(rows.itertuples(index=False), start=0):
        row = FIRST_DATA_ROW + i
        form.put(row, 1, i + 1, "number")
        for col, (value, style) in enumerate(zip(values, styles, strict=True), start=2):
            form.put(row, col, value, style)
    for i in range(len(rows), max(len(rows), _BLANK_ROWS)):
        for col in range(1, len(COLUMNS) + 1):
            form.put(FIRST_DATA_ROW + i, col, None, "cell")
        form.heights[FIRST_DATA_ROW + i] = 24
    return form


def rectification_forms(ledgers: list[VillageLedger], title: str,
                        date: dt.date | None = None) -> list[FormSheet]:
    """Annex 4's worksheets: one per village, A4 landscape, the header row on every page.

    Parameters
    ----------
    ledgers : list of VillageLedger
        The villages, in order.
    title : str
        The form's title, e.g. ``"青溪县防止返贫监测帮扶集中排查阶段发现问题整改台账"``.
    date : datetime.date, optional
        The date in the heading.

    Returns
    -------
    list of FormSheet
    """
    taken: set[str] = set()
    forms = []
    for ledger in ledgers:
        form = rectification_form(ledger, title, date)
        form.name = sheet_title(f"{ledger.township}{ledger.village}", taken)
        form.title_rows = (HEADER_ROW, HEADER_ROW)
        form.freeze = (HEADER_ROW, 0)
        forms.append(form)
    return forms
