"""Drag a layer in the layer tree of a real window on an X server; print what changed as JSON.

Run by ``test_layer_tree_order.py`` under Xvfb with ``QT_QPA_PLATFORM=xcb``: Qt's offscreen
platform ends every drag at once, an X server carries it through like a user's mouse.

    python -m tests.ui.xcb_drag PROJECT SETTINGS LAYER_ID ONTO_LAYER_ID
"""

from __future__ import annotations

import json
import sys

from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtTest import QTest


def _rect(tree, layer_id: str):
    for index in range(tree.topLevelItemCount()):
        item = tree.topLevelItem(index)
        if item.data(0, Qt.ItemDataRole.UserRole) == layer_id:
            tree.scrollToItem(item)
            return tree.visualItemRect(item)
    raise KeyError(layer_id)


def _state(window) -> dict:
    return {"active": window.layers.active,
            "table": window.controller("table").table.layer_id,
            "tree": window.controller("layers").tree.layer_order(),
            "layers": list(window.layers.order),
            "z": {layer.id: window.canvas.adapters[layer.id].z for layer in window.layers}}


def main(project: str, settings_path: str, layer_id: str, onto: str) -> dict:
    from PyQt6.QtCore import QSettings

    from gis_app.services.session import ProjectSession
    from gis_app.storage.project import open_project
    from gis_app.ui.app import application
    from gis_app.ui.main_window import MainWindow

    app = application()
    settings = QSettings(settings_path, QSettings.Format.IniFormat)
    window = MainWindow(ProjectSession(open_project(project), user="tester"), settings)
    window.resize(1400, 900)
    window.show()
    QTest.qWaitForWindowExposed(window)
    tree = window.controller("layers").tree
    before = _state(window)
    viewport = tree.viewport()
    start, end = _rect(tree, layer_id).center(), _rect(tree, onto).center()
    steps = 10

    def move(step: int = 1) -> None:  # runs inside the drag's own event loop
        if step <= steps:
            QTest.mouseMove(viewport, start + (end - start) * step / steps)
            QTimer.singleShot(30, lambda: move(step + 1))
        else:
            QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton,
                               Qt.KeyboardModifier.NoModifier, end)

    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTimer.singleShot(30, move)
    QTest.mouseMove(viewport, start + (end - start) / steps)  # past the drag distance: drag
    for _ in range(20):
        app.processEvents()
    after = _state(window)
    window.close()
    window.session.close()
    return {"before": before, "after": after}


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:5]), ensure_ascii=False))
