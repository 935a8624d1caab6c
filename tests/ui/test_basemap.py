"""The optional XYZ basemap (设置 → 底图…): tiles from a loopback server, cached, shown offline.

The address is typed into the real input dialog; the tiles' count and place are checked against
the server's log and the disk cache.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PyQt6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PyQt6.QtGui import QColor, QImage
from PyQt6.QtWidgets import QApplication, QDialogButtonBox, QInputDialog, QLineEdit

from tests.ui.conftest import open_window, when_shown


def _png(colour: str) -> bytes:
    image = QImage(256, 256, QImage.Format.Format_RGB32)
    image.fill(QColor(colour))
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data)


class _Tiles(BaseHTTPRequestHandler):
    requests: list[str] = []
    body = b""

    def do_GET(self):  # noqa: N802 - http.server API
        _Tiles.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()
        self.wfile.write(_Tiles.body)

    def log_message(self, *args):
        pass


def _choose_basemap(window, qtbot, address: str) -> str:
    """设置 → 底图…: type ``address`` over what the dialog shows, then OK; what it showed."""
    asked = []

    def answer(dialog):
        asked.append(dialog.textValue())
        edit = dialog.findChild(QLineEdit)
        edit.selectAll()
        qtbot.keyClick(edit, Qt.Key.Key_Delete)
        qtbot.keyClicks(edit, address)
        box = dialog.findChild(QDialogButtonBox)
        qtbot.mouseClick(box.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)

    when_shown(lambda: dialog if isinstance(dialog := QApplication.activeModalWidget(),
                                            QInputDialog) else None, answer)
    next(a for a in window.menus["设置"].actions() if a.text() == "底图…").trigger()
    assert asked, "the basemap dialog did not open"
    return asked[0]



def test_tiles_are_fetched_cached_and_used_offline(window, qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("GIS_APP_CACHE", str(tmp_path / "cache"))
    _Tiles.body = _png("#2b8a3e")
    _Tiles.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Tiles)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    template = f"http://127.0.0.1:{server.server_address[1]}/{{z}}/{{x}}/{{y}}.png"
    basemap = window.controller("map").basemap
    try:
        assert _choose_basemap(window, qtbot, template) == ""  # none set yet
        basemap.wait()
        qtbot.waitUntil(lambda: len(basemap.items) > 0 and not basemap.pending, timeout=10000)
        fetched = len(_Tiles.requests)
        assert fetched == len(basemap.items) > 0
        cached = list((tmp_path / "cache" / "tiles").rglob("*.png"))
        assert len(cached) == fetched
        # Chosen again, the same view draws from the disk cache: the server is asked nothing.
        assert _choose_basemap(window, qtbot, template) == template  # the dialog shows it
        assert not basemap.items
        basemap.wait()
        qtbot.waitUntil(lambda: len(basemap.items) == fetched, timeout=10000)
        assert len(_Tiles.requests) == fetched
        # The address is remembered: a window opened later shows the basemap, from the cache.
        window.settings.sync()
        later = open_window(qtbot, window.session.project.location, tmp_path / "settings.ini")
        try:
            again = later.controller("map").basemap
            assert again.template == template
            again.wait()
            qtbot.waitUntil(lambda: len(again.items) > 0 and not again.pending, timeout=10000)
            assert len(_Tiles.requests) == fetched
        finally:
            later.close()
            later.session.close()
    finally:
        server.shutdown()
        server.server_close()
    # Offline (the server gone), the tiles stay: they lie under the map and cover its centre.
    window.canvas.zoom_full()
    basemap.wait()
    assert len(basemap.items) == fetched
    centre = window.canvas.view_box.viewRect().center()
    rects = [i.mapToParent(i.boundingRect()).boundingRect() for i in basemap.items.values()]
    assert any(rect.contains(centre) for rect in rects)
    assert all(item.zValue() < min(a.z for a in window.canvas.adapters.values())
               for item in basemap.items.values())
    # An empty address removes the basemap.
    _choose_basemap(window, qtbot, "")
    assert not basemap.items
    assert not window.settings.value("basemap/url")
