"""Problems found in input files, each naming the file, the sheet row and the Chinese field."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]

#: How many issues ``str(InputFileError)`` lists before summarising.
SHOWN_ISSUES = 5


@dataclass(frozen=True)
class Issue:
    """One problem in an input file, located as the user sees it.

    Attributes
    ----------
    file : str
        File name as shown to the user (usually the base name).
    row : int or None
        Sheet row number as Excel shows it (1-based), or feature number for vector files.
    field : str or None
        Chinese column header (or ``"几何图形"`` for geometries).
    message : str
        Chinese explanation.
    severity : {"error", "warning"}
        Errors stop the import; warnings are reported alongside the data.
    """

    file: str
    row: int | None
    field: str | None
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" 第{self.row}行"
        if self.field:
            where += f"【{self.field}】"
        return f"{where}: {self.message}"

    @property
    def is_error(self) -> bool:
        """True for error-severity issues."""
        return self.severity == "error"


class InputFileError(Exception):
    """A file could not be imported; ``issues`` lists every problem found.

    Parameters
    ----------
    issues : iterable of Issue
        The problems; at least one has error severity.
    """

    def __init__(self, issues: Iterable[Issue]):
        self.issues: list[Issue] = list(issues)
        super().__init__(self._summary())

    @property
    def errors(self) -> list[Issue]:
        """Only the error-severity issues."""
        return [issue for issue in self.issues if issue.is_error]

    def _summary(self) -> str:
        errors = self.errors or self.issues
        lines = [str(issue) for issue in errors[:SHOWN_ISSUES]]
        prefix = "…" if len(errors) > SHOWN_ISSUES else ""
        lines.append(f"{prefix}共{len(errors)}处问题")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self._summary()


def sort_issues(issues: Iterable[Issue], field_order: Iterable[str] = ()) -> list[Issue]:
    """Sort issues by row, then by the column order given, file-level issues first.

    Parameters
    ----------
    issues : iterable of Issue
        Issues to sort.
    field_order : iterable of str
        Field names in the order of the columns of the file.

    Returns
    -------
    list of Issue
        Sorted copy.
    """
    order = {name: i for i, name in enumerate(field_order)}
    return sorted(
        issues,
        key=lambda it: (-1 if it.row is None else it.row, order.get(it.field or "", -1)),
    )


def raise_if_errors(issues: Iterable[Issue]) -> list[Issue]:
    """Raise :class:`InputFileError` if any issue is an error; otherwise return the warnings.

    Parameters
    ----------
    issues : iterable of Issue
        Everything found while reading a file.

    Returns
    -------
    list of Issue
        The warnings, when there is no error.

    Raises
    ------
    InputFileError
        When at least one issue has error severity (all issues are attached).
    """
    issues = list(issues)
    if any(issue.is_error for issue in issues):
        raise InputFileError(issues)
    return issues


def file_error(file: str, message: str) -> InputFileError:
    """Build an :class:`InputFileError` about the whole file (no row, no field)."""
    return InputFileError([Issue(file, None, None, message, "error")])
