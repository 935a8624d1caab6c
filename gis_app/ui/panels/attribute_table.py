"""The attribute table: a Qt model over the layer's columns (no copy of the data).

Sort, filter by expression or by column value, and a selection that follows the map both ways.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from PyQt6.QtCore import QAbstractTableModel, QModelIndex, Qt, pyqtSignal
from PyQt6.QtGui import QBrush, QColor
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from gis_app.core.fields import HIDDEN_FIELDS, display_value, field_label

_ROOT = QModelIndex()


class _LazyColumns(dict):
    """Column arrays converted from the frame the first time a cell of theirs is shown."""

    def __init__(self, frame: pd.DataFrame):
        super().__init__()
        self.frame = frame

    def __missing__(self, key):
        self[key] = self.frame[key].to_numpy()
        return self[key]


class FrameTableModel(QAbstractTableModel):
    """Rows of a DataFrame shown through a permutation ``rows`` (sorted and filtered positions)."""

    def __init__(self, frame: pd.DataFrame, language: str = "zh", unmask: bool = False):
        super().__init__()
        self.columns = [c for c in frame.columns if c not in HIDDEN_FIELDS and c != "geometry"]
        self.arrays = _LazyColumns(frame)
        self.frame = frame
        self.rows = np.arange(len(frame))
        self.selected = np.zeros(len(frame), dtype=bool)
        self.language, self.unmask = language, unmask
        self._highlight = QBrush(QColor(0, 229, 255, 90))

    def rowCount(self, parent=_ROOT):  # noqa: N802 - Qt override
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=_ROOT):  # noqa: N802 - Qt override
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.BackgroundRole:
            return self._highlight if self.selected[self.rows[index.row()]] else None
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        key = self.columns[index.column()]
        return display_value(key, self.arrays[key][self.rows[index.row()]], self.unmask)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return field_label(self.columns[section], self.language)
        return str(section + 1)

    def sort(self, column, order=Qt.SortOrder.AscendingOrder):
        values = self.arrays[self.columns[column]][self.rows]
        keys = pd.Series(values).rank(method="first", na_option="bottom").to_numpy()
        permutation = np.argsort(keys, kind="stable")
        if order == Qt.SortOrder.DescendingOrder:
            permutation = permutation[::-1]
        self.layoutAboutToBeChanged.emit()
        self.rows = self.rows[permutation]
        self.layoutChanged.emit()

    def set_selected(self, mask: np.ndarray) -> None:
        """Highlight the rows of the features in ``mask`` (the map's selection)."""
        self.selected = np.asarray(mask, dtype=bool)
        if len(self.rows):
            self.dataChanged.emit(
                self.index(0, 0),
                self.index(len(self.rows) - 1, len(self.columns) - 1),
                [Qt.ItemDataRole.BackgroundRole],
            )

    def highlighted_rows(self) -> np.ndarray:
        """Table rows (in view order) shown as selected."""
        return np.flatnonzero(self.selected[self.rows])

    def set_filter(self, mask: np.ndarray | None) -> None:
        """Show only rows where ``mask`` is true (None: every row)."""
        self.beginResetModel()
        self.rows = np.arange(len(self.frame)) if mask is None else np.flatnonzero(mask)
        self.endResetModel()


class AttributeTable(QWidget):
    """Table of one layer with a filter bar; emits the selected feature mask."""

    selection_made = pyqtSignal(str, object)  # layer id, bool mask over the layer's features
    zoom_requested = pyqtSignal()
    export_requested = pyqtSignal()
    record_requested = pyqtSignal(int)  # household id: open the visit form

    def __init__(self, translate, parent=None):
        super().__init__(parent)
        self.tr_ = translate
        self.layer_id: str | None = None
        #: Layers whose rows are households (double-click or right-click opens the visit form).
        self.household_layers: set[str] = set()
        self.model: FrameTableModel | None = None
        self._syncing = False
        self.expression = QLineEdit()
        self.expression.returnPressed.connect(self.apply_expression)
        self.column = QComboBox()
        self.value = QComboBox(editable=True)
        self.column.currentIndexChanged.connect(self._fill_values)
        self.value.activated.connect(lambda _i: self.apply_column_value())
        clear, zoom, export = QPushButton(), QPushButton(), QPushButton()
        self.buttons = {"清除": clear, "缩放到选择": zoom, "导出选择到Excel…": export}
        clear.clicked.connect(self.clear_filter)
        zoom.clicked.connect(self.zoom_requested)
        export.clicked.connect(self.export_requested)
        self.status = QLabel()
        bar = QHBoxLayout()
        for widget in (self.expression, self.column, self.value, clear, zoom, export, self.status):
            bar.addWidget(widget)
        bar.setStretch(0, 3)
        self.view = QTableView()
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSortingEnabled(True)
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.view.horizontalHeader().setDefaultSectionSize(110)
        self.view.doubleClicked.connect(lambda index: self._request_record(index.row()))
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(bar)
        layout.addWidget(self.view)
        self.retranslate()

    def retranslate(self) -> None:
        """The filter bar in the current language (the header follows :meth:`show_layer`)."""
        self.expression.setPlaceholderText(
            self.tr_("筛选表达式，如 attribute == 2 and members >= 4"))
        for text, button in self.buttons.items():
            button.setText(self.tr_(text))

    def show_layer(self, layer_id: str, frame: pd.DataFrame, language: str, unmask: bool) -> None:
        """Show ``frame`` (the layer's features in map order)."""
        self.layer_id = layer_id
        self.model = FrameTableModel(frame, language, unmask)
        self.view.setModel(self.model)
        self.view.selectionModel().selectionChanged.connect(self._selection_changed)
        self.column.blockSignals(True)
        self.column.clear()
        for key in self.model.columns:
            self.column.addItem(field_label(key, language), key)
        self.column.blockSignals(False)
        self._fill_values()
        self._update_status()

    def _fill_values(self) -> None:
        self.value.clear()
        if self.model is None or self.column.currentData() is None:
            return
        key = self.column.currentData()
        values = pd.Series(self.model.arrays[key]).dropna().unique()[:500]
        self.value.addItem(self.tr_("全部"), None)
        for value in sorted(values, key=str):
            self.value.addItem(display_value(key, value, self.model.unmask), value)

    def apply_expression(self) -> str | None:
        """Filter rows by the expression typed (pandas syntax); returns an error or None."""
        text = self.expression.text().strip()
        if not text:
            self.clear_filter()
            return None
        try:
            mask = np.asarray(self.model.frame.eval(text), dtype=bool)
        except Exception as exc:  # a user's typo: say so, keep the table
            self.status.setText(self.tr_("表达式有误：{error}").format(error=exc))
            return str(exc)
        self.model.set_filter(mask)
        self._update_status()
        return None

    def apply_column_value(self) -> None:
        """Filter rows whose chosen column equals the chosen value."""
        key, value = self.column.currentData(), self.value.currentData()
        if value is None:
            self.model.set_filter(None)
        else:
            self.model.set_filter(pd.Series(self.model.arrays[key]).eq(value).to_numpy())
        self._update_status()

    def clear_filter(self) -> None:
        """Show every row."""
        self.expression.clear()
        if self.model is not None:
            self.model.set_filter(None)
        self._update_status()

    def _selection_changed(self, *_args) -> None:
        if self._syncing or self.model is None:
            return
        positions = np.zeros(len(self.model.rows), dtype=bool)
        for selected_range in self.view.selectionModel().selection():  # ranges, not rows
            positions[selected_range.top() : selected_range.bottom() + 1] = True
        mask = np.zeros(len(self.model.frame), dtype=bool)
        mask[self.model.rows[positions]] = True
        self.selection_made.emit(self.layer_id, mask)

    def select_features(self, mask: np.ndarray) -> None:
        """Show the features in ``mask`` (the map's selection) as selected rows."""
        if self.model is None:
            return
        self.model.set_selected(mask)
        own = np.zeros(len(self.model.frame), dtype=bool)
        for selected_range in self.view.selectionModel().selection():
            own[self.model.rows[selected_range.top() : selected_range.bottom() + 1]] = True
        if not np.array_equal(own, self.model.selected):  # the map chose: drop the table's own
            self._syncing = True
            self.view.selectionModel().clearSelection()
            self._syncing = False
        positions = self.model.highlighted_rows()
        if len(positions):
            self.view.scrollTo(self.model.index(int(positions[0]), 0))
        self._update_status()

    def household_at(self, view_row: int) -> int | None:
        """Household id of a table row (in view order); None when the layer is not households."""
        if self.model is None or self.layer_id not in self.household_layers or view_row < 0:
            return None
        return int(self.model.frame["id"].iloc[self.model.rows[view_row]])

    def _request_record(self, view_row: int) -> None:
        household = self.household_at(view_row)
        if household is not None:
            self.record_requested.emit(household)

    def _context_menu(self, position) -> None:
        household = self.household_at(self.view.indexAt(position).row())
        if household is None:
            return
        menu = QMenu(self)
        menu.addAction(self.tr_("录入走访记录…"),
                       lambda: self.record_requested.emit(household))
        menu.popup(self.view.viewport().mapToGlobal(position))

    def _update_status(self) -> None:
        if self.model is None:
            return
        selected = int(self.model.selected.sum())
        self.status.setText(
            f"{len(self.model.rows):,} / {len(self.model.frame):,}，"
            f"{self.tr_('已选择')} {selected:,}"
        )
