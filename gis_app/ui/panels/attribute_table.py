"""The attribute table: a Qt model over a layer's rows, the rest read a page at a time.

The layer's frame (households are kept lean by the session) gives the rows and the columns it
has; any other column is asked of a ``fetch(names, ids)`` callback for the rows in view only,
200 at a time, and kept in a small cache. A whole column is read only to sort or filter by it.
Sorting, filtering and the value pick list see personal data as the user does: masked unless
shown (``unmask``).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

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

from gis_app.analysis.filter_expression import ExpressionError, FilterExpression
from gis_app.core.fields import (
    HIDDEN_FIELDS,
    PERSONAL_ID_FIELDS,
    PERSONAL_PHONE_FIELDS,
    display_value,
    field_label,
)
from gis_app.ui.i18n import Translator

_ROOT = QModelIndex()
#: Rows read together from ``fetch`` (one page) and how many pages are kept.
PAGE_ROWS = 200
CACHED_PAGES = 64
#: Frame columns never offered as table columns (map coordinates, internal keys).
NOT_SHOWN = HIDDEN_FIELDS | {"geometry", "x", "y"}
PERSONAL_FIELDS = PERSONAL_ID_FIELDS | PERSONAL_PHONE_FIELDS
#: Values offered in the column-value pick list.
PICK_LIST_SIZE = 500

Fetch = Callable[[list, np.ndarray], pd.DataFrame]


def default_columns(frame: pd.DataFrame) -> list[str]:
    """The frame's columns a user sees (internal keys, geometry and x/y left out)."""
    return [c for c in frame.columns if c not in NOT_SHOWN]


def sort_order(values, descending: bool = False) -> np.ndarray:
    """Positions that sort ``values`` (stable), missing values last in either direction."""
    try:
        codes, _ = pd.factorize(values, sort=True)
    except TypeError:  # mixed types (text and numbers): compare as text
        text = pd.Series(values, dtype=object)
        codes, _ = pd.factorize(text.where(text.isna(), text.astype(str)), sort=True)
    codes = np.asarray(codes, dtype=np.int64)
    if descending:
        codes = np.where(codes >= 0, codes.max(initial=0) - codes, codes)
    codes[codes < 0] = np.iinfo(np.int64).max
    return np.argsort(codes, kind="stable")


def _mask_pieces(key: str, length: int) -> list[tuple[int, int] | str]:
    """How :func:`display_value` masks a text of ``length``: kept slices and printed text.

    The masks keep characters by position, so asking once with distinct marker characters
    tells which positions a text of that length shows.
    """
    pieces: list = []
    for char in display_value(key, "".join(chr(0xE000 + i) for i in range(length)), False):
        kept = ord(char) - 0xE000
        if 0 <= kept < length and pieces and isinstance(pieces[-1], list) and \
                pieces[-1][1] == kept:
            pieces[-1][1] += 1
        elif 0 <= kept < length:
            pieces.append([kept, kept + 1])
        elif pieces and isinstance(pieces[-1], str):
            pieces[-1] += char
        else:
            pieces.append(char)
    return [tuple(p) if isinstance(p, list) else p for p in pieces]


def masked_texts(key: str, values):
    """Every value of a personal column as the user sees it masked (missing stays missing).

    Vectorised with Arrow's string kernels; equal, text by text, to :func:`display_value`.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    objects = np.asarray(values, dtype=object)
    try:
        text = pa.array(objects, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # numbers stored in a text column
        text = pa.array([None if pd.isna(v) else str(v) for v in objects], type=pa.string())
    lengths = pc.utf8_length(text)
    shown = pa.nulls(len(text), pa.string())
    for length in pc.unique(lengths).drop_null().to_pylist():
        parts = [pa.scalar(p) if isinstance(p, str) else pc.utf8_slice_codeunits(text, *p)
                 for p in _mask_pieces(key, length)] or [pa.scalar("")]
        shown = pc.if_else(pc.equal(lengths, length),
                           pc.binary_join_element_wise(*parts, ""), shown)
    return pd.array(shown, dtype=pd.StringDtype("pyarrow"))


class LayerTableModel(QAbstractTableModel):
    """A layer's rows through a permutation ``rows`` (sorted, then filtered, positions).

    Parameters
    ----------
    frame : DataFrame
        The layer's rows, in the layer's order (selection masks are aligned with them).
    columns : list of str
        Column keys shown, in order; those not in ``frame`` come from ``fetch``.
    fetch : callable, optional
        ``fetch(names, ids) -> DataFrame`` indexed by id.
    language, unmask
        Header language; personal data shown in clear.
    """

    def __init__(self, frame: pd.DataFrame, columns: list[str], fetch: Fetch | None = None,
                 language: str = "zh", unmask: bool = False):
        super().__init__()
        self.frame = frame
        self.columns = list(columns)
        self.ids = frame["id"].to_numpy() if "id" in frame else np.arange(len(frame))
        self.fetch = fetch
        self.remote = [c for c in self.columns if c not in frame.columns]
        if self.remote and fetch is None:
            raise ValueError(f"no fetch for columns {self.remote}")
        self.language, self.unmask = language, unmask
        self.translate = Translator(language)
        self._arrays: dict[str, object] = {}  # frame columns (no copy) and whole fetched ones
        self._whole: set[str] = set()  # fetched columns read for every row
        self._pages: OrderedDict[int, dict[str, np.ndarray]] = OrderedDict()
        self._masked: dict[str, np.ndarray] = {}  # personal columns as the user sees them
        self.order = np.arange(len(frame))  # sort permutation of every row
        self.mask: np.ndarray | None = None  # filter over layer positions
        self.rows = self.order
        self.selected = np.zeros(len(frame), dtype=bool)
        self._highlight = QBrush(QColor(0, 229, 255, 90))

    # -- Qt model
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
        # Codes' labels and yes/no in the interface language (names are not in the catalogue).
        return self.translate(display_value(key, self.value(index.row(), key), self.unmask))

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role == Qt.ItemDataRole.InitialSortOrderRole:  # a first click sorts ascending
            return Qt.SortOrder.AscendingOrder.value
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return field_label(self.columns[section], self.language)
        return str(section + 1)

    def sort(self, column, order=Qt.SortOrder.AscendingOrder):
        if not 0 <= column < len(self.columns) or not len(self.order):
            return
        keys = self.searchable(self.columns[column])
        self.layoutAboutToBeChanged.emit()
        self.order = sort_order(keys, order == Qt.SortOrder.DescendingOrder)
        self._set_rows()
        self.layoutChanged.emit()

    # -- values
    def value(self, view_row: int, key: str):
        """The stored value of ``key`` in a table row (view order); fetched with its page."""
        if key not in self.remote or key in self._arrays:
            return self.column(key)[self.rows[view_row]]
        page = self._page(view_row // PAGE_ROWS)
        return page[key][view_row % PAGE_ROWS]

    def column(self, key: str):
        """Every row's values of ``key`` (layer order); a fetched column is read whole once."""
        if key not in self._arrays:
            if key in self.remote:
                self._arrays[key] = self._fetch([key], self.ids)[key]
                self._whole.add(key)
            else:
                series = self.frame[key]
                # numpy columns without a copy; nullable ones stay extension arrays (no objects)
                self._arrays[key] = series.to_numpy() if isinstance(series.dtype, np.dtype) \
                    else series.array
        return self._arrays[key]

    def searchable(self, key: str):
        """``key``'s values as the user sees them: personal data masked unless shown."""
        if key not in PERSONAL_FIELDS or self.unmask:
            return self.column(key)
        if key not in self._masked:
            self._masked[key] = masked_texts(key, self.column(key))
        return self._masked[key]

    def known(self, key: str) -> bool:
        """True when ``key`` can be filtered on (a frame column or a shown one)."""
        return key in self.columns or key in self.frame.columns

    def _fetch(self, names: list[str], ids: np.ndarray) -> dict[str, np.ndarray]:
        if not names:
            return {}
        read = self.fetch(list(names), ids)
        if not read.index.equals(pd.Index(ids)):
            read = read.reindex(ids)
        return {n: read[n].to_numpy(dtype=object, copy=True) for n in names}

    def _page(self, number: int) -> dict[str, np.ndarray]:
        if number in self._pages:
            self._pages.move_to_end(number)
            return self._pages[number]
        names = [c for c in self.remote if c not in self._whole]
        positions = self.rows[number * PAGE_ROWS:(number + 1) * PAGE_ROWS]
        page = self._fetch(names, self.ids[positions])
        page["_positions"] = positions
        self._pages[number] = page
        while len(self._pages) > CACHED_PAGES:
            self._pages.popitem(last=False)
        return page

    def cache_bytes(self) -> int:
        """Bytes held by the caches (pages, whole fetched columns, masked columns)."""
        def size(values) -> int:
            values = np.asarray(values)
            if values.dtype != object:
                return values.nbytes
            return int(pd.Series(values, copy=False).memory_usage(deep=True, index=False))

        total = sum(size(v) for page in self._pages.values() for v in page.values())
        total += sum(size(self._arrays[k]) for k in self._whole)
        total += sum(size(v) for v in self._masked.values())
        return total + self.order.nbytes + self.selected.nbytes + \
            (0 if self.rows is self.order else self.rows.nbytes)

    # -- changes
    def update_rows(self, positions: np.ndarray, frame: pd.DataFrame | None = None) -> None:
        """Rows at layer ``positions`` changed: read them again and redraw them."""
        positions = np.asarray(positions, dtype=np.int64)
        if frame is not None and len(frame) == len(self.frame):
            self.frame = frame
            for key in [k for k in self._arrays if k not in self._whole]:
                del self._arrays[key]
        whole = sorted(self._whole)
        if whole and len(positions):
            fresh = self._fetch(whole, self.ids[positions])
            for key in whole:
                self._arrays[key][positions] = fresh[key]
        for key, masked in self._masked.items():
            masked[positions] = masked_texts(key, self.column(key)[positions])
        for number in [n for n, page in self._pages.items()
                       if np.isin(page["_positions"], positions).any()]:
            del self._pages[number]
        view_rows = np.flatnonzero(np.isin(self.rows, positions))
        if len(view_rows):
            last = len(self.columns) - 1
            if len(view_rows) > 100:  # one signal over the span rather than many
                self.dataChanged.emit(self.index(int(view_rows[0]), 0),
                                      self.index(int(view_rows[-1]), last))
            for row in view_rows if len(view_rows) <= 100 else ():
                self.dataChanged.emit(self.index(int(row), 0), self.index(int(row), last))

    # -- filter and selection
    def set_filter(self, mask: np.ndarray | None) -> None:
        """Show only rows where ``mask`` is true (None: every row), in the sort order."""
        self.beginResetModel()
        self.mask = None if mask is None else np.asarray(mask, dtype=bool)
        self._set_rows()
        self.endResetModel()

    def _set_rows(self) -> None:
        self.rows = self.order if self.mask is None else self.order[self.mask[self.order]]
        self._pages.clear()  # pages are runs of view rows

    def set_selected(self, mask: np.ndarray) -> None:
        """Highlight the rows of the features in ``mask`` (the map's selection)."""
        mask = np.asarray(mask, dtype=bool)
        self.selected = mask if len(mask) == len(self.frame) else np.zeros(len(self.frame), bool)
        if len(self.rows):
            self.dataChanged.emit(self.index(0, 0),
                                  self.index(len(self.rows) - 1, len(self.columns) - 1),
                                  [Qt.ItemDataRole.BackgroundRole])

    def highlighted_rows(self) -> np.ndarray:
        """Table rows (in view order) shown as selected."""
        return np.flatnonzero(self.selected[self.rows])


class _PickList(QComboBox):
    """An editable combo box filled only when its list is opened."""

    def __init__(self, fill: Callable[[], None]):
        super().__init__(editable=True)
        self._fill = fill
        self.stale = True

    def showPopup(self):  # noqa: N802 - Qt override
        if self.stale:
            self._fill()
        super().showPopup()


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
        self.model: LayerTableModel | None = None
        self._syncing = False
        self._message = ""  # an expression error shown instead of the counts
        #: The filter in force: ("expression", text), ("value", key, value) or None.
        self._filter: tuple | None = None
        self.context_menu: QMenu | None = None
        self.expression = QLineEdit()
        self.expression.returnPressed.connect(self.apply_expression)
        self.column = QComboBox()
        self.value = _PickList(self._fill_values)
        self.column.currentIndexChanged.connect(self._column_changed)
        self.value.activated.connect(lambda _i: self.apply_column_value())
        builder, clear, zoom, export = QPushButton(), QPushButton(), QPushButton(), QPushButton()
        self.buttons = {"表达式…": builder, "清除": clear, "缩放到选择": zoom,
                        "导出选择到Excel…": export}
        #: The expression builder open (or last opened).
        self.builder = None
        builder.clicked.connect(lambda _checked=False: self.open_builder())
        clear.clicked.connect(self.clear_filter)
        zoom.clicked.connect(self.zoom_requested)
        export.clicked.connect(self.export_requested)
        self.status = QLabel()
        bar = QHBoxLayout()
        for widget in (self.expression, builder, self.column, self.value, clear, zoom, export,
                       self.status):
            bar.addWidget(widget)
        bar.setStretch(0, 3)
        self.view = QTableView()
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.view.horizontalHeader().setDefaultSectionSize(110)
        self.view.horizontalHeader().setSortIndicatorShown(True)
        self.view.horizontalHeader().setSectionsClickable(True)
        # Sorting is ours, on header clicks only: Qt's own would sort again on every new model.
        self.view.horizontalHeader().sortIndicatorChanged.connect(self._sort)
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
            self.tr_('筛选，如 户属性 == "监测对象" and 家庭人口数 >= 4'))
        for text, button in self.buttons.items():
            button.setText(self.tr_(text))
        self.value.stale = True
        self._update_status()

    # -- showing a layer
    def show_layer(self, layer_id: str, frame: pd.DataFrame, language: str, unmask: bool,
                   columns: list[str] | None = None, fetch: Fetch | None = None) -> None:
        """Show a layer's rows.

        Parameters
        ----------
        layer_id : str
            The layer (named again in :attr:`selection_made`).
        frame : DataFrame
            The layer's rows in the layer's order, ids in ``frame["id"]``.
        language : str
            Header language.
        unmask : bool
            Show personal data in clear (else masked, in cells, filters and pick lists).
        columns : list of str, optional
            Column keys shown, in order (default: the frame's, internal keys and x/y left out).
        fetch : callable, optional
            ``fetch(names, ids) -> DataFrame indexed by id`` for columns not in ``frame``; it
            is asked for the rows in view a page at a time, and for a whole column only when
            the user sorts or filters by it.
        """
        # The same layer again (personal data shown, language, rows added): keep the view.
        kept = self._view_state() if layer_id == self.layer_id and self.model else None
        self.layer_id = layer_id
        columns = default_columns(frame) if columns is None else list(columns)
        self.model = LayerTableModel(frame, columns, fetch, language, unmask)
        self._message = ""
        self._filter = None
        header = self.view.horizontalHeader()
        header.blockSignals(True)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        header.blockSignals(False)
        self.view.setModel(self.model)
        self.view.selectionModel().selectionChanged.connect(self._selection_changed)
        self.column.blockSignals(True)
        self.column.clear()
        for key in self.model.columns:
            self.column.addItem(field_label(key, language), key)
        self.column.blockSignals(False)
        self._column_changed()
        if kept is not None:
            self._restore(kept)
        else:
            self.expression.clear()
        self._update_status()

    def _view_state(self) -> dict:
        header = self.view.horizontalHeader()
        section = header.sortIndicatorSection()
        return {"sort": self.model.columns[section] if 0 <= section < len(self.model.columns)
                else None, "order": header.sortIndicatorOrder(), "filter": self._filter,
                "unmask": self.model.unmask, "scroll": self.view.verticalScrollBar().value(),
                "column": self.column.currentData()}

    def _restore(self, kept: dict) -> None:
        """Sort, filter and scroll as before a new model of the same layer."""
        columns = self.model.columns
        if kept["column"] in columns:
            self.column.setCurrentIndex(self.column.findData(kept["column"]))
        if kept["sort"] in columns:
            self.view.horizontalHeader().setSortIndicator(columns.index(kept["sort"]),
                                                          kept["order"])
        kind, *what = kept["filter"] or ("", None, None)
        if kind == "expression":
            self.expression.setText(what[0])
            self.apply_expression()
        elif kind == "value" and self.model.known(what[0]) and (
                what[0] not in PERSONAL_FIELDS or kept["unmask"] == self.model.unmask):
            self._filter_value(*what)  # a masked value means nothing in clear, and back
        self.view.verticalScrollBar().setValue(kept["scroll"])

    def update_rows(self, rows, frame: pd.DataFrame | None = None) -> None:
        """Layer rows (positions) changed in place: show their new values now.

        ``frame``: the layer's new frame, when its own columns changed too.
        """
        if self.model is not None:
            self.model.update_rows(rows, frame)

    def _sort(self, section: int, order: Qt.SortOrder) -> None:
        if self.model is not None and section >= 0:
            self.model.sort(section, order)

    # -- filters
    def _column_changed(self, *_args) -> None:
        self.value.clear()
        self.value.stale = True

    def _fill_values(self) -> None:
        """The chosen column's values as the user sees them (read whole: a filter by it)."""
        self.value.clear()
        self.value.stale = False
        key = self.column.currentData()
        if self.model is None or key is None:
            return
        self.value.addItem(self.tr_("全部"), None)
        for shown, value in self.distinct_values(key):
            self.value.addItem(shown, value)

    def distinct_values(self, key: str) -> list[tuple[str, object]]:
        """A column's distinct values as the user sees them: (text shown, value), sorted.

        The column is read whole (a filter by it follows); personal data stays masked unless
        shown; at most :data:`PICK_LIST_SIZE` values.
        """
        if self.model is None:
            return []
        values = pd.Series(self.model.searchable(key), copy=False).dropna().unique()
        listed = []
        for value in sorted(values[:PICK_LIST_SIZE], key=str):
            value = value.item() if isinstance(value, np.generic) else value
            listed.append((display_value(key, value, self.model.unmask), value))
        return listed

    def filter_fields(self) -> list:
        """The fields an expression may name: the columns shown, then the layer's others."""
        from gis_app.ui.panels.table_filter import filter_fields

        model = self.model
        keys = [*model.columns, *(c for c in model.frame.columns if c != "geometry")]
        return filter_fields(keys, model.frame, model.language)

    def open_builder(self):
        """Open the expression builder on the current expression (not modal to the window)."""
        from gis_app.ui.dialogs.expression_dialog import ExpressionDialog

        if self.model is None:
            return None
        fields = self.filter_fields()[:len(self.model.columns)]
        self.builder = ExpressionDialog(self.tr_, fields, self.distinct_values,
                                        self._apply_text, self.expression.text(), self)
        self.builder.open()
        return self.builder

    def _apply_text(self, text: str) -> str | None:
        self.expression.setText(text)
        return self.apply_expression()

    def apply_expression(self) -> str | None:
        """Filter rows by the expression typed; returns the error shown, or None.

        Fields and values are named as the table shows them (see
        :mod:`gis_app.analysis.filter_expression`); nothing typed is executed as code.
        """
        text = self.expression.text().strip()
        if not text:
            self.clear_filter()
            return None
        if self.model is None:
            return None
        try:
            mask = self._evaluate(text)
        except ExpressionError as exc:  # a user's typo: say so, keep the table
            self._message = self.tr_("表达式有误：{error}").format(error=exc.message(self.tr_))
            self.status.setText(self._message)
            return self._message
        self._message = ""
        self._filter = ("expression", text)
        self.model.set_filter(mask)
        self._update_status()
        return None

    def _evaluate(self, text: str) -> np.ndarray:
        """The rows the expression keeps; personal columns as the user sees them."""
        expression = FilterExpression(text, self.filter_fields())
        return expression.evaluate(self.model.searchable, len(self.model.frame))

    def apply_column_value(self) -> None:
        """Filter rows whose chosen column equals the chosen value (as shown)."""
        if self.model is None:
            return
        self.expression.clear()
        self._filter_value(self.column.currentData(), self.value.currentData())

    def _filter_value(self, key: str, value) -> None:
        if value is None:
            self._filter = None
            self.model.set_filter(None)
        else:
            self._filter = ("value", key, value)
            values = pd.Series(self.model.searchable(key), copy=False)
            self.model.set_filter(values.eq(value).fillna(False).to_numpy(dtype=bool))
        self._message = ""
        self._update_status()

    def clear_filter(self) -> None:
        """Show every row."""
        self.expression.clear()
        self._message = ""
        self._filter = None
        if self.model is not None:
            self.model.set_filter(None)
        self._update_status()

    # -- selection, both ways
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

    # -- households
    def household_at(self, view_row: int) -> int | None:
        """Household id of a table row (in view order); None when the layer is not households."""
        if self.model is None or self.layer_id not in self.household_layers or \
                not 0 <= view_row < len(self.model.rows):
            return None
        return int(self.model.ids[self.model.rows[view_row]])

    def _request_record(self, view_row: int) -> None:
        household = self.household_at(view_row)
        if household is not None:
            self.record_requested.emit(household)

    def _context_menu(self, position) -> None:
        household = self.household_at(self.view.indexAt(position).row())
        if household is None:
            return
        menu = QMenu(self)
        menu.addAction(self.tr_("录入走访记录…"), lambda: self.record_requested.emit(household))
        menu.popup(self.view.viewport().mapToGlobal(position))
        self.context_menu = menu  # tests pick its action as a user would

    def _update_status(self) -> None:
        if self.model is None:
            self.status.setText("")
            return
        if self._message:
            self.status.setText(self._message)
            return
        self.status.setText(self.tr_("{shown:,} / {total:,} 行，已选择 {selected:,}").format(
            shown=len(self.model.rows), total=len(self.model.frame),
            selected=int(self.model.selected.sum())))
