"""Importing a county's files from the window (文件 → 导入文件…), one undo step per file.

The form gives :func:`~gis_app.services.import_service.check_file` its arguments; the file is
read and checked on a worker thread behind a progress dialog with 取消 (cancelling writes
nothing), then written in one unit of work. A file with errors writes nothing and every
problem is listed; sites or hazards already in the project are
named and the user is asked whether to update them by code; the warnings of a successful
import (a wrong ``.cpg``, features outside the county) are shown with its outcome.
"""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QMessageBox

from gis_app.services import import_service
from gis_app.services.import_report import ExistingCodesError
from gis_app.ui.controllers.base import ActionSpec, Controller
from gis_app.ui.dialogs.import_dialog import ImportDialog
from gis_app.ui.progress import Cancelled, WorkDialog

TITLE = "导入文件…"
#: Lines shown in a message box; every line is in its details.
SHOWN_LINES = 12
#: Codes named in the question whether to update.
SHOWN_CODES = 10


class ImportController(Controller):
    """The import form, its confirmation to update by code, and its outcome."""

    name = "imports"

    def __init__(self, window):
        super().__init__(window)
        self.import_dialog: ImportDialog | None = None
        self.work_dialog: WorkDialog | None = None
        self.update_box: QMessageBox | None = None
        self.report_box: QMessageBox | None = None

    def actions(self) -> list[ActionSpec]:
        return [ActionSpec("文件", TITLE, self.open_import_dialog, separator_before=True)]

    def open_import_dialog(self, *_args) -> ImportDialog:
        """Show the form; its 导入 runs the import."""
        dialog = ImportDialog(self.tr_, import_service.KIND_TITLES, import_service.UPDATABLE_KINDS,
                              import_service.file_layers, parent=self.window)
        dialog.accepted.connect(lambda: self.run_import(dialog.values()))
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.import_dialog = dialog
        dialog.open()
        return dialog

    def run_import(self, values: dict):
        """Import the file as the form says; returns the report, or None when nothing was written.

        The file is read and checked on a worker thread behind a progress dialog whose 取消
        stops it (nothing written); then it is written in one unit of work. Codes already
        stored, without updating asked for, raise the question whether to update them
        (:attr:`update_box`); its 是 imports again with ``update``.
        """
        from gis_app.io.errors import InputFileError

        name = Path(values["path"]).name
        work = WorkDialog(self.window, self.tr_("正在读取并检查 {file}…").format(file=name),
                          self.tr_("取消"))
        self.work_dialog = work
        try:
            checked = work.run(lambda progress: import_service.check_file(
                self.session.project, values["path"], values["kind"], crs=values["crs"],
                gcj02=values["gcj02"], layer=values["layer"], update=values["update"],
                progress=progress))
            work.busy(self.tr_("正在写入项目…"))
            report = self.run_edit(TITLE, import_service.write_checked, self.session, checked)
        except Cancelled:
            self.status(self.tr_("已取消导入，未写入任何数据"), 8000)
            return None
        except ExistingCodesError as exc:
            self._ask_update(values, exc)
            return None
        except InputFileError as exc:
            self._report(self.tr_("文件有误，未导入任何数据"), [self._line(i) for i in exc.issues],
                         QMessageBox.Icon.Critical)
            return None
        finally:
            work.close()
        if report is None:  # refused (explained by run_edit), nothing written
            return None
        summary = self.tr_("已导入 {n} 条：{file}").format(n=report.written, file=report.file)
        if report.updated or report.unchanged:
            summary += self.tr_("（按编码更新 {updated} 条，{unchanged} 条未改动）").format(
                updated=report.updated, unchanged=report.unchanged)
        icon = QMessageBox.Icon.Warning if report.warnings else QMessageBox.Icon.Information
        self._report(summary, [self._line(w) for w in report.warnings], icon)
        self.status(summary, 8000)
        return report

    def _ask_update(self, values: dict, exc: ExistingCodesError) -> QMessageBox:
        shown = "、".join(exc.codes[:SHOWN_CODES]) + ("…" if len(exc.codes) > SHOWN_CODES else "")
        text = self.tr_("项目中已有 {n} 个相同编码的{what}：{codes}").format(
            n=len(exc.codes), what=self.tr_(exc.what), codes=shown)
        box = QMessageBox(QMessageBox.Icon.Question, self.tr_(TITLE), text,
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                          self.window)
        box.setInformativeText(self.tr_(
            "是否按编码更新？将替换它们的几何图形和属性，原值记入审计日志，可撤销。"
            "选“否”则不导入任何数据。"))
        box.button(QMessageBox.StandardButton.Yes).setText(self.tr_("按编码更新"))
        box.button(QMessageBox.StandardButton.No).setText(self.tr_("不导入"))
        box.setDetailedText("\n".join(exc.codes))

        def answered(button) -> None:
            if box.standardButton(button) == QMessageBox.StandardButton.Yes:
                self.run_import({**values, "update": True})

        box.buttonClicked.connect(answered)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        self.update_box = box
        box.open()
        return box

    def _line(self, issue) -> str:
        """One problem as the user reads it: file, row, field, then the message."""
        where = issue.file
        if issue.row is not None:
            where += self.tr_(" 第{row}行").format(row=issue.row)
        if issue.field:
            where += f"【{issue.field}】"
        return f"{where}: {self.tr_.message(issue.message)}"

    def _report(self, summary: str, lines: list[str], icon) -> None:
        """Show an import's outcome without blocking; every line in the details."""
        box = QMessageBox(icon, self.tr_(TITLE), summary, parent=self.window)
        more = [self.tr_("……共{n}条").format(n=len(lines))] if len(lines) > SHOWN_LINES else []
        box.setInformativeText("\n".join(lines[:SHOWN_LINES] + more))
        if lines:
            box.setDetailedText("\n".join(lines))
        box.setWindowModality(Qt.WindowModality.WindowModal)
        self.report_box = box
        box.open()
