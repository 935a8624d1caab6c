"""The optional XYZ basemap: tiles from a loopback server, cached, then shown offline."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PyQt6.QtCore import QBuffer, QByteArray, QIODevice
from PyQt6.QtGui import QColor, QImage


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


def test_tiles_are_fetched_cached_and_used_offline(window, qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("GIS_APP_CACHE", str(tmp_path / "cache"))
    _Tiles.body = _png("#2b8a3e")
    _Tiles.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Tiles)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    template = f"http://127.0.0.1:{server.server_address[1]}/{{z}}/{{x}}/{{y}}.png"
    try:
        window.set_basemap(template)
        window.basemap.wait()
        qtbot.waitUntil(lambda: len(window.basemap.items) > 0 and not window.basemap.pending,
                        timeout=10000)
    finally:
        server.shutdown()
        server.server_close()
    fetched = len(_Tiles.requests)
    assert fetched == len(window.basemap.items) > 0
    cached = list((tmp_path / "cache" / "tiles").rglob("*.png"))
    assert len(cached) == fetched
    # Offline now: the same view draws from the disk cache, and asks the network nothing.
    window.set_basemap(template)
    window.basemap.wait()
    qtbot.waitUntil(lambda: len(window.basemap.items) == fetched, timeout=10000)
    assert len(_Tiles.requests) == fetched
    # The tiles lie under the map: together they cover the centre of the view.
    centre = window.canvas.view_box.viewRect().center()
    rects = [i.mapToParent(i.boundingRect()).boundingRect() for i in window.basemap.items.values()]
    assert any(rect.contains(centre) for rect in rects)
    window.set_basemap("")
    assert not window.basemap.items
