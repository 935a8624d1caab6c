"""灾害 → 生成防范因灾返贫预案…: the real dialog driven as a user does, the file read back.

What the file holds is compared with the independent geopandas computation of
tests/test_plan_service.py (sjoin for the exposure, sjoin_nearest for the site).
"""

from __future__ import annotations

import re

import openpyxl
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QFileDialog

from gis_app.ui.dialogs.plan_dialog import PlanDialog
from tests.test_plan_service import _pdf_text, reference
from tests.ui.test_language_walk import action, switch
from tests.ui.test_roster_helpers import sql
from tests.ui.walk import project_data, texts, untranslated

VILLAGE = "430599102001"  # 溪口社区
CJK = re.compile(r"[\u3400-\u9fff]")


def _open(window, qtbot) -> PlanDialog:
    action(window, "生成防范因灾返贫预案…").trigger()
    dialogs = window.findChildren(PlanDialog)
    assert len(dialogs) == 1
    qtbot.waitExposed(dialogs[0])
    return dialogs[0]


def _fill(qtbot, dialog: PlanDialog, buffer: str, kind: str, path) -> None:
    """Choose the village and the format, type the buffer and the file, as a user does."""
    dialog.village.setCurrentIndex(dialog.village.findData(VILLAGE))
    dialog.format.setCurrentIndex(dialog.format.findData(kind))
    editor = dialog.buffer.lineEdit()
    editor.selectAll()
    qtbot.keyClicks(editor, buffer)
    dialog.buffer.interpretText()
    dialog.path.clear()
    qtbot.keyClicks(dialog.path, str(path))


def _generate(qtbot, dialog: PlanDialog) -> None:
    """Click 生成 and wait until the file is written (on its thread) or refused."""
    qtbot.mouseClick(dialog.generate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy and bool(dialog.status.text()), timeout=60_000)
    assert dialog.generate_button.isEnabled()


def test_the_dialog_writes_the_village_plan_an_sjoin_expects(window, qtbot, tmp_path):
    dialog = _open(window, qtbot)
    assert dialog.windowTitle() == "生成防范因灾返贫预案"
    assert dialog.village.itemText(0) == "全部村（社区），每村一份"
    assert dialog.village.count() == 1 + len(window.session.villages)
    _fill(qtbot, dialog, "150", "xlsx", tmp_path / "xikou-plan.xlsx")
    assert dialog.buffer.value() == 150
    _generate(qtbot, dialog)
    assert dialog.status.text().startswith(f"已生成：{tmp_path / 'xikou-plan.xlsx'}")
    assert sql(window, "SELECT label FROM edit ORDER BY id DESC LIMIT 1") == \
        "导出防范因灾返贫预案：xikou-plan.xlsx"  # the export is in the audit log

    expected = reference(window.session.project, 150.0)
    located = expected["located"]
    village_id = int(window.session.villages.set_index("code").loc[VILLAGE, "id"])
    listed = [i for i in expected["listed"] if located.loc[i, "village_id"] == village_id]
    monitored = sum(located.loc[i, "attribute"] == 2 for i in listed)
    assert f"重点防范{len(listed)}户，其中监测对象{monitored}户" in dialog.status.text()

    book = openpyxl.load_workbook(tmp_path / "xikou-plan.xlsx")
    assert book.sheetnames == ["溪口社区"]  # one village: no summary sheet
    ws = book["溪口社区"]
    assert ws["A1"].value == "溪口社区防范因灾返贫预案（草案）"
    start = next(r[0].row for r in ws.iter_rows() if r[0].value == "序号")
    body = list(ws.iter_rows(min_row=start + 1, max_row=start + len(listed), values_only=True))
    assert sorted(r[1] for r in body) == sorted(located.loc[listed, "head_name"])
    by_name = dict(zip(located.loc[listed, "head_name"], expected["distance"].loc[listed],
                       strict=True))
    assert all(r[12] == round(by_name[r[1]]) for r in body)
    assert all("****" in r[2] for r in body if r[2])  # phones masked: the window hides them
    assert ws.cell(start + len(listed) + 1, 1).value != len(listed) + 1  # the list ends there

    # the same options as PDF: the format's extension follows, the names are in it
    dialog.format.setCurrentIndex(dialog.format.findData("pdf"))
    assert dialog.path.text().endswith("xikou-plan.pdf")
    dialog.status.clear()
    _generate(qtbot, dialog)
    text = _pdf_text(tmp_path / "xikou-plan.pdf")
    assert "溪口社区防范因灾返贫预案（草案）" in text
    assert all(name in text for name in located.loc[listed, "head_name"])
    dialog.close()


def test_no_file_chosen_and_a_refusal_are_said_in_english(window, qtbot, tmp_path,
                                                          monkeypatch):
    switch(window, "en")
    window.state.set_unmask(True)  # asking for full phones without the right
    dialog = _open(window, qtbot)
    found = texts(dialog)
    assert dialog.windowTitle() == "Make the plan against disaster-induced poverty"
    left = untranslated(found, project_data(window), "en")
    assert not left, left
    asked = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *args: (asked.append(args) or ("", ""))))
    _generate(qtbot, dialog)
    assert asked and dialog.status.text() == "Choose the file to write"
    dialog.status.clear()
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *args: (str(tmp_path / "chosen"), "")))
    _generate(qtbot, dialog)
    assert dialog.path.text() == str(tmp_path / "chosen.xlsx")
    status = dialog.status.text()
    assert status.startswith("Could not write the plan: ")
    assert "User tester may not see unmasked personal data" in status
    assert not CJK.search(status), status
    assert not (tmp_path / "chosen.xlsx").exists()
    dialog.close()


def test_a_county_plan_counts_its_villages_and_cancel_leaves_the_file_as_it_was(
        window, qtbot, tmp_path):
    """Every village's plan in one PDF: 取消 pressed while it is written stops it, the file
    already there untouched, nothing noted in the audit log; written again without 取消, the
    bar counts the villages up to every one."""
    from tests.ui.conftest import when_shown

    dialog = _open(window, qtbot)
    folder = tmp_path / "plans"
    folder.mkdir()
    target = folder / "county-plan.pdf"
    target.write_bytes(b"%PDF-1.4 last year's plan")
    _fill(qtbot, dialog, "500", "pdf", target)
    dialog.village.setCurrentIndex(0)  # 全部村（社区），每村一份
    villages = len(window.session.villages)
    edits = sql(window, "SELECT count(*) FROM edit")
    assert not dialog.bar.isVisible() and not dialog.cancel_button.isVisible()
    # 取消 as soon as writing shows (the first village's pages take the longest: the font).
    when_shown(lambda: dialog.cancel_button if dialog.cancel_button.isVisible() else None,
               lambda button: qtbot.mouseClick(button, Qt.MouseButton.LeftButton), 5)
    qtbot.mouseClick(dialog.generate_button, Qt.MouseButton.LeftButton)
    assert dialog.bar.isVisible() and dialog.bar.maximum() == villages
    qtbot.waitUntil(lambda: not dialog.busy, timeout=60_000)
    assert dialog.status.text() == "已取消，未写入county-plan.pdf"
    assert target.read_bytes() == b"%PDF-1.4 last year's plan"
    assert sorted(p.name for p in folder.iterdir()) == ["county-plan.pdf"]
    assert sql(window, "SELECT count(*) FROM edit") == edits
    assert not dialog.bar.isVisible() and dialog.generate_button.isEnabled()

    seen = []
    dialog.bar.valueChanged.connect(seen.append)
    dialog.status.clear()
    _generate(qtbot, dialog)
    assert dialog.status.text().startswith(f"已生成：{target}")
    assert seen == sorted(seen) and seen[-1] == villages
    assert target.read_bytes().startswith(b"%PDF-1.") and target.stat().st_size > 10_000
    assert all(name in _pdf_text(target)
               for name in window.session.villages["name"].head(3))
    dialog.close()
