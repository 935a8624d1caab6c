"""The visit form (走访记录) of annex 2: how, when, by whom a household was checked, what was found.

It warns, without blocking, when the record will break a rule of the campaign.
"""

from __future__ import annotations

import datetime as dt

from PyQt6.QtCore import QDate, pyqtSignal
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
)

from gis_app.core.codes import InvestigationMethod, MonitoringType, RiskType
from gis_app.core.fields import display_value

#: The annex-2 problem columns (三保障和饮水安全) as the form asks them.
PROBLEMS = (
    ("housing_problem", "住房安全有问题"),
    ("education_problem", "有义务教育阶段失学辍学"),
    ("insurance_problem", "有家庭成员未参加基本医疗保险"),
    ("water_problem", "饮水安全有问题"),
)


def _qdate(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


class RecordDialog(QDialog):
    """One visit of one household, saved through ``submit(**fields)``.

    Parameters
    ----------
    translate : callable
        The window's translator.
    household : dict
        From :meth:`RecordService.household` (head, ID, village, grid, workers).
    campaign : dict
        ``name, start_date, end_date``.
    submit : callable
        ``submit(**fields)`` saves and returns the result; a ``ValueError`` is shown in the
        form, which stays open.
    check : callable
        ``check(**fields)`` returns the rules the record would break (rule → Chinese flag).
    unmask : bool
        Show the ID number in full.
    today : datetime.date, optional
        The default date (clipped to the campaign); today when None.
    """

    saved = pyqtSignal(object)  # what submit returned

    def __init__(self, translate, household: dict, campaign: dict, submit, check,
                 unmask: bool = False, today: dt.date | None = None, parent=None):
        super().__init__(parent)
        self.tr_ = translate
        self.household, self.campaign = household, campaign
        self._submit, self._check = submit, check
        self.result_value = None
        self._confirmed = False
        self.setWindowTitle(self.tr_("录入走访记录"))
        head = QLabel(self.tr_(
            "户主：{head}　证件号码：{id_number}<br>{place}　网格：{grid}<br>"
            "排查：{campaign}（{start:%Y-%m-%d} 至 {end:%Y-%m-%d}）").format(
            head=household["head_name"],
            id_number=display_value("head_id_number", household["head_id_number"], unmask),
            place=f"{household.get('township') or ''}{household.get('village') or ''}",
            grid=household.get("grid_name") or self.tr_("未划入网格"),
            campaign=campaign["name"], start=campaign["start_date"], end=campaign["end_date"]))
        head.setWordWrap(True)
        self.method = QComboBox()
        for member in InvestigationMethod:
            self.method.addItem(self.tr_(member.label), int(member))
        self.date = QDateEdit(calendarPopup=True)
        self.date.setDisplayFormat("yyyy-MM-dd")
        day = min(max(today or dt.date.today(), campaign["start_date"]), campaign["end_date"])
        self.date.setDate(_qdate(day))
        self.checker = QComboBox(editable=True)
        self.checker.addItem("", None)
        for worker in household["workers"].itertuples():
            self.checker.addItem(worker.name, int(worker.id))
        self.checker.lineEdit().setPlaceholderText(self.tr_("核查人姓名"))
        if len(household["workers"]):
            self.checker.setCurrentIndex(1)
        self.away = QCheckBox(self.tr_("整户外出"))
        self.problems = {key: QCheckBox(self.tr_(label)) for key, label in PROBLEMS}
        self.other = QLineEdit(placeholderText=self.tr_("其他问题（可不填）"))
        self.has_risk = QCheckBox(self.tr_("存在致返贫风险"))
        self.risk_type = QComboBox()
        for member in RiskType:
            self.risk_type.addItem(self.tr_(member.label), int(member))
        self.proposed = QComboBox()
        self.proposed.addItem(self.tr_("（不纳入监测）"), None)
        for member in MonitoringType:
            self.proposed.addItem(self.tr_(member.label), int(member))
        self.rollback = QCheckBox(self.tr_("拟风险消除回退"))
        self.removal = QCheckBox(self.tr_("拟清退"))
        self.warning = QLabel()
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #d9480f")
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c92a2a")
        self._build(head)
        for signal in (self.method.currentIndexChanged, self.date.dateChanged,
                       self.checker.currentTextChanged, self.away.toggled,
                       self.has_risk.toggled, self.risk_type.currentIndexChanged,
                       self.proposed.currentIndexChanged):
            signal.connect(self._changed)
        self._changed()

    def _build(self, head: QLabel) -> None:
        form = QFormLayout()
        form.addRow(self.tr_("排查方式"), self.method)
        form.addRow(self.tr_("排查日期"), self.date)
        form.addRow(self.tr_("核查人"), self.checker)
        form.addRow("", self.away)
        problems = QGroupBox(self.tr_("三保障和饮水安全"))
        grid = QGridLayout(problems)
        for index, box in enumerate(self.problems.values()):
            grid.addWidget(box, index // 2, index % 2)
        grid.addWidget(self.other, 2, 0, 1, 2)
        result = QFormLayout()
        result.addRow("", self.has_risk)
        result.addRow(self.tr_("致返贫风险类型"), self.risk_type)
        result.addRow(self.tr_("拟纳入监测类型"), self.proposed)
        result.addRow("", self.rollback)
        result.addRow("", self.removal)
        outcome = QGroupBox(self.tr_("排查结论"))
        outcome.setLayout(result)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText(self.tr_("保存"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr_("取消"))
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(head)
        layout.addLayout(form)
        layout.addWidget(problems)
        layout.addWidget(outcome)
        layout.addWidget(self.warning)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.resize(520, 560)

    def values(self) -> dict:
        """The annex-2 fields as filled in."""
        name = self.checker.currentText().strip()
        index = self.checker.findText(name)
        risk = self.has_risk.isChecked()
        return {
            "method": self.method.currentData(),
            "checked_on": self.date.date().toPyDate(),
            "checker": name or None,
            "checker_worker_id": self.checker.itemData(index) if index > 0 else None,
            "whole_household_away": self.away.isChecked(),
            **{key: box.isChecked() for key, box in self.problems.items()},
            "other_problems": self.other.text().strip() or None,
            "has_risk": risk,
            "risk_type": self.risk_type.currentData() if risk else None,
            "proposed_monitoring_type": self.proposed.currentData() if risk else None,
            "proposed_rollback": self.rollback.isChecked(),
            "proposed_removal": self.removal.isChecked(),
        }

    def _changed(self, *_args) -> None:
        """Enable the risk fields with the risk; say now which rules the record would break."""
        risk = self.has_risk.isChecked()
        self.risk_type.setEnabled(risk)
        self.proposed.setEnabled(risk)
        self.error.clear()
        self._confirmed = False
        self.save_button.setText(self.tr_("保存"))
        try:
            flags = self._check(**self.values())
        except ValueError as exc:
            self.warning.clear()
            self.error.setText(self.tr_.message(str(exc)))
            return
        self.warning.setText(
            self.tr_("注意：该记录将被标记为不合规（{flags}），不计入排查覆盖。").format(
                flags=self.tr_("；").join(map(self.tr_, flags.values()))) if flags else "")

    def save(self) -> None:
        """Save; a record that breaks a rule needs a second press (the warning stays shown)."""
        if self.warning.text() and not self._confirmed:
            self._confirmed = True
            self.save_button.setText(self.tr_("仍然保存"))
            return
        try:
            self.result_value = self._submit(**self.values())
        except ValueError as exc:
            self.error.setText(self.tr_.message(str(exc)))
            return
        self.saved.emit(self.result_value)
        self.accept()
