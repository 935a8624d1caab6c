"""A read-only table model of texts prepared at once: Qt asks only for the rows on screen.

The exposure and clue docks may list tens of thousands of rows (a county's level-3 grids ×
kinds × levels, a flood's clues); a QTableWidget would build an item per cell up front. Here
the panel hands over the texts as one array, with the rows to colour and the columns to align
right, and the view reads what it draws.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PyQt6.QtGui import QBrush, QColor

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class FrameModel(QAbstractTableModel):
    """Texts by row and column, headers, a colour for chosen rows, first-column tooltips."""

    def __init__(self, headers: list[str], parent=None):
        super().__init__(parent)
        self._headers = list(headers)
        self._texts = np.empty((0, len(headers)), dtype=object)
        self._marked = np.zeros(0, dtype=bool)
        self._tips: np.ndarray | None = None
        self._right: set[int] = set()
        self._brush = QBrush(QColor("#c92a2a"))

    def set_headers(self, headers: list[str]) -> None:
        """Header texts (the interface's language)."""
        self._headers = list(headers)
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(self._headers) - 1)

    def set_rows(self, texts, marked=None, tips=None, right: set[int] | None = None,
                 colour: str = "#c92a2a") -> None:
        """Replace the rows.

        Parameters
        ----------
        texts : array-like of str, shape (rows, columns)
        marked : array-like of bool, optional
            Rows written in ``colour`` (overdue clues).
        tips : array-like of str, optional
            The first column's tooltips.
        right : set of int, optional
            Columns aligned right (numbers).
        """
        self.beginResetModel()
        self._texts = np.asarray(texts, dtype=object).reshape(-1, len(self._headers))
        rows = len(self._texts)
        self._marked = np.zeros(rows, dtype=bool) if marked is None else \
            np.asarray(marked, dtype=bool)
        self._tips = None if tips is None else np.asarray(tips, dtype=object)
        self._right = set(right or ())
        self._brush = QBrush(QColor(colour))
        self.endResetModel()

    def text(self, row: int, column: int) -> str:
        """The text shown in a cell."""
        return str(self._texts[row, column])

    def column(self, column: int) -> list[str]:
        """A column's texts, top to bottom."""
        return [str(v) for v in self._texts[:, column]]

    # -- QAbstractTableModel
    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802, B008 - Qt override
        return 0 if parent.isValid() else len(self._texts)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802, B008 - Qt override
        return 0 if parent.isValid() else len(self._headers)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):  # noqa: D102 - Qt override
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return str(self._texts[row, column])
        if role == Qt.ItemDataRole.ToolTipRole and column == 0 and self._tips is not None:
            return str(self._tips[row]) or None
        if role == Qt.ItemDataRole.ForegroundRole and self._marked[row]:
            return self._brush
        if role == Qt.ItemDataRole.TextAlignmentRole and column in self._right:
            return _RIGHT
        return None

    def headerData(self, section, orientation,  # noqa: N802 - Qt override
                   role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal \
                and 0 <= section < len(self._headers):
            return self._headers[section]
        return None
