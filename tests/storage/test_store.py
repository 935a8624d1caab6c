"""The store on both back ends: schema, bulk writes, reads, versions, PostGIS columns."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Polygon, box
from sqlalchemy import select, text

from gis_app.core.idcard import check_digit
from gis_app.storage import county_writer as cw
from gis_app.storage.models import Household, Worker
from gis_app.storage.project import ProjectError, open_project
from gis_app.storage.reader import load_grids, load_households, project_counts


def _id(seq: int) -> str:
    first = f"43059919800101{seq:03d}"
    return first + check_digit(first)


def _tiny_county():
    town = gpd.GeoDataFrame(
        {"code": ["430599101"], "name": ["青山乡"]},
        geometry=[shapely.MultiPolygon([box(111.0, 27.0, 111.2, 27.1)])],
        crs=4490,
    )
    villages = gpd.GeoDataFrame(
        {
            "code": ["430599101001", "430599101002"],
            "name": ["石桥村", "柳塘村"],
            "township_code": ["430599101"] * 2,
        },
        geometry=[
            shapely.MultiPolygon([box(111.0, 27.0, 111.1, 27.1)]),
            shapely.MultiPolygon([box(111.1, 27.0, 111.2, 27.1)]),
        ],
        crs=4490,
    )
    grids = gpd.GeoDataFrame(
        {
            "code": ["Z430599101", "G1-430599101", "G2-430599101001", "G3-430599101001-01"],
            "name": ["青山乡总网格", "青山乡一级网格", "石桥村二级网格", "石桥村第1网格"],
            "level": [0, 1, 2, 3],
            "parent_code": [None, "Z430599101", "G1-430599101", "G2-430599101001"],
            "admin_code": ["430599101", "430599101", "430599101001", "430599101001"],
        },
        geometry=[town.geometry[0]] * 2 + [villages.geometry[0]] * 2,
        crs=4490,
    )
    households = pd.DataFrame(
        {
            "head_name": ["张三", "李四", "王五"],
            "head_id_number": [_id(1), _id(2), _id(3)],
            "members": [3, 1, 5],
            "attribute": [1, 2, 3],
            "monitoring_type": [None, 2, None],
            "village_code": ["430599101001", "430599101001", "430599101002"],
            "grid_code": ["G3-430599101001-01", "G3-430599101001-01", None],
            "lon": [111.05, 111.06, np.nan],
            "lat": [27.05, 27.02, np.nan],
            "phone": ["13800000001", None, "13800000003"],
            "risk_eliminated_on": [None, dt.date(2023, 5, 1), None],
        }
    )
    return town, villages, grids, households


@pytest.fixture(params=["sqlite", "postgresql"])
def project(request, tmp_path):
    if request.param == "sqlite":
        location = str(tmp_path / "t.gmp")
    else:
        location = request.getfixturevalue("pg_url")
    project = open_project(location, create=True)
    yield project
    project.close()


def test_county_round_trip_through_the_store(project):
    town, villages, grids, households = _tiny_county()
    with project.engine.begin() as connection:
        cw.insert_admin_units(connection, {"code": "430599", "name": "青溪县"}, town, villages)
        cw.insert_grids(connection, grids)
        cw.insert_households(connection, households)
    counts = project_counts(project.engine)
    assert counts["townships"] == 1 and counts["villages"] == 2
    assert counts["grids"] == {"1": 1, "2": 1, "3": 1}
    assert counts["households"] == 3 and counts["persons"] == 9 and counts["monitored"] == 1

    read = load_households(project.engine).set_index("head_id_number")
    assert read.loc[_id(1), "head_name"] == "张三"
    assert read.loc[_id(1), "grid_code"] == "G3-430599101001-01"
    assert read.loc[_id(2), "monitoring_type"] == 2
    assert read.loc[_id(2), "risk_eliminated_on"] == dt.date(2023, 5, 1)
    # A household without coordinates stays where nobody put it: unknown, not at a centroid.
    assert np.isnan(read.loc[_id(3), "lon"]) and read.loc[_id(3), "location_source"] == "位置未知"
    assert read.loc[_id(3), "village"] == "柳塘村" and read.loc[_id(3), "township"] == "青山乡"

    level3 = load_grids(project.engine, 3)
    assert level3.crs.to_epsg() == 4490
    assert level3.geometry[0].equals(villages.geometry[0])
    assert level3["parent_code"][0] == "G2-430599101001"


def test_every_edit_bumps_the_version(project):
    with project.session() as session:
        worker = Worker(name="赵六", phone="13900000000")
        session.add(worker)
        session.commit()
        assert worker.version == 1
        worker.unit = "县农业农村局"
        session.commit()
        assert worker.version == 2


def test_stale_edit_is_refused(project):
    from sqlalchemy.orm.exc import StaleDataError

    with project.session() as session:
        session.add(Worker(name="甲", phone="13900000001"))
        session.commit()
    first, second = project.session(), project.session()
    a = first.scalars(select(Worker)).one()
    b = second.scalars(select(Worker)).one()
    a.unit = "乡政府"
    first.commit()
    b.unit = "县民政局"
    with pytest.raises(StaleDataError):
        second.commit()
    first.close()
    second.close()


def test_postgis_columns_are_real_geometry_with_index(pg_url):
    project = open_project(pg_url, create=True)
    town, villages, grids, households = _tiny_county()
    with project.engine.begin() as connection:
        cw.insert_admin_units(connection, {"code": "430599", "name": "青溪县"}, town, villages)
        cw.insert_grids(connection, grids)
        cw.insert_households(connection, households)
    with project.engine.connect() as connection:
        columns = dict(
            connection.execute(text("SELECT f_table_name, srid FROM geometry_columns")).all()
        )
        area = connection.execute(
            text(
                "SELECT ST_Area(ST_Transform(geom, 4525)) FROM admin_unit WHERE code='430599101001'"
            )
        ).scalar()
        indexes = {
            row[0]
            for row in connection.execute(
                text("SELECT indexname FROM pg_indexes WHERE indexdef LIKE '%gist%'")
            )
        }
        point = connection.execute(
            text("SELECT ST_X(geom), ST_Y(geom) FROM household WHERE head_name='张三'")
        ).one()
    assert columns["grid"] == 4490 and columns["household"] == 4490
    assert {"ix_grid_geom", "ix_household_geom", "ix_admin_unit_geom"} <= indexes
    assert point == pytest.approx((111.05, 27.05))
    # 0.1° x 0.1° at 27°N: about 9.9 km x 11.1 km
    assert 1.05e8 < area < 1.15e8
    # An ORM insert after the bulk load gets a fresh id (the sequence was moved on).
    with project.session() as session:
        session.add(
            Household(
                head_name="新户",
                head_id_number=_id(9),
                members=2,
                attribute=3,
                location_source="位置未知",
            )
        )
        session.commit()
    project.close()


def test_missing_project_file_is_a_clear_error(tmp_path):
    with pytest.raises(ProjectError, match="项目文件不存在"):
        open_project(tmp_path / "nope.gmp")


def test_a_file_that_is_not_a_project_is_refused(tmp_path):
    bogus = tmp_path / "notes.gmp"
    bogus.write_bytes(b"this is a text file, not a database" * 10)
    with pytest.raises(ProjectError, match="不是有效的项目文件"):
        open_project(bogus)


def test_polygons_with_holes_survive_storage(project):
    ring = Polygon(
        box(111.0, 27.0, 111.2, 27.1).exterior, [box(111.05, 27.02, 111.08, 27.04).exterior]
    )
    town = gpd.GeoDataFrame(
        {"code": ["430599101"], "name": ["青山乡"]},
        geometry=[shapely.MultiPolygon([ring])],
        crs=4490,
    )
    villages = gpd.GeoDataFrame(
        {"code": [], "name": [], "township_code": []}, geometry=[], crs=4490
    )
    with project.engine.begin() as connection:
        cw.insert_admin_units(connection, {"code": "430599", "name": "青溪县"}, town, villages)
    from gis_app.storage.reader import load_admin_units

    back = load_admin_units(project.engine, 2).geometry[0]
    assert back.equals(town.geometry[0]) and len(back.geoms[0].interiors) == 1


def test_schema_head_read_from_the_files_is_alembics_head(tmp_path):
    """Opening an up-to-date project skips Alembic: the head it compares with must be right."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from gis_app.storage import project as project_module

    config = Config()
    config.set_main_option("script_location",
                           str(Path(project_module.__file__).parent / "migrations"))
    assert project_module.schema_head() == ScriptDirectory.from_config(config).get_current_head()
    opened = project_module.open_project(tmp_path / "new.gmp", create=True)
    with opened.engine.connect() as connection:
        stored = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    opened.close()
    assert stored == project_module.schema_head()
