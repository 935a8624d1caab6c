"""保存地图快照… through the menu and Ctrl+Shift+S: a map sheet as PNG and PDF, read back.

The sheet carries a title, the map, a legend of the visible layers, a scale bar and a north
arrow. The PNG is read back pixel by pixel (each part where the layout put it); the PDF is read
with poppler's tools, as any PDF reader would: its text (Chinese title and legend), its fonts
(embedded) and its pages rendered to an image.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest
from PyQt6.QtCore import QRectF, Qt
from PyQt6.QtGui import QImage

from tests.ui.test_investigation import choose_file
from tests.ui.test_main_window import _action, _colour_share

MONITORED = "#e8590c"  # styles/households_by_attribute.toml
PAPER = "#fbf8ef"  # styles/grid_level2.toml


def _crop(image: QImage, rect: QRectF) -> QImage:
    return image.copy(rect.toAlignedRect())


def _ink(image: QImage) -> float:
    """Share of dark pixels (text, lines) in an image."""
    return _colour_share(image, "#212529", 60)


def _sheet_regions(window):
    """Where the layout puts each part for this window's canvas (the PNG's own coordinates)."""
    from PyQt6.QtGui import QPainter

    from gis_app.ui.canvas import snapshot

    size = snapshot.sheet_size(window.canvas)
    scratch = QImage(int(size.width()), int(size.height()), QImage.Format.Format_ARGB32)
    painter = QPainter(scratch)
    regions = snapshot.compose(painter, size, window.canvas, window.controller("map").map_sheet())
    painter.end()
    return size, regions


def test_save_snapshot_from_the_menu_writes_a_png_sheet(window, qtbot, tmp_path):
    path = tmp_path / "快照.png"
    choose_file(qtbot, path)
    _action(window, "文件", "保存地图快照…").trigger()
    assert path.is_file()
    assert window.statusBar().currentMessage() == f"已保存：{path}"
    image = QImage(str(path))
    size, regions = _sheet_regions(window)
    canvas = window.canvas.viewport()
    # The map at its size on screen, beside a legend and under a title.
    assert (image.width(), image.height()) == (int(size.width()), int(size.height()))
    assert image.width() > canvas.width() + 200 and image.height() > canvas.height() + 40
    assert regions.map.width() == pytest.approx(canvas.width(), abs=1)
    pixels = np.frombuffer(image.convertToFormat(QImage.Format.Format_RGB32).constBits()
                           .asstring(image.sizeInBytes()), np.uint8)
    assert pixels.std() > 20  # not blank
    # The map: villages' paper and monitored households.
    drawn = _crop(image, regions.map)
    assert _colour_share(drawn, PAPER, 4) > 0.2
    assert _colour_share(drawn, MONITORED, 30) > 0.0005
    # The legend: a swatch of each visible layer's classes (the monitored households' colour,
    # the villages' paper) and text.
    legend = _crop(image, regions.legend)
    assert _colour_share(legend, MONITORED, 30) > 0.0003
    assert _colour_share(legend, PAPER, 4) > 0.0005  # a 20 × 12 swatch
    assert _ink(legend) > 0.01
    assert _colour_share(_crop(image, regions.map), "#ffffff", 0) < 0.2
    # Title, scale bar and north arrow are drawn (dark ink where the layout put them).
    assert _ink(_crop(image, regions.title)) > 0.01
    assert _ink(_crop(image, regions.scale_bar)) > 0.05
    assert _ink(_crop(image, regions.north_arrow)) > 0.1
    # The legend lists the visible layers, top first, and leaves out the hidden ones.
    sheet = window.controller("map").map_sheet()
    titles = [layer.title for layer in sheet.legend]
    assert titles[:3] == ["易地搬迁安置点", "地质灾害隐患点", "农户"]
    assert "排查覆盖率（三级网格）" not in titles
    households = next(layer for layer in sheet.legend if layer.title == "农户")
    located = window.layers["households"].frame
    assert [label for _symbol, label in households.rows] == [
        f"{name}（{int((located['attribute'] == code).sum())}）"
        for name, code in (("监测对象", 2), ("脱贫户", 1), ("档外农户", 3))]
    assert sheet.title == "青溪县防返贫监测网格图"


def test_ctrl_shift_s_writes_a_vector_pdf_with_the_chinese_title(window, qtbot, tmp_path):
    path = tmp_path / "地图.pdf"
    choose_file(qtbot, path)
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_S,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(path.is_file, timeout=5000)
    assert window.statusBar().currentMessage() == f"已保存：{path}"
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "青溪县防返贫监测网格图" in text
    for words in ("图例", "农户", "监测对象", "比例尺", "公里", "滑坡隐患点"):
        assert words in text, words
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                          check=True).stdout
    assert re.search(r"^Pages:\s+1$", info, re.M) and "青溪县防返贫监测网格图" in info
    assert re.search(r"^Page size:\s+842 x 595 pts \(A4\)$", info, re.M)  # A4 landscape
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts)  # every font embedded
    # Vector: the polygons and text are drawn, not one picture of the map (the point
    # symbols are small pictures, each drawn many times).
    images = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True,
                            check=True).stdout.splitlines()[2:]
    assert all(int(line.split()[3]) <= 32 for line in images)
    # Rendered as a reader would show it: the villages' paper and the monitored households.
    subprocess.run(["pdftoppm", "-r", "96", "-png", "-singlefile", str(path),
                    str(tmp_path / "page")], check=True)
    page = QImage(str(tmp_path / "page.png"))
    assert _colour_share(page, PAPER, 4) > 0.1
    assert _colour_share(page, MONITORED, 30) > 0.0003


def test_a_name_without_extension_takes_the_chosen_kind_and_a_checked_flag_is_no_path(
        window, qtbot, tmp_path):
    controller = window.controller("map")
    path = tmp_path / "snapshot"
    choose_file(qtbot, path)
    assert controller.save_snapshot(False) == f"{path}.png"  # triggered(bool) as the path
    assert QImage(f"{path}.png").width() > 0


def test_english_sheet(qtbot, sample_project_path, tmp_path):
    from tests.ui.conftest import open_window

    copy = tmp_path / "copy.gmp"
    shutil.copy(sample_project_path, copy)
    window = open_window(qtbot, copy, tmp_path / "settings.ini", language="en")
    try:
        path = window.controller("map").save_snapshot(str(tmp_path / "map.pdf"))
        text = subprocess.run(["pdftotext", path, "-"], capture_output=True, text=True,
                              check=True).stdout
        assert "Legend" in text and "Monitored (172)" in text and "Map date" in text
        assert "青溪县" in text  # the county's name is data, shown as stored
    finally:
        window.close()
        window.session.close()
