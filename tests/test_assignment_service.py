"""Worker roster and assignments on a project session: loads checked by hand counts, every
change one unit of work (one ``edit`` row, one audit row per changed row, one undo step),
stale edits and undos refused, one rule of who is in force, no personal number in the log.

The checks read the project file with plain sqlite3, beside the session.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3

import pandas as pd
import pytest

from gis_app.services import coverage_service, visit_list_service
from gis_app.services.assignment_service import AssignmentService
from gis_app.services.record_service import RecordService
from gis_app.services.session import ProjectSession
from gis_app.storage.project import open_project
from gis_app.storage.uow import StaleEditError

USER, OTHER = "测试员", "另一用户"


@pytest.fixture
def project_path(sample_project_path, tmp_path):
    copy = tmp_path / "p.gmp"
    shutil.copy(sample_project_path, copy)
    return copy


@pytest.fixture
def session(project_path):
    session = ProjectSession(open_project(project_path), user=USER)
    yield session
    session.close()


@pytest.fixture
def service(session):
    return AssignmentService(session)


@pytest.fixture
def other(project_path):
    """A second session on the same file: another user at another desk."""
    session = ProjectSession(open_project(project_path), user=OTHER)
    yield session
    session.close()


def _path(service) -> str:
    return str(service.session.project.location)


def _sql(path, sql: str, **params) -> pd.DataFrame:
    with sqlite3.connect(path) as connection:
        return pd.read_sql_query(sql, connection, params=params)


def _scalar(service, sql, **params):
    with sqlite3.connect(_path(service)) as connection:
        return connection.execute(sql, params).fetchone()[0]


def _edits(service, user: str = USER) -> pd.DataFrame:
    return _sql(_path(service), "SELECT * FROM edit WHERE user_name = :u ORDER BY id", u=user)


def _audit(service, edit_id: int) -> pd.DataFrame:
    return _sql(_path(service), "SELECT * FROM audit_log WHERE edit_id = :e ORDER BY id",
                e=int(edit_id))


def _totals(service) -> tuple[int, int, int, int]:
    """Rows of edit, audit_log, worker and grid_assignment: nothing written keeps them."""
    return tuple(_scalar(service, f"SELECT count(*) FROM {t}")
                 for t in ("edit", "audit_log", "worker", "grid_assignment"))


def _today() -> str:
    return dt.date.today().isoformat()


def _minute(at: str) -> str:
    return dt.datetime.fromisoformat(at).strftime("%Y-%m-%d %H:%M")


def _id_number(first17: str) -> str:
    """A resident ID with its GB 11643 check character, computed here."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights,
                                                                    strict=True)) % 11]


# --- ported: roster, assign, retire, stale, unassign, refusals ----------------------------------


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
    # Every worker is listed, retired ones too; the current ones by the hand rule.
    assert len(roster) == _scalar(service, "SELECT count(*) FROM worker")
    held = _scalar(service, "SELECT count(*) FROM grid_assignment WHERE start_date <= :d "
                            "AND (end_date IS NULL OR end_date > :d)", d=_today())
    assert len(current) == held


def test_assign_is_recorded_and_undone(service, session):
    worker = service.add_worker("新网格员", "13912345678", unit="乡政府", title="驻村工作队员")
    grid = _scalar(service, "SELECT id FROM grid WHERE level=3 ORDER BY id LIMIT 1")
    created = service.assign([worker], [grid], "三级网格员")
    assert len(created) == 1
    assert service.assign([worker], [grid], "三级网格员") == []  # no duplicate
    assert _scalar(service, "SELECT count(*) FROM grid_assignment WHERE worker_id=:w",
                   w=worker) == 1
    roster = service.roster().set_index("id")
    assert roster.loc[worker, "households"] == _scalar(
        service, "SELECT count(*) FROM household WHERE grid_id=:g", g=grid)
    assert roster.loc[worker, "roles"] == "三级网格员"
    # Two edits by the user, each with its audit rows (one per row it inserted).
    edits = _edits(service)
    assert edits["label"].tolist() == ["添加网格员新网格员", "分配1项（三级网格员）"]
    assert edits["undoes"].isna().all()
    added, assigned = (_audit(service, e) for e in edits["id"])
    assert added[["action", "table_name", "row_id"]].values.tolist() == [
        ["insert", "worker", worker]]
    assert assigned[["action", "table_name", "row_id"]].values.tolist() == [
        ["insert", "grid_assignment", created[0]]]
    assert (pd.concat([added, assigned])["user_name"] == USER).all()
    assert len(session.undo_stack) == 2  # the empty second assign pushed nothing
    assert session.undo_label() == "分配1项（三级网格员）"

    changes = session.undo()
    assert changes.edit_id is not None and "grid_assignment" in changes
    assert _scalar(service, "SELECT count(*) FROM grid_assignment WHERE worker_id=:w",
                   w=worker) == 0
    assert worker not in set(service.current_assignments()["worker_id"])
    session.undo()
    assert _scalar(service, "SELECT count(*) FROM worker WHERE id=:w", w=worker) == 0
    assert worker not in set(session.workers["id"])
    assert not session.can_undo()
    # The undos are edits too: they name what they undid, and their rows are deletes.
    edits = _edits(service)
    assert edits["label"].tolist()[2:] == ["撤销：分配1项（三级网格员）",
                                           "撤销：添加网格员新网格员"]
    assert edits["undoes"].tolist()[2:] == edits["id"].tolist()[1::-1]
    undone = _audit(service, edits["id"].iloc[2])
    assert undone[["action", "table_name", "row_id"]].values.tolist() == [
        ["delete", "grid_assignment", created[0]]]


def test_retire_keeps_history_and_can_be_undone(service, session):
    current = service.current_assignments()
    worker = int(current["worker_id"].iloc[0])
    open_before = _scalar(service, "SELECT count(*) FROM grid_assignment WHERE worker_id=:w "
                                   "AND end_date IS NULL", w=worker)
    assert open_before == int((current["worker_id"] == worker).sum()) > 0
    service.retire_worker(worker)
    assert _scalar(service, "SELECT active FROM worker WHERE id=:w", w=worker) == 0
    assert _scalar(service, "SELECT retired_on FROM worker WHERE id=:w", w=worker) == _today()
    assert _scalar(service, "SELECT count(*) FROM grid_assignment WHERE worker_id=:w "
                            "AND end_date = :d", w=worker, d=_today()) == open_before
    roster = service.roster().set_index("id")
    assert roster.loc[worker, "grids"] == "" and roster.loc[worker, "households"] == 0
    assert not bool(roster.loc[worker, "active"])  # still listed, as retired
    assert len(service.worker_history(worker)) == open_before
    with pytest.raises(ValueError, match="已退出"):
        service.assign([worker], [1], "网格员")
    session.undo()
    assert _scalar(service, "SELECT active FROM worker WHERE id=:w", w=worker) == 1
    assert _scalar(service, "SELECT retired_on FROM worker WHERE id=:w", w=worker) is None
    assert _scalar(service, "SELECT count(*) FROM grid_assignment WHERE worker_id=:w "
                            "AND end_date IS NULL", w=worker) == open_before
    assert int((service.current_assignments()["worker_id"] == worker).sum()) == open_before


def test_stale_edit_is_refused(service, session):
    worker = service.add_worker("甲", "13900000009")
    service.edit_worker(worker, 1, unit="县民政局")
    before = _totals(service)
    with pytest.raises(StaleEditError, match="网格员“甲”已被测试员于.*修改"):
        service.edit_worker(worker, 1, unit="县医保局")  # read before the first edit
    assert _scalar(service, "SELECT unit FROM worker WHERE id=:w", w=worker) == "县民政局"
    assert _scalar(service, "SELECT version FROM worker WHERE id=:w", w=worker) == 2
    assert _totals(service) == before
    assert len(session.undo_stack) == 2


def test_unassign_ends_but_keeps_the_row(service, session):
    current = service.current_assignments()
    row = int(current["id"].iloc[0])
    service.unassign([row])
    assert _scalar(service, "SELECT end_date FROM grid_assignment WHERE id=:i", i=row) == _today()
    assert row not in set(service.current_assignments()["id"])
    session.undo()
    assert _scalar(service, "SELECT end_date FROM grid_assignment WHERE id=:i", i=row) is None
    assert row in set(service.current_assignments()["id"])


def test_bad_phone_and_role_are_refused(service):
    before = _totals(service)
    with pytest.raises(ValueError, match="11位"):
        service.add_worker("乙", "1234")
    with pytest.raises(ValueError, match="未知的职务"):
        service.assign([1], [1], "村长")
    with pytest.raises(ValueError, match="身份证号码有误"):
        service.add_worker("乙", "13900000001", id_number="430599199001011234")
    assert _totals(service) == before
    assert not service.session.can_undo()


# --- issue 8: no-ops write nothing ---------------------------------------------------------------


def test_a_no_op_writes_no_edit_and_no_undo_step(service, session):
    held = service.current_assignments().iloc[0]
    worker, grid, role = int(held["worker_id"]), int(held["grid_id"]), held["role"]
    before = _totals(service)
    announced = []
    session.events.changed.connect(announced.append)

    assert service.assign([worker], [grid], role) == []  # already holds it in that role
    unit = service.session.workers.set_index("id").loc[worker, ["unit", "version"]]
    service.edit_worker(worker, int(unit["version"]), unit=unit["unit"])  # the same value
    assert _totals(service) == before
    assert len(session.undo_stack) == 0 and not session.can_undo()
    assert announced == []
    assert _scalar(service, "SELECT version FROM worker WHERE id=:w", w=worker) == unit["version"]

    # Ending an assignment that already ended is no change either.
    service.unassign([int(held["id"])])
    after_first = _totals(service)
    assert not service.unassign([int(held["id"])])
    assert _totals(service) == after_first and len(session.undo_stack) == 1

    # Only the pairs not held yet are written.
    free = _scalar(service, "SELECT id FROM grid WHERE level = 3 AND id NOT IN (SELECT grid_id "
                            "FROM grid_assignment WHERE worker_id = :w) ORDER BY id LIMIT 1",
                   w=worker)
    other = service.current_assignments().iloc[0]
    created = service.assign([int(other["worker_id"])], [int(other["grid_id"]), free],
                             other["role"])
    assert len(created) == 1
    assert _sql(_path(service), "SELECT grid_id FROM grid_assignment WHERE id = :i",
                i=created[0])["grid_id"].tolist() == [free]


# --- issue 8: retire and unassign are one edit each, all or nothing -------------------------------


def _busiest(service) -> int:
    """A worker holding the most assignments in force (two or more)."""
    counts = _sql(_path(service), "SELECT worker_id, count(*) AS n FROM grid_assignment "
                                  "WHERE end_date IS NULL GROUP BY worker_id "
                                  "ORDER BY n DESC, worker_id LIMIT 1").iloc[0]
    assert counts["n"] >= 2
    return int(counts["worker_id"])


def test_retire_is_one_edit_ending_every_assignment(service, session):
    worker = _busiest(service)
    name = _scalar(service, "SELECT name FROM worker WHERE id=:w", w=worker)
    open_ids = _sql(_path(service), "SELECT id FROM grid_assignment WHERE worker_id = :w AND "
                                    "end_date IS NULL ORDER BY id", w=worker)["id"].tolist()
    service.retire_worker(worker)
    edits = _edits(service)
    assert edits["label"].tolist() == [f"网格员{name}退出"]
    audit = _audit(service, edits["id"].iloc[0])
    assert sorted(audit.loc[audit["table_name"] == "grid_assignment", "row_id"]) == open_ids
    assert audit.loc[audit["table_name"] == "worker", "row_id"].tolist() == [worker]
    assert (audit["action"] == "update").all() and len(audit) == len(open_ids) + 1
    for details in audit.loc[audit["table_name"] == "grid_assignment", "details"]:
        change = json.loads(details)
        assert change == {"old": {"end_date": None}, "new": {"end_date": _today()}}
    assert len(session.undo_stack) == 1


def test_unassign_is_one_edit(service, session):
    rows = service.current_assignments()["id"].astype(int).tolist()[:3]
    service.unassign(rows)
    edits = _edits(service)
    assert edits["label"].tolist() == ["取消分配3项"]
    audit = _audit(service, edits["id"].iloc[0])
    assert sorted(audit["row_id"]) == sorted(rows)
    assert set(audit["table_name"]) == {"grid_assignment"} and set(audit["action"]) == {"update"}
    assert _scalar(service, f"SELECT count(*) FROM grid_assignment WHERE end_date = :d AND id IN "
                            f"({','.join(map(str, rows))})", d=_today()) == 3
    session.undo()
    assert _scalar(service, f"SELECT count(*) FROM grid_assignment WHERE end_date IS NULL AND id "
                            f"IN ({','.join(map(str, rows))})") == 3


def test_retire_with_a_stale_assignment_writes_nothing(service, session, other):
    worker = _busiest(service)
    mine = service.current_assignments()
    mine = mine[mine["worker_id"] == worker]  # read now: every assignment at version 1
    # Meanwhile another user ends one of them (its version moves on).
    AssignmentService(other).unassign([int(mine["id"].iloc[-1])])
    before = _totals(service)
    with pytest.raises(StaleEditError, match=f"已被{OTHER}于"):
        service.retire_worker(worker)
    assert _totals(service) == before
    assert _scalar(service, "SELECT active FROM worker WHERE id=:w", w=worker) == 1
    assert _scalar(service, "SELECT count(*) FROM grid_assignment WHERE worker_id=:w "
                            "AND end_date IS NULL", w=worker) == len(mine) - 1
    assert len(_edits(service)) == 0 and not session.can_undo()


def test_unassign_with_a_stale_row_writes_nothing(service, session, other):
    rows = service.current_assignments()["id"].astype(int).tolist()[:3]
    AssignmentService(other).unassign([rows[1]])
    before = _totals(service)
    with pytest.raises(StaleEditError, match=f"网格分配（编号{rows[1]}）已被{OTHER}于"):
        service.unassign(rows)
    assert _totals(service) == before
    assert _scalar(service, f"SELECT count(*) FROM grid_assignment WHERE end_date IS NULL AND id "
                            f"IN ({rows[0]}, {rows[2]})") == 2
    assert not session.can_undo()


# --- issue 8: one rule of who is in force, in every view -----------------------------------------


def _level3_worker(path) -> tuple[int, int, str, int]:
    """(worker, assignment, grid code, grid id): a worker holding only level-3 grids, with
    households to visit that are not paired with them."""
    row = _sql(path, """
        SELECT a.worker_id, a.id AS assignment, g.id AS grid, g.code, count(h.id) AS n
        FROM grid_assignment a JOIN grid g ON g.id = a.grid_id JOIN household h ON h.grid_id = g.id
        WHERE g.level = 3 AND a.role = '三级网格员' AND a.end_date IS NULL
          AND a.worker_id NOT IN (SELECT a2.worker_id FROM grid_assignment a2 JOIN grid g2
                                  ON g2.id = a2.grid_id WHERE g2.level < 3)
          AND a.worker_id NOT IN (SELECT worker_id FROM helper_pair)
        GROUP BY a.id ORDER BY n DESC, a.id LIMIT 1""").iloc[0]
    return int(row["worker_id"]), int(row["assignment"]), row["code"], int(row["grid"])


def _views(service, worker: int, grid: int, code: str, household: int) -> dict[str, bool]:
    """Is ``worker`` responsible for the grid today, as each view tells it?"""
    project = service.session.project
    now = service.current_assignments()
    name = service.session.workers.set_index("id").loc[worker, "name"]
    info = RecordService(service.session, 1).household(household)
    visits = visit_list_service.visit_list(project, worker).households
    in_grid = set(_sql(_path(service), "SELECT id FROM household WHERE grid_id = :g",
                       g=grid)["id"])
    roster = service.roster().set_index("id")
    return {
        "current_assignments": bool(((now["worker_id"] == worker)
                                     & (now["grid_id"] == grid)).any()),
        "record form": worker in set(info["workers"]["id"]),
        "visit list": bool(set(visits["household_id"]) & in_grid),
        "grid_workers": name in coverage_service.grid_workers(project).get(code, []),
        "roster": code in roster.loc[worker, "grids"].split("、"),
    }


def test_after_unassign_today_every_view_agrees_the_worker_is_not_current(service, session):
    worker, assignment, code, grid = _level3_worker(_path(service))
    household = _scalar(service, "SELECT id FROM household WHERE grid_id = :g ORDER BY id",
                        g=grid)
    assert _views(service, worker, grid, code, household) == dict.fromkeys(
        ["current_assignments", "record form", "visit list", "grid_workers", "roster"], True)
    roster = service.roster().set_index("id")
    assert roster.loc[worker, "households"] > 0

    service.unassign([assignment])
    assert _views(service, worker, grid, code, household) == dict.fromkeys(
        ["current_assignments", "record form", "visit list", "grid_workers", "roster"], False)
    # The load follows: the households of the grids still held, counted by hand.
    still = _sql(_path(service), "SELECT grid_id FROM grid_assignment WHERE worker_id = :w AND "
                                 "start_date <= :d AND (end_date IS NULL OR end_date > :d)",
                 w=worker, d=_today())["grid_id"].tolist()
    expected = _scalar(service, f"SELECT count(*) FROM household WHERE grid_id IN "
                                f"({','.join(map(str, still or [-1]))})")
    assert service.roster().set_index("id").loc[worker, "households"] == expected
    # History stays: yesterday the worker was responsible.
    yesterday = service.current_assignments(dt.date.today() - dt.timedelta(days=1))
    assert assignment in set(yesterday["id"])


# --- issue 8: edits and undos over another user's edit --------------------------------------------


def test_an_edit_over_another_users_edit_is_refused(service, session, other):
    worker = int(session.workers["id"].iloc[0])  # session A reads the worker
    seen = session.workers.set_index("id").loc[worker]
    AssignmentService(other).edit_worker(worker, int(seen["version"]), unit="县农业农村局")
    theirs = _edits(service, OTHER).iloc[0]
    before = _totals(service)
    with pytest.raises(StaleEditError) as refused:
        service.edit_worker(worker, int(seen["version"]), unit="县民政局", title="干部")
    message = str(refused.value)
    assert f"网格员“{seen['name']}”" in message
    assert OTHER in message and _minute(theirs["at"]) in message
    assert "未保存" in message
    stored = _sql(_path(service), "SELECT unit, title, version FROM worker WHERE id = :w",
                  w=worker).iloc[0]
    assert stored["unit"] == "县农业农村局" and stored["title"] == seen["title"]
    assert stored["version"] == seen["version"] + 1
    assert _totals(service) == before
    assert len(_edits(service)) == 0 and not session.can_undo()
    assert _scalar(service, "SELECT count(*) FROM audit_log WHERE table_name = 'worker' AND "
                            "row_id = :w", w=worker) == 1


def test_undo_after_another_users_edit_is_refused(service, session, other):
    worker = int(session.workers["id"].iloc[0])
    seen = session.workers.set_index("id").loc[worker]
    service.edit_worker(worker, int(seen["version"]), unit="县民政局")
    label = f"修改网格员{seen['name']}"
    # The other user reads the worker after A's edit and changes it again.
    theirs_seen = other.workers.set_index("id").loc[worker]
    assert theirs_seen["unit"] == "县民政局"
    AssignmentService(other).edit_worker(worker, int(theirs_seen["version"]), unit="县医保局")
    theirs = _edits(service, OTHER).iloc[0]
    before = _totals(service)
    with pytest.raises(StaleEditError) as refused:
        session.undo()
    message = str(refused.value)
    assert f"网格员“{seen['name']}”" in message
    assert OTHER in message and _minute(theirs["at"]) in message
    assert _scalar(service, "SELECT unit FROM worker WHERE id=:w", w=worker) == "县医保局"
    assert _totals(service) == before
    assert session.can_undo() and session.undo_label() == label
    assert _edits(service)["label"].tolist() == [label]  # no 撤销 row


# --- issue 8: no full personal number in the audit log --------------------------------------------


def _every_number(path) -> set[str]:
    numbers = set()
    for table, column in (("household", "head_id_number"), ("household", "phone"),
                          ("person", "id_number"), ("worker", "id_number"), ("worker", "phone"),
                          ("rectification_item", "responsible_phone")):
        values = _sql(path, f"SELECT {column} AS v FROM {table} WHERE {column} IS NOT NULL")
        numbers |= {str(v) for v in values["v"] if str(v).strip()}
    return numbers


def test_the_audit_log_holds_no_full_phone_or_id_number(service, session):
    path = _path(service)
    worker = int(session.workers["id"].iloc[0])
    seen = session.workers.set_index("id").loc[worker]
    old_phone, old_id = seen["phone"], seen["id_number"]
    assert old_phone and old_id
    new_phone, new_id = "13700001111", _id_number("43059919850607121")
    service.edit_worker(worker, int(seen["version"]), phone=new_phone, id_number=new_id)
    added_id = _id_number("43059919920315002")
    added = service.add_worker("丙", "13600002222", id_number=added_id)
    session.undo()  # the add, taken back: its delete row carries the numbers too
    numbers = _every_number(path) | {old_phone, old_id, new_phone, new_id, "13600002222",
                                     added_id}
    assert len(numbers) > 10_000
    logged = " ".join(_sql(path, "SELECT details FROM audit_log WHERE details IS NOT NULL")
                      ["details"]) + " ".join(_sql(path, "SELECT label FROM edit")["label"])
    assert not [n for n in numbers if n in logged]

    # The change shows through the masked values and differing digests.
    edit_id = _edits(service)["id"].iloc[0]
    row = _audit(service, edit_id).iloc[0]
    assert (row["action"], row["table_name"], row["row_id"]) == ("update", "worker", worker)
    details = json.loads(row["details"])
    old, new = details["old"], details["new"]
    assert old["phone"]["masked"] == old_phone[:3] + "****" + old_phone[-4:]
    assert new["phone"]["masked"] == "137****1111"
    assert old["id_number"]["masked"] == old_id[:3] + "*" * 11 + old_id[-4:]
    assert new["id_number"]["masked"] == new_id[:3] + "*" * 11 + new_id[-4:]
    assert old["phone"]["digest"] != new["phone"]["digest"]
    assert old["id_number"]["digest"] != new["id_number"]["digest"]
    # A digest follows the value: the removed worker's row holds the digest of its insert.
    inserted, deleted = (json.loads(d) for d in _sql(
        path, "SELECT details FROM audit_log WHERE table_name = 'worker' AND row_id = :w "
              "ORDER BY id", w=added)["details"])
    assert inserted["new"]["phone"] == deleted["old"]["phone"]
    assert inserted["new"]["id_number"]["digest"] == deleted["old"]["id_number"]["digest"]
    assert _scalar(service, "SELECT phone FROM worker WHERE id=:w", w=worker) == new_phone


def test_the_check_finds_a_grid_unassigned_today_without_worker(service, session):
    """`gis-app check` reads who is in force by the same rule as the roster."""
    from gis_app.services.project_service import check_project

    _worker, _assignment, code, grid = _level3_worker(_path(service))
    lacking = check_project(session.project)
    assert code not in set(lacking.loc[lacking["rule"] == "grid_without_worker", "code"])
    in_force = service.current_assignments()
    ids = in_force.loc[in_force["grid_id"] == grid, "id"].tolist()
    service.unassign(ids, on=dt.date.today() + dt.timedelta(days=1))  # ends tomorrow
    lacking = check_project(session.project)
    assert code not in set(lacking.loc[lacking["rule"] == "grid_without_worker", "code"])
    service.unassign(ids)  # ends today
    lacking = check_project(session.project)
    assert code in set(lacking.loc[lacking["rule"] == "grid_without_worker", "code"])
    # by hand: no assignment of this grid is in force today in the file
    assert _scalar(service, "SELECT count(*) FROM grid_assignment WHERE grid_id = :g AND "
                            "start_date <= :d AND (end_date IS NULL OR end_date > :d)",
                   g=grid, d=_today()) == 0
