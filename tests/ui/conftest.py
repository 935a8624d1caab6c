"""Qt fixtures: the main window on the sample county, offscreen."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PyQt6.QtCore import QPointF, QSettings  # noqa: E402


def open_window(qtbot, location, settings_path, language="zh"):
    """A shown MainWindow on a new session of ``location`` (what the app does, offscreen)."""
    from gis_app.services.session import ProjectSession
    from gis_app.storage.project import open_project
    from gis_app.ui.app import application
    from gis_app.ui.main_window import MainWindow

    application()
    settings = QSettings(str(settings_path), QSettings.Format.IniFormat)
    settings.setValue("language", language)
    session = ProjectSession(open_project(location), user="tester", watch=True)
    window = MainWindow(session, settings)
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    window.canvas.zoom_full()
    qtbot.wait(50)
    return window


@pytest.fixture
def window(qtbot, sample_project_path, tmp_path):
    """The main window on a private copy of the sample (tests may edit it)."""
    import shutil

    copy = tmp_path / "copy.gmp"
    shutil.copy(sample_project_path, copy)
    win = open_window(qtbot, copy, tmp_path / "settings.ini")
    yield win
    win.close()
    win.session.close()


@pytest.fixture
def own_window(window):
    """The same as ``window`` (every window is on its own copy now)."""
    return window


def view_to_widget(window, x: float, y: float):
    """Widget (viewport) position of map point (x, y)."""
    canvas = window.canvas
    scene = canvas.view_box.mapViewToScene(QPointF(x, y))
    return canvas.mapFromScene(scene)
