"""Issue 8, one truth for every view: a visit, an import, an undo or another user's visit moves
the 排查覆盖 dock, identify and the choropleth exactly as the store's rows say.

Every edit goes through the real widgets (the visit form, the 排查 menu, 撤销); every number is
checked against an independent recount of the store's rows (:func:`recount`).
"""

from __future__ import annotations

import re

import pytest
from PyQt6.QtCore import QDate, Qt

from gis_app.services.layers import LayerSet
from tests.ui.conftest import open_window
from tests.ui.test_investigation import (
    _action,
    _dock_row,
    _expected,
    _fill_home_visit,
    _identify,
    _identify_panel,
    _investigation,
    _numbers,
    _query,
    _show_dock,
    _tick_layer,
    _unchecked_on_map,
    choose_file,
    filled_ledger,  # noqa: F401 - a fixture
    new_round,
    on_screen,
    recount,
)


def _save_home_visit(window, qtbot, household: int, checker: str = "测试核查员", day=None):
    """Select the household, 排查 → 录入走访记录…, fill in a home visit and press 保存."""
    window.layers["households"].select_ids([household])
    _action(window, "录入走访记录…").trigger()
    dialog = _investigation(window).record_dialog
    assert dialog.household["id"] == household
    qtbot.waitExposed(dialog)
    _fill_home_visit(qtbot, dialog, checker)
    if day is not None:
        dialog.date.setDate(QDate(day.year, day.month, day.day))
    assert dialog.warning.text() == ""  # a compliant home visit
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible(), dialog.error.text()
    return dialog


def _every_row_matches_the_store(window) -> None:
    """Each grid row of the dock (rewritten in place after an edit) against a recount."""
    table = _investigation(window).coverage.table
    counts = recount(window)
    codes = [table.item(r, 0).data(Qt.ItemDataRole.UserRole) for r in range(table.rowCount())]
    shown = [c for c in codes if c]
    assert len(shown) == len(set(shown)) == len(counts.drop(index="（无）", errors="ignore"))
    for code in shown:
        assert _numbers(_dock_row(window, code)) == _expected(counts.loc[code]), code


def test_a_visit_moves_its_grid_by_one_household_and_undo_moves_it_back(window, qtbot):
    _show_dock(window, qtbot, "排查覆盖")
    household, grid, x, y = _unchecked_on_map(window)
    _identify(window, qtbot, x, y)
    identify = _identify_panel(window)
    assert identify.household_id == household
    assert identify.visit_status.text() == "本次排查：未排查"
    before = _numbers(_dock_row(window, grid))
    assert before == _expected(recount(window).loc[grid])
    records_before = _query(window, "SELECT count(*) FROM investigation_record")[0][0]

    # 录入走访记录 from identify: choose 入户排查, type the checker, press 保存
    qtbot.mouseClick(identify.record_button, Qt.MouseButton.LeftButton)
    dialog = _investigation(window).record_dialog
    assert dialog.household["id"] == household
    qtbot.waitExposed(dialog)
    _fill_home_visit(qtbot, dialog, "王核查")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible(), dialog.error.text()

    assert _query(window, "SELECT method, checker FROM investigation_record "
                          "WHERE household_id = ?", (household,)) == [(1, "王核查")]
    after = _numbers(_dock_row(window, grid))
    assert after == _expected(recount(window).loc[grid])  # the store's rows, counted apart
    assert after["home"] == before["home"] + 1
    assert after["unchecked"] == before["unchecked"] - 1
    assert {k: v for k, v in after.items() if k not in ("home", "unchecked")} == \
        {k: v for k, v in before.items() if k not in ("home", "unchecked")}
    share = (after["home"] + after["remote"]) / after["households"]
    assert _dock_row(window, grid)["覆盖率"] == f"{share:.1%}"
    assert identify.visit_status.text() == "本次排查：入户排查（已覆盖）"
    _every_row_matches_the_store(window)

    # 撤销 puts the numbers and the status back
    assert window.controller("project").undo() is not None
    assert _query(window, "SELECT count(*) FROM investigation_record")[0][0] == records_before
    assert _numbers(_dock_row(window, grid)) == before == _expected(recount(window).loc[grid])
    assert identify.visit_status.text() == "本次排查：未排查"
    _every_row_matches_the_store(window)


def test_a_ledger_import_is_one_undo_step_that_removes_exactly_its_rows(window, qtbot,
                                                                        filled_ledger):  # noqa: F811
    _show_dock(window, qtbot, "排查覆盖")
    campaign = new_round(window, qtbot)
    controller = _investigation(window)
    assert controller.coverage.summary.text().endswith("已覆盖 0 户（0.0%）")
    ids_before = {r[0] for r in _query(window, "SELECT id FROM investigation_record")}
    choose_file(qtbot, filled_ledger)
    _action(window, "从台账导入走访记录…").trigger()
    box = controller.import_report_box
    written = int(re.match(r"已导入 (\d+) 条走访记录", box.text()).group(1))
    assert box.text() == f"已导入 {written} 条走访记录到“2023年防止返贫监测帮扶集中排查（第2轮）”"
    ids_after = {r[0] for r in _query(window, "SELECT id FROM investigation_record")}
    imported = ids_after - ids_before
    assert ids_before <= ids_after and len(imported) == written > 0
    checked = _query(window, "SELECT count(DISTINCT household_id) FROM investigation_record "
                             "WHERE campaign_id = 1")[0][0]
    assert _query(window, "SELECT count(*) FROM investigation_record WHERE campaign_id = ?",
                  (campaign,))[0][0] == written == checked
    counts = recount(window, campaign)
    covered = int(counts["home"].sum() + counts["remote"].sum())
    total = int(counts.to_numpy().sum())
    assert controller.coverage.summary.text() == (
        f"合计 {total} 户，已覆盖 {covered} 户（{covered / total:.1%}）")

    window.controller("project").undo()  # one step takes the whole import back
    assert {r[0] for r in _query(window, "SELECT id FROM investigation_record")} == ids_before
    assert _query(window, "SELECT count(*) FROM campaign WHERE id = ?", (campaign,)) == [(1,)]
    assert controller.coverage.summary.text().endswith("已覆盖 0 户（0.0%）")


def test_another_users_visit_reaches_the_dock_by_itself(window, qtbot, tmp_path):
    _show_dock(window, qtbot, "排查覆盖")
    household, grid, _x, _y = _unchecked_on_map(window)
    before = _numbers(_dock_row(window, grid))
    other = open_window(qtbot, window.session.project.location, tmp_path / "other.ini")
    try:
        _save_home_visit(other, qtbot, household, "李核查")
        expected = _expected(recount(window).loc[grid])
        assert expected["home"] == before["home"] + 1
        # no action of the first window's user: its session notices the commit
        qtbot.waitUntil(lambda: _numbers(_dock_row(window, grid)) == expected, timeout=2500)
        assert window.session.undo_label() is None  # the other user's step, not ours
    finally:
        other.close()
        other.session.close()


def test_the_choropleth_is_counted_once_per_visit(window, qtbot, monkeypatch):
    _show_dock(window, qtbot, "排查覆盖")
    _tick_layer(window, "coverage_grids")  # counted when shown
    layer = window.layers["coverage_grids"]
    assert layer.visible and layer.loaded
    calls = []
    real = LayerSet._coverage_frame

    def counting(self, level):
        calls.append(level)
        return real(self, level)

    monkeypatch.setattr(LayerSet, "_coverage_frame", counting)
    household, grid, x, y = _unchecked_on_map(window)
    _identify(window, qtbot, x, y)  # identify shows the household's status too
    _save_home_visit(window, qtbot, household)
    assert calls == [3]
    counts = recount(window).loc[grid]
    share = (counts["home"] + counts["remote"]) / counts.sum()
    shown = layer.frame.set_index("code")
    assert shown.loc[grid, "coverage"] == pytest.approx(share)
    assert _identify_panel(window).visit_status.text() == "本次排查：入户排查（已覆盖）"

    second = _unchecked_on_map(window)[0]
    _save_home_visit(window, qtbot, second)
    assert calls == [3, 3]


def test_hidden_docks_are_redrawn_when_next_shown(window, qtbot, monkeypatch):
    controller = _investigation(window)
    _show_dock(window, qtbot, "排查覆盖")
    _show_dock(window, qtbot, "属性表")  # the coverage and progress docks are hidden tabs now
    qtbot.waitUntil(lambda: not on_screen(window.docks["排查覆盖"]))
    assert not on_screen(window.docks["排查进度"])
    drawn = []
    real = type(controller.coverage).set_table
    monkeypatch.setattr(controller.coverage, "set_table",
                        lambda table: drawn.append(table) or real(controller.coverage, table))
    charted = []
    chart = type(controller.progress).set_timeline
    monkeypatch.setattr(controller.progress, "set_timeline",
                        lambda *a: charted.append(a) or chart(controller.progress, *a))
    household, grid, _x, _y = _unchecked_on_map(window)
    start = window.session.frame("campaigns").set_index("id").loc[1, "start_date"]
    _save_home_visit(window, qtbot, household, day=start)  # counted on every day charted
    assert drawn == [] and charted == []  # nothing drawn while hidden
    _show_dock(window, qtbot, "排查覆盖")
    assert len(drawn) == 1
    assert _numbers(_dock_row(window, grid)) == _expected(recount(window).loc[grid])
    _show_dock(window, qtbot, "排查进度")
    assert len(charted) == 1
    daily = charted[0][0]
    covered = daily[daily["date"] == daily["date"].max()]["covered"].sum()
    counts = recount(window)
    assert covered == counts["home"].sum() + counts["remote"].sum()
