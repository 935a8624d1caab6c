"""Progress of the investigation: cumulative coverage per day against the timetable."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyqtgraph as pg
from PyQt6.QtCore import QPointF, QRectF, Qt, pyqtSignal
from PyQt6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from gis_app.ui.panels.table_export import TableExport

_PALETTE = ("#1c7ed6", "#e8590c", "#2f9e44", "#862e9c", "#c2255c", "#0b7285", "#5f3dc4")
MISSED, MET, PENDING = "#e03131", "#2f9e44", "#868e96"
_LEVELS = (("乡镇", 1), ("村", 2))


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
#: pyqtgraph names months and weekdays in English (strftime's C locale): the Chinese ones.
CHINESE_DATES = {**{m: f"{i}月" for i, m in enumerate(_MONTHS, 1)},
                 **{d: f"周{'一二三四五六日'[i]}" for i, d in enumerate(_WEEKDAYS)}}


class DateAxis(pg.DateAxisItem):
    """A date axis whose months and weekdays are in the interface language."""

    language = "zh"

    def tickStrings(self, values, scale, spacing):  # noqa: N802 - pyqtgraph override
        strings = super().tickStrings(values, scale, spacing)
        if self.language == "en":
            return strings
        return [" ".join(CHINESE_DATES.get(word, word) for word in text.split(" "))
                for text in strings]


def _seconds(days) -> np.ndarray:
    return np.array([dt.datetime.combine(d, dt.time()).timestamp() for d in days], dtype=float)


class ProgressChart(QWidget):
    """One line per unit (townships or villages), the milestones as targets on their dates.

    Parameters
    ----------
    translate : callable
        The window's translator.
    """

    level_changed = pyqtSignal(int)

    def __init__(self, translate, parent=None):
        super().__init__(parent)
        self.tr_ = translate
        self.level = QComboBox()
        for label, value in _LEVELS:
            self.level.addItem(label, value)
        self.level.currentIndexChanged.connect(
            lambda _i: self.level_changed.emit(int(self.level.currentData())))
        self.axis = DateAxis()
        self.plot = pg.PlotWidget(background="w", axisItems={"bottom": self.axis})
        self.plot.setMenuEnabled(False)  # pyqtgraph's menu speaks English only
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.plot.setMinimumHeight(120)
        self.plot.addLegend(offset=(10, 10))
        self.milestone_marks: list[tuple[str, str]] = []  # (name, colour) as drawn
        self.by_label = QLabel()
        bar = QHBoxLayout()
        bar.addWidget(self.by_label)
        bar.addWidget(self.level)
        bar.addStretch(1)
        self.daily: pd.DataFrame | None = None  # the lines drawn: date, code, name, coverage
        self.export = TableExport(
            self, translate, lambda: self.tr_("{dock}（{level}）").format(
                dock=self.tr_("排查进度"), level=self.level.currentText()),
            self.timeline_table, views=[self])
        bar.addWidget(self.export.button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(bar)
        layout.addWidget(self.plot)
        self.lines: dict[str, pg.PlotDataItem] = {}
        self.milestone_lines: list[pg.InfiniteLine] = []
        view = self.plot.getViewBox()
        view.sigResized.connect(self._layout_milestones)
        view.sigXRangeChanged.connect(self._layout_milestones)
        self.retranslate()

    def retranslate(self) -> None:
        """Labels and levels in the translator's language."""
        self.by_label.setText(self.tr_("按"))
        self.export.retranslate()
        for index, (label, _value) in enumerate(_LEVELS):
            self.level.setItemText(index, self.tr_(label))
        self.plot.setLabel("left", self.tr_("累计覆盖率"), units="%")
        self.axis.language = getattr(self.tr_, "language", "zh")
        self.axis.picture = None  # the ticks are drawn again in the language
        self.axis.update()

    def clear_timeline(self) -> None:
        """No investigation: an empty chart."""
        self.plot.clear()
        self.daily = None
        self.lines = {}
        self.milestone_marks = []
        self.milestone_lines = []

    def set_timeline(self, daily: pd.DataFrame, milestones: pd.DataFrame) -> None:
        """Draw ``daily`` (date, code, name, coverage) and ``milestones`` (due, target, missed)."""
        self.clear_timeline()
        self.daily = daily
        for index, (code, unit) in enumerate(daily.groupby("code", sort=True)):
            unit = unit.sort_values("date")
            colour = _PALETTE[index % len(_PALETTE)]
            line = self.plot.plot(_seconds(unit["date"]), unit["coverage"].to_numpy() * 100,
                                  pen=pg.mkPen(colour, width=2), name=str(unit["name"].iloc[0]))
            self.lines[str(code)] = line
        for record in milestones.to_dict("records"):  # a handful of milestones
            missed = record.get("missed")
            colour = PENDING if missed is None or pd.isna(missed) else (MISSED if missed else MET)
            x = _seconds([record["due_date"]])[0]
            line = pg.InfiniteLine(
                x, angle=90, pen=pg.mkPen(colour, style=Qt.PenStyle.DashLine),
                label=str(record["name"]), labelOpts={"position": 0.95, "color": colour})
            self.plot.addItem(line)
            self.milestone_lines.append(line)
            target = record.get("target_coverage")
            if target is not None and not pd.isna(target):
                self.plot.plot([x], [float(target) * 100], pen=None, symbol="t", symbolSize=12,
                               symbolBrush=colour)
            self.milestone_marks.append((str(record["name"]), colour))
        self.plot.setYRange(0, 105)
        days = [*_seconds(daily["date"]), *(line.value() for line in self.milestone_lines)]
        if days:  # the whole timetable in view, its last milestone included
            self.plot.setXRange(min(days), max(days), padding=0.02)
        self._layout_milestones()

    def timeline_table(self) -> tuple[pd.DataFrame, dict[str, str]]:
        """The lines as a table: a row per day, a column per unit (its cumulative coverage).

        The units in the legend's order, named as there; a day a unit has no point is empty.
        """
        day = self.tr_("日期")
        if self.daily is None or not len(self.daily):
            return pd.DataFrame({day: []}), {}
        names = self.daily.groupby("code", sort=True)["name"].first()
        wide = self.daily.pivot_table(index="date", columns="code", values="coverage",
                                      aggfunc="last").sort_index()
        columns = {day: pd.to_datetime(wide.index).to_numpy()}
        columns |= {str(names[code]): wide[code].to_numpy(dtype=float) for code in names.index}
        return pd.DataFrame(columns), {str(name): "0.0%" for name in names}

    def _layout_milestones(self, *_args) -> None:
        """Place the milestones' names so that none overlaps another or leaves the chart.

        A name is written to the right of its line, or to its left near the right edge; names
        that would meet go one row lower (milestones on the same day, a few days apart).
        """
        view = self.plot.getViewBox()
        width, height = view.width(), view.height()
        if not self.milestone_lines or width <= 0 or height <= 0:
            return
        rows: list[float] = []  # per row, where its last name ends (pixels)
        lines = sorted(self.milestone_lines, key=lambda line: line.value())
        for line in lines:  # a handful of milestones
            label = line.label
            text = label.boundingRect()
            x = view.mapFromView(QPointF(line.value(), 0)).x()
            label.setVisible(0 <= x <= width)  # a line out of view (zoomed in) is not named
            if not label.isVisible():
                continue
            left = x + 2 + text.width() > width - 2 and x - 2 - text.width() >= 0
            start, end = (x - 2 - text.width(), x) if left else (x, x + 2 + text.width())
            row = next((r for r, taken in enumerate(rows) if taken < start), len(rows))
            if row == len(rows):
                rows.append(end)
            rows[row] = end + 4
            anchor = (1, 0) if left else (0, 0)
            label.anchors = [anchor, anchor]
            label.setAnchor(anchor)
            top = 2 + row * (text.height() + 1)
            label.setPosition(min(max(1 - top / height, 0.0), 1.0))

    def milestone_label_rects(self) -> list[tuple[str, QRectF]]:
        """Each milestone's name and where it is drawn (the view box's pixels)."""
        view = self.plot.getViewBox()
        return [(line.label.toPlainText(),
                 view.mapRectFromItem(line.label, line.label.boundingRect()))
                for line in self.milestone_lines if line.label.isVisible()]

