"""Typing one raw column by its ledger kind, and header-level checks, reporting bad cells."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from gis_app.core.ledger import CODE_ENUMS, LedgerColumn
from gis_app.io.columns import (
    code_choices,
    id_problems,
    to_bool,
    to_code,
    to_date,
    to_id,
    to_int,
    to_number,
    to_text,
)
from gis_app.io.sheets import IssueCollector, RawTable

_NUMBER_AS_ID = "证件号码被存成了数字（末几位可能已丢失），请将该列设为文本格式后重新填写；"


def _quoted(raw: pd.Series, bad: np.ndarray, before: str, after: str = "") -> pd.Series:
    """Messages naming the cell's value, built only for the flagged rows."""
    text = to_text(raw[np.asarray(bad, dtype=bool)]).fillna("")
    return before + "“" + text + "”" + after


def convert_column(found: IssueCollector, raw: pd.Series, col: LedgerColumn,
                   name: str, numeric: pd.Series | None = None) -> pd.Series:
    """Convert raw cells to the column's type, adding an issue for each cell that does not fit.

    Parameters
    ----------
    found : IssueCollector
        Receives the issues.
    raw : pandas.Series
        Raw cell values, text stripped and blank cells ``None`` (as from
        :func:`~gis_app.io.sheets.load_table`), RangeIndex.
    col : LedgerColumn
        The column definition (its ``kind`` decides the type).
    name : str
        Header as written in the file, used in messages.
    numeric : pandas.Series or callable, optional
        For an ``id`` column read as text: which cells were stored as numbers, or a callable
        ``(ids, suspects) -> flags`` that tells (asked only when some ID fails).

    Returns
    -------
    pandas.Series
        ``Int64`` (int, code), ``float64``, ``bool``/``boolean``, object of ``datetime.date``
        and ``NaT`` (date), or object of ``str``/``None`` (text, id, phone).
    """
    kind = col.kind
    severity = "warning" if col.key == "seq" else "error"
    if kind in ("text", "phone"):
        return to_text(raw, stripped=True)
    if kind == "id":
        check = numeric if callable(numeric) else None
        if check is not None:
            numeric = pd.Series(False, index=raw.index)
        ids, numeric = to_id(raw, stripped=True, numeric=numeric)
        reasons = id_problems(ids)
        if not reasons.empty:
            if check is not None:
                # Read as text: were the failing digits numbers? (an ID stored as a number
                # reads back as digits ending in 0)
                text = ids.where(ids.notna(), "").astype(str)
                suspects = ids.index.isin(reasons.index) & text.str.fullmatch(r"\d{16,}0")
                numeric = check(ids, pd.Series(suspects, index=ids.index))
            prefix = np.where(numeric[reasons.index].to_numpy(), _NUMBER_AS_ID, "")
            messages = pd.Series(prefix + reasons.to_numpy().astype(str), index=reasons.index)
            found.add(ids.index.isin(reasons.index), name, messages, severity)
        return ids
    if kind == "date":
        values, bad = to_date(raw)
        message = ("无法识别的日期", "，应填写如2023-06-01的日期")
    elif kind == "int":
        values, bad = to_int(raw)
        message = ("应为整数，当前值为", "")
    elif kind == "float":
        values, bad = to_number(raw)
        message = ("应为数字，当前值为", "")
    elif kind == "bool":
        values, bad = to_bool(raw)
        message = ("应填写“是”或“否”，当前值为", "")
    elif kind == "code":
        values, bad = to_code(raw, col.key)
        message = ("", f"不是有效的代码，应为：{code_choices(CODE_ENUMS[col.key])}")
    else:  # pragma: no cover - the column table only uses the kinds above
        raise ValueError(f"unknown column kind {kind!r}")
    if bad.any():
        found.add(bad, name, _quoted(raw, bad, *message), severity)
    return values


def check_duplicates(found: IssueCollector, values: pd.Series, name: str, what: str) -> None:
    """Report every repeat of a value, naming the row where it first appears.

    Parameters
    ----------
    found : IssueCollector
        Receives the issues (on the repeating rows).
    values : pandas.Series
        Values that must be unique (``None`` ignored).
    name : str
        Header in the file.
    what : str
        Noun for the message, e.g. ``"证件号码"``.
    """
    present = values.notna()
    repeated = values.duplicated(keep="first") & present
    if not repeated.any():
        return
    first = present & ~repeated
    first_row = pd.Series(found.rows[first.to_numpy()], index=values[first].to_numpy())
    other = values[repeated].map(first_row).astype(np.int64).astype(str)
    messages = pd.Series(None, index=values.index, dtype=object)
    messages[repeated] = f"{what}与第" + other + "行重复"
    found.add(repeated, name, messages)


def header_issues(found: IssueCollector, table: RawTable,
                  columns: Sequence[LedgerColumn]) -> None:
    """Missing required columns (errors), unknown and repeated columns (warnings)."""
    match = table.match
    for col in columns:
        if col.required and col.key not in match.positions:
            found.file(f"缺少必填列【{col.header}】", field=col.header, row=match.header_row)
    for text in match.unknown:
        found.file(f"未识别的列【{text}】，已忽略", field=text, row=match.header_row,
                   severity="warning")
    for key, text in match.duplicates:
        first = match.texts[key]
        found.file(f"列【{text}】与列【{first}】重复，只读取了第一列", field=text,
                   row=match.header_row, severity="warning")
