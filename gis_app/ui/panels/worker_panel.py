"""The worker roster: who covers which grids and how many households; drag a worker onto the map."""

from __future__ import annotations

import pandas as pd
from PyQt6.QtCore import QMimeData, Qt, pyqtSignal
from PyQt6.QtGui import QDrag
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gis_app.core.codes import WorkerRole
from gis_app.core.fields import display_value

WORKER_MIME = "application/x-gis-app-worker"
_COLUMNS = (("name", "姓名"), ("roles", "网格职务"), ("unit", "工作单位"), ("phone", "联系电话"),
            ("grids", "负责网格"), ("households", "户数"), ("monitored", "监测户"),
            ("persons", "人数"), ("state", "状态"))


class _DraggableTable(QTableWidget):
    """Rows drag out as a worker id (dropped on a grid of the map to assign)."""

    def startDrag(self, actions):  # noqa: N802 - Qt override
        row = self.currentRow()
        if row < 0:
            return
        mime = QMimeData()
        mime.setData(WORKER_MIME, str(self.item(row, 0).data(Qt.ItemDataRole.UserRole)).encode())
        drag = QDrag(self)
        drag.setMimeData(mime)
        drag.exec(Qt.DropAction.CopyAction)


class WorkerPanel(QWidget):
    """Roster table with the actions a grid captain needs."""

    add_requested = pyqtSignal()
    edit_requested = pyqtSignal(int)  # worker id
    retire_requested = pyqtSignal(int)
    assign_requested = pyqtSignal(list, str)  # worker ids, role
    unassign_requested = pyqtSignal(list)  # worker ids
    visit_list_requested = pyqtSignal(int)  # worker id

    def __init__(self, translate, parent=None):
        super().__init__(parent)
        self.tr_ = translate
        self.table = _DraggableTable(0, len(_COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setDragEnabled(True)
        self.table.setSortingEnabled(True)
        self.table.doubleClicked.connect(self._edit)
        self.role = QComboBox()
        for role in WorkerRole:
            self.role.addItem(role.value)
        self.role.setCurrentText(WorkerRole.LEVEL3_WORKER.value)
        buttons = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}  # by Chinese text
        for text, slot in (("添加…", self.add_requested.emit),
                           ("编辑…", self._edit),
                           ("退出", self._retire),
                           ("分配到所选网格", self._assign),
                           ("取消分配所选网格", self._unassign),
                           ("走访清单…", self._visit_list)):
            button = QPushButton()
            button.clicked.connect(slot)
            buttons.addWidget(button)
            self.buttons[text] = button
        buttons.addWidget(self.role)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(buttons)
        layout.addWidget(self.table)
        self.retranslate()

    def retranslate(self) -> None:
        """Buttons and headers in the current language (rows follow on :meth:`set_roster`)."""
        for text, button in self.buttons.items():
            button.setText(self.tr_(text))
        self.table.setHorizontalHeaderLabels([self.tr_(label) for _, label in _COLUMNS])

    def set_roster(self, roster: pd.DataFrame, unmask: bool) -> None:
        """Show the roster (active workers first)."""
        self.table.setSortingEnabled(False)
        roster = roster.sort_values(["active", "households"], ascending=[False, False])
        self.table.setRowCount(len(roster))
        for row, record in enumerate(roster.itertuples()):  # hundreds of workers at most
            values = {"name": record.name, "roles": record.roles, "unit": record.unit or "",
                      "phone": display_value("phone", record.phone, unmask),
                      "grids": record.grids, "households": record.households,
                      "monitored": record.monitored, "persons": record.persons,
                      "state": self.tr_("在岗") if record.active
                      else self.tr_("已退出（{day}）").format(day=record.retired_on)}
            for column, (key, _label) in enumerate(_COLUMNS):
                item = QTableWidgetItem()
                item.setData(Qt.ItemDataRole.DisplayRole, values[key])
                item.setData(Qt.ItemDataRole.UserRole, int(record.id))
                self.table.setItem(row, column, item)
        self.table.setSortingEnabled(True)

    def selected_workers(self) -> list[int]:
        """Ids of the workers selected in the table."""
        rows = {index.row() for index in self.table.selectionModel().selectedRows()}
        return [int(self.table.item(r, 0).data(Qt.ItemDataRole.UserRole)) for r in sorted(rows)]

    def _edit(self, *_args) -> None:
        workers = self.selected_workers()
        if workers:
            self.edit_requested.emit(workers[0])

    def _retire(self) -> None:
        for worker in self.selected_workers():
            self.retire_requested.emit(worker)

    def _assign(self) -> None:
        workers = self.selected_workers()
        if workers:
            self.assign_requested.emit(workers, self.role.currentText())

    def _visit_list(self) -> None:
        workers = self.selected_workers()
        if workers:
            self.visit_list_requested.emit(workers[0])

    def _unassign(self) -> None:
        workers = self.selected_workers()
        if workers:
            self.unassign_requested.emit(workers)
