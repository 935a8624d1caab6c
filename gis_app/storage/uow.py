"""The unit of work: every edit is one transaction with its rows, audit rows and undo step.

::

    with edit(project, user, "拆分网格…") as uow:
        uow.update("grid", grid_id, version_seen, geom=part)
        uow.insert("grid", {...})
    uow.changes   # ChangeSet: which rows of which entities changed
    uow.step      # the undo step (None for a no-op)

Every UPDATE and DELETE names the version of the row the user saw and bumps it; a row whose
version moved (someone else saved it) refuses the whole edit with :class:`StaleEditError`,
naming the record, who changed it and when. On SQLite the transaction takes the write lock at
``BEGIN IMMEDIATE`` and on PostgreSQL rows are read ``FOR UPDATE``, so the check and the write
see the same row. Versions only ever grow (an undo bumps them too), so an old read can never
match a row that has since been changed and changed back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import (
    Connection,
    Table,
    and_,
    bindparam,
    delete,
    insert,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.exc import IntegrityError

from gis_app.core.changes import CHILD_TABLES, ChangeSet, ChangeSetBuilder
from gis_app.core.describe import describe_row
from gis_app.storage.audit import audit_row, digest_key, safe_values, write_audit_rows
from gis_app.storage.models import AuditLog, Base, Edit

#: Ids per ``IN (…)`` list, within every database's limit on bound parameters.
CHUNK = 900
#: Inserts of more rows than this in one call are audited as one summary row (an import).
BULK_AUDIT = 50
#: The PostgreSQL channel on which every commit is announced (payload: the edit id).
NOTIFY_CHANNEL = "gis_app_edits"


class ConflictError(ValueError):
    """The store refused a row (a unique code or a reference): nothing of the edit was written."""


class StaleEditError(ValueError):
    """A row changed (or vanished) since it was read: the edit or undo wrote nothing.

    The message (Chinese) names the record, who changed it and when.
    """


@dataclass
class RowOp:
    """One row's change within an edit (one of a bulk insert's rows is ``BulkInsert``)."""

    action: str  # insert, update, delete
    table: str
    key: int | tuple
    before: dict | None  # update: old values of the changed columns; delete: the whole row
    after: dict | None  # insert: the whole row; update: the new values
    version: int | None  # after an insert/update, before a delete (None: unversioned table)


@dataclass
class BulkInsert:
    """Rows a bulk writer inserted in one go (an import): undone by deleting them."""

    table: str
    ids: np.ndarray


@dataclass
class Step:
    """What undoing an edit must revert: its operations, in the order they were made.

    ``expected`` maps ``(table, key)`` to the version each row must still have for the undo
    to go ahead; an undo of a later step re-points it (same content, newer version).
    """

    label: str
    edit_id: int
    ops: list[RowOp | BulkInsert] = field(default_factory=list)
    expected: dict[tuple[str, object], int] = field(default_factory=dict)


def table_of(name: str) -> Table:
    """The SQLAlchemy table of a stored entity."""
    return Base.metadata.tables[name]


def _pk(table: Table) -> list:
    return list(table.primary_key.columns)


def _key_of(table: Table, row: Mapping):
    columns = _pk(table)
    return row[columns[0].name] if len(columns) == 1 else tuple(row[c.name] for c in columns)


def _where_key(table: Table, key):
    columns = _pk(table)
    if len(columns) == 1:
        return columns[0] == key
    return tuple_(*columns) == tuple(key)


def _versioned(table: Table) -> bool:
    return "version" in table.c


def _same(a, b) -> bool:
    if isinstance(a, bytes | bytearray | memoryview) or isinstance(b, bytes | bytearray):
        return False  # geometry: written, never compared
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


class UnitOfWork:
    """One open edit: row operations on the store, checked and recorded for audit and undo.

    Use through :func:`edit`; ``connection`` may be used for reads inside the transaction
    (repositories take it).
    """

    def __init__(self, connection: Connection, user: str, label: str):
        self.connection = connection
        self.user = user
        self.label = label
        self.ops: list[RowOp | BulkInsert] = []
        self.notes: list[tuple[str, str, dict]] = []
        self.changes: ChangeSet = ChangeSet()
        self.step: Step | None = None
        self._postgres = connection.dialect.name == "postgresql"

    # -- writing
    def insert(self, table: str, values: Mapping) -> int | tuple:
        """Insert one row (version 1 where the table has one); returns its key."""
        t = table_of(table)
        row = dict(values)
        if _versioned(t):
            row.setdefault("version", 1)
        pk = _pk(t)
        if len(pk) == 1 and pk[0].name not in row:
            row[pk[0].name] = self.connection.execute(
                insert(t).values(**row).returning(pk[0])).scalar_one()
        else:
            self.connection.execute(insert(t).values(**row))
        key = _key_of(t, row)
        self.ops.append(RowOp("insert", table, key, None, row, row.get("version")))
        return key

    def insert_rows(self, table: str, rows: Iterable[Mapping]) -> list:
        """Insert several rows (one statement per row: a user's handful); returns their keys."""
        return [self.insert(table, row) for row in rows]

    def bulk_inserted(self, table: str, ids) -> None:
        """Record rows a bulk writer (``storage.bulk``) inserted in this transaction."""
        ids = np.asarray(ids, dtype=np.int64)
        if len(ids):
            self.ops.append(BulkInsert(table, ids))

    def update(self, table: str, key, version: int | None, **values) -> dict:
        """Change one row that must still be at ``version``; returns its values before.

        ``version`` None is only for unversioned tables.
        """
        return self.update_rows(table, {key: version}, values).get(key, {})

    def update_rows(self, table: str, versions: Mapping, values: Mapping) -> dict:
        """Set the same ``values`` on every row of ``versions`` (key → version expected).

        Rows already holding the values are left alone (no version bump, no audit row).
        Returns key → values before, for the rows changed.

        Raises
        ------
        StaleEditError
            When any row is missing or at another version; nothing of the edit is written.
        """
        t = table_of(table)
        keys = list(versions)
        if not keys or not values:
            return {}
        current = self._lock(t, keys, [*values])
        versioned = _versioned(t)
        for key in keys:
            row = current.get(key)
            if row is None or (versioned and versions[key] is not None
                               and row["version"] != versions[key]):
                self._refuse(t, key, row is None)
        changed = [k for k in keys if not all(_same(current[k][c], v) for c, v in values.items())]
        if not changed:
            return {}
        sets = dict(values)
        if versioned:
            sets["version"] = t.c.version + 1
        for start in range(0, len(changed), CHUNK):
            chunk = changed[start:start + CHUNK]
            self.connection.execute(update(t).where(self._in(t, chunk)).values(**sets))
        before = {}
        for key in changed:
            before[key] = {c: current[key][c] for c in values}
            version = current[key]["version"] + 1 if versioned else None
            self.ops.append(RowOp("update", table, key, before[key], dict(values), version))
        return before

    def update_each(self, table: str, rows: Mapping) -> dict:
        """Different values per row: ``{key: (version expected, {column: value})}``.

        The rows are locked and checked together, then written with one executemany per set
        of columns (an import's thousands of points stay a few statements). Rows already
        holding their values are left alone. Returns key → values before, for the rows changed.

        Raises
        ------
        StaleEditError
            When any row is missing or at another version; nothing of the edit is written.
        """
        t = table_of(table)
        rows = {key: (version, dict(values)) for key, (version, values) in rows.items() if values}
        if not rows:
            return {}
        keys = list(rows)
        columns = list(dict.fromkeys(c for _, values in rows.values() for c in values))
        current = self._lock(t, keys, columns)
        versioned = _versioned(t)
        for key in keys:
            row, version = current.get(key), rows[key][0]
            if row is None or (versioned and version is not None and row["version"] != version):
                self._refuse(t, key, row is None)
        changed = [k for k in keys
                   if not all(_same(current[k][c], v) for c, v in rows[k][1].items())]
        by_columns: dict[tuple, list] = {}
        for key in changed:
            by_columns.setdefault(tuple(sorted(rows[key][1])), []).append(key)
        pk = _pk(t)
        where = and_(*(c == bindparam(f"_key_{c.name}", type_=c.type) for c in pk))
        for names, group in by_columns.items():
            sets = {c: bindparam(f"_set_{c}", type_=t.c[c].type) for c in names}
            if versioned:
                sets["version"] = t.c.version + 1
            params = [{**{f"_key_{c.name}": v for c, v in zip(
                pk, key if len(pk) > 1 else (key,), strict=True)},
                       **{f"_set_{c}": rows[key][1][c] for c in names}} for key in group]
            self.connection.execute(update(t).where(where).values(**sets), params)
        before = {}
        for key in changed:
            values = rows[key][1]
            before[key] = {c: current[key][c] for c in values}
            version = current[key]["version"] + 1 if versioned else None
            self.ops.append(RowOp("update", table, key, before[key], values, version))
        return before

    def delete(self, table: str, key, version: int | None) -> dict:
        """Delete one row that must still be at ``version``; returns the row as it was."""
        return self.delete_rows(table, {key: version})[key]

    def delete_rows(self, table: str, versions: Mapping) -> dict:
        """Delete rows (key → version expected); returns key → the whole row as it was."""
        t = table_of(table)
        keys = list(versions)
        if not keys:
            return {}
        current = self._lock(t, keys, [c.name for c in t.c])
        versioned = _versioned(t)
        for key in keys:
            row = current.get(key)
            if row is None or (versioned and versions[key] is not None
                               and row["version"] != versions[key]):
                self._refuse(t, key, row is None)
        for start in range(0, len(keys), CHUNK):
            self.connection.execute(delete(t).where(self._in(t, keys[start:start + CHUNK])))
        for key in keys:
            row = current[key]
            self.ops.append(RowOp("delete", table, key, row, None, row.get("version")))
        return current

    def restore(self, table: str, row: Mapping) -> None:
        """Insert again a row an earlier edit deleted (an undo), its version moved on."""
        self.restore_rows(table, [row])

    def restore_rows(self, table: str, rows: Iterable[Mapping]) -> None:
        """Insert again rows an earlier edit deleted (an undo or a redo), versions moved on.

        The rows are checked together and written with one executemany (a redone import's
        thousands of rows stay a few statements).

        Raises
        ------
        StaleEditError
            When a row's key is taken again (the row was re-created since); nothing is written.
        """
        t = table_of(table)
        rows = [dict(row) for row in rows]
        if not rows:
            return
        keys = [_key_of(t, row) for row in rows]
        present = self._lock(t, keys, [])
        for key, row in zip(keys, rows, strict=True):
            if key in present:
                raise StaleEditError(f"{describe_row(table, row, key)}已被重新创建，不能恢复")
        if _versioned(t):
            for row in rows:
                row["version"] = int(row.get("version") or 0) + 1
        self.connection.execute(insert(t), rows)
        self.ops.extend(RowOp("insert", table, key, None, row, row.get("version"))
                        for key, row in zip(keys, rows, strict=True))

    def note(self, action: str, table: str, details: dict) -> None:
        """An audit row that is not a row change (an export, an import's file and counts)."""
        self.notes.append((action, table, details))

    # -- reading inside the transaction
    def _in(self, t: Table, keys: list):
        pk = _pk(t)
        if len(pk) == 1:
            return pk[0].in_(keys)
        return tuple_(*pk).in_([tuple(k) for k in keys])

    def _lock(self, t: Table, keys: list, columns: list[str]) -> dict:
        """The rows of ``keys`` (their ``columns``, version and key), locked until commit."""
        wanted = list(dict.fromkeys([*(c.name for c in _pk(t)), *columns,
                                     *(["version"] if _versioned(t) else [])]))
        rows = {}
        for start in range(0, len(keys), CHUNK):
            query = select(*(t.c[c] for c in wanted)).where(self._in(t, keys[start:start + CHUNK]))
            if self._postgres:
                query = query.with_for_update()
            for row in self.connection.execute(query):
                values = row._asdict()
                rows[_key_of(t, values)] = values
        return rows

    def _refuse(self, t: Table, key, missing: bool):
        raise StaleEditError(stale_message(self.connection, t.name, key, missing))

    # -- finishing (called by edit())
    def _finish(self, edit_id_hint: int | None = None, undoes: int | None = None) -> bool:
        """Write the edit row and its audit rows; False when there was nothing to write."""
        if not self.ops and not self.notes:
            return False
        at = dt.datetime.now().replace(microsecond=0)
        e = Edit.__table__
        edit_id = self.connection.execute(insert(e).values(
            at=at, user_name=self.user, label=self.label, undoes=undoes).returning(e.c.id)
        ).scalar_one()
        key = digest_key(self.connection)
        audit, builder = [], ChangeSetBuilder()
        for op in self.ops:
            if isinstance(op, BulkInsert):
                audit.append(audit_row(edit_id, at, self.user, "insert", op.table, None,
                                       {"rows": len(op.ids), "ids": id_ranges(op.ids)}))
                _record(builder, op.table, "insert", op.ids.tolist(), None)
                continue
            row_id = op.key if isinstance(op.key, int | np.integer) else None
            details = ({"new": safe_values(op.after, key)} if op.action == "insert" else
                       {"old": safe_values(op.before, key), "new": safe_values(op.after, key)}
                       if op.action == "update" else {"old": safe_values(op.before, key)})
            if row_id is None:
                details["key"] = list(op.key)
            audit.append(audit_row(edit_id, at, self.user, op.action, op.table,
                                   None if row_id is None else int(row_id), details))
            _record(builder, op.table, op.action, [op.key], op.after or op.before)
        _compact_bulk_audit(audit)
        for action, table, details in self.notes:
            audit.append(audit_row(edit_id, at, self.user, action, table, None, details))
        write_audit_rows(self.connection, audit)
        if self._postgres:
            self.connection.execute(text("SELECT pg_notify(:channel, :payload)"),
                                    {"channel": NOTIFY_CHANNEL, "payload": str(edit_id)})
        self.changes = builder.build(self.label, edit_id)
        if self.ops:
            self.step = Step(self.label, edit_id, list(self.ops), _final_versions(self.ops))
        return True


def _record(builder: ChangeSetBuilder, table: str, action: str, keys: list, row) -> None:
    """A row change as a change of its entity (child rows change their parent)."""
    if table in CHILD_TABLES:
        parent, column = CHILD_TABLES[table]
        if row is not None and row.get(column) is not None:
            builder.add(parent, "update", int(row[column]))
        return
    builder.add(table, action, [int(k) for k in keys])


def _compact_bulk_audit(audit: list[dict]) -> None:
    """Many single-row inserts of one table (rows of a ledger) become one summary row."""
    inserts: dict[str, list[int]] = {}
    for index, row in enumerate(audit):
        if row["action"] == "insert" and row["row_id"] is not None:
            inserts.setdefault(row["table_name"], []).append(index)
    drop = set()
    for table, indices in inserts.items():
        if len(indices) > BULK_AUDIT:
            ids = np.array([audit[i]["row_id"] for i in indices], dtype=np.int64)
            first = audit[indices[0]]
            audit[indices[0]] = audit_row(first["edit_id"], first["at"], first["user_name"],
                                          "insert", table, None,
                                          {"rows": len(ids), "ids": id_ranges(ids)})
            drop.update(indices[1:])
    audit[:] = [row for i, row in enumerate(audit) if i not in drop]


def _final_versions(ops) -> dict:
    """(table, key) → the version each row has once the edit is done (for the undo check)."""
    versions = {}
    for op in ops:
        if isinstance(op, BulkInsert):
            for row_id in op.ids.tolist():
                versions[(op.table, row_id)] = 1
        elif op.action == "delete":
            versions.pop((op.table, op.key), None)
        elif op.version is not None:
            versions[(op.table, op.key)] = op.version
    return versions


def id_ranges(ids) -> list[list[int]]:
    """Sorted ids as ``[[first, last], …]`` runs (a bulk insert's ids, compactly)."""
    ids = np.unique(np.asarray(ids, dtype=np.int64))
    if not len(ids):
        return []
    breaks = np.flatnonzero(np.diff(ids) != 1)
    starts = np.r_[ids[0], ids[breaks + 1]]
    ends = np.r_[ids[breaks], ids[-1]]
    return [[int(a), int(b)] for a, b in zip(starts, ends, strict=True)]


def expand_ranges(ranges: list) -> np.ndarray:
    """The ids of :func:`id_ranges` runs."""
    if not ranges:
        return np.empty(0, dtype=np.int64)
    return np.concatenate([np.arange(a, b + 1, dtype=np.int64) for a, b in ranges])


def last_change(connection: Connection, table: str, key) -> tuple[str, dt.datetime, str] | None:
    """(user, when, action) of the latest audit row of a row; None when there is none."""
    a, e = AuditLog.__table__, Edit.__table__
    if not isinstance(key, int | np.integer):
        return None
    row = connection.execute(
        select(e.c.user_name, e.c.at, a.c.action).join(e, e.c.id == a.c.edit_id)
        .where((a.c.table_name == table) & (a.c.row_id == int(key)))
        .order_by(a.c.id.desc()).limit(1)).first()
    return None if row is None else (row.user_name, row.at, row.action)


def stale_message(connection: Connection, table: str, key, missing: bool) -> str:
    """"农户“汤福生”已被张三于2026-12-05 10:31修改，本次操作未保存，请刷新后重试"."""
    t = table_of(table)
    row = None if missing else connection.execute(
        select(t).where(_where_key(t, key))).first()
    name = describe_row(table, None if row is None else row._asdict(), key)
    who = last_change(connection, table, key)
    verb = "删除" if missing else "修改"
    if who is None:
        return f"{name}已被他人{verb}，本次操作未保存，请刷新后重试"
    user, at, _ = who
    return f"{name}已被{user}于{at:%Y-%m-%d %H:%M}{verb}，本次操作未保存，请刷新后重试"


@contextmanager
def edit(project, user: str, label: str, undoes: int | None = None) -> Iterator[UnitOfWork]:
    """Open a unit of work on ``project``: committed on leaving, rolled back on any error.

    A unit of work that changed nothing writes nothing (no edit row, no audit row, no step).
    """
    engine = project.engine
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            # Take the write lock now: the version checks and the writes see the same rows,
            # and a second writer waits (busy timeout) instead of failing half-way.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.begin()
        uow = UnitOfWork(connection, user, label)
        try:
            yield uow
            if uow._finish(undoes=undoes):
                connection.commit()
            else:
                connection.rollback()
        except IntegrityError as exc:
            connection.rollback()
            uow.changes, uow.step = ChangeSet(), None
            raise ConflictError(
                f"保存失败，数据与已有记录冲突（{exc.orig}），未写入任何数据") from exc
        except BaseException:
            connection.rollback()
            uow.changes, uow.step = ChangeSet(), None
            raise
