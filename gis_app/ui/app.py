"""QApplication set-up and opening a project with a progress dialog that can be cancelled."""

from __future__ import annotations

import os
import sys

from PyQt6.QtCore import QEvent, QObject, QSettings, Qt, QTimer
from PyQt6.QtGui import QFont, QFontDatabase
from PyQt6.QtWidgets import (
    QApplication,
    QGraphicsView,
    QMessageBox,
    QProgressDialog,
    QWidget,
)

from gis_app.runtime import freeze_start_up

_WINDOWS: list = []  # keep windows alive


class LoadCancelled(Exception):
    """The user pressed 取消 while a project was loading."""


def cjk_font() -> QFont:
    """A font with Chinese glyphs, preferring those Debian and Windows ship."""
    families = set(QFontDatabase.families())
    for name in ("Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei", "SimSun"):
        if name in families:
            return QFont(name, 10)
    return QFont()


def application() -> QApplication:
    """The QApplication, created once with the app's names and font."""
    from gis_app.ui.i18n import current_language
    from gis_app.ui.qt_language import install_qt_language, use_qt_dialogs

    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("GridMonitor")
    app.setOrganizationName("GridMonitor")
    app.setFont(cjk_font())
    use_qt_dialogs()
    install_qt_language(current_language(QSettings().value("language")))
    return app


def load_project(location: str | None, parent=None, meanwhile=None):
    """Open a project (the sample when None) in a session and read its layers, with progress.

    ``meanwhile()`` is run on this thread while the layers are read on another (the window's
    modules are imported then: on two cores the wait is the longer of the two, not the sum).

    Returns
    -------
    ProjectSession or None
        None when the user cancelled or the project could not be opened (after a message).
    """
    from gis_app.services import map_service
    from gis_app.services.session import ProjectSession
    from gis_app.storage.project import ProjectError, open_project
    from gis_app.ui.i18n import Translator, current_language

    tr_ = Translator(current_language(QSettings().value("language")))
    dialog = QProgressDialog(tr_("正在打开项目…"), tr_("取消"), 0, 100, parent)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(300)

    def progress(done: int, total: int) -> None:
        dialog.setMaximum(total)
        dialog.setValue(done)
        QApplication.processEvents()
        if dialog.wasCanceled():
            raise LoadCancelled()

    try:
        project = (
            open_project(location)
            if location
            else map_service.open_or_create_sample(progress=progress)
        )
        data = ProjectSession(project, watch=True)
        _load_beside(data, progress, meanwhile)
    except LoadCancelled:
        return None
    except ProjectError as exc:
        QMessageBox.critical(parent, tr_("无法打开项目"), tr_.message(str(exc)))
        return None
    finally:
        dialog.close()
    remember_recent(project.location)
    return data


def _load_beside(session, progress, meanwhile=None) -> None:
    """``session.load()`` on a worker thread, ``meanwhile()`` here; progress and 取消 stay live.

    Until it returns nothing else touches the session: the worker alone reads its sources.
    """
    import threading

    state = {"done": 0, "total": 1, "error": None}
    cancelled = threading.Event()

    def report(done: int, total: int) -> None:
        state["done"], state["total"] = done, total
        if cancelled.is_set():
            raise LoadCancelled()

    def work() -> None:
        try:
            session.load(progress=report)
        except BaseException as error:  # noqa: BLE001 - re-raised on the main thread
            state["error"] = error

    worker = threading.Thread(target=work, name="load-project", daemon=True)
    worker.start()
    try:
        if meanwhile is not None:
            meanwhile()
        while worker.is_alive():
            worker.join(0.02)
            progress(state["done"], state["total"])
    except BaseException:
        cancelled.set()
        worker.join()
        raise
    if state["error"] is not None:
        raise state["error"]


def remember_recent(location: str) -> None:
    """Put a project at the top of the recent list (10 kept)."""
    settings = QSettings()
    recent = [r for r in (settings.value("recent") or []) if r != location]
    settings.setValue("recent", [location, *recent][:10])


def open_window(location: str | None, parent=None):
    """Load a project and show a main window on it."""
    import importlib

    data = load_project(location, parent,
                        meanwhile=lambda: importlib.import_module("gis_app.ui.main_window"))
    if data is None:
        return None
    from gis_app.ui.main_window import MainWindow

    window = MainWindow(data)
    if QSettings().value("window/geometry") is None:
        # first start: the whole screen for the map (sized first: without a window manager,
        # as on a bare X server, maximising alone does nothing)
        screen = window.screen()
        if screen is not None:
            window.setGeometry(screen.availableGeometry())
        window.showMaximized()
    else:
        window.show()
    _WINDOWS.append(window)
    return window


class _ExitAfterFirstPaint(QObject):
    """Test only: with ``GIS_APP_EXIT_AFTER_PAINT=1`` the app quits once the map is painted.

    It prints ``opened: <window title>`` on stdout first, so a test can start the app as a
    person does (``scripts/run.sh``) and check what it opened.
    """

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.painted = False

    def eventFilter(self, watched, event):  # noqa: N802 - Qt override
        # The map is a QGraphicsView (pyqtgraph): its viewport paints the layers.
        if (not self.painted and event.type() == QEvent.Type.Paint
                and isinstance(watched, QWidget)
                and isinstance(watched.parentWidget(), QGraphicsView)
                and self.window.isAncestorOf(watched)):
            self.painted = True
            QTimer.singleShot(0, self.finish)
        return False

    def finish(self) -> None:
        print(f"opened: {self.window.windowTitle()}", flush=True)
        self.window.close()
        QApplication.instance().exit(0)


def run(project_location: str | None) -> int:
    """Open the project (or the sample) and run the event loop."""
    app = application()
    # The data stack imported (the window's widgets are imported while the project loads):
    # its objects left out of every later full collection.
    import gis_app.services.map_service
    import gis_app.services.session  # noqa: F401

    freeze_start_up()
    window = open_window(project_location)
    if window is None:
        return 1
    if os.environ.get("GIS_APP_EXIT_AFTER_PAINT") == "1":
        app.installEventFilter(_ExitAfterFirstPaint(window))
    return app.exec()
