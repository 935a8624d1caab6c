"""What every import returns: the rows written and the warnings, by file."""

from __future__ import annotations

from dataclasses import dataclass, field

from gis_app.core.changes import ChangeSet
from gis_app.io.errors import Issue

#: Files read as an annex-2 ledger (other extensions are vector layers).
LEDGER_SUFFIXES = (".xlsx", ".xlsm", ".csv", ".xls")


@dataclass
class ImportReport:
    """What an import wrote and what it warned about."""

    kind: str
    file: str
    written: int
    warnings: list[Issue] = field(default_factory=list)
    #: Ids of the rows written, where a window may offer to take them back (visit records).
    inserted_ids: list[int] = field(default_factory=list)
    #: What the import changed (the session has re-read it already).
    changes: ChangeSet = field(default_factory=ChangeSet)

    def as_dict(self) -> dict:
        """JSON-ready summary."""
        return {
            "kind": self.kind,
            "file": self.file,
            "written": self.written,
            "warnings": [str(w) for w in self.warnings],
        }
