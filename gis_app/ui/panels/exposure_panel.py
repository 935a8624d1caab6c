"""The 灾害暴露 panel: buffer, level and kind; the table per unit × kind × level and a bar chart.

The panel only shows and asks: the controller computes (on a worker thread) and hands the
table (:meth:`ExposureResult.summary <gis_app.services.exposure_service.ExposureResult.summary>`)
and the chart's counts (:func:`gis_app.services.exposure_view.chart_counts`) back. A row
clicked, or a bar, asks for those households to be selected on the map.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyqtgraph as pg
from PyQt6.QtCore import QTimer, pyqtSignal
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from gis_app.core.codes import HouseholdAttribute, MonitoringType
from gis_app.ui.panels.frame_model import FrameModel
from gis_app.ui.panels.table_export import TableExport, view_table

LEVELS = (("乡镇", 1), ("村", 2), ("三级网格", 3))
#: The table's columns: key of the summary and its Chinese header.
COLUMNS = (("name", "单元"), ("kind", "灾害类型"), ("level", "风险等级"), ("households", "户数"),
           ("persons", "人数"),
           *((m.name.lower(), m.label) for m in HouseholdAttribute),
           *((m.name.lower(), m.label) for m in MonitoringType),
           ("unpaired", "监测对象无结对帮扶"), ("sites", "安置点"),
           ("site_households", "安置点安置户数"))
#: Names of the units of no code at each level (the summary's, Chinese).
_NO_UNIT = {1: "（未知乡镇）", 2: "（未知村）", 3: "（未划入网格）"}
#: Width of a level's bar; the four levels of a kind side by side around the kind's place.
_BAR = 0.2
#: Waiting after the buffer's last change before computing (typing 200 is three changes).
DEBOUNCE_MS = 400


class ExposurePanel(QWidget):
    """Options, table and chart of the exposure.

    Parameters
    ----------
    translate : callable
        The window's translator.
    level_colours : dict
        Risk level (1–4) → hex colour, as the hazard levels' legend draws them.
    """

    #: Buffer, level or kind changed (after the buffer has settled).
    options_changed = pyqtSignal()
    cancel_requested = pyqtSignal()
    #: A table row chosen: its position in the table given to :meth:`set_table`.
    row_chosen = pyqtSignal(int)
    row_zoom = pyqtSignal(int)
    #: A bar chosen: stored kind, level.
    bar_chosen = pyqtSignal(str, int)

    def __init__(self, translate, level_colours: dict[int, str], parent=None):
        super().__init__(parent)
        self.tr_ = translate
        self.colours = level_colours
        self.buffer = QSpinBox()
        self.buffer.setRange(0, 5000)
        self.buffer.setSingleStep(50)
        self.buffer.setKeyboardTracking(False)
        self.level = QComboBox()
        for label, value in LEVELS:
            self.level.addItem(label, value)
        self.level.setCurrentIndex(2)
        self.kind = QComboBox()
        self.kind.addItem("", None)
        self.labels = {key: QLabel() for key in ("buffer", "level", "kind")}
        self._settle = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._settle.timeout.connect(self.options_changed.emit)
        self.buffer.valueChanged.connect(lambda _v: self._settle.start())
        self.level.currentIndexChanged.connect(lambda _i: self.options_changed.emit())
        self.kind.currentIndexChanged.connect(lambda _i: self.options_changed.emit())
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.cancel = QPushButton()
        self.cancel.clicked.connect(lambda _checked=False: self.cancel_requested.emit())
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.model = FrameModel([label for _key, label in COLUMNS])
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        # Columns fitted to the first rows: measuring thousands costs seconds.
        self.table.horizontalHeader().setResizeContentsPrecision(100)
        self.table.clicked.connect(lambda index: self._row(index.row(), self.row_chosen))
        self.table.doubleClicked.connect(lambda index: self._row(index.row(), self.row_zoom))
        self.chart = pg.PlotWidget(background="w")
        self.chart.setMenuEnabled(False)  # pyqtgraph's menus speak English only
        self.chart.setMouseEnabled(x=False, y=False)
        self.chart.hideButtons()
        self.chart.showGrid(y=True, alpha=0.2)
        self.chart.setMinimumWidth(260)
        self.chart.scene().sigMouseClicked.connect(self._chart_clicked)
        self.legend = self.chart.addLegend(offset=(-8, 8), labelTextSize="8pt")
        self.bars: pd.DataFrame | None = None  # the chart's counts
        top = QHBoxLayout()
        for key, widget in (("buffer", self.buffer), ("level", self.level), ("kind", self.kind)):
            top.addWidget(self.labels[key])
            top.addWidget(widget)
        top.addWidget(self.progress, 1)
        top.addWidget(self.cancel)
        self.export = TableExport(self, translate, lambda: self.tr_("灾害暴露"),
                                  lambda: view_table(self.table), views=[self.table])
        top.addWidget(self.export.button)
        top.addStretch(0)
        splitter = QSplitter()
        splitter.addWidget(self.table)
        splitter.addWidget(self.chart)
        splitter.setSizes([720, 380])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(splitter, 1)
        self.frame: pd.DataFrame | None = None
        self.busy = False
        self._kinds: list[tuple[str, str]] = []
        self.set_idle()
        self.retranslate()

    # -- the user's choices
    @property
    def buffer_m(self) -> float:
        """The buffer in metres."""
        return float(self.buffer.value())

    @property
    def unit_level(self) -> int:
        """1 townships, 2 villages, 3 level-3 grids."""
        return int(self.level.currentData())

    @property
    def hazard_kind(self) -> str | None:
        """The stored kind chosen (None: every kind)."""
        return self.kind.currentData()

    def set_kinds(self, kinds: list[tuple[str, str]]) -> None:
        """The kinds to choose from: (stored kind, name in the interface language)."""
        self._kinds = list(kinds)
        chosen = self.kind.currentData()
        self.kind.blockSignals(True)
        self.kind.clear()
        self.kind.addItem(self.tr_("全部灾害类型"), None)
        for kind, name in self._kinds:
            self.kind.addItem(name, kind)
        self.kind.setCurrentIndex(max(self.kind.findData(chosen), 0))
        self.kind.blockSignals(False)

    # -- computing
    def set_busy(self, done: int, total: int) -> None:
        """A computation runs: its progress and 取消."""
        self.busy = True
        self.progress.setMaximum(max(int(total), 1))
        self.progress.setValue(int(done))
        self.progress.show()
        self.cancel.show()
        self.cancel.setEnabled(True)
        self.summary.setText(self.tr_("正在统计灾害暴露…"))

    def set_idle(self, message: str | None = None) -> None:
        """No computation running (``message``: why the last one stopped)."""
        self.busy = False
        self.progress.hide()
        self.cancel.hide()
        if message:
            self.summary.setText(message)

    # -- the table
    def set_table(self, table: pd.DataFrame, households: int, summary: str) -> None:
        """Show a summary table (kind and level already named in the interface language)."""
        self.frame = table.reset_index(drop=True)
        self.total_households = households
        self.summary.setText(summary)
        keys = [key for key, _label in COLUMNS]
        no_code = self.frame["code"].isna().to_numpy()
        texts = self.frame[keys].astype(str).to_numpy(dtype=object)
        if no_code.any():
            texts[no_code, 0] = self.tr_(_NO_UNIT[self.unit_level])
        codes = self.frame["code"].astype(object).where(~no_code, "").astype(str)
        self.model.set_rows(texts, tips=codes.to_numpy(dtype=object), right=set(
            range(3, len(COLUMNS))))
        self.table.resizeColumnsToContents()

    def _row(self, row: int, signal) -> None:
        if self.frame is not None and 0 <= row < len(self.frame):
            signal.emit(row)

    def click_row(self, row: int) -> None:
        """Choose a row as a click does (tests and the keyboard)."""
        self.table.selectRow(row)
        self._row(row, self.row_chosen)

    def text(self, row: int, key: str) -> str:
        """A cell as shown: the row's value of a column of :data:`COLUMNS`."""
        return self.model.text(row, [k for k, _label in COLUMNS].index(key))

    # -- the chart
    def set_chart(self, bars: pd.DataFrame) -> None:
        """Households per kind × level (:func:`~gis_app.services.exposure_view.chart_counts`)."""
        self.bars = bars.reset_index(drop=True)
        self.chart.clear()
        self.legend.clear()
        kinds = list(dict.fromkeys(self.bars["kind_code"]))
        names = dict(zip(self.bars["kind_code"], self.bars["kind"], strict=True))
        for level in sorted(set(self.bars["level_code"])):
            mine = self.bars[self.bars["level_code"] == level]
            x = np.array([kinds.index(k) for k in mine["kind_code"]], dtype=float) \
                + (level - 2.5) * _BAR
            item = pg.BarGraphItem(x=x, height=mine["households"].to_numpy(float), width=_BAR,
                                   brush=self.colours.get(int(level), "#868e96"),
                                   pen=pg.mkPen("#ffffff"))
            self.chart.addItem(item)
            self.legend.addItem(item, str(mine["level"].iloc[0]))
        axis = self.chart.getAxis("bottom")
        axis.setTicks([[(i, names[k]) for i, k in enumerate(kinds)]])
        self.chart.getAxis("left").setLabel(self.tr_("户数"))
        self.chart.setXRange(-0.6, max(len(kinds), 1) - 0.4, padding=0)
        top = float(self.bars["households"].max()) if len(self.bars) else 1.0
        self.chart.setYRange(0, top * 1.15, padding=0)

    def bar_at(self, x: float, y: float) -> tuple[str, int] | None:
        """The (kind, level) of the bar at chart coordinates (x, y), None when none."""
        if self.bars is None or not len(self.bars):
            return None
        kinds = list(dict.fromkeys(self.bars["kind_code"]))
        for kind, level, height in zip(self.bars["kind_code"], self.bars["level_code"],
                                       self.bars["households"], strict=True):
            centre = kinds.index(kind) + (level - 2.5) * _BAR
            if abs(x - centre) <= _BAR / 2 and 0 <= y <= height:
                return str(kind), int(level)
        return None

    def bar_centre(self, kind: str, level: int) -> tuple[float, float]:
        """Chart coordinates of the middle of a bar (where a test clicks)."""
        kinds = list(dict.fromkeys(self.bars["kind_code"]))
        row = self.bars[(self.bars["kind_code"] == kind) & (self.bars["level_code"] == level)]
        return kinds.index(kind) + (level - 2.5) * _BAR, float(row["households"].iloc[0]) / 2

    def _chart_clicked(self, event) -> None:
        point = self.chart.plotItem.vb.mapSceneToView(event.scenePos())
        hit = self.bar_at(point.x(), point.y())
        if hit is not None:
            self.bar_chosen.emit(*hit)

    # -- language
    def retranslate(self) -> None:
        """Labels, headers and units in the current language (the data come named)."""
        self.labels["buffer"].setText(self.tr_("缓冲距离"))
        self.buffer.setSuffix(" " + self.tr_("米"))
        self.buffer.setToolTip(self.tr_("隐患区外扩的距离；隐患点按威胁半径再加此距离"))
        self.labels["level"].setText(self.tr_("统计层级"))
        for index, (label, _value) in enumerate(LEVELS):
            self.level.setItemText(index, self.tr_(label))
        self.labels["kind"].setText(self.tr_("灾害类型"))
        self.kind.setItemText(0, self.tr_("全部灾害类型"))
        self.cancel.setText(self.tr_("取消"))
        self.export.retranslate()
        self.model.set_headers([self.tr_(label) for _key, label in COLUMNS])
        self.chart.getAxis("left").setLabel(self.tr_("户数"))
        if self.busy:
            self.summary.setText(self.tr_("正在统计灾害暴露…"))
