"""The grid rules panel: what breaks DOMAIN §2 and §3, each item linked to the map.

Problems are listed as the check orders them (errors first, the most important rules at the
top); the full 说明 is the cell's tooltip. While a check runs, a progress bar and 取消 replace
the button.
"""

from __future__ import annotations

import pandas as pd
from PyQt6.QtCore import pyqtSignal
from PyQt6.QtGui import QBrush, QColor
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gis_app.ui.panels.table_export import TableExport, view_table

#: Chinese names of the rules `check` reports.
RULE_NAMES = {
    "location_unknown": "位置未知", "invalid_id_number": "证件号码无效",
    "monitored_without_type": "监测对象缺监测类型",
    "type_without_monitoring": "非监测对象有监测类型",
    "monitored_without_helper": "监测对象无结对帮扶人", "members_invalid": "家庭人口数无效",
    "grid_without_worker": "网格无负责人", "worker_over_limit": "网格员超出户数上限",
    "grid_overlap": "网格重叠", "grid_gap": "网格空隙", "grid_outside_village": "网格跨村界",
    "grid_without_village": "网格无所属村", "grid_invalid": "网格几何无效",
    "household_outside_grids": "农户不在任何网格内",
    "household_in_two_grids": "农户同时在两个网格内",
    "household_grid_mismatch": "农户网格与位置不符",
    "household_outside_village": "农户不在登记村内",
}
_HEADERS = ("规则", "说明", "编码")
#: How an error's and a warning's rule name are written.
_SEVERITY_COLOURS = {"error": QColor("#c92a2a"), "warning": QColor("#7a6400")}


class RulesPanel(QWidget):
    """The list of problems; double-click zooms to one."""

    check_requested = pyqtSignal()
    cancel_requested = pyqtSignal()
    zoom_requested = pyqtSignal(float, float)  # lon, lat

    def __init__(self, translate, parent=None):
        super().__init__(parent)
        self.tr_ = translate
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.run = QPushButton()
        self.run.clicked.connect(lambda _checked=False: self.check_requested.emit())
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.cancel = QPushButton()
        self.cancel.clicked.connect(lambda _checked=False: self.cancel_requested.emit())
        self.table = QTableWidget(0, len(_HEADERS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.table.cellDoubleClicked.connect(self._zoom)
        self.export = TableExport(self, translate, lambda: self.tr_("网格规则"),
                                  lambda: view_table(self.table), views=[self.table])
        bar = QHBoxLayout()
        bar.addWidget(self.run)
        bar.addWidget(self.progress, 1)
        bar.addWidget(self.cancel)
        bar.addWidget(self.export.button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(bar)
        layout.addWidget(self.summary)
        layout.addWidget(self.table)
        self.problems: pd.DataFrame | None = None  # None: not checked yet
        self.busy = False
        self.set_idle()
        self.retranslate()

    def retranslate(self) -> None:
        """Button, headers and the list in the current language."""
        self.run.setText(self.tr_("检查网格规则"))
        self.cancel.setText(self.tr_("取消"))
        self.export.retranslate()
        self.table.setHorizontalHeaderLabels([self.tr_(text) for text in _HEADERS])
        if self.busy:
            self.summary.setText(self.tr_("正在检查网格规则…"))
        elif self.problems is not None:
            self.set_problems(self.problems)

    def set_busy(self, done: int, total: int) -> None:
        """A check is running: its progress, and 取消."""
        self.busy = True
        self.run.setEnabled(False)
        self.progress.setMaximum(max(int(total), 1))
        self.progress.setValue(int(done))
        self.progress.show()
        self.cancel.show()
        self.cancel.setEnabled(True)
        self.summary.setText(self.tr_("正在检查网格规则…"))

    def set_idle(self, message: str | None = None) -> None:
        """No check running (``message``: why the last one stopped, e.g. cancelled)."""
        self.busy = False
        self.run.setEnabled(True)
        self.progress.hide()
        self.cancel.hide()
        if message:
            self.summary.setText(message)

    def set_problems(self, problems: pd.DataFrame) -> None:
        """Show the problems of ``check`` (rule, message, code, x, y in lon/lat)."""
        self.problems = problems.reset_index(drop=True)
        names = self.problems["rule"].map(lambda rule: self.tr_(RULE_NAMES.get(rule, rule)))
        severities = self.problems["severity"] if "severity" in self.problems else \
            pd.Series("error", index=self.problems.index)
        kinds = {"error": self.tr_("错误"), "warning": self.tr_("警告")}
        self.table.setRowCount(len(self.problems))
        for row, (name, message, code, severity) in enumerate(zip(
                names, self.problems["message"], self.problems["code"], severities,
                strict=True)):
            message = self.tr_.message(message)  # the finding in the interface language
            for column, value in enumerate((name, message, "" if pd.isna(code) else str(code))):
                item = QTableWidgetItem(value)
                item.setToolTip(value)  # the whole text, however narrow the column
                if column == 0:
                    item.setForeground(QBrush(_SEVERITY_COLOURS.get(severity, QColor("black"))))
                    item.setToolTip(self.tr_("{kind}：{rule}").format(
                        kind=kinds.get(severity, severity), rule=value))
                self.table.setItem(row, column, item)
        counts = names.value_counts(sort=False)
        self.summary.setText("；".join(f"{name} {n}" for name, n in counts.items())
                             or self.tr_("未发现问题"))

    def _zoom(self, row: int, _column: int) -> None:
        record = self.problems.iloc[row]
        if pd.notna(record["x"]) and pd.notna(record["y"]):
            self.zoom_requested.emit(float(record["x"]), float(record["y"]))
