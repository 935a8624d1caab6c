"""Redo on SQLite and PostGIS: an undo's rows taken back in one unit of work, version-checked."""

from __future__ import annotations

import datetime as dt

import pytest

from gis_app.core.changes import EntityChange
from gis_app.storage.undo import UndoStack
from gis_app.storage.uow import StaleEditError, edit
from tests.storage.conftest import rows

PHONE_A, PHONE_B, PHONE_C = "13912345678", "15887654321", "13700000000"


def pushed(stack, project, label, write, user="甲"):
    """Run ``write(uow)`` as one edit of ``user`` and push its step."""
    with edit(project, user, label) as uow:
        result = write(uow)
    stack.push(uow.step)
    return result


def workers(project):
    return rows(project, "SELECT id, name, phone, version FROM worker ORDER BY id")


def test_undo_then_redo_makes_each_edit_again_with_versions_moving_forward(project):
    stack = UndoStack()
    key = pushed(stack, project, "添加网格员", lambda uow: uow.insert(
        "worker", {"name": "王五", "phone": PHONE_A, "active": True}))
    pushed(stack, project, "电话B", lambda uow: uow.update("worker", key, 1, phone=PHONE_B))
    pushed(stack, project, "电话C", lambda uow: uow.update("worker", key, 2, phone=PHONE_C))
    assert not stack.can_redo() and stack.redo_label() is None
    assert stack.redo(project, "甲") is None  # nothing to redo: nothing written
    seen = []
    for _ in range(3):
        stack.undo(project, "甲")
        seen.append(stack.redo_label())
    assert seen == ["电话C", "电话B", "添加网格员"]
    assert workers(project) == [] and not stack.can_undo()
    redone = stack.redo(project, "甲")  # the worker again, with the id it had
    assert redone["worker"] == EntityChange(inserted=frozenset({key}))
    assert workers(project) == [{"id": key, "name": "王五", "phone": PHONE_A, "version": 6}]
    assert stack.label() == "添加网格员" and stack.redo_label() == "电话B"
    stack.redo(project, "甲")  # expects the version the redo left (6), not the 1 it knew
    stack.redo(project, "甲")
    assert workers(project) == [{"id": key, "name": "王五", "phone": PHONE_C, "version": 8}]
    assert not stack.can_redo() and stack.label() == "电话C"
    # and down again: each redo is an edit an undo takes back
    stack.undo(project, "甲")
    assert workers(project)[0]["phone"] == PHONE_B
    stack.undo(project, "甲")
    stack.undo(project, "甲")
    assert workers(project) == []
    labels = [r["label"] for r in rows(project, "SELECT label FROM edit ORDER BY id")]
    assert labels == ["添加网格员", "电话B", "电话C", "撤销：电话C", "撤销：电话B",
                      "撤销：添加网格员", "重做：添加网格员", "重做：电话B", "重做：电话C",
                      "撤销：电话C", "撤销：电话B", "撤销：添加网格员"]
    undoes = rows(project, "SELECT id, label, undoes FROM edit ORDER BY id")
    by_id = {r["id"]: r["label"] for r in undoes}
    assert by_id[undoes[6]["undoes"]] == "撤销：添加网格员"  # a redo takes back its undo


def test_a_new_edit_clears_the_redo_stack(project):
    stack = UndoStack()
    key = pushed(stack, project, "添加网格员", lambda uow: uow.insert(
        "worker", {"name": "王五", "phone": PHONE_A, "active": True}))
    pushed(stack, project, "电话B", lambda uow: uow.update("worker", key, 1, phone=PHONE_B))
    stack.undo(project, "甲")
    assert stack.can_redo()
    with edit(project, "甲", "不变") as uow:  # a no-op is no edit: the redo stays
        uow.update("worker", key, 3, phone=PHONE_A)
    stack.push(uow.step)
    assert stack.redo_label() == "电话B"
    pushed(stack, project, "电话C", lambda uow: uow.update("worker", key, 3, phone=PHONE_C))
    assert not stack.can_redo() and stack.redo(project, "甲") is None
    assert workers(project)[0]["phone"] == PHONE_C


def test_redo_after_someone_else_changed_the_row_is_refused_like_undo(project):
    stack = UndoStack()
    key = pushed(stack, project, "添加网格员", lambda uow: uow.insert(
        "worker", {"name": "王五", "phone": PHONE_A, "active": True}))
    pushed(stack, project, "改单位", lambda uow: uow.update("worker", key, 1, unit="村委会"))
    stack.undo(project, "甲")
    with edit(project, "乙", "改电话") as other:
        other.update("worker", key, 3, phone=PHONE_B)
    with pytest.raises(StaleEditError) as refused:
        stack.redo(project, "甲")
    message = str(refused.value)
    assert message.startswith("网格员“王五”已被乙于") and dt.date.today().isoformat() in message
    assert message.endswith("修改，本次操作未保存，请刷新后重试")
    assert rows(project, "SELECT unit, phone FROM worker") == [{"unit": None, "phone": PHONE_B}]
    assert stack.can_redo() and stack.redo_label() == "改单位"  # the step stays
    # the same refusal the undo of a row changed since gives
    stack2 = UndoStack()
    pushed(stack2, project, "改单位", lambda uow: uow.update("worker", key, 4, unit="乡政府"))
    with edit(project, "乙", "改电话") as other:
        other.update("worker", key, 5, phone=PHONE_C)
    with pytest.raises(StaleEditError) as undo_refused:
        stack2.undo(project, "甲")
    prefix = "网格员“王五”已被乙于"
    assert str(undo_refused.value).startswith(prefix)
    assert str(undo_refused.value)[len(prefix) + 16:] == message[len(prefix) + 16:]


def test_redo_deletes_again_and_restores_composite_keys(project):
    with edit(project, "甲", "新建排查") as uow:
        town = uow.insert("admin_unit", {"code": "430599101", "name": "青溪镇", "level": 2})
        campaign = uow.insert("campaign", {
            "year": 2026, "round": 1, "name": "排查", "income_line": 7000,
            "early_warning_income": 7500, "start_date": dt.date(2026, 3, 1),
            "end_date": dt.date(2026, 5, 31)})
        uow.insert("campaign_township", {"campaign_id": campaign, "township_id": town})
    stack = UndoStack()

    def delete(uow):
        uow.delete_rows("campaign_township", {(campaign, town): None})
        uow.delete("campaign", campaign, 1)

    pushed(stack, project, "删除排查", delete)
    stack.undo(project, "甲")
    assert rows(project, "SELECT count(*) AS n FROM campaign_township")[0]["n"] == 1
    changes = stack.redo(project, "甲")
    assert changes["campaign"].deleted == {campaign}
    assert rows(project, "SELECT count(*) AS n FROM campaign")[0]["n"] == 0
    assert rows(project, "SELECT count(*) AS n FROM campaign_township")[0]["n"] == 0
    stack.undo(project, "甲")
    assert rows(project, "SELECT campaign_id, township_id FROM campaign_township") == [
        {"campaign_id": campaign, "township_id": town}]
    assert rows(project, "SELECT name, version FROM campaign") == [{"name": "排查", "version": 3}]


def test_redo_of_an_undone_import_writes_its_rows_back_in_bulk(project):
    names = [{"name": f"员{i}", "phone": PHONE_A, "active": True} for i in range(300)]
    stack = UndoStack()
    keys = pushed(stack, project, "导入网格员", lambda uow: uow.insert_rows("worker", names))
    before = workers(project)
    stack.undo(project, "甲")
    assert workers(project) == []
    changes = stack.redo(project, "甲")
    assert changes["worker"].inserted == set(keys)
    assert workers(project) == [{**row, "version": 2} for row in before]
    audit = rows(project, "SELECT a.action, a.row_id FROM audit_log a JOIN edit e "
                          "ON e.id = a.edit_id WHERE e.label = '重做：导入网格员'")
    assert audit == [{"action": "insert", "row_id": None}]  # one summary row for 300 rows
    stack.undo(project, "甲")
    assert workers(project) == []
