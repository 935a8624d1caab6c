"""Change sets: which rows of which entities an edit inserted, updated or deleted.

Every edit (a service call, an undo, another process's commit) ends in one :class:`ChangeSet`;
the project session re-reads exactly those rows and tells the views. Entities are named by the
store's tables (``household``, ``grid``, ``worker`` …); the session turns them into events, so
no view has to ask which tables changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

#: Tables whose rows belong to another entity: a change to one of them is an update of the
#: parent row named by the column (a campaign's milestones and townships are the campaign).
CHILD_TABLES: dict[str, tuple[str, str]] = {
    "campaign_milestone": ("campaign", "campaign_id"),
    "campaign_township": ("campaign", "campaign_id"),
}


@dataclass(frozen=True)
class EntityChange:
    """The ids of one entity's rows an edit inserted, updated and deleted."""

    inserted: frozenset[int] = frozenset()
    updated: frozenset[int] = frozenset()
    deleted: frozenset[int] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.inserted or self.updated or self.deleted)

    @property
    def ids(self) -> frozenset[int]:
        """Every id the change touched."""
        return self.inserted | self.updated | self.deleted

    @property
    def present(self) -> frozenset[int]:
        """Ids that exist after the change (inserted or updated, not deleted)."""
        return (self.inserted | self.updated) - self.deleted

    def then(self, later: EntityChange) -> EntityChange:
        """The change followed by ``later``: a row inserted then deleted was never there."""
        a, b = self, later
        inserted = (a.inserted - b.deleted) | (b.inserted - a.deleted - a.updated)
        deleted = (a.deleted - b.inserted) | (b.deleted - a.inserted)
        # Deleted, then inserted again (an undo of a delete): the row is still there, changed.
        updated = ((a.updated | b.updated) - inserted - deleted) | (a.deleted & b.inserted)
        return EntityChange(frozenset(inserted), frozenset(updated), frozenset(deleted))


@dataclass(frozen=True)
class ChangeSet:
    """What one edit changed, entity by entity.

    Attributes
    ----------
    entities : mapping of str to EntityChange
        Table name → the ids it changed; entities without changes are absent.
    label : str
        What the user did (Chinese), e.g. "拆分网格第3网格为2个"; empty for a refresh.
    edit_id : int or None
        The store's ``edit`` row of the change (None: nothing was written).
    """

    entities: Mapping[str, EntityChange] = field(default_factory=dict)
    label: str = ""
    edit_id: int | None = None

    def __bool__(self) -> bool:
        return any(self.entities.values())

    def __getitem__(self, entity: str) -> EntityChange:
        return self.entities.get(entity, EntityChange())

    def __contains__(self, entity: str) -> bool:
        return bool(self.entities.get(entity))

    def then(self, later: ChangeSet) -> ChangeSet:
        """The change set followed by ``later`` (one refresh for both)."""
        names = set(self.entities) | set(later.entities)
        merged = {n: self[n].then(later[n]) for n in names}
        return ChangeSet({n: c for n, c in merged.items() if c}, later.label or self.label,
                         later.edit_id or self.edit_id)

    @classmethod
    def of(cls, label: str = "", edit_id: int | None = None, **entities) -> ChangeSet:
        """Build from ``entity=(inserted, updated, deleted)`` id iterables (tests, callers)."""
        return cls({name: EntityChange(*(frozenset(int(i) for i in ids) for ids in parts))
                    for name, parts in entities.items()}, label, edit_id)


class ChangeSetBuilder:
    """Collects row changes as an edit makes them, then freezes into a :class:`ChangeSet`.

    Each :meth:`add` costs what its own ids cost (an import's thousands of single-row changes
    stay linear): the sets are kept mutable, with :meth:`EntityChange.then`'s rules applied to
    one action at a time.
    """

    def __init__(self) -> None:
        self._changes: dict[str, tuple[set[int], set[int], set[int]]] = {}

    def add(self, table: str, action: str, ids: Iterable[int] | int) -> None:
        """Record ``action`` (insert, update, delete) on rows of ``table``."""
        ids = {int(ids)} if isinstance(ids, int) else set(map(int, ids))
        if not ids:
            return
        if action not in ("insert", "update", "delete"):
            raise KeyError(action)
        inserted, updated, deleted = self._changes.setdefault(table, (set(), set(), set()))
        if action == "insert":
            back = deleted & ids  # deleted, then inserted again: still there, changed
            inserted |= ids - deleted - updated
            deleted -= ids
            updated |= back
        elif action == "update":
            updated |= ids - inserted - deleted
        else:
            gone = ids - inserted  # inserted by this edit, then deleted: never there
            inserted -= ids
            updated -= ids
            deleted |= gone

    def build(self, label: str = "", edit_id: int | None = None) -> ChangeSet:
        """The change set so far."""
        changes = {n: EntityChange(frozenset(i), frozenset(u), frozenset(d))
                   for n, (i, u, d) in self._changes.items()}
        return ChangeSet({n: c for n, c in changes.items() if c}, label, edit_id)
