"""Creating a centralized investigation: validation, the default timetable, one transaction."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3

import pandas as pd
import pytest

from gis_app.services import campaign_service as cs
from gis_app.services import coverage_service
from gis_app.services.session import ProjectSession
from gis_app.storage.project import open_project

D = dt.date


@pytest.fixture
def session(sample_project_path, tmp_path):
    copy = tmp_path / "copy.gmp"
    shutil.copy(sample_project_path, copy)
    session = ProjectSession(open_project(copy), user="检查员")
    yield session
    session.close()


@pytest.fixture
def project(session):
    return session.project


def _sql(project, query: str) -> pd.DataFrame:
    """Read with plain sqlite3 (a project or a project file)."""
    with sqlite3.connect(getattr(project, "location", project)) as connection:
        return pd.read_sql_query(query, connection)


def _townships(project) -> list[int]:
    return _sql(project, "SELECT id FROM admin_unit WHERE level = 2 ORDER BY id")["id"].tolist()


def _valid(project, **changes) -> dict:
    values = {"year": 2023, "round": 2, "income_line": 7500, "early_warning_income": 10000,
              "start_date": D(2023, 4, 20), "end_date": D(2023, 6, 20),
              "township_ids": _townships(project)}
    return {**values, **changes}


def test_default_timetable_follows_seed_002(project, session):
    """The 2023 notice: plan by late April, training by early May, investigation by early
    June, data entry by 10 June, report by 20 June (DOMAIN §9)."""
    campaign = cs.create_campaign(session, **_valid(project))
    rows = _sql(project, f"SELECT key, name, due_date, target_coverage FROM campaign_milestone "
                         f"WHERE campaign_id = {campaign}").set_index("key")
    due = rows["due_date"].map(dt.date.fromisoformat)
    assert D(2023, 4, 21) <= due["plan"] <= D(2023, 4, 30)  # 4月下旬
    assert D(2023, 5, 1) <= due["training"] <= D(2023, 5, 10)  # 5月上旬
    assert D(2023, 6, 1) <= due["investigation"] <= D(2023, 6, 10)  # 6月上旬
    assert due["data_entry"] == D(2023, 6, 10)
    assert due["report"] == D(2023, 6, 20)
    assert rows.loc["investigation", "target_coverage"] == 1.0
    assert rows.loc["plan", "name"] == "制定工作方案"
    assert rows.loc["report", "name"] == "提交总结报告"


def test_default_timetable_is_stretched_to_a_shorter_round(project, session):
    campaign = cs.create_campaign(session, **_valid(
        project, year=2024, round=1, start_date=D(2024, 3, 1), end_date=D(2024, 3, 31)))
    rows = _sql(project, f"SELECT key, due_date FROM campaign_milestone "
                         f"WHERE campaign_id = {campaign}").set_index("key")["due_date"]
    # 30 days instead of 61: each milestone at the same share of the round, to the day.
    assert rows.to_dict() == {"plan": "2024-03-06", "training": "2024-03-11",
                              "halfway": "2024-03-18", "investigation": "2024-03-26",
                              "data_entry": "2024-03-26", "report": "2024-03-31"}


def test_sample_timetable_comes_from_the_same_definitions(sample_project_path):
    """The generator and the form share one timetable (core.campaign)."""
    rows = _sql(sample_project_path,
                "SELECT key, due_date FROM campaign_milestone WHERE campaign_id = 1")
    assert rows.set_index("key")["due_date"].to_dict() == {
        "plan": "2023-04-30", "training": "2023-05-10", "halfway": "2023-05-25",
        "investigation": "2023-06-10", "data_entry": "2023-06-10", "report": "2023-06-20"}


def test_campaign_is_written_as_one_edit_with_its_audit_rows(project, session):
    chosen = _townships(project)[:2]
    campaign = cs.create_campaign(session, **_valid(project, township_ids=chosen))
    stored = _sql(project, f"SELECT * FROM campaign WHERE id = {campaign}").iloc[0]
    assert (stored["year"], stored["round"]) == (2023, 2)
    assert stored["name"] == "2023年防止返贫监测帮扶集中排查（第2轮）"
    links = _sql(project, f"SELECT township_id FROM campaign_township WHERE campaign_id = "
                          f"{campaign}")["township_id"]
    assert sorted(links) == chosen
    # One edit by the user; an audit row per row written: the campaign, its six milestones
    # and its two townships.
    edits = _sql(project, "SELECT * FROM edit WHERE user_name = '检查员'")
    assert edits["label"].tolist() == ["新建排查2023年防止返贫监测帮扶集中排查（第2轮）"]
    audit = _sql(project, f"SELECT * FROM audit_log WHERE edit_id = {edits['id'].iloc[0]}")
    assert set(audit["action"]) == {"insert"} and set(audit["user_name"]) == {"检查员"}
    assert audit["table_name"].value_counts().to_dict() == {
        "campaign_milestone": 6, "campaign_township": 2, "campaign": 1}
    assert audit.loc[audit["table_name"] == "campaign", "row_id"].tolist() == [campaign]
    milestones = _sql(project, f"SELECT id FROM campaign_milestone WHERE campaign_id = "
                               f"{campaign}")["id"]
    assert sorted(audit.loc[audit["table_name"] == "campaign_milestone", "row_id"]) == sorted(
        milestones)
    # The session follows: the new campaign is listed and, the newest, the one the views show.
    assert campaign in set(session.frame("campaigns")["id"])
    assert session.campaign_id == campaign
    # It covers every household of those townships, counted straight from the tables.
    expected = _sql(project, "SELECT count(*) AS n FROM household h JOIN admin_unit v ON "
                             f"v.id = h.village_id WHERE v.parent_id IN "
                             f"({','.join(map(str, chosen))})")["n"].iloc[0]
    data = coverage_service.load_campaign(project, campaign_id=campaign)
    assert len(data.households) == expected > 0
    assert len(data.records) == 0


def test_the_new_round_is_chosen_over_the_first(project, session):
    campaign = cs.create_campaign(session, **_valid(project, township_ids=_townships(project)[:1]))
    assert coverage_service.load_campaign(project, 2023).campaign["id"] == campaign
    first = coverage_service.load_campaign(project, campaign_id=1)
    assert first.campaign["round"] == 1 and len(first.records) > 0
    table = coverage_service.campaign_coverage(project, level=1, campaign_id=campaign)
    assert len(table) == 1 and table["unchecked"].sum() == table["households"].sum()
    listed = cs.list_campaigns(project)
    assert listed[["year", "round"]].values.tolist() == [[2023, 1], [2023, 2]]
    assert listed["records"].tolist()[1] == 0 and listed["townships"].tolist() == [3, 1]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"round": 1}, "2023年第1轮集中排查已存在"),
        ({"end_date": D(2023, 4, 1)}, "结束日期早于开始日期"),
        ({"township_ids": []}, "请至少选择一个乡镇"),
        ({"income_line": 0}, "监测收入基准线应大于0元"),
        ({"income_line": -7500}, "监测收入基准线应大于0元"),
        ({"early_warning_income": 5000}, "预警收入线不应低于监测收入基准线"),
        ({"township_ids": [999999]}, "项目中没有这些乡镇：999999"),
        ({"year": 1900, "start_date": D(1900, 4, 20), "end_date": D(1900, 6, 20)}, "年度1900无效"),
        ({"start_date": D(2022, 12, 1)}, "不在2023年内"),
        ({"milestones": [{"key": "x", "name": "动员", "due_date": D(2023, 7, 1)}]},
         "里程碑“动员”的日期2023-07-01不在排查期内"),
        ({"milestones": [{"key": "x", "name": " ", "due_date": D(2023, 5, 1)}]},
         "里程碑名称不能为空"),
        ({"milestones": [{"key": "x", "name": "过半", "due_date": D(2023, 5, 1),
                          "target_coverage": 1.5}]}, "覆盖率目标应在0—100%之间"),
    ],
)
def test_invalid_campaigns_are_refused_and_nothing_is_written(project, session, changes,
                                                             message):
    counts = ("SELECT (SELECT count(*) FROM campaign) AS c, "
              "(SELECT count(*) FROM campaign_milestone) AS m, "
              "(SELECT count(*) FROM campaign_township) AS t, "
              "(SELECT count(*) FROM audit_log) AS a, (SELECT count(*) FROM edit) AS e")
    before = _sql(project, counts)
    with pytest.raises(cs.CampaignError, match=message):
        cs.create_campaign(session, **_valid(project, **changes))
    assert _sql(project, counts).equals(before)
    assert not session.can_undo()


def test_every_problem_is_listed_at_once(project, session):
    with pytest.raises(cs.CampaignError) as error:
        cs.create_campaign(session, **_valid(project, round=1, income_line=0, township_ids=[]))
    text = str(error.value)
    assert "已存在" in text and "监测收入基准线" in text and "请至少选择一个乡镇" in text


def test_custom_milestones_are_kept(project, session):
    milestones = [{"key": None, "name": "动员部署", "due_date": D(2023, 4, 25)},
                  {"key": None, "name": "全面完成", "due_date": D(2023, 6, 15),
                   "target_coverage": 1.0}]
    campaign = cs.create_campaign(session, **_valid(project, milestones=milestones))
    rows = _sql(project, f"SELECT key, name, due_date, target_coverage FROM campaign_milestone "
                         f"WHERE campaign_id = {campaign} ORDER BY due_date")
    assert rows["name"].tolist() == ["动员部署", "全面完成"]
    assert rows["due_date"].tolist() == ["2023-04-25", "2023-06-15"]
    assert rows["key"].nunique() == 2  # keys made up for rows without one


def test_defaults_take_the_years_line_or_the_projects_thresholds(project):
    project.set_settings({"thresholds": {**project.thresholds().as_dict(), "income_line": 8200.0,
                                         "early_warning_income": 11000.0}})
    same_year = cs.campaign_defaults(project, 2023)
    assert same_year["round"] == 2 and same_year["income_line"] == 7500.0  # the 2023 round's
    other = cs.campaign_defaults(project, 2025)
    assert other["round"] == 1
    assert (other["income_line"], other["early_warning_income"]) == (8200.0, 11000.0)
    assert (other["start_date"], other["end_date"]) == (D(2025, 4, 20), D(2025, 6, 20))
    assert other["township_ids"] == _townships(project)


def test_undo_removes_the_campaign_with_its_timetable(project, session):
    campaign = cs.create_campaign(session, **_valid(project))
    assert session.undo_label() == "新建排查2023年防止返贫监测帮扶集中排查（第2轮）"
    changes = session.undo()
    assert changes["campaign"].deleted == {campaign}
    assert campaign not in set(session.frame("campaigns")["id"])
    assert session.campaign_id == 1  # back to the sample's campaign
    assert not session.can_undo()
    counts = _sql(project, f"SELECT (SELECT count(*) FROM campaign WHERE id = {campaign}) AS c, "
                           f"(SELECT count(*) FROM campaign_milestone WHERE campaign_id = "
                           f"{campaign}) AS m, (SELECT count(*) FROM campaign_township WHERE "
                           f"campaign_id = {campaign}) AS t").iloc[0]
    assert counts.tolist() == [0, 0, 0]
    edits = _sql(project, "SELECT * FROM edit WHERE user_name = '检查员' ORDER BY id")
    assert edits["label"].tolist()[1] == "撤销：新建排查2023年防止返贫监测帮扶集中排查（第2轮）"
    assert edits["undoes"].iloc[1] == edits["id"].iloc[0]
    audit = _sql(project, f"SELECT * FROM audit_log WHERE edit_id = {edits['id'].iloc[1]}")
    assert set(audit["action"]) == {"delete"}
    assert audit["table_name"].value_counts().to_dict() == {
        "campaign_milestone": 6, "campaign_township": 3, "campaign": 1}


def test_a_round_created_meanwhile_in_another_session_is_refused(project, session):
    """Two users create the same round: the second is told, and nothing of theirs is written."""
    other = ProjectSession(open_project(project.location), user="另一用户")
    try:
        cs.create_campaign(other, **_valid(project))
        counts = "SELECT (SELECT count(*) FROM campaign) AS c, (SELECT count(*) FROM edit) AS e"
        before = _sql(project, counts)
        with pytest.raises(cs.CampaignError, match="2023年第2轮集中排查已存在"):
            cs.create_campaign(session, **_valid(project))
        assert _sql(project, counts).equals(before)
        assert not session.can_undo()
    finally:
        other.close()
