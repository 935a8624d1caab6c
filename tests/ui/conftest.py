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


#: Timers polling for a dialog, stopped when their test ends: one left running would look into
#: the next test's window for a dialog this test's window no longer has.
_POLLERS: list = []


@pytest.fixture(autouse=True)
def _stop_pollers():
    yield
    while _POLLERS:
        _POLLERS.pop().stop()


def when_shown(find, act, interval: int = 20):
    """``act(widget)`` once ``find()`` returns a widget (a dialog, a menu), polled every
    ``interval`` ms by a timer stopped when it acts or when the test ends: a dialog that never
    comes must not be looked for in the next test's window."""
    from PyQt6.QtCore import QTimer

    timer = QTimer()
    timer.setInterval(interval)

    def poll() -> None:
        widget = find()
        if widget is None:
            return
        timer.stop()
        act(widget)

    timer.timeout.connect(poll)
    _POLLERS.append(timer)
    timer.start()
    return timer


def cancel_when_shown(qtbot, owner, pressed: list, ready=lambda: True, after=None) -> None:
    """Press 取消 on ``owner.work_dialog``'s progress dialog as soon as it shows (and
    ``ready()`` holds); the button's text goes into ``pressed``, then ``after()`` runs."""
    from PyQt6 import sip
    from PyQt6.QtCore import Qt, QTimer
    from PyQt6.QtWidgets import QPushButton

    timer = QTimer()
    timer.setInterval(20)

    def poll() -> None:
        work = getattr(owner, "work_dialog", None)
        if work is None or sip.isdeleted(work.dialog) or not work.dialog.isVisible() \
                or not ready():
            return
        timer.stop()
        button = work.dialog.findChild(QPushButton)
        pressed.append(button.text())
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        if after is not None:
            after()

    timer.timeout.connect(poll)
    _POLLERS.append(timer)
    timer.start()
