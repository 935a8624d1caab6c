"""Grid edits on the sample county: households by place, assignments follow, one undo step each.

Every result is checked against the stored tables read back on their own (geopandas ``within``
on the stored polygons, plain SQL for assignments and the audit log), and undo against full
snapshots of the tables taken before the edit (every column but ``version``, which only grows).
Edits made meanwhile by another session refuse the edit, or its undo, and write nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil

import geopandas as gpd
import numpy as np
import pytest
import shapely
from sqlalchemy import text

from gis_app.services.assignment_service import AssignmentService
from gis_app.services.grid_edit_service import GridEditError, GridEditService
from gis_app.services.session import ProjectSession
from gis_app.storage.project import open_project
from gis_app.storage.uow import StaleEditError

#: CGCS2000 / 3-degree Gauss–Krüger zone 37 (central meridian 111°E, where the sample lies).
GK37 = 4525
USER = "测试员"
TODAY = dt.date.today()


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture
def project(sample_project_path, tmp_path):
    """A private copy of the sample project (SQLite)."""
    shutil.copy(sample_project_path, tmp_path / "p.gmp")
    project = open_project(tmp_path / "p.gmp")
    yield project
    project.close()


@pytest.fixture(params=["sqlite", "postgis"])
def any_project(request, sample_project_path, tmp_path):
    """The sample county as a SQLite file and in a fresh PostGIS database."""
    if request.param == "sqlite":
        shutil.copy(sample_project_path, tmp_path / "p.gmp")
        project = open_project(tmp_path / "p.gmp")
    else:
        from gis_app.services.sample_service import create_sample_project

        project = create_sample_project(request.getfixturevalue("pg_url"))
    yield project
    project.close()


# ----------------------------------------------------------------------------- reading back


def rows(project, sql, **params) -> list:
    with project.engine.connect() as connection:
        return connection.execute(text(sql), params).all()


def scalar(project, sql, **params):
    with project.engine.connect() as connection:
        return connection.execute(text(sql), params).scalar()


def execute(project, sql, **params) -> None:
    with project.engine.begin() as connection:
        connection.execute(text(sql), params)


def snapshot(project) -> dict:
    """Every row of the edited tables, all columns but ``version``, by id (geometry as stored).

    Versions only grow (an undo bumps them too), so an undone edit leaves every value as it
    was but the versions.
    """
    tables = ("grid", "household", "grid_assignment", "worker", "admin_unit")
    return {t: [{k: v for k, v in r._asdict().items() if k != "version"}
                for r in rows(project, f"SELECT * FROM {t} ORDER BY id")] for t in tables}


def versions(project, table) -> dict:
    return dict(rows(project, f"SELECT id, version FROM {table}"))


def edits(project) -> list:
    """The ``edit`` rows (one per unit of work), oldest first."""
    return rows(project, "SELECT id, user_name, label, undoes FROM edit ORDER BY id")


def service_of(project, user=USER) -> GridEditService:
    """A grid edit service on a new session of ``project``."""
    return GridEditService(ProjectSession(project, user=user))


def grids(project, where="level = 3") -> gpd.GeoDataFrame:
    found = rows(project, f"SELECT id, code, name, level, parent_id, admin_unit_id, geom "
                          f"FROM grid WHERE {where} ORDER BY id")
    return gpd.GeoDataFrame(
        {"id": [r.id for r in found], "code": [r.code for r in found],
         "name": [r.name for r in found], "parent_id": [r.parent_id for r in found],
         "admin_unit_id": [r.admin_unit_id for r in found]},
        geometry=shapely.from_wkb([r.geom for r in found]), crs=4490)


def village_shape(project, village_id):
    return shapely.from_wkb(scalar(project, "SELECT geom FROM admin_unit WHERE id=:v",
                                   v=village_id))


def households(project, where="1=1") -> gpd.GeoDataFrame:
    found = rows(project, f"SELECT id, grid_id, grid_override, lon, lat FROM household "
                          f"WHERE {where} ORDER BY id")
    lon = np.array([np.nan if r.lon is None else r.lon for r in found])
    lat = np.array([np.nan if r.lat is None else r.lat for r in found])
    return gpd.GeoDataFrame(
        {"id": [r.id for r in found], "grid_id": [r.grid_id for r in found],
         "override": [bool(r.grid_override) for r in found]},
        geometry=gpd.points_from_xy(lon, lat), crs=4490)


def containing_grid(points: gpd.GeoDataFrame, polygons: gpd.GeoDataFrame):
    """Household id → id of the stored polygon that contains it (geopandas ``within``)."""
    located = points[~points.geometry.is_empty & points.geometry.x.notna()]
    joined = gpd.sjoin(located[["id", "geometry"]], polygons[["id", "geometry"]].rename(
        columns={"id": "grid"}), predicate="within")
    assert not joined["id"].duplicated().any()  # no household on two grids
    return joined.set_index("id")["grid"]


def audit(project, action):
    return rows(project, "SELECT user_name, table_name, row_id, details FROM audit_log "
                         "WHERE action=:a ORDER BY id", a=action)


def open_roles(project, grid_id) -> set:
    """(worker, role) of the assignments in force today: started, and not ended by today."""
    return {(r.worker_id, r.role) for r in rows(
        project, "SELECT worker_id, role FROM grid_assignment WHERE grid_id=:g "
                 "AND start_date <= :d AND (end_date IS NULL OR end_date > :d)",
        g=grid_id, d=TODAY)}


def assert_tiles(parts, whole, rel=1e-9, slack=1.0):
    """The parts tile the whole: in GK metres nothing overlaps, sticks out or is missing by
    ``slack`` m² (the sample's own grids miss their village by a fraction of a m²)."""
    gk = gpd.GeoSeries(list(parts), crs=4490).to_crs(GK37).values
    gk_whole = gpd.GeoSeries([whole], crs=4490).to_crs(GK37).iloc[0]
    union = shapely.union_all(gk)
    assert shapely.area(gk).sum() == pytest.approx(gk_whole.area, rel=rel)
    assert shapely.difference(union, gk_whole).area < slack
    assert shapely.difference(gk_whole, union).area < slack
    left, right = np.triu_indices(len(gk), 1)
    assert shapely.area(shapely.intersection(gk[left], gk[right])).max(initial=0.0) < 1.0


def neighbours(frame: gpd.GeoDataFrame) -> list[tuple[int, int]]:
    """Pairs of grid ids sharing a border of positive length."""
    geoms, ids = frame.geometry.values, frame["id"].to_numpy()
    left, right = np.triu_indices(len(frame), 1)
    shared = shapely.length(shapely.intersection(geoms[left], geoms[right])) > 0
    return [(int(ids[i]), int(ids[j])) for i, j in zip(left[shared], right[shared], strict=True)]


def busiest_grid(project) -> int:
    """The level-3 grid with the most households."""
    return scalar(project, "SELECT h.grid_id FROM household h JOIN grid g ON g.id=h.grid_id "
                           "WHERE g.level=3 GROUP BY h.grid_id ORDER BY count(*) DESC, h.grid_id "
                           "LIMIT 1")


def village_of(project, grid_id) -> int:
    return scalar(project, "SELECT admin_unit_id FROM grid WHERE id=:g", g=grid_id)


# ----------------------------------------------------------------------------- split


def test_balanced_split_places_households_and_copies_assignments(any_project):
    project = any_project
    grid_id = busiest_grid(project)
    # Manual placements in the grid: they must stay whichever part their point falls in.
    pinned = [r.id for r in rows(project, "SELECT id FROM household WHERE grid_id=:g "
                                          "AND lon IS NOT NULL ORDER BY id LIMIT 12", g=grid_id)]
    execute(project, f"UPDATE household SET grid_override=:t WHERE id IN "
                     f"({','.join(map(str, pinned))})", t=True)
    original = grids(project, f"id = {grid_id}").iloc[0]
    roles = open_roles(project, grid_id)
    assert roles  # the sample's grids have workers
    members = households(project, f"grid_id = {grid_id}")
    before = snapshot(project)
    service = service_of(project)

    seen = []
    edit = service.split_balanced(grid_id, 4, progress=lambda done, total: seen.append(done))

    assert seen and edit.changed == [grid_id] and len(edit.created) == 3 and not edit.removed
    parts = grids(project, f"id IN ({','.join(map(str, [grid_id, *edit.created]))})")
    kept = parts.set_index("id").loc[grid_id]
    assert kept["code"] == original["code"] and kept["name"] == original["name"]
    # The grid keeps the largest part; the parts tile the old grid exactly.
    areas = parts.to_crs(GK37).area.to_numpy()
    assert areas[parts["id"].to_numpy() == grid_id][0] == areas.max()
    assert_tiles(parts.geometry, original.geometry)
    # New grids: same village and parent, fresh codes in the county's scheme.
    village_code = scalar(project, "SELECT code FROM admin_unit WHERE id=:v",
                          v=int(original["admin_unit_id"]))
    new = parts[parts["id"] != grid_id]
    assert (new["parent_id"] == original["parent_id"]).all()
    assert (new["admin_unit_id"] == original["admin_unit_id"]).all()
    assert all(re.fullmatch(rf"G3-{village_code}-\d\d", c) for c in new["code"])
    assert scalar(project, "SELECT count(DISTINCT code) FROM grid") == scalar(
        project, "SELECT count(*) FROM grid")
    assert all(re.fullmatch(r".+村第\d+网格", n) for n in new["name"])
    # Households: where their point lies, except the manual placement.
    after = households(project, f"id IN ({','.join(map(str, members['id']))})").set_index("id")
    inside = containing_grid(members, parts)
    follows = inside.index[~inside.index.isin(pinned)]
    assert (after.loc[follows, "grid_id"] == inside.loc[follows]).all()
    assert (after.loc[pinned, "grid_id"] == grid_id).all()
    assert (inside.loc[pinned] != grid_id).any()  # some would have moved but for the override
    by_place = inside.value_counts()  # balanced by location (the pinned ones stay behind)
    assert len(by_place) == 4 and by_place.max() - by_place.min() <= 2
    assert edit.households_moved == int((after["grid_id"] != grid_id).sum()) > 0
    # The grid's workers cover every part, from today, assigned by the user.
    for part in edit.created:
        assert open_roles(project, part) == roles
    assert {(r.start_date if isinstance(r.start_date, dt.date) else
             dt.date.fromisoformat(r.start_date), r.assigned_by)
            for r in rows(project, "SELECT start_date, assigned_by FROM grid_assignment "
                                   f"WHERE grid_id IN ({','.join(map(str, edit.created))})")
            } == {(TODAY, USER)}
    # One edit: a note naming the codes and an audit row per row it changed.
    (log,) = audit(project, "split_grid")
    details = json.loads(log.details)
    assert log.user_name == USER and details["grid"] == original["code"]
    assert sorted(details["new"]) == sorted(new["code"])
    (done,) = edits(project)[-1:]
    assert (done.user_name, done.label, done.undoes) == (USER, edit.label, None)
    assert edit.changes.edit_id == done.id
    changed = dict(((r.action, r.table_name), r.n) for r in rows(
        project, "SELECT action, table_name, count(*) AS n FROM audit_log WHERE edit_id=:e "
                 "GROUP BY action, table_name", e=done.id))
    assert changed == {("update", "grid"): 1, ("insert", "grid"): 3,
                       ("update", "household"): edit.households_moved,
                       ("insert", "grid_assignment"): 3 * len(roles),
                       ("split_grid", "grid"): 1}
    assert edit.changes["grid"].inserted == set(edit.created)
    assert edit.changes["grid"].updated == {grid_id}
    assert edit.changes["household"].updated == set(
        after.index[after["grid_id"] != grid_id])
    # One undo step that restores every value (versions move on).
    session = service.session
    assert session.can_undo() and session.undo_label() == edit.label
    grid_version = versions(project, "grid")[grid_id]
    assert session.undo().label == f"撤销：{edit.label}"
    assert snapshot(project) == before
    assert versions(project, "grid")[grid_id] == grid_version + 1
    assert not session.can_undo() and edits(project)[-1].undoes == done.id


def test_split_by_line_cuts_along_the_line(project):
    grid_id = busiest_grid(project)
    original = grids(project, f"id = {grid_id}").iloc[0]
    west, south, east, north = original.geometry.bounds
    middle = (south + north) / 2
    line = shapely.LineString([(west - 0.01, middle), (east + 0.01, middle)])
    before = snapshot(project)
    service = service_of(project)

    edit = service.split_by_line(grid_id, line)

    parts = grids(project, f"id IN ({','.join(map(str, [grid_id, *edit.created]))})")
    assert len(parts) >= 2
    assert_tiles(parts.geometry, original.geometry)
    # Each part, and each of its households, lies on one side of the line, which is straight
    # on the (Gauss–Krüger) map.
    (x0, y0), (x1, y1) = gpd.GeoSeries([line], crs=4490).to_crs(GK37).iloc[0].coords

    def side(xy):  # metres left of the line
        return ((x1 - x0) * (xy[:, 1] - y0) - (y1 - y0) * (xy[:, 0] - x0)) / np.hypot(
            x1 - x0, y1 - y0)

    north_of = {}
    for grid_id_, shape in zip(parts["id"], parts.to_crs(GK37).geometry, strict=True):
        offsets = side(shapely.get_coordinates(shape))
        assert (offsets > -1e-3).all() or (offsets < 1e-3).all()
        north_of[grid_id_] = offsets.sum() > 0
    after = households(project, f"grid_id IN ({','.join(map(str, parts['id']))})")
    located = after[after.geometry.y.notna() & ~after["override"]].to_crs(GK37)
    xy = np.c_[located.geometry.x, located.geometry.y]
    assert len(xy) and ((side(xy) > 0) == located["grid_id"].map(north_of)).all()
    assert len(audit(project, "split_grid")) == 1
    service.session.undo()
    assert snapshot(project) == before


@pytest.mark.parametrize(("how", "message"), [
    ("line_inside", "没有完整穿过"),
    ("line_misses", "没有完整穿过"),
    ("point", "必须是线"),
    ("metres", "中国范围"),
    ("one_part", "至少为 2"),
    ("too_many", "不能分成"),
    ("text_count", "必须是整数"),
    ("level2", "三级网格"),
    ("unknown", "不存在"),
])
def test_split_refuses_bad_input_and_writes_nothing(project, how, message):
    grid_id = busiest_grid(project)
    shape = grids(project, f"id = {grid_id}").geometry.iloc[0]
    centre = shape.representative_point()
    west, south, east, north = shape.bounds
    service = service_of(project)
    before, done = snapshot(project), len(edits(project))
    calls = {
        "line_inside": lambda: service.split_by_line(
            grid_id, shapely.LineString([(west - 0.01, centre.y), (centre.x, centre.y)])),
        "line_misses": lambda: service.split_by_line(
            grid_id, shapely.LineString([(west - 0.02, north + 0.01), (east, north + 0.02)])),
        "point": lambda: service.split_by_line(grid_id, centre),
        "metres": lambda: service.split_by_line(
            grid_id, shapely.LineString([(37_500_000, 2_988_000), (37_600_000, 2_988_000)])),
        "one_part": lambda: service.split_balanced(grid_id, 1),
        "too_many": lambda: service.split_balanced(grid_id, 10_000),
        "text_count": lambda: service.split_balanced(grid_id, "3"),
        "level2": lambda: service.split_balanced(
            scalar(project, "SELECT min(id) FROM grid WHERE level=2"), 2),
        "unknown": lambda: service.split_balanced(999_999, 2),
    }
    with pytest.raises(GridEditError, match=message):
        calls[how]()
    assert snapshot(project) == before
    assert not service.session.can_undo() and not audit(project, "split_grid")
    assert len(edits(project)) == done


# ----------------------------------------------------------------------------- merge


def test_merge_moves_households_and_history_to_the_fuller_grid(any_project):
    project = any_project
    level3 = grids(project)
    village = int(level3["admin_unit_id"].value_counts().idxmax())
    one, two = neighbours(level3[level3["admin_unit_id"] == village])[0]
    count = dict(rows(project, f"SELECT grid_id, count(*) FROM household "
                               f"WHERE grid_id IN ({one},{two}) GROUP BY grid_id"))
    kept, gone = (one, two) if (count[one], -one) >= (count[two], -two) else (two, one)
    # History on the grid going away, a manual placement in it, and a worker holding the same
    # role on both grids (whose row on the merged-away grid must end rather than double).
    worker, role = next(iter(open_roles(project, kept)))
    execute(project, "INSERT INTO grid_assignment (worker_id, grid_id, role, start_date, "
                     "end_date, assigned_by, version) VALUES (:w, :g, :r, :s, :e, 'x', 1)",
            w=worker, g=gone, r=role, s=dt.date(2020, 1, 1), e=dt.date(2021, 1, 1))
    execute(project, "INSERT INTO grid_assignment (worker_id, grid_id, role, start_date, "
                     "assigned_by, version) VALUES (:w, :g, :r, :s, 'x', 1)",
            w=worker, g=gone, r=role, s=dt.date(2022, 1, 1))
    pinned = scalar(project, "SELECT min(id) FROM household WHERE grid_id=:g", g=gone)
    execute(project, "UPDATE household SET grid_override=:t WHERE id=:h", t=True, h=pinned)
    shapes = grids(project, f"id IN ({one},{two})")
    members = set(households(project, f"grid_id IN ({one},{two})")["id"])
    history = rows(project, f"SELECT id, worker_id, role, end_date FROM grid_assignment "
                            f"WHERE grid_id = {gone}")
    kept_open = open_roles(project, kept)
    before = snapshot(project)
    service = service_of(project)

    edit = service.merge([two, one])

    assert edit.changed == [kept] and edit.removed == [gone] and not edit.created
    assert scalar(project, "SELECT count(*) FROM grid WHERE id=:g", g=gone) == 0
    merged = grids(project, f"id = {kept}").geometry.iloc[0]
    assert_tiles([merged], shapely.union_all(shapes.geometry.values))
    after = households(project, f"grid_id = {kept}")
    assert set(after["id"]) == members and edit.households_moved == count[gone]
    assert after.set_index("id").loc[pinned, "override"]
    # Every row of the old grid, closed ones too, now points at the kept grid.
    listed = ",".join(str(h.id) for h in history)
    moved = {r.id: r for r in rows(project, "SELECT id, grid_id, end_date FROM grid_assignment "
                                            f"WHERE id IN ({listed})")}
    assert {r.grid_id for r in moved.values()} == {kept}
    for row in history:
        ended = moved[row.id].end_date
        ended = dt.date.fromisoformat(ended) if isinstance(ended, str) else ended
        if row.end_date is not None:
            assert str(ended) == str(row.end_date)  # history untouched
        elif (row.worker_id, row.role) in kept_open:
            assert ended == TODAY  # a duplicate ends
        else:
            assert ended is None
    assert open_roles(project, kept) == kept_open | {(h.worker_id, h.role) for h in history
                                                     if h.end_date is None}
    (log,) = audit(project, "merge_grids")
    codes = dict(zip(shapes["id"], shapes["code"], strict=True))
    assert json.loads(log.details)["merged"] == [codes[gone]]
    assert edit.changes["grid"].deleted == {gone} and edit.changes["grid"].updated == {kept}
    service.session.undo()
    assert snapshot(project) == before


def test_merge_refuses_bad_selections(project):
    level3 = grids(project)
    village = int(level3["admin_unit_id"].value_counts().idxmax())
    mine = level3[level3["admin_unit_id"] == village]
    touching = set(neighbours(mine))
    apart = next((a, b) for a in mine["id"] for b in mine["id"]
                 if a < b and (a, b) not in touching
                 and not shapely.intersects(*grids(project, f"id IN ({a},{b})").geometry))
    other = int(level3.loc[level3["admin_unit_id"] != village, "id"].iloc[0])
    level2 = scalar(project, "SELECT min(id) FROM grid WHERE level=2")
    service = service_of(project)
    before = snapshot(project)
    for ids, message in [(list(apart), "不相邻"), ([int(mine["id"].iloc[0]), other], "同一个村"),
                         ([int(mine["id"].iloc[0])], "至少选择两个"),
                         ([int(mine["id"].iloc[0]), level2], "三级网格"),
                         ([int(mine["id"].iloc[0]), 999_999], "不存在")]:
        with pytest.raises(GridEditError, match=message):
            service.merge(ids)
    assert snapshot(project) == before and not service.session.can_undo()


# ----------------------------------------------------------------------------- add


def test_add_grid_cuts_it_out_of_the_village(any_project):
    project = any_project
    level3 = grids(project)
    village = int(level3["admin_unit_id"].value_counts().idxmax())
    mine = level3[level3["admin_unit_id"] == village]
    one, two = neighbours(mine)[0]
    shapes = mine.set_index("id").geometry
    border = shapely.intersection(shapes[one], shapes[two])
    spot = border.interpolate(0.5, normalized=True)
    drawn = gpd.GeoSeries([spot], crs=4490).to_crs(GK37).buffer(330).to_crs(4490).iloc[0]
    whole = village_shape(project, village)
    assert_tiles(mine.geometry, whole, rel=1e-6, slack=5.0)  # the sample tiles its villages
    candidates = households(project, f"grid_id IN ({','.join(map(str, mine['id']))})")
    pinned = int(candidates[candidates.within(drawn)]["id"].min())
    execute(project, "UPDATE household SET grid_override=:t WHERE id=:h", t=True, h=pinned)
    before = snapshot(project)
    before_households = households(project).set_index("id")
    service = service_of(project)

    edit = service.add_grid(drawn, name="新建网格")

    (grid_id,) = edit.created
    assert {one, two} <= set(edit.changed) and not edit.removed
    assert set(edit.changed) == set(mine["id"][mine.intersects(drawn.buffer(-1e-7))])
    new = grids(project, f"id = {grid_id}").iloc[0]
    assert new["name"] == "新建网格" and new["admin_unit_id"] == village
    village_code = scalar(project, "SELECT code FROM admin_unit WHERE id=:v", v=village)
    assert re.fullmatch(rf"G3-{village_code}-\d\d", new["code"])
    # The new grid is the drawing clipped to the village; the village is still tiled.
    gk = gpd.GeoSeries([new.geometry, drawn.intersection(whole)], crs=4490).to_crs(GK37).values
    assert gk[0].area == pytest.approx(gk[1].area, rel=1e-6)
    now = grids(project, f"level = 3 AND admin_unit_id = {village}").geometry
    assert_tiles(now, whole, rel=1e-6, slack=5.0)
    # In lon/lat, exactly what the grids covered before (the new vertices on old straight edges
    # move those edges in GK by the bow between the projections, so GK areas shift by < 1 m²).
    geoms = now.to_numpy()
    assert shapely.area(geoms).sum() == pytest.approx(
        shapely.union_all(mine.geometry.values).area, rel=1e-9)
    assert shapely.union_all(geoms).area == pytest.approx(shapely.area(geoms).sum(), rel=1e-9)
    # Households inside it moved there (manual placements stay), the others did not move.
    after = households(project).set_index("id")
    located = containing_grid(households(project), grids(project, f"id = {grid_id}"))
    inside = located.index[~before_households.loc[located.index, "override"]]
    assert len(inside) > 0 and (after.loc[inside, "grid_id"] == grid_id).all()
    assert pinned in located.index and after.loc[pinned, "grid_id"] == before_households.loc[
        pinned, "grid_id"]
    changed = after.index[after["grid_id"].ne(before_households["grid_id"])
                          & after["grid_id"].notna()]
    assert set(changed) == set(inside) and edit.households_moved == len(inside)
    assert not open_roles(project, grid_id)
    assert len(audit(project, "add_grid")) == 1
    assert edit.label == "新增网格新建网格" == edits(project)[-1].label
    service.session.undo()
    assert snapshot(project) == before


def test_add_grid_refuses_bad_drawings(project):
    level3 = grids(project)
    first = level3.iloc[0]
    bowtie = shapely.Polygon([(111.0, 27.0), (111.01, 27.01), (111.01, 27.0), (111.0, 27.01)])
    swallow = first.geometry.buffer(1e-4)  # covers a whole grid
    service = service_of(project)
    before = snapshot(project)
    for drawn, message in [(shapely.box(100.0, 30.0, 100.01, 30.01), "不在任何村"),
                           (bowtie, "无效"),
                           (shapely.LineString([(111.0, 27.0), (111.1, 27.1)]), "必须是面"),
                           (shapely.Polygon(), "空"),
                           (shapely.box(37_500_000, 2_988_000, 37_500_100, 2_988_100),
                            "中国范围"),
                           (swallow, "合并")]:
        with pytest.raises(GridEditError, match=message):
            service.add_grid(drawn)
    with pytest.raises(GridEditError, match="名称"):
        service.add_grid(first.geometry.representative_point().buffer(1e-4), name="  ")
    assert snapshot(project) == before and not service.session.can_undo()


# ----------------------------------------------------------------------------- rebalance


def _busy_village(project) -> int:
    return scalar(project, "SELECT admin_unit_id FROM grid WHERE level=3 GROUP BY admin_unit_id "
                           "ORDER BY count(*) DESC, admin_unit_id LIMIT 1")


def _check_applied(project, village, proposal, edit, old_codes, old_ids):
    now = grids(project, f"level = 3 AND admin_unit_id = {village}")
    assert len(now) == len(proposal.grids)
    assert_tiles(now.geometry, village_shape(project, village), rel=1e-6, slack=5.0)
    # The village's old codes carry the first parts, in order; removed grids are gone.
    kept_codes = sorted(old_codes)[: len(now)]
    assert set(kept_codes) <= set(now["code"])
    assert set(edit.removed) == set(old_ids) - set(now["id"])
    for grid_id in edit.removed:
        assert scalar(project, "SELECT count(*) FROM grid_assignment WHERE grid_id=:g",
                      g=grid_id) == 0
    # Each grid's only open 三级网格员 is the proposal's worker for the part it holds.
    part_of = {}
    for part in proposal.grids.itertuples():
        match = now[shapely.equals_exact(now.geometry.values, shapely.normalize(
            part.geometry), 1e-12) | shapely.equals(now.geometry.values, part.geometry)]
        assert len(match) == 1
        grid_id = int(match["id"].iloc[0])
        part_of[part.part] = grid_id
        workers = [r.worker_id for r in rows(
            project, "SELECT worker_id FROM grid_assignment WHERE grid_id=:g "
                     "AND role='三级网格员' AND end_date IS NULL", g=grid_id)]
        assert workers == [part.worker]
    # Households: in the part the proposal gave them, which is where their point lies.
    members = households(project, f"id IN ({','.join(map(str, proposal.household_ids))})")
    members = members.set_index("id").loc[proposal.household_ids]
    placed = proposal.assignment >= 0
    free = placed & ~members["override"].to_numpy()
    expected = np.array([part_of.get(p, -1) for p in proposal.assignment])
    assert (members["grid_id"].to_numpy()[free] == expected[free]).all()
    inside = containing_grid(members.reset_index(), now)
    assert (members.loc[inside.index[~members.loc[inside.index, "override"]], "grid_id"]
            == inside[~members.loc[inside.index, "override"]]).all()


@pytest.mark.parametrize("mode", ["fewer", "more"])
def test_apply_rebalance_replaces_the_village_grids(any_project, mode):
    project = any_project
    village = _busy_village(project)
    old = grids(project, f"level = 3 AND admin_unit_id = {village}")
    service = service_of(project)
    workers = sorted({w for g in old["id"] for w, r in open_roles(project, g)
                      if r == "三级网格员"})
    if mode == "fewer":  # one worker with a high limit: grids go away
        proposal = service.propose_rebalance(village, household_limit=10_000,
                                             worker_ids=workers[:1])
        assert len(proposal.grids) == 1
    else:  # a low limit: more grids than today
        proposal = service.propose_rebalance(village, household_limit=30)
        assert len(proposal.grids) > len(old) and proposal.warnings
    # Manual placements in the first grid, which stays (its code carries the first part).
    first = int(old.sort_values("code")["id"].iloc[0])
    pinned = [r.id for r in rows(project, "SELECT id FROM household WHERE grid_id=:g "
                                          "ORDER BY id LIMIT 12", g=first)]
    execute(project, f"UPDATE household SET grid_override=:t WHERE id IN "
                     f"({','.join(map(str, pinned))})", t=True)
    assignments = scalar(project, "SELECT count(*) FROM grid_assignment")
    before = snapshot(project)

    edit = service.apply_proposal(village, proposal)

    assert first in edit.changed
    stayed = households(project, f"id IN ({','.join(map(str, pinned))})")
    assert (stayed["grid_id"] == first).all()
    position = {int(h): i for i, h in enumerate(proposal.household_ids)}
    parts = proposal.assignment[[position[h] for h in pinned]]
    assert mode == "fewer" or (parts != 0).any()  # the proposal would have moved some

    _check_applied(project, village, proposal, edit, list(old["code"]), list(old["id"]))
    # Rows are never deleted: history stays, only new 三级网格员 rows are added.
    assert scalar(project, "SELECT count(*) FROM grid_assignment") >= assignments
    (log,) = audit(project, "apply_rebalance")
    assert json.loads(log.details)["workers"] == list(proposal.grids["worker"])
    service.session.undo()
    assert snapshot(project) == before


def test_default_proposal_uses_the_village_workers_and_limit(project):
    village = _busy_village(project)
    old = grids(project, f"level = 3 AND admin_unit_id = {village}")
    workers = {w for g in old["id"] for w, r in open_roles(project, g) if r == "三级网格员"}
    count = scalar(project, f"SELECT count(*) FROM household WHERE grid_id IN "
                            f"({','.join(map(str, old['id']))})")
    proposal = service_of(project).propose_rebalance(village)
    assert set(proposal.loads) == workers
    assert len(proposal.grids) == max(len(workers), -(-count // 100))
    assert sum(proposal.loads.values()) == (proposal.assignment >= 0).sum()


def test_rebalance_refuses_bad_input_and_stale_proposals(project):
    village = _busy_village(project)
    service = service_of(project)
    retired = scalar(project, "SELECT min(id) FROM worker")
    execute(project, "UPDATE worker SET active=:f WHERE id=:w", f=False, w=retired)
    for kwargs, message in [({"worker_ids": [retired]}, "已退出"),
                            ({"worker_ids": [999_999]}, "不存在"),
                            ({"worker_ids": []}, "没有网格员"),
                            ({"household_limit": 0}, "至少为 1")]:
        with pytest.raises(GridEditError, match=message):
            service.propose_rebalance(village, **kwargs)
    with pytest.raises(GridEditError, match="村不存在"):
        service.propose_rebalance(999_999)
    proposal = service.propose_rebalance(village)
    other = scalar(project, "SELECT min(id) FROM admin_unit WHERE level=3 AND id<>:v", v=village)
    before = snapshot(project)
    with pytest.raises(GridEditError, match="不是为这个村"):
        service.apply_proposal(other, proposal)
    assert snapshot(project) == before
    # A household moved into the village after the proposal was made: it has no part.
    first = int(grids(project, f"level = 3 AND admin_unit_id = {village}")["id"].iloc[0])
    execute(project, "UPDATE household SET grid_id=:g WHERE id = (SELECT min(id) FROM "
                     "household WHERE village_id<>:v)", g=first, v=village)
    before = snapshot(project)
    with pytest.raises(GridEditError, match="重新生成"):
        service.apply_proposal(village, proposal)
    assert snapshot(project) == before and not service.session.can_undo()


# ----------------------------------------------------------------------------- shared session


def test_assignment_then_split_are_undone_in_reverse_order(project):
    session = ProjectSession(project, user=USER)
    assignments = AssignmentService(session)
    grid_edits = GridEditService(session)
    grid_id = busiest_grid(project)
    worker = assignments.add_worker("新网格员", "13912345678")
    before = snapshot(project)

    assignments.assign([worker], [grid_id], "网格员")
    after_assign = snapshot(project)
    edit = grid_edits.split_balanced(grid_id, 2)
    # The new worker follows the grid onto its new part.
    assert (worker, "网格员") in open_roles(project, edit.created[0])
    # The session shows what the store holds.
    assert set(edit.created) <= set(session.grids["id"])
    stored = dict(rows(project, "SELECT id, grid_id FROM household WHERE grid_id IS NOT NULL"))
    shown = session.households.dropna(subset=["grid_id"])
    assert dict(zip(shown["id"], shown["grid_id"].astype(int), strict=True)) == stored

    assert session.undo_label() == edit.label
    assert session.undo().label == f"撤销：{edit.label}"
    assert snapshot(project) == after_assign
    assert not set(edit.created) & set(session.grids["id"])
    assert session.undo_label().startswith("分配")
    session.undo()  # the assignment, made through another service of the same session
    assert snapshot(project) == before and session.undo_label().startswith("添加网格员")
    assert [e.undoes is not None for e in edits(project)][-2:] == [True, True]


# ----------------------------------------------------------------------------- other sessions


@pytest.fixture
def other_project(any_project):
    """The same store opened a second time, as another user's window would."""
    other = open_project(any_project.location)
    yield other
    other.close()


def test_split_of_a_grid_another_session_split_is_refused(any_project, other_project):
    project = any_project
    grid_id = busiest_grid(project)
    mine = service_of(project)
    assert grid_id in set(mine.session.grids["id"])  # what the window shows
    shape = grids(project, f"id = {grid_id}").geometry.iloc[0]
    west, south, east, north = shape.bounds
    line = shapely.LineString([(west - 0.01, (south + north) / 2),
                               (east + 0.01, (south + north) / 2)])
    theirs = service_of(other_project, user="李四").split_by_line(grid_id, line)
    assert theirs.changed == [grid_id]
    before, done = snapshot(project), len(edits(project))
    code = scalar(project, "SELECT code FROM grid WHERE id=:g", g=grid_id)
    name = scalar(project, "SELECT name FROM grid WHERE id=:g", g=grid_id)

    with pytest.raises(StaleEditError) as refused:
        mine.split_balanced(grid_id, 2)

    assert re.fullmatch(rf"网格“{name}”（{code}）已被李四于\d{{4}}-\d\d-\d\d \d\d:\d\d修改，"
                        "本次操作未保存，请刷新后重试", str(refused.value))
    assert snapshot(project) == before and len(edits(project)) == done
    assert not mine.session.can_undo()


def test_split_refused_when_another_session_changes_the_grid_during_it(any_project,
                                                                       other_project):
    project = any_project
    grid_id = busiest_grid(project)
    mine = service_of(project)
    theirs = ProjectSession(other_project, user="李四")
    version = int(theirs.grids.set_index("id").loc[grid_id, "version"])

    def meanwhile(done, total):  # while the parts are computed, the other user saves
        if not edits(project) or edits(project)[-1].user_name != "李四":
            with theirs.edit("重命名网格") as uow:
                uow.update("grid", grid_id, version, name="别人改的网格")

    assert len(mine.session.grids)
    before, done = snapshot(project), len(edits(project))
    with pytest.raises(StaleEditError, match="网格“别人改的网格”.*已被李四于.*修改"):
        mine.split_balanced(grid_id, 3, progress=meanwhile)
    # Only the other user's rename was written.
    for row in before["grid"]:
        if row["id"] == grid_id:
            row["name"] = "别人改的网格"
    assert snapshot(project) == before
    assert len(edits(project)) == done + 1 and not mine.session.can_undo()


def test_merge_with_a_grid_another_session_renamed_is_refused(any_project, other_project):
    project = any_project
    level3 = grids(project)
    village = int(level3["admin_unit_id"].value_counts().idxmax())
    one, two = neighbours(level3[level3["admin_unit_id"] == village])[0]
    mine = service_of(project)
    assert len(mine.session.grids)  # the window has read the grids
    theirs = ProjectSession(other_project, user="李四")
    shown = theirs.grids.set_index("id")
    with theirs.edit("重命名网格") as uow:
        uow.update("grid", two, int(shown.loc[two, "version"]), name="改名后的网格")
    before, done = snapshot(project), len(edits(project))

    with pytest.raises(StaleEditError, match="网格“改名后的网格”.*已被李四于.*修改"):
        mine.merge([one, two])

    assert snapshot(project) == before and len(edits(project)) == done
    # Once the session has read the change, the same merge goes through.
    mine.session.reload()
    edit = mine.merge([one, two])
    assert sorted([*edit.changed, *edit.removed]) == sorted([one, two])


def test_undo_after_another_session_moved_a_household_is_refused(any_project, other_project):
    project = any_project
    grid_id = busiest_grid(project)
    mine = service_of(project)
    edit = mine.split_balanced(grid_id, 2)
    household = min(edit.changes["household"].updated)
    theirs = ProjectSession(other_project, user="李四")
    version = int(theirs.households.set_index("id").loc[household, "version"])
    with theirs.edit("调整农户所属网格") as uow:
        uow.update("household", household, version, grid_id=grid_id, grid_override=True)
    before, done = snapshot(project), len(edits(project))
    head = scalar(project, "SELECT head_name FROM household WHERE id=:h", h=household)

    with pytest.raises(StaleEditError, match=f"农户“{head}”已被李四于.*修改"):
        mine.session.undo()

    assert snapshot(project) == before and len(edits(project)) == done
    assert mine.session.can_undo() and mine.session.undo_label() == edit.label
