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
- ``exposure_grids.png``: the map with 灾害暴露户数（三级网格） ticked (the dock's buffer);
- ``dashboard_dock.png``: 视图 → 打开工作看板 for the village with the most monitored households,
  its 未排查 bar clicked (those households selected on the map);
  ``presentation.png``: 演示模式's coverage page at a projector's 1280 × 720.
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


def _dashboard(app, window, out: Path) -> None:
    """The dashboard of the busiest village, a bar clicked; then 演示模式's first page."""
    import time

    from PyQt6.QtCore import Qt

    controller = window.controller("dashboard")
    controller.show_dashboard()
    dock = window.docks["工作看板"]
    window.resizeDocks([dock], [560], Qt.Orientation.Vertical)
    households = window.session.households
    monitored = households[households["attribute"] == 2]["village_id"].value_counts()
    units = window.session.frame("admin_units").set_index("id")
    controller.panel.choose_unit(units.loc[int(monitored.index[0]), "code"])
    while controller.thread is not None:  # the exposure's first count
        _settle(app, 5)
        time.sleep(0.02)
    _settle(app)
    bars = controller.panel.charts["method"].bars
    controller.select(bars["key"].iloc[list(bars["label"]).index("未排查")])
    _settle(app)
    window.grab().save(str(out / "dashboard_dock.png"))
    presentation = controller.present()
    presentation.showNormal()
    presentation.resize(1280, 720)
    _settle(app)
    presentation.grab().save(str(out / "presentation.png"))
    presentation.close()
    window.layers.clear_selection()


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
        _dashboard(app, window, OUT)
        window.close()
        session.close()

        session, window = _open_window(app, project, settings, "en")
        window.grab().save(str(OUT / "english_window.png"))
        window.close()
        session.close()
    for name in ("default_map.png", "coverage_grids.png", "snapshot.png", "snapshot_pdf.png",
                 "english_window.png", "exposure_dock.png", "exposure_grids.png",
                 "dashboard_dock.png", "presentation.png"):
        print(OUT / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
