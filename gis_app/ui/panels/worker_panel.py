"""The worker roster: who covers which grids and how many households; drag a worker onto the map."""

from __future__ import annotations

import pandas as pd
from PyQt6.QtCore import QItemSelectionModel, QMimeData, Qt, pyqtSignal
from PyQt6.QtGui import QDrag
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gis_app.core.codes import WorkerRole
from gis_app.core.fields import display_value
from gis_app.ui.panels.table_export import TableExport, view_table

WORKER_MIME = "application/x-gis-app-worker"
_COLUMNS = (("name", "姓名"), ("roles", "网格职务"), ("unit", "工作单位"), ("phone", "联系电话"),
            ("grids", "负责网格"), ("households", "户数"), ("monitored", "监测户"),
            ("persons", "人数"), ("state", "状态"))
#: Column of each roster field (tests and the controller read cells by name).
COLUMN = {key: index for index, (key, _label) in enumerate(_COLUMNS)}
#: Where a row keeps what the search box matches: (name, phone as shown, grids' codes and names).
_SEARCHED = Qt.ItemDataRole.UserRole + 1


def roster_matches(query: str, name: str, phone: str, grids: str) -> bool:
    """Whether a worker matches every word of ``query``.

    A word matches the name or the grids (codes or names, any case) it is part of, or, when
    it is digits, the end of the phone number as shown (masked numbers show their last four).
    """
    for word in query.casefold().split():
        if word in name.casefold() or word in grids.casefold():
            continue
        if word.isdigit() and phone.endswith(word):
            continue
        return False
    return True


class _DraggableTable(QTableWidget):
    """Rows drag out as a worker id (dropped on a grid of the map or the tree to assign)."""

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
    """Roster table with the actions a grid captain needs; it only emits requests."""

    add_requested = pyqtSignal()
    edit_requested = pyqtSignal(int)  # worker id
    retire_requested = pyqtSignal(list)  # worker ids
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
        self.search = QLineEdit()
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda _text: self._apply_search())
        self.found = QLabel()
        # A sort moves rows, and a hidden row is a row number: hide the matches anew.
        self.table.model().layoutChanged.connect(lambda *_args: self._apply_search())
        self.role = QComboBox()
        for role in WorkerRole:
            self.role.addItem(role.value, role.value)
        self.role.setCurrentIndex(self.role.findData(WorkerRole.LEVEL3_WORKER.value))
        buttons = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}  # by Chinese text
        for text, slot in (("添加…", self.add_requested.emit),
                           ("编辑…", self._edit),
                           ("退出…", self._retire),
                           ("分配到所选网格", self._assign),
                           ("取消分配所选网格", self._unassign),
                           ("走访清单…", self._visit_list)):
            button = QPushButton()
            button.clicked.connect(lambda _checked=False, slot=slot: slot())
            buttons.addWidget(button)
            self.buttons[text] = button
            if text == "退出…":
                buttons.addSpacing(12)
                buttons.addWidget(self.role)
        buttons.addStretch(1)
        self.export = TableExport(self, translate, lambda: self.tr_("网格员"),
                                  lambda: view_table(self.table), views=[self.table])
        buttons.addWidget(self.export.button)
        finder = QHBoxLayout()
        finder.addWidget(self.search, 1)
        finder.addWidget(self.found)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(finder)
        layout.addLayout(buttons)
        layout.addWidget(self.table)
        self.retranslate()

    def retranslate(self) -> None:
        """Buttons, roles and headers in the current language (rows follow on set_roster)."""
        for text, button in self.buttons.items():
            button.setText(self.tr_(text))
        self.search.setPlaceholderText(self.tr_("搜索姓名、电话尾号或网格"))
        self.export.retranslate()
        self._apply_search()
        for index in range(self.role.count()):
            self.role.setItemText(index, self.tr_(self.role.itemData(index)))
        self.table.setHorizontalHeaderLabels([self.tr_(label) for _, label in _COLUMNS])

    def set_roster(self, roster: pd.DataFrame, unmask: bool) -> None:
        """Show the roster (active workers first), keeping the workers selected before."""
        selected = set(self.selected_workers())
        current = self.current_worker()
        self.table.setSortingEnabled(False)
        roster = roster.sort_values(["active", "households", "id"],
                                    ascending=[False, False, True])
        self.table.setRowCount(len(roster))
        for row, record in enumerate(roster.itertuples()):  # hundreds of workers at most
            values = {"name": record.name, "roles": self.tr_.terms(record.roles),
                      "unit": record.unit or "",
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
            grids = f"{record.grids} {getattr(record, 'grid_names', '') or ''}"
            self.table.item(row, 0).setData(_SEARCHED, (str(record.name), values["phone"], grids))
        self.table.setSortingEnabled(True)
        self._reselect(selected, current)
        self._apply_search()

    def _apply_search(self) -> None:
        """Show only the workers matching the search box (all when it is empty)."""
        query = self.search.text().strip()
        total = self.table.rowCount()
        shown = 0
        selection = self.table.selectionModel()
        for row in range(total):
            item = self.table.item(row, 0)
            match = not query or (item is not None and roster_matches(query, *item.data(_SEARCHED)))
            self.table.setRowHidden(row, not match)
            if not match and selection.isRowSelected(row):  # no action on a worker not shown
                selection.select(self.table.model().index(row, 0),
                                 QItemSelectionModel.SelectionFlag.Deselect
                                 | QItemSelectionModel.SelectionFlag.Rows)
            shown += match
        self.found.setText(self.tr_("{shown} / {total} 名").format(shown=shown, total=total)
                           if query else "")

    def shown_workers(self) -> list[int]:
        """Ids of the workers the roster shows (the search box's matches), top to bottom."""
        return [self.worker_at(row) for row in range(self.table.rowCount())
                if not self.table.isRowHidden(row)]

    def _reselect(self, workers: set[int], current: int | None) -> None:
        model = self.table.selectionModel()
        model.clearSelection()
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        for row in range(self.table.rowCount()):
            worker = self.worker_at(row)
            if worker in workers:
                model.select(self.table.model().index(row, 0), flags)
            if worker == current:
                model.setCurrentIndex(self.table.model().index(row, 0),
                                      QItemSelectionModel.SelectionFlag.NoUpdate)

    def worker_at(self, row: int) -> int:
        """The worker id shown on a row."""
        return int(self.table.item(row, 0).data(Qt.ItemDataRole.UserRole))

    def row_of(self, worker_id: int) -> int | None:
        """The row showing a worker (None: not listed)."""
        for row in range(self.table.rowCount()):
            if self.worker_at(row) == worker_id:
                return row
        return None

    def cell(self, worker_id: int, key: str) -> str:
        """The text a worker's row shows in a column (``COLUMN`` key)."""
        row = self.row_of(worker_id)
        return "" if row is None else self.table.item(row, COLUMN[key]).text()

    def current_worker(self) -> int | None:
        """The worker of the current row, if any."""
        row = self.table.currentRow()
        return None if row < 0 or self.table.item(row, 0) is None else self.worker_at(row)

    def selected_workers(self) -> list[int]:
        """Ids of the workers selected in the table."""
        rows = {index.row() for index in self.table.selectionModel().selectedRows()}
        return [self.worker_at(r) for r in sorted(rows)]

    def _edit(self, *_args) -> None:
        workers = self.selected_workers()
        if workers:
            self.edit_requested.emit(workers[0])

    def _retire(self) -> None:
        workers = self.selected_workers()
        if workers:
            self.retire_requested.emit(workers)

    def _assign(self) -> None:
        workers = self.selected_workers()
        if workers:
            self.assign_requested.emit(workers, self.role.currentData())

    def _visit_list(self) -> None:
        workers = self.selected_workers()
        if workers:
            self.visit_list_requested.emit(workers[0])

    def _unassign(self) -> None:
        workers = self.selected_workers()
        if workers:
            self.unassign_requested.emit(workers)
