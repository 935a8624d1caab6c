"""What a grid edit reads: grids, villages, households by grid and assignments, as plain values.

Every function takes an open connection: the unit of work's (``uow.connection``), to read inside
the edit's transaction what it is about to change, or one of its own for reads made before.
Geometries come back as shapely objects in EPSG:4490; :func:`stored_polygon` turns one into the
value the ``geom`` column takes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection, select

from gis_app.storage.bulk import as_multipolygons
from gis_app.storage.models import AdminUnit, Grid, GridAssignment, Household, Worker

_GRID, _UNIT = Grid.__table__, AdminUnit.__table__
_HOUSEHOLD, _ASSIGNMENT = Household.__table__, GridAssignment.__table__

#: Columns of :func:`households`.
HOUSEHOLD_COLUMNS = ["id", "grid_id", "grid_override", "lon", "lat", "version"]
#: Columns of :func:`assignments`.
ASSIGNMENT_COLUMNS = [c.name for c in _ASSIGNMENT.c]


def stored_polygon(geometry) -> bytes:
    """A polygon as the grid table stores it: a MultiPolygon as WKB."""
    return shapely.to_wkb(as_multipolygons(np.array([geometry], dtype=object))[0])


def _grid_row(row) -> dict:
    values = row._asdict()
    values["geom"] = None if values["geom"] is None else shapely.from_wkb(values["geom"])
    return values


def grid_rows(connection: Connection, grid_ids) -> dict[int, dict]:
    """Whole rows of grids by id (absent ids are left out); ``geom`` as a shapely geometry."""
    ids = [int(i) for i in grid_ids]
    return {r.id: _grid_row(r) for r in connection.execute(
        select(_GRID).where(_GRID.c.id.in_(ids)))}


def village_grids(connection: Connection, village_id: int) -> list[dict]:
    """Whole rows of a village's level-3 grids that have a boundary, by code."""
    query = select(_GRID).where((_GRID.c.level == 3) & (_GRID.c.admin_unit_id == int(village_id))
                                & _GRID.c.geom.is_not(None)).order_by(_GRID.c.code)
    return [_grid_row(r) for r in connection.execute(query)]


def village(connection: Connection, village_id: int) -> dict | None:
    """``id, code, name, level, geom`` of an administrative unit (None when there is none)."""
    row = connection.execute(select(_UNIT.c.id, _UNIT.c.code, _UNIT.c.name, _UNIT.c.level,
                                    _UNIT.c.geom).where(_UNIT.c.id == int(village_id))).first()
    if row is None:
        return None
    values = row._asdict()
    values["geom"] = None if values["geom"] is None else shapely.from_wkb(values["geom"])
    return values


def village_boundaries(connection: Connection) -> tuple[np.ndarray, np.ndarray]:
    """Ids and boundaries (shapely, EPSG:4490) of the villages that have one, by id."""
    rows = connection.execute(select(_UNIT.c.id, _UNIT.c.geom).where(
        (_UNIT.c.level == 3) & _UNIT.c.geom.is_not(None)).order_by(_UNIT.c.id)).all()
    ids = np.array([r.id for r in rows], dtype=np.int64)
    return ids, shapely.from_wkb(np.array([r.geom for r in rows], dtype=object))


def village_grid(connection: Connection, village_id: int) -> int | None:
    """The village's level-2 grid, parent of its level-3 grids."""
    return connection.execute(select(_GRID.c.id).where(
        (_GRID.c.level == 2) & (_GRID.c.admin_unit_id == int(village_id))
    ).order_by(_GRID.c.id)).scalars().first()


def grid_codes(connection: Connection, prefix: str) -> set[str]:
    """Grid codes in use that start with ``prefix``."""
    return set(connection.execute(select(_GRID.c.code).where(
        _GRID.c.code.like(prefix + "%"))).scalars())


def households(connection: Connection, grid_ids, *, ungridded: bool = False,
               village_id: int | None = None, within: tuple | None = None,
               manual: bool = True) -> pd.DataFrame:
    """Households of some grids: id, grid (-1 for none), override flag, lon/lat, version.

    Parameters
    ----------
    grid_ids : iterable of int
        The grids whose households are wanted.
    ungridded : bool
        Also those without a grid (of ``village_id`` only, when given).
    within : (west, south, east, north), optional
        Only households whose point lies in this box.
    manual : bool
        Include households placed in their grid by hand (``grid_override``).

    Returns
    -------
    DataFrame
        :data:`HOUSEHOLD_COLUMNS`, by id; lon/lat NaN where unknown.
    """
    h = _HOUSEHOLD
    where = h.c.grid_id.in_([int(i) for i in grid_ids])
    if ungridded:
        none = h.c.grid_id.is_(None)
        if village_id is not None:
            none = none & (h.c.village_id == int(village_id))
        where = where | none
    if within is not None:
        x0, y0, x1, y1 = within
        where = where & h.c.lon.between(x0, x1) & h.c.lat.between(y0, y1)
    if not manual:
        where = where & ~h.c.grid_override
    rows = connection.execute(select(*(h.c[c] for c in HOUSEHOLD_COLUMNS)).where(where)
                              .order_by(h.c.id)).all()
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(HOUSEHOLD_COLUMNS)
    values = dict(zip(HOUSEHOLD_COLUMNS, columns, strict=True))
    grid = np.array(values["grid_id"], dtype=float)  # None → NaN
    return pd.DataFrame({
        "id": np.array(values["id"], dtype=np.int64),
        "grid_id": np.where(np.isnan(grid), -1, grid).astype(np.int64),
        "grid_override": np.array(values["grid_override"], dtype=bool),
        "lon": np.array(values["lon"], dtype=float),
        "lat": np.array(values["lat"], dtype=float),
        "version": np.array(values["version"], dtype=np.int64),
    })


def assignments(connection: Connection, grid_ids) -> pd.DataFrame:
    """Every assignment row (history too) of some grids, by id: :data:`ASSIGNMENT_COLUMNS`."""
    a = _ASSIGNMENT
    rows = connection.execute(select(a).where(a.c.grid_id.in_([int(i) for i in grid_ids]))
                              .order_by(a.c.id)).all()
    return pd.DataFrame([r._asdict() for r in rows], columns=ASSIGNMENT_COLUMNS)


def worker_activity(connection: Connection, worker_ids) -> dict[int, bool]:
    """Worker id → still active, for the workers of ``worker_ids`` that exist."""
    table = Worker.__table__
    return {int(i): bool(active) for i, active in connection.execute(
        select(table.c.id, table.c.active).where(table.c.id.in_([int(w) for w in worker_ids])))}
