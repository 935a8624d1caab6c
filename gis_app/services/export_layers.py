"""The exported form of each importable layer: the columns and Chinese headers its import reads.

Export and import are inverse: ``gis-app export --layer villages out.gpkg`` then
``gis-app import P out.gpkg --kind boundaries`` gives the same villages. Each layer keeps the
columns its importer reads, named by the first header the importer accepts
(:mod:`gis_app.core.layer_fields`, the ledger's and the roster's column tables), and drops the
database's own ids. A Shapefile gets the ledger's short headers where a full one passes the
DBF's 10 bytes.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from gis_app.core.assignments import current
from gis_app.core.codes import WorkerRole
from gis_app.core.crs import STORAGE_EPSG
from gis_app.core.layer_fields import (
    GRID_FIELDS,
    HAZARD_FIELDS,
    LEDGER_SHORT_HEADERS,
    SITE_FIELDS,
    UNIT_FIELDS,
    written_names,
)
from gis_app.core.ledger import ANNEX2_COLUMNS, WORKER_COLUMNS
from gis_app.storage.project import Project
from gis_app.storage.reader import load_admin_units, load_table

#: Layers whose rows are households in the ledger's columns (written as the annex-2 ledger to
#: Excel): every household, or those checked in the newest campaign with their latest record.
LEDGER_LAYERS = ("households", "records")
#: Layers written as the worker roster.
ROSTER_LAYERS = ("workers",)
_FIELDS = {"townships": UNIT_FIELDS, "villages": UNIT_FIELDS, "grids": GRID_FIELDS,
           "sites": SITE_FIELDS, "hazard_zones": HAZARD_FIELDS, "hazard_points": HAZARD_FIELDS}


def importable(name: str) -> bool:
    """True when the layer or table ``name`` is exported in its import form."""
    return name in _FIELDS or name in LEDGER_LAYERS or name in ROSTER_LAYERS


def prepare(project: Project, name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Columns the import of ``name`` reads, derived from the stored ones (still by key)."""
    if name == "townships":
        county = load_admin_units(project.engine, 1)
        frame = frame.assign(
            county_code=county["code"].iloc[0] if len(county) else None,
            county_name=county["name"].iloc[0] if len(county) else None)
    elif name == "villages":
        frame = frame.assign(township_code=frame["parent_code"])
    elif name == "sites":
        units = load_table(project.engine, "admin_unit", ["id", "code"]).set_index("id")["code"]
        frame = frame.assign(township_code=frame["township_id"].map(units))
    elif name == "records":
        frame = frame[frame["method"].notna()] if "method" in frame else frame.iloc[0:0]
    elif name == "workers":
        frame = roster(project, frame)
    return frame


def roster(project: Project, workers: pd.DataFrame) -> pd.DataFrame:
    """Workers with the role, grid codes and start of their assignments in force today.

    A worker without one takes the role of their latest assignment, or 结对帮扶责任人 when they
    help paired households (the roster's 网格职务 is required).
    """
    history = load_table(project.engine, "grid_assignment")
    assignments = current(history)
    grids = load_table(project.engine, "grid", ["id", "code"]).set_index("id")["code"]
    assignments = assignments.assign(grid_code=assignments["grid_id"].map(grids))
    grouped = assignments.sort_values(["worker_id", "grid_code"]).groupby("worker_id")
    summary = pd.DataFrame({
        "role": grouped["role"].first(),
        "grid_codes": grouped["grid_code"].agg(";".join),
        "start_date": grouped["start_date"].min(),
    })
    latest = history.sort_values(["start_date", "id"]).groupby("worker_id")["role"].last()
    pairs = load_table(project.engine, "helper_pair", ["worker_id", "start_date"])
    helping = pairs.groupby("worker_id")["start_date"].min()
    frame = workers.join(summary, on="id")
    frame["role"] = frame["role"].fillna(frame["id"].map(latest))
    helper = frame["role"].isna() & frame["id"].isin(helping.index)
    frame.loc[helper, "role"] = WorkerRole.HELPER.value
    frame["start_date"] = frame["start_date"].fillna(frame["id"].map(helping))
    return frame


def with_headers(name: str, frame: pd.DataFrame, shapefile: bool = False) -> pd.DataFrame:
    """Keep the importable columns of ``name`` and name them by the import's headers.

    Parameters
    ----------
    name : str
        Export layer name.
    frame : pandas.DataFrame
        From :func:`prepare` (personal data masked already, as asked).
    shapefile : bool
        Use the ledger's short headers where the full one passes 10 bytes in GBK.

    Returns
    -------
    pandas.DataFrame
        A GeoDataFrame (EPSG:4490) for spatial layers.
    """
    if name in _FIELDS:
        names = written_names(_FIELDS[name])
    elif name in LEDGER_LAYERS:
        names = {c.key: c.header for c in ANNEX2_COLUMNS if c.key != "seq"}
        if shapefile:
            names |= {k: v for k, v in LEDGER_SHORT_HEADERS.items() if k in names}
    else:
        names = {c.key: c.header for c in WORKER_COLUMNS if c.key != "seq"}
    keep = [key for key in names if key in frame.columns]
    table = frame[keep].rename(columns=names)
    if isinstance(frame, gpd.GeoDataFrame):
        return gpd.GeoDataFrame(table, geometry=frame.geometry.to_numpy(), crs=frame.crs)
    return table


def household_points(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    """Households with a point where located, none where 位置未知 (EPSG:4490)."""
    located = frame["lon"].notna().to_numpy()
    geometry = gpd.points_from_xy(frame["lon"].fillna(0), frame["lat"].fillna(0))
    geometry = np.where(located, np.asarray(geometry), None)
    return gpd.GeoDataFrame(frame, geometry=list(geometry), crs=STORAGE_EPSG)
