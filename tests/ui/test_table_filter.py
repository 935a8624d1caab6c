"""The attribute table's filter as a user types it: field names and values as shown, in Chinese
and in English, and the expression builder; rows counted against the store read with SQL."""

from __future__ import annotations

import re

import pandas as pd
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QInputMethodEvent
from PyQt6.QtWidgets import QApplication

CJK = re.compile(r"[\u4e00-\u9fff]")


def _table(window, qtbot):
    dock = window.docks["属性表"]
    dock.raise_()
    qtbot.waitUntil(dock.isVisible, timeout=3000)
    table = window.controller("table").table
    table.grab()
    return table


def type_text(qtbot, widget, text: str) -> None:
    """Type ``text`` as a user does: ASCII on the keyboard, Chinese committed by an input method.

    (QTest cannot press keys for characters outside ASCII; an input method commits them.)
    """
    for chunk in re.findall(r"[\x00-\x7f]+|[^\x00-\x7f]+", text):
        if chunk.isascii():
            qtbot.keyClicks(widget, chunk)
        else:
            event = QInputMethodEvent()
            event.setCommitString(chunk)
            QApplication.sendEvent(widget, event)


def _filter(qtbot, table, text: str) -> None:
    table.expression.clear()
    type_text(qtbot, table.expression, text)
    assert table.expression.text() == text
    qtbot.keyClick(table.expression, Qt.Key.Key_Return)


def _store(window) -> pd.DataFrame:
    """Households with their village's name, read with SQL (independent of the table)."""
    from sqlalchemy import text

    with window.session.project.engine.connect() as connection:
        return pd.read_sql(text(
            "SELECT h.id, h.attribute, h.members, h.dibao, h.head_id_number, "
            "v.name AS village FROM household h JOIN admin_unit v ON v.id = h.village_id "
            "ORDER BY h.id"), connection).set_index("id")


def _shown_ids(table) -> set[int]:
    model = table.model
    return set(model.ids[model.rows].tolist())


def test_filter_by_the_names_and_values_users_see(window, qtbot):
    table = _table(window, qtbot)
    store = _store(window)
    # The expression, as typed.
    _filter(qtbot, table, '户属性 == "监测对象"')
    monitored = store[store["attribute"] == 2]
    assert table.model.rowCount() == len(monitored) > 0
    assert _shown_ids(table) == set(monitored.index)
    assert table.status.text().startswith(f"{len(monitored):,} / {len(store):,}")
    # Chinese punctuation of an input method, a village by name, a yes/no field, a list.
    _filter(qtbot, table, '户属性 ＝ “监测对象” AND 家庭人口数 >= 4')
    assert table.model.rowCount() == int(((store["attribute"] == 2)
                                          & (store["members"] >= 4)).sum()) > 0
    village = store["village"].value_counts().index[0]
    _filter(qtbot, table, f'村（社区） == "{village}" and 户属性 in ["脱贫户", "监测对象"] '
                          f'and 是否低保 == "否"')
    expected = store[(store["village"] == village) & store["attribute"].isin([1, 2])
                     & ~store["dibao"].astype(bool)]
    assert _shown_ids(table) == set(expected.index) and len(expected) > 0
    # A value the field does not have: a Chinese message naming the choices; the rows stay.
    _filter(qtbot, table, '户属性 == "富裕户"')
    assert table.status.text() == \
        "表达式有误：字段“户属性”没有“富裕户”这个值，可选：脱贫户、监测对象、档外农户"
    assert _shown_ids(table) == set(expected.index)
    _filter(qtbot, table, "收入 > 1")
    assert table.status.text() == "表达式有误：没有名为“收入”的字段"
    # Code is not run: the expression language has no calls but the text tests.
    _filter(qtbot, table, '__import__("os").system("echo owned")')
    assert table.status.text().startswith("表达式有误：不支持的写法")
    # Internal names and codes still work.
    _filter(qtbot, table, "attribute == 2 and members >= 4")
    assert table.model.rowCount() == int(((store["attribute"] == 2)
                                          & (store["members"] >= 4)).sum())


def test_a_filter_sees_masked_id_numbers_as_shown(window, qtbot):
    table = _table(window, qtbot)
    store = _store(window)
    number = store["head_id_number"].iloc[0]
    _filter(qtbot, table, f'户主证件号码.str.startswith("{number[:8]}")')
    assert table.model.rowCount() == 0  # the digits after the third are hidden
    _filter(qtbot, table, f'户主证件号码.str.endswith("{number[-4:]}")')
    assert table.model.rowCount() == int(store["head_id_number"].str.endswith(number[-4:])
                                         .sum()) > 0


def test_english_names_and_values_in_english_mode(window, qtbot):
    table = _table(window, qtbot)
    store = _store(window)
    settings = next(a.menu() for a in window.menuBar().actions() if a.text() == "设置")
    next(a for a in settings.actions() if a.text() == "英文").trigger()
    table = _table(window, qtbot)
    assert not CJK.search(table.expression.placeholderText())
    _filter(qtbot, table, 'Attribute == "Monitored" and Members >= 4')  # the headers shown
    assert table.model.rowCount() == int(((store["attribute"] == 2)
                                          & (store["members"] >= 4)).sum()) > 0
    _filter(qtbot, table, '`household code` is null or Members = 1')
    assert "Invalid expression" not in table.status.text()
    _filter(qtbot, table, 'attribute == "Rich"')
    status = table.status.text()
    # the field named as the table's header names it
    assert status.startswith("Invalid expression: Field “Attribute” has no value “Rich”")
    assert "Monitored" in status and not CJK.search(status)
    _filter(qtbot, table, "members >= 4 and")
    assert not CJK.search(table.status.text())


def test_the_expression_builder_lists_fields_and_values_and_inserts_them(window, qtbot):
    from gis_app.ui.dialogs.expression_dialog import ExpressionDialog

    table = _table(window, qtbot)
    store = _store(window)
    qtbot.mouseClick(table.buttons["表达式…"], Qt.MouseButton.LeftButton)
    dialog = table.builder
    assert isinstance(dialog, ExpressionDialog)
    qtbot.waitExposed(dialog)
    fields = [dialog.field_list.item(r).text() for r in range(dialog.field_list.count())]
    assert {"户属性", "家庭人口数", "村（社区）", "户主证件号码"} <= set(fields)

    def pick(list_widget, text):
        item = next(list_widget.item(r) for r in range(list_widget.count())
                    if list_widget.item(r).text() == text)
        list_widget.setCurrentItem(item)
        list_widget.scrollToItem(item)
        center = list_widget.visualItemRect(item).center()
        qtbot.mouseClick(list_widget.viewport(), Qt.MouseButton.LeftButton, pos=center)
        qtbot.mouseDClick(list_widget.viewport(), Qt.MouseButton.LeftButton, pos=center)

    dialog.editor.clear()
    pick(dialog.field_list, "户属性")
    values = [dialog.value_list.item(r).text() for r in range(dialog.value_list.count())]
    assert values == ["脱贫户", "监测对象", "档外农户"]
    qtbot.mouseClick(dialog.operator_buttons["=="], Qt.MouseButton.LeftButton)
    pick(dialog.value_list, "监测对象")
    qtbot.mouseClick(dialog.operator_buttons["and"], Qt.MouseButton.LeftButton)
    pick(dialog.field_list, "村（社区）")
    village = store["village"].value_counts().index[0]
    type_text(qtbot, dialog.value_search, village[:2])
    shown = [dialog.value_list.item(r).text() for r in range(dialog.value_list.count())
             if not dialog.value_list.item(r).isHidden()]
    assert village in shown and all(village[:2] in v for v in shown)
    qtbot.mouseClick(dialog.operator_buttons["=="], Qt.MouseButton.LeftButton)
    pick(dialog.value_list, village)
    text = dialog.editor.text().strip()
    assert text == f'户属性 == "监测对象" and `村（社区）` == "{village}"'
    assert dialog.message.text() == "表达式有效"
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Ok),
                     Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    expected = store[(store["attribute"] == 2) & (store["village"] == village)]
    assert table.expression.text().strip() == text
    assert _shown_ids(table) == set(expected.index) and len(expected) > 0
    # A bad expression keeps the builder open with the table's message.
    qtbot.mouseClick(table.buttons["表达式…"], Qt.MouseButton.LeftButton)
    dialog = table.builder
    dialog.editor.setText('户属性 == "富裕户"')
    assert dialog.message.text() == "表达式有效"  # names are right; the value is checked on OK
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Ok),
                     Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and "富裕户" in dialog.message.text()
    dialog.editor.setText("户属性 ==")
    assert dialog.message.text().startswith("表达式语法有误")
    dialog.reject()
    # Masked personal data: the values listed are masked, as in the table.
    qtbot.mouseClick(table.buttons["表达式…"], Qt.MouseButton.LeftButton)
    dialog = table.builder
    pick(dialog.field_list, "户主证件号码")
    listed = {dialog.value_list.item(r).text() for r in range(dialog.value_list.count())}
    assert listed and not listed & set(store["head_id_number"])
    assert all("*" in v for v in listed)
    dialog.reject()
