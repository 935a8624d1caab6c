"""The dashboard's pieces: an indicator tile, a clickable bar chart, the coverage timeline.

The dock (:mod:`gis_app.ui.panels.dashboard_panel`) and the presentation mode
(:mod:`gis_app.ui.presentation`) draw the same pieces, the latter at a projector's size
(``scale``). Colours of the states are the dashboard's own (on track green, at risk orange,
late red, no target grey).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyqtgraph as pg
from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QFont, QFontMetrics
from PyQt6.QtWidgets import QFrame, QLabel, QVBoxLayout

from gis_app.core.dashboard import AT_RISK, LATE, NO_TARGET, ON_TRACK, STATE_NAMES
from gis_app.ui.panels.progress_chart import DateAxis, _seconds

STATE_COLOURS = {ON_TRACK: "#2f9e44", AT_RISK: "#f08c00", LATE: "#e03131",
                 NO_TARGET: "#868e96"}
BAR, OVERDUE_BAR = "#1c7ed6", "#e03131"
#: A chart without bars (nothing to count yet).
NO_BARS = pd.DataFrame({"key": pd.Series(dtype=object), "label": pd.Series(dtype=object),
                        "value": pd.Series(dtype=np.int64)})
#: Thickness of a bar (rows are 1 apart).
_THICK = 0.7


def value_text(kind: str, value) -> str:
    """An indicator's value as shown: a share in per cent, a mean to one decimal."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "—"
    if kind == "share":
        return f"{value * 100:.1f}%"
    if kind == "mean":
        return f"{value:.1f}"
    return f"{int(round(value))}"


def target_text(tr_, indicator) -> str:
    """``目标 ≥90.0%`` (or ≤ for an indicator that should stay low), or 无目标."""
    if indicator.target is None:
        return tr_("无目标")
    sign = "≥" if indicator.higher_is_better else "≤"
    return tr_("目标{target}").format(
        target=sign + value_text(indicator.kind, indicator.target))


class Tile(QFrame):
    """One indicator: name, value, target, state, in the state's colour; a click selects.

    Parameters
    ----------
    key : str
        The indicator's key.
    scale : float
        Font scale (1 in the dock, larger in the presentation).
    """

    clicked = pyqtSignal(str)

    def __init__(self, key: str, tr_, scale: float = 1.0, parent=None):
        super().__init__(parent)
        self.key, self.tr_, self.scale = key, tr_, scale
        self.indicator = None
        self._colour = None
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.name = QLabel()
        self.value = QLabel()
        self.target = QLabel()
        self.state = QLabel()
        for label, size, bold in ((self.name, 9, False), (self.value, 20, True),
                                  (self.target, 8, False), (self.state, 8, True)):
            font = QFont(label.font())
            font.setPointSizeF(size * scale)
            font.setBold(bold)
            label.setFont(font)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.name.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(int(6 * scale), int(4 * scale), int(6 * scale), int(4 * scale))
        layout.setSpacing(int(2 * scale))
        for label in (self.name, self.value, self.target, self.state):
            layout.addWidget(label)

    def set_indicator(self, indicator) -> None:
        """Show an :class:`~gis_app.services.dashboard_service.Indicator`."""
        self.indicator = indicator
        self.retranslate()

    def retranslate(self) -> None:
        """Texts in the translator's language."""
        indicator = self.indicator
        if indicator is None:
            return
        colour = STATE_COLOURS[indicator.state]
        self.name.setText(self.tr_(indicator.name))
        self.value.setText(value_text(indicator.kind, indicator.value))
        self.target.setText(target_text(self.tr_, indicator))
        self.state.setText(self.tr_(STATE_NAMES[indicator.state]))
        if colour != self._colour:  # a style sheet costs a re-polish: only when it changes
            self._colour = colour
            self.value.setStyleSheet(f"color: {colour};")
            self.state.setStyleSheet(f"color: {colour};")
            self.setStyleSheet(f"Tile {{ border: {max(2, int(3 * self.scale))}px solid "
                               f"{colour}; border-radius: 4px; background: #ffffff; }}")

    @property
    def colour(self) -> str:
        """The state's colour shown."""
        return STATE_COLOURS[self.indicator.state if self.indicator else NO_TARGET]

    def mouseReleaseEvent(self, event):  # noqa: N802 - Qt override
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.key)
        super().mouseReleaseEvent(event)


def _styled(plot: pg.PlotWidget, scale: float) -> None:
    plot.setMenuEnabled(False)  # pyqtgraph's menus speak English only
    plot.setMouseEnabled(x=False, y=False)
    plot.hideButtons()
    font = QFont()
    font.setPointSizeF(8 * scale)
    for side in ("left", "bottom"):
        plot.getAxis(side).setStyle(tickFont=font)


class BarChart(pg.PlotWidget):
    """Horizontal bars, one row per category, first at the top; a click on a row selects it.

    The cases' chart stacks the part past its deadline in red at the end of each bar.
    """

    bar_clicked = pyqtSignal(object)

    def __init__(self, tr_, scale: float = 1.0, parent=None):
        super().__init__(parent, background="w")
        self.tr_, self.scale = tr_, scale
        _styled(self, scale)
        self.showGrid(x=True, alpha=0.2)
        self.invertY(True)
        self.bars: pd.DataFrame | None = None
        self._language = None
        self._items: list[pg.BarGraphItem] = []
        self._labels: list[pg.TextItem] = []
        self.scene().sigMouseClicked.connect(self._clicked)

    def set_bars(self, bars: pd.DataFrame) -> None:
        """Draw ``key, label, value`` (and ``overdue``) rows; labels pass the translator.

        Unchanged bars are not drawn again; new values on the same rows move the bars and
        their numbers (after a visit record only a chart or two changes).
        """
        bars = bars.reset_index(drop=True)
        language = getattr(self.tr_, "language", "zh")
        same_rows = self.bars is not None and self._language == language and \
            len(bars) == len(self.bars) and list(bars["key"]) == list(self.bars["key"]) and \
            list(bars["label"]) == list(self.bars["label"]) and \
            ("overdue" in bars) == ("overdue" in self.bars)
        if same_rows and bars.equals(self.bars):
            return
        self.bars, self._language = bars, language
        n = len(bars)
        values = bars["value"].to_numpy(float)
        overdue = bars["overdue"].to_numpy(float) if "overdue" in bars else np.zeros(n)
        on_time = values - overdue
        top = float(values.max()) if n and values.max() > 0 else 1.0
        texts = [f"{int(value)}" + (self.tr_("（超期{n}）").format(n=int(late)) if late else "")
                 for value, late in zip(values, overdue, strict=True)]
        if same_rows and n:
            self._items[0].setOpts(width=on_time)
            if len(self._items) > 1:
                self._items[1].setOpts(x0=on_time, width=overdue)
            for label, text, value, row in zip(self._labels, texts, values, range(n),
                                               strict=True):
                label.setText(text)
                label.setPos(value + top * 0.01, row)
            self.setXRange(0, top * 1.25, padding=0)
            return
        self.clear()
        self._items, self._labels = [], []
        rows = np.arange(n, dtype=float)
        if n:
            self._items.append(pg.BarGraphItem(x0=np.zeros(n), y=rows, height=_THICK,
                                               width=on_time, brush=BAR,
                                               pen=pg.mkPen("#ffffff")))
            if "overdue" in bars:
                self._items.append(pg.BarGraphItem(x0=on_time, y=rows, height=_THICK,
                                                   width=overdue, brush=OVERDUE_BAR,
                                                   pen=pg.mkPen("#ffffff")))
        for item in self._items:
            self.addItem(item)
        font = QFont()
        font.setPointSizeF(8 * self.scale)
        for row, value, text in zip(rows, values, texts, strict=True):
            label = pg.TextItem(text, color="#212529", anchor=(0, 0.5))
            label.setFont(font)
            label.setPos(value + top * 0.01, row)
            self.addItem(label)
            self._labels.append(label)
        labels = [self.tr_.message(str(text)) for text in bars["label"]]
        axis = self.getAxis("left")
        axis.setTicks([list(enumerate(labels))])
        # Wide enough for the longest name at once (pyqtgraph widens only after a paint).
        metrics = QFontMetrics(font)
        axis.setWidth(max((metrics.horizontalAdvance(t) for t in labels), default=0)
                      + int(14 * self.scale))
        self.setYRange(-0.6, max(n, 1) - 0.4, padding=0)
        self.setXRange(0, top * 1.25, padding=0)

    def bar_centre(self, row: int) -> tuple[float, float]:
        """Chart coordinates of the middle of a row's bar (where a test clicks)."""
        value = float(self.bars["value"].iloc[row])
        return max(value / 2, 0.0), float(row)

    def row_at(self, x: float, y: float) -> int | None:
        """The row whose bar is at chart coordinates (x, y), None when none."""
        if self.bars is None or not len(self.bars):
            return None
        row = int(round(y))
        if not 0 <= row < len(self.bars) or abs(y - row) > _THICK / 2:
            return None
        value = float(self.bars["value"].iloc[row])
        return row if x >= 0 and x <= max(value, 0.0) + 1e-9 else None

    def _clicked(self, event) -> None:
        point = self.plotItem.vb.mapSceneToView(event.scenePos())
        row = self.row_at(point.x(), point.y())
        if row is not None:
            self.bar_clicked.emit(self.bars["key"].iloc[row])


class TimelineChart(pg.PlotWidget):
    """Cumulative coverage per day of the unit against the timetable's target (dashed)."""

    def __init__(self, tr_, scale: float = 1.0, parent=None):
        self.axis = DateAxis()
        super().__init__(parent, background="w", axisItems={"bottom": self.axis})
        self.tr_, self.scale = tr_, scale
        _styled(self, scale)
        self.showGrid(x=True, y=True, alpha=0.2)
        self.legend = self.addLegend(offset=(10, 10),
                                     labelTextSize=f"{int(8 * scale)}pt")
        self.timeline: pd.DataFrame | None = None
        self._language = None
        self._curves: list = []

    def set_timeline(self, timeline: pd.DataFrame) -> None:
        """Draw ``date, coverage, target`` (coverage NaN after the day of the dashboard).

        The same days in the same language move the two lines only.
        """
        language = getattr(self.tr_, "language", "zh")
        previous = self.timeline
        self.timeline = timeline
        if previous is not None and previous.equals(timeline) and self._language == language:
            return
        dates = pd.to_datetime(timeline["date"]).dt.date if len(timeline) else []
        x = _seconds(dates)
        known = ~timeline["coverage"].isna().to_numpy()
        target = timeline["target"].to_numpy(float) * 100
        coverage = timeline["coverage"].to_numpy(float)[known] * 100
        if previous is not None and self._language == language and self._curves and \
                len(previous) == len(timeline) and len(timeline) and \
                previous["date"].equals(timeline["date"]):
            self._curves[0].setData(x, target)
            self._curves[1].setData(x[known], coverage)
            return
        self._language = language
        self.clear()
        self.legend.clear()
        self._curves = []
        self.axis.language = language
        self.axis.picture = None
        if not len(timeline):
            return
        self._curves = [
            self.plot(x, target, pen=pg.mkPen("#868e96", width=2 * self.scale,
                                              style=Qt.PenStyle.DashLine),
                      name=self.tr_("时序目标")),
            self.plot(x[known], coverage, pen=pg.mkPen(BAR, width=3 * self.scale),
                      name=self.tr_("累计覆盖率"))]
        self.setYRange(0, 105, padding=0)
        self.setXRange(float(x.min()), float(x.max()), padding=0.02)
        # A handful of days named in full: pyqtgraph's own date ticks crowd at a large font.
        step = max(int(np.ceil(len(dates) / 6)), 1)
        self.axis.setTicks([[(float(x[i]), self.tr_("{m}月{d}日").format(
            m=dates.iloc[i].month, d=dates.iloc[i].day)) for i in range(0, len(dates), step)]])
        if self.scale <= 1:  # on a projector's page the legend and the title say it
            self.getAxis("left").setLabel(self.tr_("累计覆盖率"), units="%")
