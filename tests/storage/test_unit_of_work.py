"""The unit of work on SQLite and PostGIS: versions checked, one transaction, audit, undo."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from gis_app.core.changes import ChangeSet, EntityChange
from gis_app.storage.undo import UndoStack
from gis_app.storage.uow import StaleEditError, edit, expand_ranges, id_ranges
from tests.storage.conftest import rows

ID_A, ID_B = "110101199003074514", "11010519491231002X"
PHONE_A, PHONE_B = "13912345678", "15887654321"


def add_worker(project, user="甲", **values):
    with edit(project, user, "添加网格员") as uow:
        key = uow.insert("worker", {"name": "王五", "phone": PHONE_A, "id_number": ID_A,
                                    "active": True, **values})
    return key, uow


def test_an_edit_is_one_transaction_with_its_audit_rows_and_step(project):
    key, uow = add_worker(project)
    assert uow.changes == ChangeSet.of("添加网格员", uow.changes.edit_id, worker=([key], [], []))
    assert uow.step is not None and uow.step.label == "添加网格员"
    edits = rows(project, "SELECT * FROM edit")
    assert [(e["user_name"], e["label"]) for e in edits] == [("甲", "添加网格员")]
    audit = rows(project, "SELECT * FROM audit_log WHERE edit_id = :e", e=edits[0]["id"])
    assert [(a["action"], a["table_name"], a["row_id"]) for a in audit] == [
        ("insert", "worker", key)]


def test_personal_data_is_masked_in_the_audit_log_with_a_digest_that_changes(project):
    key, _ = add_worker(project)
    with edit(project, "乙", "修改网格员") as uow:
        before = uow.update("worker", key, 1, phone=PHONE_B, id_number=ID_B)
    assert before == {"phone": PHONE_A, "id_number": ID_A}
    logged = " ".join(r["details"] for r in rows(project, "SELECT details FROM audit_log"))
    for secret in (ID_A, ID_B, PHONE_A, PHONE_B):
        assert secret not in logged
    update = json.loads(rows(project, "SELECT details FROM audit_log WHERE action='update'")[0]
                        ["details"])
    assert update["old"]["phone"]["masked"] == "139****5678"
    assert update["new"]["phone"]["masked"] == "158****4321"
    assert update["old"]["phone"]["digest"] != update["new"]["phone"]["digest"]
    assert update["old"]["id_number"]["masked"].endswith("4514")


def test_a_stale_version_refuses_the_whole_edit_naming_who_and_when(project):
    key, _ = add_worker(project)
    with edit(project, "乙", "修改网格员") as uow:
        uow.update("worker", key, 1, phone=PHONE_B)
    with pytest.raises(StaleEditError) as refused:
        with edit(project, "甲", "两处修改") as uow:
            uow.insert("worker", {"name": "赵六", "active": True})
            uow.update("worker", key, 1, unit="乡政府")  # the version 甲 read
    message = str(refused.value)
    assert "网格员“王五”" in message and "乙" in message
    assert dt.date.today().strftime("%Y-%m-%d") in message
    assert [r["name"] for r in rows(project, "SELECT name FROM worker")] == ["王五"]
    assert rows(project, "SELECT phone, unit, version FROM worker") == [
        {"phone": PHONE_B, "unit": None, "version": 2}]
    assert len(rows(project, "SELECT id FROM edit")) == 2  # nothing of 甲's second edit


def test_a_deleted_row_refuses_an_update(project):
    key, _ = add_worker(project)
    with edit(project, "乙", "删除") as uow:
        uow.delete("worker", key, 1)
    with pytest.raises(StaleEditError, match="删除"):
        with edit(project, "甲", "修改") as uow:
            uow.update("worker", key, 1, unit="乡政府")


def test_a_no_op_writes_nothing_and_is_no_step(project):
    key, _ = add_worker(project)
    with edit(project, "甲", "不变") as uow:
        uow.update("worker", key, 1, phone=PHONE_A)
    assert uow.step is None and not uow.changes
    assert len(rows(project, "SELECT id FROM edit")) == 1
    assert rows(project, "SELECT version FROM worker")[0]["version"] == 1


def test_an_error_inside_the_edit_leaves_no_row_no_audit(project):
    with pytest.raises(RuntimeError):
        with edit(project, "甲", "半途失败") as uow:
            uow.insert("worker", {"name": "王五", "active": True})
            raise RuntimeError("断电")
    assert rows(project, "SELECT count(*) AS n FROM worker")[0]["n"] == 0
    assert rows(project, "SELECT count(*) AS n FROM audit_log")[0]["n"] == 0
    assert rows(project, "SELECT count(*) AS n FROM edit")[0]["n"] == 0


def test_undo_takes_back_steps_in_order_with_versions_moving_forward(project):
    stack = UndoStack()
    key, uow = add_worker(project)
    stack.push(uow.step)
    for phone, version in ((PHONE_B, 1), ("13700000000", 2)):
        with edit(project, "甲", f"电话{phone}") as uow:
            uow.update("worker", key, version, phone=phone)
        stack.push(uow.step)
    undone = stack.undo(project, "甲")
    assert undone["worker"] == EntityChange(updated=frozenset({key}))
    assert rows(project, "SELECT phone, version FROM worker") == [{"phone": PHONE_B, "version": 4}]
    stack.undo(project, "甲")  # expects version 4 now, not the 2 it left
    assert rows(project, "SELECT phone, version FROM worker") == [{"phone": PHONE_A, "version": 5}]
    stack.undo(project, "甲")
    assert rows(project, "SELECT count(*) AS n FROM worker")[0]["n"] == 0
    undos = rows(project, "SELECT label, undoes FROM edit WHERE undoes IS NOT NULL ORDER BY id")
    assert [u["label"] for u in undos] == ["撤销：电话13700000000", f"撤销：电话{PHONE_B}",
                                           "撤销：添加网格员"]


def test_undo_after_someone_else_changed_the_row_is_refused(project):
    stack = UndoStack()
    key, _ = add_worker(project)
    with edit(project, "甲", "改单位") as uow:
        uow.update("worker", key, 1, unit="村委会")
    stack.push(uow.step)
    with edit(project, "乙", "改电话") as other:
        other.update("worker", key, 2, phone=PHONE_B)
    with pytest.raises(StaleEditError, match="乙"):
        stack.undo(project, "甲")
    assert rows(project, "SELECT unit, phone FROM worker") == [{"unit": "村委会", "phone": PHONE_B}]
    assert stack.can_undo()


def test_undo_restores_deleted_rows_with_their_ids_and_composite_keys(project):
    with edit(project, "甲", "新建排查") as uow:
        town = uow.insert("admin_unit", {"code": "430599101", "name": "青溪镇", "level": 2})
        campaign = uow.insert("campaign", {
            "year": 2026, "round": 1, "name": "排查", "income_line": 7000,
            "early_warning_income": 7500, "start_date": dt.date(2026, 3, 1),
            "end_date": dt.date(2026, 5, 31)})
        uow.insert("campaign_township", {"campaign_id": campaign, "township_id": town})
    assert uow.changes["campaign"].inserted == {campaign}
    stack = UndoStack()
    with edit(project, "甲", "删除排查") as uow:
        uow.delete_rows("campaign_township", {(campaign, town): None})
        uow.delete("campaign", campaign, 1)
    stack.push(uow.step)
    assert rows(project, "SELECT count(*) AS n FROM campaign")[0]["n"] == 0
    deleted = uow.changes
    changes = stack.undo(project, "甲")
    assert changes["campaign"].inserted == {campaign}
    assert deleted.then(changes)["campaign"].updated == {campaign}  # the same row, back
    assert rows(project, "SELECT id, name FROM campaign") == [{"id": campaign, "name": "排查"}]
    assert rows(project, "SELECT campaign_id, township_id FROM campaign_township") == [
        {"campaign_id": campaign, "township_id": town}]


def test_bulk_inserts_are_audited_as_id_ranges_and_undone(project):
    names = [{"name": f"员{i}", "active": True} for i in range(120)]
    stack = UndoStack()
    with edit(project, "甲", "导入网格员") as uow:
        keys = uow.insert_rows("worker", names)
        uow.note("import_workers", "worker", {"file": "网格员.xlsx", "rows": 120})
    stack.push(uow.step)
    audit = rows(project, "SELECT action, row_id, details FROM audit_log ORDER BY id")
    assert len(audit) == 2  # one summary row for 120 inserts, one note
    summary = json.loads(audit[0]["details"])
    assert summary["rows"] == 120
    assert sorted(expand_ranges(summary["ids"]).tolist()) == sorted(keys)
    stack.undo(project, "甲")
    assert rows(project, "SELECT count(*) AS n FROM worker")[0]["n"] == 0


def test_id_ranges_round_trip():
    ids = [5, 1, 2, 3, 9, 10, 12]
    assert id_ranges(ids) == [[1, 3], [5, 5], [9, 10], [12, 12]]
    assert expand_ranges(id_ranges(ids)).tolist() == sorted(ids)


@pytest.mark.parametrize(("first", "second", "expected"), [
    ((["1"], [], []), ([], ["1"], []), ({1}, set(), set())),      # inserted then changed
    ((["1"], [], []), ([], [], ["1"]), (set(), set(), set())),     # inserted then deleted
    (([], ["1"], []), ([], [], ["1"]), (set(), set(), {1})),       # changed then deleted
    (([], [], ["1"]), (["1"], [], []), (set(), {1}, set())),       # deleted then back
    (([], ["1"], []), ([], ["1"], []), (set(), {1}, set())),
])
def test_change_sets_compose_like_the_rows_they_describe(first, second, expected):
    a = ChangeSet.of(household=first)
    b = ChangeSet.of(household=second)
    composed = a.then(b)["household"]
    assert (composed.inserted, composed.updated, composed.deleted) == expected
