"""Coverage of the centralized investigation, checked against an independent computation.

The reference reads the project file with sqlite3 and pandas, places the households in their
level-3 grids with ``geopandas.sjoin`` (keeping manual overrides, DOMAIN §2), applies the rules
of DOMAIN §9 record by record in plain Python, and counts with ``groupby``.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gis_app.analysis.coverage import (
    CoverageTracker,
    coverage_by_unit,
    household_coverage,
)
from gis_app.cli import main
from gis_app.core.compliance import RULES, check_records
from gis_app.core.coverage import CoverageStatus
from gis_app.services import coverage_service as service
from gis_app.storage.project import open_project

STATUSES = ["home", "remote", "noncompliant", "unchecked"]
LEVEL3_ROLES = {"三级网格员", "网格员", "网格长", "副网格长"}


# --- the independent reference ------------------------------------------------------------------


def _read(path, sql: str) -> pd.DataFrame:
    with sqlite3.connect(path) as connection:
        return pd.read_sql_query(sql, connection)


def reference(path) -> dict:
    """Households of the newest campaign with their unit codes and status, computed by hand."""
    campaign = _read(path, "SELECT * FROM campaign ORDER BY year DESC, round DESC LIMIT 1").iloc[0]
    start = dt.date.fromisoformat(campaign["start_date"])
    end = dt.date.fromisoformat(campaign["end_date"])
    units = _read(path, "SELECT id, code, name, parent_id FROM admin_unit").set_index("id")
    townships = set(
        _read(path, f"SELECT township_id FROM campaign_township WHERE campaign_id = "
                    f"{campaign['id']}")["township_id"]
    )
    households = _read(path, "SELECT id, village_id, grid_id, grid_override, lon, lat "
                             "FROM household")
    households["township_id"] = households["village_id"].map(units["parent_id"])
    households = households[households["township_id"].isin(townships)].reset_index(drop=True)
    households["township_code"] = households["township_id"].map(units["code"])
    households["village_code"] = households["village_id"].map(units["code"])

    grids = _read(path, "SELECT id, code, geom FROM grid WHERE level = 3")
    grids = gpd.GeoDataFrame(
        grids[["id", "code"]], geometry=shapely.from_wkb(grids["geom"].to_numpy()), crs=4490
    )
    located = households[households["lon"].notna()]
    points = gpd.GeoDataFrame(
        {"household": located["id"].to_numpy()},
        geometry=gpd.points_from_xy(located["lon"], located["lat"]),
        crs=4490,
    )
    joined = gpd.sjoin(points, grids, predicate="within", how="left")
    joined = joined.drop_duplicates("household").set_index("household")
    grid_code = households["id"].map(joined["code"])
    by_id = grids.set_index("id")["code"]
    override = households["grid_override"].astype(bool)
    grid_code[override] = households.loc[override, "grid_id"].map(by_id)
    households["grid_code"] = grid_code

    records = _read(path, f"SELECT * FROM investigation_record WHERE campaign_id = "
                          f"{campaign['id']}")
    answers = records.groupby("household_id").apply(
        lambda g: len({(bool(r.has_risk), r.risk_type if r.risk_type == r.risk_type else None,
                        r.proposed_monitoring_type if r.proposed_monitoring_type
                        == r.proposed_monitoring_type else None) for r in g.itertuples()}),
        include_groups=False,
    )
    conflicting = set(answers[answers > 1].index)

    def compliant(r) -> bool:
        if r.household_id in conflicting:
            return False
        if pd.isna(r.checker) or not str(r.checker).strip():
            return False
        if pd.isna(r.checked_on) or not start <= dt.date.fromisoformat(r.checked_on) <= end:
            return False
        return r.method == 1 or (r.method == 2 and bool(r.whole_household_away))

    kinds: dict[int, set] = {}
    first: dict[int, dt.date] = {}
    for r in records.itertuples():
        ok = compliant(r)
        kinds.setdefault(r.household_id, set()).add(
            ("home" if r.method == 1 else "remote") if ok else "noncompliant"
        )
        if ok:
            day = dt.date.fromisoformat(r.checked_on)
            first[r.household_id] = min(first.get(r.household_id, day), day)

    def status(hid) -> str:
        found = kinds.get(hid, set())
        for kind in ("home", "remote", "noncompliant"):
            if kind in found:
                return kind
        return "unchecked"

    households["status"] = households["id"].map(status)
    households["first"] = households["id"].map(first)
    return {"households": households, "start": start, "end": end, "records": records}


def reference_counts(households: pd.DataFrame, column: str) -> pd.DataFrame:
    keys = households[column].fillna("<none>")
    counts = pd.crosstab(keys, households["status"]).reindex(columns=STATUSES, fill_value=0)
    counts["households"] = counts.sum(axis=1)
    counts["coverage"] = (counts["home"] + counts["remote"]) / counts["households"]
    return counts.sort_index()


def as_indexed(table: pd.DataFrame) -> pd.DataFrame:
    table = table.assign(code=table["code"].astype(object).where(table["code"].notna(), "<none>"))
    return table.set_index("code")[[*STATUSES, "households", "coverage"]].sort_index()


def assert_same_counts(table: pd.DataFrame, expected: pd.DataFrame) -> None:
    got = as_indexed(table)
    assert list(got.index) == list(expected.index)
    for column in [*STATUSES, "households"]:
        assert got[column].astype(int).tolist() == expected[column].astype(int).tolist(), column
    np.testing.assert_allclose(got["coverage"].to_numpy(float), expected["coverage"], rtol=1e-12)
    assert (got[STATUSES].sum(axis=1) == got["households"]).all()


@pytest.fixture(scope="module")
def ref(sample_project_path) -> dict:
    return reference(sample_project_path)


LEVEL_COLUMN = {1: "township_code", 2: "village_code", 3: "grid_code"}


# --- the sample against the reference -----------------------------------------------------------


@pytest.mark.parametrize("level", [1, 2, 3])
def test_coverage_per_unit_matches_the_independent_count(sample_project, ref, level):
    table = service.campaign_coverage(sample_project, level=level)
    assert_same_counts(table, reference_counts(ref["households"], LEVEL_COLUMN[level]))
    assert table["coverage"].is_monotonic_increasing  # largest gap first


def test_the_sample_is_about_seventy_percent_covered(sample_project, ref):
    totals = service.coverage_summary(service.campaign_coverage(sample_project, level=1))
    households = ref["households"]
    assert totals["households"] == len(households)
    assert 0.6 <= totals["coverage"] <= 0.8
    # The sample hides every kind of problem: some households end up non-compliant.
    assert totals["noncompliant"] > 0 and totals["remote"] > 0


def test_level3_lists_the_grid_workers(sample_project):
    table = service.campaign_coverage(sample_project, level=3)
    named = table[table["code"].notna()]
    assert (named["workers"].str.len() > 0).all()


def test_coverage_per_worker_matches_the_independent_count(sample_project, sample_project_path,
                                                           ref):
    assignments = _read(
        sample_project_path,
        "SELECT a.worker_id, w.name, g.code AS grid_code, a.role, a.start_date, a.end_date "
        "FROM grid_assignment a JOIN grid g ON g.id = a.grid_id JOIN worker w ON w.id = "
        "a.worker_id WHERE g.level = 3",
    )
    today = dt.date.today().isoformat()
    current = assignments[
        assignments["role"].isin(LEVEL3_ROLES)
        & (assignments["start_date"] <= today)
        & (assignments["end_date"].isna() | (assignments["end_date"] > today))
    ].drop_duplicates(["worker_id", "grid_code"])
    per_grid = reference_counts(ref["households"], "grid_code")
    expected = (
        current.join(per_grid, on="grid_code").fillna({k: 0 for k in per_grid})
        .groupby("worker_id")[[*STATUSES, "households"]].sum()
    )
    expected["coverage"] = (expected["home"] + expected["remote"]) / expected["households"]
    table = service.worker_coverage(sample_project)
    got = table.set_index("code").sort_index()
    assert list(got.index) == list(expected.index)
    for column in [*STATUSES, "households"]:
        assert got[column].tolist() == expected[column].astype(int).tolist()
    np.testing.assert_allclose(got["coverage"], expected["coverage"], rtol=1e-12)
    # One worker in detail: the households of their grids, counted straight from the reference.
    worker = current["worker_id"].value_counts().index[0]
    grids = set(current.loc[current["worker_id"] == worker, "grid_code"])
    mine = ref["households"][ref["households"]["grid_code"].isin(grids)]
    row = got.loc[worker]
    assert row["households"] == len(mine) > 0
    assert row["home"] == (mine["status"] == "home").sum()
    assert row["grids"] == len(grids)
    assert row["name"] == current.loc[current["worker_id"] == worker, "name"].iloc[0]


@pytest.mark.parametrize("level", [1, 2, 3])
def test_cli_coverage_json_matches_the_independent_count(sample_project_path, ref, capsys, level):
    code = main(["coverage", str(sample_project_path), "--json", "--level", str(level)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    rows = json.loads(captured.out)
    assert all(
        set(r) == {"code", "name", "households", "home", "remote", "unchecked", "noncompliant",
                   "coverage"}
        for r in rows
    )
    assert_same_counts(pd.DataFrame(rows), reference_counts(ref["households"],
                                                            LEVEL_COLUMN[level]))


def test_cli_coverage_text_and_errors(sample_project_path, capsys):
    assert main(["coverage", str(sample_project_path), "--level", "1"]) == 0
    out = capsys.readouterr().out
    assert "覆盖率" in out and "合计" in out and "乡镇" in out
    assert main(["coverage", str(sample_project_path), "--campaign", "1999"]) == 1
    captured = capsys.readouterr()
    assert "1999年" in captured.err and "集中排查" in captured.err and captured.out == ""


def test_cumulative_coverage_counts_from_the_first_compliant_check(sample_project, ref):
    timeline = service.cumulative_coverage(sample_project, unit_level=1, as_of=dt.date(2024, 1, 1))
    daily = timeline.daily
    households = ref["households"]
    start, end = ref["start"], ref["end"]
    assert daily["date"].min() == start and daily["date"].max() == end
    assert len(daily) == ((end - start).days + 1) * households["township_code"].nunique()
    for day in (dt.date(2023, 5, 10), dt.date(2023, 5, 25), end):
        expected = (
            households.assign(hit=households["first"].notna()
                              & (households["first"].fillna(end) <= day))
            .groupby("township_code")["hit"].sum()
        )
        got = daily[daily["date"] == day].set_index("code")["covered"]
        assert got.sort_index().tolist() == expected.sort_index().tolist()
    last = daily[daily["date"] == end].set_index("code")
    final = reference_counts(households, "township_code")
    assert (last["covered"] == final["home"] + final["remote"]).all()
    assert (daily.groupby("code")["covered"].diff().fillna(0) >= 0).all()

    milestones = timeline.milestones.set_index("key")
    assert bool(milestones.loc["investigation", "missed"])  # 100% by 10 June: not reached
    halfway_day = milestones.loc["halfway", "due_date"]
    covered = (households["first"].notna() & (households["first"].fillna(end) <= halfway_day))
    assert milestones.loc["halfway", "coverage"] == pytest.approx(covered.mean())
    assert bool(milestones.loc["halfway", "missed"]) == (covered.mean() < 0.5)
    assert pd.isna(milestones.loc["plan", "missed"])  # not a coverage milestone
    units = timeline.unit_milestones
    assert len(units) == len(milestones) * households["township_code"].nunique()
    # A milestone still ahead is not missed yet.
    early = service.cumulative_coverage(sample_project, as_of=dt.date(2023, 5, 1))
    assert early.milestones["missed"].isna().all()
    assert early.daily["date"].max() == dt.date(2023, 5, 1)


# --- each rule with a hand-made case ------------------------------------------------------------


@pytest.fixture
def edited(sample_project_path, tmp_path):
    """A copy of the sample, and the ids of five households of the campaign nobody checked."""
    path = tmp_path / "edited.gmp"
    shutil.copy(sample_project_path, path)
    free = _read(
        path,
        "SELECT id FROM household WHERE id NOT IN (SELECT household_id FROM investigation_record)"
        " AND grid_id IS NOT NULL ORDER BY id LIMIT 5",
    )["id"].tolist()
    return path, free


def _insert(path, rows: list[dict]) -> None:
    base = {"campaign_id": 1, "method": 1, "checked_on": "2023-05-20", "checker": "张三",
            "whole_household_away": 0, "housing_problem": 0, "education_problem": 0,
            "insurance_problem": 0, "water_problem": 0, "has_risk": 0, "risk_type": None,
            "proposed_monitoring_type": None, "proposed_rollback": 0, "proposed_removal": 0,
            "version": 1}
    with sqlite3.connect(path) as connection:
        for row in rows:
            values = {**base, **row}
            connection.execute(
                f"INSERT INTO investigation_record ({', '.join(values)}) VALUES "
                f"({', '.join('?' * len(values))})",
                list(values.values()),
            )


def test_each_rule_flags_its_hand_made_case(edited):
    path, (phone, nobody, early, twice, away) = edited
    _insert(path, [
        {"household_id": phone, "method": 2, "whole_household_away": 0},
        {"household_id": nobody, "checker": "  "},
        {"household_id": early, "checked_on": "2023-03-01"},
        {"household_id": twice, "has_risk": 0},
        {"household_id": twice, "has_risk": 1, "risk_type": 1, "proposed_monitoring_type": 2,
         "checked_on": "2023-05-22"},
        {"household_id": away, "method": 2, "whole_household_away": 1},
    ])
    project = open_project(path)
    try:
        problems = service.campaign_compliance(project)
        found = set(zip(problems["rule"], problems["household_id"], strict=True))
        assert ("remote_not_away", phone) in found
        assert ("no_checker", nobody) in found
        assert ("date_outside_campaign", early) in found
        assert (problems[problems["household_id"] == twice]["rule"] == "conflicting_answers"
                ).sum() == 2
        assert not (problems["household_id"] == away).any()
        assert problems["message"].str.contains("户主").all()
        assert set(problems["rule"]) <= set(RULES)

        tracker = service.coverage_tracker(project)
        ids = pd.Index(service.load_campaign(project).households["id"])
        status = {h: CoverageStatus(int(tracker.status[ids.get_loc(h)]))
                  for h in (phone, nobody, early, twice, away)}
        assert status[phone] == status[nobody] == status[early] == status[twice] == (
            CoverageStatus.NONCOMPLIANT)
        assert status[away] == CoverageStatus.REMOTE
    finally:
        project.close()
    # The independent reference agrees on the edited project too.
    ref = reference(path)
    project = open_project(path)
    try:
        assert_same_counts(service.campaign_coverage(project, level=2),
                           reference_counts(ref["households"], "village_code"))
    finally:
        project.close()


def _frame(rows: list[dict]) -> pd.DataFrame:
    base = {"id": 0, "household_id": 1, "method": 1, "checked_on": dt.date(2023, 5, 1),
            "checker": "李四", "whole_household_away": False, "has_risk": False,
            "risk_type": None, "proposed_monitoring_type": None}
    return pd.DataFrame([{**base, "id": i + 1, **row} for i, row in enumerate(rows)])


START, END = dt.date(2023, 4, 20), dt.date(2023, 6, 20)


def test_rules_on_small_frames():
    records = _frame([
        {"household_id": 1},
        {"household_id": 2, "method": 2},
        {"household_id": 3, "method": 2, "whole_household_away": True},
        {"household_id": 4, "checker": None},
        {"household_id": 5, "checker": ""},
        {"household_id": 6, "checked_on": None},
        {"household_id": 7, "checked_on": END},
        {"household_id": 8, "checked_on": END + dt.timedelta(days=1)},
        {"household_id": 9, "has_risk": True, "risk_type": 1},
        {"household_id": 9, "has_risk": True, "risk_type": 1},
        {"household_id": 10, "has_risk": True, "risk_type": 1},
        {"household_id": 10, "has_risk": True, "risk_type": 2},
        {"household_id": 11, "proposed_monitoring_type": 2},
        {"household_id": 11, "method": 2},
        {"household_id": 12, "method": 3},
    ])
    flags = check_records(records, START, END)
    broken = {i: {r for r in RULES if flags.loc[i, r]} for i in flags.index}
    assert broken[0] == set() and broken[2] == set() and broken[6] == set()
    assert broken[1] == {"remote_not_away"}
    assert broken[3] == broken[4] == {"no_checker"}
    assert broken[5] == broken[7] == {"date_outside_campaign"}
    assert broken[8] == broken[9] == set()  # the same answers twice: consistent
    assert broken[10] == broken[11] == {"conflicting_answers"}
    assert broken[12] == {"conflicting_answers"}
    assert broken[13] == {"conflicting_answers", "remote_not_away"}
    assert broken[14] == {"invalid_method"}
    assert flags["compliant"].tolist() == [not b for b in broken.values()]

    households = pd.DataFrame({
        "id": np.arange(1, 14), "township_code": "T", "township": "乡",
        "village_code": "V", "village": "村", "grid_code": ["G1"] * 7 + ["G2"] * 6,
    })
    status, first = household_coverage(households["id"], records, START, END)
    assert status.tolist() == [3, 1, 2, 1, 1, 1, 3, 1, 3, 1, 1, 1, 0]
    assert first[0] == np.datetime64("2023-05-01", "D").astype(np.int64)
    table = coverage_by_unit(households, status, 3, sort=False)
    assert table[["home", "remote", "noncompliant", "unchecked"]].values.tolist() == [
        [2, 1, 4, 0], [1, 0, 4, 1]]
    assert table["coverage"].tolist() == pytest.approx([3 / 7, 1 / 6])


def test_a_unit_without_households_has_no_coverage_and_comes_last():
    from gis_app.analysis.coverage import coverage_table

    table = coverage_table(["A", "B"], ["甲", "乙"], np.array([[0, 0, 0, 0], [1, 0, 0, 1]]))
    assert np.isnan(table.set_index("code").loc["A", "coverage"])  # nothing to cover: null
    assert table["code"].tolist() == ["B", "A"]  # after the gaps


# --- incremental updates equal a recomputation ----------------------------------------------------


@pytest.fixture(scope="module")
def campaign(sample_project_path):
    project = open_project(sample_project_path)
    try:
        return service.load_campaign(project)
    finally:
        project.close()


record_strategy = st.fixed_dictionaries({
    # Mostly households that already have records, to make repeats and conflicts likely.
    "which": st.integers(0, 39),
    "method": st.sampled_from([1, 1, 2, 3]),
    "whole_household_away": st.booleans(),
    "checker": st.sampled_from(["王五", "王五", None, "", " "]),
    "day": st.one_of(st.none(), st.integers(-5, 70)),
    "has_risk": st.booleans(),
    "risk_type": st.sampled_from([None, 1, 7]),
    "proposed_monitoring_type": st.sampled_from([None, 2]),
})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(new=st.lists(record_strategy, min_size=1, max_size=30), seed=st.integers(0, 2**16))
def test_incremental_updates_equal_a_recomputation(campaign, new, seed):
    households, records = campaign.households, campaign.records
    start, end = campaign.campaign["start_date"], campaign.campaign["end_date"]
    rng = np.random.default_rng(seed)
    checked = records["household_id"].unique()
    pool = np.r_[rng.choice(checked, 20, replace=False),
                 rng.choice(households["id"].to_numpy(), 20, replace=False)]
    tracker = CoverageTracker(households, records, start, end)
    added = []
    for i, item in enumerate(new):
        record = {
            "id": 10**9 + i,
            "household_id": int(pool[item["which"]]),
            "method": item["method"],
            "checked_on": None if item["day"] is None else start + dt.timedelta(item["day"]),
            "checker": item["checker"],
            "whole_household_away": item["whole_household_away"],
            "has_risk": item["has_risk"],
            "risk_type": item["risk_type"],
            "proposed_monitoring_type": item["proposed_monitoring_type"],
        }
        added.append(record)
        after = tracker.apply_record(record)
        assert after == tracker.status[households.index[households["id"] == record[
            "household_id"]][0]]
    everything = pd.concat([records, pd.DataFrame(added)], ignore_index=True)
    status, _ = household_coverage(households["id"], everything, start, end)
    np.testing.assert_array_equal(tracker.status, status)
    for level in (1, 2, 3):
        expected = coverage_by_unit(households, status, level)
        pd.testing.assert_frame_equal(tracker.table(level), expected)


def test_placing_the_last_households_without_a_unit_equals_a_recount(campaign):
    """The row of households without a unit goes when the last of them is placed, and comes
    back (by a recount, as the session does) when one loses its unit again."""
    from gis_app.analysis.coverage import LEVEL_COLUMNS

    everywhere = campaign.households[campaign.households["grid_code"].notna()
                                     & campaign.households["township_code"].notna()
                                     & campaign.households["village_code"].notna()]
    records = campaign.records[campaign.records["household_id"].isin(everywhere["id"])]
    households = everywhere.copy()
    start, end = campaign.campaign["start_date"], campaign.campaign["end_date"]
    lost = households.index[:3]
    for code, _name in LEVEL_COLUMNS.values():
        households.loc[lost, code] = None
    tracker = CoverageTracker(households, records, start, end)
    assert tracker.table(3)["code"].isna().sum() == 1
    assert tracker.table(3).loc[tracker.table(3)["code"].isna(), "households"].item() == 3

    placed = households.copy()
    placed.loc[lost] = everywhere.loc[lost]
    ids = households.loc[lost, "id"].to_numpy()
    assert tracker.move(ids, {level: placed.loc[lost, code].to_numpy(dtype=object)
                              for level, (code, _name) in LEVEL_COLUMNS.items()})
    fresh = CoverageTracker(placed, records, start, end)
    for level in (1, 2, 3):
        pd.testing.assert_frame_equal(tracker.table(level), fresh.table(level))
    # back to no unit: not a unit the tracker lists any more, so the caller recounts
    assert not tracker.move(ids[:1], {level: np.array([None], dtype=object)
                                      for level in LEVEL_COLUMNS})


def test_a_record_of_a_household_outside_the_campaign_is_refused(campaign):
    tracker = CoverageTracker(campaign.households, campaign.records,
                              campaign.campaign["start_date"], campaign.campaign["end_date"])
    with pytest.raises(KeyError, match="不在本次集中排查"):
        tracker.apply_record({"household_id": -1, "method": 1})


def test_an_assignment_ended_today_leaves_the_grid_workers_and_worker_coverage(
        sample_project_path, tmp_path):
    """取消分配 through the roster today: the worker is no longer the grid's (core.assignments)."""
    from gis_app.services.assignment_service import AssignmentService
    from gis_app.services.session import ProjectSession

    path = tmp_path / "unassigned.gmp"
    shutil.copy(sample_project_path, path)
    session = ProjectSession(open_project(path), user="测试员")
    try:
        held = session.current_assignments()
        held = held[(held["grid_level"] == 3) & held["role"].isin(LEVEL3_ROLES)]
        # A worker holding exactly one level-3 grid, alone on it.
        alone = held.groupby("grid_id")["worker_id"].transform("size") == 1
        single = held.groupby("worker_id")["grid_id"].transform("size") == 1
        row = held[alone & single].iloc[0]
        worker, code = int(row["worker_id"]), row["grid_code"]
        name = session.workers.set_index("id").loc[worker, "name"]
        before = service.grid_workers(session.project)
        assert before[code] == [name]
        assert worker in set(service.worker_coverage(session.project)["code"])

        AssignmentService(session).unassign([int(row["id"])])
        today = dt.date.today().isoformat()
        assert _read(path, f"SELECT end_date FROM grid_assignment WHERE id = {int(row['id'])}"
                     ).iloc[0, 0] == today
        after = service.grid_workers(session.project)
        assert code not in after
        assert {k: v for k, v in before.items() if k != code} == after
        assert worker not in set(service.worker_coverage(session.project)["code"])
        level3 = service.campaign_coverage(session.project, level=3).set_index("code")
        assert name not in str(level3.loc[code, "workers"])
        # The day before, the worker was still responsible.
        yesterday = dt.date.today() - dt.timedelta(days=1)
        assert service.grid_workers(session.project, yesterday)[code] == [name]
    finally:
        session.close()
