"""QApplication set-up: Chinese font, the project, the main window."""

from __future__ import annotations

import sys

from PyQt6.QtGui import QFont, QFontDatabase
from PyQt6.QtWidgets import QApplication, QMessageBox


def _cjk_font() -> QFont:
    """A font with Chinese glyphs, preferring those Debian and Windows ship."""
    families = set(QFontDatabase.families())
    for name in ("Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei", "SimSun"):
        if name in families:
            return QFont(name, 10)
    return QFont()


def run(project_location: str | None) -> int:
    """Open the project (or the sample) and run the event loop."""
    from gis_app.services import map_service
    from gis_app.storage.project import ProjectError, open_project
    from gis_app.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("网格防返贫监测 GIS")
    app.setOrganizationName("GridMonitor")
    app.setFont(_cjk_font())
    try:
        project = (open_project(project_location) if project_location
                   else map_service.open_or_create_sample())
    except ProjectError as exc:
        QMessageBox.critical(None, "无法打开项目", str(exc))
        return 1
    window = MainWindow(project)
    window.show()
    return app.exec()
