"""Presentation mode (演示模式): the dashboard full screen for a projector, one chart a page.

Each page is one of the dashboard's charts with its indicator beside it in large type (value,
target, state colour). Right, Page Down and Space go on, Left and Page Up go back, Esc leaves.
The data are the dock's: the controller hands every new dashboard to both.
"""

from __future__ import annotations

from PyQt6.QtCore import QEvent, Qt, pyqtSignal
from PyQt6.QtGui import QFont
from PyQt6.QtWidgets import QHBoxLayout, QLabel, QStackedWidget, QVBoxLayout, QWidget

from gis_app.services.dashboard_service import CHART_TILES, CHARTS
from gis_app.ui.panels.dashboard_charts import NO_BARS, BarChart, Tile, TimelineChart

#: Font scale of the projector's pages.
SCALE = 2.2
NEXT_KEYS = (Qt.Key.Key_Right, Qt.Key.Key_PageDown, Qt.Key.Key_Space)
PREVIOUS_KEYS = (Qt.Key.Key_Left, Qt.Key.Key_PageUp)


class PresentationWindow(QWidget):
    """The dashboard's charts, one per page, full screen.

    Parameters
    ----------
    translate : callable
        The window's translator.
    """

    #: A tile or a bar clicked on a page (the same keys as the dock's).
    chosen = pyqtSignal(object)
    closed = pyqtSignal()

    def __init__(self, translate, parent=None):
        super().__init__(parent, Qt.WindowType.Window)
        self.tr_ = translate
        self.setStyleSheet("PresentationWindow { background: #ffffff; }")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.title = QLabel()
        self.where = QLabel()
        self.counter = QLabel()
        self.hint = QLabel()
        for label, size, bold in ((self.title, 28, True), (self.where, 14, False),
                                  (self.counter, 14, False), (self.hint, 10, False)):
            font = QFont(label.font())
            font.setPointSizeF(size)
            font.setBold(bold)
            label.setFont(font)
        self.hint.setStyleSheet("color: #868e96;")
        self.pages = QStackedWidget()
        self.keys = list(CHARTS)
        self.charts: dict[str, BarChart | TimelineChart] = {}
        self.tiles: dict[str, Tile] = {}
        for key in self.keys:
            page = QWidget()
            row = QHBoxLayout(page)
            tile_key = CHART_TILES[key]
            if tile_key is not None:
                tile = Tile(tile_key, translate, scale=SCALE)
                tile.clicked.connect(self.chosen.emit)
                self.tiles[key] = tile
                row.addWidget(tile, 1)
            chart = TimelineChart(translate, SCALE) if key == "timeline" \
                else BarChart(translate, SCALE)
            if isinstance(chart, BarChart):
                chart.bar_clicked.connect(self.chosen.emit)
            self.charts[key] = chart
            row.addWidget(chart, 3)
            self.pages.addWidget(page)
        top = QVBoxLayout()
        top.addWidget(self.title)
        top.addWidget(self.where)
        bottom = QHBoxLayout()
        bottom.addWidget(self.hint)
        bottom.addStretch(1)
        bottom.addWidget(self.counter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(40, 24, 40, 16)
        layout.addLayout(top)
        layout.addWidget(self.pages, 1)
        layout.addLayout(bottom)
        self.dashboard = None
        self.retranslate()

    @property
    def page(self) -> int:
        """The page shown (0 first)."""
        return self.pages.currentIndex()

    @property
    def page_key(self) -> str:
        """The chart of the page shown (a key of :data:`CHARTS`)."""
        return self.keys[self.page]

    def set_dashboard(self, dashboard) -> None:
        """Show a :class:`~gis_app.services.dashboard_service.Dashboard` (the dock's)."""
        self.dashboard = dashboard
        for key, chart in self.charts.items():
            if key == "timeline":
                chart.set_timeline(dashboard.timeline)
            else:  # no campaign (no method or risk bars), no exposure yet: no bars
                chart.set_bars(dashboard.charts[key].bars if key in dashboard.charts
                               else NO_BARS)
            if key in self.tiles:
                self.tiles[key].set_indicator(dashboard.indicators[CHART_TILES[key]])
        self._texts()

    def go(self, page: int) -> None:
        """Show a page (kept within the first and the last)."""
        self.pages.setCurrentIndex(min(max(page, 0), len(self.keys) - 1))
        self._texts()

    def event(self, event):  # noqa: D102 - Qt override
        # The page keys are the presentation's own, before any shortcut of the window (Esc is
        # 清除选择 there).
        if event.type() == QEvent.Type.ShortcutOverride and event.key() in (
                *NEXT_KEYS, *PREVIOUS_KEYS, Qt.Key.Key_Escape):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event):  # noqa: N802 - Qt override
        key = event.key()
        if key in NEXT_KEYS:
            self.go(self.page + 1)
        elif key in PREVIOUS_KEYS:
            self.go(self.page - 1)
        elif key == Qt.Key.Key_Escape:
            self.close()
        else:
            super().keyPressEvent(event)

    def closeEvent(self, event):  # noqa: N802 - Qt override
        self.closed.emit()
        super().closeEvent(event)

    def retranslate(self) -> None:
        """Texts in the translator's language."""
        for tile in self.tiles.values():
            tile.retranslate()
        if self.dashboard is not None:
            self.set_dashboard(self.dashboard)
        self.setWindowTitle(self.tr_("演示模式"))
        self.hint.setText(self.tr_("← → 翻页，Esc 退出"))
        self._texts()

    def _texts(self) -> None:
        self.title.setText(self.tr_(CHARTS[self.page_key]))
        self.counter.setText(f"{self.page + 1} / {len(self.keys)}")
        dashboard = self.dashboard
        if dashboard is None:
            self.where.setText("")
            return
        name = self.tr_.message(dashboard.name)
        campaign = dashboard.campaign["name"] if dashboard.campaign else ""
        self.where.setText("　".join(t for t in (name, campaign, str(dashboard.as_of)) if t))
