"""Shared Excel plumbing: typed cell values, styles, reproducible saving and raw sheet reading."""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from gis_app.io.columns import to_bool, to_code, to_date, to_int, to_number, to_text
from gis_app.io.errors import file_error

#: Timestamp written into reproducible files (workbook properties and zip entries).
FIXED_DATETIME = dt.datetime(2000, 1, 1, 0, 0, 0)
#: Excel refuses longer strings in one cell.
MAX_CELL_CHARS = 32767

_THIN = Side(style="thin", color="808080")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
TITLE_FONT = Font(bold=True, size=16)
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
_CORE_TIME_RE = re.compile(
    rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:(created|modified)>)")


def new_workbook(deterministic: bool = False) -> openpyxl.Workbook:
    """Create a write-only workbook whose properties are fixed when ``deterministic``."""
    wb = openpyxl.Workbook(write_only=True)
    wb.properties.creator = "网格防返贫监测 GIS"
    if deterministic:
        wb.properties.created = FIXED_DATETIME
        wb.properties.modified = FIXED_DATETIME
    return wb


def save_workbook(wb: openpyxl.Workbook, path: str | os.PathLike,
                  deterministic: bool = False) -> Path:
    """Save ``wb`` atomically; with ``deterministic`` identical content gives identical bytes.

    Parameters
    ----------
    wb : openpyxl.Workbook
        The workbook to save.
    path : path-like
        Target ``.xlsx`` path; written through a temporary file in the same folder.
    deterministic : bool
        Fix the core-property timestamps and every zip entry's date to 2000-01-01.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(suffix=".xlsx", dir=path.parent)
    os.close(fd)
    try:
        wb.save(tmp)
        if deterministic:
            _normalise_zip(Path(tmp))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def _normalise_zip(path: Path) -> None:
    """Rewrite a zip with fixed entry timestamps and fixed core-property dates, same order."""
    stamp = FIXED_DATETIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(path) as src:
        entries = [(info.filename, src.read(info.filename)) for info in src.infolist()]
    with zipfile.ZipFile(path, "w") as dst:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = _CORE_TIME_RE.sub(lambda m: m.group(1) + stamp + m.group(3), data)
            info = zipfile.ZipInfo(name, date_time=FIXED_DATETIME.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            info.create_system = 0
            dst.writestr(info, data)


def declare_dimension(ws, ncols: int, nrows: int) -> None:
    """Record the sheet's extent in a write-only sheet (openpyxl omits ``<dimension>`` there).

    Readers use it to size the sheet; without it openpyxl scans the whole sheet once more.
    Call before the first row is appended.
    """
    ref = f"A1:{get_column_letter(max(ncols, 1))}{max(nrows, 1)}"
    ws.calculate_dimension = lambda: ref


def styled(ws, value, font=None, fill=None, alignment=None, border=None, number_format=None):
    """Build a write-only cell with the given style."""
    cell = WriteOnlyCell(ws, value=value)
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    if alignment is not None:
        cell.alignment = alignment
    if border is not None:
        cell.border = border
    if number_format is not None:
        cell.number_format = number_format
    return cell


def text_width(text: str) -> int:
    """Display width of ``text`` in Excel character units (CJK characters count double)."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in str(text))


def _refuse(series: pd.Series, bad: np.ndarray, name: str, what: str) -> None:
    """Raise ValueError naming the first values of ``series`` that cannot be written."""
    positions = np.flatnonzero(np.asarray(bad, dtype=bool))
    if positions.size:
        shown = "、".join(f"第{i + 1}条“{series.iloc[i]}”" for i in positions[:3])
        raise ValueError(f"列【{name}】有{positions.size}个值不是{what}：{shown}")


def _none_where(values: pd.Series, missing) -> list:
    out = values.astype(object)
    out[np.asarray(missing, dtype=bool)] = None
    return out.tolist()


def cell_values(ws, series: pd.Series, kind: str, name: str = "", key: str = "") -> list:
    """Convert a column to the Python values written into cells, one per row.

    Parameters
    ----------
    ws : openpyxl worksheet
        Needed to build cells for text that must not become a formula.
    series : pandas.Series
        The column.
    kind : str
        One of the ledger column kinds: int, code, float, bool, date, text, id, phone.
    name : str
        Column header, for messages.
    key : str
        Ledger key of a ``code`` column (labels such as "脱贫户" are then accepted).

    Returns
    -------
    list
        ``None`` for empty cells; ints, floats, ``datetime.date``, "是"/"否" or text.

    Raises
    ------
    ValueError
        When a value cannot be written as the column's kind (nothing is silently dropped).
    """
    series = series.reset_index(drop=True)
    if kind in ("int", "code"):
        if kind == "code" and key:
            numbers, bad = to_code(series, key)
        else:
            numbers, bad = to_int(series)
        _refuse(series, bad, name, "整数代码" if kind == "code" else "整数")
        return _none_where(numbers.astype(object), numbers.isna())
    if kind == "float":
        numbers, bad = to_number(series)
        _refuse(series, bad, name, "数字")
        values = _none_where(numbers, numbers.isna())
        for i, value in enumerate(values):
            if value is not None and float(f"{value:.16g}") != value:
                values[i] = _exact_number_cell(ws, value)
        return values
    if kind == "bool":
        if pd.api.types.is_bool_dtype(series.dtype):
            truth = series
        else:
            truth, bad = to_bool(series)
            _refuse(series, bad, name, "是/否")
        missing = truth.isna().to_numpy()
        words = pd.Series(np.where(truth.fillna(False).astype(bool), "是", "否"), dtype=object)
        return _none_where(words, missing)
    if kind == "date":
        dates, bad = to_date(series)
        _refuse(series, bad, name, "日期")
        return _none_where(dates, pd.isna(dates).to_numpy())
    text = to_text(series)
    text = text.where(text.isna(), text.str.replace(ILLEGAL_CHARACTERS_RE, "", regex=True))
    too_long = text.str.len() > MAX_CELL_CHARS
    if too_long.any():
        raise ValueError(f"有{int(too_long.sum())}个单元格超过Excel单元格32767字符的上限")
    values = text.tolist()
    if kind in ("id", "phone"):
        # Text format, so that editing the cell in Excel never turns it into a number.
        return [None if v is None else _text_cell(ws, v) for v in values]
    for i in np.flatnonzero(text.str.startswith("=").fillna(False).to_numpy()):
        values[i] = _text_cell(ws, values[i])
    return values


def _exact_number_cell(ws, value: float) -> WriteOnlyCell:
    """Build a number cell keeping all 17 significant digits (openpyxl writes only 16)."""
    cell = WriteOnlyCell(ws, value=value)
    cell._value = repr(float(value))  # written verbatim into <v>; data_type stays "n"
    return cell


def _text_cell(ws, value: str) -> WriteOnlyCell:
    """Build a cell that stays text: "@" format, never a formula, even for "=..."."""
    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"
    cell.number_format = "@"
    return cell


def column_letter(index: int) -> str:
    """Excel letter of the 1-based column ``index``."""
    return get_column_letter(index)


def open_sheet_rows(path: str | os.PathLike, label: str,
                    sheet: str | int | None = None) -> tuple[list[tuple], str, list[str]]:
    """Read every row of one sheet of an ``.xlsx`` file as tuples of cell values.

    Parameters
    ----------
    path : path-like
        The workbook.
    label : str
        File name shown in messages.
    sheet : str or int, optional
        Sheet name or 0-based index; the first sheet by default.

    Returns
    -------
    tuple
        ``(rows, sheet_name, all_sheet_names)``.

    Raises
    ------
    InputFileError
        For ``.xls`` files, missing files, corrupt or truncated workbooks and unknown sheets.
    """
    path = Path(path)
    _check_excel_file(path, label)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any parse failure means a broken file
        raise file_error(label,
                         f"文件已损坏或不是有效的Excel文件（{type(exc).__name__}）") from None
    try:
        names = list(wb.sheetnames)
        if sheet is None:
            name = names[0]
        elif isinstance(sheet, int):
            if not 0 <= sheet < len(names):
                raise file_error(label, f"没有第{sheet + 1}个工作表（共{len(names)}个）")
            name = names[sheet]
        elif sheet in names:
            name = sheet
        else:
            raise file_error(label, f"没有名为“{sheet}”的工作表（现有：{'、'.join(names)}）")
        ws = wb[name]
        ws.reset_dimensions()
        try:
            rows = list(ws.iter_rows(values_only=True))
        except Exception as exc:  # noqa: BLE001
            raise file_error(
                label, f"文件已损坏或不是有效的Excel文件（{type(exc).__name__}）") from None
    finally:
        wb.close()
    return rows, name, names


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


def rows_frame(rows: list[tuple]) -> pd.DataFrame:
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
