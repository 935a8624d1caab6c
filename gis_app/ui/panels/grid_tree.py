"""The grid tree: township → village → level-3 grids, with households and responsible workers.

Selecting grids here selects them on the map (and the map's grid selection is mirrored here), so
workers can be assigned to grids of any level; a worker dragged from the roster onto a grid of
the tree is assigned to it.
"""

from __future__ import annotations

import pandas as pd
from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import QAbstractItemView, QTreeWidget, QTreeWidgetItem

from gis_app.ui.panels.worker_panel import WORKER_MIME

_GRID_ROLE = Qt.ItemDataRole.UserRole
_LEVEL_NAMES = {0: "总网格", 1: "一级网格", 2: "二级网格", 3: "三级网格"}


def household_totals(grids: pd.DataFrame, households: pd.DataFrame) -> pd.Series:
    """Households per grid id at every level: level-3 counts rolled up through ``parent_id``."""
    per_code = households.groupby("grid_code").size()
    own = grids.set_index("id")["code"].map(per_code).fillna(0).astype(int)
    own[grids.set_index("id")["level"] != 3] = 0
    parent = grids.set_index("id")["parent_id"]
    totals = own.copy()
    moving = own
    for _ in range(4):  # at most three levels above a level-3 grid
        moving = moving.groupby(moving.index.map(parent)).sum()
        moving = moving[moving.index.notna()]
        moving.index = moving.index.astype(int)
        if moving.empty:
            break
        totals = totals.add(moving, fill_value=0)
    return totals.astype(int)


class GridTree(QTreeWidget):
    """Grids as a tree; multi-select; accepts workers dropped from the roster."""

    grids_selected = pyqtSignal(list)  # grid ids
    worker_dropped = pyqtSignal(int, int)  # worker id, grid id

    def __init__(self, translate, parent=None):
        super().__init__(parent)
        self.tr_ = translate
        self.setColumnCount(4)
        self.retranslate()
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.items: dict[int, QTreeWidgetItem] = {}
        self._syncing = False
        self.itemSelectionChanged.connect(self._selection_changed)

    def retranslate(self) -> None:
        """Header in the current language (rows follow on the next :meth:`set_grids`)."""
        self.setHeaderLabels([self.tr_(t) for t in ("网格", "级别", "户数", "负责人")])

    def set_grids(self, grids: pd.DataFrame, households: pd.Series,
                  responsible: dict[int, str]) -> None:
        """Rebuild from grid rows (id, code, name, level, parent_id), totals and worker names."""
        expanded = {gid for gid, item in self.items.items() if item.isExpanded()}
        self._syncing = True
        self.clear()
        self.items = {}
        ordered = grids.sort_values(["level", "code"])
        for record in ordered.to_dict("records"):  # a county has a few thousand grids
            grid_id = int(record["id"])
            item = QTreeWidgetItem([
                f"{record['name']}（{record['code']}）", self.tr_(_LEVEL_NAMES[record["level"]]),
                str(int(households.get(grid_id, 0))), responsible.get(grid_id, "")])
            item.setData(0, _GRID_ROLE, grid_id)
            item.setData(1, _GRID_ROLE, int(record["level"]))
            item.setTextAlignment(2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            parent = record["parent_id"]
            holder = self.items.get(int(parent)) if pd.notna(parent) else None
            (holder.addChild(item) if holder is not None else self.addTopLevelItem(item))
            self.items[grid_id] = item
        for grid_id in expanded & set(self.items):
            self.items[grid_id].setExpanded(True)
        for column in range(3):
            self.resizeColumnToContents(column)
        self._syncing = False

    def selected_grids(self) -> list[int]:
        """Ids of the grids selected in the tree."""
        return [int(item.data(0, _GRID_ROLE)) for item in self.selectedItems()]

    def show_selection(self, grid_ids: set[int]) -> None:
        """Mirror the map's grid selection without echoing it back."""
        self._syncing = True
        self.clearSelection()
        for grid_id in grid_ids:
            item = self.items.get(grid_id)
            if item is not None:
                item.setSelected(True)
                parent = item.parent()
                while parent is not None:
                    parent.setExpanded(True)
                    parent = parent.parent()
        selected = self.selectedItems()
        if selected:
            self.scrollToItem(selected[0])
        self._syncing = False

    def _selection_changed(self) -> None:
        if not self._syncing:
            self.grids_selected.emit(self.selected_grids())

    # -- dropping a worker from the roster
    def dragEnterEvent(self, event):  # noqa: N802 - Qt override
        if event.mimeData().hasFormat(WORKER_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event):  # noqa: N802 - Qt override
        if event.mimeData().hasFormat(WORKER_MIME) and self.itemAt(event.position().toPoint()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event):  # noqa: N802 - Qt override
        item = self.itemAt(event.position().toPoint())
        if item is None or not event.mimeData().hasFormat(WORKER_MIME):
            event.ignore()
            return
        worker_id = int(bytes(event.mimeData().data(WORKER_MIME)).decode())
        event.acceptProposedAction()
        self.worker_dropped.emit(worker_id, int(item.data(0, _GRID_ROLE)))
