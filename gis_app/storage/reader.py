"""Reading the store back as DataFrames and GeoDataFrames for the layers above.

Households come through :mod:`gis_app.storage.columnar` (column arrays, no object per row);
polygon layers, which hold thousands rather than millions of rows, through SQLAlchemy Core.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Engine, func, select

from gis_app.core.crs import STORAGE_EPSG
from gis_app.storage import models as m
from gis_app.storage.columnar import read_frame, read_rows_frame

#: Up to this many ids, :func:`load_table` reads plain rows rather than columns.
FEW_ROWS = 1000


def load_households(engine: Engine, with_codes: bool = True) -> pd.DataFrame:
    """All households as a DataFrame, one column per field (ledger keys where they exist).

    Parameters
    ----------
    engine : Engine
        The project's engine.
    with_codes : bool
        Also add ``township``, ``village``, ``village_code``, ``grid_code`` and
        ``resettlement_site_code`` (mapped from the ids with vectorised lookups).
    """
    sql, dtypes = _typed_select("household")
    frame = read_frame(engine, sql, dtypes)
    if not with_codes:
        return frame
    return with_unit_codes(engine, frame)


def with_unit_codes(engine: Engine, frame: pd.DataFrame) -> pd.DataFrame:
    """Households with their units' codes and names added (vectorised look-ups of ids).

    Adds ``township``, ``township_code``, ``village``, ``village_code``, ``grid_code`` and
    ``resettlement_site_code``.
    """
    units = load_table(engine, "admin_unit", ["id", "code", "name", "parent_id"]).set_index("id")
    grids = load_table(engine, "grid", ["id", "code"]).set_index("id")
    sites = load_table(engine, "resettlement_site", ["id", "code"]).set_index("id")
    village = frame["village_id"]
    frame["village_code"] = village.map(units["code"])
    frame["village"] = village.map(units["name"])
    frame["township"] = village.map(units["parent_id"]).map(units["name"])
    frame["township_code"] = village.map(units["parent_id"]).map(units["code"])
    frame["grid_code"] = frame["grid_id"].map(grids["code"])
    frame["resettlement_site_code"] = frame["resettlement_site_id"].map(sites["code"])
    return frame


def _dtype(column) -> str:
    name = column.type.__class__.__name__.lower()
    if "date" in name and "time" not in name:
        return "date"
    if "bool" in name:
        return "bool" if not column.nullable else "boolean"
    if "int" in name:
        return "int64" if not column.nullable else "Int64"
    if "float" in name:
        return "float64"
    return "object"


def _typed_select(name: str, columns: list[str] | None = None,
                  ids=None) -> tuple[str, dict[str, str]]:
    """SELECT of a table's columns (not geometry) and the pandas dtype each should come as.

    ``ids``: only these rows (by ``id``), as a literal list of integers.
    """
    table = m.Base.metadata.tables[name]
    cols = [table.c[c] for c in columns] if columns else [c for c in table.c if c.name != "geom"]
    where = ""
    if ids is not None:
        listed = ",".join(str(int(i)) for i in ids) or "NULL"
        where = f" WHERE id IN ({listed})"
    sql = f"SELECT {', '.join(c.name for c in cols)} FROM {name}{where} ORDER BY {cols[0].name}"
    return sql, {c.name: _dtype(c) for c in cols if _dtype(c) != "object"}


def load_table(engine: Engine, name: str, columns: list[str] | None = None,
               ids=None) -> pd.DataFrame:
    """A non-spatial read of ``columns`` (default: every non-geometry column) of table ``name``.

    Columns come typed from the model: dates as ``datetime.date`` (None when empty), booleans,
    nullable integers as ``Int64``. ``ids``: only the rows with these ids (a session re-reading
    what an edit changed).
    """
    table = m.Base.metadata.tables[name]
    cols = [table.c[c] for c in columns] if columns else [c for c in table.c if c.name != "geom"]
    sql, dtypes = _typed_select(name, columns, ids)
    few = ids is not None and len(ids) <= FEW_ROWS
    if few:  # plain rows: object and date columns already hold None for empty
        return read_rows_frame(engine, sql, dtypes)
    frame = read_frame(engine, sql, dtypes)
    for column in cols:
        if _dtype(column) in ("object", "date") and column.name in frame:
            # Object columns of dates or text, None for empty (an all-empty date column would
            # otherwise come as datetime64 and refuse the dates of a later read).
            values = frame[column.name].astype(object).to_numpy(copy=True)
            values[pd.isna(values)] = None
            frame[column.name] = pd.Series(values, index=frame.index, dtype=object)
    return frame


def stored_columns(name: str) -> list:
    """The columns of table ``name`` a frame holds (every one but the stored geometry)."""
    return [c for c in m.Base.metadata.tables[name].c if c.name != "geom"]


def load_geo_table(engine: Engine, name: str, where=None, ids=None) -> gpd.GeoDataFrame:
    """Every row (or the rows of ``ids``) of a geometry table as a GeoDataFrame in EPSG:4490."""
    table = m.Base.metadata.tables[name]
    cols = stored_columns(name)
    query = select(*cols, table.c.geom).order_by(table.c.id)
    if where is not None:
        query = query.where(where)
    if ids is not None:
        query = query.where(table.c.id.in_([int(i) for i in ids]))
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    names = [c.name for c in cols]
    # Columns from plain tuples: a frame made from Row objects probes each row's attributes.
    values = list(zip(*rows, strict=True)) if rows else [() for _ in range(len(cols) + 1)]
    columns = {}
    for name, column in zip(names, values[:-1], strict=True):
        array = np.empty(len(column), dtype=object)
        array[:] = column
        columns[name] = array
    frame = pd.DataFrame(columns, columns=names).infer_objects()
    geometry = shapely.from_wkb(np.asarray(values[-1], dtype=object))
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=STORAGE_EPSG)


def load_admin_units(engine: Engine, level: int) -> gpd.GeoDataFrame:
    """Townships (level 2) or villages (level 3) with the parent's code."""
    units = load_geo_table(engine, "admin_unit")
    codes = units.set_index("id")["code"]
    units["parent_code"] = units["parent_id"].map(codes)
    return units[units["level"] == level].reset_index(drop=True)


def load_grids(engine: Engine, level: int | None = None) -> gpd.GeoDataFrame:
    """Grids (optionally one level) with ``admin_code`` and ``parent_code``."""
    grids = load_geo_table(engine, "grid")
    admin = load_table(engine, "admin_unit", ["id", "code"]).set_index("id")["code"]
    grids["admin_code"] = grids["admin_unit_id"].map(admin)
    grids["parent_code"] = grids["parent_id"].map(grids.set_index("id")["code"])
    if level is not None:
        grids = grids[grids["level"] == level].reset_index(drop=True)
    return grids


def count_rows(engine: Engine, name: str, where=None) -> int:
    """``SELECT count(*)`` of a table, optionally filtered."""
    table = m.Base.metadata.tables[name]
    query = select(func.count()).select_from(table)
    if where is not None:
        query = query.where(where)
    with engine.connect() as connection:
        return int(connection.execute(query).scalar())


def project_counts(engine: Engine) -> dict:
    """The figures of ``gis-app info``: units, grids per level, households, persons."""
    from gis_app.storage.counts import counts_with

    with engine.connect() as connection:
        return counts_with(lambda sql: connection.exec_driver_sql(sql).all())
