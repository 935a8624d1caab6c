"""The dashboard's numbers (services/dashboard_service.py) against counts of the store's rows.

Each figure is counted again here with plain pandas over the tables read by sqlite3: coverage
and households checked at home or by phone (the compliance rules of core/compliance), the
monitored households by type and by village, overdue clues (deadlines of core/workdays),
households per worker. A visit record added through the record service moves the kept arrays
exactly as a new count from the store does.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3

import numpy as np
import pandas as pd
import pytest

from gis_app.core.codes import RESPONSIBLE_ROLES
from gis_app.core.compliance import check_records
from gis_app.core.workdays import add_working_days, china_calendar
from gis_app.services.dashboard_service import COUNTY, TOWNSHIP, VILLAGE, DashboardService
from gis_app.services.record_service import RecordService
from gis_app.services.session import ProjectSession
from gis_app.storage.project import open_project

AS_OF = dt.date(2023, 5, 31)  # the sample's as_of setting


@pytest.fixture
def copy(sample_project_path, tmp_path):
    path = tmp_path / "copy.gmp"
    shutil.copy(sample_project_path, path)
    return path


@pytest.fixture
def session(copy):
    session = ProjectSession(open_project(copy), user="tester")
    yield session
    session.close()


def _frame(path, sql: str, params=()) -> pd.DataFrame:
    with sqlite3.connect(path) as connection:
        return pd.read_sql_query(sql, connection, params=params)


def households(path) -> pd.DataFrame:
    """Every household with its village's and township's codes."""
    return _frame(path, """
        SELECT h.id, h.attribute, h.monitoring_type, h.risk_eliminated, h.grid_id,
               v.code AS village, t.code AS township
        FROM household h LEFT JOIN admin_unit v ON v.id = h.village_id
        LEFT JOIN admin_unit t ON t.id = v.parent_id""")


def statuses(path) -> pd.Series:
    """Each campaign household's best status: home, remote, noncompliant or unchecked."""
    campaign = _frame(path, "SELECT * FROM campaign WHERE id = 1").iloc[0]
    start = dt.date.fromisoformat(campaign["start_date"][:10])
    end = dt.date.fromisoformat(campaign["end_date"][:10])
    inside = _frame(path, """
        SELECT h.id FROM household h JOIN admin_unit v ON v.id = h.village_id
        WHERE v.parent_id IN (SELECT township_id FROM campaign_township WHERE campaign_id = 1)""")
    records = _frame(path, "SELECT * FROM investigation_record WHERE campaign_id = 1")
    ok = check_records(records, start, end)["compliant"].to_numpy()
    rank = np.where(ok & (records["method"] == 1), 3, np.where(ok & (records["method"] == 2),
                                                                2, 1))
    best = pd.Series(rank).groupby(records["household_id"].to_numpy()).max()
    names = {0: "unchecked", 1: "noncompliant", 2: "remote", 3: "home"}
    return inside["id"].map(best).fillna(0).astype(int).map(names).set_axis(inside["id"])


def unit_ids(path, level: int, code) -> set[int]:
    homes = households(path)
    if level == COUNTY:
        return set(homes["id"])
    column = "township" if level == TOWNSHIP else "village"
    return set(homes.loc[homes[column] == code, "id"])


def a_village(path) -> str:
    """The sample's village with the most monitored households."""
    homes = households(path)
    return homes[homes["attribute"] == 2]["village"].value_counts().index[0]


@pytest.mark.parametrize("level", [COUNTY, TOWNSHIP, VILLAGE])
def test_coverage_and_method_equal_a_count_of_the_records(session, copy, level):
    village = a_village(copy)
    code = {COUNTY: None, TOWNSHIP: households(copy).set_index("village")["township"]
            .to_dict()[village], VILLAGE: village}[level]
    board = DashboardService(session).compute(level, code)
    status = statuses(copy)
    status = status[status.index.isin(unit_ids(copy, level, code))]
    counts = status.value_counts()
    covered = int(counts.get("home", 0) + counts.get("remote", 0))
    assert board.indicators["coverage"].counts == (covered, len(status))
    assert board.indicators["coverage"].value == pytest.approx(covered / len(status))
    assert board.indicators["home_share"].counts == (int(counts.get("home", 0)), covered)
    bars = board.charts["method"].bars.set_index("label")["value"].to_dict()
    assert bars == {"入户排查": counts.get("home", 0), "电话、微信排查": counts.get("remote", 0),
                    "排查不合规": counts.get("noncompliant", 0),
                    "未排查": counts.get("unchecked", 0)}
    # the timeline's last counted day holds the households covered by then
    timeline = board.timeline.dropna(subset=["coverage"])
    assert timeline["date"].iloc[-1] == np.datetime64(AS_OF)
    assert 0 < timeline["covered"].iloc[-1] <= covered


def test_monitored_households_by_type_and_by_village(session, copy):
    homes = households(copy)
    township = homes.set_index("village")["township"].to_dict()[a_village(copy)]
    board = DashboardService(session).compute(TOWNSHIP, township)
    monitored = homes[(homes["attribute"] == 2) & (homes["risk_eliminated"] == 0)
                      & (homes["township"] == township)]
    by_type = monitored["monitoring_type"].fillna(0).astype(int).value_counts()
    shown = board.charts["types"].bars
    assert {key[1]: value for key, value in zip(shown["key"], shown["value"], strict=True)
            if value} == by_type.to_dict()
    places = board.charts["places"].bars
    assert dict(zip(places["code"], places["value"], strict=True)) == \
        monitored["village"].value_counts().to_dict()
    pairs = _frame(copy, "SELECT household_id, start_date, end_date FROM helper_pair")
    pairs = pairs[(pairs["start_date"] <= str(AS_OF))
                  & (pairs["end_date"].isna() | (pairs["end_date"] > str(AS_OF)))]
    paired = monitored["id"].isin(set(pairs["household_id"]))
    assert board.indicators["paired"].counts == (int(paired.sum()), len(monitored))
    service = DashboardService(session)
    what, ids = service.select(TOWNSHIP, township, "paired")
    assert what == "households" and set(ids) == set(monitored.loc[~paired, "id"])


def test_overdue_clues_and_cases_equal_the_deadlines_counted_here(session, copy):
    board = DashboardService(session).compute()
    clues = _frame(copy, "SELECT * FROM risk_clue")
    found = pd.to_datetime(clues["found_on"]).to_numpy().astype("datetime64[D]")
    years = range(int(str(found.min())[:4]), int(str(found.max())[:4]) + 2)
    due = add_working_days(found, 5, china_calendar(years))
    overdue = clues["verified_on"].isna().to_numpy() & (np.datetime64(AS_OF) > due)
    assert overdue.any()
    assert board.indicators["overdue_clues"].counts[0] == int(overdue.sum())
    assert DashboardService(session).select(COUNTY, None, "overdue_clues")[1].tolist() == \
        sorted(set(clues.loc[overdue, "household_id"]))
    cases = _frame(copy, "SELECT * FROM monitoring_case WHERE status = '办理中'")
    late = (pd.Timestamp(AS_OF) - pd.to_datetime(cases["started_on"])).dt.days > 15
    assert board.indicators["overdue_cases"].counts[0] == int(late.sum())
    assert int(board.charts["cases"].bars["value"].sum()) == len(cases)
    assert int(board.charts["cases"].bars["overdue"].sum()) == int(late.sum())


def test_workers_load_is_households_of_their_grids(session, copy):
    roles = tuple(str(r) for r in RESPONSIBLE_ROLES[3])
    pairs = _frame(copy, f"""
        SELECT DISTINCT a.worker_id, a.grid_id
        FROM grid_assignment a JOIN grid g ON g.id = a.grid_id
        WHERE g.level = 3 AND a.role IN ({",".join("?" * len(roles))})
          AND a.start_date <= ? AND (a.end_date IS NULL OR a.end_date > ?)""",
                   (*roles, str(AS_OF), str(AS_OF)))
    per_grid = households(copy)["grid_id"].value_counts()
    loads = pairs.assign(n=pairs["grid_id"].map(per_grid).fillna(0)).groupby("worker_id")["n"] \
        .sum()
    board = DashboardService(session).compute()
    indicator = board.indicators["worker_load"]
    assert indicator.value == pytest.approx(loads.mean())
    assert indicator.counts[1] == len(loads)
    assert indicator.target == 100  # the project's household limit
    assert int(board.charts["load"].bars["value"].sum()) == len(loads)
    what, grids = DashboardService(session).select(COUNTY, None, ("load", 1))
    assert what == "grids"
    assert set(grids) == set(pairs.loc[pairs["worker_id"].isin(
        loads[(loads > 50) & (loads <= 100)].index), "grid_id"])


def _compare(kept, fresh) -> None:
    for key, indicator in fresh.indicators.items():
        assert kept.indicators[key] == indicator, key
    for key, chart in fresh.charts.items():
        pd.testing.assert_frame_equal(kept.charts[key].bars, chart.bars)
    pd.testing.assert_frame_equal(kept.timeline, fresh.timeline)


def test_new_visit_records_move_the_kept_arrays_as_a_recount_does(session, copy):
    service = DashboardService(session)
    village = a_village(copy)
    before = service.compute(VILLAGE, village)
    status = statuses(copy)
    mine = status[status.index.isin(unit_ids(copy, VILLAGE, village))]
    unchecked = mine[mine == "unchecked"].index[:2].tolist()
    home = mine[mine == "home"].index[0]
    records = RecordService(session)
    start = records.campaign["start_date"]
    day = start + dt.timedelta(days=3)
    # covered at home with a risk; a phone check of a household not away (noncompliant);
    # a checked household whose new record disagrees with its earlier answers (conflict)
    records.add_record(int(unchecked[0]), method=1, checker="测试", checked_on=day,
                       has_risk=True, risk_type=2, proposed_monitoring_type=2)
    records.add_record(int(unchecked[1]), method=2, checker="测试", checked_on=day)
    earlier = _frame(copy, "SELECT has_risk FROM investigation_record WHERE household_id = ?",
                     (int(home),))["has_risk"].iloc[0]
    records.add_record(int(home), method=1, checker="测试", checked_on=day,
                       has_risk=not bool(earlier), risk_type=1 if not earlier else None,
                       proposed_monitoring_type=1 if not earlier else None)
    after = service.compute(VILLAGE, village)
    other = ProjectSession(open_project(copy))  # a recount from the store
    try:
        recount = DashboardService(other)
        _compare(after, recount.compute(VILLAGE, village))
        _compare(service.compute(), recount.compute())
    finally:
        other.close()
    covered, total = after.indicators["coverage"].counts
    assert covered == before.indicators["coverage"].counts[0]  # +1 at home, -1 conflicting
    assert total == before.indicators["coverage"].counts[1]
    assert statuses(copy)[unchecked[0]] == "home" and statuses(copy)[home] == "noncompliant"
    risks = after.charts["risks"].bars.set_index("label")["value"]
    was = before.charts["risks"].bars.set_index("label")["value"]
    assert risks["因学"] == was["因学"] + 1 - (1 if earlier and _risk_of(copy, home) == 2 else 0)


def _risk_of(path, household: int):
    rows = _frame(path, "SELECT risk_type FROM investigation_record WHERE household_id = ? "
                        "ORDER BY id", (household,))
    return rows["risk_type"].iloc[0]


def test_a_household_moved_and_a_record_undone_are_followed(session, copy):
    from gis_app.services.household_service import HouseholdService

    service = DashboardService(session)
    village = a_village(copy)
    service.compute(VILLAGE, village)
    # a monitored household of the village placed in another village's level-3 grid
    homes = households(copy)
    mover = int(homes[(homes["village"] == village) & (homes["attribute"] == 2)]["id"].iloc[0])
    grids = session.grids
    other = grids[(grids["level"] == 3) & (grids["admin_code"] != village)].iloc[0]
    spot = other.geometry.representative_point()
    HouseholdService(session).place(mover, spot.x, spot.y, other_village=True)
    records = RecordService(session)
    status = statuses(copy)
    unchecked = int(status[status.index.isin(unit_ids(copy, VILLAGE, village))
                           & (status == "unchecked")].index[0])
    records.add_record(unchecked, method=1, checker="测试",
                       checked_on=records.campaign["start_date"])
    service.compute(VILLAGE, village)
    session.undo()  # the record taken back: a deleted row
    other_session = ProjectSession(open_project(copy))
    try:
        recount = DashboardService(other_session)
        for level, code in ((VILLAGE, village), (VILLAGE, other["admin_code"]), (COUNTY, None)):
            _compare(service.compute(level, code), recount.compute(level, code))
    finally:
        other_session.close()
    assert statuses(copy)[unchecked] == "unchecked"


def test_a_project_without_a_campaign_still_has_its_dashboard(copy):
    with sqlite3.connect(copy) as connection:
        for table in ("investigation_record", "campaign_milestone", "campaign_township",
                      "campaign"):
            connection.execute(f"DELETE FROM {table}")
    session = ProjectSession(open_project(copy))
    try:
        board = DashboardService(session).compute()
    finally:
        session.close()
    assert board.campaign is None and board.timeline.empty
    assert board.indicators["coverage"].value is None
    assert board.indicators["coverage"].state == "none"
    assert "method" not in board.charts and "types" in board.charts
    assert board.indicators["paired"].counts[1] > 0


@pytest.mark.parametrize("level", [COUNTY, TOWNSHIP, VILLAGE])
def test_every_household_bar_selects_as_many_households_as_it_counts(session, copy, level):
    from gis_app.services.exposure_service import compute_exposure

    village = a_village(copy)
    code = {COUNTY: None, TOWNSHIP: households(copy).set_index("village")["township"]
            .to_dict()[village], VILLAGE: village}[level]
    service = DashboardService(session)
    service.set_exposure(compute_exposure(session, 0.0))
    board = service.compute(level, code)
    inside = unit_ids(copy, level, code)
    for chart in ("method", "types", "places", "risks", "exposure"):
        for key, value in zip(board.charts[chart].bars["key"], board.charts[chart].bars["value"],
                              strict=True):
            what, ids = service.select(level, code, key)
            assert what == "households" and len(ids) == value, (chart, key)
            assert set(ids) <= inside
    exposed = compute_exposure(session, 0.0).households
    flood = exposed[exposed["kind"] == "洪涝"]["household_id"]
    assert set(service.select(level, code, ("kind", "洪涝"))[1]) == set(flood) & inside


def test_beyond_the_largest_places_the_others_are_one_bar(session, copy, monkeypatch):
    from gis_app.services import dashboard_service

    monkeypatch.setattr(dashboard_service, "PLACES_SHOWN", 2)
    service = DashboardService(session)
    board = service.compute()
    homes = households(copy)
    monitored = homes[(homes["attribute"] == 2) & (homes["risk_eliminated"] == 0)]
    per_township = monitored["township"].value_counts()
    bars = board.charts["places"].bars
    assert len(bars) == 2 and bars["code"].iloc[0] == per_township.index[0]
    assert int(bars["value"].iloc[0]) == per_township.iloc[0]
    assert bars["label"].iloc[1] == f"其余{len(per_township) - 1}个"
    assert int(bars["value"].iloc[1]) == int(per_township.iloc[1:].sum())
    what, ids = service.select(COUNTY, None, bars["key"].iloc[1])
    assert set(ids) == set(monitored.loc[monitored["township"] != per_township.index[0], "id"])


@pytest.mark.parametrize("saved", ["before the count reads", "after the count read",
                                   "by another user after the count read"])
def test_a_count_on_a_worker_thread_takes_the_records_saved_meanwhile(copy, saved):
    """gather (window thread) → count_parts (worker) → adopt: a record saved meanwhile counts."""
    from gis_app.services.dashboard_service import count_parts

    session = ProjectSession(open_project(copy), user="tester", watch=True)
    try:
        service = DashboardService(session)
        assert service.needs_count()
        status = statuses(copy)
        household = int(status[status == "unchecked"].index[0])
        other = ProjectSession(open_project(copy), user="other") if "another" in saved \
            else None
        records = RecordService(other or session)
        day = records.campaign["start_date"] + dt.timedelta(days=3)
        counting = service.gather()
        if saved == "before the count reads":
            records.add_record(household, method=1, checker="测试", checked_on=day)
            counted = count_parts(counting)
        else:
            counted = count_parts(counting)
            records.add_record(household, method=1, checker="测试", checked_on=day)
        if other is not None:
            other.close()
            assert session.refresh() is not None  # the other user's record, as a change set
        assert service.adopt(counted)  # nothing left to count
        board = service.compute()
        now = statuses(copy)
        assert now[household] == "home"
        assert board.indicators["coverage"].counts == \
            (int(now.isin(["home", "remote"]).sum()), len(now))
        method = board.charts["method"].bars.set_index("label")["value"]
        assert int(method["入户排查"]) == int((now == "home").sum())
        assert int(method["未排查"]) == int((now == "unchecked").sum())
        fresh = ProjectSession(open_project(copy))  # every tile and chart: as a recount
        try:
            _compare(board, DashboardService(fresh).compute())
        finally:
            fresh.close()
    finally:
        session.close()


def test_a_household_moved_while_counted_is_counted_again(session, copy):
    from gis_app.services.dashboard_service import count_parts
    from gis_app.services.household_service import HouseholdService

    service = DashboardService(session)
    village = a_village(copy)
    counted = count_parts(service.gather())
    homes = households(copy)
    mover = int(homes[(homes["village"] == village) & (homes["attribute"] == 2)
                      & (homes["risk_eliminated"] == 0)]["id"].iloc[0])
    grids = session.grids
    other = grids[(grids["level"] == 3) & (grids["admin_code"] != village)].iloc[0]
    spot = other.geometry.representative_point()
    HouseholdService(session).place(mover, spot.x, spot.y, other_village=True)
    assert not service.adopt(counted)  # the households' parts: to count again
    assert service.adopt(count_parts(service.gather()))
    homes = households(copy)
    monitored = homes[(homes["village"] == village) & (homes["attribute"] == 2)
                      & (homes["risk_eliminated"] == 0)]
    assert int(homes.loc[homes["id"] == mover, "grid_id"].iloc[0]) == int(other["id"])
    board = service.compute(VILLAGE, village)
    assert board.indicators["paired"].counts[1] == len(monitored)
    # the village's monitored households per grid: the mover in its new grid
    places = board.charts["places"].bars
    assert dict(zip([key[1] for key in places["key"]], places["value"], strict=True)) == \
        monitored["grid_id"].value_counts().to_dict()
