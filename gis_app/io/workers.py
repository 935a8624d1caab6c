"""The grid worker roster (网格工作人员名册): Excel export and Excel/CSV import with validation."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from gis_app.core.codes import WorkerRole
from gis_app.core.ledger import WORKER_COLUMNS
from gis_app.io.convert import check_duplicates, convert_column, header_issues
from gis_app.io.errors import Issue, raise_if_errors, sort_issues
from gis_app.io.sheets import IssueCollector, load_table
from gis_app.io.xlsx import HEADER, TITLE, excel_column, number_column, number_format, text_width
from gis_app.io.xlsx_writer import Sheet, Style, write_xlsx

DEFAULT_TITLE = "网格工作人员名册"
TITLE_ROW, HEADER_ROW, FIRST_DATA_ROW = 1, 2, 3
_MOBILE_RE = r"1\d{10}"
_WIDTHS = {"name": 10, "role": 14, "unit": 24, "title": 16, "phone": 14, "id_number": 22,
           "grid_codes": 30, "start_date": 13}


@dataclass
class WorkersReadResult:
    """A worker roster read from a file.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per worker, columns = the WORKER_COLUMNS keys found, typed.
    issues : list of Issue
        Warnings.
    header_row : int
        Sheet row number of the header row.
    rows : numpy.ndarray
        Sheet row number of each frame row.
    """

    frame: pd.DataFrame
    issues: list[Issue] = field(default_factory=list)
    header_row: int = HEADER_ROW
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def write_workers_excel(frame: pd.DataFrame, path: str | os.PathLike, deterministic: bool = False,
                        title: str = DEFAULT_TITLE) -> Path:
    """Write the roster: title row, one header row, then one worker per row.

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns named by WORKER_COLUMNS keys (any subset); 序号 is numbered 1..n.
    path : path-like
        Target ``.xlsx``.
    deterministic : bool
        Identical input gives identical bytes.
    title : str
        Title in row 1.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    frame = frame.reset_index(drop=True)
    n, ncols = len(frame), len(WORKER_COLUMNS)
    widths = [_WIDTHS.get(c.key, max(text_width(c.header) + 2, 8)) for c in WORKER_COLUMNS]
    sheet = Sheet("网格员", widths=widths, freeze=(HEADER_ROW, 0),
                  print_rows=(HEADER_ROW, HEADER_ROW))
    data = []
    for col in WORKER_COLUMNS:
        style = Style(border=True, number_format=number_format(col.kind, col.key))
        if col.key == "seq":
            data.append(number_column(np.arange(1, n + 1, dtype=np.int64), style))
        elif col.key in frame.columns:
            data.append(excel_column(frame[col.key], col.kind, col.header, col.key, style))
        else:
            data.append(number_column(np.full(n, np.nan), style))
    sheet.row(TITLE_ROW, [title], TITLE, height=28)
    sheet.merge(TITLE_ROW, 1, TITLE_ROW, ncols)
    sheet.row(HEADER_ROW, [c.header for c in WORKER_COLUMNS], HEADER)
    sheet.data(FIRST_DATA_ROW, data)
    return write_xlsx(path, [sheet], deterministic)


def read_workers(path: str | os.PathLike, sheet: str | int | None = None) -> WorkersReadResult:
    """Read and validate a worker roster (``.xlsx`` or ``.csv``).

    Checks: 姓名 and 联系电话 required; 网格职务 one of the roles of
    :class:`~gis_app.core.codes.WorkerRole`; phones 11-digit mobile numbers; ID numbers valid
    and unique.

    Parameters
    ----------
    path : path-like
        The roster file.
    sheet : str or int, optional
        Worksheet (default: the first holding the header).

    Returns
    -------
    WorkersReadResult
        Typed frame and warnings.

    Raises
    ------
    InputFileError
        When any error is found.
    """
    table = load_table(path, WORKER_COLUMNS, ("name",), sheet)
    found = IssueCollector(table.label, table.rows)
    header_issues(found, table, WORKER_COLUMNS)
    if len(table.data) == 0:
        found.file("文件中没有数据行（只有表头）", row=table.match.header_row)
        raise_if_errors(found.finish())
    texts = table.match.texts
    typed = {}
    for col in WORKER_COLUMNS:
        if col.key not in table.data.columns:
            continue
        raw = table.data[col.key]
        typed[col.key] = convert_column(found, raw, col, texts[col.key],
                                        table.numeric.get(col.key))
        if col.required:
            found.add(raw.isna(), texts[col.key], "必填项为空")
    frame = pd.DataFrame(typed)
    if "role" in frame:
        roles = {r.value for r in WorkerRole}
        bad = frame["role"].notna() & ~frame["role"].isin(roles)
        found.add(bad, texts["role"], "“" + frame["role"].fillna("") + "”不是有效的网格职务，应为："
                  + "、".join(r.value for r in WorkerRole))
    if "phone" in frame:
        phone = frame["phone"]
        bad = phone.notna() & ~phone.fillna("").str.fullmatch(_MOBILE_RE)
        found.add(bad, texts["phone"],
                  "联系电话应为11位手机号码（当前值“" + phone.fillna("") + "”）")
    if "id_number" in frame:
        check_duplicates(found, frame["id_number"], texts["id_number"], "证件号码")
    order = [texts.get(c.key, c.header) for c in WORKER_COLUMNS]
    warnings = raise_if_errors(sort_issues(found.finish(), order))
    return WorkersReadResult(frame, warnings, table.match.header_row, table.rows)
