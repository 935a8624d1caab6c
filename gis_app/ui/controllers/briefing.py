"""文件 → 导出简报网页地图…: the offline briefing map of the window's project, for a meeting.

The file is written by :mod:`gis_app.services.briefing_service` on a worker thread behind a
:class:`WorkDialog` (取消 leaves no file), with the campaign the window follows, the basemap
the user configured (设置 → 底图…, else none) and the window's language. Writing it changes no
data, so no view follows; it is noted in the audit log and said in the status bar.
"""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtWidgets import QFileDialog

from gis_app.services.briefing_service import record_export, write_briefing_map
from gis_app.ui.controllers.base import ActionSpec, Controller
from gis_app.ui.progress import Cancelled, WorkDialog

TITLE = "导出简报网页地图…"


class BriefingController(Controller):
    """The briefing web map: grids' coverage, hazards, sites, households per grid; no names."""

    name = "briefing"

    def __init__(self, window):
        super().__init__(window)
        self.work_dialog: WorkDialog | None = None

    def actions(self) -> list[ActionSpec]:
        return [ActionSpec("文件", TITLE, self.export_briefing, separator_before=True)]

    def export_briefing(self, *_args, path: str | None = None) -> str | None:
        """Ask where (unless ``path``), write the map on a worker thread; the path written."""
        if not path:
            path, _ = QFileDialog.getSaveFileName(
                self.window, self.tr_(TITLE), self.tr_("简报地图.html"),
                self.tr_("网页文件") + " (*.html)")
        if not path:
            return None
        if Path(path).suffix.lower() not in (".html", ".htm"):
            path += ".html"
        tiles = self.window.settings.value("basemap/url") or None
        language = self.state.language
        work = WorkDialog(self.window,
                          self.tr_("正在生成简报网页地图 {file}…").format(file=Path(path).name),
                          self.tr_("取消"))
        self.work_dialog = work
        try:
            written = work.run(lambda progress: write_briefing_map(
                self.session, path, tiles=tiles, language=language, progress=progress))
        except Cancelled:
            self.status(self.tr_("已取消导出，未写入文件"))
            return None
        finally:
            work.close()
        record_export(self.session, written)
        self.status(self.tr_.message(written.message()), 10000)
        return str(written.path)
