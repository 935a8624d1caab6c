"""One undo stack per session: undoing is an edit like any other.

A step records rows, not commands (what an edit inserted, the values it overwrote, the rows it
deleted). Undoing it is a unit of work that expects every row at the version the edit left it:
if someone changed a row since, the undo is refused with their name and the time, and nothing
is written. A successful undo moves the versions on (never back), and the steps below learn
the new versions of the rows they share with it.

Redo is the same once more: an undo's own step (the rows it wrote) goes on the redo stack, and
redoing takes that step back in one unit of work, checked against the versions the undo left.
A new edit clears the redo stack.
"""

from __future__ import annotations

from gis_app.core.changes import ChangeSet
from gis_app.storage.uow import BulkInsert, Step, _final_versions, edit


class UndoStack:
    """Steps of one session's edits, the latest last, and the steps of undos to redo."""

    def __init__(self) -> None:
        self._steps: list[Step] = []
        #: Steps of undos (labelled as the edit they took back), the next to redo last.
        self._redo: list[Step] = []

    def __len__(self) -> int:
        return len(self._steps)

    def push(self, step: Step | None) -> None:
        """Record a committed edit's step (None, a no-op, is ignored).

        A new edit clears what could be redone: its rows may build on the undone state.
        """
        if step is not None and step.ops:
            self._steps.append(step)
            self._redo.clear()

    def can_undo(self) -> bool:
        """True when there is an edit to undo."""
        return bool(self._steps)

    def can_redo(self) -> bool:
        """True when there is an undone edit to redo."""
        return bool(self._redo)

    def label(self) -> str | None:
        """Label of the edit :meth:`undo` would revert, None when there is none."""
        return self._steps[-1].label if self._steps else None

    def redo_label(self) -> str | None:
        """Label of the edit :meth:`redo` would make again, None when there is none."""
        return self._redo[-1].label if self._redo else None

    def clear(self) -> None:
        """Forget every step (another project was opened)."""
        self._steps.clear()
        self._redo.clear()

    def undo(self, project, user: str) -> ChangeSet | None:
        """Revert the latest step in one unit of work; its change set (None: nothing to undo).

        Raises
        ------
        StaleEditError
            When a row the step changed has been changed by someone since; the step stays.
        """
        if not self._steps:
            return None
        return _take_back(project, user, self._steps, self._redo, "撤销")

    def redo(self, project, user: str) -> ChangeSet | None:
        """Make the latest undone edit again in one unit of work (None: nothing to redo).

        Raises
        ------
        StaleEditError
            When a row the undo wrote has been changed by someone since; the step stays.
        """
        if not self._redo:
            return None
        return _take_back(project, user, self._redo, self._steps, "重做")


def _take_back(project, user: str, source: list[Step], target: list[Step],
               verb: str) -> ChangeSet:
    """Revert ``source``'s latest step; its own step goes on ``target``, named as the edit."""
    step = source[-1]
    with edit(project, user, f"{verb}：{step.label}", undoes=step.edit_id) as uow:
        revert(uow, step)
    source.pop()  # only once the unit of work has committed
    for row, version in _final_versions(uow.ops).items():
        for lower in reversed(source):  # the next to revert that shares the row expects it now
            if row in lower.expected:
                lower.expected[row] = version
                break
    if uow.step is not None:
        uow.step.label = step.label
        target.append(uow.step)
    return uow.changes


def _net_effect(step: Step) -> list[tuple[str, str, object, dict | None]]:
    """(kind, table, key, values) per row, latest-changed first.

    kind: ``inserted`` (delete it again), ``updated`` (values: the earliest values before) or
    ``deleted`` (values: the whole row as it was before the step touched it).
    """
    state: dict[tuple, dict] = {}
    for index, op in enumerate(step.ops):
        if isinstance(op, BulkInsert):
            continue
        row = (op.table, op.key)
        seen = state.get(row)
        if seen is None:
            kind = {"insert": "inserted", "update": "updated", "delete": "deleted"}[op.action]
            seen = state[row] = {"kind": kind, "values": dict(op.before or {})}
        elif op.action == "update" and seen["kind"] == "updated":
            for column, value in op.before.items():
                seen["values"].setdefault(column, value)
        elif op.action == "delete":
            if seen["kind"] == "inserted":
                seen["kind"] = "none"
            elif seen["kind"] == "updated":
                seen.update(kind="deleted", values={**op.before, **seen["values"]})
        elif op.action == "insert" and seen["kind"] == "deleted":
            seen["kind"] = "updated"  # deleted and inserted again: put the old row back
        seen["last"] = index
    ordered = sorted(state.items(), key=lambda item: -item[1]["last"])
    return [(s["kind"], table, key, s["values"]) for (table, key), s in ordered
            if s["kind"] != "none"]


def revert(uow, step: Step) -> None:
    """Write, in ``uow``, the rows that take ``step`` back (latest change first)."""
    effects = _net_effect(step)
    index = 0
    while index < len(effects):  # runs of one kind, table and old values go as one statement
        kind, table, key, values = effects[index]
        run = [key]
        index += 1
        while index < len(effects) and effects[index][:2] == (kind, table) and \
                (kind != "updated" or effects[index][3] == values):
            run.append(effects[index][2])
            index += 1
        if kind == "inserted":
            uow.delete_rows(table, {k: step.expected.get((table, k)) for k in run})
        elif kind == "updated":
            uow.update_rows(table, {k: step.expected.get((table, k)) for k in run}, values)
        else:
            uow.restore_rows(table, [row for _, _, _, row in effects[index - len(run):index]])
    for op in reversed(step.ops):
        if isinstance(op, BulkInsert):
            uow.delete_rows(op.table, {int(i): step.expected.get((op.table, int(i)), 1)
                                       for i in op.ids})
