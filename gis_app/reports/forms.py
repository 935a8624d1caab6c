"""Printed forms in Excel: a sheet laid out cell by cell, A4 page set-up, saving, print titles.

The official forms of seed 002 (annexes 1, 3 and 4) are grids of merged, bordered cells. A
:class:`FormSheet` collects them by position, then writes them row by row into a write-only
sheet (fast, and the only way openpyxl streams), with every cell of a merged range bordered so
that the form prints with its lines. :func:`make_print_ready` gives an ``.xlsx`` written by
someone else (the annex-2 ledger of :mod:`gis_app.io.ledger`) the same page set-up by editing
its XML, without reading its cells.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
import zipfile
from copy import copy
from dataclasses import dataclass, field
from pathlib import Path
from weakref import WeakKeyDictionary

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange

_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
_TOP_LEFT = Alignment(horizontal="left", vertical="top", wrap_text=True)

#: Named cell styles: (font, fill, alignment, bordered, number format).
STYLES: dict[str, tuple] = {
    "title": (Font(name="宋体", bold=True, size=16), None, _CENTER, False, None),
    "subtitle": (Font(name="宋体", size=11), None, _LEFT, False, None),
    "header": (Font(name="宋体", bold=True, size=10), PatternFill("solid", fgColor="F2F2F2"),
               _CENTER, True, None),
    "code": (Font(name="宋体", bold=True, size=10), None, _CENTER, True, None),
    "number": (Font(name="宋体", size=10), None, _CENTER, True, "0"),
    "total": (Font(name="宋体", bold=True, size=10), None, _CENTER, True, "0"),
    "cell": (Font(name="宋体", size=10), None, _CENTER, True, None),
    "text": (Font(name="宋体", size=10), None, _LEFT, True, None),
    "block": (Font(name="宋体", size=10), None, _TOP_LEFT, True, None),
    "label": (Font(name="宋体", bold=True, size=10), None, _LEFT, True, None),
    "section": (Font(name="宋体", bold=True, size=11), None, _LEFT, False, None),
    "date": (Font(name="宋体", size=10), None, _CENTER, True, "yyyy-mm-dd"),
    "id": (Font(name="宋体", size=10), None, _CENTER, True, "@"),
    "note": (Font(name="宋体", size=10), None, _LEFT, False, None),
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
    """A sheet composed by position: values, styles, merged ranges, widths, heights.

    Rows and columns count from 1, as Excel's do.
    """

    ncols: int
    cells: dict[tuple[int, int], tuple[object, str]] = field(default_factory=dict)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    heights: dict[int, float] = field(default_factory=dict)
    widths: list[float] = field(default_factory=list)

    @property
    def last_row(self) -> int:
        """The last row with a cell (0 when empty)."""
        ends = [row for row, _ in self.cells] + [merge[2] for merge in self.merges]
        return max(ends, default=0)

    def put(self, row: int, col: int, value, style: str = "cell", rows: int = 1,
            cols: int = 1) -> None:
        """Write ``value`` at (row, col), merged over ``rows`` × ``cols`` cells."""
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

    def write(self, ws) -> None:
        """Append the sheet to a write-only worksheet (widths and merges first)."""
        for index, width in enumerate(self.widths, start=1):
            ws.column_dimensions[get_column_letter(index)].width = width
        for row, height in self.heights.items():
            ws.row_dimensions[row].height = height
        # Straight into the set: MultiCellRange.add compares each range with every other.
        ws.merged_cells.ranges.update(
            CellRange(min_col=left, min_row=top, max_col=right, max_row=bottom)
            for top, left, bottom, right in self.merges)
        styles = _STYLE_CACHE.setdefault(ws.parent, {})
        for row in range(1, self.last_row + 1):
            values = []
            for col in range(1, self.ncols + 1):
                found = self.cells.get((row, col))
                values.append(None if found is None else _cell(ws, *found, styles))
            ws.append(values)


#: Per workbook, the style array of each named style once built: setting a cell's font,
#: border … looks each up by hashing it, which dominated writing a form of many cells.
_STYLE_CACHE: WeakKeyDictionary = WeakKeyDictionary()


def _cell(ws, value, style: str, styles: dict) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    known = styles.get(style)
    if known is not None:
        cell._style = copy(known)
    else:
        font, fill, alignment, bordered, number_format = STYLES[style]
        cell.font = font
        cell.alignment = alignment
        if fill is not None:
            cell.fill = fill
        if bordered:
            cell.border = _BORDER
        if number_format is not None:
            cell.number_format = number_format
        styles[style] = copy(cell._style)
    if style == "id" and value is not None:
        cell.data_type = "s"  # an ID number or phone stays text, even one of digits only
    return cell


def page_setup(ws, title_rows: tuple[int, int] | None = None, landscape: bool = True) -> None:
    """A4, one page wide, centred, with ``title_rows`` repeated on every page."""
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = "9"  # A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages as the rows need
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    if title_rows is not None:
        ws.print_title_rows = f"{title_rows[0]}:{title_rows[1]}"


def new_workbook() -> Workbook:
    """A write-only workbook (sheets are appended with :meth:`Workbook.create_sheet`)."""
    wb = Workbook(write_only=True)
    wb.properties.creator = "网格防返贫监测 GIS"
    return wb


def sheet_title(text: str, taken: set[str]) -> str:
    r"""A worksheet name Excel accepts (≤ 31 characters, none of ``[]:*?/\\``), unique."""
    base = re.sub(r"[\[\]:*?/\\]", "_", str(text)).strip("'") or "表"
    name, n = base[:31], 1
    while name in taken:
        n += 1
        suffix = f"({n})"
        name = base[:31 - len(suffix)] + suffix
    taken.add(name)
    return name


def save(wb: Workbook, path: str | os.PathLike) -> Path:
    """Save through a temporary file in the same folder, then replace ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".xlsx", dir=path.parent)
    os.close(fd)
    try:
        wb.save(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


# --- the page set-up of a file written elsewhere ---------------------------------------------

#: Elements of a worksheet that follow <pageSetup> (ECMA-376 CT_Worksheet order).
_AFTER_PAGE_SETUP = ("headerFooter", "rowBreaks", "colBreaks", "customProperties", "cellWatches",
                     "ignoredErrors", "smartTags", "drawing", "legacyDrawing", "legacyDrawingHF",
                     "drawingHF", "picture", "oleObjects", "controls", "webPublishItems",
                     "tableParts", "extLst")
_PRINT_OPTIONS = '<printOptions horizontalCentered="1"/>'
_MARGINS = ('<pageMargins left="0.4" right="0.4" top="0.6" bottom="0.6" header="0.3" '
            'footer="0.3"/>')
_PAGE_SETUP = '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>'


def _first_of(text: str, names: tuple[str, ...]) -> int:
    """Position of the first element named in ``names`` (or of ``</worksheet>``)."""
    found = [m.start() for name in names for m in [re.search(rf"<(?:\w+:)?{name}[\s/>]", text)]
             if m is not None]
    return min(found, default=text.rindex("</"))


def _patched_tail(tail: str) -> str:
    """The part of a sheet after its cells, with A4-landscape print options and page set-up."""
    tail = re.sub(r"<printOptions\b[^>]*/>|<pageSetup\b[^>]*/>", "", tail)
    if not re.search(r"<pageMargins\b", tail):
        at = _first_of(tail, _AFTER_PAGE_SETUP)
        tail = tail[:at] + _MARGINS + tail[at:]
    margins = re.search(r"<pageMargins\b[^>]*/>", tail)
    tail = tail[:margins.start()] + _PRINT_OPTIONS + tail[margins.start():]
    margins = re.search(r"<pageMargins\b[^>]*/>", tail)
    return tail[:margins.end()] + _PAGE_SETUP + tail[margins.end():]


def _patched_head(head: str) -> str:
    """The part of a sheet before its cells, with ``fitToPage`` asked in its properties."""
    fit = '<pageSetUpPr fitToPage="1"/>'
    if re.search(r"<pageSetUpPr\b[^>]*/>", head):
        return re.sub(r"<pageSetUpPr\b[^>]*/>", fit, head, count=1)
    if re.search(r"<sheetPr\b[^>]*/>", head):
        return re.sub(r"<sheetPr\b([^>]*)/>", rf"<sheetPr\1>{fit}</sheetPr>", head, count=1)
    if "</sheetPr>" in head:
        return head.replace("</sheetPr>", f"{fit}</sheetPr>", 1)
    opening = re.search(r"<worksheet\b[^>]*>", head)
    return head[:opening.end()] + f"<sheetPr>{fit}</sheetPr>" + head[opening.end():]


def _with_print_titles(workbook: str, sheet: str, rows: tuple[int, int]) -> str:
    quoted = sheet.replace("'", "''")
    name = (f'<definedName name="_xlnm.Print_Titles" localSheetId="0">'
            f"'{quoted}'!${rows[0]}:${rows[1]}</definedName>")
    workbook = re.sub(r'<definedName name="_xlnm.Print_Titles" localSheetId="0">[^<]*'
                      r"</definedName>", "", workbook)
    if "<definedNames/>" in workbook:
        return workbook.replace("<definedNames/>", f"<definedNames>{name}</definedNames>")
    if "</definedNames>" in workbook:
        return workbook.replace("</definedNames>", f"{name}</definedNames>", 1)
    return workbook.replace("</sheets>", f"</sheets><definedNames>{name}</definedNames>", 1)


def make_print_ready(path: str | os.PathLike, title_rows: tuple[int, int]) -> Path:
    """Give the first sheet of an ``.xlsx`` A4 landscape, one page wide, repeated header rows.

    Only the sheet's XML around its cells and the workbook's defined names are edited, so a
    ledger of a hundred thousand rows is not read cell by cell.

    Parameters
    ----------
    path : path-like
        The workbook, rewritten in place (through a temporary file).
    title_rows : (int, int)
        First and last row printed on top of every page.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    with zipfile.ZipFile(path) as source:
        entries = [(info, source.read(info.filename)) for info in source.infolist()]
    names = {info.filename: i for i, (info, _) in enumerate(entries)}
    workbook = entries[names["xl/workbook.xml"]][1].decode("utf-8")
    first = re.search(r'<sheet\b[^>]*\bname="([^"]*)"[^>]*\br:id="([^"]*)"', workbook)
    sheet_name = _unescape(first.group(1))
    rels = entries[names["xl/_rels/workbook.xml.rels"]][1].decode("utf-8")
    target = re.search(rf'<Relationship\b[^>]*Id="{re.escape(first.group(2))}"[^>]*>', rels)
    target = re.search(r'Target="([^"]*)"', target.group(0)).group(1)
    member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    sheet = entries[names[member]][1].decode("utf-8")
    start, end = _cells_span(sheet)
    sheet = _patched_head(sheet[:start]) + sheet[start:end] + _patched_tail(sheet[end:])
    replaced = {member: sheet.encode("utf-8"),
                "xl/workbook.xml": _with_print_titles(workbook, sheet_name,
                                                      title_rows).encode("utf-8")}
    fd, tmp = tempfile.mkstemp(suffix=".xlsx", dir=path.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
            for info, data in entries:
                out.writestr(info, replaced.get(info.filename, data))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def _cells_span(sheet: str) -> tuple[int, int]:
    """Start and end of the ``<sheetData>`` element (found by search: the text may be large)."""
    start = re.search(r"<sheetData[\s/>]", sheet).start()
    close = sheet.find("</sheetData>", start)
    end = sheet.find(">", start) + 1 if close < 0 else close + len("</sheetData>")
    return start, end


def _unescape(text: str) -> str:
    return (text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
            .replace("&apos;", "'").replace("&amp;", "&"))
