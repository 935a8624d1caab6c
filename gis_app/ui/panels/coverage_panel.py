"""Coverage of the centralized investigation as a table per level, the largest gap first."""

from __future__ import annotations

import pandas as pd
from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

LEVELS = (("乡镇", 1), ("村", 2), ("三级网格", 3), ("网格员", "worker"))
_COLUMNS = (("name", "名称"), ("households", "户数"), ("home", "入户"), ("remote", "电话微信"),
            ("noncompliant", "不合规"), ("unchecked", "未排查"), ("coverage", "覆盖率"))


class CoveragePanel(QWidget):
    """Level chooser and table; double-click a unit to zoom to it."""

    level_changed = pyqtSignal(object)  # 1, 2, 3 or "worker"
    zoom_requested = pyqtSignal(str)  # unit code

    def __init__(self, translate, parent=None):
        super().__init__(parent)
        self.tr_ = translate
        self.level = QComboBox()
        for label, value in LEVELS:
            self.level.addItem(label, value)
        self.level.setCurrentIndex(2)
        self.level.currentIndexChanged.connect(
            lambda _i: self.level_changed.emit(self.level.currentData()))
        self.summary = QLabel()
        self.table = QTableWidget(0, len(_COLUMNS))
        self.table.setHorizontalHeaderLabels([label for _, label in _COLUMNS])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.cellDoubleClicked.connect(self._zoom)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("层级"))
        bar.addWidget(self.level)
        bar.addWidget(self.summary, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(bar)
        layout.addWidget(self.table)
        self.frame = pd.DataFrame()

    def set_table(self, frame: pd.DataFrame) -> None:
        """Show a coverage table (code, name, households, home, remote, …, coverage)."""
        self.frame = frame.sort_values("coverage", kind="stable").reset_index(drop=True)
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(self.frame))
        for row, record in enumerate(self.frame.to_dict("records")):  # units, not households
            for column, (key, _label) in enumerate(_COLUMNS):
                value = record[key]
                item = QTableWidgetItem()
                if key == "coverage":
                    item.setData(Qt.ItemDataRole.DisplayRole, f"{value:.1%}")
                else:
                    shown = value if key == "name" else int(value)
                    item.setData(Qt.ItemDataRole.DisplayRole, shown)
                item.setData(Qt.ItemDataRole.UserRole, record.get("code"))
                self.table.setItem(row, column, item)
        households = int(self.frame["households"].sum()) if len(self.frame) else 0
        covered = int((self.frame["home"] + self.frame["remote"]).sum()) if len(self.frame) else 0
        self.summary.setText(f"合计 {households} 户，已覆盖 {covered} 户"
                             f"（{covered / households:.1%}）" if households else "没有排查任务")

    def _zoom(self, row: int, _column: int) -> None:
        code = self.table.item(row, 0).data(Qt.ItemDataRole.UserRole)
        if code:
            self.zoom_requested.emit(str(code))
