"""A disaster's footprint → risk clues on the sample county, on SQLite and PostGIS.

The households that get a clue are checked against a plain geopandas ``sjoin`` (predicate
intersects) of the stored points with the footprint; the deadline against the State Council's
2025 notice (National Day and Mid-Autumn 10-01..10-08, Sun 09-28 and Sat 10-11 worked); the
responsible workers against the assignments read back with SQL. Registering the same footprint
again writes nothing; one undo takes the event and its clues away.
"""

from __future__ import annotations

import datetime as dt
import shutil

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import shapely.affinity
from sqlalchemy import text

from gis_app.core.codes import RESPONSIBLE_ROLES
from gis_app.services.clue_service import load_clues, overdue_clues
from gis_app.services.event_service import EventService, drawn_footprint, event_visit_lists
from gis_app.services.export_service import PersonalDataDenied
from gis_app.services.session import ProjectSession
from gis_app.storage.project import open_project

DAY = dt.date(2025, 9, 26)  # a Friday
DUE = dt.date(2025, 10, 10)  # the 5th working day after it, by the 2025 notice
AS_OF = dt.date(2025, 10, 13)  # a Monday: 3 days late, 2 working days (Sat 10-11 worked)
USER = "测试员"


@pytest.fixture(params=["sqlite", pytest.param("postgis", marks=pytest.mark.postgres)])
def project(request, sample_project_path, tmp_path):
    if request.param == "sqlite":
        shutil.copy(sample_project_path, tmp_path / "p.gmp")
        location = tmp_path / "p.gmp"
    else:
        location = request.getfixturevalue("pg_sample_url")
    project = open_project(location)
    yield project
    project.close()


def rows(project, sql, **params):
    with project.engine.connect() as connection:
        return pd.DataFrame(connection.execute(text(sql), params).mappings().all())


def located(project) -> gpd.GeoDataFrame:
    frame = rows(project, "SELECT id, lon, lat FROM household WHERE lon IS NOT NULL")
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
                            crs=4490)


def footprint(project):
    """High flood zones, with a hole around one household inside and a corner on another."""
    zones = rows(project, "SELECT level, kind, geom FROM hazard_zone")
    geoms = shapely.from_wkb(zones["geom"].to_numpy())
    flood = shapely.union_all(geoms[(zones["kind"] == "洪涝").to_numpy()
                                    & (zones["level"] <= 2).to_numpy()])
    points = located(project)
    inside = points[points.within(flood)]
    holed = inside.iloc[len(inside) // 2]
    hole = shapely.box(holed.lon - 1e-4, holed.lat - 1e-4, holed.lon + 1e-4, holed.lat + 1e-4)
    outside = points[shapely.distance(points.geometry.to_numpy(), flood) > 0.01].iloc[0]
    corner = shapely.Polygon([(outside.lon, outside.lat), (outside.lon + 0.002, outside.lat),
                              (outside.lon + 0.002, outside.lat + 0.002)])
    shape = shapely.union(shapely.difference(flood, hole), corner)
    return shape, int(holed.id), int(outside.id)


def sjoin_ids(project, shape) -> set[int]:
    area = gpd.GeoDataFrame(geometry=[shape], crs=4490)
    joined = gpd.sjoin(located(project), area, predicate="intersects")
    return set(joined["id"].astype(int))


def responsible_names(project, day) -> dict[int, set[str]]:
    """Household id → names of the workers responsible for its level-3 grid on ``day``."""
    roles = [str(r) for r in RESPONSIBLE_ROLES[3]]
    found = rows(project, """
        SELECT h.id AS household_id, w.name, a.role FROM household h
        JOIN grid g ON g.id = h.grid_id AND g.level = 3
        JOIN grid_assignment a ON a.grid_id = g.id
        JOIN worker w ON w.id = a.worker_id AND w.active
        WHERE a.start_date <= :day AND (a.end_date IS NULL OR a.end_date > :day)""", day=day)
    found = found[found["role"].isin(roles)]
    return found.groupby("household_id")["name"].agg(set).to_dict()


def test_households_inside_become_clues_due_on_the_fifth_working_day(project):
    shape, holed, cornered = footprint(project)
    expected = sjoin_ids(project, shape)
    assert cornered in expected and holed not in expected  # the boundary in, the hole out
    before = rows(project, "SELECT count(*) AS n FROM risk_clue")["n"][0]
    session = ProjectSession(project, user=USER)
    result = EventService(session).register(drawn_footprint(shape), DAY, "洪涝", as_of=AS_OF)

    assert result.new_event and result.inside == len(expected) == result.created
    clues = result.clues.frame
    assert set(clues["household_id"]) == expected
    assert set(clues["due_on"]) == {DUE} and set(clues["found_on"]) == {DAY}
    assert set(clues["status"]) == {"已超期"}
    assert set(clues["days_overdue"]) == {3} and set(clues["working_days_overdue"]) == {2}
    stored = rows(project, "SELECT household_id, channel, found_on, event_id FROM risk_clue "
                           "WHERE event_id IS NOT NULL")
    assert set(stored["household_id"]) == expected and len(stored) == len(expected)
    assert set(stored["channel"]) == {"灾害"} and set(stored["event_id"]) == {result.event_id}
    assert rows(project, "SELECT count(*) AS n FROM risk_clue")["n"][0] == before + len(expected)
    event = rows(project, "SELECT code, kind, occurred_on FROM hazard_event")
    assert event.astype(str).to_dict("records") == [{"code": result.code, "kind": "洪涝",
                                                     "occurred_on": "2025-09-26"}]
    names = responsible_names(project, AS_OF)
    for household, worker in zip(clues["household_id"], clues["worker"], strict=True):
        assert (set(worker.split("、")) if worker else set()) == names.get(household, set())
    assert clues["head_id_number"].str.contains(r"\*").all()  # masked by default
    # The session saw the edit: its clue and event sources hold the new rows.
    assert set(session.frame("clues")["household_id"]) >= expected
    assert session.frame("hazard_events")["code"].tolist() == [result.code]


def test_the_same_footprint_twice_creates_nothing_twice(project):
    shape, _, _ = footprint(project)
    service = EventService(ProjectSession(project, user=USER))
    first = service.register(drawn_footprint(shape), DAY, "洪涝")
    edits = rows(project, "SELECT count(*) AS n FROM edit")["n"][0]
    again = service.register(drawn_footprint(shape), "2025-09-26", "洪涝")
    assert not again.new_event and again.created == 0 and again.event_id == first.event_id
    assert again.already == first.created and "本次未新增任何数据" in again.message()
    assert rows(project, "SELECT count(*) AS n FROM edit")["n"][0] == edits
    assert rows(project, "SELECT count(*) AS n FROM hazard_event")["n"][0] == 1
    # Another day or kind is another event.
    other = service.register(drawn_footprint(shape), DAY, "滑坡")
    assert other.new_event and other.created == first.created


def test_undo_takes_the_event_and_its_clues_away_and_redo_brings_them_back(project):
    shape, _, _ = footprint(project)
    session = ProjectSession(project, user=USER)
    before = rows(project, "SELECT id FROM risk_clue ORDER BY id")
    result = EventService(session).register(drawn_footprint(shape), DAY, "洪涝")
    assert session.undo_label() == f"登记灾害事件：{result.name}，生成{result.created}条风险线索"
    session.undo()
    assert rows(project, "SELECT id FROM risk_clue ORDER BY id").equals(before)
    assert rows(project, "SELECT count(*) AS n FROM hazard_event")["n"][0] == 0
    assert not session.frame("hazard_events").shape[0]
    session.redo()
    assert rows(project, "SELECT count(*) AS n FROM risk_clue WHERE event_id IS NOT NULL")[
        "n"][0] == result.created


def test_overdue_view_and_verifying(project):
    shape, _, _ = footprint(project)
    service = EventService(ProjectSession(project, user=USER))
    result = service.register(drawn_footprint(shape), DAY, "洪涝")
    mine = result.clues.frame["clue_id"].tolist()
    assert not set(mine) & set(overdue_clues(project, DUE).frame["clue_id"])
    late = overdue_clues(project, AS_OF).frame
    assert set(mine) <= set(late["clue_id"])
    assert late["days_overdue"].is_monotonic_decreasing
    first, second = mine[:2]
    service.verify(first, dt.date(2025, 10, 9))
    assert str(rows(project, "SELECT verified_on FROM risk_clue WHERE id = :i", i=first)[
        "verified_on"][0]) == "2025-10-09"
    assert first not in set(overdue_clues(project, AS_OF).frame["clue_id"])
    service.verify(second, AS_OF)
    standing = load_clues(project, AS_OF, clue_ids=[first, second]).frame.set_index("clue_id")
    assert standing.loc[first, "status"] == "已核实"
    assert standing.loc[second, "status"] == "超期核实"
    assert standing.loc[second, "days_overdue"] == 3
    with pytest.raises(ValueError, match="已于2025-10-09核实"):
        service.verify(first, AS_OF)
    with pytest.raises(ValueError, match="早于线索发现日期"):
        service.verify(mine[2], dt.date(2025, 9, 25))
    with pytest.raises(ValueError, match="晚于今天"):
        service.verify(mine[2], dt.date.today() + dt.timedelta(days=1))
    with pytest.raises(PersonalDataDenied):
        load_clues(project, AS_OF, unmask=True, user="无权用户")


def test_a_visit_list_per_responsible_worker(project):
    shape, _, _ = footprint(project)
    result = EventService(ProjectSession(project, user=USER)).register(
        drawn_footprint(shape), DAY, "洪涝")
    lists, unassigned = event_visit_lists(project, result.event_id, AS_OF)
    clues = result.clues.frame
    listed = np.concatenate([v.households["household_id"].to_numpy() for v in lists])
    assert len(listed) == len(set(listed))  # each household on one list
    assert set(listed) | set(unassigned["household_id"]) == set(clues["household_id"])
    by_worker = clues.groupby("worker_id")["household_id"].agg(set)
    for visits in lists:
        assert set(visits.households["household_id"]) == by_worker[visits.worker["id"]]
        assert visits.campaign["task_label"] == "核实任务"
        assert visits.households["status"].eq("已超期（期限2025-10-10）").all()
        assert visits.households["leg_m"].iloc[1:].dropna().ge(0).all()


def test_bad_input_is_refused_and_writes_nothing(project):
    shape, _, _ = footprint(project)
    service = EventService(ProjectSession(project, user=USER))
    fp = drawn_footprint(shape)
    with pytest.raises(ValueError, match="未知的灾害类型：地震"):
        service.register(fp, DAY, "地震")
    with pytest.raises(ValueError, match="日期无效"):
        service.register(fp, "2025-13-01", "洪涝")
    with pytest.raises(ValueError, match="晚于今天"):
        service.register(fp, dt.date.today() + dt.timedelta(days=2), "洪涝")
    away = drawn_footprint(shapely.affinity.translate(shape.geoms[0], 4.0, 0.0))
    with pytest.raises(ValueError, match="不在本县范围内"):
        service.register(away, DAY, "洪涝")
    points = located(project)
    lonely = points.geometry.union_all().convex_hull.centroid
    empty = shapely.box(lonely.x, lonely.y, lonely.x + 1e-6, lonely.y + 1e-6)
    assert not sjoin_ids(project, empty)
    with pytest.raises(ValueError, match="没有已定位的农户"):
        service.register(drawn_footprint(empty), DAY, "洪涝")
    with pytest.raises(ValueError, match="无效"):
        drawn_footprint([(111.0, 27.0), (111.1, 27.1), (111.1, 27.0), (111.0, 27.05)])
    assert rows(project, "SELECT count(*) AS n FROM hazard_event")["n"][0] == 0
    assert rows(project, "SELECT count(*) AS n FROM edit WHERE label LIKE '登记灾害事件%'")[
        "n"][0] == 0


def test_the_number_of_working_days_is_the_project_setting(sample_project_path, tmp_path):
    shutil.copy(sample_project_path, tmp_path / "p.gmp")
    project = open_project(tmp_path / "p.gmp")
    try:
        thresholds = project.thresholds().as_dict() | {"clue_verify_working_days": 6}
        project.set_settings({"thresholds": thresholds})
        shape, _, _ = footprint(project)
        result = EventService(ProjectSession(project, user=USER)).register(
            drawn_footprint(shape), DAY, "洪涝", as_of=AS_OF)
        # The sixth working day after Fri 09-26 is the adjusted working Saturday 10-11.
        assert set(result.clues.frame["due_on"]) == {dt.date(2025, 10, 11)}
        assert set(result.clues.frame["days_overdue"]) == {2}
        project.set_settings({"thresholds": thresholds | {"clue_verify_working_days": 0}})
        with pytest.raises(ValueError, match="线索核实期限无效：0"):
            load_clues(project, AS_OF)
    finally:
        project.close()


def test_an_event_visit_list_prints_as_a_verification_task(sample_project_path, tmp_path):
    import openpyxl

    from gis_app.reports.visit_list import write_visit_list_excel

    shutil.copy(sample_project_path, tmp_path / "p.gmp")
    project = open_project(tmp_path / "p.gmp")
    try:
        shape, _, _ = footprint(project)
        result = EventService(ProjectSession(project, user=USER)).register(
            drawn_footprint(shape), DAY, "洪涝")
        lists, _ = event_visit_lists(project, result.event_id, dt.date(2025, 10, 1))
        visits = max(lists, key=lambda v: v.count)
        write_visit_list_excel(visits, tmp_path / "list.xlsx")
        sheet = openpyxl.load_workbook(tmp_path / "list.xlsx", read_only=True).worksheets[0]
        text = "\n".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c)
        assert f"核实任务：{result.name}风险线索核实（2025-09-26 至 2025-10-10）" in text
        assert text.count("待核实（期限2025-10-10）") == visits.count
    finally:
        project.close()
