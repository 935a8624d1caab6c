"""Reads and writes the importers need inside their unit of work, beside ``county_writer``."""

from __future__ import annotations

import json

import pandas as pd
from sqlalchemy import Connection, delete, insert, select

from gis_app.storage.models import Grid, Household, ProjectSetting


def grid_ids_by_code(connection: Connection) -> pd.Series:
    """Grid id of every grid code."""
    table = Grid.__table__
    rows = connection.execute(select(table.c.code, table.c.id)).all()
    return pd.Series([i for _, i in rows], index=[c for c, _ in rows], dtype="int64")


def households_by_id_number(connection: Connection) -> pd.DataFrame:
    """``id, head_id_number, head_name, version`` of every household, by id."""
    table = Household.__table__
    rows = connection.execute(select(table.c.id, table.c.head_id_number, table.c.head_name,
                                     table.c.version).order_by(table.c.id)).all()
    return pd.DataFrame(rows, columns=["id", "head_id_number", "head_name", "version"])


def write_settings(connection: Connection, values: dict) -> None:
    """Insert or replace project settings (JSON-encoded) in the caller's transaction."""
    table = ProjectSetting.__table__
    for key, value in values.items():
        connection.execute(delete(table).where(table.c.key == key))
        connection.execute(insert(table).values(
            key=key, value=json.dumps(value, ensure_ascii=False)))
