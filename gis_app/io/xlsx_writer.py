"""Writing large worksheets fast: whole columns to SpreadsheetML with Arrow's string kernels.

openpyxl and xlsxwriter build a Python object per cell, and a 120,000-row ledger has 4.7 million
cells: a minute each on the benchmark machine (docs/performance.md). Here the few rows of a
form (title, headers, notes) are written cell by cell, and the data block column by column:
each column becomes the XML of its cells in one vectorised step (numbers in their shortest exact
form, text through the shared-string table, so a value is never taken for a formula), the rows
are those cells joined, a chunk of rows at a time. The package is a plain ``.xlsx`` that Excel,
WPS, LibreOffice, openpyxl and GDAL read: styles, column widths, frozen panes, merged cells,
print titles, landscape A4 fitted to the page width, page numbers in the footer.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: Timestamp written into reproducible files (workbook properties and zip entries).
FIXED_DATETIME = dt.datetime(2000, 1, 1, 0, 0, 0)
#: Excel refuses longer strings in one cell.
MAX_CELL_CHARS = 32767
#: Rows turned into XML at once: bounds the memory and paces progress and cancelling.
CHUNK_ROWS = 16_384
#: Rows whose text is put first in the shared-string table (where readers find headers).
HEAD_ROWS = 16
#: Characters XML 1.0 forbids (a text cell keeps everything else).
ILLEGAL_XML = "[\x00-\x08\x0b\x0c\x0e-\x1f]"
_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL_NS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
_DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


@dataclass(frozen=True)
class Style:
    """How a cell looks: font, fill, border, alignment and number format."""

    bold: bool = False
    size: float = 11
    fill: str | None = None
    border: bool = False
    align: str | None = None
    wrap: bool = False
    number_format: str = "General"


PLAIN = Style()


@dataclass
class Column:
    """One column of a data block.

    Attributes
    ----------
    values : pyarrow.Array
        Numbers (float or integer; null for an empty cell) or text (string; null for empty).
    style : Style
        The style of every cell of the column.
    """

    values: pa.Array
    style: Style = PLAIN

    @property
    def is_text(self) -> bool:
        """True for a column of text cells (shared strings)."""
        return pa.types.is_string(self.values.type) or pa.types.is_large_string(self.values.type)


def number_column(values, style: Style = PLAIN) -> Column:
    """A column of numbers from a float array (NaN empty) or a nullable integer series."""
    if isinstance(values, pa.Array):
        array = values
    else:
        array = pa.array(values, from_pandas=True)
    if pa.types.is_floating(array.type):
        array = pc.if_else(pc.is_finite(array), array, pa.scalar(None, array.type))
    return Column(array, style)


def date_column(values, style: Style) -> Column:
    """Dates (``datetime.date``, ``NaT`` or None) as Excel's day numbers in a date format."""
    days = np.asarray(values, dtype="datetime64[D]")
    serial = (days - _EXCEL_EPOCH).astype(np.int64)
    return Column(pa.array(serial, mask=np.isnat(days)), style)


def text_column(values, style: Style = PLAIN) -> Column:
    """A column of text (str or None)."""
    array = values if isinstance(values, pa.Array) else pa.array(values, type=pa.string(),
                                                                 from_pandas=True)
    return Column(array.cast(pa.string()), style)


@dataclass
class Sheet:
    """A worksheet: a few rows of single cells, one data block, and its page layout.

    Attributes
    ----------
    name : str
        Sheet name (at most 31 characters).
    widths : list of float
        Column widths in Excel's character units, from column A.
    freeze : tuple of int, optional
        ``(rows, columns)`` kept in view when scrolling.
    print_rows : tuple of int, optional
        First and last sheet row repeated at the top of every printed page.
    """

    name: str
    widths: list[float] = field(default_factory=list)
    freeze: tuple[int, int] | None = None
    print_rows: tuple[int, int] | None = None
    landscape: bool = True
    heights: dict[int, float] = field(default_factory=dict)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    cells: dict[int, list[tuple[object, Style]]] = field(default_factory=dict)
    block_row: int = 0
    block: list[Column] = field(default_factory=list)

    def row(self, number: int, values: Sequence, style: Style = PLAIN,
            height: float | None = None) -> None:
        """Put ``values`` (text, numbers or None) into sheet row ``number`` (1-based)."""
        self.cells[number] = [(v, style) for v in values]
        if height is not None:
            self.heights[number] = height

    def styled_row(self, number: int, cells: Sequence[tuple[object, Style]]) -> None:
        """Put ``(value, style)`` cells into sheet row ``number``."""
        self.cells[number] = list(cells)

    def merge(self, row: int, first_col: int, last_row: int, last_col: int) -> None:
        """Merge the cells from ``(row, first_col)`` to ``(last_row, last_col)`` (1-based)."""
        self.merges.append((row, first_col, last_row, last_col))

    def data(self, first_row: int, columns: Sequence[Column]) -> None:
        """The data block: ``columns`` from column A, starting at sheet row ``first_row``."""
        lengths = {len(c.values) for c in columns}
        if len(lengths) > 1:
            raise ValueError("the columns of a data block differ in length")
        self.block_row, self.block = first_row, list(columns)

    @property
    def block_rows(self) -> int:
        """Rows in the data block."""
        return len(self.block[0].values) if self.block else 0


def column_letter(index: int) -> str:
    """Excel letter of the 1-based column ``index``."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _ref(row: int, col: int) -> str:
    return f"{column_letter(col)}{row}"


class _Styles:
    """The styles in use, each one cell format (``xf``) of styles.xml."""

    def __init__(self):
        self.xfs: dict[Style, int] = {PLAIN: 0}

    def index(self, style: Style) -> int:
        return self.xfs.setdefault(style, len(self.xfs))

    def xml(self) -> str:
        formats = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "@": 49}
        custom: dict[str, int] = {}
        fonts: dict[tuple, int] = {}
        fills: dict[str | None, int] = {None: 0}
        xf_parts = []
        for style in self.xfs:
            if style.number_format not in formats and style.number_format not in custom:
                custom[style.number_format] = 164 + len(custom)
            fmt = formats.get(style.number_format, custom.get(style.number_format))
            font = fonts.setdefault((style.bold, style.size), len(fonts))
            fill = fills.setdefault(style.fill, len(fills) + 1 if style.fill else 0)
            align = ""
            if style.align or style.wrap:
                horizontal = f' horizontal="{style.align}"' if style.align else ""
                wrap = ' wrapText="1"' if style.wrap else ""
                align = f'<alignment{horizontal} vertical="center"{wrap}/>'
            xf_parts.append(
                f'<xf numFmtId="{fmt}" fontId="{font}" fillId="{fill}" '
                f'borderId="{int(style.border)}" xfId="0" applyNumberFormat="1" applyFont="1" '
                f'applyFill="1" applyBorder="1"' + (f' applyAlignment="1">{align}</xf>'
                                                    if align else "/>"))
        numfmts = "".join(f'<numFmt numFmtId="{i}" formatCode={quoteattr(code)}/>'
                          for code, i in custom.items())
        font_xml = "".join(f'<font>{"<b/>" if bold else ""}<sz val="{size:g}"/>'
                           '<name val="宋体"/><family val="3"/><charset val="134"/></font>'
                           for bold, size in fonts)
        fill_xml = '<fill><patternFill patternType="none"/></fill>' \
                   '<fill><patternFill patternType="gray125"/></fill>' + "".join(
                       f'<fill><patternFill patternType="solid"><fgColor rgb="FF{colour}"/>'
                       '<bgColor indexed="64"/></patternFill></fill>'
                       for colour in fills if colour)
        thin = '<{0} style="thin"><color rgb="FF808080"/></{0}>'
        border_xml = ("<border><left/><right/><top/><bottom/><diagonal/></border><border>"
                      + "".join(thin.format(side) for side in ("left", "right", "top", "bottom"))
                      + "<diagonal/></border>")
        return (
            f"{_HEAD}<styleSheet {_NS}>"
            + (f'<numFmts count="{len(custom)}">{numfmts}</numFmts>' if custom else "")
            + f'<fonts count="{len(fonts)}">{font_xml}</fonts>'
            + f'<fills count="{len(fills) + 1}">{fill_xml}</fills>'
            + f'<borders count="2">{border_xml}</borders>'
            + '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
            + f'</cellStyleXfs><cellXfs count="{len(xf_parts)}">{"".join(xf_parts)}</cellXfs>'
            + '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
            + "</cellStyles></styleSheet>")


def _clean_text(values: pa.Array) -> pa.Array:
    """Text as XML character data: forbidden characters dropped, ``& < >`` escaped."""
    values = pc.replace_substring_regex(values, ILLEGAL_XML, "")
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        values = pc.replace_substring(values, char, entity)
    return values


class _SharedStrings:
    """The workbook's shared-string table, built from whole columns at once."""

    def __init__(self):
        self.parts: list[pa.Array] = []
        self.table: pa.Array | None = None
        self.first: dict[str, int] = {}

    def add_first(self, texts: list[str]) -> None:
        """Strings put at the start of the table, in this order (the few single cells)."""
        for text in texts:
            self.first.setdefault(text, len(self.first))
        self.parts[:1 if self.parts else 0] = [pa.array(list(self.first), pa.string())]

    def add(self, values: pa.Array) -> None:
        self.parts.append(pc.unique(values.drop_null()))

    def freeze(self) -> None:
        chunks = [p.cast(pa.string()) for p in self.parts] or [pa.array([], pa.string())]
        # Unique over all columns, in order of first appearance: the headers come first.
        self.table = pc.unique(pa.chunked_array(chunks))

    def indices(self, values: pa.Array) -> pa.Array:
        """The table's index of each value, as text (null stays null)."""
        found = pc.index_in(values.cast(pa.string()), value_set=self.table)
        return found.cast(pa.string())

    def column_indices(self, columns: list[pa.Array]) -> list[pa.Array]:
        """:meth:`indices` of several columns, hashing the table once."""
        if not columns:
            return []
        found = self.indices(pa.concat_arrays([c.cast(pa.string()) for c in columns]))
        bounds = np.cumsum([0] + [len(c) for c in columns])
        return [found.slice(a, b - a) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]

    def xml_chunks(self):
        yield f'{_HEAD}<sst {_NS} count="{len(self.table)}" uniqueCount="{len(self.table)}">'
        for start in range(0, len(self.table), CHUNK_ROWS * 4):
            part = _clean_text(self.table.slice(start, CHUNK_ROWS * 4))
            items = pc.binary_join_element_wise('<si><t xml:space="preserve">', part,
                                                "</t></si>", "")
            yield _buffer(items)
        yield "</sst>"


def _buffer(strings: pa.Array) -> bytes:
    """The values of a string array without nulls, concatenated."""
    strings = strings.cast(pa.large_string())
    if len(strings) == 0:
        return b""
    offsets = np.frombuffer(strings.buffers()[1], dtype=np.int64,
                            count=len(strings) + 1, offset=strings.offset * 8)
    return strings.buffers()[2].to_pybytes()[offsets[0]:offsets[-1]]


def _cell_xml(value, style: int, ref: str, strings: _SharedStrings) -> str:
    attr = f' s="{style}"' if style else ""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return f'<c r="{ref}"{attr}/>' if style else ""
    if isinstance(value, bool):
        value = "是" if value else "否"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return f'<c r="{ref}"{attr}><v>{value!r}</v></c>' if isinstance(value, float) \
            else f'<c r="{ref}"{attr}><v>{int(value)}</v></c>'
    if isinstance(value, dt.date):
        days = (np.datetime64(value, "D") - _EXCEL_EPOCH).astype(int)
        return f'<c r="{ref}"{attr}><v>{days}</v></c>'
    index = strings.first[str(value)]
    return f'<c r="{ref}"{attr} t="s"><v>{index}</v></c>'


class _SheetXml:
    """The XML of one worksheet, produced in chunks."""

    def __init__(self, sheet: Sheet, styles: _Styles, strings: _SharedStrings, selected: bool):
        self.sheet, self.styles, self.strings = sheet, styles, strings
        self.selected = selected
        self.cell_styles = {row: [styles.index(s) for _, s in cells]
                            for row, cells in sheet.cells.items()}
        self.block_styles = [styles.index(c.style) for c in sheet.block]
        texts = [c.values for c in sheet.block if c.is_text]
        found = iter(strings.column_indices(texts))
        self.block_values = [next(found) if c.is_text else c.values for c in sheet.block]

    def width(self) -> int:
        widths = [len(cells) for cells in self.sheet.cells.values()]
        return max([len(self.sheet.block), len(self.sheet.widths), *widths, 1])

    def last_row(self) -> int:
        rows = list(self.sheet.cells) + [self.sheet.block_row + self.sheet.block_rows - 1]
        return max([*rows, 1])

    def head(self) -> str:
        sheet = self.sheet
        fit = '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
        dimension = f'<dimension ref="A1:{_ref(self.last_row(), self.width())}"/>'
        view = '<sheetView workbookViewId="0"' + (' tabSelected="1"' if self.selected else "")
        if sheet.freeze and any(sheet.freeze):
            rows, cols = sheet.freeze
            corner = _ref(rows + 1, cols + 1)
            pane = "bottomRight" if rows and cols else ("bottomLeft" if rows else "topRight")
            split = (f' xSplit="{cols}"' if cols else "") + (f' ySplit="{rows}"' if rows else "")
            view += (f'><pane{split} topLeftCell="{corner}" activePane="{pane}" state="frozen"/>'
                     f'<selection pane="{pane}" activeCell="{corner}" sqref="{corner}"/>'
                     "</sheetView>")
        else:
            view += "/>"
        cols = "".join(f'<col min="{i}" max="{i}" width="{w:g}" customWidth="1"/>'
                       for i, w in enumerate(sheet.widths, start=1))
        return (f"{_HEAD}<worksheet {_NS} {_REL_NS}>{fit}{dimension}<sheetViews>{view}"
                '</sheetViews><sheetFormatPr defaultRowHeight="14.25"/>'
                + (f"<cols>{cols}</cols>" if cols else "") + "<sheetData>")

    def small_rows(self, rows) -> str:
        out = []
        for number in rows:
            cells = self.sheet.cells[number]
            styles = self.cell_styles[number]
            height = self.sheet.heights.get(number)
            attr = f' ht="{height:g}" customHeight="1"' if height else ""
            xml = "".join(_cell_xml(v, s, _ref(number, col), self.strings)
                          for col, ((v, _), s) in enumerate(zip(cells, styles, strict=True),
                                                            start=1))
            out.append(f'<row r="{number}"{attr}>{xml}</row>')
        return "".join(out)

    def block_chunk(self, start: int, stop: int) -> bytes:
        """Rows ``start:stop`` of the data block as XML.

        Every row holds every column's cell, left to right, so cells need no reference
        (``r``); an empty cell is ``<c s="…"/>`` and keeps its borders. The XML is the
        pieces of every cell, picked in order with one ``take`` from a small table of
        constants, the rows' openings and the columns' values.
        """
        first, count = self.sheet.block_row, stop - start
        numbers = pa.array(np.arange(first + start, first + stop, dtype=np.int64))
        opening = pc.binary_join_element_wise('<row r="', pc.cast(numbers, pa.string()), '">', "")
        # The table taken from: constants, then each column's values, then the row openings.
        constants = ["", "</v></c>", "</row>"]
        for column, style in zip(self.sheet.block, self.block_styles, strict=True):
            attr = f' s="{style}"' if style else ""
            kind = ' t="s"' if column.is_text else ""
            constants += [f"<c{attr}{kind}><v>", f"<c{attr}/>" if style else ""]
        base, rows = len(constants), np.arange(count)
        index = np.empty((count, 2 + 3 * len(self.sheet.block)), dtype=np.int64)
        sources = []
        for j, (column, full) in enumerate(zip(self.sheet.block, self.block_values, strict=True)):
            values = full.slice(start, count)
            if not column.is_text:
                values = pc.cast(values, pa.string())
            present = values.is_valid().to_numpy(zero_copy_only=False)
            sources.append(values.fill_null(""))
            index[:, 1 + 3 * j] = np.where(present, 3 + 2 * j, 4 + 2 * j)
            index[:, 2 + 3 * j] = np.where(present, base + j * count + rows, 0)
            index[:, 3 + 3 * j] = np.where(present, 1, 0)
        index[:, 0] = base + len(sources) * count + rows
        index[:, -1] = 2
        table = pa.concat_arrays([pa.array(constants, pa.string()), *sources, opening])
        return _buffer(table.take(pa.array(index.ravel())))

    def tail(self) -> str:
        sheet = self.sheet
        merges = "".join(f'<mergeCell ref="{_ref(r0, c0)}:{_ref(r1, c1)}"/>'
                         for r0, c0, r1, c1 in sheet.merges)
        orientation = "landscape" if sheet.landscape else "portrait"
        return ("</sheetData>"
                + (f'<mergeCells count="{len(sheet.merges)}">{merges}</mergeCells>'
                   if merges else "")
                + '<printOptions horizontalCentered="1"/><pageMargins left="0.4" right="0.4" '
                'top="0.6" bottom="0.6" header="0.3" footer="0.3"/>'
                f'<pageSetup paperSize="9" orientation="{orientation}" fitToWidth="1" '
                'fitToHeight="0"/><headerFooter><oddFooter>&amp;C第 &amp;P 页，共 &amp;N 页'
                "</oddFooter></headerFooter></worksheet>")


Progress = Callable[[int, int], None]


def write_xlsx(path: str | os.PathLike, sheets: Sequence[Sheet], deterministic: bool = False,
               progress: Progress | None = None, creator: str = "网格防返贫监测 GIS") -> Path:
    """Write ``sheets`` as an ``.xlsx`` workbook, atomically.

    Parameters
    ----------
    path : path-like
        Target file; written through a temporary file in the same folder, so a failure or a
        cancel leaves no file (and an existing one untouched).
    sheets : sequence of Sheet
        The worksheets, in order.
    deterministic : bool
        Fix every timestamp (workbook properties, zip entries): identical content gives
        identical bytes.
    progress : callable, optional
        ``progress(done, total)`` after each chunk of rows; raising from it cancels.
    creator : str
        The workbook's author property.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    path = Path(path)
    styles, strings = _Styles(), _SharedStrings()
    # The form's strings first: small indices for the headers, which readers meet first.
    strings.add_first([str(v if not isinstance(v, bool) else ("是" if v else "否"))
                       for sheet in sheets for cells in sheet.cells.values()
                       for v, _ in cells if isinstance(v, (str, bool))])
    # Then the first rows' text, row by row, as Excel orders its table: a reader looking for
    # the header in the first rows finds their strings near the start of the table.
    for sheet in sheets:
        heads = [c.values.slice(0, HEAD_ROWS).to_pylist() for c in sheet.block if c.is_text]
        strings.add_first([v for row in zip(*heads, strict=True) for v in row if v is not None])
    for sheet in sheets:
        for column in sheet.block:
            if column.is_text:
                strings.add(column.values)
    strings.freeze()
    parts = [_SheetXml(s, styles, strings, i == 0) for i, s in enumerate(sheets)]
    total = sum(s.block_rows for s in sheets) + 1
    stamp = FIXED_DATETIME if deterministic else dt.datetime.now().replace(microsecond=0)
    fd, tmp = tempfile.mkstemp(suffix=".xlsx", dir=path.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            def put(name: str, chunks) -> None:
                info = zipfile.ZipInfo(name, date_time=stamp.timetuple()[:6])
                info.compress_type = zipfile.ZIP_DEFLATED
                _fast_deflate(info)
                info.external_attr = 0o600 << 16
                info.create_system = 0
                with archive.open(info, "w", force_zip64=True) as out:
                    for chunk in chunks:
                        out.write(chunk.encode() if isinstance(chunk, str) else chunk)

            put("[Content_Types].xml", [_content_types(len(sheets))])
            put("_rels/.rels", [_root_rels()])
            put("docProps/app.xml", [_app(sheets)])
            put("docProps/core.xml", [_core(creator, stamp)])
            put("xl/workbook.xml", [_workbook(sheets)])
            put("xl/_rels/workbook.xml.rels", [_workbook_rels(len(sheets))])
            done = 0
            for i, part in enumerate(parts, start=1):
                def chunks(part=part):
                    nonlocal done
                    sheet = part.sheet
                    end = sheet.block_row + sheet.block_rows
                    yield part.head()
                    yield part.small_rows(sorted(r for r in sheet.cells if r < sheet.block_row
                                                 or not sheet.block))
                    for start in range(0, sheet.block_rows, CHUNK_ROWS):
                        stop = min(start + CHUNK_ROWS, sheet.block_rows)
                        yield part.block_chunk(start, stop)
                        done += stop - start
                        if progress is not None:
                            progress(done, total)
                    if sheet.block:
                        yield part.small_rows(sorted(r for r in sheet.cells if r >= end))
                    yield part.tail()

                put(f"xl/worksheets/sheet{i}.xml", _ahead(chunks()))
            put("xl/styles.xml", [styles.xml()])
            put("xl/sharedStrings.xml", strings.xml_chunks())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    if progress is not None:
        progress(total, total)
    return path


def _ahead(chunks):
    """Yield ``chunks``, made on a second thread while the previous one is compressed.

    Arrow's kernels and zlib both release the GIL, so on two cores building the XML and
    deflating it overlap. An exception of the maker (a cancel) is raised here.
    """
    import queue
    import threading

    ready: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def make() -> None:
        try:
            for chunk in chunks:
                if not put((chunk, None)):
                    return
            put((None, None))
        except BaseException as error:  # noqa: BLE001 - re-raised on the caller's thread
            put((None, error))

    worker = threading.Thread(target=make, name="xlsx-chunks", daemon=True)
    worker.start()
    try:
        while True:
            chunk, error = ready.get()
            if error is not None:
                raise error
            if chunk is None:
                return
            yield chunk
    finally:
        stop.set()
        worker.join()


def _fast_deflate(info: zipfile.ZipInfo) -> None:
    """Deflate at level 1: a third of level 6's time for a few percent more bytes."""
    if hasattr(info, "compress_level"):  # Python 3.13+
        info.compress_level = 1
    else:
        info._compresslevel = 1


def _content_types(count: int) -> str:
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, count + 1))
    doc = "application/vnd.openxmlformats-officedocument"
    return (f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{doc}.spreadsheetml.sheet.'
            f'main+xml"/>{sheets}<Override PartName="/xl/styles.xml" ContentType="{doc}.'
            'spreadsheetml.styles+xml"/><Override PartName="/xl/sharedStrings.xml" '
            f'ContentType="{doc}.spreadsheetml.sharedStrings+xml"/>'
            '<Override PartName="/docProps/core.xml" ContentType="application/vnd.'
            'openxmlformats-package.core-properties+xml"/><Override PartName="/docProps/app.xml"'
            f' ContentType="{doc}.extended-properties+xml"/></Types>')


def _root_rels() -> str:
    return (f'{_HEAD}<Relationships xmlns="{_PKG_REL}">'
            f'<Relationship Id="rId1" Type="{_DOC_REL}/officeDocument" Target="xl/workbook.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
            'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
            f'<Relationship Id="rId3" Type="{_DOC_REL}/extended-properties" '
            'Target="docProps/app.xml"/></Relationships>')


def _workbook_rels(count: int) -> str:
    sheets = "".join(f'<Relationship Id="rId{i}" Type="{_DOC_REL}/worksheet" '
                     f'Target="worksheets/sheet{i}.xml"/>' for i in range(1, count + 1))
    return (f'{_HEAD}<Relationships xmlns="{_PKG_REL}">{sheets}'
            f'<Relationship Id="rId{count + 1}" Type="{_DOC_REL}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId{count + 2}" Type="{_DOC_REL}/sharedStrings" '
            'Target="sharedStrings.xml"/></Relationships>')


def _workbook(sheets: Sequence[Sheet]) -> str:
    entries = "".join(f'<sheet name={quoteattr(s.name[:31])} sheetId="{i}" r:id="rId{i}"/>'
                      for i, s in enumerate(sheets, start=1))
    titles = "".join(
        f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">'
        f"{escape(_quoted_name(s.name[:31]))}!${s.print_rows[0]}:${s.print_rows[1]}"
        "</definedName>"
        for i, s in enumerate(sheets) if s.print_rows)
    return (f'{_HEAD}<workbook {_NS} {_REL_NS}><bookViews><workbookView/></bookViews>'
            f"<sheets>{entries}</sheets>"
            + (f"<definedNames>{titles}</definedNames>" if titles else "")
            + '<calcPr calcId="191029"/></workbook>')


def _quoted_name(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def _app(sheets: Sequence[Sheet]) -> str:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns="http://'
            'schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>'
            f"Microsoft Excel</Application><DocSecurity>0</DocSecurity><TitlesOfParts><vt:vector"
            f' xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"'
            f' size="{len(sheets)}" baseType="lpstr">'
            + "".join(f"<vt:lpstr>{escape(s.name[:31])}</vt:lpstr>" for s in sheets)
            + "</vt:vector></TitlesOfParts></Properties>")


def _core(creator: str, stamp: dt.datetime) -> str:
    when = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    return (f'{_HEAD}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
            'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/'
            f'XMLSchema-instance"><dc:creator>{escape(creator)}</dc:creator>'
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{when}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{when}</dcterms:modified>'
            "</cp:coreProperties>")
