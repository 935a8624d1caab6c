"""Worker roster and assignments: loads checked by hand counts, every change undoable."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import text

from gis_app.services.assignment_service import AssignmentService, StaleEdit
from gis_app.storage.project import open_project


@pytest.fixture
def service(sample_project_path, tmp_path):
    copy = tmp_path / "p.gmp"
    shutil.copy(sample_project_path, copy)
    project = open_project(copy)
    yield AssignmentService(project, user="测试员")
    project.close()


def _scalar(service, sql, **params):
    with service.project.engine.connect() as connection:
        return connection.execute(text(sql), params).scalar()


def test_roster_loads_match_a_hand_count(service):
    roster = service.roster().set_index("id")
    current = service.current_assignments()
    worker = int(current[current["grid_level"] == 3]["worker_id"].iloc[0])
    grids = current.loc[(current["worker_id"] == worker) & (current["grid_level"] == 3), "grid_id"]
    expected = _scalar(service, f"SELECT count(*) FROM household WHERE grid_id IN "
                                f"({','.join(map(str, grids))})")
    persons = _scalar(service, f"SELECT sum(members) FROM household WHERE grid_id IN "
                               f"({','.join(map(str, grids))})")
    assert roster.loc[worker, "households"] == expected > 0
    assert roster.loc[worker, "persons"] == persons
    # The county leader of a township's overall grid carries the whole township.
    captain = current[current["grid_level"] == 0].iloc[0]
    town = _scalar(service, "SELECT admin_unit_id FROM grid WHERE id=:g", g=int(captain["grid_id"]))
    in_town = _scalar(service, "SELECT count(*) FROM household h JOIN admin_unit v "
                               "ON v.id=h.village_id "
                               "WHERE v.parent_id=:t AND h.grid_id IS NOT NULL",
                      t=town)
    assert roster.loc[int(captain["worker_id"]), "households"] >= in_town


def test_assign_is_recorded_and_undone(service):
    worker = service.add_worker("新网格员", "13912345678", unit="乡政府", title="驻村工作队员")
    grid = _scalar(service, "SELECT id FROM grid WHERE level=3 ORDER BY id LIMIT 1")
    created = service.assign([worker], [grid], "三级网格员")
    assert len(created) == 1
    assert service.assign([worker], [grid], "三级网格员") == []  # no duplicate
    roster = service.roster().set_index("id")
    assert roster.loc[worker, "households"] == _scalar(
        service, "SELECT count(*) FROM household WHERE grid_id=:g", g=grid)
    audit = _scalar(service, "SELECT count(*) FROM audit_log WHERE user_name='测试员' "
                             "AND action IN ('add_worker','assign')")
    assert audit == 3
    assert service.undo() is not None  # the empty second assign
    assert service.undo().startswith("分配")
    assert _scalar(service, "SELECT count(*) FROM grid_assignment WHERE worker_id=:w",
                   w=worker) == 0
    service.undo()
    assert _scalar(service, "SELECT count(*) FROM worker WHERE id=:w", w=worker) == 0


def test_retire_keeps_history_and_can_be_undone(service):
    current = service.current_assignments()
    worker = int(current["worker_id"].iloc[0])
    open_before = int((current["worker_id"] == worker).sum())
    service.retire_worker(worker)
    assert _scalar(service, "SELECT active FROM worker WHERE id=:w", w=worker) == 0
    assert _scalar(service, "SELECT count(*) FROM grid_assignment WHERE worker_id=:w "
                            "AND end_date IS NOT NULL", w=worker) == open_before
    with pytest.raises(ValueError, match="已退出"):
        service.assign([worker], [1], "网格员")
    service.undo()
    assert _scalar(service, "SELECT active FROM worker WHERE id=:w", w=worker) == 1
    assert _scalar(service, "SELECT count(*) FROM grid_assignment WHERE worker_id=:w "
                            "AND end_date IS NULL", w=worker) == open_before


def test_stale_edit_is_refused(service):
    worker = service.add_worker("甲", "13900000009")
    service.edit_worker(worker, 1, unit="县民政局")
    with pytest.raises(StaleEdit):
        service.edit_worker(worker, 1, unit="县医保局")  # read before the first edit
    assert _scalar(service, "SELECT unit FROM worker WHERE id=:w", w=worker) == "县民政局"


def test_unassign_ends_but_keeps_the_row(service):
    current = service.current_assignments()
    row = int(current["id"].iloc[0])
    service.unassign([row])
    assert _scalar(service, "SELECT end_date FROM grid_assignment WHERE id=:i", i=row) is not None
    service.undo()
    assert _scalar(service, "SELECT end_date FROM grid_assignment WHERE id=:i", i=row) is None


def test_bad_phone_and_role_are_refused(service):
    with pytest.raises(ValueError, match="11位"):
        service.add_worker("乙", "1234")
    with pytest.raises(ValueError, match="未知的职务"):
        service.assign([1], [1], "村长")
