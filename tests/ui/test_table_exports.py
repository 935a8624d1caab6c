"""导出到Excel… on the coverage, progress, rules, exposure and roster docks: the file holds what
the dock shows (headers, every cell, rows in view), numbers as numbers, phones as displayed."""

from __future__ import annotations

import re

import openpyxl
import pandas as pd
import pytest
from PyQt6.QtCore import Qt

from gis_app.ui.controllers.exposure import EXPOSURE
from tests.ui.planner_helpers import expected_exposure, households
from tests.ui.test_investigation import choose_file
from tests.ui.test_planner_exposure import LEVELS, computed
from tests.ui.test_roster_helpers import rows, show, sql, type_into


def export(qtbot, panel, path) -> tuple[str, list[str], list[list]]:
    """Click the dock's 导出到Excel…, answer Qt's save dialog; the file's title, header, rows."""
    assert panel.export.button.text() == "导出到Excel…"
    assert panel.export.action in (panel.export.button.defaultAction(),)
    choose_file(qtbot, path)
    qtbot.mouseClick(panel.export.button, Qt.MouseButton.LeftButton)
    book = openpyxl.load_workbook(path)
    sheet = book.active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    book.close()
    assert sheet.print_title_rows == "$2:$2"  # the header repeats on every printed page
    return values[0][0], values[1], values[2:]


def _number(text: str):
    text = text.replace(",", "")
    return float(text.rstrip("%")) / 100 if text.endswith("%") else float(text)


def assert_cells_as_shown(view, header: list[str], body: list[list], numbers: set[str]):
    """Every visible row and cell of ``view`` is in the file, in order; ``numbers`` as numbers."""
    model = view.model()
    shown_headers = [model.headerData(c, Qt.Orientation.Horizontal)
                     for c in range(model.columnCount())]
    assert header == shown_headers
    visible = [r for r in range(model.rowCount()) if not view.isRowHidden(r)]
    assert len(body) == len(visible)
    for written, row in zip(body, visible, strict=True):
        for column, (value, name) in enumerate(zip(written, header, strict=True)):
            text = model.index(row, column).data()
            text = "" if text is None else str(text)
            if name in numbers and text not in ("", "—"):
                assert isinstance(value, (int, float)), (name, value)
                assert value == pytest.approx(_number(text), abs=1e-9), (name, text, value)
            elif text in ("", "—"):
                assert value in (None, ""), (name, value)
            else:
                assert str(value) == text, (name, value, text)


def test_coverage_dock(window, qtbot, tmp_path):
    show(window, qtbot, "排查覆盖")
    panel = window.controller("investigation").coverage
    title, header, body = export(qtbot, panel, tmp_path / "覆盖.xlsx")
    assert title == "排查覆盖（三级网格）"
    numbers = {"户数", "入户", "电话微信", "不合规", "未排查", "未覆盖户数", "覆盖率"}
    assert_cells_as_shown(panel.table, header, body, numbers)
    # Independently: a row per level-3 grid of the campaign's townships, plus the unplaced.
    grids = sql(window, "SELECT count(*) FROM grid g JOIN admin_unit v ON v.id = g.admin_unit_id"
                        " WHERE g.level = 3 AND v.parent_id IN (SELECT township_id FROM "
                        "campaign_township WHERE campaign_id = 1)")
    assert len(body) == grids + 1
    households = sql(window, "SELECT count(*) FROM household h JOIN admin_unit v ON "
                             "v.id = h.village_id WHERE v.parent_id IN (SELECT township_id "
                             "FROM campaign_township WHERE campaign_id = 1)")
    assert sum(r[header.index("户数")] for r in body) == households
    shares = [r[header.index("覆盖率")] for r in body if r[header.index("覆盖率")] is not None]
    assert all(0 <= s <= 1 for s in shares)


def test_progress_dock(window, qtbot, tmp_path):
    show(window, qtbot, "排查进度")
    chart = window.controller("investigation").progress
    title, header, body = export(qtbot, chart, tmp_path / "进度.xlsx")
    assert title == "排查进度（乡镇）"
    daily = chart.daily
    # The legend's units, in its order: the campaign's townships.
    townships = rows(window, "SELECT u.name FROM admin_unit u JOIN campaign_township c ON "
                             "c.township_id = u.id WHERE c.campaign_id = 1 ORDER BY u.code")
    assert header == ["日期", *[name for (name,) in townships]]
    legend = [item.name() for item in chart.lines.values()]
    assert header[1:] == legend
    assert len(body) == daily["date"].nunique()
    expected = daily.pivot_table(index="date", columns="name", values="coverage",
                                 aggfunc="last").sort_index()
    for row, (day, shares) in zip(body, expected.iterrows(), strict=True):
        assert pd.Timestamp(row[0]) == pd.Timestamp(day)
        for name, value in zip(header[1:], row[1:], strict=True):
            assert value == pytest.approx(shares[name])


def test_rules_dock(window, qtbot, tmp_path):
    rules = window.controller("rules")
    panel = rules.panel
    show(window, qtbot, "网格规则")
    qtbot.mouseClick(panel.run, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not rules.running, timeout=20_000)
    title, header, body = export(qtbot, panel, tmp_path / "规则.xlsx")
    assert title == "网格规则" and header == ["规则", "说明", "编码"]
    assert_cells_as_shown(panel.table, header, body, set())
    assert len(body) == len(panel.problems) > 0
    # Independently: a 位置未知 row per household the store has no location for.
    unknown = sql(window, "SELECT count(*) FROM household WHERE lon IS NULL")
    assert sum(r[0] == "位置未知" for r in body) == unknown > 0
    # Codes stay text (a grid's or household's code is not a number).
    codes = [r[2] for r in body if r[2]]
    assert all(isinstance(code, str) for code in codes)
    assert sorted(codes) == sorted(str(c) for c in panel.problems["code"].dropna())


def test_exposure_dock(window, qtbot, tmp_path):
    _controller, panel = computed(window, qtbot, buffer_m=200, level="村")
    show(window, qtbot, EXPOSURE)
    title, header, body = export(qtbot, panel, tmp_path / "暴露.xlsx")
    assert title == "灾害暴露"
    numbers = set(header[3:])
    assert_cells_as_shown(panel.table, header, body, numbers)
    assert len(body) == len(panel.frame) > 10
    assert all(isinstance(r[header.index("人数")], int) for r in body)
    # Independently: the households per village, kind and level by a geopandas join.
    exposure = expected_exposure(window, 200.0)
    homes = households(window).set_index("id")
    villages = pd.DataFrame(window.session.villages[["id", "name"]]).set_index("id")["name"]
    exposure["village"] = homes.loc[exposure["id"], "village_id"].map(villages).to_numpy()
    exposure["level"] = exposure["level"].map(LEVELS)
    counted = exposure.groupby(["village", "kind", "level"]).size().to_dict()
    at = [header.index(h) for h in ("单元", "灾害类型", "风险等级", "户数")]
    written = {(r[at[0]], r[at[1]], r[at[2]]): r[at[3]] for r in body if r[at[3]]}
    assert written == counted


def test_roster_dock_masks_phones_unless_shown(window, qtbot, tmp_path):
    show(window, qtbot, "网格员")
    panel = window.controller("roster").panel
    title, header, body = export(qtbot, panel, tmp_path / "网格员.xlsx")
    assert title == "网格员"
    numbers = {"户数", "监测户", "人数"}
    assert numbers <= set(header)
    assert_cells_as_shown(panel.table, header, body, numbers)
    assert len(body) == sql(window, "SELECT count(*) FROM worker")
    phones = {p for (p,) in rows(window, "SELECT phone FROM worker WHERE phone IS NOT NULL")}
    written = [r[header.index("联系电话")] for r in body]
    assert all(re.fullmatch(r"1\d\d\*{4}\d{4}", p) for p in written if p)
    assert not set(written) & phones
    # A search hides rows: only those in view are written.
    type_into(qtbot, panel.search, body[0][header.index("姓名")])
    _title, _header, found = export(qtbot, panel, tmp_path / "找到.xlsx")
    assert 0 < len(found) < len(body)
    panel.search.clear()
    # 显示个人信息, for a user allowed to: the phones in full, as the dock shows them.
    window.session.project.set_settings({"personal_data_users": ["tester"]})
    next(a for a in window.menus["设置"].actions() if a.text() == "显示个人信息").trigger()
    assert window.state.unmask
    _title, header, body = export(qtbot, panel, tmp_path / "网格员全.xlsx")
    assert_cells_as_shown(panel.table, header, body, numbers)
    assert {r[header.index("联系电话")] for r in body} - {None} == phones


def test_in_english_the_headers_and_title_are_english(window, qtbot, tmp_path):
    settings = next(a.menu() for a in window.menuBar().actions() if a.text() == "设置")
    next(a for a in settings.actions() if a.text() == "英文").trigger()
    show(window, qtbot, "排查覆盖")
    panel = window.controller("investigation").coverage
    # The table's context menu offers the same action as the button.
    assert panel.table.contextMenuPolicy() == Qt.ContextMenuPolicy.ActionsContextMenu
    assert panel.export.action in panel.table.actions()
    assert panel.export.action.text() == "Export to Excel…"
    choose_file(qtbot, tmp_path / "coverage.xlsx")
    panel.export.action.trigger()  # as chosen from the table's context menu
    book = openpyxl.load_workbook(tmp_path / "coverage.xlsx")
    values = [[c.value for c in row] for row in book.active.iter_rows()]
    book.close()
    assert values[0][0] == "Investigation coverage (Level-3 grid)"
    assert values[1] == [panel.table.horizontalHeaderItem(c).text()
                         for c in range(panel.table.columnCount())]
    assert values[1][0] == "Name" and values[1][-1] == "Coverage"
    assert_cells_as_shown(panel.table, values[1], values[2:],
                          set(values[1][1:]))
