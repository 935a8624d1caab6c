"""Column-wise reads: a query straight into Arrow arrays, without an ORM object per row.

On PostgreSQL the rows come through ADBC. A SQLite project is read through Python's own
``sqlite3``, the library SQLAlchemy uses, never through ADBC's SQLite driver: that driver links
its own copy of SQLite, and two copies of SQLite in one process must not open the same file.
POSIX file locks belong to the process, so when one copy closes its descriptor the locks the
other copy holds on the file are released; another process (``gis-app check`` beside the
window) then believes it holds the last connection and checkpoints and deletes the -wal/-shm
files still in use here ("disk I/O error" on the next edit). See
https://www.sqlite.org/howtocorrupt.html, section 2.2, and ``tests/storage/
test_multiprocess_sqlite.py``. ``benchmarks/read_bench.py`` compares the two.
"""

from __future__ import annotations

import datetime
import gc
from contextlib import contextmanager

import numpy as np
import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

#: Rows fetched per ``fetchmany``: small enough that the Python tuples of one chunk are freed
#: before the next (a million households do not sit in memory as Python objects), large enough
#: to make the per-call cost vanish (8,192 measured fastest, benchmarks/read_bench.py).
_FETCH_ROWS = 8192


def read_arrow(engine: Engine, sql: str):
    """Run ``sql`` and return a ``pyarrow.Table``.

    Column types follow the values, as ADBC's SQLite driver typed them: integers ``int64``,
    reals (and integers mixed with reals) ``double``, text ``string``, blobs ``binary``; a
    column with no value at all is ``int64`` (all null).
    """
    if engine.url.get_backend_name() == "sqlite":
        return _read_sqlite(engine, sql)
    return _read_adbc(engine, sql)


def _read_adbc(engine: Engine, sql: str):
    import adbc_driver_postgresql.dbapi as adbc_pg

    url = engine.url
    plain = make_url(url.render_as_string(hide_password=False)).set(drivername="postgresql")
    connection = adbc_pg.connect(plain.render_as_string(hide_password=False))
    try:
        cursor = connection.cursor()
        cursor.execute(sql)
        table = cursor.fetch_arrow_table()
        cursor.close()
        return table
    finally:
        connection.close()


@contextmanager
def _collector_paused():
    """Pause the cyclic garbage collector while the rows' tuples are made.

    Every fetched row is a new tuple the collector tracks; with it running, it walks the
    growing heap again and again (a third of the fetch time for a million households).
    Nothing made here forms a cycle, and the collector's state is restored afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _read_sqlite(engine: Engine, sql: str):
    import pyarrow as pa

    connection = engine.raw_connection()  # a pooled sqlite3 connection, with the pragmas
    try:
        cursor = connection.cursor()
        try:
            with _collector_paused():
                cursor.execute(sql)  # one statement: one consistent snapshot of the file
                names = [d[0] for d in cursor.description]
                chunks: list[list] = [[] for _ in names]
                while rows := cursor.fetchmany(_FETCH_ROWS):
                    for parts, values in zip(chunks, zip(*rows, strict=True), strict=True):
                        parts.append(_array(values))
        finally:
            cursor.close()
    finally:
        connection.close()
    return pa.table({name: _one_type(parts) for name, parts in zip(names, chunks, strict=True)})


def _array(values: tuple):
    """One chunk of one column, typed by its values (``null`` when all are None)."""
    import pyarrow as pa

    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):  # text beside numbers
        return pa.array([None if v is None else str(v) for v in values], type=pa.string())


def _one_type(parts: list):
    """The chunks of a column as one ``ChunkedArray`` of the type ADBC would have given."""
    import pyarrow as pa

    types = {part.type for part in parts} - {pa.null()}
    if not types:
        target = pa.int64()
    elif len(types) == 1:
        target = types.pop()
    elif types == {pa.int64(), pa.float64()}:
        target = pa.float64()
    else:  # text in some chunks, numbers in others
        target = pa.string()
    return pa.chunked_array([p if p.type == target else p.cast(target) for p in parts],
                            type=target)


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
    return cast_columns(read_arrow(engine, sql).to_pandas(), dtypes)


def read_rows_frame(engine: Engine, sql: str, dtypes: dict[str, str] | None = None
                    ) -> pd.DataFrame:
    """:func:`read_frame` for a few rows (a session re-reading what an edit changed).

    Plain rows through the engine's own connection, each column typed by numpy at once: for a
    handful of rows, Arrow and per-column pandas casts cost ten times the read itself.
    """
    with engine.connect() as connection:
        result = connection.exec_driver_sql(sql)
        names = list(result.keys())
        rows = result.all()
    dtypes = dtypes or {}
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    return pd.DataFrame({name: _typed(values, dtypes.get(name))
                         for name, values in zip(names, columns, strict=True)})


def _typed(values: tuple, dtype: str | None):
    """One column of plain values as the array :func:`cast_columns` would have made."""
    if dtype == "int64":
        return np.array(values, dtype=np.int64)
    if dtype == "float64":
        return np.array(values, dtype=float)  # None → NaN
    if dtype == "bool":
        return np.array([bool(v) for v in values], dtype=bool)
    if dtype in ("Int64", "boolean"):
        return pd.array([None if v is None else (bool(v) if dtype == "boolean" else int(v))
                         for v in values], dtype=dtype)
    array = np.empty(len(values), dtype=object)
    array[:] = [_date(v) for v in values] if dtype == "date" else values
    return pd.Series(array, dtype=object)  # kept object: pandas would infer a string dtype


def _date(value):
    if value is None or isinstance(value, datetime.date):
        return value.date() if isinstance(value, datetime.datetime) else value
    try:
        return datetime.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None  # as pd.to_datetime(errors="coerce") reads a malformed date


def cast_columns(frame: pd.DataFrame, dtypes: dict[str, str] | None) -> pd.DataFrame:
    """The columns named in ``dtypes`` cast to their declared pandas types (one new frame)."""
    dtypes = dtypes or {}
    columns = {}
    for name in frame.columns:
        values, dtype = frame[name], dtypes.get(name)
        if dtype == "bool":
            values = values.fillna(0).astype(bool)
        elif dtype == "date":
            values = pd.to_datetime(values, errors="coerce").dt.date
            values = values.where(values.notna(), None)
        elif dtype is not None:
            values = values.astype(dtype)
        columns[name] = values
    return pd.DataFrame(columns, index=frame.index)
