"""Long imports and exports in the window: a progress dialog whose 取消 stops them.

A ledger of 60,000 new households of the sample county is made with the app's own writer, and
imported through 文件 → 导入文件…: pressing the progress dialog's 取消 writes nothing (no
household, no edit, nothing to undo); letting it run writes every household in one undo step.
Then all households are exported from the attribute table and that export is cancelled: no
file. The store is read with SQL.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import QDialogButtonBox
from sqlalchemy import text

from gis_app.core.idcard import check_digit
from gis_app.io import write_ledger_excel
from tests.ui.conftest import cancel_when_shown

HOUSEHOLDS = 60_000


def _query(window, sql: str) -> list:
    with window.session.project.engine.connect() as connection:
        return connection.execute(text(sql)).all()


def _counts(window) -> tuple[int, int]:
    return (_query(window, "SELECT count(*) FROM household")[0][0],
            _query(window, "SELECT count(*) FROM edit")[0][0])


def _ledger(window, path):
    villages = _query(window, "SELECT t.name, v.name FROM admin_unit v JOIN admin_unit t "
                              "ON t.id = v.parent_id WHERE v.level = 3 ORDER BY v.code")
    n = np.arange(HOUSEHOLDS)
    births = [dt.date(1940, 1, 1) + dt.timedelta(days=int(d)) for d in n // 7]
    # Region 990000 is no county's: these ID numbers are valid and not in the project.
    first17 = [f"990000{b:%Y%m%d}{i % 7:03d}" for b, i in zip(births, n, strict=True)]
    frame = pd.DataFrame({
        "township": [villages[i % len(villages)][0] for i in n],
        "village": [villages[i % len(villages)][1] for i in n],
        "head_name": "新户主",
        "head_id_number": [f + check_digit(f) for f in first17],
        "members": 3,
        "attribute": 3,
    })
    return write_ledger_excel(frame, path)


def _open_form(window, qtbot):
    action = next(a for a in window.findChildren(QAction) if a.text() == "导入文件…")
    action.trigger()
    dialog = window.controller("imports").import_dialog
    qtbot.waitUntil(dialog.isVisible)
    return dialog


def test_cancelling_a_long_import_writes_nothing(window, qtbot, tmp_path):
    path = _ledger(window, tmp_path / "新增农户.xlsx")
    before = _counts(window)
    dialog = _open_form(window, qtbot)
    dialog.set_values(path, "households", None)
    controller = window.controller("imports")
    pressed: list = []
    cancel_when_shown(qtbot, controller, pressed)
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok),
                     Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() != "", timeout=60_000)
    assert pressed == ["取消"]
    assert window.statusBar().currentMessage() == "已取消导入，未写入任何数据"
    assert _counts(window) == before
    assert not window.controller("imports").work_dialog.dialog.isVisible()
    assert window.session.undo_label() is None


def test_a_long_import_runs_to_the_end_and_its_export_can_be_cancelled(window, qtbot, tmp_path):
    path = _ledger(window, tmp_path / "新增农户.xlsx")
    households, edits = _counts(window)
    dialog = _open_form(window, qtbot)
    dialog.set_values(path, "households", None)
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok),
                     Qt.MouseButton.LeftButton)
    report = window.controller("imports").report_box
    qtbot.waitUntil(report.isVisible, timeout=120_000)
    assert report.text() == f"已导入 {HOUSEHOLDS:,} 条：{path.name}".replace(",", "")
    assert _counts(window) == (households + HOUSEHOLDS, edits + 1)
    assert window.session.undo_label() == f"导入农户：{path.name}"
    report.close()
    # Every household, new ones included, exported from the attribute table: cancelled.
    window.layers.set_active("households")
    layer = window.layers["households"]
    layer.select_ids(layer.ids)
    table = window.controller("table")
    out = tmp_path / "全部农户.xlsx"
    pressed: list = []
    cancel_when_shown(qtbot, table, pressed)
    assert table.export_selection(str(out)) is None
    assert pressed == ["取消"]
    assert not out.exists() and [p.name for p in tmp_path.glob("*.xlsx")] == [path.name]
    assert window.statusBar().currentMessage() == "已取消导出，未写入文件"
