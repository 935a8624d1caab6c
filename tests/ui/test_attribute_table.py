"""The attribute table driven as a user would: scroll, header clicks, typed filters, row clicks.

The panel alone is shown with the sample county's lean households (the session's frame) and a
``fetch`` over the full stored table that records what it was asked, so the tests can count
the rows read; the window tests drive the same panel through its controller.
"""

from __future__ import annotations

import re
import shutil

import numpy as np
import pandas as pd
import pytest
from PyQt6.QtCore import QPoint, Qt
from PyQt6.QtGui import QContextMenuEvent
from PyQt6.QtWidgets import QApplication

from gis_app.core.codes import HouseholdAttribute
from gis_app.ui.panels.attribute_table import PAGE_ROWS, AttributeTable
from tests.ui.conftest import when_shown

#: Stored household columns the standalone table shows (the lean ones and fetched ones).
COLUMNS = ["id", "household_code", "head_name", "head_id_number", "phone", "members",
           "attribute", "monitoring_type", "income_per_person", "risk_eliminated",
           "risk_eliminated_on", "location_source"]
CJK = re.compile(r"[\u4e00-\u9fff]")


class RecordingFetch:
    """Household attributes by id from the full stored table, remembering every request."""

    def __init__(self, full: pd.DataFrame):
        self.store = full.set_index("id")
        self.calls: list[tuple[list[str], np.ndarray]] = []

    def __call__(self, names, ids):
        ids = np.asarray(ids)
        self.calls.append((list(names), ids.copy()))
        return self.store.loc[ids, list(names)]

    def ids_asked(self) -> np.ndarray:
        """Every id asked for, in order (repeats kept)."""
        return np.concatenate([ids for _, ids in self.calls]) if self.calls else np.empty(0)


@pytest.fixture(scope="module")
def county(sample_project_path, tmp_path_factory):
    """(lean households as the session keeps them, every stored household column)."""
    from gis_app.services.session import ProjectSession
    from gis_app.storage.project import open_project
    from gis_app.storage.reader import load_table

    copy = tmp_path_factory.mktemp("table") / "county.gmp"
    shutil.copy(sample_project_path, copy)
    session = ProjectSession(open_project(copy), user="tester")
    lean = session.households.copy()
    full = load_table(session.project.engine, "household")
    session.close()
    full = full.set_index("id").loc[lean["id"]].reset_index()  # the layer's row order
    return lean, full


@pytest.fixture
def panel(qtbot, county):
    """(table, lean frame, full frame, fetch): the households shown, masked, in Chinese."""
    from gis_app.ui.app import application
    from gis_app.ui.i18n import Translator

    application()
    lean, full = county
    table = AttributeTable(Translator("zh"))
    table.household_layers = {"households"}
    qtbot.addWidget(table)
    table.resize(1200, 500)
    table.show()
    qtbot.waitExposed(table)
    fetch = RecordingFetch(full)
    table.show_layer("households", lean, "zh", False, columns=COLUMNS, fetch=fetch)
    table.grab()  # paint: the cells in view are asked for
    return table, lean, full, fetch


def _shown(table, key: str, rows=None) -> list[str]:
    """The text of column ``key`` in ``rows`` (default every row), in view order.

    Reading every row, as a user scrolling through all, reads every page.
    """
    model = table.model
    column = model.columns.index(key)
    rows = range(model.rowCount()) if rows is None else rows
    return [model.data(model.index(r, column)) for r in rows]


def _visible_rows(table) -> range:
    view = table.view
    first = view.rowAt(0)
    last = view.rowAt(view.viewport().height() - 1)
    return range(first, (last if last >= 0 else table.model.rowCount() - 1) + 1)


def _click_header(qtbot, table, key: str) -> None:
    header = table.view.horizontalHeader()
    column = table.model.columns.index(key)
    table.view.scrollTo(table.model.index(0, column))
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(x, header.height() // 2))


def _click_row(qtbot, table, row: int, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    table.view.scrollTo(table.model.index(row, 0))
    center = table.view.visualRect(table.model.index(row, 0)).center()
    qtbot.mouseClick(table.view.viewport(), Qt.MouseButton.LeftButton, modifier, center)


def _filter(qtbot, table, text: str) -> None:
    table.expression.clear()
    qtbot.keyClicks(table.expression, text)
    qtbot.keyClick(table.expression, Qt.Key.Key_Return)


def _shown_count(table) -> int:
    return int(table.status.text().split(" / ")[0].replace(",", ""))


# -- reading a page at a time
def test_show_reads_only_the_rows_in_view(panel, qtbot):
    table, lean, full, fetch = panel
    n = len(lean)
    asked = fetch.ids_asked()
    # One page: the rows in view (the first ones), not the county.
    assert len(asked) == PAGE_ROWS < n
    assert set(asked) == set(lean["id"][:PAGE_ROWS])
    assert all(len(ids) <= PAGE_ROWS for _, ids in fetch.calls)
    assert set(fetch.calls[0][0]) == set(COLUMNS) - set(lean.columns)
    # What is shown is the store's.
    rows = _visible_rows(table)
    assert rows[0] == 0 and len(rows) > 10
    assert _shown(table, "head_name", rows) == list(full["head_name"][: len(rows)])
    assert len(fetch.calls) == 1
    # Scrolling to the end reads the last rows' page, nothing in between.
    before = len(fetch.calls)
    table.view.scrollToBottom()
    table.grab()
    last = fetch.ids_asked()[len(asked):]
    assert len(fetch.calls) - before >= 1
    assert set(last) <= set(lean["id"][(n - 1) // PAGE_ROWS * PAGE_ROWS:])
    visible = _visible_rows(table)
    assert visible[-1] == n - 1
    assert _shown(table, "head_name", visible) == list(full["head_name"].iloc[list(visible)])
    assert table.status.text() == f"{n:,} / {n:,} 行，已选择 0"


def test_sorting_by_a_fetched_column_reads_it_whole_once(panel, qtbot):
    table, lean, full, fetch = panel
    fetch.calls.clear()
    _click_header(qtbot, table, "risk_eliminated_on")
    whole = [(names, ids) for names, ids in fetch.calls if len(ids) == len(lean)]
    assert len(whole) == 1 and whole[0][0] == ["risk_eliminated_on"]
    dates = full["risk_eliminated_on"]
    expected = sorted(d.isoformat() for d in dates.dropna()) + [""] * int(dates.isna().sum())
    assert _shown(table, "risk_eliminated_on") == expected  # nulls last
    _click_header(qtbot, table, "risk_eliminated_on")  # descending, nulls still last
    expected_down = sorted((d.isoformat() for d in dates.dropna()), reverse=True) + \
        [""] * int(dates.isna().sum())
    assert _shown(table, "risk_eliminated_on") == expected_down
    assert len([ids for _, ids in fetch.calls if len(ids) == len(lean)]) == 1
    # The other fetched columns are still read a page at a time, for the rows in view.
    assert all(len(ids) <= PAGE_ROWS for names, ids in fetch.calls
               if names != ["risk_eliminated_on"])
    top = _visible_rows(table)
    names = _shown(table, "head_name")
    order = full.assign(key=full["risk_eliminated_on"]).sort_values(
        "key", ascending=False, na_position="last", kind="stable")
    assert names[: len(top)] == list(order["head_name"][: len(top)])


def test_sorting_by_a_lean_column_reads_nothing_whole(panel, qtbot):
    table, lean, full, fetch = panel
    fetch.calls.clear()
    _click_header(qtbot, table, "members")
    assert all(len(ids) <= PAGE_ROWS for _, ids in fetch.calls)
    assert _shown(table, "members") == [str(v) for v in sorted(lean["members"])]


# -- filters see what the user sees
def test_a_filter_on_masked_id_numbers_sees_only_the_shown_characters(panel, qtbot, county):
    table, lean, full, fetch = panel
    ids = full["head_id_number"]
    hidden_prefix = ids.iloc[0][:10]  # the region code and birth year: 7 of them hidden
    real = int(ids.str.startswith(hidden_prefix).sum())
    assert real > 0
    assert all(t.startswith(ids.iloc[0][:3] + "*") for t in _shown(table, "head_id_number")[:50])
    _filter(qtbot, table, f'head_id_number.str.startswith("{hidden_prefix}")')
    assert table.model.rowCount() == 0 == _shown_count(table)
    _filter(qtbot, table, 'head_id_number.str.startswith("4305")')
    assert table.model.rowCount() == 0
    # The last four are shown: a filter on them matches.
    tail = ids.iloc[0][-4:]
    _filter(qtbot, table, f'head_id_number.str.endswith("{tail}")')
    assert table.model.rowCount() == int(ids.str.endswith(tail).sum()) > 0
    # Phones: the middle four are hidden.
    phones = full["phone"]
    middle = phones.dropna().iloc[0][3:7]
    _filter(qtbot, table, f'phone.str.slice(3, 7) == "{middle}"')
    assert table.model.rowCount() == 0
    # Outside variables cannot reach the stored values.
    _filter(qtbot, table, '@table.model.column("head_id_number") == 1')
    assert "表达式有误" in table.status.text()
    # With personal data shown, the real digits match.
    table.show_layer("households", lean, "zh", True, columns=COLUMNS, fetch=fetch)
    _filter(qtbot, table, f'head_id_number.str.startswith("{hidden_prefix}")')
    assert table.model.rowCount() == real
    assert set(_shown(table, "head_id_number")) == set(ids[ids.str.startswith(hidden_prefix)])
    _filter(qtbot, table, f'phone.str.slice(3, 7) == "{middle}" and members >= 2')
    assert table.model.rowCount() == int(
        ((phones.str.slice(3, 7) == middle) & (full["members"] >= 2)).sum()) > 0


def test_the_value_pick_list_shows_masked_values(panel, qtbot):
    table, lean, full, fetch = panel
    table.column.setCurrentIndex(table.column.findData("head_id_number"))
    fetch.calls.clear()
    table.value.showPopup()
    assert len([ids for _, ids in fetch.calls if len(ids) == len(lean)]) == 1
    texts = [table.value.itemText(i) for i in range(1, table.value.count())]
    data = [table.value.itemData(i) for i in range(1, table.value.count())]
    real = set(full["head_id_number"])
    assert texts and not real & set(texts) and not real & set(data)
    assert all(re.fullmatch(r"\d{3}\*{11}[\dX]{4}", t) for t in texts)
    # Choosing one shows every household whose masked number it is.
    chosen = 1
    view = table.value.view()
    view.setCurrentIndex(view.model().index(chosen, 0))
    qtbot.keyClick(view, Qt.Key.Key_Return)
    text = table.value.itemText(chosen)
    ids = full["head_id_number"]
    expected = int(((ids.str[:3] == text[:3]) & (ids.str[-4:] == text[-4:])
                    & (ids.str.len() == len(text))).sum())
    assert table.model.rowCount() == expected > 0
    assert set(_shown(table, "head_id_number")) == {text}
    table.value.hidePopup()
    # Shown in clear: the real numbers.
    table.show_layer("households", lean, "zh", True, columns=COLUMNS, fetch=fetch)
    table.column.setCurrentIndex(table.column.findData("head_id_number"))
    table.value.showPopup()
    texts = [table.value.itemText(i) for i in range(1, table.value.count())]
    assert texts and set(texts) <= real
    table.value.hidePopup()


def test_expression_and_column_value_filters(panel, qtbot):
    table, lean, full, fetch = panel
    _filter(qtbot, table, "attribute == 2 and members >= 4")
    expected = int(((full["attribute"] == 2) & (full["members"] >= 4)).sum())
    assert table.model.rowCount() == expected == _shown_count(table) > 0
    # A fetched column in an expression is read whole, once; the sort is kept.
    _click_header(qtbot, table, "members")
    fetch.calls.clear()
    _filter(qtbot, table, "income_per_person >= 20000 and members >= 4")
    assert [names for names, ids in fetch.calls if len(ids) == len(lean)] == \
        [["income_per_person"]]
    match = full[(full["income_per_person"] >= 20000) & (full["members"] >= 4)]
    assert _shown(table, "members") == [str(v) for v in sorted(match["members"])]
    _filter(qtbot, table, "members >>> 3")
    assert "表达式有误" in table.status.text()
    assert table.model.rowCount() == len(match)  # the table is kept
    qtbot.mouseClick(table.buttons["清除"], Qt.MouseButton.LeftButton)
    assert table.model.rowCount() == len(lean) == _shown_count(table)
    table.column.setCurrentIndex(table.column.findData("attribute"))
    table.value.showPopup()
    labels = [table.value.itemText(i) for i in range(table.value.count())]
    assert labels[0] == "全部"
    view = table.value.view()
    view.setCurrentIndex(view.model().index(2, 0))
    qtbot.keyClick(view, Qt.Key.Key_Return)
    chosen = next(a for a in HouseholdAttribute if a.label == labels[2])
    assert table.model.rowCount() == int((full["attribute"] == chosen.value).sum()) > 0
    assert set(_shown(table, "attribute")) == {labels[2]}


def test_showing_the_same_layer_again_keeps_sort_and_filter(panel, qtbot):
    table, lean, full, fetch = panel
    ids = full["head_id_number"]
    prefix = ids.iloc[0][:10]
    _click_header(qtbot, table, "members")
    _filter(qtbot, table, f'head_id_number.str.startswith("{prefix}")')
    assert table.model.rowCount() == 0
    # 显示个人信息 ticked: the controller shows the layer again; the filter now sees digits.
    table.show_layer("households", lean, "zh", True, columns=COLUMNS, fetch=fetch)
    match = full[ids.str.startswith(prefix)]
    assert table.model.rowCount() == len(match) > 0
    assert _shown(table, "members") == [str(v) for v in sorted(match["members"])]
    # A value picked while masked means nothing in clear: that filter is dropped.
    table.show_layer("households", lean, "zh", False, columns=COLUMNS, fetch=fetch)
    table.column.setCurrentIndex(table.column.findData("phone"))
    table.value.showPopup()
    view = table.value.view()
    view.setCurrentIndex(view.model().index(1, 0))
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert 0 < table.model.rowCount() < len(lean)
    assert table.expression.text() == ""
    table.show_layer("households", lean, "zh", True, columns=COLUMNS, fetch=fetch)
    assert table.model.rowCount() == len(lean)
    # Another layer starts afresh.
    table.show_layer("other", lean, "zh", True, columns=COLUMNS, fetch=fetch)
    assert table.view.horizontalHeader().sortIndicatorSection() == -1
    assert table.model.rowCount() == len(lean)


# -- edits
def test_update_rows_shows_the_changed_values(panel, qtbot):
    table, lean, full, fetch = panel
    model = table.model
    name = model.columns.index("head_name")
    attribute = model.columns.index("attribute")
    first = int(lean["id"].iloc[0])
    old_name, old_attribute = (model.data(model.index(0, c)) for c in (name, attribute))
    # An edit: the store has a new name, the layer a new frame with a new attribute code.
    fetch.store.loc[first, "head_name"] = "新户主"
    edited = lean.copy()
    edited.loc[0, "attribute"] = 3 if lean["attribute"].iloc[0] != 3 else 1
    fetch.calls.clear()
    with qtbot.waitSignal(model.dataChanged):
        table.update_rows(np.array([0]), edited)
    table.grab()
    assert model.data(model.index(0, name)) == "新户主" != old_name
    assert model.data(model.index(0, attribute)) == \
        HouseholdAttribute(int(edited["attribute"].iloc[0])).label != old_attribute
    assert sum(len(ids) for _, ids in fetch.calls) <= PAGE_ROWS  # its page, read again
    # A whole column (sorted by it) is read again for the changed row only.
    _click_header(qtbot, table, "head_name")
    row = 7
    position = int(model.rows[row])
    household = int(lean["id"].iloc[position])
    fetch.store.loc[household, "head_name"] = "改名"
    fetch.calls.clear()
    with qtbot.waitSignal(model.dataChanged):
        table.update_rows([position])
    assert model.data(model.index(row, name)) == "改名"
    assert any(list(ids) == [household] for names, ids in fetch.calls if "head_name" in names)
    assert all(len(ids) <= PAGE_ROWS for _, ids in fetch.calls)
    fetch.store.loc[first, "head_name"] = full["head_name"].iloc[0]
    fetch.store.loc[household, "head_name"] = full["head_name"].iloc[position]


# -- selection both ways, households
def test_selection_round_trip_with_a_map_layer(panel, qtbot):
    from gis_app.catalog import load_layers
    from gis_app.services.layers import MapLayer

    table, lean, full, fetch = panel
    definition = next(d for d in load_layers() if d.source == "households")
    layer = MapLayer(definition, lean)
    # The controller's wiring: the table's choice selects on the layer, the layer's shows.
    table.selection_made.connect(lambda _id, mask: layer.select(mask))
    layer.events.selection.connect(lambda: table.select_features(layer.selection))
    _click_header(qtbot, table, "income_per_person")
    _click_row(qtbot, table, 2)
    _click_row(qtbot, table, 4, Qt.KeyboardModifier.ControlModifier)
    shown_ids = [int(_shown(table, "id")[r]) for r in (2, 4)]
    assert sorted(layer.selected_ids().tolist()) == sorted(shown_ids)
    assert table.status.text().endswith("已选择 2")
    # The map selects: the table highlights those rows, drops its own and says how many.
    picked = lean["id"].to_numpy()[lean["members"].to_numpy() >= 5]
    layer.select_ids(picked)
    highlighted = table.model.highlighted_rows()
    ids = np.asarray(_shown(table, "id"), dtype=np.int64)
    assert sorted(ids[highlighted]) == sorted(picked)
    assert not table.view.selectionModel().hasSelection()
    assert table.model.data(table.model.index(int(highlighted[0]), 1),
                            Qt.ItemDataRole.BackgroundRole) is not None
    assert table.status.text().endswith(f"已选择 {len(picked):,}")
    layer.clear_selection()
    assert len(table.model.highlighted_rows()) == 0


def test_double_click_and_right_click_ask_for_the_visit_form(panel, qtbot):
    table, lean, full, fetch = panel
    asked = []
    table.record_requested.connect(asked.append)
    _click_header(qtbot, table, "members")
    column = table.model.columns.index("members")
    center = table.view.visualRect(table.model.index(3, column)).center()
    qtbot.mouseClick(table.view.viewport(), Qt.MouseButton.LeftButton, pos=center)
    qtbot.mouseDClick(table.view.viewport(), Qt.MouseButton.LeftButton, pos=center)
    assert asked == [int(_shown(table, "id")[3])]
    QApplication.sendEvent(table.view.viewport(),
                           QContextMenuEvent(QContextMenuEvent.Reason.Mouse, center))
    menu = table.context_menu
    assert [a.text() for a in menu.actions()] == ["录入走访记录…"]
    menu.actions()[0].trigger()
    menu.close()
    assert asked == [int(_shown(table, "id")[3])] * 2
    # Not a household layer: no visit form.
    table.household_layers = set()
    qtbot.mouseClick(table.view.viewport(), Qt.MouseButton.LeftButton, pos=center)
    qtbot.mouseDClick(table.view.viewport(), Qt.MouseButton.LeftButton, pos=center)
    assert len(asked) == 2


def test_default_columns_and_english(qtbot, county):
    from gis_app.ui.app import application
    from gis_app.ui.i18n import Translator

    application()
    lean, full = county
    table = AttributeTable(Translator("en"))
    qtbot.addWidget(table)
    table.show_layer("households", lean, "en", False)
    assert table.model.columns == [c for c in lean.columns
                                   if c not in {"x", "y", "grid_id", "village_id", "version"}]
    texts = [table.expression.placeholderText(), table.status.text()]
    texts += [b.text() for b in table.buttons.values()]
    texts += [table.model.headerData(c, Qt.Orientation.Horizontal)
              for c in range(table.model.columnCount())]
    _filter(qtbot, table, "members >>> 3")
    texts.append(table.status.text())
    _filter(qtbot, table, "@x")
    texts.append(table.status.text())
    table.column.setCurrentIndex(table.column.findData("members"))
    table.value.showPopup()
    texts.append(table.value.itemText(0))
    table.value.hidePopup()
    assert not [t for t in texts if CJK.search(t)], texts


# -- in the window, through its controller
def _window_table(window, qtbot):
    """The 属性表 dock brought up; its panel."""
    dock = window.docks["属性表"]
    dock.raise_()
    qtbot.waitUntil(dock.isVisible, timeout=3000)
    table = window.controller("table").table
    table.grab()
    return table


def _stored(window, columns: str) -> pd.DataFrame:
    """Households read straight from the project file (an independent reader), by id."""
    from sqlalchemy import text

    with window.session.project.engine.connect() as connection:
        return pd.read_sql(text(f"SELECT id, {columns} FROM household ORDER BY id"),
                           connection).set_index("id")


def _row_of(table, household: int) -> int:
    model = table.model
    return int(np.flatnonzero(model.ids[model.rows] == household)[0])


def test_window_table_reads_pages_sorts_and_filters_masked(window, qtbot, monkeypatch):
    table = _window_table(window, qtbot)
    session = window.session
    n = len(session.households)
    asked = []
    real = session.household_columns

    def spy(names, ids=None):
        asked.append(np.asarray(ids))
        return real(names, ids)

    monkeypatch.setattr(session, "household_columns", spy)
    table.view.scrollToBottom()
    table.grab()
    assert asked and all(len(ids) <= PAGE_ROWS for ids in asked)
    assert set(np.concatenate(asked)) <= set(table.model.ids[-PAGE_ROWS:])
    asked.clear()
    _click_header(qtbot, table, "head_name")
    assert [len(ids) for ids in asked].count(n) == 1
    store = _stored(window, "head_name, head_id_number")
    assert _shown(table, "head_name", range(20)) == sorted(store["head_name"])[:20]
    # Hidden digits match nothing; shown in clear (for a user allowed to) they do.
    prefix = store["head_id_number"].iloc[0][:10]
    _filter(qtbot, table, f'head_id_number.str.startswith("{prefix}")')
    assert table.model.rowCount() == 0
    session.project.set_settings({"personal_data_users": ["tester"]})
    unmask = next(a for a in window.menus["设置"].actions() if a.text() == "显示个人信息")
    unmask.trigger()
    assert window.state.unmask
    _filter(qtbot, table, f'head_id_number.str.startswith("{prefix}")')
    expected = int(store["head_id_number"].str.startswith(prefix).sum())
    assert table.model.rowCount() == expected > 0
    assert table.status.text().startswith(f"{expected:,} / {n:,}")


def test_window_table_shows_a_placed_households_new_grid(window, qtbot):
    from gis_app.services.household_service import HouseholdService

    table = _window_table(window, qtbot)
    session = window.session
    households = session.households
    household = int(households.loc[households["grid_id"].notna(), "id"].iloc[3])
    grids = session.grids[session.grids["level"] == 3]
    old_grid = int(households.loc[households["id"] == household, "grid_id"].iloc[0])
    target = grids[grids["id"] != old_grid].iloc[0]
    point = target.geometry.representative_point()
    row = _row_of(table, household)
    table.view.scrollTo(table.model.index(row, 0))
    table.grab()
    HouseholdService(session).place(household, point.x, point.y)  # an edit, as 放置 does
    stored = _stored(window, "grid_id, location_source").loc[household]
    codes = _stored_grids(window)
    row = _row_of(table, household)
    assert _shown(table, "grid_code", [row]) == [codes[int(stored["grid_id"])]]
    assert _shown(table, "location_source", [row]) == [stored["location_source"]] == ["地图点选"]


def _stored_grids(window) -> dict[int, str]:
    from sqlalchemy import text

    with window.session.project.engine.connect() as connection:
        return dict(connection.execute(text("SELECT id, code FROM grid")).all())


def test_window_selection_both_ways_and_export(window, qtbot, tmp_path):
    import openpyxl
    from PyQt6.QtWidgets import QFileDialog, QLineEdit

    table = _window_table(window, qtbot)
    layer = window.layers["households"]
    _click_header(qtbot, table, "members")
    _click_row(qtbot, table, 0)
    _click_row(qtbot, table, 5, Qt.KeyboardModifier.ControlModifier)
    chosen = [int(_shown(table, "id", [r])[0]) for r in (0, 5)]
    assert sorted(layer.selected_ids().tolist()) == sorted(chosen)
    # The map's selection shows in the table.
    picked = layer.ids[::97]
    layer.select_ids(picked)
    ids = table.model.ids[table.model.rows]
    assert sorted(ids[table.model.highlighted_rows()]) == sorted(picked)
    assert table.status.text().endswith(f"已选择 {len(picked):,}")
    # 导出选择到Excel…: the save dialog, then the file read back.
    path = tmp_path / "选择.xlsx"

    def answer(dialog):  # Qt's save dialog, once it is up: type the file name, press Enter
        name = dialog.findChild(QLineEdit, "fileNameEdit")
        name.setText(str(path))
        qtbot.keyClick(name, Qt.Key.Key_Return)

    when_shown(lambda: next((w for w in QApplication.topLevelWidgets()
                             if isinstance(w, QFileDialog) and w.isVisible()), None), answer, 50)
    qtbot.mouseClick(table.buttons["导出选择到Excel…"], Qt.MouseButton.LeftButton)
    sheet = openpyxl.load_workbook(path).active
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    header = next(i for i, r in enumerate(values) if "户主姓名" in r)
    body = [r for r in values[header + 1:] if any(r)]
    names = [r[values[header].index("户主姓名")] for r in body]
    store = _stored(window, "head_name, head_id_number")
    assert sorted(names) == sorted(store.loc[picked, "head_name"])
    numbers = [r[values[header].index("户主证件号码")] for r in body]
    assert all("*" in v for v in numbers) and not set(numbers) & set(store["head_id_number"])
