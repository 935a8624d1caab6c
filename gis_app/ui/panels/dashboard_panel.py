"""The 工作看板 dock: unit and campaign, the indicator tiles, the charts.

The panel only shows and asks: the controller computes the dashboard
(:class:`~gis_app.services.dashboard_service.DashboardService`) and hands it over. A tile or a
bar clicked asks for its households (or grids) to be selected on the map.
"""

from __future__ import annotations

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from gis_app.core.dashboard import INDICATORS
from gis_app.services.dashboard_service import CHARTS, COUNTY, VILLAGE
from gis_app.ui.panels.dashboard_charts import NO_BARS, BarChart, Tile, TimelineChart

#: Charts per row of the dock.
COLUMNS = 3


class DashboardPanel(QWidget):
    """Unit and campaign choices, a row of tiles and a grid of charts.

    Parameters
    ----------
    translate : callable
        The window's translator.
    """

    unit_changed = pyqtSignal()
    campaign_chosen = pyqtSignal(int)
    #: A tile or a bar clicked: its key (see DashboardService.select).
    chosen = pyqtSignal(object)
    targets_requested = pyqtSignal()
    present_requested = pyqtSignal()
    cancel_requested = pyqtSignal()

    def __init__(self, translate, parent=None):
        super().__init__(parent)
        self.tr_ = translate
        self.unit = QComboBox()
        self.unit.setMinimumContentsLength(10)
        self.campaign = QComboBox()
        self.campaign.setMinimumContentsLength(16)
        self.labels = {key: QLabel() for key in ("unit", "campaign")}
        self.targets = QPushButton()
        self.present = QPushButton()
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setMaximumWidth(160)
        self.cancel = QPushButton()
        self.note = QLabel()
        self._busy_note = "正在统计灾害暴露…"
        self._units: list[tuple[int, str | None, str]] = []
        self.unit.currentIndexChanged.connect(lambda _i: self.unit_changed.emit())
        self.campaign.activated.connect(
            lambda i: self.campaign_chosen.emit(int(self.campaign.itemData(i))))
        self.targets.clicked.connect(lambda _c=False: self.targets_requested.emit())
        self.present.clicked.connect(lambda _c=False: self.present_requested.emit())
        self.cancel.clicked.connect(lambda _c=False: self.cancel_requested.emit())
        top = QHBoxLayout()
        top.addWidget(self.labels["unit"])
        top.addWidget(self.unit)
        top.addWidget(self.labels["campaign"])
        top.addWidget(self.campaign)
        top.addWidget(self.progress)
        top.addWidget(self.cancel)
        top.addStretch(1)
        top.addWidget(self.targets)
        top.addWidget(self.present)
        self.tiles = {spec.key: Tile(spec.key, translate) for spec in INDICATORS}
        tiles = QHBoxLayout()
        for tile in self.tiles.values():
            tile.clicked.connect(self.chosen.emit)
            tiles.addWidget(tile, 1)
        self.charts: dict[str, BarChart | TimelineChart] = {}
        self.boxes: dict[str, QGroupBox] = {}
        grid = QGridLayout()
        for index, key in enumerate(CHARTS):
            chart = TimelineChart(translate) if key == "timeline" else BarChart(translate)
            chart.setMinimumHeight(170)
            if isinstance(chart, BarChart):
                chart.bar_clicked.connect(self.chosen.emit)
            box = QGroupBox()
            inside = QVBoxLayout(box)
            inside.setContentsMargins(2, 2, 2, 2)
            inside.addWidget(chart)
            self.charts[key], self.boxes[key] = chart, box
            grid.addWidget(box, index // COLUMNS, index % COLUMNS)
        body = QWidget()
        inner = QVBoxLayout(body)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.addLayout(tiles)
        inner.addWidget(self.note)
        inner.addLayout(grid, 1)
        self.scroll = scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(top)
        layout.addWidget(scroll, 1)
        self.dashboard = None
        self.set_idle()
        self.retranslate()

    # -- choices
    def set_units(self, units) -> None:
        """The county, then each township and its villages (``level, code, name`` rows)."""
        chosen = self.unit_choice()
        self._units = [(COUNTY, None, ""), *((int(level), str(code), str(name)) for level, code,
                                             name in units.itertuples(index=False))]
        self.unit.blockSignals(True)
        self.unit.clear()
        for level, code, name in self._units:
            self.unit.addItem(self._unit_text(level, name), code)
        index = next((i for i, (level, code, _n) in enumerate(self._units)
                      if (level, code) == chosen), 0)
        self.unit.setCurrentIndex(index)
        self.unit.blockSignals(False)

    def _unit_text(self, level: int, name: str) -> str:
        if level == COUNTY:
            return self.tr_("全县")
        return ("　　" + name) if level == VILLAGE else name

    def unit_choice(self) -> tuple[int, str | None]:
        """The chosen unit's level and code (the county: level 0, code None)."""
        index = self.unit.currentIndex()
        if not 0 <= index < len(self._units):
            return COUNTY, None
        level, code, _name = self._units[index]
        return level, code

    def choose_unit(self, code: str | None) -> None:
        """Choose a unit by code, as the user does in the list."""
        self.unit.setCurrentIndex(self.unit.findData(code))

    def set_campaigns(self, campaigns, current: int | None) -> None:
        """The campaigns (``id, name``) to choose from, ``current`` chosen."""
        self.campaign.blockSignals(True)
        self.campaign.clear()
        for campaign_id, name in campaigns:
            self.campaign.addItem(str(name), int(campaign_id))
        self.campaign.setCurrentIndex(max(self.campaign.findData(current), 0))
        self.campaign.blockSignals(False)

    # -- the dashboard
    def set_dashboard(self, dashboard) -> None:
        """Show a :class:`~gis_app.services.dashboard_service.Dashboard`."""
        self.dashboard = dashboard
        for key, tile in self.tiles.items():
            tile.set_indicator(dashboard.indicators[key])
        for key, chart in self.charts.items():
            if key == "timeline":
                chart.set_timeline(dashboard.timeline)
            else:  # no campaign (no method or risk bars), no exposure yet: no bars
                chart.set_bars(dashboard.charts[key].bars if key in dashboard.charts
                               else NO_BARS)
        self._titles()

    def _titles(self) -> None:
        for key, box in self.boxes.items():
            box.setTitle(self.tr_(CHARTS[key]))

    def set_busy(self, done: int, total: int, note: str | None = None) -> None:
        """A part is being computed: its progress and 取消 (``note``: what, Chinese)."""
        if note is not None:
            self._busy_note = note
        self.progress.setMaximum(max(int(total), 1))
        self.progress.setValue(int(done))
        self.progress.show()
        self.cancel.show()
        if note is not None:
            self.cancel.setEnabled(True)
        self.note.setText(self.tr_(self._busy_note))
        self.note.show()

    def set_idle(self, message: str = "") -> None:
        """Nothing is being computed (``message``: why the last computation stopped)."""
        self.progress.hide()
        self.cancel.hide()
        self.note.setText(message)
        self.note.setVisible(bool(message))

    # -- language
    def retranslate(self) -> None:
        """Labels in the current language; the data come named."""
        self.labels["unit"].setText(self.tr_("范围"))
        self.labels["campaign"].setText(self.tr_("排查"))
        self.targets.setText(self.tr_("目标设置…"))
        self.present.setText(self.tr_("演示模式"))
        self.cancel.setText(self.tr_("取消"))
        if not self.progress.isHidden():  # busy: what is being computed
            self.note.setText(self.tr_(self._busy_note))
        if self._units:
            self.unit.setItemText(0, self.tr_("全县"))
        for tile in self.tiles.values():
            tile.retranslate()
        if self.dashboard is not None:
            self.set_dashboard(self.dashboard)
        else:
            self._titles()
