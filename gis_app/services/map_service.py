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

from gis_app.core.fields import HIDDEN_FIELDS, display_value, field_label
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
                language: str = "zh") -> Path:
    """Write table rows (e.g. a selection) to Excel with display headers, masked by default."""
    from gis_app.io import write_table_excel

    shown = pd.DataFrame({
        field_label(k, language): frame[k].map(lambda v, key=k: display_value(key, v, unmask))
        for k in frame.columns if k not in HIDDEN_FIELDS and k not in ("geometry", "x", "y")})
    write_table_excel(shown, path)
    return Path(path)
