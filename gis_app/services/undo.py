"""One undo stack shared by every editing service of a window.

A step records rows, not commands: what a change inserted, the values it overwrote and the rows
it deleted. Undoing it is one transaction that puts those rows back, whatever service made it,
so a worker assignment and a grid split made one after the other are undone in reverse order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import groupby

from sqlalchemy import Connection, Table, delete, insert, update

from gis_app.storage.audit import log_change

#: Ids per ``IN (…)`` list, within every database's limit on bound parameters.
CHUNK = 900


@dataclass
class Step:
    """One undoable change.

    Attributes
    ----------
    label : str
        Shown to the user (Chinese), e.g. "拆分网格 …".
    inserted : list of (Table, int)
        Rows the change inserted; deleted again on undo.
    updated : list of (Table, int, dict)
        Rows it changed, with their values before (only the columns it changed).
    deleted : list of (Table, dict)
        Rows it deleted, whole; inserted again on undo.
    """

    label: str
    inserted: list[tuple[Table, int]] = field(default_factory=list)
    updated: list[tuple[Table, int, dict]] = field(default_factory=list)
    deleted: list[tuple[Table, dict]] = field(default_factory=list)


class UndoStack:
    """Steps of one window's editing session, the latest last."""

    def __init__(self) -> None:
        self._steps: list[Step] = []

    def __len__(self) -> int:
        return len(self._steps)

    def push(self, step: Step) -> None:
        """Record a change that has been committed."""
        self._steps.append(step)

    def can_undo(self) -> bool:
        """True when there is a change to undo."""
        return bool(self._steps)

    def label(self) -> str | None:
        """Label of the step :meth:`undo` would revert, None when there is none."""
        return self._steps[-1].label if self._steps else None

    def tables(self) -> set[str]:
        """Names of the tables the step :meth:`undo` would revert touches (what to redraw)."""
        if not self._steps:
            return set()
        step = self._steps[-1]
        return {table.name for table, *_ in (*step.inserted, *step.updated, *step.deleted)}

    def undo(self, project, user: str) -> str | None:
        """Revert the latest step in one transaction (one audit row "undo"); returns its label.

        Deleted rows come back first, since the restored values of changed rows may point at
        them (households of a merged-away grid); inserted rows go last, once nothing restored
        points at them any more. A row whose saved values include ``version`` gets it back
        (it is then exactly the row read before the change); otherwise its version moves on.
        """
        if not self._steps:
            return None
        step = self._steps[-1]
        with project.engine.begin() as connection:
            for table, row in reversed(step.deleted):  # children were deleted before parents
                connection.execute(insert(table).values(**row))
            _restore(connection, step.updated)
            # Latest first; a run of one table's rows (an import) goes in chunked DELETEs.
            for table, rows in groupby(reversed(step.inserted), key=lambda row: row[0]):
                ids = [row_id for _, row_id in rows]
                for start in range(0, len(ids), CHUNK):
                    connection.execute(delete(table).where(
                        table.c.id.in_(ids[start:start + CHUNK])))
            tables = [t.name for t, *_ in (*step.updated, *step.inserted, *step.deleted)]
            log_change(connection, "undo", tables[0] if tables else "", None,
                       {"step": step.label}, user)
        self._steps.pop()  # only once the transaction has committed
        return step.label


def _restore(connection: Connection, updated: list[tuple[Table, int, dict]]) -> None:
    """Put back the values before of every changed row, one UPDATE per distinct set of values.

    A row changed twice in one step gets its earliest values. Rows sharing the same values
    before (the households a split moved out of one grid) share one ``UPDATE … WHERE id IN``.
    """
    earliest: dict[tuple[Table, int], dict] = {}
    for table, row_id, before in reversed(updated):
        earliest.setdefault((table, row_id), {}).update(before)
    groups: dict[tuple, tuple[dict, list[int]]] = {}
    for (table, row_id), before in earliest.items():
        try:
            key = (table, tuple(sorted(before.items())))
            hash(key)
        except TypeError:  # an unhashable value: a statement of its own
            key = (table, row_id)
        groups.setdefault(key, (before, []))[1].append(row_id)
    for (table, _), (before, ids) in groups.items():
        values = dict(before)
        if "version" in table.c and "version" not in values:
            values["version"] = table.c.version + 1
        for start in range(0, len(ids), CHUNK):
            connection.execute(update(table).where(table.c.id.in_(ids[start:start + CHUNK]))
                               .values(**values))
