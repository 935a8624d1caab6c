"""文件 → 打印地图… in the real window: the dialog filled in as a user does, the file read back.

The atlas's pages and figures are those of tests/test_print_service.py (plain SQL counts); the
window prints the layers as the screen shows them, and writes what ``gis-app print`` writes.
"""

from __future__ import annotations

import threading

from PyQt6.QtCore import Qt

from gis_app.cli import main
from gis_app.ui.dialogs.print_dialog import PrintDialog
from tests.test_print_service import _expected, _figure, _pages, _text
from tests.ui.conftest import cancel_when_shown
from tests.ui.test_language_walk import action, switch


def _open(window, qtbot) -> PrintDialog:
    action(window, "打印地图…").trigger()
    dialog = window.controller("printing").dialog
    qtbot.waitUntil(dialog.isVisible)
    return dialog


def _choose(combo, text: str) -> None:
    index = combo.findText(text, Qt.MatchFlag.MatchContains)
    assert index >= 0, text
    combo.setCurrentIndex(index)


def _print(qtbot, dialog: PrintDialog) -> None:
    qtbot.mouseClick(dialog.print_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=60_000)


def test_the_village_atlas_from_the_menu(window, qtbot, tmp_path):
    dialog = _open(window, qtbot)
    assert dialog.windowTitle() == "打印地图"
    assert [dialog.atlas.itemText(i) for i in range(dialog.atlas.count())] == [
        "单张地图", "图集：每村一页", "图集：每个三级网格一页"]
    assert not dialog.print_button.isEnabled()  # no file yet
    _choose(dialog.paper, "A4")
    _choose(dialog.orientation, "纵向")
    _choose(dialog.atlas, "每村一页")
    qtbot.keyClicks(dialog.title, "Village atlas 2026")
    qtbot.keyClicks(dialog.path, str(tmp_path / "atlas"))  # typed: QTest types ASCII only
    _print(qtbot, dialog)
    written = tmp_path / "atlas.pdf"  # the extension is added
    assert written.exists()
    assert f"已生成地图（26页）：{written}" in window.statusBar().currentMessage()
    assert _pages(written) == 26
    expected = _expected(window.session.project.location)
    village = expected["villages"].sort_values("code").iloc[0]
    text = _text(written, 1)
    assert "Village atlas 2026" in text
    assert f"{village['name']}（{village['code']}）" in text
    households = expected["households"]
    assert _figure(text, "农户", "户") == \
        f"{int((households['village_id'] == village['id']).sum()):,}"


def test_the_print_shows_the_layers_as_the_screen_does(window, qtbot, tmp_path):
    layers = window.layers
    by_source = {layer.source: layer for layer in layers}
    by_source["households"].set_visible(False)
    by_source["coverage_villages"].set_visible(True)
    dialog = _open(window, qtbot)
    qtbot.keyClicks(dialog.path, str(tmp_path / "shown.pdf"))
    _print(qtbot, dialog)
    text = _text(tmp_path / "shown.pdf")
    assert "档外农户" not in text  # the households' legend is gone with the layer
    assert "排查覆盖率（村）" in text and "90%及以上" in text


def test_the_window_writes_what_the_command_writes(window, qtbot, tmp_path, capsys):
    dialog = _open(window, qtbot)
    _choose(dialog.paper, "A3")
    qtbot.keyClicks(dialog.path, str(tmp_path / "window.pdf"))
    _print(qtbot, dialog)
    assert main(["print", str(window.session.project.location), "--paper", "A3", "--out",
                 str(tmp_path / "cli.pdf")]) == 0
    capsys.readouterr()
    assert _text(tmp_path / "window.pdf") == _text(tmp_path / "cli.pdf")


def test_a_png_atlas_is_refused_in_the_dialog(window, qtbot, tmp_path):
    dialog = _open(window, qtbot)
    _choose(dialog.atlas, "每个三级网格一页")
    qtbot.keyClicks(dialog.path, str(tmp_path / "grids.png"))
    qtbot.mouseClick(dialog.print_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert dialog.status.text() == "无法打印：图集只能输出为 PDF（每个单元一页）"
    assert list(tmp_path.glob("grids*")) == []
    dialog.reject()


def test_cancelling_the_atlas_leaves_no_file(window, qtbot, tmp_path, monkeypatch):
    from gis_app.services import print_service

    pressed: list = []
    clicked = threading.Event()
    real = print_service.write_print

    def held(sheet, out, progress):
        def step(done, total):
            clicked.wait(30)  # the first page waits for 取消, so the work cannot end before it
            progress(done, total)

        return real(sheet, out, step)

    monkeypatch.setattr(print_service, "write_print", held)
    dialog = _open(window, qtbot)
    _choose(dialog.atlas, "每个三级网格一页")
    out = tmp_path / "prints"
    out.mkdir()
    qtbot.keyClicks(dialog.path, str(out / "grids.pdf"))
    cancel_when_shown(qtbot, window.controller("printing"), pressed, after=clicked.set)
    qtbot.mouseClick(dialog.print_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(dialog.status.text()), timeout=60_000)
    assert pressed == ["取消"]
    assert dialog.status.text() == "已取消打印，未写入文件"
    assert dialog.isVisible()
    assert list(out.iterdir()) == []  # nor a temporary file
    dialog.reject()


def test_the_window_in_english_prints_english(window, qtbot, tmp_path, capsys):
    switch(window, "en")
    dialog = _open(window, qtbot)
    assert dialog.windowTitle() == "Print map"
    qtbot.keyClicks(dialog.path, str(tmp_path / "english.pdf"))
    _print(qtbot, dialog)
    text = _text(tmp_path / "english.pdf")
    assert "Grid Monitoring Map" in text and "网格化防返贫监测图" not in text
    assert "Legend" in text and "Monitored households" in text and "图例" not in text
    expected = _expected(window.session.project.location)
    assert _figure(text, "Households", "households") == f"{len(expected['households']):,}"
    # What the command writes with --language en.
    assert main(["print", str(window.session.project.location), "--language", "en", "--out",
                 str(tmp_path / "cli.pdf")]) == 0
    capsys.readouterr()
    assert _text(tmp_path / "english.pdf") == _text(tmp_path / "cli.pdf")
    # Back in Chinese, the print is Chinese again.
    switch(window, "zh")
    dialog = _open(window, qtbot)
    qtbot.keyClicks(dialog.path, str(tmp_path / "chinese.pdf"))
    _print(qtbot, dialog)
    text = _text(tmp_path / "chinese.pdf")
    assert "网格化防返贫监测图" in text and "图例" in text and "Legend" not in text
