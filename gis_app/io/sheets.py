"""Loading a spreadsheet-like table (xlsx or CSV): header search, row numbers, issue collection."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from gis_app.core.ledger import LedgerColumn
from gis_app.io.errors import Issue, Severity, file_error
from gis_app.io.headers import HEADER_SCAN_ROWS, HeaderMatch, find_header
from gis_app.io.tables import read_csv_raw
from gis_app.io.xlsx import open_workbook, rows_frame, sheet_index
from gis_app.io.xlsx_reader import stripped_text

CSV_SUFFIXES = (".csv", ".txt", ".tsv")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
#: Rows holding a single cell starting with one of these are notes under the table, not data.
NOTE_PREFIXES = ("备注", "注：", "注:", "说明", "填表说明", "填报说明", "制表", "审核", "填报人")
TOTAL_WORDS = ("合计", "总计", "小计")
#: At most this many issues are listed per field; the rest are summarised.
MAX_ISSUES_PER_FIELD = 1000


class IssueCollector:
    """Collect issues for masks of rows, capping how many are listed per field.

    Parameters
    ----------
    label : str
        File name shown in every issue.
    rows : numpy.ndarray
        Sheet row number of each data row (position ``i`` of the frame).
    """

    def __init__(self, label: str, rows: np.ndarray):
        self.label = label
        self.rows = np.asarray(rows)
        self.issues: list[Issue] = []
        self._counts: dict[tuple[str | None, str], int] = {}

    def file(self, message: str, field: str | None = None, row: int | None = None,
             severity: Severity = "error") -> None:
        """Add one issue about the file, a column or one row."""
        self.issues.append(Issue(self.label, row, field, message, severity))

    def add(self, mask, field: str | None, message, severity: Severity = "error") -> None:
        """Add an issue for every row where ``mask`` is true.

        Parameters
        ----------
        mask : array_like of bool
            Frame positions with the problem.
        field : str or None
            Chinese header.
        message : str or pandas.Series
            One message for all, or a series of messages indexed by frame position
            (only the flagged positions are needed).
        severity : {"error", "warning"}
            Issue severity.
        """
        positions = np.flatnonzero(np.asarray(mask, dtype=bool))
        if positions.size == 0:
            return
        key = (field, severity)
        done = self._counts.get(key, 0)
        self._counts[key] = done + positions.size
        room = max(MAX_ISSUES_PER_FIELD - done, 0)
        listed = positions[:room]
        if isinstance(message, str):
            texts = [message] * listed.size
        else:
            texts = [str(t) for t in message.reindex(listed).to_numpy()]
        rows = self.rows[listed]
        self.issues.extend(Issue(self.label, int(r), field, t, severity)
                           for r, t in zip(rows, texts, strict=True))

    def finish(self) -> list[Issue]:
        """Return the issues, with a summary for fields whose issues were capped."""
        for (field, severity), count in self._counts.items():
            if count > MAX_ISSUES_PER_FIELD:
                self.issues.append(Issue(
                    self.label, None, field,
                    f"共{count}行有问题，仅列出前{MAX_ISSUES_PER_FIELD}行", severity))
        return self.issues


@dataclass
class RawTable:
    """A table located in a file, before typing.

    Attributes
    ----------
    label : str
        File name for messages (with the sheet when the workbook has several).
    data : pandas.DataFrame
        Raw values of the matched columns, columns named by key, RangeIndex.
    rows : numpy.ndarray
        Sheet row number of each data row.
    match : HeaderMatch
        Where the header is.
    encoding : str or None
        Encoding of a CSV file.
    sheet : str or None
        Worksheet read from an Excel file.
    numeric : dict
        For the ID number column of an Excel file: a boolean series of the cells stored as
        numbers, or a callable ``(ids, suspects) -> flags`` finding them when asked.
    """

    label: str
    data: pd.DataFrame
    rows: np.ndarray
    match: HeaderMatch
    encoding: str | None = None
    sheet: str | None = None
    numeric: dict = dataclasses.field(default_factory=dict)


def _strip_strings(frame: pd.DataFrame) -> pd.DataFrame:
    """Strip text cells and turn blank text into ``None`` (numbers and dates untouched)."""
    out = {}
    for col in frame.columns:
        series = frame[col]
        if pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty"):
            values = series.astype(object).where(series.notna(), None)
            out[col] = stripped_text(pa.array(values.to_numpy(), type=pa.string()))
        else:
            is_str = series.map(type).isin([str]).to_numpy()
            series = series.copy()
            if is_str.any():
                text = series[is_str].str.strip()
                series[is_str] = text.where(text != "", None)
            out[col] = series.where(series.notna(), None)
    return pd.DataFrame(out, index=frame.index, dtype=object)


def _load_frame(path: Path, label: str, sheet) -> tuple[str, pd.DataFrame, str | None]:
    """A CSV's cells, or a vector file's layer or table's fields: (name, frame, encoding)."""
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        frame = read_csv_raw(path, label)
        return "", frame, frame.attrs.get("encoding")
    from gis_app.io.vector import VECTOR_SUFFIXES, read_attribute_rows

    if suffix in VECTOR_SUFFIXES:  # a layer's or table's fields, e.g. of an exported GeoPackage
        rows, name = read_attribute_rows(path, label, sheet)
        return name, rows, None
    raise file_error(label, f"不支持的文件格式“{path.suffix}”，请使用.xlsx或.csv文件")


def load_table(path: str | os.PathLike, columns: Sequence[LedgerColumn],
               anchor_keys: Sequence[str], sheet: str | int | None = None) -> RawTable:
    """Locate the header of a table in an ``.xlsx``/``.csv`` file and return its raw data rows.

    Parameters
    ----------
    path : path-like
        Excel or CSV file.
    columns : sequence of LedgerColumn
        Known columns of this kind of table.
    anchor_keys : sequence of str
        Keys whose header marks the header row (searched in the first 15 rows).
    sheet : str or int, optional
        Worksheet; by default the first sheet holding the header.

    Returns
    -------
    RawTable
        The data rows, with fully empty rows, note rows and total rows removed.

    Raises
    ------
    InputFileError
        Unreadable file, header not found, or no data row.
    """
    path = Path(path)
    label = path.name
    if path.suffix.lower() in EXCEL_SUFFIXES or path.suffix.lower() == ".xls":
        return _load_excel(path, label, columns, anchor_keys, sheet)
    name, frame, encoding = _load_frame(path, label, sheet)
    if frame.empty or frame.shape[1] == 0:
        raise file_error(label, "文件中没有数据行（文件为空）")
    match = find_header(frame.iloc[:HEADER_SCAN_ROWS], columns, anchor_keys)
    if match is None:
        message = _not_found(columns, anchor_keys)
        if encoding is not None:
            message += (f"（已按{encoding.upper()}编码读取；如果文件编码不同、表头显示为乱码，"
                        "请在Excel中另存为“CSV UTF-8”格式）")
        raise file_error(label, message)
    body = frame.iloc[match.data_start:].reset_index(drop=True)
    rows = np.arange(match.data_start, match.data_start + len(body)) + 1
    data = _strip_strings(body[list(match.positions.values())])
    data.columns = list(match.positions.keys())
    keep = _data_rows(data)
    return RawTable(label, data.loc[keep].reset_index(drop=True), rows[keep], match, encoding,
                    name or None)


def _not_found(columns: Sequence[LedgerColumn], anchor_keys: Sequence[str]) -> str:
    anchor_names = "、".join(f"【{c.header}】" for c in columns if c.key in anchor_keys)
    return f"未找到表头行：前{HEADER_SCAN_ROWS}行中没有{anchor_names}列"


def _load_excel(path: Path, label: str, columns: Sequence[LedgerColumn],
                anchor_keys: Sequence[str], sheet) -> RawTable:
    """:func:`load_table` of a workbook: the header in the first rows, then the columns."""
    book = open_workbook(path, label)
    try:
        names = book.names
        # The header may sit on another sheet (a cover sheet first): look there too.
        candidates = [sheet_index(book, sheet, label)] if sheet is not None else range(len(names))
        match, filled = None, False
        for index in candidates:
            top, more = book.top_rows(index, HEADER_SCAN_ROWS)
            frame = rows_frame(top)
            filled |= more or bool(frame.notna().to_numpy().any())
            if frame.shape[1] and frame.notna().to_numpy().any():
                match = find_header(frame, columns, anchor_keys)
                if match is not None:
                    break
        if not filled:
            raise file_error(label, "文件中没有数据行（文件为空）")
        if match is None:
            raise file_error(label, _not_found(columns, anchor_keys))
        name = names[index]
        if sheet is None and len(names) > 1:
            label = f"{label}（工作表“{name}”）"
            book.label = label
        kinds = {c.key: c.kind for c in columns}
        typed = next((k for k in match.positions if kinds.get(k) == "id"), None)
        data, numeric = book.table(index, match.positions, match.data_start, typed)
    finally:
        book.close()
    rows = np.arange(match.data_start, match.data_start + len(data)) + 1
    keep = _data_rows(data)
    if typed is None:
        flags = {}
    elif isinstance(numeric, pd.Series):
        flags = {typed: numeric[keep].reset_index(drop=True)}
    else:
        flags = {typed: numeric}
    return RawTable(label, data.loc[keep].reset_index(drop=True), rows[keep], match, None, name,
                    flags)


def _data_rows(data: pd.DataFrame) -> np.ndarray:
    """Mask of rows that hold data: not empty, not a note under the table, not a total row."""
    filled = data.notna().to_numpy()
    keep = filled.any(axis=1)
    for pos in np.flatnonzero(keep & (filled.sum(axis=1) == 1)):
        text = str(data.iat[pos, int(np.flatnonzero(filled[pos])[0])])
        if text.startswith(NOTE_PREFIXES):
            keep[pos] = False
    if "seq" in data.columns:
        spaced = {" ".join(word) for word in TOTAL_WORDS}
        keep &= ~data["seq"].isin([*TOTAL_WORDS, *spaced]).to_numpy()
    return keep


def table_from_frame(frame: pd.DataFrame, label: str, columns: Sequence[LedgerColumn],
                     anchor_keys: Sequence[str]) -> RawTable | None:
    """The attribute table of a layer as a :class:`RawTable`: its field names are the header.

    Parameters
    ----------
    frame : pandas.DataFrame
        Attributes (no geometry), one row per feature; row ``i`` is feature ``i + 1``.
    label : str
        File name for messages.
    columns : sequence of LedgerColumn
        Known columns of this kind of table.
    anchor_keys : sequence of str
        Keys whose header marks the table as this kind.

    Returns
    -------
    RawTable or None
        ``None`` when no field name is the header of an anchor column.
    """
    names = [str(c) for c in frame.columns]
    match = find_header(pd.DataFrame([names], dtype=object), columns, anchor_keys)
    if match is None or not set(anchor_keys) & set(match.positions):
        return None
    body = frame.iloc[:, list(match.positions.values())].astype(object)
    data = _strip_strings(body.where(body.notna(), None).reset_index(drop=True))
    data.columns = list(match.positions.keys())
    return RawTable(label, data, np.arange(1, len(frame) + 1), match)
