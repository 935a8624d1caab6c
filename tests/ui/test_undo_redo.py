"""撤销 and 重做 in the window (编辑 menu, toolbar, Ctrl+Z, Ctrl+Y, Ctrl+Shift+Z), and the title.

Edits are made on the window's session as its controllers make them; the store is read with
plain SQL. A second window on the same file plays another user.
"""

from __future__ import annotations

import re
import shutil

import pytest
from PyQt6.QtCore import QSettings, Qt
from PyQt6.QtWidgets import QFileDialog

from gis_app.services.assignment_service import AssignmentService
from gis_app.ui.controllers.project import project_title
from tests.ui.conftest import open_window
from tests.ui.test_grid_edit_helpers import answering, sql

STALE = re.compile(r"^网格员“王五”已被tester于\d{4}-\d\d-\d\d \d\d:\d\d修改，"
                   r"本次操作未保存，请刷新后重试$")


@pytest.fixture
def answers(window, qtbot):
    yield from answering(window, qtbot)


def edit_action(window, chinese: str):
    """The 编辑 menu's undo or redo action (its text names the edit: found by position)."""
    actions = [a for a in window.menus["编辑"].actions() if not a.isSeparator()]
    action = actions[["撤销", "重做"].index(chinese)]
    assert action in window.toolbars["tools"].actions()
    return action


def keys(window, qtbot, key, modifiers=Qt.KeyboardModifier.ControlModifier) -> None:
    """A shortcut pressed in the window (made active first, as a user's click would)."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    window.canvas.setFocus()
    qtbot.keyClick(window, key, modifiers)


def ctrl_z(window, qtbot):
    keys(window, qtbot, Qt.Key.Key_Z)


def ctrl_y(window, qtbot):
    keys(window, qtbot, Qt.Key.Key_Y)


def ctrl_shift_z(window, qtbot):
    keys(window, qtbot, Qt.Key.Key_Z,
         Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)


def worker(window, worker_id: int) -> dict | None:
    rows = sql(window, "SELECT name, phone, unit, version FROM worker WHERE id = :w", w=worker_id)
    return None if rows.empty else rows.iloc[0].to_dict()


def state(window) -> tuple:
    """(enabled, text, tool tip) of 撤销 and of 重做."""
    return tuple((a.isEnabled(), a.text(), a.toolTip())
                 for a in (edit_action(window, "撤销"), edit_action(window, "重做")))


def test_undo_and_redo_name_their_edit_and_are_disabled_when_there_is_none(
        window, qtbot, answers):
    undo, redo = edit_action(window, "撤销"), edit_action(window, "重做")
    assert [s.toString() for s in redo.shortcuts()] == ["Ctrl+Y", "Ctrl+Shift+Z"]
    assert undo.shortcut().toString() == "Ctrl+Z"
    assert state(window) == ((False, "撤销", "没有可撤销的操作"),
                             (False, "重做", "没有可重做的操作"))
    edits = len(sql(window, "SELECT id FROM edit"))
    ctrl_z(window, qtbot)
    ctrl_y(window, qtbot)
    assert len(sql(window, "SELECT id FROM edit")) == edits  # disabled: nothing happens

    service = AssignmentService(window.session)
    wid = service.add_worker("王五", "13912345678")
    assert state(window) == ((True, "撤销“添加网格员王五”", "撤销：添加网格员王五"),
                             (False, "重做", "没有可重做的操作"))
    assert undo.iconText() == "撤销"  # the toolbar button stays short
    service.edit_worker(wid, 1, phone="15887654321")
    assert undo.text() == "撤销“修改网格员王五”"

    ctrl_z(window, qtbot)
    assert worker(window, wid)["phone"] == "13912345678"
    assert window.statusBar().currentMessage() == "已撤销：修改网格员王五"
    assert state(window) == ((True, "撤销“添加网格员王五”", "撤销：添加网格员王五"),
                             (True, "重做“修改网格员王五”", "重做：修改网格员王五"))
    ctrl_z(window, qtbot)
    assert worker(window, wid) is None and wid not in set(window.session.workers["id"])
    assert state(window)[0] == (False, "撤销", "没有可撤销的操作")
    assert redo.text() == "重做“添加网格员王五”"

    ctrl_y(window, qtbot)  # the worker back, with the id it had; the views follow
    assert worker(window, wid)["name"] == "王五"
    assert wid in set(window.session.workers["id"])
    assert window.statusBar().currentMessage() == "已重做：添加网格员王五"
    assert redo.text() == "重做“修改网格员王五”" and undo.text() == "撤销“添加网格员王五”"
    ctrl_shift_z(window, qtbot)
    assert worker(window, wid)["phone"] == "15887654321"
    assert state(window)[1] == (False, "重做", "没有可重做的操作")
    labels = sql(window, "SELECT label FROM edit ORDER BY id")["label"].tolist()[edits:]
    assert labels == ["添加网格员王五", "修改网格员王五", "撤销：修改网格员王五",
                      "撤销：添加网格员王五", "重做：添加网格员王五", "重做：修改网格员王五"]

    # a new edit clears what could be redone
    ctrl_z(window, qtbot)
    assert redo.isEnabled()
    service.edit_worker(wid, int(worker(window, wid)["version"]), unit="村委会")
    assert state(window)[1] == (False, "重做", "没有可重做的操作")
    ctrl_y(window, qtbot)
    assert worker(window, wid)["unit"] == "村委会" and worker(window, wid)["phone"] == "13912345678"
    assert answers.messages == []

    # through the menu and toolbar actions as well
    redo_before = sql(window, "SELECT count(*) AS n FROM edit")["n"][0]
    undo.trigger()
    assert worker(window, wid)["unit"] is None
    redo.trigger()
    assert worker(window, wid)["unit"] == "村委会"
    assert sql(window, "SELECT count(*) AS n FROM edit")["n"][0] == redo_before + 2


def test_redo_after_another_user_changed_the_row_is_refused_like_undo(
        window, qtbot, answers, tmp_path):
    service = AssignmentService(window.session)
    wid = service.add_worker("王五", "13912345678")
    service.edit_worker(wid, 1, unit="村委会")
    ctrl_z(window, qtbot)
    other = open_window(qtbot, window.session.project.location, tmp_path / "other.ini")
    try:
        AssignmentService(other.session).edit_worker(
            wid, int(worker(window, wid)["version"]), phone="15887654321")
        ctrl_y(window, qtbot)
        qtbot.waitUntil(lambda: len(answers.messages) == 1, timeout=3000)
        icon, refused = answers.messages[-1]
        assert icon == "Warning" and STALE.match(refused), refused
        assert worker(window, wid)["unit"] is None  # nothing written
        assert worker(window, wid)["phone"] == "15887654321"
        assert edit_action(window, "重做").isEnabled()  # the step stays
        # an undo of a row changed since is refused with the same words
        service.edit_worker(wid, int(worker(window, wid)["version"]), title="组长")
        AssignmentService(other.session).edit_worker(
            wid, int(worker(window, wid)["version"]), phone="13700000000")
        ctrl_z(window, qtbot)
        qtbot.waitUntil(lambda: len(answers.messages) == 2, timeout=3000)
        assert answers.messages[-1][0] == "Warning" and STALE.match(answers.messages[-1][1])
        assert edit_action(window, "撤销").isEnabled()
    finally:
        other.close()
        other.session.close()


def test_the_title_names_the_project_file(window, qtbot, sample_project_path, tmp_path,
                                           monkeypatch):
    assert window.windowTitle() == "copy.gmp — 网格防返贫监测 GIS"
    next(a for a in window.menus["设置"].actions() if a.text() == "英文").trigger()
    assert window.windowTitle() == "copy.gmp — Grid Monitor GIS"
    next(a for a in window.menus["设置"].actions() if a.text() == "Chinese").trigger()
    # 文件 → 打开项目…: the new window's title names the file opened
    other = tmp_path / "另一个县.gmp"
    shutil.copy(sample_project_path, other)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(other), ""))
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path))
    from gis_app.ui import app

    opened = len(app._WINDOWS)
    next(a for a in window.menus["文件"].actions() if a.text() == "打开项目…").trigger()
    qtbot.waitUntil(lambda: len(app._WINDOWS) > opened, timeout=30000)
    new = app._WINDOWS.pop()
    try:
        qtbot.addWidget(new)
        assert new.windowTitle() == "另一个县.gmp — 网格防返贫监测 GIS"
        assert not window.isVisible()  # the other project replaced it
    finally:
        new.close()
        new.session.close()


def test_a_server_project_is_named_by_its_address_without_password():
    assert project_title("/data/县/沙坪.gmp") == "沙坪.gmp"
    assert project_title("postgresql://gis:s3cret@10.0.0.5:5432/county") == \
        "postgresql://gis@10.0.0.5:5432/county"
    assert project_title("postgresql://10.0.0.5/county?password=s3cret&sslmode=require") == \
        "postgresql://10.0.0.5/county?sslmode=require"
    assert project_title("postgres://u@h/db") == "postgres://u@h/db"


@pytest.mark.postgres
def test_a_server_window_title(qtbot, pg_url, tmp_path):
    from gis_app.services.sample_service import create_sample_project

    create_sample_project(pg_url, households=300).close()
    user, _, rest = pg_url.partition("://")[2].partition("@")
    with_password = f"postgresql://{user}:geheim@{rest}"
    window = open_window(qtbot, pg_url, tmp_path / "pg.ini")
    try:
        window.session.project.location = with_password  # as typed in 打开服务器…
        window.controller("project").retranslate()
        assert window.windowTitle() == f"{pg_url} — 网格防返贫监测 GIS"
        assert "geheim" not in window.windowTitle()
    finally:
        window.close()
        window.session.close()
