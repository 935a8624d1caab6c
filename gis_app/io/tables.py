"""Generic attribute tables: Excel export of any DataFrame, CSV import with encoding detection."""

from __future__ import annotations

import codecs
import csv
import io
import os
from pathlib import Path

import numpy as np
import pandas as pd

from gis_app.io.errors import file_error
from gis_app.io.xlsx import HEADER, TITLE, excel_column, number_format, text_width
from gis_app.io.xlsx_writer import Sheet, Style, write_xlsx

#: Encodings tried, in order, for text without a byte-order mark.
FALLBACK_ENCODINGS = ("utf-8", "gb18030")
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))
_WIDTH_SAMPLE = 200


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode text of unknown encoding: BOM, else strict UTF-8, else GB18030 (superset of GBK).

    Parameters
    ----------
    data : bytes
        The file content.

    Returns
    -------
    tuple of str
        ``(text, encoding)``.

    Raises
    ------
    UnicodeDecodeError
        When no candidate decodes the bytes.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding), encoding
    for encoding in FALLBACK_ENCODINGS[:-1]:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode(FALLBACK_ENCODINGS[-1]), FALLBACK_ENCODINGS[-1]


def _sniff_delimiter(text: str) -> str:
    head = text[:20000]
    counts = {sep: head.count(sep) for sep in (",", "\t", ";")}
    return max(counts, key=counts.get) if any(counts.values()) else ","


def _max_fields(text: str, sep: str, limit: int | None) -> int:
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    width = 1
    for i, row in enumerate(reader):
        if limit is not None and i >= limit:
            break
        width = max(width, len(row))
    return width


def read_csv_raw(path: str | os.PathLike, label: str | None = None) -> pd.DataFrame:
    """Read a CSV as strings without interpreting a header; row ``i`` is sheet row ``i + 1``.

    Parameters
    ----------
    path : path-like
        The CSV (or tab-separated) file.
    label : str, optional
        File name for messages (default: the base name).

    Returns
    -------
    pandas.DataFrame
        Object columns of ``str`` (``""`` for empty cells), positional column labels;
        ``frame.attrs["encoding"]`` holds the encoding used.

    Raises
    ------
    InputFileError
        Missing, undecodable or unparsable files.
    """
    path = Path(path)
    label = label or path.name
    if not path.is_file():
        raise file_error(label, "文件不存在")
    try:
        data = path.read_bytes()
    except OSError as exc:
        message = f"无法打开文件（{exc.strerror or exc}），请检查权限或关闭占用该文件的程序"
        raise file_error(label, message) from None
    try:
        text, encoding = decode_bytes(data)
    except UnicodeDecodeError:
        raise file_error(label, "无法识别文件编码（已尝试UTF-8和GB18030/GBK），"
                                "请在Excel中另存为“CSV UTF-8”格式") from None
    text = text.lstrip("\ufeff")
    if not text.strip():
        frame = pd.DataFrame(dtype=object)
        frame.attrs["encoding"] = encoding
        return frame
    sep = _sniff_delimiter(text)
    width = _max_fields(text, sep, limit=50)
    try:
        frame = _parse(text, sep, width)
    except pd.errors.ParserError:
        try:
            frame = _parse(text, sep, _max_fields(text, sep, limit=None))
        except (pd.errors.ParserError, ValueError, csv.Error) as exc:
            raise file_error(label, f"CSV文件格式错误，无法解析（{exc}）") from None
    frame.attrs["encoding"] = encoding
    return frame


def _parse(text: str, sep: str, width: int) -> pd.DataFrame:
    frame = pd.read_csv(io.StringIO(text), sep=sep, header=None, names=list(range(width)),
                        dtype=object, keep_default_na=False, na_filter=False,
                        skip_blank_lines=False, engine="c")
    return frame.fillna("")


def read_csv_auto(path: str | os.PathLike, header: int | None = 0) -> pd.DataFrame:
    """Read a CSV of unknown encoding (UTF-8 with or without BOM, GBK/GB18030) as text.

    Parameters
    ----------
    path : path-like
        The file.
    header : int or None
        0-based row holding the column names, or ``None`` for positional columns.

    Returns
    -------
    pandas.DataFrame
        All cells as ``str``; ``frame.attrs["encoding"]`` names the encoding detected.
    """
    raw = read_csv_raw(path)
    encoding = raw.attrs.get("encoding")
    if header is not None and len(raw) > header:
        names = [str(v).strip() for v in raw.iloc[header]]
        raw = raw.iloc[header + 1:].reset_index(drop=True)
        raw.columns = names
    raw.attrs["encoding"] = encoding
    return raw


def infer_kind(series: pd.Series) -> str:
    """Column kind (as in the ledger table) for writing an arbitrary column to Excel."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_integer_dtype(dtype):
        return "int"
    if pd.api.types.is_float_dtype(dtype):
        return "float"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    inferred = pd.api.types.infer_dtype(series, skipna=True)
    return {"boolean": "bool", "date": "date", "integer": "int", "floating": "float",
            "mixed-integer-float": "float", "datetime": "datetime"}.get(inferred, "text")


def write_table_excel(frame: pd.DataFrame, path: str | os.PathLike, title: str | None = None,
                      deterministic: bool = False, sheet_name: str = "Sheet1",
                      number_formats: dict | None = None, progress=None) -> Path:
    """Write any attribute table to ``.xlsx``: optional merged title row, bold header, data.

    Booleans become 是/否, dates Excel dates, numbers numbers (integers ``0``, others
    ``#,##0.00`` unless ``number_formats`` names the column), everything else text (never a
    formula). Geometry columns are written as WKT text. The header stays in view and repeats
    on every printed page.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table; column names become the header.
    path : path-like
        Target file; written whole or not at all.
    title : str, optional
        Title placed in row 1, merged across the table.
    deterministic : bool
        Identical input gives identical bytes.
    sheet_name : str
        Name of the worksheet.
    number_formats : dict, optional
        Column name to Excel number format (e.g. ``"0.000000"`` for coordinates).
    progress : callable, optional
        ``progress(done, total)`` as rows are written; raising from it cancels (no file).

    Returns
    -------
    pathlib.Path
        The path written.
    """
    number_formats = number_formats or {}
    names = [str(c) for c in frame.columns]
    ncols = max(len(names), 1)
    header_row = 2 if title else 1
    sheet = Sheet(sheet_name[:31], freeze=(header_row, 0),
                  print_rows=(header_row, header_row))
    columns = []
    for name, col in zip(names, frame.columns, strict=True):
        series = frame[col]
        if getattr(series.dtype, "name", "") == "geometry":
            series = pd.Series(series.to_wkt(), dtype=object)
        kind = infer_kind(series)
        style = Style(border=True,
                      number_format=number_formats.get(name, number_format(kind, name)))
        column = excel_column(series, kind, name, style=style)
        columns.append(column)
        sample = series.iloc[:_WIDTH_SAMPLE]
        texts = sample[sample.map(lambda v: isinstance(v, str))] if column.is_text \
            else sample.dropna()
        width = max([text_width(name)] + [text_width(str(v)) for v in texts])
        sheet.widths.append(min(max(width + 2, 8), 60))
    if title:
        sheet.row(1, [title], TITLE, height=28)
        if ncols > 1:
            sheet.merge(1, 1, 1, ncols)
    sheet.row(header_row, names, HEADER)
    sheet.data(header_row + 1, columns)
    return write_xlsx(path, [sheet], deterministic, progress)


def fmt_rows(rows: np.ndarray, limit: int = 5) -> str:
    """Format row numbers for a message: ``第3、5、9行`` (``…等N行`` when long)."""
    rows = [int(r) for r in rows]
    text = "、".join(str(r) for r in rows[:limit])
    return f"第{text}行" + (f"等{len(rows)}行" if len(rows) > limit else "")
