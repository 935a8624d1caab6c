"""What a disaster event's edit reads and writes inside its transaction: events, clues, points.

Every function takes an open connection (the unit of work's). Geometries come back as shapely
objects in EPSG:4490.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection, select

from gis_app.storage.bulk import bulk_insert, next_id
from gis_app.storage.models import HazardEvent, Household, RiskClue

_EVENT, _CLUE, _HOUSEHOLD = HazardEvent.__table__, RiskClue.__table__, Household.__table__


def event_by_digest(connection: Connection, digest: str) -> dict | None:
    """The event stored with this digest (its columns, ``geom`` left out), or None."""
    columns = [c for c in _EVENT.c if c.name != "geom"]
    row = connection.execute(select(*columns).where(_EVENT.c.digest == digest)).first()
    return None if row is None else row._asdict()


def clued_households(connection: Connection, event_id: int) -> np.ndarray:
    """Ids of the households that already have a clue of the event (sorted)."""
    rows = connection.execute(select(_CLUE.c.household_id).where(
        _CLUE.c.event_id == int(event_id))).scalars().all()
    return np.unique(np.asarray(rows, dtype=np.int64))


def households_within(connection: Connection, bounds) -> pd.DataFrame:
    """``id, lon, lat`` of the located households inside a box ``(west, south, east, north)``."""
    west, south, east, north = (float(v) for v in bounds)
    h = _HOUSEHOLD
    result = connection.execute(select(h.c.id, h.c.lon, h.c.lat).where(
        h.c.lon.between(west, east) & h.c.lat.between(south, north)).order_by(h.c.id))
    # The driver's plain tuples (three numbers each, nothing to convert): SQLAlchemy's rows
    # and a tuple made of each took a second for a county's worth of households.
    values = np.array(result.cursor.fetchall(), dtype=float).reshape(-1, 3)
    result.close()
    return pd.DataFrame({"id": values[:, 0].astype(np.int64), "lon": values[:, 1],
                         "lat": values[:, 2]})


def insert_event(connection: Connection, values: dict) -> int:
    """Insert one event row (``geom`` as WKB) with the next free id; returns the id.

    Written like the clues (``uow.bulk_inserted``) so that an undo, which deletes bulk rows
    latest first, takes the clues away before their event.
    """
    event_id = next_id(connection, _EVENT)
    bulk_insert(connection, _EVENT, pd.DataFrame([{"id": event_id, **values}]))
    return event_id


def insert_clues(connection: Connection, frame: pd.DataFrame) -> np.ndarray:
    """Insert clues (columns of ``risk_clue`` without ``id``) in one go; returns their ids.

    The caller records them with ``uow.bulk_inserted("risk_clue", ids)``.
    """
    start = next_id(connection, _CLUE)
    ids = np.arange(start, start + len(frame), dtype=np.int64)
    bulk_insert(connection, _CLUE, frame.assign(id=ids)[["id", *frame.columns]])
    return ids


def event_geometry(connection: Connection, event_id: int):
    """The footprint of a stored event (shapely, EPSG:4490), or None."""
    value = connection.execute(select(_EVENT.c.geom).where(
        _EVENT.c.id == int(event_id))).scalar_one_or_none()
    return None if value is None else shapely.from_wkb(value)
