"""Add or edit a grid worker: name, phone, unit, title, ID number, and their grids."""

from __future__ import annotations

import pandas as pd
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from gis_app.core.fields import display_value
from gis_app.core.idcard import validation_error

_HISTORY = (("grid_code", "网格编码"), ("grid_name", "网格名称"), ("role", "职务"),
            ("start_date", "起始日期"), ("end_date", "结束日期"))


class WorkerDialog(QDialog):
    """The worker's own fields; for an existing worker also their grids, load and history.

    Personal data is shown masked unless ``unmask``; a masked field left untouched is not
    changed (the dialog never writes a masked value back).
    """

    def __init__(self, translate, worker: dict | None = None, history: pd.DataFrame | None = None,
                 unmask: bool = False, parent=None):
        super().__init__(parent)
        self.tr_ = translate
        self.worker = worker or {}
        self.unmask = unmask
        self.setWindowTitle(self.tr_("编辑网格员") if worker else self.tr_("添加网格员"))
        self.name = QLineEdit(self.worker.get("name") or "")
        self.phone = QLineEdit(self._shown("phone"))
        self.phone.setPlaceholderText(self.tr_("11位手机号码"))
        self.unit = QLineEdit(self.worker.get("unit") or "")
        self.title_edit = QLineEdit(self.worker.get("title") or "")
        self.id_number = QLineEdit(self._shown("id_number"))
        self.id_number.setPlaceholderText(self.tr_("18位身份证号码（可不填）"))
        self.error = QLabel()
        self.error.setStyleSheet("color: #c92a2a")
        form = QFormLayout()
        for label, widget in (("姓名", self.name), ("手机号码", self.phone),
                              ("工作单位", self.unit), ("职务/身份", self.title_edit),
                              ("身份证号码", self.id_number)):
            form.addRow(self.tr_(label), widget)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        if worker:
            load = self.tr_(
                "负责网格：{grids}；{households}户，监测户{monitored}户，{persons}人").format(
                grids=worker.get("grids") or self.tr_("无"), households=worker.get("households", 0),
                monitored=worker.get("monitored", 0), persons=worker.get("persons", 0))
            self.load_label = QLabel(load)
            self.load_label.setWordWrap(True)
            layout.addWidget(self.load_label)
        self.history = QTableWidget(0, len(_HISTORY))
        self.history.setHorizontalHeaderLabels([self.tr_(label) for _, label in _HISTORY])
        self.history.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        if history is not None and len(history):
            layout.addWidget(QLabel(self.tr_("任职记录")))
            self._fill_history(history)
            layout.addWidget(self.history)
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(560, 420 if history is not None and len(history) else 260)

    def _shown(self, key: str) -> str:
        value = self.worker.get(key)
        return "" if value is None or pd.isna(value) else display_value(key, value, self.unmask)

    def _fill_history(self, history: pd.DataFrame) -> None:
        history = history.sort_values(["end_date", "start_date"], na_position="first")
        self.history.setRowCount(len(history))
        for row, record in enumerate(history.to_dict("records")):  # one worker's handful of rows
            for column, (key, _label) in enumerate(_HISTORY):
                value = record.get(key)
                missing = value is None or pd.isna(value)
                text = self.tr_("在任") if key == "end_date" and missing else \
                    self.tr_(str(value)) if key == "role" else str(value)
                self.history.setItem(row, column, QTableWidgetItem(text))

    def values(self) -> dict:
        """The fields the user changed (all of them for a new worker), empty strings as None."""
        entered = {"name": self.name.text().strip(), "phone": self.phone.text().strip(),
                   "unit": self.unit.text().strip() or None,
                   "title": self.title_edit.text().strip() or None,
                   "id_number": self.id_number.text().strip().upper() or None}
        if not self.worker:
            return entered
        changed = {}
        for key, value in entered.items():
            if key in ("phone", "id_number") and value == (self._shown(key) or None):
                continue  # untouched (possibly masked) personal data stays as stored
            if key not in ("phone", "id_number") and value == (self.worker.get(key) or None):
                continue
            changed[key] = value
        return changed

    def problem(self) -> str | None:
        """What is wrong with the input, in the interface language, or None."""
        values = self.values()
        if not self.worker or "name" in values:
            if not values.get("name"):
                return self.tr_("姓名不能为空")
        phone = values.get("phone")
        if phone and (not phone.isdigit() or len(phone) != 11):
            return self.tr_("手机号码应为11位数字：{phone}").format(phone=phone)
        if values.get("id_number"):
            error = validation_error(values["id_number"])
            if error:
                return self.tr_("身份证号码有误：{error}").format(error=error)
        return None

    def accept(self) -> None:  # noqa: D102 - Qt override: refuse bad input in place
        problem = self.problem()
        if problem:
            self.error.setText(problem)
            return
        super().accept()
