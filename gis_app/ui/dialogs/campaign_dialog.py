"""The new-campaign form (新建排查): year, round, income lines, dates, townships, timetable."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from PyQt6.QtCore import QDate, Qt, pyqtSignal
from PyQt6.QtWidgets import (
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from gis_app.core.campaign import campaign_name, default_milestones

_KEY = Qt.ItemDataRole.UserRole


def _qdate(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _money(suffix: str) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(0, 1_000_000)
    box.setDecimals(0)
    box.setSingleStep(100)
    box.setSuffix(f" {suffix}")
    return box


class CampaignDialog(QDialog):
    """The fields of :func:`gis_app.services.campaign_service.create_campaign`.

    Parameters
    ----------
    translate : callable
        The window's translator.
    defaults_for : callable
        ``defaults_for(year)``: the form's starting values for a year (round, income lines,
        dates, milestones; see ``campaign_service.campaign_defaults``); called again when the
        year changes.
    townships : pandas.DataFrame
        ``id, code, name`` of the project's townships; all are ticked at first.
    submit : callable
        ``submit(**values)`` creates the campaign and returns its id; a ``ValueError`` is shown
        in the form, which stays open.
    year : int, optional
        The year to start with (default: this year).
    """

    created = pyqtSignal(int)

    def __init__(self, translate, defaults_for, townships: pd.DataFrame, submit,
                 year: int | None = None, parent=None):
        super().__init__(parent)
        self.tr_ = translate
        self._defaults_for, self._submit = defaults_for, submit
        self.campaign_id: int | None = None
        self.setWindowTitle(self.tr_("新建排查"))
        self.year = QSpinBox()
        self.year.setRange(2000, 2100)
        self.round = QSpinBox()
        self.round.setRange(1, 24)
        self.name = QLineEdit()
        self.income = _money(self.tr_("元/人·年"))
        self.warning_income = _money(self.tr_("元/人·年"))
        self.start = QDateEdit(calendarPopup=True)
        self.end = QDateEdit(calendarPopup=True)
        for edit in (self.start, self.end):
            edit.setDisplayFormat("yyyy-MM-dd")
        self.townships = QListWidget()
        for town in townships.itertuples():
            item = QListWidgetItem(f"{town.name}（{town.code}）")
            item.setData(_KEY, int(town.id))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.townships.addItem(item)
        self.milestones = QTableWidget(0, 3)
        self.milestones.setHorizontalHeaderLabels(
            [self.tr_("里程碑"), self.tr_("完成日期"), self.tr_("覆盖率目标（%）")])
        self.milestones.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c92a2a")
        self._build()
        self.year.valueChanged.connect(self._year_changed)
        self.round.valueChanged.connect(self._update_name_hint)
        self.year.blockSignals(True)
        self.year.setValue(int(year or dt.date.today().year))
        self.year.blockSignals(False)
        self._year_changed(self.year.value())

    def _build(self) -> None:
        form = QFormLayout()
        for label, widget in (("年度", self.year), ("轮次", self.round), ("名称", self.name),
                              ("监测收入基准线", self.income),
                              ("预警收入线", self.warning_income),
                              ("开始日期", self.start), ("结束日期", self.end)):
            form.addRow(self.tr_(label), widget)
        retime = QPushButton(self.tr_("按排查日期重排时间表"))
        retime.clicked.connect(self.fill_timetable)
        add = QPushButton(self.tr_("添加里程碑"))
        add.clicked.connect(lambda: self._add_milestone(
            {"key": None, "name": "", "due_date": self.end.date().toPyDate(),
             "target_coverage": None}))
        remove = QPushButton(self.tr_("删除所选里程碑"))
        remove.clicked.connect(lambda: self.milestones.removeRow(self.milestones.currentRow()))
        bar = QHBoxLayout()
        for button in (retime, add, remove):
            bar.addWidget(button)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(self.tr_("创建"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr_("取消"))
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel(self.tr_("覆盖的乡镇（其全部农村户）")))
        layout.addWidget(self.townships)
        layout.addWidget(QLabel(self.tr_("时间表")))
        layout.addWidget(self.milestones)
        layout.addLayout(bar)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(560, 720)

    # -- filling
    def _year_changed(self, year: int) -> None:
        defaults = self._defaults_for(year)
        self.round.setValue(int(defaults["round"]))
        self.income.setValue(float(defaults["income_line"]))
        self.warning_income.setValue(float(defaults["early_warning_income"]))
        self.start.setDate(_qdate(defaults["start_date"]))
        self.end.setDate(_qdate(defaults["end_date"]))
        self._set_milestones(defaults["milestones"])
        self._update_name_hint()

    def _update_name_hint(self, *_args) -> None:
        self.name.setPlaceholderText(campaign_name(self.year.value(), self.round.value()))

    def fill_timetable(self) -> None:
        """Milestones of seed 002's timetable stretched to the dates in the form."""
        self._set_milestones(default_milestones(self.start.date().toPyDate(),
                                                self.end.date().toPyDate()))

    def _set_milestones(self, milestones: list[dict]) -> None:
        self.milestones.setRowCount(0)
        for milestone in milestones:
            self._add_milestone(milestone)

    def _add_milestone(self, milestone: dict) -> None:
        row = self.milestones.rowCount()
        self.milestones.insertRow(row)
        name = QTableWidgetItem(milestone["name"])
        name.setData(_KEY, milestone.get("key"))
        self.milestones.setItem(row, 0, name)
        due = QDateEdit(calendarPopup=True)
        due.setDisplayFormat("yyyy-MM-dd")
        due.setDate(_qdate(milestone["due_date"]))
        self.milestones.setCellWidget(row, 1, due)
        target = milestone.get("target_coverage")
        shown = "" if target is None or pd.isna(target) else f"{target * 100:g}"
        self.milestones.setItem(row, 2, QTableWidgetItem(shown))

    # -- reading
    def milestone_values(self) -> list[dict]:
        """The timetable as edited (``key, name, due_date, target_coverage``)."""
        rows = []
        for row in range(self.milestones.rowCount()):
            name = self.milestones.item(row, 0)
            target_text = (self.milestones.item(row, 2) or QTableWidgetItem("")).text()
            target_text = target_text.strip().rstrip("%").strip()
            try:
                target = float(target_text) / 100 if target_text else None
            except ValueError:
                raise ValueError(self.tr_("第{n}个里程碑的覆盖率目标不是数字：{text}").format(
                    n=row + 1, text=target_text)) from None
            rows.append({
                "key": name.data(_KEY) if name else None,
                "name": name.text().strip() if name else "",
                "due_date": self.milestones.cellWidget(row, 1).date().toPyDate(),
                "target_coverage": target,
            })
        return rows

    def township_ids(self) -> list[int]:
        """The ticked townships."""
        items = (self.townships.item(i) for i in range(self.townships.count()))
        return [int(item.data(_KEY)) for item in items
                if item.checkState() == Qt.CheckState.Checked]

    def values(self) -> dict:
        """Keyword arguments of ``create_campaign`` (without the project)."""
        return {
            "year": self.year.value(),
            "round": self.round.value(),
            "name": self.name.text().strip() or None,
            "income_line": self.income.value(),
            "early_warning_income": self.warning_income.value(),
            "start_date": self.start.date().toPyDate(),
            "end_date": self.end.date().toPyDate(),
            "township_ids": self.township_ids(),
            "milestones": self.milestone_values(),
        }

    def save(self) -> None:
        """Create the campaign; what is wrong is listed in the form, which stays open."""
        try:
            self.campaign_id = int(self._submit(**self.values()))
        except ValueError as exc:
            self.error.setText("\n".join(self.tr_.message(part)
                                          for part in str(exc).split("；")))
            return
        self.created.emit(self.campaign_id)
        self.accept()
