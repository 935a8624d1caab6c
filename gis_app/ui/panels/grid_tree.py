"""The grid tree: township → village → level-3 grids, with households and responsible workers.

Selecting grids here asks for them to be selected on the map (and the map's grid selection is
mirrored here), so workers can be assigned to grids of any level; a worker dragged from the
roster onto a grid of the tree asks for them to be assigned to it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import QAbstractItemView, QTreeWidget, QTreeWidgetItem

from gis_app.ui.panels.worker_panel import WORKER_MIME

_GRID_ROLE = Qt.ItemDataRole.UserRole
_LEVEL_NAMES = {0: "总网格", 1: "一级网格", 2: "二级网格", 3: "三级网格"}
#: Columns: name (code), level, households, responsible workers.
NAME, LEVEL, HOUSEHOLDS, RESPONSIBLE = range(4)


class GridTree(QTreeWidget):
    """Grids as a tree; multi-select; accepts workers dropped from the roster."""

    grids_selected = pyqtSignal(list)  # grid ids
    worker_dropped = pyqtSignal(int, int)  # worker id, grid id

    def __init__(self, translate, parent=None):
        super().__init__(parent)
        self.tr_ = translate
        self.items: dict[int, QTreeWidgetItem] = {}
        self._shape: tuple = ()
        self._syncing = False
        self.setColumnCount(4)
        self.retranslate()
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.itemSelectionChanged.connect(self._selection_changed)

    def retranslate(self) -> None:
        """Header and level names in the current language."""
        self.setHeaderLabels([self.tr_(t) for t in ("网格", "级别", "户数", "负责人")])
        for item in self.items.values():
            item.setText(LEVEL, self.tr_(_LEVEL_NAMES.get(item.data(LEVEL, _GRID_ROLE), "")))

    def set_grids(self, grids: pd.DataFrame, households: pd.Series,
                  responsible: dict[int, str]) -> None:
        """Show grid rows (id, code, name, level, parent_id), households per grid and workers.

        When the grids and their nesting are those shown, only the texts change (selection,
        expansion and scrolling stay); otherwise the tree is built again.
        """
        ordered = grids.sort_values(["level", "code"])
        parents = pd.to_numeric(ordered["parent_id"], errors="coerce").to_numpy(float)
        ids = ordered["id"].to_numpy(np.int64)
        shape = (tuple(ids), tuple(np.nan_to_num(parents, nan=-1).astype(np.int64)),
                 tuple(ordered["name"]), tuple(ordered["code"]))
        self._syncing = True
        try:
            if shape != self._shape:
                self._build(ordered, ids, parents)
                self._shape = shape
            for grid_id, item in self.items.items():
                item.setText(HOUSEHOLDS, str(int(households.get(grid_id, 0))))
                item.setText(RESPONSIBLE, responsible.get(grid_id, ""))
        finally:
            self._syncing = False

    def _build(self, ordered: pd.DataFrame, ids: np.ndarray, parents: np.ndarray) -> None:
        expanded = {gid for gid, item in self.items.items() if item.isExpanded()}
        self.clear()
        self.items = {}
        names, codes = ordered["name"].tolist(), ordered["code"].tolist()
        levels = ordered["level"].astype(int).tolist()
        for grid_id, parent, name, code, level in zip(ids.tolist(), parents.tolist(), names,
                                                      codes, levels, strict=True):
            item = QTreeWidgetItem([f"{name}（{code}）", self.tr_(_LEVEL_NAMES.get(level, "")),
                                    "", ""])
            item.setData(NAME, _GRID_ROLE, grid_id)
            item.setData(LEVEL, _GRID_ROLE, level)
            item.setTextAlignment(HOUSEHOLDS,
                                  Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            holder = self.items.get(int(parent)) if np.isfinite(parent) else None
            (holder.addChild(item) if holder is not None else self.addTopLevelItem(item))
            self.items[grid_id] = item
        for grid_id in expanded & set(self.items):
            self.items[grid_id].setExpanded(True)
        for column in (NAME, LEVEL, HOUSEHOLDS):
            self.resizeColumnToContents(column)

    def selected_grids(self) -> list[int]:
        """Ids of the grids selected in the tree."""
        return [int(item.data(NAME, _GRID_ROLE)) for item in self.selectedItems()]

    def show_selection(self, grid_ids: set[int]) -> None:
        """Mirror the map's grid selection without echoing it back."""
        if set(self.selected_grids()) == set(grid_ids):
            return
        self._syncing = True
        try:
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
        finally:
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
        self.worker_dropped.emit(worker_id, int(item.data(NAME, _GRID_ROLE)))
