"""Write the map's screenshots to docs/screenshots/ (run by hand, not by the tests).

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots.py

The sample county is generated into a temporary project and opened in the real window, as a
user first sees it:

- ``default_map.png``: the window as it opens (Chinese);
- ``coverage_grids.png``: the map with 排查覆盖率（三级网格） ticked;
- ``snapshot.png``: 保存地图快照… as PNG; ``snapshot_pdf.png``: the PDF's page as a reader
  shows it (pdftoppm, from poppler-utils);
- ``english_window.png``: the same window in English (设置 → 英文);
- ``exposure_dock.png``: 灾害 → 统计灾害暴露 at a 200 m buffer per village, a row clicked (its
  households selected on the map);
- ``exposure_grids.png``: the map with 灾害暴露户数（三级网格） ticked (the dock's buffer).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "docs" / "screenshots"


def _settle(app, rounds: int = 40) -> None:
    for _ in range(rounds):
        app.processEvents()


def _exposure(app, window, out: Path) -> None:
    """The exposure dock at 200 m per village, a row chosen; then its choropleth."""
    import time

    controller = window.controller("exposure")
    panel = controller.panel
    controller.show_exposure()
    panel.level.setCurrentIndex(panel.level.findData(2))
    panel.buffer.setValue(200)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (controller.running or controller.result is None
                                           or controller.result.buffer_m != 200):
        _settle(app, 5)
        time.sleep(0.02)
    _settle(app)
    row = int(panel.frame["households"].to_numpy().argmax())
    panel.click_row(row)
    _settle(app)
    window.grab().save(str(out / "exposure_dock.png"))
    window.layers.clear_selection()
    window.layers["exposure_grids"].set_visible(True)
    _settle(app)
    window.canvas.relabel()
    _settle(app)
    window.canvas.grab().save(str(out / "exposure_grids.png"))
    window.layers["exposure_grids"].set_visible(False)


def _open_window(app, project: Path, settings, language: str):
    """The window on a new session of ``project`` in ``language``, the whole county drawn."""
    from gis_app.services.session import ProjectSession
    from gis_app.storage.project import open_project
    from gis_app.ui.main_window import MainWindow

    settings.setValue("language", language)
    session = ProjectSession(open_project(project), user="screenshots")
    session.load()
    window = MainWindow(session, settings)
    window.resize(1400, 900)
    window.show()
    _settle(app)
    window.canvas.zoom_full()
    _settle(app)
    window.canvas.relabel()
    _settle(app)
    return session, window


def main() -> int:
    from PyQt6.QtCore import QSettings

    from gis_app.services.sample_service import create_sample_project
    from gis_app.ui.app import application

    app = application()
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder) / "sample.gmp"
        create_sample_project(project).close()
        settings = QSettings(str(Path(folder) / "settings.ini"), QSettings.Format.IniFormat)
        session, window = _open_window(app, project, settings, "zh")
        window.grab().save(str(OUT / "default_map.png"))
        snapshot = window.controller("map")
        snapshot.save_snapshot(str(OUT / "snapshot.png"))
        pdf = Path(folder) / "snapshot.pdf"
        snapshot.save_snapshot(str(pdf))
        subprocess.run(["pdftoppm", "-r", "110", "-png", "-singlefile", str(pdf),
                        str(OUT / "snapshot_pdf")], check=True)
        window.layers["coverage_grids"].set_visible(True)
        _settle(app)
        window.canvas.relabel()
        _settle(app)
        window.canvas.grab().save(str(OUT / "coverage_grids.png"))
        window.layers["coverage_grids"].set_visible(False)
        _exposure(app, window, OUT)
        window.close()
        session.close()

        session, window = _open_window(app, project, settings, "en")
        window.grab().save(str(OUT / "english_window.png"))
        window.close()
        session.close()
    for name in ("default_map.png", "coverage_grids.png", "snapshot.png", "snapshot_pdf.png",
                 "english_window.png", "exposure_dock.png", "exposure_grids.png"):
        print(OUT / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
