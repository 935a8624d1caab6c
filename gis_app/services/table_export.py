"""A dock's table written to Excel as it shows: its headers, its texts, numbers as numbers.

The window reads what a table displays (headers in the interface language, personal data as
masked on screen, the rows in view and in their order); this turns those cells into typed
columns and writes them through :func:`gis_app.io.write_table_excel` (title row, bold header
repeated on every printed page).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

_NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.(\d+))?(%?)$")
#: Cells that show "no value" (a unit without households: —).
_EMPTY = {"", "—", "-", "–"}


def _decimals(texts: list[str]) -> int:
    return max((len(m.group(4) or "") for m in map(_NUMBER.match, texts)), default=0)


def typed_column(values: list, numeric: bool) -> tuple[pd.Series, str | None]:
    """A column of shown cells as numbers where it holds numbers, with its Excel format.

    Parameters
    ----------
    values : list
        The cells as the view gives them: numbers, or texts (``"1,234"``, ``"85.3%"``).
    numeric : bool
        The view declares the column numeric (right-aligned): texts of digits are numbers.
        Otherwise only real numbers and percentages are (a code of digits stays text).

    Returns
    -------
    (pandas.Series, str or None)
        The column and its number format (None: text).
    """
    texts = ["" if v is None else (str(v).strip() if isinstance(v, str) else v)
             for v in values]
    shown = [v for v in texts if not (isinstance(v, str) and v in _EMPTY)]
    if not shown:
        return pd.Series(texts, dtype=object), None
    strings = [v for v in shown if isinstance(v, str)]
    if any(not _NUMBER.match(v) for v in strings):
        return pd.Series([str(v) for v in texts], dtype=object), None
    percent = bool(strings) and all(v.endswith("%") for v in strings)
    if strings and not numeric and not percent:
        return pd.Series([str(v) for v in texts], dtype=object), None
    numbers = np.array([np.nan if isinstance(v, str) and v in _EMPTY
                        else float(str(v).replace(",", "").rstrip("%")) for v in texts])
    decimals = _decimals(strings) if strings else int(
        any(not float(v).is_integer() for v in shown)) * 2
    if percent:
        return pd.Series(numbers / 100), "0" + ("." + "0" * decimals if decimals else "") + "%"
    grouped = any("," in v for v in strings)
    base = "#,##0" if grouped else "0"
    return pd.Series(numbers), base + ("." + "0" * decimals if decimals else "")


def shown_table(headers: list[str], rows: list[list], numeric: set[int]
                ) -> tuple[pd.DataFrame, dict[str, str]]:
    """The cells of a table (rows of columns) as a typed frame and its number formats."""
    columns, formats = {}, {}
    for index, header in enumerate(headers):
        series, fmt = typed_column([row[index] for row in rows], index in numeric)
        columns[header] = series
        if fmt:
            formats[header] = fmt
    return pd.DataFrame(columns), formats


def write_shown_table(frame: pd.DataFrame, path: str | Path, title: str,
                      number_formats: dict[str, str] | None = None) -> Path:
    """Write a shown table to ``path`` (``.xlsx``) under a title row; whole or not at all."""
    from gis_app.io import write_table_excel

    return write_table_excel(frame, path, title=title, number_formats=number_formats or {})
