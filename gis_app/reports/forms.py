"""Printed forms laid out cell by cell: values, named styles, merged ranges, page layout.

The official forms of seed 002 (annexes 1, 3 and 4) are grids of merged, bordered cells. A
:class:`FormSheet` holds one worksheet of such a form as plain data — which value in which cell,
which cells are merged, widths and heights, the rows repeated on every printed page — with
every cell of a merged range styled too, so that the form prints with all its lines. The file
is written by the workbook writer of :mod:`gis_app.io.xlsx_writer` (the services join the two;
reports stay beside io), which prints on A4, fitted to the page width.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

#: Named cell styles as plain attributes: bold, size (points), fill (hex RGB), border,
#: align (horizontal), wrap, number_format. The font is 宋体, as on the paper forms.
STYLES: dict[str, dict] = {
    "title": {"bold": True, "size": 16, "align": "center"},
    "subtitle": {"size": 11, "align": "left"},
    "section": {"bold": True, "size": 11, "align": "left"},
    "header": {"bold": True, "size": 10, "fill": "F2F2F2", "border": True, "align": "center",
               "wrap": True},
    "code": {"bold": True, "size": 10, "border": True, "align": "center"},
    "number": {"size": 10, "border": True, "align": "center", "number_format": "0"},
    "total": {"bold": True, "size": 10, "border": True, "align": "center",
              "number_format": "0"},
    "cell": {"size": 10, "border": True, "align": "center", "wrap": True},
    "text": {"size": 10, "border": True, "align": "left", "wrap": True},
    "label": {"bold": True, "size": 10, "border": True, "align": "left", "wrap": True},
    "date": {"size": 10, "border": True, "align": "center", "number_format": "yyyy-mm-dd"},
    "id": {"size": 10, "border": True, "align": "center", "number_format": "@"},
    "note": {"size": 10, "align": "left", "wrap": True},
}

#: Checkbox marks of the printed forms.
TICKED, UNTICKED = "☑", "□"


def tick(condition: bool) -> str:
    """☑ or □."""
    return TICKED if condition else UNTICKED


def date_text(date: dt.date | None) -> str:
    """``2023年6月2日`` (the forms' 填报时间), '' without a date."""
    return "" if date is None else f"{date.year}年{date.month}月{date.day}日"


@dataclass
class FormSheet:
    """One worksheet of a form, composed by position (rows and columns count from 1).

    Attributes
    ----------
    ncols : int
        Columns of the form.
    name : str
        The worksheet's name (see :func:`sheet_title`).
    cells : dict
        ``(row, col)`` → ``(value, style name)``; values are text, numbers, dates or None.
    merges : list of tuple
        ``(first row, first col, last row, last col)`` of each merged range.
    landscape : bool
        Printed across an A4 page (else upright).
    title_rows : tuple of int, optional
        First and last row printed on top of every page.
    freeze : tuple of int, optional
        ``(rows, columns)`` kept in view when scrolling.
    """

    ncols: int
    name: str = "表"
    cells: dict[tuple[int, int], tuple[object, str]] = field(default_factory=dict)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    heights: dict[int, float] = field(default_factory=dict)
    widths: list[float] = field(default_factory=list)
    landscape: bool = True
    title_rows: tuple[int, int] | None = None
    freeze: tuple[int, int] | None = None

    @property
    def last_row(self) -> int:
        """The last row with a cell (0 when empty)."""
        ends = [row for row, _ in self.cells] + [merge[2] for merge in self.merges]
        return max(ends, default=0)

    def put(self, row: int, col: int, value, style: str = "cell", rows: int = 1,
            cols: int = 1) -> None:
        """Write ``value`` at (row, col), merged over ``rows`` × ``cols`` cells."""
        if style not in STYLES:
            raise KeyError(style)
        self.cells[(row, col)] = (value, style)
        if rows > 1 or cols > 1:
            self.merges.append((row, col, row + rows - 1, col + cols - 1))
            for r in range(row, row + rows):
                for c in range(col, col + cols):
                    if (r, c) != (row, col):
                        self.cells[(r, c)] = (None, style)

    def line(self, row: int, value, style: str = "note", height: float | None = None) -> None:
        """A value across the whole width (title, subtitle, note)."""
        self.put(row, 1, value, style, cols=self.ncols)
        if height is not None:
            self.heights[row] = height

    def rows(self):
        """Each row from the first to :attr:`last_row`: ``(row, [(value, style or None)])``."""
        for row in range(1, self.last_row + 1):
            yield row, [self.cells.get((row, col), (None, None))
                        for col in range(1, self.ncols + 1)]


def sheet_title(text: str, taken: set[str]) -> str:
    r"""A worksheet name Excel accepts (≤ 31 characters, none of ``[]:*?/\``), unique."""
    base = re.sub(r"[\[\]:*?/\\]", "_", str(text)).strip("'") or "表"
    name, n = base[:31], 1
    while name in taken:
        n += 1
        suffix = f"({n})"
        name = base[:31 - len(suffix)] + suffix
    taken.add(name)
    return name
