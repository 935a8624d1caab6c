"""Columnar snapshots of large tables, brought up to date from the audit log when read.

Reading a million households through Python's ``sqlite3`` makes ten million Python values and
takes seconds; reading them back from an Arrow file takes a few milliseconds. A snapshot holds a
table's frame as it was at one position of the audit log (the *journal mark*: the newest audit
row's id and time). On the next full read the rows the log names since that mark are re-read
from the store and patched in, so the frame returned is always the store's, never the file's:

- every write goes through the unit of work, which writes an audit row per changed row (or the
  ids of a bulk insert) in the same transaction; :func:`~gis_app.storage.journal.changes_between`
  turns the rows after the mark into the ids to re-read;
- the mark and the table's row count and largest id are read before and after; a commit in
  between (the mark moved) means the read is done again;
- a patched frame must have the store's row count and largest id, or the table is read whole;
- a snapshot belongs to one project file (its real path; the digest of the audit row it was
  taken at) and one column list.

Only SQLite projects of at least :data:`MIN_ROWS` rows use snapshots (PostgreSQL's reads come
through ADBC, already columnar). They live in the user's cache folder (``GIS_APP_CACHE_DIR``,
else ``$XDG_CACHE_HOME/gis-app``), never beside the project: deleting them loses nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from gis_app.storage.journal import audit_fingerprint, changes_between, journal_mark

log = logging.getLogger(__name__)

#: Tables with fewer rows are read straight from the store (already fast) …
MIN_ROWS = 20_000
#: … and tables of polygons with fewer rows than this (their cost is in the vertices).
MIN_GEOMETRY_ROWS = 1_000
#: More changed rows than this since the snapshot: read the table whole (and snapshot again).
PATCH_LIMIT = 50_000
#: A patch of more rows than this writes a fresh snapshot (small patches are cheap to repeat).
REWRITE_AFTER = 2_000
#: Bumped when the file's layout changes: older snapshots are then ignored.
FORMAT = 1


def cache_dir() -> Path:
    """Where snapshots are kept."""
    configured = os.environ.get("GIS_APP_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "gis-app"


class TableSnapshot:
    """The snapshot of ``columns`` of ``table`` of the project behind ``engine``.

    Parameters
    ----------
    engine : Engine
        The project's engine; anything but a SQLite file reads straight from the store.
    table : str
        The stored table (rows keyed and sorted by ``id``).
    columns : list of str
        The columns the frames hold (part of the snapshot's identity).
    geometry : str, optional
        The name of a shapely geometry column (stored as WKB).
    variant : str
        What else the frames depend on (e.g. the map projection of their coordinates).
    """

    def __init__(self, engine: Engine, table: str, columns: list[str],
                 geometry: str | None = None, variant: str = ""):
        self.engine = engine
        self.table = table
        self.columns = list(columns)
        self.geometry = geometry
        database = engine.url.database if engine.url.get_backend_name() == "sqlite" else None
        self.project = (os.path.realpath(database)
                        if database and database != ":memory:" else None)
        self.variant = variant
        key = f"{self.project}|{table}|{','.join(self.columns)}|{geometry}|{variant}"
        self.path = cache_dir() / f"{hashlib.sha1(key.encode()).hexdigest()[:24]}.arrow"

    def load(self, read_all: Callable[[], pd.DataFrame],
             read_ids: Callable[[list[int]], pd.DataFrame]) -> pd.DataFrame:
        """The table's frame as the store holds it now.

        ``read_all()`` reads every row from the store, ``read_ids(ids)`` the rows of ``ids``
        (both sorted by id, with ``columns``).
        """
        if self.project is None:
            return read_all()
        mark = self._mark()
        if mark[2] < (MIN_GEOMETRY_ROWS if self.geometry else MIN_ROWS):
            return read_all()
        kept = self._read_file()
        if kept is not None:
            frame, changed = self._patched(*kept, mark, read_ids)
            if frame is not None and self._mark() == mark:
                if changed > REWRITE_AFTER:
                    self._write(frame, mark)
                return frame
        for _ in range(3):
            frame = read_all()
            after = self._mark()
            if after == mark:
                self._write(frame, mark)
                return frame
            mark = after  # a commit came in meanwhile: read again
        return frame

    # -- the store
    def _mark(self) -> tuple:
        """(audit id, audit time, row count, largest id): equal marks, equal table."""
        with self.engine.connect() as connection:
            audit = journal_mark(connection)
            # Two statements: together SQLite would scan the table rather than an index.
            count = connection.exec_driver_sql(f"SELECT count(*) FROM {self.table}").scalar()
            largest = connection.exec_driver_sql(f"SELECT max(id) FROM {self.table}").scalar()
        return (*audit, int(count), None if largest is None else int(largest))

    def _patched(self, frame: pd.DataFrame, kept_mark: tuple, mark: tuple,
                 read_ids) -> tuple[pd.DataFrame | None, int]:
        """The snapshot with the rows changed since its mark re-read; None when it cannot be."""
        if kept_mark[0] > mark[0]:
            return None, 0  # the store went back (a restored copy): not this state
        if kept_mark[:2] == mark[:2]:
            return (frame, 0) if self._matches(frame, mark) else (None, 0)
        with self.engine.connect() as connection:
            if audit_fingerprint(connection, kept_mark[0]) != kept_mark[1]:
                return None, 0  # another history (the file was replaced): not this project
            change = changes_between(connection, kept_mark[0], mark[0])[self.table]
        if len(change.ids) > PATCH_LIMIT:
            return None, 0
        if change:
            ids = frame["id"].to_numpy(np.int64)
            keep = frame[~np.isin(ids, np.fromiter(change.ids, np.int64, len(change.ids)))]
            parts = [keep]
            if change.present:
                parts.append(self._decoded(read_ids(sorted(change.present))))
            frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else keep
            frame = frame.sort_values("id", kind="stable").reset_index(drop=True)
        return (frame, len(change.ids)) if self._matches(frame, mark) else (None, 0)

    @staticmethod
    def _matches(frame: pd.DataFrame, mark: tuple) -> bool:
        ids = frame["id"].to_numpy(np.int64)
        largest = int(ids[-1]) if len(ids) else None
        return len(frame) == mark[2] and largest == mark[3]

    # -- the file
    def _read_file(self) -> tuple[pd.DataFrame, tuple] | None:
        import pyarrow as pa

        try:  # mapped: the file's pages are the buffers, the frame's arrays are copies
            with pa.memory_map(str(self.path)) as source:
                table = pa.ipc.open_file(source).read_all()
                meta = json.loads((table.schema.metadata or {}).get(b"gis_app", b"{}"))
                if (meta.get("format") != FORMAT or meta.get("project") != self.project
                        or meta.get("columns") != self.columns
                        or meta.get("table") != self.table
                        or meta.get("variant") != self.variant):
                    return None
                frame = table.to_pandas(split_blocks=True, date_as_object=True)
                del table
            # Arrays that still point into the mapped file are copied: they must outlive it.
            for name in frame.columns:
                values = frame[name].array
                base = getattr(values, "_ndarray", None)
                if base is None and isinstance(values, np.ndarray):
                    base = values
                if base is not None and not base.flags.writeable:
                    frame[name] = frame[name].copy()
        except (OSError, pa.ArrowException, ValueError):
            return None
        for name, dtype in meta["dtypes"].items():
            if name == self.geometry:
                import shapely

                frame[name] = shapely.from_wkb(frame[name].to_numpy(object))
            elif dtype == "object":
                values = frame[name].astype(object).to_numpy(copy=True)
                values[pd.isna(values)] = None
                frame[name] = pd.Series(values, index=frame.index, dtype=object)
            elif str(frame[name].dtype) != dtype:
                frame[name] = frame[name].astype(dtype)
        return frame, tuple(meta["mark"])

    def _decoded(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Rows read from the store, as the snapshot's frame holds them (plain pandas)."""
        return pd.DataFrame({c: frame[c] for c in self.columns}, index=frame.index)

    def _write(self, frame: pd.DataFrame, mark: tuple) -> None:
        import pyarrow as pa

        columns = {}
        for name in self.columns:
            values = frame[name]
            if name == self.geometry:
                import shapely

                values = pd.Series(shapely.to_wkb(np.asarray(values, dtype=object)),
                                   dtype=object)
            columns[name] = values
        meta = {"format": FORMAT, "project": self.project, "table": self.table,
                "columns": self.columns, "variant": self.variant, "mark": list(mark),
                "dtypes": {n: str(frame[n].dtype) for n in self.columns}}
        try:
            table = pa.Table.from_pandas(pd.DataFrame(columns), preserve_index=False)
            # Beside pandas' own metadata, which brings nullable integers back as Int64.
            table = table.replace_schema_metadata(
                {**(table.schema.metadata or {}), b"gis_app": json.dumps(meta).encode()})
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_suffix(f".{os.getpid()}.tmp")
            with pa.OSFile(str(temporary), "wb") as sink, \
                    pa.ipc.new_file(sink, table.schema) as writer:
                writer.write_table(table)
            os.replace(temporary, self.path)
        except (OSError, pa.ArrowException, TypeError, ValueError) as error:
            log.warning("no snapshot of %s written: %s", self.table, error)
