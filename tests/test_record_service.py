"""Recording visits: validation, the four compliance flags, live coverage and undo.

Coverage is checked against a recount made here from the raw tables (sqlite3 + pandas), with
the rules of DOMAIN §9 written out again in plain pandas.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3

import numpy as np
import pandas as pd
import pytest

from gis_app.core.coverage import CoverageStatus
from gis_app.services.campaign_service import create_campaign
from gis_app.services.record_service import RecordService
from gis_app.services.session import ProjectSession
from gis_app.storage.project import open_project

D = dt.date
START, END = D(2023, 4, 20), D(2023, 6, 20)
STATUSES = ["unchecked", "noncompliant", "remote", "home"]


@pytest.fixture
def session(sample_project_path, tmp_path):
    copy = tmp_path / "copy.gmp"
    shutil.copy(sample_project_path, copy)
    session = ProjectSession(open_project(copy), user="核查员")
    yield session
    session.close()


@pytest.fixture
def project(session):
    return session.project


@pytest.fixture
def service(session):
    return RecordService(session, 1)


def _sql(project, query: str) -> pd.DataFrame:
    with sqlite3.connect(project.location) as connection:
        return pd.read_sql_query(query, connection)


def recount(project, campaign_id: int = 1, column: str = "grid_code") -> pd.DataFrame:
    """Households per status and unit, from the tables alone."""
    campaign = _sql(project, f"SELECT * FROM campaign WHERE id = {campaign_id}").iloc[0]
    start, end = campaign["start_date"], campaign["end_date"]  # ISO text compares as dates
    households = _sql(project, f"""
        SELECT h.id, g.code AS grid_code, v.code AS village_code, t.code AS township_code
        FROM household h JOIN admin_unit v ON v.id = h.village_id
        JOIN admin_unit t ON t.id = v.parent_id LEFT JOIN grid g ON g.id = h.grid_id
        WHERE t.id IN (SELECT township_id FROM campaign_township WHERE campaign_id = {campaign_id})
    """)
    records = _sql(project, f"SELECT * FROM investigation_record WHERE campaign_id = {campaign_id}")
    checker = records["checker"].fillna("").str.strip()
    day = records["checked_on"]
    local_ok = (((records["method"] == 1) | ((records["method"] == 2)
                                             & (records["whole_household_away"] == 1)))
                & (checker != "") & day.notna() & (day >= start) & (day <= end))
    answers = records.assign(r=records["risk_type"].fillna(0), p=records[
        "proposed_monitoring_type"].fillna(0)).groupby("household_id")[["has_risk", "r", "p"]]
    conflict = records["household_id"].map(answers.nunique().max(axis=1) > 1)
    rank = np.where(local_ok & ~conflict, np.where(records["method"] == 1, 3, 2), 1)
    best = pd.Series(rank).groupby(records["household_id"]).max()
    status = households["id"].map(best).fillna(0).astype(int).map(dict(enumerate(STATUSES)))
    table = households.groupby([households[column].fillna("（无）"), status]).size()
    return table.unstack(fill_value=0).reindex(columns=STATUSES, fill_value=0).sort_index()


def tracked(service, level: int = 3) -> pd.DataFrame:
    table = service.table(level)
    table["code"] = table["code"].fillna("（无）")
    return table.set_index("code")[STATUSES].sort_index()


def _unchecked(project, away: bool | None = None, n: int = 1) -> list[int]:
    """Households of the sample's campaign with no record yet (away: per the sample's truth)."""
    rows = _sql(project, """
        SELECT h.id FROM household h JOIN admin_unit v ON v.id = h.village_id
        WHERE v.parent_id IN (SELECT township_id FROM campaign_township WHERE campaign_id = 1)
          AND h.id NOT IN (SELECT household_id FROM investigation_record) ORDER BY h.id""")
    return rows["id"].tolist()[:n]


def _count(project, table: str, where: str = "1=1") -> int:
    return int(_sql(project, f"SELECT count(*) AS n FROM {table} WHERE {where}")["n"].iloc[0])


GOOD = {"method": 1, "checked_on": D(2023, 5, 12), "checker": "王建国"}


def test_a_compliant_home_visit_covers_the_household(project, session, service):
    household = _unchecked(project)[0]
    assert service.status_of(household) == CoverageStatus.UNCHECKED
    result = service.add_record(household, **GOOD)
    assert result.compliant and result.covered
    assert result.status == CoverageStatus.HOME
    stored = _sql(project, f"SELECT * FROM investigation_record WHERE id = {result.record_id}")
    assert stored[["household_id", "campaign_id", "method", "checker"]].iloc[0].tolist() == [
        household, 1, 1, "王建国"]
    assert stored["checked_on"].iloc[0] == "2023-05-12"
    head = _sql(project, f"SELECT head_name FROM household WHERE id = {household}")["head_name"][0]
    # One edit by the checker, with one audit row: the record inserted.
    edits = _sql(project, "SELECT * FROM edit WHERE user_name = '核查员'")
    assert edits["label"].tolist() == [f"录入走访记录（户主{head}）"]
    audit = _sql(project, f"SELECT * FROM audit_log WHERE edit_id = {edits['id'][0]}")
    assert audit[["action", "table_name", "row_id", "user_name"]].values.tolist() == [
        ["insert", "investigation_record", result.record_id, "核查员"]]
    assert session.undo_label() == f"录入走访记录（户主{head}）"
    pd.testing.assert_frame_equal(tracked(service), recount(project), check_names=False)


def test_phone_check_of_a_household_at_home_is_flagged_and_not_covered(project, service):
    household = _unchecked(project)[0]
    result = service.add_record(household, method=2, checked_on=D(2023, 5, 3), checker="李梅",
                                whole_household_away=False)
    assert result.flags == {"remote_not_away": "电话核查但非全家外出"}
    assert result.status == CoverageStatus.NONCOMPLIANT and not result.covered
    pd.testing.assert_frame_equal(tracked(service), recount(project), check_names=False)


def test_phone_check_of_a_household_wholly_away_counts(project, service):
    household = _unchecked(project)[0]
    result = service.add_record(household, method="2", checked_on=D(2023, 5, 3), checker="李梅",
                                whole_household_away=True)
    assert result.compliant and result.status == CoverageStatus.REMOTE


@pytest.mark.parametrize("checker", [None, "", "   "])
def test_a_record_without_checker_is_flagged(project, service, checker):
    household = _unchecked(project)[0]
    result = service.add_record(household, **{**GOOD, "checker": checker})
    assert result.flags == {"no_checker": "无核查人"}
    assert not result.covered
    assert service.check(_unchecked(project)[0], **{**GOOD, "checker": checker}) == result.flags


@pytest.mark.parametrize("day", [START - dt.timedelta(days=1), END + dt.timedelta(days=1), None])
def test_a_date_outside_the_campaign_is_flagged(project, service, day):
    household = _unchecked(project)[0]
    result = service.add_record(household, **{**GOOD, "checked_on": day})
    assert result.flags == {"date_outside_campaign": "日期不在排查期内"}
    assert result.status == CoverageStatus.NONCOMPLIANT
    pd.testing.assert_frame_equal(tracked(service), recount(project), check_names=False)


def test_the_campaigns_first_and_last_days_count(project, service):
    first, last = _unchecked(project, n=2)
    assert service.add_record(first, **{**GOOD, "checked_on": START}).compliant
    assert service.add_record(last, **{**GOOD, "checked_on": END}).compliant


def test_a_second_check_with_another_answer_is_flagged_and_uncovers(project, service):
    household = _unchecked(project)[0]
    assert service.add_record(household, **GOOD).status == CoverageStatus.HOME
    result = service.add_record(household, **{**GOOD, "checked_on": D(2023, 5, 20)},
                                has_risk=True, risk_type=1, proposed_monitoring_type=2)
    assert result.flags == {"conflicting_answers": "重复核查结论冲突"}
    assert result.status == CoverageStatus.NONCOMPLIANT
    pd.testing.assert_frame_equal(tracked(service), recount(project), check_names=False)


def test_a_second_check_with_the_same_answer_is_fine(project, service):
    household = _unchecked(project)[0]
    service.add_record(household, **GOOD, has_risk=True, risk_type="因病")
    result = service.add_record(household, **GOOD, has_risk=True, risk_type=1)
    assert result.compliant and result.status == CoverageStatus.HOME


def test_coverage_after_many_records_equals_a_recount_at_every_level(project, service):
    rng = np.random.default_rng(7)
    households = _unchecked(project, n=40)
    checked = _sql(project, "SELECT DISTINCT household_id FROM investigation_record "
                            "WHERE campaign_id = 1 LIMIT 10")["household_id"].tolist()
    for household in households + checked:
        method = int(rng.integers(1, 3))
        risk = bool(rng.random() < 0.2)
        service.add_record(household, method=method,
                           checked_on=START + dt.timedelta(days=int(rng.integers(-5, 66))),
                           checker=str(rng.choice(["张三", "", "李四"], p=[0.45, 0.1, 0.45])),
                           whole_household_away=bool(rng.random() < 0.5), has_risk=risk,
                           risk_type=4 if risk else None)
    for level, column in ((1, "township_code"), (2, "village_code"), (3, "grid_code")):
        pd.testing.assert_frame_equal(tracked(service, level), recount(project, 1, column),
                                      check_names=False)
    # A service of a session opened afresh (counted from scratch, not record by record) agrees.
    fresh = RecordService(ProjectSession(project), 1)
    np.testing.assert_array_equal(fresh.tracker.status, service.tracker.status)


def test_undo_removes_the_record_and_coverage_goes_back(project, session, service):
    before = tracked(service)
    household = _unchecked(project)[0]
    result = service.add_record(household, **GOOD)
    assert not tracked(service).equals(before)
    assert session.undo_label().startswith("录入走访记录")
    changes = session.undo()
    assert changes["investigation_record"].deleted == {result.record_id}
    assert _count(project, "investigation_record", f"id = {result.record_id}") == 0
    pd.testing.assert_frame_equal(tracked(service), before)
    pd.testing.assert_frame_equal(tracked(service), recount(project), check_names=False)
    assert service.status_of(household) == CoverageStatus.UNCHECKED
    assert not session.can_undo()
    # The undo is an edit naming the one it undid, with the record's delete as its audit row.
    edits = _sql(project, "SELECT * FROM edit WHERE user_name = '核查员' ORDER BY id")
    assert edits["label"].iloc[1].startswith("撤销：录入走访记录")
    assert edits["undoes"].iloc[1] == edits["id"].iloc[0]
    audit = _sql(project, f"SELECT * FROM audit_log WHERE edit_id = {edits['id'].iloc[1]}")
    assert audit[["action", "table_name", "row_id"]].values.tolist() == [
        ["delete", "investigation_record", result.record_id]]


@pytest.mark.parametrize(
    ("household", "fields", "message"),
    [
        (10**9, GOOD, "项目中没有编号为1000000000的农户"),
        (None, {**GOOD, "method": 3}, "排查方式无效：3"),
        (None, {**GOOD, "method": None}, "请选择排查方式"),
        (None, {**GOOD, "has_risk": True, "risk_type": 12}, "致返贫风险类型无效：12"),
        (None, {**GOOD, "has_risk": True}, "存在致返贫风险时请选择风险类型"),
        (None, {**GOOD, "risk_type": 1}, "不应填写风险类型"),
        (None, {**GOOD, "proposed_monitoring_type": 2}, "不应拟纳入监测"),
        (None, {**GOOD, "has_risk": True, "risk_type": 1, "proposed_monitoring_type": 7},
         "拟纳入监测类型无效：7"),
        (None, {**GOOD, "checked_on": "2023-13-01"}, "排查日期无效"),
        (None, {**GOOD, "checker_worker_id": 10**6}, "项目中没有编号为1000000的网格员"),
        (None, {**GOOD, "income": 5000}, "走访记录没有这些字段：income"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(project, session, service, household,
                                                     fields, message):
    household = household or _unchecked(project)[0]
    tables = ("investigation_record", "audit_log", "edit")
    counts = [_count(project, table) for table in tables]
    status = service.tracker.status.copy()
    with pytest.raises(ValueError, match=message):
        service.add_record(household, **fields)
    assert [_count(project, table) for table in tables] == counts
    assert not session.can_undo()
    np.testing.assert_array_equal(service.tracker.status, status)


def test_a_household_outside_the_campaigns_townships_is_refused(project, session):
    towns = _sql(project, "SELECT id FROM admin_unit WHERE level = 2 ORDER BY id")["id"].tolist()
    campaign = create_campaign(session, 2023, 2, 7500, 10000, START, END, towns[:1])
    outside = _sql(project, f"SELECT h.id FROM household h JOIN admin_unit v ON v.id = "
                            f"h.village_id WHERE v.parent_id = {towns[1]} LIMIT 1")["id"][0]
    service = RecordService(session, campaign)
    assert RecordService(session).campaign_id == campaign  # the newest is the default
    assert not service.covers(int(outside))
    assert service.status_of(int(outside)) == CoverageStatus.UNCHECKED
    with pytest.raises(ValueError, match="不在本次集中排查的乡镇范围内"):
        service.add_record(int(outside), **GOOD)
    assert _count(project, "investigation_record", f"campaign_id = {campaign}") == 0


def test_the_form_gets_the_household_and_its_grid_workers(project, service):
    household = _unchecked(project)[0]
    info = service.household(household)
    today = dt.date.today().isoformat()  # in force: start <= today < end (core.assignments)
    expected = _sql(project, f"""
        SELECT DISTINCT w.id, w.name FROM household h
        JOIN grid_assignment a ON a.grid_id = h.grid_id
        JOIN worker w ON w.id = a.worker_id WHERE h.id = {household} AND w.active = 1
          AND a.start_date <= '{today}' AND (a.end_date IS NULL OR a.end_date > '{today}')
    """)
    assert info["workers"].columns.tolist() == ["id", "name", "role"]
    assert sorted(info["workers"]["name"]) == sorted(expected["name"]) and len(expected)
    assert sorted(info["workers"]["id"]) == sorted(expected["id"])
    assert info["in_campaign"] and info["grid_code"].startswith("G3-")
    with pytest.raises(ValueError, match="项目中没有编号为"):
        service.household(10**9)


def test_check_reports_without_saving(project, service):
    household = _unchecked(project)[0]
    flags = service.check(household, method=2, checked_on=D(2024, 1, 1), checker="")
    assert set(flags.values()) == {"电话核查但非全家外出", "无核查人", "日期不在排查期内"}
    assert _count(project, "investigation_record", f"household_id = {household}") == 0


@pytest.mark.postgres
def test_records_and_undo_on_postgresql(pg_url):
    from sqlalchemy import text

    from gis_app.services.sample_service import create_sample_project

    project = create_sample_project(pg_url)
    try:
        session = ProjectSession(project, user="核查员")
        service = RecordService(session, 1)
        with project.engine.connect() as connection:
            household = connection.execute(text(
                "SELECT h.id FROM household h WHERE h.id NOT IN "
                "(SELECT household_id FROM investigation_record) AND h.village_id IS NOT NULL "
                "ORDER BY h.id LIMIT 1")).scalar_one()
            records = connection.execute(text(
                "SELECT count(*) FROM investigation_record")).scalar_one()
        result = service.add_record(household, **GOOD)
        assert result.status == CoverageStatus.HOME
        with project.engine.connect() as connection:
            assert connection.execute(text(
                "SELECT count(*) FROM investigation_record")).scalar_one() == records + 1
        session.undo()
        with project.engine.connect() as connection:
            assert connection.execute(text(
                "SELECT count(*) FROM investigation_record")).scalar_one() == records
        assert service.status_of(household) == CoverageStatus.UNCHECKED
    finally:
        project.close()
