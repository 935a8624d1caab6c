"""The 排查 features in English: menu, docks, the visit form and the new-campaign form.

Only the interface's own words are checked: names of people, places, grids and campaigns are
data, as are the codes' labels (入户排查 …), and stay as stored.
"""

from __future__ import annotations

import re

from PyQt6.QtWidgets import (
    QAbstractButton,
    QDoubleSpinBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTableWidget,
)

from tests.ui.test_investigation import _action, _investigation, _show_dock, _unchecked_on_map

CJK = re.compile(r"[\u4e00-\u9fff]")


def _chinese(texts, data=()) -> list[str]:
    """The texts still holding Chinese once the data values in them are taken out."""
    data = sorted((str(d) for d in data if d), key=len, reverse=True)
    left = []
    for text in texts:
        for value in data:
            text = text.replace(value, "")
        if CJK.search(text):
            left.append(text)
    return left


def _shown(widget, skip=()) -> list[str]:
    texts = [widget.windowTitle()]
    texts += [w.text() for w in widget.findChildren(QLabel) if w not in skip]
    texts += [w.text() for w in widget.findChildren(QAbstractButton)]
    texts += [w.title() for w in widget.findChildren(QGroupBox)]
    texts += [w.placeholderText() for w in widget.findChildren(QLineEdit) if w not in skip]
    texts += [w.suffix() for w in widget.findChildren((QSpinBox, QDoubleSpinBox))]
    for table in widget.findChildren(QTableWidget):
        texts += [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    return [t for t in texts if t]


def test_the_investigation_speaks_english(window, qtbot):
    _action(window, "英文").trigger()  # 设置 → 英文
    controller = _investigation(window)
    menu = window.menus["排查"]
    assert menu.title() == "Investigation"
    assert [a.text() for a in menu.actions() if not a.isSeparator()] == [
        "New investigation…", "Record a visit…", "Import visits from a ledger…",
        "Export statistics and ledgers…", "Current investigation"]
    assert window.docks["排查覆盖"].windowTitle() == "Investigation coverage"
    assert window.docks["排查进度"].windowTitle() == "Investigation progress"

    _show_dock(window, qtbot, "排查覆盖")
    panel = controller.coverage
    names = [panel.table.item(r, 0).text() for r in range(panel.table.rowCount())]
    assert _chinese(_shown(panel), names) == []
    assert panel.summary.text().endswith("covered ({:.1%})".format(
        panel.frame[["home", "remote"]].to_numpy().sum() / panel.frame["households"].sum()))
    assert _chinese(panel.level.itemText(i) for i in range(panel.level.count())) == []
    _show_dock(window, qtbot, "排查进度")
    chart = controller.progress
    assert _chinese(chart.level.itemText(i) for i in range(chart.level.count())) == []
    assert _chinese([chart.by_label.text(),
                     chart.plot.getPlotItem().getAxis("left").labelText]) == []

    household, *_ = _unchecked_on_map(window)
    window.layers["households"].select_ids([household])
    _action(window, "Record a visit…").trigger()
    form = controller.record_dialog
    qtbot.waitExposed(form)
    place = form.household
    data = [place["head_name"], place.get("township"), place.get("village"),
            place.get("grid_name"), form.campaign["name"]]
    data += [form.checker.itemText(i) for i in range(form.checker.count())]
    assert _chinese(_shown(form), data) == []
    assert form.proposed.itemText(0) == "(not monitored)"
    form.reject()

    _action(window, "New investigation…").trigger()
    campaign_form = controller.campaign_dialog
    qtbot.waitExposed(campaign_form)
    assert campaign_form.windowTitle() == "New investigation"
    towns = [campaign_form.townships.item(i).text() for i in range(campaign_form.townships.count())]
    milestones = [campaign_form.milestones.item(r, 0).text()
                  for r in range(campaign_form.milestones.rowCount())]
    assert _chinese(_shown(campaign_form, skip=[campaign_form.name]), towns + milestones) == []
    campaign_form.reject()

    _action(window, "Chinese").trigger()  # 设置 → 中文, and back
    assert menu.title() == "排查" and panel.level_label.text() == "层级"
    assert window.docks["排查覆盖"].windowTitle() == "排查覆盖"
    assert panel.table.horizontalHeaderItem(0).text() == "名称"
