"""Noticing other processes' commits and reading what they changed, as a change set.

The audit log is the journal: every unit of work writes one row per changed row (or a summary
with the ids of a bulk insert). A session remembers the last audit row it has seen; when the
store says something was committed (SQLite: ``PRAGMA data_version`` on a connection of its
own; PostgreSQL: ``LISTEN``), it reads the rows after that one and turns them into a
:class:`~gis_app.core.changes.ChangeSet`, which enters the session exactly as its own edits do.
"""

from __future__ import annotations

import hashlib
import json
import time

from sqlalchemy import func, select

from gis_app.core.changes import CHILD_TABLES, ChangeSet, ChangeSetBuilder
from gis_app.storage.models import AuditLog
from gis_app.storage.uow import NOTIFY_CHANNEL, expand_ranges

#: On PostgreSQL an audit id can become visible after a higher one (transactions commit in any
#: order); a gap is looked at again until it is this old, then taken as a rolled-back id.
GAP_SECONDS = 30.0


class ChangeWatcher:
    """Tells whether other connections committed, and what, since the last look.

    Parameters
    ----------
    project : Project
        The open project.
    """

    def __init__(self, project):
        self.project = project
        self.postgres = project.dialect == "postgresql"
        self._listener = None
        self._data_version = None
        self._gaps: dict[int, float] = {}  # audit id not seen yet → when the gap was noticed
        with project.engine.connect() as connection:
            self.last_id = int(connection.execute(select(func.coalesce(
                func.max(AuditLog.__table__.c.id), 0))).scalar())
        self._open()

    def _open(self) -> None:
        if self.postgres:
            import psycopg

            url = self.project.engine.url.set(drivername="postgresql")
            self._listener = psycopg.connect(url.render_as_string(hide_password=False),
                                             autocommit=True)
            self._listener.execute(f"LISTEN {NOTIFY_CHANNEL}")
        else:
            # data_version is per connection: this one is kept for the session's life.
            self._listener = self.project.engine.raw_connection()
            self._data_version = self._sqlite_version()

    def _sqlite_version(self) -> int:
        cursor = self._listener.cursor()
        try:
            return int(cursor.execute("PRAGMA data_version").fetchone()[0])
        finally:
            cursor.close()

    def committed(self) -> bool:
        """True when another connection (or process) has committed since the last call."""
        if self._listener is None:
            return False
        if self.postgres:
            notified = any(True for _ in self._listener.notifies(timeout=0.0, stop_after=10_000))
            return notified or bool(self._gaps)
        version = self._sqlite_version()
        changed, self._data_version = version != self._data_version, version
        return changed

    def read(self, ignore_edits: set[int] | None = None) -> ChangeSet:
        """What was committed since the last read, skipping ``ignore_edits`` (the session's own).

        Returns
        -------
        ChangeSet
            Empty when nothing new; ``label`` names the latest edit's user and label.
        """
        table = AuditLog.__table__
        ignore = ignore_edits or set()
        now = time.monotonic()
        query = select(table.c.id, table.c.edit_id, table.c.table_name, table.c.row_id,
                       table.c.action, table.c.details).where(table.c.id > self.last_id)
        if self._gaps:
            query = query.union_all(
                select(table.c.id, table.c.edit_id, table.c.table_name, table.c.row_id,
                       table.c.action, table.c.details).where(table.c.id.in_(list(self._gaps))))
        with self.project.engine.connect() as connection:
            rows = connection.execute(query).all()
        builder, label = ChangeSetBuilder(), ""
        seen = set()
        for row in sorted(rows, key=lambda r: r.id):
            seen.add(row.id)
            if row.edit_id in ignore or row.action not in ("insert", "update", "delete"):
                continue
            _replay(builder, row)
            label = row.edit_id
        if rows:
            top = max(r.id for r in rows)
            if self.postgres:
                for missing in set(range(self.last_id + 1, top)) - seen:
                    self._gaps.setdefault(missing, now)
            self.last_id = max(self.last_id, top)
        for gap in list(self._gaps):
            if gap in seen or now - self._gaps[gap] > GAP_SECONDS:
                del self._gaps[gap]
        return builder.build(edit_id=label or None)

    def close(self) -> None:
        """Release the listening connection."""
        if self._listener is not None:
            self._listener.close()
            self._listener = None


def _replay(builder: ChangeSetBuilder, row) -> None:
    """One audit row as a change of its entity."""
    details = json.loads(row.details or "{}")
    if row.table_name in CHILD_TABLES:
        parent, column = CHILD_TABLES[row.table_name]
        values = details.get("new") or details.get("old") or {}
        if values.get(column) is not None:
            builder.add(parent, "update", int(values[column]))
        return
    if row.row_id is not None:
        builder.add(row.table_name, row.action, int(row.row_id))
    elif "ids" in details:
        builder.add(row.table_name, row.action, expand_ranges(details["ids"]).tolist())


def journal_mark(connection) -> tuple[int, str]:
    """The newest audit row: (id, its fingerprint), ``(0, "")`` for an empty log.

    The fingerprint (a digest of the row's time, user, action, table, row and details) tells
    two projects apart whose logs happen to be equally long.
    """
    table = AuditLog.__table__
    top = connection.execute(select(func.max(table.c.id))).scalar()
    return (0, "") if top is None else (int(top), audit_fingerprint(connection, int(top)))


def audit_fingerprint(connection, audit_id: int) -> str:
    """A digest of audit row ``audit_id`` ("" when there is none)."""
    table = AuditLog.__table__
    row = connection.execute(
        select(table.c.at, table.c.user_name, table.c.action, table.c.table_name,
               table.c.row_id, table.c.details).where(table.c.id == audit_id)).first()
    if row is None:
        return ""
    return hashlib.sha1(repr(tuple(row)).encode()).hexdigest()


def changes_between(connection, after_id: int, upto_id: int) -> ChangeSet:
    """The row changes the audit log records after ``after_id`` up to ``upto_id``."""
    table = AuditLog.__table__
    rows = connection.execute(
        select(table.c.id, table.c.edit_id, table.c.table_name, table.c.row_id, table.c.action,
               table.c.details)
        .where(table.c.id > after_id, table.c.id <= upto_id,
               table.c.action.in_(("insert", "update", "delete")))
        .order_by(table.c.id)).all()
    builder = ChangeSetBuilder()
    for row in rows:
        _replay(builder, row)
    return builder.build()
