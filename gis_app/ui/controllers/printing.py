"""文件 → 打印地图…: the map as shown, or an atlas, into a PDF or a 300 dpi PNG.

What is printed is gathered from the window's session and layers on this thread (the layers
as the user left them: order, visibility, style, opacity) by
:func:`gis_app.services.print_service.prepare_print`; the file is drawn by
:func:`~gis_app.services.print_service.write_print` on a worker thread behind a progress
dialog whose 取消 stops it and leaves no file. ``gis-app print`` calls the same two. The print
is in the window's language (``gis-app print --language``).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PyQt6.QtCore import Qt

from gis_app.services import print_service
from gis_app.ui.controllers.base import ActionSpec, Controller
from gis_app.ui.dialogs.print_dialog import TITLE, PrintDialog
from gis_app.ui.progress import Cancelled, WorkDialog


class PrintController(Controller):
    """Opens :class:`PrintDialog`; its 打印 writes the file through the print service."""

    name = "printing"

    def __init__(self, window):
        super().__init__(window)
        self.dialog: PrintDialog | None = None
        self.work_dialog: WorkDialog | None = None

    def actions(self) -> list[ActionSpec]:
        """The menu item."""
        return [ActionSpec("文件", f"{TITLE}…", self.open_dialog, shortcut="Ctrl+P",
                           separator_before=True)]

    def open_dialog(self, *_args) -> PrintDialog:
        """Show the options; 打印 writes, 取消 closes."""
        dialog = PrintDialog(self.session, self.tr_, parent=self.window)
        dialog.buttons.accepted.connect(lambda: self.print_map(dialog))
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog = dialog
        dialog.open()
        return dialog

    def print_map(self, dialog: PrintDialog) -> str | None:
        """Write the file the dialog asks for; returns it, or None (the dialog says why)."""
        tr_ = self.tr_
        out = dialog.out()
        options = replace(dialog.options(), language=self.state.language)
        try:
            print_service.check_options(options, out)
            sheet = print_service.prepare_print(self.session, options, self.layers,
                                                self.window.styles)
        except ValueError as exc:
            dialog.status.setText(tr_("无法打印：{error}").format(error=tr_.message(str(exc))))
            return None
        work = WorkDialog(dialog, tr_("正在打印 {file}…").format(file=Path(out).name),
                          tr_("取消"))
        self.work_dialog = work
        try:
            result = work.run(lambda progress: print_service.write_print(sheet, out, progress))
        except Cancelled:
            dialog.status.setText(tr_("已取消打印，未写入文件"))
            return None
        except (OSError, ValueError) as exc:  # no Chinese font, a file that cannot be written
            dialog.status.setText(tr_("无法打印：{error}").format(error=tr_.message(str(exc))))
            return None
        finally:
            work.close()
        dialog.accept()
        self.status(tr_.message(result.message()), 10000)
        return str(result.path)
