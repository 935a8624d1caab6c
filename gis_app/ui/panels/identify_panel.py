"""The identify panel: a clicked feature's attributes in the interface language, masked."""

from __future__ import annotations

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import (
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)


class IdentifyPanel(QWidget):
    """Field/value table of one feature; for a household also its visit status and a button."""

    record_requested = pyqtSignal(int)  # household id

    def __init__(self, translate, parent=None):
        super().__init__(parent)
        self.tr_ = translate
        self.title = QLabel()
        self.title.setStyleSheet("font-weight: bold; padding: 4px;")
        self.table = QTableWidget(0, 2)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.title)
        layout.addWidget(self.table)
        self.household_id: int | None = None
        self.visit_status = QLabel()
        self.record_button = QPushButton()
        self.record_button.clicked.connect(
            lambda: self.record_requested.emit(self.household_id))
        layout.addWidget(self.visit_status)
        layout.addWidget(self.record_button)
        self.retranslate()
        self.set_household(None)

    def retranslate(self) -> None:
        """Header and button in the current language."""
        self.table.setHorizontalHeaderLabels([self.tr_("字段"), self.tr_("值")])
        self.record_button.setText(self.tr_("录入走访记录"))

    def show_feature(self, title: str, pairs: list[tuple[str, str]]) -> None:
        """Show ``pairs`` of (field label, value text)."""
        self.title.setText(title)
        self.table.setRowCount(len(pairs))
        for row, (label, value) in enumerate(pairs):
            self.table.setItem(row, 0, QTableWidgetItem(label))
            self.table.setItem(row, 1, QTableWidgetItem(value))
        self.table.resizeRowsToContents()

    def set_household(self, household_id: int | None, status: str = "") -> None:
        """Offer the visit form for the household shown (None: the feature is not one)."""
        self.household_id = household_id
        self.visit_status.setText(status)
        self.visit_status.setVisible(household_id is not None and bool(status))
        self.record_button.setVisible(household_id is not None)

    def values(self) -> dict[str, str]:
        """What the panel shows, field label → value (for tests and copy)."""
        return {
            self.table.item(r, 0).text(): self.table.item(r, 1).text()
            for r in range(self.table.rowCount())
        }
