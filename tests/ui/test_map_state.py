"""The map as the user left it comes back when the project is opened again.

Layer visibility, opacity and style are changed through the layer tree (its check boxes, its
menu and the opacity dialog), the window is closed and a new window on a new session opens the
project: the layers, the canvas and the tree show the same state, read from the store.
"""

from __future__ import annotations

import json
import shutil

import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QApplication, QDialogButtonBox, QInputDialog

from tests.ui.conftest import open_window, when_shown
from tests.ui.test_grid_edit_helpers import layer_tree_item, sql
from tests.ui.test_main_window import _click_check_box, _context_menu, _menu_action


def _answer_opacity(qtbot, percent: int) -> None:
    """Type ``percent`` into the opacity dialog when it opens and press OK."""
    def answer(dialog):
        dialog.setIntValue(percent)
        ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)

    when_shown(lambda: next((w for w in QApplication.topLevelWidgets()
                             if isinstance(w, QInputDialog) and w.isVisible()), None), answer)


def _menu(window, qtbot, layer_id: str, *path: str) -> None:
    tree = window.controller("layers").tree
    item = layer_tree_item(window, layer_id)
    tree.scrollToItem(item)
    _context_menu(qtbot, tree.viewport(), tree.visualItemRect(item).center(),
                  lambda menu: _menu_action(menu, *path).trigger())


def _close(window) -> None:
    window.close()
    window.session.close()


@pytest.fixture
def project(sample_project_path, tmp_path):
    copy = tmp_path / "copy.gmp"
    shutil.copy(sample_project_path, copy)
    return copy


def test_visibility_opacity_and_style_come_back_on_reopen(qtbot, project, tmp_path):
    window = open_window(qtbot, project, tmp_path / "settings.ini")
    default_order = window.controller("layers").tree.layer_order()
    _click_check_box(window, qtbot, "households")  # hidden
    _click_check_box(window, qtbot, "coverage_villages")  # shown
    _answer_opacity(qtbot, 40)
    _menu(window, qtbot, "hazard_zones", "透明度…")
    _menu(window, qtbot, "hazard_zones", "样式", "按风险等级")
    _menu(window, qtbot, "households", "样式", "按风险消除")
    assert window.layers["hazard_zones"].opacity == pytest.approx(0.4)
    _close(window)

    # In the store, as a project setting (another PC opening the project finds it there).
    stored = json.loads(sql(window, "SELECT value FROM project_setting WHERE key = 'map_layers'")
                        ["value"].iloc[0])
    assert stored["layers"]["hazard_zones"] == {"visible": True, "opacity": 0.4,
                                                "style": "hazard_zones_by_level"}
    # A new window, with settings of its own (nothing kept on this PC): the same map.
    again = open_window(qtbot, project, tmp_path / "other-settings.ini")
    try:
        layers, canvas, tree = again.layers, again.canvas, again.controller("layers").tree
        assert not layers["households"].visible
        assert layer_tree_item(again, "households").checkState(0) == Qt.CheckState.Unchecked
        assert not any(item.isVisible() for item in canvas.adapters["households"].items())
        assert layers["coverage_villages"].visible and layers["coverage_villages"].loaded
        assert layer_tree_item(again, "coverage_villages").checkState(0) == \
            Qt.CheckState.Checked
        assert canvas.adapters["coverage_villages"].items()[0].isVisible()
        assert len(canvas.adapters["coverage_villages"].frame) == 26  # the villages, counted
        assert layers["hazard_zones"].opacity == pytest.approx(0.4)
        assert all(item.opacity() == pytest.approx(0.4)
                   for item in canvas.adapters["hazard_zones"].items())
        assert layers["hazard_zones"].style == "hazard_zones_by_level"
        assert canvas.adapters["hazard_zones"].style.id == "hazard_zones_by_level"
        legend = layer_tree_item(again, "hazard_zones")
        assert [legend.child(i).text(0).split("（")[0] for i in range(legend.childCount())] == \
            ["极高风险", "高风险", "中风险", "低风险"]
        assert canvas.adapters["households"].style.id == "households_by_elimination"
        assert tree.layer_order() == default_order == layers.order
    finally:
        _close(again)


def test_a_state_from_older_layers_is_read_as_far_as_it_goes(qtbot, project, tmp_path):
    """Unknown layers and styles are skipped; layers the state does not name keep their z."""
    from gis_app.storage.project import open_project

    store = open_project(project)
    store.set_settings({"map_layers": {
        "order": ["gone", "grids_level3", "households", "sites"],
        "layers": {"gone": {"visible": True}, "sites": {"style": "no_such_style",
                                                        "visible": False}}}})
    store.close()
    window = open_window(qtbot, project, tmp_path / "settings.ini")
    try:
        order = window.layers.order
        assert order.index("grids_level3") < order.index("households") < order.index("sites")
        assert not window.layers["sites"].visible and window.layers["sites"].style == "sites"
        assert len(order) == len(window.definitions)
        # The rest fall in by their definitions' z, above the first saved layer drawn lower.
        rest = [i for i in order if i not in ("grids_level3", "households", "sites")]
        assert rest == sorted(rest, key=lambda i: -window.definitions[i].z)
    finally:
        _close(window)
