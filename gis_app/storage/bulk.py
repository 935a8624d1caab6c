"""Bulk writes inside the caller's transaction: executemany on SQLite, COPY on PostgreSQL.

One ORM object per row would take minutes for a county of a million households; these helpers
take a DataFrame whose columns are the table's column names and send plain tuples.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection, Table, func, select, text

from gis_app.core.crs import STORAGE_EPSG


def as_multipolygons(geoms: np.ndarray) -> np.ndarray:
    """Polygons promoted to one-part MultiPolygons (PostGIS columns are typed MULTIPOLYGON)."""
    geoms = np.asarray(geoms, dtype=object).copy()
    single = shapely.get_type_id(geoms) == 3
    if single.any():
        geoms[single] = shapely.multipolygons(geoms[single], indices=np.arange(single.sum()))
    return geoms


def _column_values(series: pd.Series, sql_type_name: str, postgres: bool,
                   geometry_type: str = "") -> list:
    """Python values for one column: None for missing, ISO text for dates, WKB for geometry."""
    if sql_type_name == "geometry":
        geoms = np.asarray(series.array if hasattr(series, "array") else series, dtype=object)
        if geometry_type == "MULTIPOLYGON":
            geoms = as_multipolygons(geoms)
        missing = pd.isna(series).to_numpy() | shapely.is_empty(
            np.where(pd.isna(series).to_numpy(), None, geoms))
        if postgres:
            wkb = shapely.to_wkb(shapely.set_srid(geoms, STORAGE_EPSG), hex=True, include_srid=True)
        else:
            wkb = shapely.to_wkb(geoms)
        return [None if m else w for w, m in zip(wkb.tolist(), missing.tolist(), strict=True)]
    missing = pd.isna(series).to_numpy()
    if sql_type_name == "date":
        text = pd.to_datetime(series.where(~missing, None), errors="coerce").dt.strftime("%Y-%m-%d")
        values = text.to_numpy(dtype=object)
    elif sql_type_name == "bool":
        values = series.fillna(False).astype(bool).to_numpy(dtype=object)
    elif sql_type_name == "int":
        values = pd.to_numeric(series, errors="raise").astype("Int64").to_numpy(
            dtype=object, na_value=None)
    elif sql_type_name == "float":
        values = pd.to_numeric(series, errors="raise").astype(float).to_numpy(dtype=object)
    else:
        values = series.astype(object).to_numpy(dtype=object)
        values = np.where(missing, None, values.astype(str) if len(values) else values)
    values = np.asarray(values, dtype=object)
    values[missing] = None
    return values.tolist()


def _type_name(column) -> str:
    name = column.type.__class__.__name__.lower()
    if name == "geometry":
        return "geometry"
    if "date" in name and "time" not in name:
        return "date"
    if "bool" in name:
        return "bool"
    if "int" in name:
        return "int"
    if "float" in name or "numeric" in name:
        return "float"
    return "text"


def next_id(connection: Connection, table: Table) -> int:
    """The first unused primary key of ``table``."""
    return int(connection.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar()) + 1


def bulk_insert(connection: Connection, table: Table, frame: pd.DataFrame) -> int:
    """Insert every row of ``frame`` into ``table`` in the current transaction.

    Parameters
    ----------
    connection : Connection
        A SQLAlchemy connection with an open transaction.
    table : Table
        The target table; ``frame`` columns must be a subset of its column names. A missing
        ``version`` column is filled with 1.
    frame : DataFrame
        The rows; ``id`` should be given when other frames refer to the rows.

    Returns
    -------
    int
        The number of rows written.
    """
    if len(frame) == 0:
        return 0
    frame = frame.copy()
    for column in table.c:  # NOT NULL columns the frame lacks take their scalar default
        if column.name not in frame.columns and not column.nullable and column.default is not None \
                and column.default.is_scalar:
            frame[column.name] = column.default.arg
    unknown = set(frame.columns) - set(table.c.keys())
    if unknown:
        raise ValueError(f"{table.name}: unknown columns {sorted(unknown)}")
    postgres = connection.dialect.name == "postgresql"
    names = list(frame.columns)
    columns = [_column_values(frame[name], _type_name(table.c[name]), postgres,
                              getattr(table.c[name].type, "geometry_type", ""))
               for name in names]
    rows = list(zip(*columns, strict=True))
    raw = connection.connection.dbapi_connection
    if postgres:
        with raw.cursor() as cursor:
            with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        if "id" in names:
            connection.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"(SELECT max(id) FROM {table.name}))"))
    else:
        placeholders = ", ".join("?" * len(names))
        rebuilt = _indexes_to_rebuild(connection, table, len(rows))
        for index in rebuilt:
            index.drop(connection)
        cursor = raw.cursor()
        cursor.executemany(f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({placeholders})",
                           rows)
        cursor.close()
        for index in rebuilt:
            index.create(connection)
    return len(rows)


#: SQLite: a bulk insert of at least this many rows, and at least as many as the table holds,
#: drops the table's secondary indexes and builds them again afterwards (one sort each instead
#: of a B-tree insert per row: the household table's three took 1.9 s of a 120,000-row import).
REBUILD_INDEXES_FROM = 20_000


def _indexes_to_rebuild(connection: Connection, table: Table, rows: int) -> list:
    """The secondary indexes worth dropping during this insert (none for small inserts).

    Inside the caller's transaction: a rollback puts them back with the rows.
    """
    # Unique indexes stay: they refuse a duplicate row as it comes.
    secondary = sorted((index for index in table.indexes if not index.unique),
                       key=lambda index: index.name)
    if rows < REBUILD_INDEXES_FROM or not secondary:
        return []
    held = connection.execute(select(func.count()).select_from(table)).scalar()
    return secondary if held <= rows else []
