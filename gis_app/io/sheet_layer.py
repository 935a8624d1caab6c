"""A map layer kept in a spreadsheet: 经度/纬度 columns for points, or the shape as WKT text.

This is what :func:`gis_app.io.vector.write_vector` writes to ``.xlsx`` (a layer a county can
open in Excel), read back as features so that an exported layer imports again.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis_app.core.crs import STORAGE_EPSG
from gis_app.core.layer_fields import LAT_FIELDS, LON_FIELDS, WKT_FIELDS
from gis_app.io.errors import Issue, file_error
from gis_app.io.headers import HEADER_SCAN_ROWS, normalise_header

#: Spreadsheets read as layers.
SHEET_SUFFIXES = (".xlsx", ".xlsm", ".csv")
GEOMETRY_FIELD = "几何图形"


def _find(names: list[str], candidates: tuple[str, ...]) -> int | None:
    wanted = {normalise_header(c) for c in candidates}
    return next((i for i, name in enumerate(names) if name in wanted), None)


def _raw_rows(path: Path, label: str, sheet) -> tuple[pd.DataFrame, object, str | None]:
    """The first rows, a reader of the rows from a given row on, and the sheet's name.

    The header is looked for in the first rows; the rows under it are then read with their
    types (coordinates as numbers, every digit kept).
    """
    if path.suffix.lower() == ".csv":
        from gis_app.io.tables import read_csv_raw

        raw = read_csv_raw(path, label)
        return raw.iloc[:HEADER_SCAN_ROWS], lambda start: raw.iloc[start:], None
    from gis_app.io.xlsx import open_workbook, rows_frame, sheet_index

    book = open_workbook(path, label)
    try:
        index = sheet_index(book, sheet, label)
        top = rows_frame(book.top_rows(index, HEADER_SCAN_ROWS)[0])
        return top, lambda start: book.frame(index, start), book.names[index]
    finally:
        book.close()  # the rows are read by path (fastexcel), not through this zip


def read_sheet_layer(path: str | Path, label: str,
                     sheet: str | int | None = None) -> tuple[gpd.GeoDataFrame, str | None,
                                                              list[Issue]]:
    """Read a layer from an ``.xlsx``/``.csv`` table with point or WKT columns.

    The header row is the first of the first rows naming 经度 and 纬度 (or lon/lat), or
    几何图形WKT (or geometry_wkt). Coordinates are taken as CGCS2000 longitude/latitude
    (EPSG:4490); a row without them has no geometry.

    Parameters
    ----------
    path : path-like
        The spreadsheet.
    label : str
        File name for messages.
    sheet : str or int, optional
        Worksheet (default: the first).

    Returns
    -------
    tuple
        The features (attributes named by the header row), the sheet read, and the problems
        found (a WKT text that does not parse is an error on its row).

    Raises
    ------
    InputFileError
        When no header row with coordinate or WKT columns is found.
    """
    path = Path(path)
    raw, rows_from, sheet_name = _raw_rows(path, label, sheet)
    header = None
    for i in range(min(len(raw), HEADER_SCAN_ROWS)):
        names = [normalise_header(v) for v in raw.iloc[i]]
        lon, lat, wkt = _find(names, LON_FIELDS), _find(names, LAT_FIELDS), _find(names, WKT_FIELDS)
        if wkt is not None or (lon is not None and lat is not None):
            header = i
            break
    if header is None:
        raise file_error(label, "表格中没有【经度】【纬度】列或【几何图形WKT】列，不能作为图层导入"
                                "（农户台账请用 --kind households，网格员名册请用 --kind workers）")
    texts = ["" if v is None or (isinstance(v, float) and v != v) else str(v).strip()
             for v in raw.iloc[header]]
    body = rows_from(header + 1).reset_index(drop=True)
    body = body.reindex(columns=range(max(body.shape[1], len(texts))))
    body = body.where(body.notna() & (body.astype(str).apply(lambda c: c.str.strip()) != ""), None)
    filled = body.notna().to_numpy().any(axis=1)
    rows = np.flatnonzero(filled) + header + 2  # sheet row numbers
    body = body[filled].reset_index(drop=True)
    issues: list[Issue] = []
    if wkt is not None:
        text = body.iloc[:, wkt]
        geoms = shapely.from_wkt(text.astype(object).where(text.notna(), None).to_numpy(),
                                 on_invalid="ignore")
        bad = text.notna().to_numpy() & shapely.is_missing(geoms)
        issues += [Issue(label, int(rows[i]), texts[wkt], "WKT几何图形无法解析") for i in
                   np.flatnonzero(bad)]
        drop = [wkt]
    else:
        x = pd.to_numeric(body.iloc[:, lon], errors="coerce").to_numpy(np.float64)
        y = pd.to_numeric(body.iloc[:, lat], errors="coerce").to_numpy(np.float64)
        located = np.isfinite(x) & np.isfinite(y)
        geoms = np.where(located, shapely.points(np.where(located, x, 0), np.where(located, y, 0)),
                         None)
        drop = [lon, lat]
    keep = [i for i, name in enumerate(texts) if name and i not in drop]
    attributes = body.iloc[:, keep]
    attributes.columns = [texts[i] for i in keep]
    frame = gpd.GeoDataFrame(attributes.reset_index(drop=True), geometry=list(geoms),
                             crs=STORAGE_EPSG)
    return frame, sheet_name, issues
