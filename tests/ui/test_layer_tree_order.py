"""Reordering layers in the layer tree: the map restacks, the attribute table stays put."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from PyQt6.QtCore import Qt

from tests.ui.conftest import open_window
from tests.ui.test_grid_edit_helpers import layer_tree_item

ROOT = Path(__file__).resolve().parents[2]


def _xvfb():
    """An Xvfb server on a free display: (process, ":N")."""
    read, write = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1600x1000x24",
                               "-nolisten", "tcp"], pass_fds=(write,),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    return server, f":{number}"


def test_dragging_a_layer_restacks_the_map_and_keeps_the_table(qtbot, sample_project_path,
                                                               tmp_path):
    project = tmp_path / "sample.gmp"
    shutil.copy(sample_project_path, project)
    server, display = _xvfb()
    try:
        env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb",
               "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config")}
        run = subprocess.run(
            [sys.executable, "-m", "tests.ui.xcb_drag", str(project),
             str(tmp_path / "settings.ini"), "hazard_zones", "hazard_points"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    finally:
        server.terminate()
        server.wait(10)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    before, after = result["before"], result["after"]
    # The drag moved the hazard zones up the list, next to the hazard points …
    assert before["tree"].index("hazard_zones") > before["tree"].index("households")
    assert after["tree"].index("hazard_zones") < after["tree"].index("households")
    assert after["layers"] == after["tree"]
    moved = [i for i in before["tree"] if i != "hazard_zones"]
    assert [i for i in after["tree"] if i != "hazard_zones"] == moved
    # … the map draws them in that order (higher z on top) …
    z = after["z"]
    assert sorted(z, key=lambda i: -z[i]) == after["tree"]
    # … and the attribute table still shows the layer it showed, the active one.
    assert before["active"] == before["table"] == "households"
    assert after["active"] == after["table"] == "households"
    # Closed and opened again (another window, settings of its own): the order is kept.
    window = open_window(qtbot, project, tmp_path / "other-settings.ini")
    try:
        assert window.layers.order == window.controller("layers").tree.layer_order() == \
            after["tree"]
        z = {i: window.canvas.adapters[i].z for i in window.layers.order}
        assert sorted(z, key=lambda i: -z[i]) == after["tree"]
    finally:
        window.close()
        window.session.close()


def test_clicking_a_layer_makes_it_active_and_keys_move_on(window, qtbot):
    tree = window.controller("layers").tree
    table = window.controller("table").table
    assert window.layers.active == table.layer_id == "households"
    item = layer_tree_item(window, "grids_level3")
    tree.scrollToItem(item)
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton,
                     pos=tree.visualItemRect(item).center())
    assert window.layers.active == table.layer_id == "grids_level3"
    # Up the list with the arrow key: into the layer above (a legend row stands for its layer).
    tree.setFocus()
    above = tree.layer_order()[tree.layer_order().index("grids_level3") - 1]
    qtbot.keyClick(tree, Qt.Key.Key_Up)
    assert window.layers.active == table.layer_id == above
    # A press that is not released (the start of a drag) chooses nothing.
    other = layer_tree_item(window, "sites")
    tree.scrollToItem(other)
    qtbot.mousePress(tree.viewport(), Qt.MouseButton.LeftButton,
                     pos=tree.visualItemRect(other).center())
    assert window.layers.active == above
    qtbot.mouseRelease(tree.viewport(), Qt.MouseButton.LeftButton,
                       pos=tree.visualItemRect(other).center())
    assert window.layers.active == table.layer_id == "sites"
