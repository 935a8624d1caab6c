"""What the map window derives from a session: the sample, choropleths, counts, Excel rows.

The sample project's location, coverage choropleths, households counted per grid for
zoomed-out views, and table rows written to Excel.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis_app.core.fields import (
    CODE_FIELDS,
    HIDDEN_FIELDS,
    PERSONAL_ID_FIELDS,
    PERSONAL_PHONE_FIELDS,
    display_value,
    field_label,
)
from gis_app.storage.project import Project, open_project


def sample_project_path() -> Path:
    """Where the bundled sample county's project lives for this user."""
    base = Path(os.environ.get("GIS_APP_DATA", Path.home() / ".local" / "share" / "gis-app"))
    return base / "sample-county.gmp"


def open_or_create_sample(progress=None) -> Project:
    """Open the user's copy of the sample county, generating it on first start."""
    from gis_app.services.sample_service import create_sample_project

    path = sample_project_path()
    if path.exists():
        return open_project(path)
    return create_sample_project(path, progress=progress)


def unit_anchors(session) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(ids, x, y): a point inside each level-3 grid, then each village, where counts are drawn.

    Derived from the geometries only: kept by the caller until grids or villages change.
    """
    anchors = []
    for units in (session.grids[session.grids["level"] == 3], session.villages):
        xy = shapely.get_coordinates(shapely.point_on_surface(
            np.asarray(units.geometry.to_numpy(), dtype=object)))
        anchors.append((units["id"].to_numpy(np.int64), xy[:, 0], xy[:, 1]))
    return anchors


def household_counts(session, anchors=None) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(x, y, households) at a point inside each level-3 grid, then each village.

    The zoomed-out view of the households layer draws these counts instead of points.
    ``anchors``: :func:`unit_anchors` kept from before (a household edit moves no grid).
    """
    households = session.households
    levels = []
    for (ids, x, y), key in zip(anchors or unit_anchors(session), ("grid_id", "village_id"),
                                strict=True):
        owner = households[key].to_numpy(dtype=float, na_value=np.nan)
        owner = owner[np.isfinite(owner)].astype(np.int64)
        size = int(max(ids.max() if len(ids) else -1, owner.max() if len(owner) else -1)) + 1
        counts = np.bincount(owner, minlength=size)
        levels.append((x, y, counts[ids].astype(np.int64)))
    return levels


def coverage_layer(grids: gpd.GeoDataFrame, table: pd.DataFrame | None,
                   level: int = 3) -> gpd.GeoDataFrame:
    """The grids of one level coloured by a coverage table of that level (empty for None).

    Level-3 grids match the table by grid code; township (1) and village (2) grids by the code
    of the administrative unit they cover.
    """
    key = "code" if level == 3 else "admin_code"
    units = grids[grids["level"] == level][["id", "code", "name", "admin_code", "geometry"]]
    if table is None:
        return units.iloc[0:0].assign(coverage=pd.Series(dtype=float))
    # A unit without households has no coverage to colour (NaN): it is left uncoloured.
    table = table.drop(columns=["name"]).dropna(subset=["code", "coverage"])
    table = table.rename(columns={"code": key})
    if key != "code":
        table = table.drop(columns=["code"], errors="ignore")
    layer = units.merge(table, on=key, how="inner").sort_values("id").reset_index(drop=True)
    layer["coverage_label"] = (layer["coverage"] * 100).round().astype(int).astype(str) + "%"
    return layer


def export_rows(frame: pd.DataFrame, path: str | Path, unmask: bool = False,
                language: str = "zh", progress=None) -> Path:
    """Write table rows (e.g. a selection) to Excel with display headers, masked by default.

    Numbers stay Excel numbers (amounts ``#,##0.00``, coordinates with six decimals), dates
    Excel dates and yes/no 是/否; codes are written as their labels, ID numbers and phones as
    text, masked unless ``unmask``. ``progress(done, total)`` follows the rows written;
    raising from it cancels, and no file is left.
    """
    from gis_app.io import write_table_excel
    from gis_app.io.xlsx import NUMBER_FORMATS

    columns, formats = {}, {}
    for key in frame.columns:
        if key in HIDDEN_FIELDS or key in ("geometry", "x", "y"):
            continue
        label = field_label(key, language)
        series = frame[key].reset_index(drop=True)
        if key in PERSONAL_ID_FIELDS or key in PERSONAL_PHONE_FIELDS or key in CODE_FIELDS \
                or not _typed(series):
            series = series.map(lambda v, key=key: display_value(key, v, unmask))
        elif key in NUMBER_FORMATS:
            formats[label] = NUMBER_FORMATS[key]
        columns[label] = series
    write_table_excel(pd.DataFrame(columns), path, number_formats=formats, progress=progress)
    return Path(path)


def _typed(series: pd.Series) -> bool:
    """True for numbers, booleans and dates, which Excel keeps as such."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_datetime64_any_dtype(dtype):
        return True
    if pd.api.types.is_numeric_dtype(dtype):
        return True
    return pd.api.types.infer_dtype(series, skipna=True) in ("date", "datetime", "boolean")
