"""Column-wise reads through ADBC: a query straight into Arrow arrays, no Python object per row.

Opening a county of a million households must take seconds; SQLite's Python driver alone needs
more than five to hand over the rows (measured, docs/performance.md), ADBC about half of that.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

#: SQLite's ADBC driver guesses each column's type from its first batch; one batch for the whole
#: result means a column that starts with NULLs is still typed from its first real value.
_SQLITE_BATCH_ROWS = "100000000"


def _adbc_connect(engine: Engine):
    url = engine.url
    if url.get_backend_name() == "sqlite":
        import adbc_driver_sqlite.dbapi as adbc_sqlite

        return adbc_sqlite.connect(url.database)
    import adbc_driver_postgresql.dbapi as adbc_pg

    plain = make_url(url.render_as_string(hide_password=False)).set(drivername="postgresql")
    return adbc_pg.connect(plain.render_as_string(hide_password=False))


def read_arrow(engine: Engine, sql: str):
    """Run ``sql`` and return a ``pyarrow.Table``."""
    connection = _adbc_connect(engine)
    try:
        cursor = connection.cursor()
        if engine.url.get_backend_name() == "sqlite":
            cursor.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": _SQLITE_BATCH_ROWS})
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
        elif dtype == "date":
            frame[name] = pd.to_datetime(frame[name], errors="coerce").dt.date
            frame[name] = frame[name].where(frame[name].notna(), None)
        else:
            frame[name] = frame[name].astype(dtype)
    return frame
