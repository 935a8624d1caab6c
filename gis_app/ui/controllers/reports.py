"""The official forms of a centralized investigation from the window (排查 → 导出统计表和台账…).

The dialog writes the form through :mod:`gis_app.services.report_service`; the file written is
said in the status bar. Writing a form changes no data, so no view follows it.
"""

from __future__ import annotations

from PyQt6.QtCore import Qt

from gis_app.ui.controllers.base import ActionSpec, Controller
from gis_app.ui.dialogs.report_dialog import ReportDialog


class ReportController(Controller):
    """Annexes 1–4 of seed 002: the statistics table, the ledger, portraits, rectifications."""

    name = "reports"

    def __init__(self, window):
        super().__init__(window)
        self.dialog: ReportDialog | None = None

    def actions(self) -> list[ActionSpec]:
        return [ActionSpec("排查", "导出统计表和台账…", self.open_dialog, separator_before=True)]

    def open_dialog(self, *_args) -> ReportDialog:
        """Show the form; a form written is said in the status bar."""
        dialog = ReportDialog(self.session, self.state.unmask, self.tr_, parent=self.window)
        dialog.accepted.connect(lambda: self._written(dialog))
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _written(self, dialog: ReportDialog) -> None:
        if dialog.report is not None:
            self.status(self.tr_.message(dialog.report.message()), 10000)
