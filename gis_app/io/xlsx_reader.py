"""Reading worksheets fast: the first rows by streaming the sheet's XML, the table with fastexcel.

A county's ledger is a form: a title, a unit and date line, one or two rows of (merged)
headers, then the households. The header is found in the first rows, read here by streaming
the start of the sheet's XML (a few kilobytes, however long the sheet). The table's columns are
then read in one pass by fastexcel (calamine, in Rust) into Arrow: a column of text or of mixed
cells as text (a cell reads as it shows), a column of numbers as numbers, of dates as dates;
the validators type the rest. ID numbers stored as numbers are named: a column of numbers
says so, and a column mixing numbers and text is looked at again, only when an ID fails
(:class:`_NumberCheck`).
"""

from __future__ import annotations

import html
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from gis_app.io.errors import file_error

_BROKEN = "文件已损坏或不是有效的Excel文件"
_REF_RE = re.compile(r"([A-Z]+)(\d+)")
# Shared strings are scanned with regular expressions (C speed), not parsed element by element.
_SI_RE = re.compile(rb"<(?:\w+:)?si(?:\s[^>]*)?(?:/>|>(.*?)</(?:\w+:)?si>)", re.S)
_T_RE = re.compile(rb"<(?:\w+:)?t(?:\s[^>]*)?>(.*?)</(?:\w+:)?t>", re.S)
_DIGITS_T_RE = re.compile(rb"<(?:\w+:)?t(?:\s[^>]*)?>\s*(\d{15,}0)\s*</(?:\w+:)?t>")
_RPH_RE = re.compile(rb"<(?:\w+:)?rPh\b.*?</(?:\w+:)?rPh>", re.S)


class _Shared(int):
    """A shared-string index met in the first rows, resolved once all are known."""

    @property
    def index(self) -> int:
        return int(self)


def _quiet() -> None:
    """Fastexcel logs a warning for every empty column it types as text: not the user's news."""
    import logging

    logging.getLogger("fastexcel").setLevel(logging.ERROR)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _column_index(letters: str) -> int:
    index = 0
    for char in letters:
        index = index * 26 + ord(char) - 64
    return index - 1


def _letters(index: int) -> str:
    from gis_app.io.xlsx_writer import column_letter

    return column_letter(index + 1)


class Workbook:
    """An ``.xlsx`` file's sheets: names, first rows, and columns read as a table.

    Parameters
    ----------
    path : path-like
        The workbook.
    label : str
        File name shown in messages.

    Raises
    ------
    InputFileError
        When the file is not a readable workbook (truncated, corrupt, not a zip).
    """

    def __init__(self, path: str | Path, label: str):
        self.path, self.label = Path(path), label
        self.zip = None
        try:
            self.zip = zipfile.ZipFile(self.path)
            self._sheets = self._sheet_parts()
        except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError) as exc:
            if self.zip is not None:  # a zip without a readable workbook: not left open
                self.zip.close()
            raise file_error(label, f"{_BROKEN}（{type(exc).__name__}）") from None

    @property
    def names(self) -> list[str]:
        """The sheet names, in the workbook's order."""
        return [name for name, _ in self._sheets]

    def close(self) -> None:
        """Close the file."""
        self.zip.close()

    def _sheet_parts(self) -> list[tuple[str, str]]:
        book = ElementTree.fromstring(self.zip.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(self.zip.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target", "") for r in rels}
        sheets = []
        for element in book.iter():
            if _local(element.tag) == "sheet":
                rid = next(v for k, v in element.attrib.items() if _local(k) == "id")
                target = targets[rid].lstrip("/")
                sheets.append((element.get("name"),
                               target if target.startswith("xl/") else f"xl/{target}"))
        return sheets

    def top_rows(self, sheet: int, count: int) -> tuple[list[list], bool]:
        """The first ``count`` rows of a sheet (row 1 first), cells from column A.

        Text as text, numbers as floats, booleans as bools, errors and empty cells as None.
        The second value tells whether the sheet has rows below them.
        """
        rows: list[list] = [[] for _ in range(count)]
        more = False
        try:
            last = 0
            with self.zip.open(self._sheets[sheet][1]) as stream:
                for _event, element in ElementTree.iterparse(stream, events=("end",)):
                    if _local(element.tag) != "row":
                        continue
                    number = int(element.get("r") or last + 1)  # r is optional
                    last = number
                    if number > count:
                        more = True
                        break
                    rows[number - 1] = self._row_values(element)
                    element.clear()
            shared = self._shared({v.index for row in rows for v in row
                                   if isinstance(v, _Shared)})
        except (KeyError, ElementTree.ParseError, zipfile.BadZipFile, EOFError, OSError) as exc:
            raise file_error(self.label, f"{_BROKEN}（{type(exc).__name__}）") from None
        rows = [[shared.get(v.index, "") if isinstance(v, _Shared) else v for v in row]
                for row in rows]
        return rows, more

    def _shared(self, wanted: set[int]) -> dict[int, str]:
        """The shared strings at ``wanted`` indices, scanning the table only as far as needed."""
        if not wanted:
            return {}
        data = self.zip.read("xl/sharedStrings.xml")
        found, last = {}, max(wanted)
        for i, item in enumerate(_SI_RE.finditer(data)):
            if i in wanted:
                found[i] = _si_text(item.group(1) or b"")
            if i >= last:
                break
        return found

    def _row_values(self, row) -> list:
        values: list = []
        for cell in row:
            if _local(cell.tag) != "c":
                continue
            ref = _REF_RE.match(cell.get("r", ""))
            column = _column_index(ref.group(1)) if ref else len(values)
            values.extend([None] * (column + 1 - len(values)))
            values[column] = self._cell_value(cell)
        return values

    def _cell_value(self, cell):
        kind = cell.get("t", "n")
        if kind == "inlineStr":
            return "".join(t.text or "" for t in cell.iter() if _local(t.tag) == "t")
        value = next((c.text for c in cell if _local(c.tag) == "v"), None)
        if value is None or kind == "e":
            return None
        if kind == "s":
            return _Shared(int(value))
        if kind == "b":
            return value == "1"
        if kind == "str":
            return value
        try:
            return float(value)
        except ValueError:
            return value

    def table(self, sheet: int, positions: dict[str, int], start: int,
              typed: str | None = None) -> tuple[pd.DataFrame, pd.Series | None]:
        """Columns of a sheet from row ``start`` (0-based) down, one pass over the sheet.

        Parameters
        ----------
        sheet : int
            Sheet index.
        positions : dict
            Key to 0-based column position (A is 0).
        start : int
            First row read (0-based: row 1 is 0).
        typed : str, optional
            The key whose numeric cells are flagged (ID numbers stored as numbers).

        Returns
        -------
        tuple
            The columns named by key, with a RangeIndex (position ``i`` is sheet row
            ``start + i + 1``): a column of numbers as floats (NaN empty), of dates as
            ``datetime.date``, of text or of mixed cells as stripped ``string[pyarrow]``; and
            for ``typed`` a boolean series of its cells stored as numbers, or, when the
            column reads as text, a :class:`_NumberCheck` that finds them when asked.
        """
        import fastexcel

        _quiet()
        order = sorted(positions, key=positions.get)
        letters = ",".join(_letters(positions[key]) for key in order)
        try:
            reader = fastexcel.read_excel(str(self.path))
            batch = reader.load_sheet(self._sheets[sheet][0], header_row=None, skip_rows=start,
                                      use_columns=letters, schema_sample_rows=None,
                                      eager=True)
        except fastexcel.FastExcelError as exc:
            raise file_error(self.label, f"{_BROKEN}（{type(exc).__name__}）") from None
        columns, flags = {}, None
        # The selected columns come in the sheet's order, as the keys sorted by position.
        for key, array in zip(order, batch.columns, strict=True):
            kind = array.type
            if key == typed and (pa.types.is_floating(kind) or pa.types.is_integer(kind)):
                flags = pd.Series(array.is_valid().to_numpy(zero_copy_only=False))
            elif key == typed and not pa.types.is_null(kind):
                # Text, or numbers and text mixed (read as text): told apart when asked.
                flags = _NumberCheck(self.path, self._sheets[sheet][0],
                                     _letters(positions[key]), start)
            columns[key] = _series(array)
        frame = pd.DataFrame(columns, index=pd.RangeIndex(batch.num_rows))
        if typed is not None and flags is None:
            flags = pd.Series(np.zeros(batch.num_rows, dtype=bool))
        return frame, flags

    def frame(self, sheet: int, start: int = 0) -> pd.DataFrame:
        """The rows of a sheet from row ``start`` (0-based), columns by position (A is 0).

        Row ``i`` is sheet row ``start + i + 1``. A column of numbers reads as floats, of
        dates as dates, of text or mixed cells as stripped text (None empty).
        """
        import fastexcel

        _quiet()
        try:
            reader = fastexcel.read_excel(str(self.path))
            loaded = reader.load_sheet(self._sheets[sheet][0], header_row=None,
                                       skip_rows=start, schema_sample_rows=None)
            where = [c.absolute_index for c in loaded.selected_columns]
            batch = loaded.to_arrow()
        except fastexcel.FastExcelError as exc:
            raise file_error(self.label, f"{_BROKEN}（{type(exc).__name__}）") from None
        width = max(where, default=-1) + 1
        columns = {i: pd.Series([None] * batch.num_rows, dtype=object) for i in range(width)}
        for position, array in zip(where, batch.columns, strict=True):
            columns[position] = _series(array)
        return pd.DataFrame(columns, index=pd.RangeIndex(batch.num_rows))


def _si_text(content: bytes) -> str:
    """A shared string's text: its ``t``, or its runs' joined (phonetic runs left out)."""
    content = _RPH_RE.sub(b"", content)
    return html.unescape("".join(t.decode("utf-8") for t in _T_RE.findall(content)))


class _NumberCheck:
    """Which cells of a column read as text were numbers, found only when asked.

    fastexcel reads a column mixing numbers and text as text. The question matters only for
    ID numbers that fail their checks: an ID stored as a number reads as its digits ending in
    0, which only 1 in 11 text IDs (the one with check digit 0) shares. Such a suspect found
    among the workbook's shared strings was text. Any other makes the column be read again on
    its own with its type guessed strictly: all numbers, every cell was one; all text, none;
    mixed, the suspects were.
    """

    def __init__(self, path: Path, sheet: str, letter: str, start: int):
        self.path, self.sheet, self.letter, self.start = path, sheet, letter, start

    def __call__(self, ids: pd.Series, suspects: pd.Series) -> pd.Series:
        """Flags of the cells stored as numbers, given the column's text and the suspects."""
        import fastexcel

        none = pd.Series(False, index=ids.index)
        suspects = suspects & ~ids.isin(self._shared_digits())
        if not suspects.any():
            return none
        try:
            column = fastexcel.read_excel(str(self.path)).load_sheet(
                self.sheet, header_row=None, skip_rows=self.start, use_columns=self.letter,
                dtype_coercion="strict", schema_sample_rows=None, eager=True).column(0)
        except fastexcel.UnsupportedColumnTypeCombinationError:
            return suspects
        if pa.types.is_floating(column.type) or pa.types.is_integer(column.type):
            return ids.notna()
        return none

    def _shared_digits(self) -> set[str]:
        """The shared strings that look like an ID read from a number (one regex pass)."""
        try:
            with zipfile.ZipFile(self.path) as archive:
                data = archive.read("xl/sharedStrings.xml")
        except KeyError:
            return set()
        return {t.decode("ascii") for t in _DIGITS_T_RE.findall(data)}


def _series(array: pa.Array) -> pd.Series:
    """A column as the validators take it: floats, dates, booleans or stripped text."""
    kind = array.type
    if pa.types.is_floating(kind) or pa.types.is_integer(kind):
        return pd.Series(array.to_numpy(zero_copy_only=False), dtype=np.float64)
    if pa.types.is_date(kind) or pa.types.is_timestamp(kind):
        if pa.types.is_timestamp(kind) and kind.tz is not None:
            array = pc.local_timestamp(array)
        return pd.Series(array.cast(pa.timestamp("ms")).to_pandas(), dtype="datetime64[ms]")
    if pa.types.is_boolean(kind):
        return pd.Series(array.to_pylist(), dtype=object)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return stripped_text(array)
    if pa.types.is_null(kind):
        return pd.Series([None] * len(array), dtype=object)
    return stripped_text(pc.cast(array, pa.string()))


def _as_text(array: pa.Array) -> pa.Array:
    """A typed column (numbers, dates, booleans) as the text a user reads in the cell."""
    kind = array.type
    if pa.types.is_floating(kind) or pa.types.is_integer(kind):
        values = array.to_numpy(zero_copy_only=False).astype(np.float64)
        integral = np.isfinite(values) & (values == np.round(values)) & (np.abs(values) < 2**63)
        text = np.where(integral, np.where(integral, values, 0).astype(np.int64).astype(str),
                        values.astype(str))
        return pa.array(text, mask=~np.isfinite(values), type=pa.string())
    if pa.types.is_boolean(kind):
        return pc.if_else(array, "TRUE", "FALSE")
    return pc.cast(array, pa.string())


def stripped_text(array: pa.Array) -> pd.Series:
    """Text stripped of surrounding spaces, blank cells missing, kept in Arrow.

    No Python object per cell: the validators hash the column, and only the text columns
    become Python strings.
    """
    text = pc.utf8_trim_whitespace(array.cast(pa.string()))
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    return pd.Series(pd.arrays.ArrowStringArray(text), dtype="string[pyarrow]")
