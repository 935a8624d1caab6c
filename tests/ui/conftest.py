"""Qt fixtures: the main window on the sample county, offscreen."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PyQt6.QtCore import QPointF, QSettings  # noqa: E402


@pytest.fixture(scope="session")
def map_data(sample_project_path):
    from gis_app.services.map_service import load_map_data
    from gis_app.storage.project import open_project

    return load_map_data(open_project(sample_project_path))


@pytest.fixture
def window(qtbot, map_data, tmp_path):
    from gis_app.ui.app import application
    from gis_app.ui.main_window import MainWindow

    application()
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("language", "zh")
    win = MainWindow(map_data, settings)
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    win.canvas.zoom_full()
    qtbot.wait(50)
    return win


@pytest.fixture
def own_window(qtbot, sample_project_path, tmp_path):
    """The main window on a private copy of the sample: tests that edit the store use it."""
    import shutil

    from gis_app.services.map_service import load_map_data
    from gis_app.storage.project import open_project
    from gis_app.ui.main_window import MainWindow

    copy = tmp_path / "copy.gmp"
    shutil.copy(sample_project_path, copy)
    window = MainWindow(load_map_data(open_project(copy)),
                        QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    window.canvas.zoom_full()
    return window


def view_to_widget(window, x: float, y: float):
    """Widget (viewport) position of map point (x, y)."""
    canvas = window.canvas
    scene = canvas.view_box.mapViewToScene(QPointF(x, y))
    return canvas.mapFromScene(scene)
