"""What every import returns: the rows written and the warnings, by file."""

from __future__ import annotations

from dataclasses import dataclass, field

from gis_app.core.changes import ChangeSet
from gis_app.io.errors import InputFileError, Issue

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
    #: Of ``written``, the rows that replaced stored rows of the same code (``update=True``).
    updated: int = 0
    #: Rows of the file already stored with the same values (``update=True``): left alone.
    unchanged: int = 0

    def as_dict(self) -> dict:
        """JSON-ready summary."""
        return {
            "kind": self.kind,
            "file": self.file,
            "written": self.written,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "warnings": [str(w) for w in self.warnings],
        }


class ExistingCodesError(InputFileError):
    """The file holds codes already in the project; nothing was written.

    Importing again with ``update=True`` replaces those rows by code (one unit of work, the
    old values in the audit log, one undo step).

    Attributes
    ----------
    codes : list of str
        The codes already stored, in file order.
    what : str
        What they are, in Chinese (灾害隐患, 安置点).
    """

    def __init__(self, file: str, what: str, codes: list[str]):
        self.codes = list(codes)
        self.what = what
        shown = "、".join(self.codes[:10]) + ("等" if len(self.codes) > 10 else "")
        super().__init__([Issue(
            file, None, "编码",
            f"项目中已有{len(self.codes)}个相同编码的{what}：{shown}。如为新一期调查，可按编码"
            "更新（替换其几何图形和属性，原值记入审计日志，可撤销）：命令行加 --update，"
            "窗口中在导入时选择“按编码更新”")])
