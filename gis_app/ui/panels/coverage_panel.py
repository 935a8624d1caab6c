"""Coverage of the centralized investigation as a table per level, the largest gap first.

Every unit is listed, an empty grid too (coverage —, after every unit with households). The
table opens sorted by 覆盖率, the largest gap (lowest coverage) first; a header click sorts by
another column.
"""

from __future__ import annotations

import numpy as np
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

from gis_app.ui.panels.table_export import TableExport, view_table

LEVELS = (("乡镇", 1), ("村", 2), ("三级网格", 3), ("网格员", "worker"))
_COLUMNS = (("name", "名称"), ("households", "户数"), ("home", "入户"), ("remote", "电话微信"),
            ("noncompliant", "不合规"), ("unchecked", "未排查"), ("gap", "未覆盖户数"),
            ("coverage", "覆盖率"))
_SORT_KEY = Qt.ItemDataRole.UserRole + 1
#: The column the table opens sorted by (ascending): the coverage, the largest gap first.
COVERAGE_COLUMN = [key for key, _label in _COLUMNS].index("coverage")
#: Shown for the coverage of a unit without households.
NO_COVERAGE = "—"


class _Cell(QTableWidgetItem):
    """A cell that sorts by its value (a share shown as 82.4% sorts as a number)."""

    def __lt__(self, other):  # noqa: D105 - Qt override
        return self.data(_SORT_KEY) < other.data(_SORT_KEY)


class CoveragePanel(QWidget):
    """Level chooser and table; double-click a unit to zoom to it.

    Parameters
    ----------
    translate : callable
        The window's translator.
    """

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
        self.level_label = QLabel()
        self.summary = QLabel()
        self.table = QTableWidget(0, len(_COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        # Sorted when the user clicks a header, never by Qt on its own: with sorting enabled
        # every update of a row would sort the thousands of grids again, in Python (_Cell).
        header = self.table.horizontalHeader()
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.sortIndicatorChanged.connect(self.table.sortItems)
        self.table.cellDoubleClicked.connect(self._zoom)
        self.export = TableExport(
            self, translate, lambda: self.tr_("{dock}（{level}）").format(
                dock=self.tr_("排查覆盖"), level=self.level.currentText()),
            lambda: view_table(self.table), views=[self.table])
        bar = QHBoxLayout()
        bar.addWidget(self.level_label)
        bar.addWidget(self.level)
        bar.addWidget(self.summary, 1)
        bar.addWidget(self.export.button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(bar)
        layout.addWidget(self.table)
        self.frame = pd.DataFrame()
        self.retranslate()

    def retranslate(self) -> None:
        """Labels, levels and headers in the translator's language."""
        self.level_label.setText(self.tr_("层级"))
        self.export.retranslate()
        for index, (label, _value) in enumerate(LEVELS):
            self.level.setItemText(index, self.tr_(label))
        self.table.setHorizontalHeaderLabels([self.tr_(label) for _, label in _COLUMNS])
        for row in range(self.table.rowCount()):  # the unknown units' names
            item = self.table.item(row, 0)
            if item is not None:
                item.setData(Qt.ItemDataRole.DisplayRole, self.tr_(item.data(_SORT_KEY)))
        self._summarise()

    def set_table(self, frame: pd.DataFrame | None) -> None:
        """Show a coverage table (code, name, households, home, remote, …, coverage).

        None: there is no investigation to show.
        """
        if frame is None:
            self.frame = pd.DataFrame()
            self.table.setRowCount(0)
            self._summarise()
            return
        frame = frame.assign(gap=frame["households"] - frame["home"] - frame["remote"])
        # The largest gap (lowest coverage) first, then the most households not covered;
        # units without households last.
        empty = frame["households"].to_numpy() == 0
        order = np.lexsort((-frame["gap"].to_numpy(), frame["coverage"].to_numpy(float), empty))
        frame = frame.iloc[order].reset_index(drop=True)
        if not self._update_changed_rows(frame):
            self._fill(frame)
        self.frame = frame
        self._summarise()

    def _fill(self, frame: pd.DataFrame) -> None:
        """Every row anew, the largest gap first."""
        self.table.setRowCount(len(frame))
        for row, record in enumerate(frame.to_dict("records")):  # units, not households
            for column in range(len(_COLUMNS)):
                item = _Cell()
                self._set_cell(item, record, column)
                self.table.setItem(row, column, item)
        # Already in the gap's order (which breaks ties): the indicator is set without a sort;
        # a header click sorts otherwise.
        header = self.table.horizontalHeader()
        header.blockSignals(True)
        header.setSortIndicator(COVERAGE_COLUMN, Qt.SortOrder.AscendingOrder)
        header.blockSignals(False)

    def _set_cell(self, item: QTableWidgetItem, record: dict, column: int) -> None:
        key = _COLUMNS[column][0]
        value = record[key]
        empty = not record["households"]
        if key == "name":
            item.setData(_SORT_KEY, value)
        elif key == "coverage":  # no households: after every share (sorted lowest first)
            item.setData(_SORT_KEY, 2.0 if empty else float(value))
        elif key == "gap":  # no households: after every gap, the largest-first way
            item.setData(_SORT_KEY, -0.5 if empty else float(value))
        else:
            item.setData(_SORT_KEY, float(value))
        if key == "coverage":
            item.setData(Qt.ItemDataRole.DisplayRole,
                         NO_COVERAGE if empty or pd.isna(value) else f"{value:.1%}")
        elif key == "name":  # a name, or the row of households in no unit: （未划入网格）
            item.setData(Qt.ItemDataRole.DisplayRole, self.tr_(value))
        else:
            item.setData(Qt.ItemDataRole.DisplayRole, int(value))
        code = record.get("code")
        item.setData(Qt.ItemDataRole.UserRole, None if pd.isna(code) else code)

    def _update_changed_rows(self, frame: pd.DataFrame) -> bool:
        """Rewrite only the rows whose counts changed (one visit changes one row per level).

        The rows stay where they are (no jumping while the user reads); False when the units
        are not the same as shown (another level, units added or removed): then refill.
        """
        old = self.frame
        if "code" not in frame or "code" not in old or len(old) != len(frame):
            return False
        keys = [key for key, _label in _COLUMNS]
        # The households in no grid have no code: "" is their key (None in the cells).
        new_keys = frame["code"].fillna("").to_numpy(object)
        old_keys = old["code"].fillna("").to_numpy(object)
        if len(set(new_keys)) != len(new_keys):
            return False
        was_at = pd.Index(old_keys).get_indexer(new_keys)  # arrays: thousands of grids
        if (was_at < 0).any():
            return False
        differs = frame["name"].to_numpy(object) != old["name"].to_numpy(object)[was_at]
        for key in keys[1:]:  # the counts and the share, as numbers
            new, was = frame[key].to_numpy(float), old[key].to_numpy(float)[was_at]
            differs |= (new != was) & ~(np.isnan(new) & np.isnan(was))  # empty grids: NaN
        changed = frame.iloc[np.flatnonzero(differs)]
        changed.index = new_keys[differs]
        if not len(changed):
            return True
        row_of = {self.table.item(row, 0).data(Qt.ItemDataRole.UserRole) or "": row
                  for row in range(self.table.rowCount())}  # where the user's sort put them
        if any(key not in row_of for key in changed.index):
            return False
        for key, record in zip(changed.index, changed.to_dict("records"), strict=True):
            for column in range(len(_COLUMNS)):
                self._set_cell(self.table.item(row_of[key], column), record, column)
        return True

    def _summarise(self) -> None:
        frame = self.frame
        households = int(frame["households"].sum()) if len(frame) else 0
        covered = int((frame["home"] + frame["remote"]).sum()) if len(frame) else 0
        self.summary.setText(
            self.tr_("合计 {households} 户，已覆盖 {covered} 户（{share:.1%}）").format(
                households=households, covered=covered, share=covered / households)
            if households else self.tr_("没有排查任务"))

    def row_of(self, code) -> dict[str, str] | None:
        """What the table shows for one unit (header → text), as a user reads it."""
        headers = [self.table.horizontalHeaderItem(c).text()
                   for c in range(self.table.columnCount())]
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(Qt.ItemDataRole.UserRole) == code:
                return {h: self.table.item(row, c).text() for c, h in enumerate(headers)}
        return None

    def show_level(self, level) -> None:
        """Point the level chooser at ``level`` without asking for the table again."""
        index = self.level.findData(level)
        if index >= 0 and index != self.level.currentIndex():
            self.level.blockSignals(True)
            self.level.setCurrentIndex(index)
            self.level.blockSignals(False)

    def _zoom(self, row: int, _column: int) -> None:
        code = self.table.item(row, 0).data(Qt.ItemDataRole.UserRole)
        if code is not None and code != "":
            self.zoom_requested.emit(str(code))
