"""The annex-2 household ledger (集中排查台账): Excel export, Excel/CSV import and validation."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from gis_app.core import codes
from gis_app.core.crs import CHINA_BOUNDS
from gis_app.core.ledger import ANNEX2_COLUMNS, CODE_ENUMS, LedgerColumn
from gis_app.io.convert import check_duplicates, convert_column, header_issues
from gis_app.io.errors import Issue, raise_if_errors, sort_issues
from gis_app.io.sheets import IssueCollector, RawTable, load_table
from gis_app.io.xlsx import (
    HEADER,
    NOTES,
    TITLE,
    UNIT,
    excel_column,
    number_column,
    number_format,
    text_width,
)
from gis_app.io.xlsx_writer import Sheet, Style, write_xlsx

DEFAULT_TITLE = "防止返贫监测帮扶集中排查台账"
#: Sheet rows of the layout: title, unit/date, column groups, headers, then data.
TITLE_ROW, UNIT_ROW, GROUP_ROW, HEADER_ROW, FIRST_DATA_ROW = 1, 2, 3, 4, 5
_FROZEN_COLUMNS = 4  # 序号, 乡镇场, 村（社区）, 户主姓名 stay visible when scrolling right
_WIDTHS = {"id": 22, "phone": 14, "date": 12, "bool": 11, "code": 10}
_WIDE = {"other_problems": 30, "checker": 12, "village": 14, "township": 12}
_ANCHOR = ("head_id_number",)
_MONITORED = 2  # 户属性 2 = 监测对象


@dataclass
class LedgerReadResult:
    """A ledger read from a file.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per household, columns = the ledger keys found, typed.
    issues : list of Issue
        Warnings (errors raise :class:`~gis_app.io.errors.InputFileError` instead).
    header_row : int
        Sheet row number of the header row.
    rows : numpy.ndarray
        Sheet row number of each frame row (for later messages).
    sheet : str or None
        Worksheet read (Excel only).
    encoding : str or None
        Encoding detected (CSV only).
    """

    frame: pd.DataFrame
    issues: list[Issue] = field(default_factory=list)
    header_row: int = HEADER_ROW
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    sheet: str | None = None
    encoding: str | None = None


def notes_text() -> str:
    """Return the form's 备注 (code meanings), built from the code enums."""
    lines = ["备注："]
    seen: dict[str, str] = {}
    for key in ("attribute", "method", "risk_type", "proposed_monitoring_type", "monitoring_type"):
        header = next(c.header for c in ANNEX2_COLUMNS if c.key == key)
        enum_name = CODE_ENUMS[key]
        number = f"（{len(lines)}）"
        if enum_name in seen:
            lines.append(f"{number}{header}：同{seen[enum_name]}。")
            continue
        seen[enum_name] = header
        choices = "；".join(f"{int(m.value)}.{m.label}" for m in getattr(codes, enum_name))
        lines.append(f"{number}{header}：{choices}。")
    lines.append(f"（{len(lines)}）“是否”类栏目填“是”或“否”；证件号码、联系电话为文本。")
    return "\n".join(lines)


def _date_text(date: dt.date | str | None) -> str:
    if date is None:
        return ""
    if isinstance(date, (dt.date, dt.datetime)):
        return f"{date.year}年{date.month}月{date.day}日"
    return str(date)


def _width(col: LedgerColumn) -> float:
    if col.key in _WIDE:
        return _WIDE[col.key]
    if col.kind in _WIDTHS:
        return _WIDTHS[col.kind]
    return min(max(text_width(col.header) / 2 + 3, 8), 20)


def write_ledger_excel(frame: pd.DataFrame, path: str | os.PathLike, title: str = DEFAULT_TITLE,
                       unit: str = "", date: dt.date | str | None = None,
                       deterministic: bool = False,
                       columns: Sequence[LedgerColumn] = ANNEX2_COLUMNS,
                       progress=None) -> Path:
    """Write households as the annex-2 ledger form (``.xlsx``).

    Layout: row 1 title (merged, bold, centred); row 2 填报单位 and 填报时间; row 3 the column
    groups (merged over runs); row 4 the Chinese headers; data from row 5; a 备注 row with the
    code meanings at the end. Every column of ``columns`` is written in order, empty where the
    frame lacks it; 序号 is numbered 1..n. Codes and counts are integers, amounts numbers
    (``#,##0.00``), coordinates numbers with six decimals, dates Excel dates (``yyyy-mm-dd``),
    booleans 是/否, ID numbers and phones text. The header rows repeat on every printed page
    and stay in view with the first four columns; A4 landscape, fitted to the page width.

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns named by ledger keys (any subset).
    path : path-like
        Target ``.xlsx``; written whole or not at all.
    title : str
        Title, e.g. ``"邵阳县防止返贫监测帮扶集中排查台账"``.
    unit : str
        填报单位.
    date : datetime.date or str, optional
        填报时间 (left blank when omitted).
    deterministic : bool
        Identical input gives identical bytes (fixed timestamps).
    columns : sequence of LedgerColumn
        Column table; defaults to ``ANNEX2_COLUMNS``.
    progress : callable, optional
        ``progress(done, total)`` as rows are written; raising from it cancels (no file).

    Returns
    -------
    pathlib.Path
        The path written.
    """
    frame = frame.reset_index(drop=True)
    n, ncols = len(frame), len(columns)
    sheet = Sheet("台账", widths=[_width(c) for c in columns],
                  freeze=(HEADER_ROW, _FROZEN_COLUMNS), print_rows=(GROUP_ROW, HEADER_ROW))
    # Convert every column before anything is written: a bad value raises cleanly.
    data = []
    for col in columns:
        style = Style(border=True, number_format=number_format(col.kind, col.key))
        if col.key == "seq":
            data.append(number_column(np.arange(1, n + 1, dtype=np.int64), style))
        elif col.key in frame.columns:
            data.append(excel_column(frame[col.key], col.kind, col.header, col.key, style))
        else:
            data.append(number_column(np.full(n, np.nan), style))
    sheet.row(TITLE_ROW, [title], TITLE, height=30)
    sheet.merge(TITLE_ROW, 1, TITLE_ROW, ncols)
    half = max(ncols // 2, 1)
    unit_row = [None] * ncols
    unit_row[0], unit_row[half] = f"填报单位：{unit}", f"填报时间：{_date_text(date)}"
    sheet.row(UNIT_ROW, unit_row, UNIT)
    sheet.merge(UNIT_ROW, 1, UNIT_ROW, half)
    sheet.merge(UNIT_ROW, half + 1, UNIT_ROW, ncols)
    _group_row(sheet, columns)
    sheet.row(HEADER_ROW, [c.header for c in columns], HEADER, height=66)
    sheet.data(FIRST_DATA_ROW, data)
    notes_row = FIRST_DATA_ROW + n
    text = notes_text()
    sheet.row(notes_row, [text], NOTES, height=18 * text.count("\n") + 18)
    sheet.merge(notes_row, 1, notes_row, ncols)
    return write_xlsx(path, [sheet], deterministic, progress)


def _group_row(sheet: Sheet, columns: Sequence[LedgerColumn]) -> None:
    """The group row; runs of equal group are merged."""
    cells, start = [], 0
    for i, col in enumerate(columns):
        first = i == 0 or columns[i - 1].group != col.group
        cells.append(col.group if first else None)
        end_of_run = i + 1 == len(columns) or columns[i + 1].group != col.group
        if end_of_run:
            if i > start:
                sheet.merge(GROUP_ROW, start + 1, GROUP_ROW, i + 1)
            start = i + 1
    sheet.row(GROUP_ROW, cells, HEADER)


def read_ledger(path: str | os.PathLike, sheet: str | int | None = None,
                progress=None) -> LedgerReadResult:
    """Read and validate an annex-2 ledger from ``.xlsx`` or ``.csv``.

    The header row is found among the first 15 rows by the 户主证件号码 column (or an alias);
    headers match ignoring spaces, line breaks and full/half-width brackets. CSV encodings:
    BOM, UTF-8 or GB18030/GBK.

    Parameters
    ----------
    path : path-like
        The ledger file.
    sheet : str or int, optional
        Worksheet name or 0-based index (default: the first sheet holding the header).
    progress : callable, optional
        ``progress(1, 2)`` once the file is read, ``progress(2, 2)`` once it is checked;
        raising from it stops the reading.

    Returns
    -------
    LedgerReadResult
        Typed frame and warnings.

    Raises
    ------
    InputFileError
        When any error is found; every issue names the file, sheet row and column.
    """
    table = load_table(path, ANNEX2_COLUMNS, _ANCHOR, sheet)
    if progress is not None:
        progress(1, 2)
    frame, issues = validate_ledger(table)
    if progress is not None:
        progress(2, 2)
    return LedgerReadResult(frame, issues, table.match.header_row, table.rows, table.sheet,
                            table.encoding)


def validate_ledger(table: RawTable) -> tuple[pd.DataFrame, list[Issue]]:
    """Type and check the raw ledger rows (vectorised).

    Parameters
    ----------
    table : RawTable
        Rows located by :func:`~gis_app.io.sheets.load_table`.

    Returns
    -------
    tuple
        The typed frame and the warnings.

    Raises
    ------
    InputFileError
        When any error is found.
    """
    found = IssueCollector(table.label, table.rows)
    header_issues(found, table, ANNEX2_COLUMNS)
    if len(table.data) == 0:
        found.file("文件中没有数据行（只有表头）", row=table.match.header_row)
        raise_if_errors(found.finish())
    raw, texts = table.data, table.match.texts
    typed: dict[str, pd.Series] = {}
    for col in ANNEX2_COLUMNS:
        if col.key not in raw.columns:
            continue
        name = texts[col.key]
        typed[col.key] = convert_column(found, raw[col.key], col, name,
                                        table.numeric.get(col.key))
        if col.required:
            found.add(raw[col.key].isna(), name, "必填项为空")
    frame = pd.DataFrame(typed)
    if "head_id_number" in frame:
        check_duplicates(found, frame["head_id_number"], texts["head_id_number"], "证件号码")
    _check_members(found, frame, texts)
    _check_lonlat(found, frame, raw, texts)
    _check_monitoring(found, frame, texts)
    order = [texts.get(c.key, c.header) for c in ANNEX2_COLUMNS]
    warnings = raise_if_errors(sort_issues(found.finish(), order))
    return frame, warnings


def _check_members(found: IssueCollector, frame: pd.DataFrame, texts: dict[str, str]) -> None:
    if "members" not in frame:
        return
    members = frame["members"]
    found.add((members < 1).fillna(False), texts["members"], "家庭人口数应为不小于1的整数")


def _check_lonlat(found: IssueCollector, frame: pd.DataFrame, raw: pd.DataFrame,
                  texts: dict[str, str]) -> None:
    west, south, east, north = CHINA_BOUNDS
    for key, low, high in (("lon", west, east), ("lat", south, north)):
        if key in frame:
            values = frame[key]
            outside = values.notna() & ((values < low) | (values > high))
            found.add(outside, texts[key],
                      f"坐标不在中国范围内（应在{low:g}～{high:g}之间，可能经纬度填反或坐标系错误）")
    if "lon" in frame and "lat" in frame:
        lon_blank, lat_blank = raw["lon"].isna().to_numpy(), raw["lat"].isna().to_numpy()
        found.add(lon_blank & ~lat_blank, texts["lon"], "经度和纬度须同时填写")
        found.add(lat_blank & ~lon_blank, texts["lat"], "经度和纬度须同时填写")


def _check_monitoring(found: IssueCollector, frame: pd.DataFrame, texts: dict[str, str]) -> None:
    if "monitoring_type" not in frame or "attribute" not in frame:
        return
    mtype, attr = frame["monitoring_type"], frame["attribute"]
    found.add((mtype.notna() & (attr != _MONITORED)).fillna(False), texts["monitoring_type"],
              "填写了监测类型，但户属性不是“2.监测对象”", "warning")
    found.add((mtype.isna() & (attr == _MONITORED)).fillna(False), texts["monitoring_type"],
              "户属性为“2.监测对象”，但未填写监测类型", "warning")


#: Keys a layer's fields must hold to be read as a ledger (more than a point per ID number).
LAYER_LEDGER_KEYS = ("head_id_number", "head_name", "members", "attribute")


def _layer_columns() -> tuple[LedgerColumn, ...]:
    """The ledger's columns, also known by the short headers of a Shapefile's fields."""
    from dataclasses import replace

    from gis_app.core.layer_fields import LEDGER_SHORT_HEADERS

    return tuple(replace(c, aliases=(*c.aliases, LEDGER_SHORT_HEADERS[c.key]))
                 if c.key in LEDGER_SHORT_HEADERS else c for c in ANNEX2_COLUMNS)


def ledger_from_layer(frame, label: str) -> LedgerReadResult | None:
    """Read households from a point layer whose fields are the ledger's columns.

    A GeoPackage, GeoJSON or Shapefile of households (as ``gis-app export`` writes them)
    carries the ledger's columns as fields; each point gives 经度/纬度 (a feature without
    geometry is 位置未知), whatever its 经度/纬度 fields say.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        The layer in EPSG:4490 (as :func:`~gis_app.io.vector.read_vector` returns it).
    label : str
        File name for messages; rows are feature numbers.

    Returns
    -------
    LedgerReadResult or None
        ``None`` when the fields lack any of :data:`LAYER_LEDGER_KEYS` (a plain point layer).

    Raises
    ------
    InputFileError
        When any error is found, as for a ledger file.
    """
    import shapely

    from gis_app.io.headers import header_lookup, normalise_header
    from gis_app.io.sheets import table_from_frame

    columns = _layer_columns()
    lookup = header_lookup(columns)
    attributes = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    keys = {lookup.get(normalise_header(c)) for c in attributes.columns}
    if not set(LAYER_LEDGER_KEYS) <= keys:
        return None
    coordinate_keys = ("lon", "lat", "gk_x", "gk_y")
    attributes = attributes[[c for c in attributes.columns
                             if lookup.get(normalise_header(c)) not in coordinate_keys]]
    geoms = frame.geometry.to_numpy()
    points = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    points[points] = shapely.get_type_id(geoms[points]) == shapely.GeometryType.POINT
    lon, lat = (np.where(points, values, np.nan) for values in (
        shapely.get_x(np.where(points, geoms, None)), shapely.get_y(np.where(points, geoms, None))))
    headers = {c.key: c.header for c in ANNEX2_COLUMNS}
    attributes = attributes.assign(**{headers["lon"]: lon, headers["lat"]: lat})
    table = table_from_frame(attributes, label, columns, _ANCHOR)
    result, issues = validate_ledger(table)
    return LedgerReadResult(result, issues, table.match.header_row, table.rows)
