"""文件 → 导出QGIS项目…: the window's project as a QGIS project for the county's GIS office.

The files are written by :func:`gis_app.services.export_service.export_project`, as
``gis-app export PROJECT OUT.qgs`` writes them: the GeoPackage beside the ``.qgs``/``.qgz``,
then the project over it, on a worker thread behind a :class:`WorkDialog` whose 取消 leaves
neither file. ID numbers and phones are masked unless 显示个人信息 is on (which only a
permitted user can turn on; the service checks the user again). Layer names and legends
follow the window's language. The export is noted in the audit log by the service; no data
changes, so no view follows.
"""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtWidgets import QFileDialog, QMessageBox

from gis_app.services.export_service import export_project
from gis_app.ui.controllers.base import ActionSpec, Controller
from gis_app.ui.progress import Cancelled, WorkDialog

TITLE = "导出QGIS项目…"
SUFFIXES = (".qgs", ".qgz")


class QgisProjectController(Controller):
    """The QGIS project export: layers, order and styles from layers/ and styles/."""

    name = "qgis_project"

    def __init__(self, window):
        super().__init__(window)
        self.work_dialog: WorkDialog | None = None

    def actions(self) -> list[ActionSpec]:
        return [ActionSpec("文件", TITLE, self.export_qgis)]

    def export_qgis(self, *_args, path: str | None = None) -> str | None:
        """Ask where (unless ``path``), write on a worker thread; the project file written."""
        tr_ = self.tr_
        if not path:
            path, _ = QFileDialog.getSaveFileName(
                self.window, tr_(TITLE), tr_("网格地图.qgs"),
                tr_("QGIS 项目") + " (*.qgs *.qgz)")
        if not path:
            return None
        if Path(path).suffix.lower() not in SUFFIXES:
            path += ".qgs"
        unmask, language = self.state.unmask, self.state.language
        project, user = self.session.project, self.session.user
        work = WorkDialog(self.window,
                          tr_("正在导出QGIS项目 {file}…").format(file=Path(path).name),
                          tr_("取消"))
        self.work_dialog = work
        try:
            written = work.run(lambda progress: export_project(
                project, path, unmask=unmask, user=user, progress=progress, language=language))
        except Cancelled:
            self.status(tr_("已取消导出，未写入文件"))
            return None
        except (OSError, ValueError) as exc:  # a folder that cannot be written, a refusal
            QMessageBox.warning(self.window, tr_(TITLE), tr_.message(str(exc)))
            return None
        finally:
            work.close()
        gpkg, qgs = written
        self.status(tr_("已导出QGIS项目：{path}（数据：{gpkg}）").format(path=qgs, gpkg=gpkg.name),
                    10000)
        return str(qgs)
