"""The English interface: after 设置 → 英文 the menus, panels and dialogs are English.

Only the interface's own words are checked: names of people, places, grids and campaigns are data
and stay as stored (as do codes' labels and the services' Chinese messages).
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import (
    QAbstractButton,
    QDoubleSpinBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QToolBar,
)

from tests.ui.test_investigation import _identify, _unchecked_on_map
from tests.ui.test_roster_helpers import show

CJK = re.compile(r"[\u4e00-\u9fff]")


def _chinese(texts, data=()) -> list[str]:
    """The texts still holding Chinese once the data values in them are taken out."""
    data = sorted((str(d) for d in data if d), key=len, reverse=True)  # longest first
    left = []
    for text in texts:
        stripped = text
        for value in data:
            stripped = stripped.replace(value, "")
        if CJK.search(stripped):
            left.append(text)
    return left


def _shown(dialog, skip=()) -> list[str]:
    """Title, labels, buttons, check boxes, group titles, placeholders, suffixes and headers."""
    texts = [dialog.windowTitle()]
    texts += [w.text() for w in dialog.findChildren(QLabel) if w not in skip]
    texts += [w.text() for w in dialog.findChildren(QAbstractButton)]
    texts += [w.title() for w in dialog.findChildren(QGroupBox)]
    texts += [w.placeholderText() for w in dialog.findChildren(QLineEdit) if w not in skip]
    texts += [w.suffix() for w in dialog.findChildren((QSpinBox, QDoubleSpinBox))]
    for table in dialog.findChildren(QTableWidget):
        texts += [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    return [t for t in texts if t]


def _menu_texts(menu: QMenu, data_menus) -> list[str]:
    texts = [menu.title()]
    for action in menu.actions():
        if action.menu() is not None:
            texts += _menu_texts(action.menu(), data_menus)
        elif menu not in data_menus:  # recent projects and campaigns are listed by their names
            texts.append(action.text())
    return texts


def _button(widget, text: str) -> QPushButton:
    return next(b for b in widget.findChildren(QPushButton) if b.text() == text)


def test_english_covers_menus_panels_and_dialogs(window, qtbot, monkeypatch):
    # 设置 → 英文, as the user picks it
    bar = window.menuBar()
    settings = next(a.menu() for a in bar.actions() if a.text() == "设置")
    next(a for a in settings.actions() if a.text() == "英文").trigger()
    assert window.settings.value("language") == "en"

    # menus (网格 and 排查 among them) and toolbars
    titles = [a.text() for a in bar.actions()]
    assert "Grids" in titles and "Investigation" in titles
    menus = [a.menu() for a in bar.actions()]
    data_menus = (window.controller("project").recent_menu,
                  window.controller("investigation").campaign_menu)
    texts = [t for m in menus for t in _menu_texts(m, data_menus)]
    texts += [a.text() for bar in window.findChildren(QToolBar) for a in bar.actions()]
    texts += [window.docks[key].windowTitle() for key in window.docks]
    assert _chinese(texts) == []
    assert window.windowTitle() == "copy.gmp — Grid Monitor GIS"

    # the grid tree: header and each grid's level
    show(window, qtbot, "网格树")
    tree = window.controller("roster").tree
    header = [tree.headerItem().text(c) for c in range(tree.columnCount())]
    assert header == ["Grids", "Level", "Households", "Responsible"]
    assert tree.items and _chinese(item.text(1) for item in tree.items.values()) == []

    # the roster: buttons, headers, each worker's state
    show(window, qtbot, "网格员")
    panel = window.controller("roster").panel
    assert _chinese(b.text() for b in panel.findChildren(QPushButton)) == []
    for text in ("Edit…", "Visit list…"):
        _button(panel, text)  # present under its English name
    roster = panel.table
    assert roster.rowCount() > 0
    headers = [roster.horizontalHeaderItem(c).text() for c in range(roster.columnCount())]
    assert _chinese(headers) == []
    assert _chinese(roster.item(r, 8).text() for r in range(roster.rowCount())) == []

    # the attribute table's context menu on a household
    shown_menus = []
    monkeypatch.setattr(QMenu, "popup", lambda menu, *_a: shown_menus.append(menu))
    view = window.controller("table").table.view
    view.customContextMenuRequested.emit(view.visualRect(view.model().index(0, 0)).center())
    assert [a.text() for a in shown_menus[0].actions()] == ["Record a visit…"]

    # the worker dialog, new and edited (window-modal, opened with open(): read, then closed)
    qtbot.mouseClick(_button(panel, "Add…"), Qt.MouseButton.LeftButton)
    added = window.controller("roster").dialog
    qtbot.waitExposed(added)
    assert _chinese(_shown(added)) == []
    added.reject()
    with sqlite3.connect(window.session.project.location) as connection:
        worker, name = connection.execute(
            "SELECT w.id, w.name FROM worker w JOIN grid_assignment a ON a.worker_id = w.id "
            "WHERE a.role = '三级网格员' AND (a.start_date IS NULL OR a.start_date <= :today) "
            "AND (a.end_date IS NULL OR a.end_date > :today) ORDER BY w.id LIMIT 1",
            {"today": dt.date.today().isoformat()}).fetchone()
    row = next(r for r in range(roster.rowCount())
               if roster.item(r, 0).data(Qt.ItemDataRole.UserRole) == worker)
    qtbot.mouseClick(roster.viewport(), Qt.MouseButton.LeftButton,
                     pos=roster.visualItemRect(roster.item(row, 0)).center())
    qtbot.mouseClick(_button(panel, "Edit…"), Qt.MouseButton.LeftButton)
    edit = window.controller("roster").dialog
    qtbot.waitExposed(edit)
    assert edit is not added
    assert edit.windowTitle() == "Edit worker" and edit.history.rowCount() > 0
    grids = roster.item(row, 4).text()  # the worker's grid names, as the roster lists them
    assert _chinese(_shown(edit), [name, grids]) == []
    assert "current" in [edit.history.item(r, 4).text() for r in range(edit.history.rowCount())]
    edit.reject()

    # the visit list of the same worker
    qtbot.mouseClick(_button(panel, "Visit list…"), Qt.MouseButton.LeftButton)
    from gis_app.ui.dialogs.visit_list_dialog import VisitListDialog

    visits = window.findChildren(VisitListDialog)[0]
    assert visits.windowTitle() == f"Visit list — {name}"
    roles, campaign = visits.visits.worker["roles"], visits.visits.campaign["name"]
    assert "households to visit" in visits.summary.text()
    assert _chinese(_shown(visits), [name, roles, campaign]) == []
    visits.close()

    # the visit form from the identify panel
    household, _grid, x, y = _unchecked_on_map(window)
    _identify(window, qtbot, x, y)
    button = window.controller("map").identify.record_button
    assert button.text() == "Record a visit"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    investigation = window.controller("investigation")
    form = investigation.record_dialog
    qtbot.waitExposed(form)
    assert form.household["id"] == household
    place = form.household
    data = [place["head_name"], place.get("township"), place.get("village"),
            place.get("grid_name"), form.campaign["name"]]
    data += [form.checker.itemText(i) for i in range(form.checker.count())]  # workers' names
    assert _chinese(_shown(form), data) == []
    assert form.proposed.itemText(0) == "(not monitored)"
    form.reject()

    # the new-investigation form from the 排查 menu (its name hint is the default name: data)
    next(a for a in window.findChildren(QAction) if a.text() == "New investigation…").trigger()
    campaign_form = investigation.campaign_dialog
    qtbot.waitExposed(campaign_form)
    assert campaign_form.windowTitle() == "New investigation"
    towns = [campaign_form.townships.item(i).text() for i in range(campaign_form.townships.count())]
    milestones = [campaign_form.milestones.item(r, 0).text()
                  for r in range(campaign_form.milestones.rowCount())]
    assert _chinese(_shown(campaign_form, skip=[campaign_form.name]), towns + milestones) == []
    campaign_form.reject()

    # the rebalancing dialog from the 网格 menu, with a proposal (its warnings are the service's)
    next(a for a in window.menus["网格"].actions() if a.text() == "Redraw village grids…").trigger()
    grid_edit = window.controller("grid_edit")
    rebalance = grid_edit.dialog
    assert rebalance.windowTitle() == "Redraw village grids"
    qtbot.mouseClick(rebalance.generate, Qt.MouseButton.LeftButton)
    assert rebalance.proposal is not None
    villages = [rebalance.village.itemText(i) for i in range(rebalance.village.count())]
    assert _chinese(_shown(rebalance, skip=[rebalance.warnings]), villages) == []
    names = [rebalance.table.item(r, 1).text() for r in range(rebalance.table.rowCount())]
    assert _chinese(rebalance.table.item(r, 0).text()
                    for r in range(rebalance.table.rowCount())) == []
    assert _chinese(grid_edit.overlay.texts(), names) == []
    workers = [rebalance.workers.item(i).text() for i in range(rebalance.workers.count())]
    roster_names = [roster.item(r, 0).text() for r in range(roster.rowCount())]
    roles = [roster.item(r, 1).text() for r in range(roster.rowCount())]  # codes' labels
    assert _chinese(workers, roster_names + roles) == []
    rebalance.reject()
