"""An event's footprint from files as counties send them, and the files that are refused.

Each accepted file gives the households a plain geopandas ``sjoin`` of the stored points with
the file's polygons (read back independently with pyogrio) finds; each refused one writes
nothing and says why in Chinese.
"""

from __future__ import annotations

import datetime as dt
import shutil

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from sqlalchemy import text

from gis_app.io.errors import InputFileError
from gis_app.services.event_service import EventService, read_footprint
from gis_app.services.session import ProjectSession
from gis_app.storage.project import open_project

DAY = dt.date(2025, 9, 26)


@pytest.fixture
def project(sample_project_path, tmp_path):
    shutil.copy(sample_project_path, tmp_path / "p.gmp")
    project = open_project(tmp_path / "p.gmp")
    yield project
    project.close()


def located(project) -> gpd.GeoDataFrame:
    with project.engine.connect() as connection:
        frame = pd.DataFrame(connection.execute(text(
            "SELECT id, lon, lat FROM household WHERE lon IS NOT NULL")).mappings().all())
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
                            crs=4490)


def inside(project, polygons: gpd.GeoDataFrame) -> set[int]:
    joined = gpd.sjoin(located(project), polygons.to_crs(4490)[["geometry"]],
                       predicate="intersects")
    return set(joined["id"].astype(int))


def landslides(project, count=4) -> gpd.GeoDataFrame:
    with project.engine.connect() as connection:
        zones = pd.DataFrame(connection.execute(text(
            "SELECT geom FROM hazard_zone WHERE kind = '滑坡' ORDER BY id")).all(),
            columns=["geom"])
    return gpd.GeoDataFrame({"灾害类型": ["滑坡"] * count},
                            geometry=shapely.from_wkb(zones["geom"].to_numpy()[:count]), crs=4490)


def register(project, path, **kwargs):
    footprint = read_footprint(path, **{k: v for k, v in kwargs.items() if k in ("crs",)})
    return footprint, EventService(ProjectSession(project, user="测试员")).register(
        footprint, DAY, kwargs.get("kind"))


def test_a_gbk_shapefile_without_cpg_gives_its_kind_and_households(project, tmp_path):
    frame = landslides(project)
    path = tmp_path / "灾情范围.shp"
    frame.to_file(path, encoding="GBK")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    footprint, result = register(project, path)
    assert footprint.kind == "滑坡" and result.kind == "滑坡"  # read as GBK, not garbled
    expected = inside(project, pyogrio.read_dataframe(path, encoding="GBK"))
    assert expected and set(result.clues.frame["household_id"]) == expected


def test_a_broken_polygon_is_repaired_and_said(project, tmp_path):
    points = located(project)
    centre = points.geometry.iloc[len(points) // 3]
    x, y, d = centre.x, centre.y, 0.004
    # A bow-tie: its two lobes cross at the household's point.
    bowtie = shapely.Polygon([(x - d, y - d), (x + d, y + d), (x + d, y - d), (x - d, y + 0.5 * d)])
    assert not bowtie.is_valid
    path = tmp_path / "bowtie.geojson"
    gpd.GeoDataFrame(geometry=[bowtie], crs=4490).to_file(path)
    footprint, result = register(project, path, kind="洪涝")
    assert any("已自动修复" in w for w in footprint.warnings)
    repaired = gpd.GeoDataFrame(geometry=[shapely.make_valid(bowtie)], crs=4490)
    assert set(result.clues.frame["household_id"]) == inside(project, repaired)


def test_an_undeclared_plane_crs_is_refused_and_read_when_given(project, tmp_path):
    # CGCS2000 GK, central meridian 111°, eastings without the zone's prefix
    frame = landslides(project).to_crs(4546)[["geometry"]]
    path = tmp_path / "plane.shp"
    frame.to_file(path, encoding="UTF-8")
    path.with_suffix(".prj").unlink()
    with pytest.raises(InputFileError, match="--crs"):
        read_footprint(path)
    _, result = register(project, path, crs=4546, kind="滑坡")
    assert set(result.clues.frame["household_id"]) == inside(project, frame)


@pytest.mark.parametrize(("content", "message"), [
    ('{"type": "FeatureCollection", "features": []}', "没有要素"),
    ("这不是一个GeoJSON文件", "文件已损坏或不完整"),
    ('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, '
     '"geometry": {"type": "Point", "coordinates": [111.0, 27.1]}}]}', "必须是面"),
])
def test_bad_files_are_refused(tmp_path, content, message):
    path = tmp_path / "bad.geojson"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputFileError, match=message):
        read_footprint(path)


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(InputFileError, match="文件不存在"):
        read_footprint(tmp_path / "nowhere.geojson")
