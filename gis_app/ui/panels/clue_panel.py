"""The 风险线索核实 panel: clues with their deadlines, filters, 核实 and 生成走访清单.

The choices (event, responsible worker, day of the standing, overdue only) are the user's; the
controller reads the clues they ask for and hands them back to :meth:`CluePanel.set_clues`.
Personal data arrive masked unless the window shows it.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from PyQt6.QtCore import QDate, pyqtSignal
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from gis_app.services.clue_service import COLUMNS, OVERDUE
from gis_app.ui.panels.frame_model import FrameModel

#: Columns whose values are interface words (translated), not data.
_WORDS = ("channel", "status")
#: Columns holding numbers.
_NUMBERS = {list(COLUMNS).index("days_overdue")}
#: How an overdue clue is written.
_LATE = "#c92a2a"


class CluePanel(QWidget):
    """Filters, the clue table and its buttons.

    Parameters
    ----------
    translate : callable
        The window's translator.
    """

    #: Event, worker, day or overdue filter changed.
    options_changed = pyqtSignal()
    verify_requested = pyqtSignal(list)  # clue ids
    visit_list_requested = pyqtSignal()
    household_requested = pyqtSignal(int)  # a row double-clicked: show the household

    def __init__(self, translate, parent=None):
        super().__init__(parent)
        self.tr_ = translate
        self.event = QComboBox()
        self.event.setMinimumContentsLength(18)
        self.event.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.worker = QComboBox()
        self.worker.setMinimumContentsLength(10)
        self.as_of = QDateEdit(QDate.currentDate())
        self.as_of.setCalendarPopup(True)
        self.as_of.setDisplayFormat("yyyy-MM-dd")
        self.overdue_only = QCheckBox()
        self.labels = {key: QLabel() for key in ("event", "worker", "as_of")}
        for widget in (self.event, self.worker):
            widget.currentIndexChanged.connect(lambda _i: self.options_changed.emit())
        self.as_of.dateChanged.connect(lambda _d: self.options_changed.emit())
        self.overdue_only.toggled.connect(lambda _c: self.options_changed.emit())
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.model = FrameModel(list(COLUMNS.values()))
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        # Columns fitted to the first rows: measuring thousands costs seconds.
        self.table.horizontalHeader().setResizeContentsPrecision(100)
        self.table.doubleClicked.connect(lambda index: self._household(index.row()))
        self.table.selectionModel().selectionChanged.connect(
            lambda *_: self._selection_changed())
        # The day the household was visited: today, or an earlier day recorded afterwards.
        self.verify_date = QDateEdit(QDate.currentDate())
        self.verify_date.setCalendarPopup(True)
        self.verify_date.setDisplayFormat("yyyy-MM-dd")
        self.verify_date.setMaximumDate(QDate.currentDate())
        self.labels["verify_date"] = QLabel()
        self.verify = QPushButton()
        self.verify.clicked.connect(
            lambda _checked=False: self.verify_requested.emit(self.selected_clues()))
        self.visit_list = QPushButton()
        self.visit_list.clicked.connect(lambda _checked=False: self.visit_list_requested.emit())
        top = QHBoxLayout()
        for key, widget in (("event", self.event), ("worker", self.worker),
                            ("as_of", self.as_of)):
            top.addWidget(self.labels[key])
            top.addWidget(widget)
        top.addWidget(self.overdue_only)
        top.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(self.labels["verify_date"])
        buttons.addWidget(self.verify_date)
        buttons.addWidget(self.verify)
        buttons.addWidget(self.visit_list)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(top)
        layout.addLayout(buttons)
        layout.addWidget(self.table)
        self.frame: pd.DataFrame | None = None
        self._events: list[tuple[int, str]] = []
        self._workers: list[tuple[int, str, int, int]] = []
        self.retranslate()
        self._selection_changed()

    # -- the user's choices
    @property
    def event_id(self) -> int | None:
        """The event chosen (None: every clue)."""
        return self.event.currentData()

    @property
    def worker_id(self) -> int | None:
        """The responsible worker chosen (None: all)."""
        return self.worker.currentData()

    @property
    def day(self) -> dt.date:
        """The day the clues' standing is given for."""
        return self.as_of.date().toPyDate()

    def set_events(self, events: list[tuple[int, str]]) -> None:
        """The events to choose from, (id, label), newest first; the choice is kept."""
        self._events = list(events)
        self._fill(self.event, [(None, self.tr_("全部线索"))] + self._events)

    def set_workers(self, workers: pd.DataFrame) -> None:
        """The workers answering for open clues (``worker_id, worker, open, overdue``)."""
        self._workers = [(int(w), str(n), int(o), int(d)) for w, n, o, d in zip(
            workers["worker_id"], workers["worker"], workers["open"], workers["overdue"],
            strict=True)]
        self._fill_workers()

    def _fill_workers(self) -> None:
        items = [(None, self.tr_("全部网格员"))]
        for worker_id, name, open_count, late in self._workers:
            items.append((worker_id, self.tr_("{name}（待核实{n}条，超期{late}条）").format(
                name=name, n=open_count, late=late)))
        self._fill(self.worker, items)

    def choose_event(self, event_id: int | None) -> None:
        """Show one event's clues (as picking it in the list does)."""
        index = self.event.findData(event_id)
        if index >= 0:
            self.event.setCurrentIndex(index)

    def choose_worker(self, worker_id: int | None) -> None:
        """Show one worker's clues (as picking them in the list does)."""
        index = self.worker.findData(worker_id)
        if index >= 0:
            self.worker.setCurrentIndex(index)

    def _fill(self, combo: QComboBox, items) -> None:
        """Replace a combo's items, keeping the one chosen when it is still there."""
        chosen = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        for data, label in items:
            combo.addItem(label, data)
        index = combo.findData(chosen)
        combo.setCurrentIndex(max(index, 0))
        combo.blockSignals(False)
        if combo.currentData() != chosen:
            self.options_changed.emit()

    # -- the table
    def set_clues(self, frame: pd.DataFrame, working_days: int) -> None:
        """Show clues (:class:`~gis_app.services.clue_service.Clues`' frame)."""
        self.frame = frame.reset_index(drop=True)
        self.working_days = working_days
        columns = []
        for key in COLUMNS:  # column by column: a flood's thousands of clues at once
            values = self.frame[key].astype(object)
            texts = values.where(values.notna(), "").astype(str)
            if key in _WORDS:
                texts = texts.map({v: self.tr_(v) for v in texts.unique()})
            columns.append(texts.to_numpy(dtype=object))
        texts = np.column_stack(columns) if len(self.frame) else \
            np.empty((0, len(COLUMNS)), dtype=object)
        self.model.set_rows(texts, self.frame["overdue"].to_numpy(bool), right=_NUMBERS,
                            colour=_LATE)
        self.table.resizeColumnsToContents()
        self._summarise()
        self._selection_changed()

    def _summarise(self) -> None:
        if self.frame is None:
            self.summary.setText("")
            return
        frame = self.frame
        open_count = int(frame["verified_on"].isna().sum())
        self.summary.setText(self.tr_(
            "共{n}条，待核实{open}条，超期未核实{late}条（核实期限{days}个工作日，发现当日为第0天）"
        ).format(n=len(frame), open=open_count, late=int(frame["overdue"].sum()),
                 days=self.working_days))

    def selected_clues(self) -> list[int]:
        """Ids of the clues of the selected rows."""
        if self.frame is None:
            return []
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [int(self.frame["clue_id"].iat[row]) for row in rows if row < len(self.frame)]

    def row_of(self, clue_id: int) -> int | None:
        """The row showing a clue."""
        if self.frame is None:
            return None
        rows = np.flatnonzero(self.frame["clue_id"].to_numpy() == int(clue_id))
        return int(rows[0]) if len(rows) else None

    def text(self, row: int, key: str) -> str:
        """A cell as shown: the row's value of a column of ``clue_service.COLUMNS``."""
        return self.model.text(row, list(COLUMNS).index(key))

    def _selection_changed(self) -> None:
        chosen = set(self.selected_clues())
        pending = self.frame is not None and bool(chosen) and bool(
            self.frame.loc[self.frame["clue_id"].isin(chosen), "verified_on"].isna().any())
        self.verify.setEnabled(pending)

    def _household(self, row: int) -> None:
        if self.frame is not None and 0 <= row < len(self.frame):
            self.household_requested.emit(int(self.frame["household_id"].iat[row]))

    def verified_on(self) -> dt.date:
        """The day chosen in 核实日期."""
        return self.verify_date.date().toPyDate()

    # -- language
    def retranslate(self) -> None:
        """Labels, headers and the table in the current language."""
        self.labels["event"].setText(self.tr_("事件"))
        self.labels["worker"].setText(self.tr_("责任网格员"))
        self.labels["as_of"].setText(self.tr_("截至"))
        self.overdue_only.setText(self.tr_("只看逾期"))
        self.overdue_only.setToolTip(self.tr_("只列超过核实期限仍未核实的线索"))
        self.verify.setText(self.tr_("核实"))
        self.labels["verify_date"].setText(self.tr_("核实日期"))
        self.verify_date.setToolTip(self.tr_("入户核实的日期（不晚于今天，不早于线索发现日期）"))
        self.verify.setToolTip(self.tr_("记录所选线索已于核实日期入户核实（可撤销）"))
        self.visit_list.setText(self.tr_("生成走访清单…"))
        self.visit_list.setToolTip(self.tr_("所选责任网格员待核实线索的走访清单（路线、地图，可导出）"))
        self.model.set_headers([self.tr_(text) for text in COLUMNS.values()])
        self._fill(self.event, [(None, self.tr_("全部线索"))] + self._events)
        self._fill_workers()
        if self.frame is not None:
            self.set_clues(self.frame, self.working_days)

    def status_of(self, row: int) -> str:
        """The status shown on a row (as stored: 待核实, 已超期 …, before translation)."""
        return str(self.frame["status"].iat[row])

    def overdue_rows(self) -> int:
        """Rows shown as overdue."""
        return int((self.frame["status"] == OVERDUE).sum()) if self.frame is not None else 0
