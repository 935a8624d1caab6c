"""Column-wise reads through ADBC: a query straight into Arrow arrays, no Python object per row.

Opening a county of a million households must take seconds; SQLite's Python driver alone needs
more than five to hand over the rows (measured, docs/performance.md), ADBC about half of that.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

#: SQLite's ADBC driver guesses each column's type from its first batch; one batch for the whole
#: result means a column that starts with NULLs is still typed from its first real value.
_SQLITE_BATCH_ROWS = "100000000"


class StaleSnapshot(Exception):
    """The write-ahead log could not be folded into the file; read through sqlite3 instead."""


def _adbc_connect(engine: Engine):
    url = engine.url
    if url.get_backend_name() == "sqlite":
        import adbc_driver_sqlite.dbapi as adbc_sqlite

        # ADBC links its own copy of SQLite. Two copies in one process must not share a WAL
        # database (on closing, one would delete the -wal/-shm files the other still uses), so
        # the WAL is folded into the file first and ADBC opens it immutable: no locks, no
        # journal files, just the pages.
        with engine.begin() as connection:
            busy, log, done = connection.exec_driver_sql("PRAGMA wal_checkpoint(FULL)").one()
        if busy or (log != done and log != -1):
            raise StaleSnapshot()
        path = quote(str(Path(url.database).resolve()))
        return adbc_sqlite.connect(f"file:{path}?immutable=1")
    import adbc_driver_postgresql.dbapi as adbc_pg

    plain = make_url(url.render_as_string(hide_password=False)).set(drivername="postgresql")
    return adbc_pg.connect(plain.render_as_string(hide_password=False))


def read_arrow(engine: Engine, sql: str):
    """Run ``sql`` and return a ``pyarrow.Table``."""
    try:
        connection = _adbc_connect(engine)
    except StaleSnapshot:  # a writer is busy: the slower, always-consistent path
        import pyarrow as pa

        with engine.connect() as plain:
            result = plain.exec_driver_sql(sql)
            names = list(result.keys())
            columns = list(zip(*result.fetchall(), strict=True)) or [[] for _ in names]
        return pa.table({n: pa.array(list(c)) for n, c in zip(names, columns, strict=True)})
    try:
        cursor = connection.cursor()
        if engine.url.get_backend_name() == "sqlite":
            cursor.adbc_statement.set_options(
                **{"adbc.sqlite.query.batch_rows": _SQLITE_BATCH_ROWS}
            )
        cursor.execute(sql)
        table = cursor.fetch_arrow_table()
        cursor.close()
        return table
    finally:
        connection.close()


def read_frame(engine: Engine, sql: str, dtypes: dict[str, str] | None = None) -> pd.DataFrame:
    """Run ``sql`` and return a DataFrame, casting the columns named in ``dtypes``.

    Parameters
    ----------
    engine : Engine
        The project's engine (SQLite file or PostgreSQL).
    sql : str
        A SELECT statement.
    dtypes : dict, optional
        Column → pandas dtype (e.g. ``"Int64"``, ``"float64"``, ``"boolean"``), applied after the
        read so that all-NULL or integer-looking columns get their declared type.
    """
    frame = read_arrow(engine, sql).to_pandas()
    for name, dtype in (dtypes or {}).items():
        if name not in frame.columns:
            continue
        if dtype == "bool":
            frame[name] = frame[name].fillna(0).astype(bool)
        elif dtype == "boolean":
            frame[name] = frame[name].astype("boolean")
        elif dtype == "date":
            frame[name] = pd.to_datetime(frame[name], errors="coerce").dt.date
            frame[name] = frame[name].where(frame[name].notna(), None)
        else:
            frame[name] = frame[name].astype(dtype)
    return frame
