"""导出到Excel…: a dock's table written as it shows, by one action every dock shares.

The rows are those in view (a search hides rows: they are not written), in the order shown
(after the user's sort), under the headers shown (the interface's language); each cell is the
text on screen, so personal data is masked as it is there. Numbers go to Excel as numbers
(:mod:`gis_app.services.table_export`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import QAbstractItemView, QFileDialog, QMessageBox, QToolButton, QWidget

from gis_app.services.table_export import shown_table, write_shown_table

EXPORT_TEXT = "导出到Excel…"


def view_table(view: QAbstractItemView) -> tuple[pd.DataFrame, dict[str, str]]:
    """What ``view`` shows: its visible rows and columns as a typed frame and number formats.

    A column is numeric when its cells are aligned right (the view's numbers) or hold numbers.
    """
    model = view.model()
    columns = [c for c in range(model.columnCount()) if not view.isColumnHidden(c)]
    rows = [r for r in range(model.rowCount()) if not view.isRowHidden(r)]
    display, align = Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.TextAlignmentRole
    headers = [str(model.headerData(c, Qt.Orientation.Horizontal, display) or "")
               for c in columns]
    cells = [[model.data(model.index(r, c), display) for c in columns] for r in rows]
    numeric = set()
    for position, column in enumerate(columns):
        alignment = model.data(model.index(rows[0], column), align) if rows else None
        flags = Qt.AlignmentFlag(alignment) if alignment is not None else None
        if flags is not None and flags & Qt.AlignmentFlag.AlignRight:
            numeric.add(position)
    return shown_table(headers, cells, numeric)


class TableExport:
    """The 导出到Excel… action of a dock: in its table's context menu and as a tool button.

    Parameters
    ----------
    parent : QWidget
        The dock's panel (the file dialog's parent).
    translate : callable
        The window's translator.
    title : callable
        The title row's text, as shown now (the dock's name, its level…).
    table : callable
        ``() -> (frame, number_formats)``: the table as shown (:func:`view_table`).
    views : sequence of QWidget
        Widgets whose context menu offers the action (the table view).
    """

    def __init__(self, parent: QWidget, translate, title: Callable[[], str],
                 table: Callable[[], tuple[pd.DataFrame, dict[str, str]]], views=()):
        self.parent, self.tr_, self.title, self.table = parent, translate, title, table
        self.action = QAction(parent)
        self.action.triggered.connect(lambda _checked=False: self.export())
        self.button = QToolButton()
        self.button.setDefaultAction(self.action)
        for view in views:
            view.addAction(self.action)
            view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.retranslate()

    def retranslate(self) -> None:
        """The action's text in the interface language."""
        self.action.setText(self.tr_(EXPORT_TEXT))
        self.action.setIconText(self.tr_(EXPORT_TEXT))  # the button: with its "…" (a dialog)

    def export(self, path: str | None = None) -> str | None:
        """Ask for a file (unless ``path``) and write the table as shown; the path, or None."""
        title = self.title()
        if not path:
            path, _ = QFileDialog.getSaveFileName(self.parent, self.tr_(EXPORT_TEXT),
                                                  f"{title}.xlsx", "Excel (*.xlsx)")
        if not path:
            return None
        if Path(path).suffix.lower() != ".xlsx":
            path = f"{path}.xlsx"
        frame, formats = self.table()
        try:  # a dock's table: hundreds or thousands of rows, written in a moment
            write_shown_table(frame, path, title, formats)
        except OSError as exc:
            QMessageBox.warning(self.parent, self.tr_(EXPORT_TEXT),
                                self.tr_("无法写入 {path}").format(path=path) + f"\n{exc}")
            return None
        return path
