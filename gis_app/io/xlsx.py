"""Shared Excel plumbing: columns typed for writing, the forms' styles, opening a workbook to read.

Writing goes through :mod:`gis_app.io.xlsx_writer` (whole columns at once), reading through
:mod:`gis_app.io.xlsx_reader` (fastexcel); openpyxl is not used on these paths.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from gis_app.io.columns import to_bool, to_code, to_date, to_int, to_number, to_text
from gis_app.io.errors import file_error
from gis_app.io.xlsx_writer import (
    FIXED_DATETIME,
    MAX_CELL_CHARS,
    Column,
    Style,
    column_letter,
    date_column,
    number_column,
    text_column,
)

__all__ = ["FIXED_DATETIME", "column_letter", "excel_column", "open_workbook", "rows_frame",
           "text_width", "TITLE", "HEADER", "UNIT", "NOTES", "number_format"]

TITLE = Style(bold=True, size=16, align="center", wrap=True)
HEADER = Style(bold=True, fill="DDEBF7", border=True, align="center", wrap=True)
UNIT = Style(align="left")
NOTES = Style(align="left", wrap=True)
#: Number formats of the columns by kind; a column key may ask for its own (NUMBER_FORMATS).
KIND_FORMATS = {"int": "0", "code": "0", "float": "#,##0.00", "date": "yyyy-mm-dd",
                "datetime": "yyyy-mm-dd hh:mm", "text": "@", "id": "@", "phone": "@",
                "bool": "General"}
#: Columns whose numbers are not amounts: coordinates keep their decimals, no separators.
NUMBER_FORMATS = {"lon": "0.000000", "lat": "0.000000", "gk_x": "0.00", "gk_y": "0.00",
                  "seq": "0", "capacity": "0", "year": "0"}


def number_format(kind: str, key: str = "") -> str:
    """The number format of a column of ``kind`` (and ledger ``key``)."""
    return NUMBER_FORMATS.get(key, KIND_FORMATS.get(kind, "General"))


def text_width(text: str) -> int:
    """Display width of ``text`` in Excel character units (CJK characters count double)."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in str(text))


def _refuse(series: pd.Series, bad: np.ndarray, name: str, what: str) -> None:
    """Raise ValueError naming the first values of ``series`` that cannot be written."""
    positions = np.flatnonzero(np.asarray(bad, dtype=bool))
    if positions.size:
        shown = "、".join(f"第{i + 1}条“{series.iloc[i]}”" for i in positions[:3])
        raise ValueError(f"列【{name}】有{positions.size}个值不是{what}：{shown}")


def excel_column(series: pd.Series, kind: str, name: str = "", key: str = "",
                 style: Style | None = None) -> Column:
    """A column ready to write: numbers as numbers, dates as dates, the rest as text.

    Parameters
    ----------
    series : pandas.Series
        The column.
    kind : str
        One of the ledger column kinds (int, code, float, bool, date, text, id, phone) or
        ``datetime``.
    name : str
        Column header, for messages.
    key : str
        Ledger key of a ``code`` column (labels such as "脱贫户" are then accepted).
    style : Style, optional
        The cells' style; by default a bordered cell in the kind's number format.

    Returns
    -------
    Column
        Numbers (ints, floats, Excel day numbers of dates) or text (是/否 for booleans; ID
        numbers and phones stay text, so leading zeros and all 18 digits are kept).

    Raises
    ------
    ValueError
        When a value cannot be written as the column's kind (nothing is silently dropped).
    """
    series = series.reset_index(drop=True)
    style = style or Style(border=True, number_format=number_format(kind, key))
    numeric = pd.api.types.is_numeric_dtype(series.dtype) and not \
        pd.api.types.is_bool_dtype(series.dtype)
    if kind in ("int", "code") and numeric:
        # Stored numbers: checked whole (a code must be one of its enum's values).
        values = series.astype("Float64")
        bad = (values.notna() & (values != values.round())).to_numpy(dtype=bool, na_value=False)
        if kind == "code" and key:
            bad |= (values.notna() & ~values.isin(code_values(key))).to_numpy(
                dtype=bool, na_value=False)
        _refuse(series, bad, name, "整数代码" if kind == "code" else "整数")
        return number_column(values.round().astype("Int64"), style)
    if kind in ("int", "code"):
        if kind == "code" and key:
            numbers, bad = to_code(series, key)
        else:
            numbers, bad = to_int(series)
        _refuse(series, bad, name, "整数代码" if kind == "code" else "整数")
        return number_column(numbers.astype("Int64"), style)
    if kind == "float":
        numbers, bad = to_number(series)
        _refuse(series, bad, name, "数字")
        return number_column(numbers.to_numpy(dtype=np.float64, na_value=np.nan), style)
    if kind == "bool":
        if pd.api.types.is_bool_dtype(series.dtype):
            truth = series
        else:
            truth, bad = to_bool(series)
            _refuse(series, bad, name, "是/否")
        flags = pa.array(truth.astype("boolean"), type=pa.bool_(), from_pandas=True)
        return text_column(pc.if_else(flags, "是", "否"), style)
    if kind == "date":
        dates, bad = to_date(series)
        _refuse(series, bad, name, "日期")
        return date_column(pd.to_datetime(dates).to_numpy(dtype="datetime64[D]"), style)
    if kind == "datetime":
        stamps = pd.to_datetime(series, errors="coerce")
        if getattr(stamps.dt, "tz", None) is not None:
            stamps = stamps.dt.tz_localize(None)
        days = (stamps - pd.Timestamp("1899-12-30")) / pd.Timedelta(days=1)
        return number_column(days.to_numpy(dtype=np.float64, na_value=np.nan), style)
    text = _arrow_text(series)
    too_long = pc.sum(pc.greater(pc.utf8_length(text), MAX_CELL_CHARS)).as_py() or 0
    if too_long:
        raise ValueError(f"有{too_long}个单元格超过Excel单元格32767字符的上限")
    return text_column(text, style)


def code_values(key: str) -> list[int]:
    """The values of the codes of ledger column ``key``."""
    from gis_app.core import codes
    from gis_app.core.ledger import CODE_ENUMS

    return [int(m.value) for m in getattr(codes, CODE_ENUMS[key])]


def _arrow_text(series: pd.Series) -> pa.Array:
    """A column as stripped text (blank cells null), in Arrow; other values as to_text says."""
    kind = pd.api.types.infer_dtype(series, skipna=True)
    if isinstance(series.dtype, pd.StringDtype):
        values = pa.array(series, type=pa.string(), from_pandas=True)
    elif kind in ("string", "empty"):
        values = pa.array(series.astype(object).where(series.notna(), None).to_numpy(),
                          type=pa.string())
    else:
        values = pa.array(to_text(series).to_numpy(), type=pa.string())
    values = pc.utf8_trim_whitespace(values)
    return pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)


def open_workbook(path: str | os.PathLike, label: str):
    """Open an ``.xlsx``/``.xlsm`` file for reading (:class:`~gis_app.io.xlsx_reader.Workbook`).

    Raises
    ------
    InputFileError
        For ``.xls`` files, missing files, and corrupt or truncated workbooks.
    """
    from gis_app.io.xlsx_reader import Workbook

    path = Path(path)
    _check_excel_file(path, label)
    return Workbook(path, label)


def sheet_index(book, sheet: str | int | None, label: str) -> int:
    """The index of ``sheet`` (name or 0-based index; the first by default) in ``book``."""
    names = book.names
    if sheet is None:
        return 0
    if isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise file_error(label, f"没有第{sheet + 1}个工作表（共{len(names)}个）")
        return sheet
    if sheet in names:
        return names.index(sheet)
    raise file_error(label, f"没有名为“{sheet}”的工作表（现有：{'、'.join(names)}）")


def _check_excel_file(path: Path, label: str) -> None:
    if path.suffix.lower() == ".xls":
        raise file_error(label, "不支持.xls格式，请在Excel中另存为.xlsx后再导入")
    if not path.is_file():
        raise file_error(label, "文件不存在")
    try:
        with open(path, "rb") as fh:
            magic = fh.read(8)
    except OSError as exc:
        message = f"无法打开文件（{exc.strerror or exc}），请检查权限或关闭占用该文件的程序"
        raise file_error(label, message) from None
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise file_error(label, "不支持.xls格式（该文件实为旧版Excel文件），请另存为.xlsx后再导入")
    if not magic.startswith(b"PK"):
        raise file_error(label, "文件已损坏或不是有效的Excel文件")


def rows_frame(rows: list) -> pd.DataFrame:
    """Rows of cell values as an object DataFrame with positional columns (ragged rows padded)."""
    if not rows:
        return pd.DataFrame(dtype=object)
    width = max(len(row) for row in rows)
    if width == 0:
        return pd.DataFrame(index=range(len(rows)), dtype=object)
    padded = [row if len(row) == width else tuple(row) + (None,) * (width - len(row))
              for row in rows]
    array = np.empty((len(padded), width), dtype=object)
    array[:] = padded
    return pd.DataFrame(array, dtype=object)
