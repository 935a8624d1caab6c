"""The official forms from the window (排查 → 导出统计表和台账…): annex, campaign, township, file.

The form gives :func:`gis_app.services.report_service.write_report` its arguments and runs it
with a progress dialog; a refusal (no such campaign, an identity the data break, personal data
the user may not see) is shown in the interface's language and nothing is written.
"""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gis_app.services import report_service

TITLE = "导出统计表和台账"


class ReportDialog(QDialog):
    """Annex, campaign (by year), township (or all) and the ``.xlsx`` to write.

    Parameters
    ----------
    session : ProjectSession
        The window's session: its campaigns, its user (who may see personal data).
    unmask : bool
        Write ID numbers and phones in full (the window's 显示个人信息).
    translate : callable
        The window's translator.
    """

    def __init__(self, session, unmask: bool, translate, parent=None):
        super().__init__(parent)
        self.session, self.unmask, self.tr_ = session, unmask, translate
        self.report: report_service.Report | None = None
        self.message_box: QMessageBox | None = None
        self.setWindowTitle(translate(TITLE))
        self.annex = QComboBox()
        for key, name in report_service.NAMES.items():
            self.annex.addItem(translate(name), key)
        self.campaign = QComboBox()
        campaigns = session.frame("campaigns").sort_values(["year", "round", "id"])
        newest = campaigns.drop_duplicates("year", keep="last")  # a year means its last round
        for year, name in zip(newest["year"], newest["name"], strict=True):
            self.campaign.addItem(str(name), int(year))
        current = campaigns[campaigns["id"] == session.campaign_id]
        if len(current):
            self.campaign.setCurrentIndex(self.campaign.findData(int(current["year"].iloc[0])))
        self.township = QComboBox()
        self.path = QLineEdit()
        self.path.setPlaceholderText(translate("请填写保存的文件名"))
        self.browse = QPushButton(translate("浏览…"))
        self.browse.clicked.connect(self._choose)
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(self.path, 1)
        line.addWidget(self.browse)
        self.privacy = QLabel(translate("证件号码、电话不脱敏（已显示个人信息）" if unmask
                                        else "证件号码、电话已脱敏"))
        form = QFormLayout()
        form.addRow(translate("报表"), self.annex)
        form.addRow(translate("排查年度"), self.campaign)
        form.addRow(translate("乡镇"), self.township)
        form.addRow(translate("保存为"), row)
        form.addRow("", self.privacy)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.export_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.export_button.setText(translate("导出"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(translate("取消"))
        self.buttons.accepted.connect(self.export)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.campaign.currentIndexChanged.connect(lambda _i: self._fill_townships())
        self.path.textChanged.connect(lambda _text: self._enable())
        self._fill_townships()
        self._enable()
        self.resize(520, self.sizeHint().height())

    def _fill_townships(self) -> None:
        """全部乡镇, then the chosen campaign's townships (by code)."""
        self.township.clear()
        self.township.addItem(self.tr_("全部乡镇"), None)
        year = self.campaign.currentData()
        if year is None:
            return
        scope = report_service.campaign_scope(self.session.project, year)
        for code, name in zip(scope.townships["code"], scope.townships["name"], strict=True):
            self.township.addItem(f"{name}（{code}）", code)

    def _enable(self) -> None:
        self.export_button.setEnabled(bool(self.path.text().strip())
                                      and self.campaign.count() > 0)

    def _choose(self) -> None:
        default = self.path.text() or self.tr_(report_service.NAMES[self.annex.currentData()])
        path, _ = QFileDialog.getSaveFileName(self, self.tr_(TITLE), default,
                                              self.tr_("Excel 文件 (*.xlsx)"))
        if path:
            self.path.setText(path)

    def values(self) -> dict:
        """The form as keyword arguments of ``write_report`` (annex and out included)."""
        path = self.path.text().strip()
        if path and not path.lower().endswith(".xlsx"):
            path += ".xlsx"
        return {"annex": self.annex.currentData(), "out": path,
                "campaign_year": self.campaign.currentData(),
                "township": self.township.currentData(), "unmask": self.unmask}

    def export(self) -> report_service.Report | None:
        """Write the form; on success the dialog closes, a refusal is explained and it stays."""
        values = self.values()
        what = self.tr_(report_service.NAMES[values["annex"]])
        progress = QProgressDialog(self.tr_("正在生成{what}…").format(what=what), None, 0, 0,
                                   self)
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(0)
        progress.show()
        QApplication.processEvents()

        def advance(done: int, total: int) -> None:
            progress.setMaximum(total)
            progress.setValue(done)

        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            self.report = report_service.write_report(
                self.session, values["annex"], values["out"], values["campaign_year"],
                values["township"], unmask=values["unmask"], progress=advance)
        except (ValueError, PermissionError, OSError) as exc:
            self.report = None
            self._refused(str(exc))
            return None
        finally:
            QApplication.restoreOverrideCursor()
            progress.close()
        self.accept()
        return self.report

    def _refused(self, message: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr_(TITLE), self.tr_.message(message),
                          parent=self)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        self.message_box = box
        box.open()
