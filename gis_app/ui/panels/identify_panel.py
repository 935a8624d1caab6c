"""The identify panel: a clicked feature's attributes in the interface language, masked."""

from __future__ import annotations

from PyQt6.QtWidgets import (
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)


class IdentifyPanel(QWidget):
    """Field/value table of one feature."""

    def __init__(self, translate, parent=None):
        super().__init__(parent)
        self.tr_ = translate
        self.title = QLabel()
        self.title.setStyleSheet("font-weight: bold; padding: 4px;")
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels([translate("字段"), translate("值")])
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.title)
        layout.addWidget(self.table)

    def show_feature(self, title: str, pairs: list[tuple[str, str]]) -> None:
        """Show ``pairs`` of (field label, value text)."""
        self.title.setText(title)
        self.table.setRowCount(len(pairs))
        for row, (label, value) in enumerate(pairs):
            self.table.setItem(row, 0, QTableWidgetItem(label))
            self.table.setItem(row, 1, QTableWidgetItem(value))
        self.table.resizeRowsToContents()

    def values(self) -> dict[str, str]:
        """What the panel shows, field label → value (for tests and copy)."""
        return {
            self.table.item(r, 0).text(): self.table.item(r, 1).text()
            for r in range(self.table.rowCount())
        }
