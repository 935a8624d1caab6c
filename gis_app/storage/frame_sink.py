"""Collecting a whole county's rows in memory, then writing them into a fresh SQLite file.

Writing is done through Python's own ``sqlite3``, the library SQLAlchemy uses, never a second
copy of SQLite such as ADBC's driver (see ``columnar.py``: two copies in one process release
each other's file locks). The rows go in as Arrow columns, grouped by which of their values are
NULL: Python's sqlite3 binds a ``None`` by trying two adaptation protocols that each raise and
catch an exception (five times slower than binding a number), so a group's NULLs are written as
``NULL`` literals and only its values are bound.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from gis_app.storage.bulk import as_multipolygons


class FrameSink:
    """Stands in for a connection in ``county_writer``: keeps each table's frames in memory."""

    def __init__(self):
        self.frames: dict[str, list[pd.DataFrame]] = {}
        self.tables: dict[str, object] = {}

    def insert(self, table, frame: pd.DataFrame) -> int:
        """Keep ``frame`` for ``table`` (ids are assigned here when the frame has none)."""
        if len(frame) == 0:
            return 0
        frame = frame.reset_index(drop=True).copy()
        if "id" in table.c and "id" not in frame.columns:
            start = self.next_id(table)
            frame.insert(0, "id", np.arange(start, start + len(frame), dtype=np.int64))
        self.frames.setdefault(table.name, []).append(frame)
        self.tables[table.name] = table
        return len(frame)

    def _all(self, table) -> pd.DataFrame | None:
        parts = self.frames.get(table.name)
        return pd.concat(parts, ignore_index=True) if parts else None

    def code_map(self, table, key: str = "code") -> pd.Series:
        """Ids of the rows kept so far, indexed by ``key``."""
        frame = self._all(table)
        if frame is None:
            return pd.Series([], dtype="int64")
        return pd.Series(frame["id"].to_numpy(), index=frame[key].to_numpy(dtype=object))

    def next_id(self, table) -> int:
        """The first id not yet used in ``table``."""
        frame = self._all(table)
        return 1 if frame is None else int(frame["id"].max()) + 1

    def first_id(self, table, column: str, value) -> int | None:
        """The id of the first row whose ``column`` equals ``value``."""
        frame = self._all(table)
        if frame is None:
            return None
        hits = frame.loc[frame[column] == value, "id"]
        return int(hits.iloc[0]) if len(hits) else None

    def write_sqlite(self, path: str) -> None:
        """Append every kept row to the tables of the SQLite file at ``path`` (one transaction).

        Foreign keys are enforced when the transaction commits (``defer_foreign_keys``): a
        table's rows are written grouped, not in their order, so a grid may come before its
        parent grid.
        """
        from gis_app.storage.project import make_engine

        engine = make_engine(path)
        try:
            connection = engine.raw_connection()
            try:
                cursor = connection.cursor()
                cursor.execute("BEGIN IMMEDIATE")
                cursor.execute("PRAGMA defer_foreign_keys=ON")
                for name, table in self.tables.items():
                    _insert_rows(cursor, name, _arrow_table(table, self._all(table)))
                cursor.close()
                connection.commit()
            except BaseException:
                connection.rollback()
                raise
            finally:
                connection.close()
        finally:
            engine.dispose()


#: Rows converted to Python values at a time (bounded memory for three million persons).
_WRITE_ROWS = 100_000


def _insert_rows(cursor, name: str, table: pa.Table) -> None:
    """INSERT the rows of ``table``, one ``executemany`` per pattern of NULL columns."""
    names = table.column_names
    for start in range(0, table.num_rows, _WRITE_ROWS):
        chunk = table.slice(start, _WRITE_ROWS)
        missing = np.column_stack(
            [column.is_null().to_numpy(zero_copy_only=False) for column in chunk.columns])
        _, first, inverse = np.unique(_row_keys(missing), axis=0, return_index=True,
                                      return_inverse=True)
        inverse = inverse.ravel()
        members = np.split(np.argsort(inverse, kind="stable"),
                           np.cumsum(np.bincount(inverse, minlength=len(first)))[:-1])
        for group in np.argsort(first):  # in order of appearance: parents usually come first
            rows = pa.array(members[group])
            present = ~missing[first[group]]
            values = [chunk.column(int(j)).take(rows).to_pylist() for j in np.flatnonzero(present)]
            marks = ", ".join("?" if bound else "NULL" for bound in present)
            cursor.executemany(f"INSERT INTO {name} ({', '.join(names)}) VALUES ({marks})",
                               zip(*values, strict=True))


def _row_keys(flags: np.ndarray) -> np.ndarray:
    """Each row of a boolean matrix as integers (one ``uint64`` per 64 columns), for grouping."""
    bits = np.packbits(flags, axis=1, bitorder="little")
    words = np.zeros((len(flags), -(-bits.shape[1] // 8) * 8), dtype=np.uint8)
    words[:, : bits.shape[1]] = bits
    keys = words.view(np.uint64)
    return keys[:, 0] if keys.shape[1] == 1 else keys


def _arrow_column(column, values: pd.Series) -> pa.Array:
    kind = column.type.__class__.__name__.lower()
    missing = pd.isna(values).to_numpy()
    if kind == "geometry":
        geoms = np.where(missing, None, np.asarray(values, dtype=object))
        if getattr(column.type, "geometry_type", "") == "MULTIPOLYGON":
            geoms = as_multipolygons(geoms)
        return pa.array(shapely.to_wkb(geoms), type=pa.binary())
    if "date" in kind and "time" not in kind:
        text = pd.to_datetime(values.where(~missing, None), errors="coerce").dt.strftime("%Y-%m-%d")
        return pa.array(text.to_numpy(dtype=object), type=pa.string(), from_pandas=True,
                        mask=missing | text.isna().to_numpy())
    if "bool" in kind:
        return pa.array(values.fillna(False).astype(bool).astype(np.int64).to_numpy(), pa.int64())
    if "int" in kind:
        return pa.array(pd.to_numeric(values).astype("Int64").to_numpy(dtype=object,
                                                                        na_value=None),
                        type=pa.int64())
    if "float" in kind:
        return pa.array(pd.to_numeric(values).astype(float).to_numpy(), mask=missing,
                        type=pa.float64())
    try:  # pandas' Arrow-backed strings go across without a Python object per value
        return pa.array(values, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed types: spell each one out
        text = values.astype(object).where(~missing, None)
        return pa.array([None if v is None else str(v) for v in text], type=pa.string())


def _arrow_table(table, frame: pd.DataFrame) -> pa.Table:
    for column in table.c:  # NOT NULL columns the frame lacks take their scalar default
        if column.name not in frame.columns and not column.nullable and column.default is not None \
                and column.default.is_scalar:
            frame[column.name] = column.default.arg
    names = [c.name for c in table.c if c.name in frame.columns]
    return pa.table({name: _arrow_column(table.c[name], frame[name]) for name in names})
