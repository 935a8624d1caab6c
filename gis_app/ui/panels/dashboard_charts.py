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
        self.value.setStyleSheet(f"color: {colour};")
        self.state.setStyleSheet(f"color: {colour};")
        self.setStyleSheet(f"Tile {{ border: {max(2, int(3 * self.scale))}px solid {colour};"
                           " border-radius: 4px; background: #ffffff; }")

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
        self.scene().sigMouseClicked.connect(self._clicked)

    def set_bars(self, bars: pd.DataFrame) -> None:
        """Draw ``key, label, value`` (and ``overdue``) rows; labels pass the translator."""
        self.bars = bars.reset_index(drop=True)
        self.clear()
        n = len(self.bars)
        rows = np.arange(n, dtype=float)
        values = self.bars["value"].to_numpy(float)
        overdue = self.bars["overdue"].to_numpy(float) if "overdue" in self.bars else None
        on_time = values - (overdue if overdue is not None else 0)
        if n:
            self.addItem(pg.BarGraphItem(x0=np.zeros(n), y=rows, height=_THICK, width=on_time,
                                         brush=BAR, pen=pg.mkPen("#ffffff")))
            if overdue is not None:
                self.addItem(pg.BarGraphItem(x0=on_time, y=rows, height=_THICK, width=overdue,
                                             brush=OVERDUE_BAR, pen=pg.mkPen("#ffffff")))
        top = float(values.max()) if n and values.max() > 0 else 1.0
        font = QFont()
        font.setPointSizeF(8 * self.scale)
        for row, value, late in zip(rows, values, overdue if overdue is not None
                                    else np.zeros(n), strict=True):
            text = f"{int(value)}" + (self.tr_("（超期{n}）").format(n=int(late)) if late else "")
            label = pg.TextItem(text, color="#212529", anchor=(0, 0.5))
            label.setFont(font)
            label.setPos(value + top * 0.01, row)
            self.addItem(label)
        labels = [self.tr_.message(str(text)) for text in self.bars["label"]]
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

    def set_timeline(self, timeline: pd.DataFrame) -> None:
        """Draw ``date, coverage, target`` (coverage NaN after the day of the dashboard)."""
        self.timeline = timeline
        self.clear()
        self.legend.clear()
        self.axis.language = getattr(self.tr_, "language", "zh")
        self.axis.picture = None
        if not len(timeline):
            return
        dates = pd.to_datetime(timeline["date"]).dt.date
        x = _seconds(dates)
        known = ~timeline["coverage"].isna().to_numpy()
        self.plot(x, timeline["target"].to_numpy(float) * 100,
                  pen=pg.mkPen("#868e96", width=2 * self.scale, style=Qt.PenStyle.DashLine),
                  name=self.tr_("时序目标"))
        self.plot(x[known], timeline["coverage"].to_numpy(float)[known] * 100,
                  pen=pg.mkPen(BAR, width=3 * self.scale), name=self.tr_("累计覆盖率"))
        self.setYRange(0, 105, padding=0)
        self.setXRange(float(x.min()), float(x.max()), padding=0.02)
        self.getAxis("left").setLabel(self.tr_("累计覆盖率"), units="%",
                                      **{"font-size": f"{int(8 * self.scale)}pt"})
