"""Vector files: encodings, CRS, geometry repair, damaged files, writing and determinism."""

from __future__ import annotations

import json
import sqlite3
import subprocess

import geopandas as gpd
import numpy as np
import openpyxl
import pyogrio
import pytest
import shapely
from pyproj import Geod, Transformer
from shapely.geometry import Point, Polygon

from gis_app.io import InputFileError, read_vector, wgs84_to_gcj02, write_vector

SQUARE = Polygon([(111.0, 27.0), (111.1, 27.0), (111.1, 27.1), (111.0, 27.1)])
BOWTIE = Polygon([(111.0, 27.0), (111.1, 27.1), (111.1, 27.0), (111.0, 27.1), (111.0, 27.0)])
NAMES = ["石门村", "大田村（社区）"]

# Test files without a CRS are made on purpose.
pytestmark = pytest.mark.filterwarnings("ignore:'crs' was not provided")


def _villages(geoms=(SQUARE, BOWTIE), crs=4490) -> gpd.GeoDataFrame:
    n = len(geoms)
    return gpd.GeoDataFrame({"村名": (NAMES * n)[:n], "户数": ([120, 85] * n)[:n]},
                            geometry=list(geoms), crs=crs)


def _points(crs=4490) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"户主姓名": ["张三", "欧阳娜娜"], "人口": [3, 5]},
                            geometry=[Point(111.2856, 27.1534), Point(111.3, 27.2)], crs=crs)


def _messages(excinfo) -> list[str]:
    return [str(i) for i in excinfo.value.issues if i.severity == "error"]


# --- encodings -------------------------------------------------------------------------------

def test_gbk_shapefile_without_cpg_is_detected(tmp_path):
    path = tmp_path / "households.shp"
    pyogrio.write_dataframe(_points(), path, encoding="GBK")
    (tmp_path / "households.cpg").unlink()
    assert "张三".encode("gbk") in (tmp_path / "households.dbf").read_bytes()
    result = read_vector(path)
    assert list(result.frame["户主姓名"]) == ["张三", "欧阳娜娜"]
    assert result.encoding == "gb18030"
    assert [str(i) for i in result.issues] == [
        "households.shp: 缺少.cpg编码文件，已自动判断属性编码为GBK/GB18030"]


def test_utf8_shapefile_without_cpg_and_cpg_code_page(tmp_path):
    path = write_vector(_points(), tmp_path / "utf8.shp", encoding="UTF-8")
    (tmp_path / "utf8.cpg").unlink()
    result = read_vector(path)
    assert list(result.frame["户主姓"]) == ["张三", "欧阳娜娜"]  # 10-byte UTF-8 field name
    assert result.encoding == "utf-8"
    gbk = tmp_path / "gbk.shp"
    pyogrio.write_dataframe(_points(), gbk, encoding="GBK")
    (tmp_path / "gbk.cpg").write_text("936")
    result = read_vector(gbk)
    assert list(result.frame["户主姓名"]) == ["张三", "欧阳娜娜"] and result.issues == []


def test_shapefile_written_in_gbk_reads_back_everywhere(tmp_path):
    path = write_vector(_points(), tmp_path / "points.shp", encoding="GBK")
    assert (tmp_path / "points.cpg").read_text().strip() == "GBK"
    assert "欧阳娜娜".encode("gbk") in (tmp_path / "points.dbf").read_bytes()
    info = subprocess.run(["ogrinfo", "-al", "-so", str(path)], capture_output=True, text=True,
                          check=True).stdout
    assert "户主姓名: String" in info and "Feature Count: 2" in info
    values = subprocess.run(["ogrinfo", "-al", "-q", str(path)], capture_output=True, text=True,
                            check=True).stdout
    assert "欧阳娜娜" in values
    frame = pyogrio.read_dataframe(path)
    assert list(frame["户主姓名"]) == ["张三", "欧阳娜娜"]
    assert list(read_vector(path).frame["户主姓名"]) == ["张三", "欧阳娜娜"]


def test_shapefile_field_names_are_cut_to_ten_bytes(tmp_path):
    frame = _points().assign(household_code=["a", "b"], household_count=[1, 2])
    write_vector(frame, tmp_path / "gbk.shp", encoding="GBK")
    fields = list(read_vector(tmp_path / "gbk.shp").frame.columns)
    assert fields == ["户主姓名", "人口", "household_", "househol_1", "geometry"]
    write_vector(frame, tmp_path / "utf8.shp")  # 户主姓名 is 12 bytes in UTF-8
    result = read_vector(tmp_path / "utf8.shp")
    assert list(result.frame.columns)[:2] == ["户主姓", "人口"]
    assert result.issues == []


def test_utf8_field_name_cut_in_half_by_another_program(tmp_path):
    path = tmp_path / "cut_name.shp"
    with pytest.warns(RuntimeWarning):  # GDAL cuts the 12-byte name inside a character
        pyogrio.write_dataframe(_points(), path)
    result = read_vector(path)
    assert list(result.frame.columns)[0].startswith("户主姓")
    assert list(result.frame.iloc[:, 0]) == ["张三", "欧阳娜娜"]
    assert any("无法按UTF-8解码" in str(i) for i in result.issues)


# --- GeoPackage --------------------------------------------------------------------------------

def test_geopackage_crs_is_visible_to_ogrinfo(tmp_path):
    path = write_vector(_villages([SQUARE]), tmp_path / "villages.gpkg", layer="村")
    info = subprocess.run(["ogrinfo", "-so", str(path), "村"], capture_output=True, text=True,
                          check=True).stdout
    assert "China Geodetic Coordinate System 2000" in info or "CGCS2000" in info
    assert 'ID["EPSG",4490]' in info


def test_several_layers_in_one_geopackage(tmp_path):
    path = tmp_path / "county.gpkg"
    write_vector(_villages([SQUARE]), path, layer="villages")
    write_vector(_points(), path, layer="households")
    assert read_vector(path, layer="households").frame["户主姓名"].iloc[0] == "张三"
    assert read_vector(path, layer="villages").frame["村名"].iloc[0] == "石门村"
    first = read_vector(path)
    assert first.layer == "villages"
    assert [str(i) for i in first.issues] == [
        "county.gpkg: 文件中有2个图层（villages、households），已读取“villages”"]
    with pytest.raises(InputFileError, match="没有名为“grids”的图层"):
        read_vector(path, layer="grids")
    write_vector(_points(), path)  # without a layer the file is replaced
    assert len(pyogrio.list_layers(path)) == 1


def test_deterministic_geopackage_bytes(tmp_path):
    frame = _villages([SQUARE, SQUARE.buffer(-0.01)])
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = write_vector(frame, tmp_path / "a" / "grid.gpkg", layer="grid", deterministic=True)
    second = write_vector(frame, tmp_path / "b" / "grid.gpkg", layer="grid", deterministic=True)
    assert first.read_bytes() == second.read_bytes()
    with sqlite3.connect(first) as db:
        assert db.execute("select last_change from gpkg_contents").fetchone()[0].startswith(
            "2000-01-01")
    assert pyogrio.get_gdal_config_option("OGR_CURRENT_DATE") is None  # restored


def test_deterministic_shapefile_dbf(tmp_path):
    a = write_vector(_points(), tmp_path / "a.shp", deterministic=True)
    b = write_vector(_points(), tmp_path / "b.shp", deterministic=True)
    assert a.with_suffix(".dbf").read_bytes() == b.with_suffix(".dbf").read_bytes()


# --- geometries --------------------------------------------------------------------------------

def test_self_intersecting_polygon_is_repaired_and_reported(tmp_path):
    path = write_vector(_villages(), tmp_path / "villages.gpkg")
    result = read_vector(path)
    assert [str(i) for i in result.issues] == [
        "villages.gpkg 第2行【几何图形】: 几何图形无效（自相交），已自动修复"]
    repaired = result.frame.geometry.iloc[1]
    assert repaired.is_valid and repaired.geom_type in ("Polygon", "MultiPolygon")
    assert repaired.area == pytest.approx(0.005)
    assert result.frame.crs.to_epsg() == 4490


def test_unrepairable_and_empty_geometries_are_errors(tmp_path):
    flat = Polygon([(111.0, 27.0), (111.1, 27.0), (111.2, 27.0), (111.0, 27.0)])
    frame = gpd.GeoDataFrame({"村名": ["甲", "乙", "丙"]}, geometry=[SQUARE, flat, None], crs=4490)
    path = write_vector(frame, tmp_path / "bad.gpkg")
    with pytest.raises(InputFileError) as excinfo:
        read_vector(path)
    messages = _messages(excinfo)
    assert messages[0].startswith("bad.gpkg 第2行【几何图形】: 几何图形无效（")
    assert messages[0].endswith("）且无法修复")
    assert messages[1] == "bad.gpkg 第3行【几何图形】: 要素没有几何图形（几何为空）"


def test_coordinates_outside_china_are_errors(tmp_path):
    frame = gpd.GeoDataFrame({"名称": ["邵阳", "巴黎"]},
                             geometry=[Point(111.47, 27.24), Point(2.35, 48.85)], crs=4326)
    path = write_vector(frame, tmp_path / "paris.geojson")
    with pytest.raises(InputFileError) as excinfo:
        read_vector(path)
    assert _messages(excinfo) == [
        "paris.geojson 第2行【几何图形】: 坐标不在中国范围内（可能坐标系错误）"]


# --- coordinate reference systems --------------------------------------------------------------

def _gk(zone_prefix: bool, lon=111.47, lat=27.24):
    to_gk = Transformer.from_crs(4490, 4525, always_xy=True)  # zone 37, central meridian 111°E
    x, y = to_gk.transform(lon, lat)
    return Point(x if zone_prefix else x - 37e6, y)


def test_gauss_kruger_with_zone_prefix_is_detected(tmp_path):
    path = tmp_path / "gk.shp"
    pyogrio.write_dataframe(gpd.GeoDataFrame({"a": [1]}, geometry=[_gk(True)]), path)
    assert not (tmp_path / "gk.prj").exists()
    result = read_vector(path)
    point = result.frame.geometry.iloc[0]
    assert point.x == pytest.approx(111.47, abs=1e-7) and point.y == pytest.approx(27.24, abs=1e-7)
    assert result.source_crs.to_epsg() == 4525
    assert "第37带（EPSG:4525）" in str(result.issues[0])


def test_gauss_kruger_without_zone_asks_for_crs(tmp_path):
    path = tmp_path / "gk6.shp"
    pyogrio.write_dataframe(gpd.GeoDataFrame({"a": [1]}, geometry=[_gk(False)]), path)
    with pytest.raises(InputFileError) as excinfo:
        read_vector(path)
    (message,) = _messages(excinfo)
    assert message.startswith(
        "gk6.shp【坐标系】: 文件未声明坐标系，坐标为不带带号的高斯-克吕格平面坐标")
    assert "--crs" in message
    point = read_vector(path, crs=4546).frame.geometry.iloc[0]  # CGCS2000 3° CM 111°E
    assert point.x == pytest.approx(111.47, abs=1e-7)


def test_geojson_in_metres_is_not_taken_for_degrees(tmp_path):
    path = tmp_path / "metres.geojson"
    point = _gk(True)
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"名称": "农户"},
         "geometry": {"type": "Point", "coordinates": [point.x, point.y]}}]}), encoding="utf-8")
    result = read_vector(path)
    assert result.frame.geometry.iloc[0].x == pytest.approx(111.47, abs=1e-7)
    assert "声明为经纬度坐标，但坐标值是平面坐标" in str(result.issues[0])


def test_swapped_axes_and_unknown_coordinates(tmp_path):
    point = _gk(True)
    swapped = tmp_path / "swapped.shp"
    pyogrio.write_dataframe(gpd.GeoDataFrame({"a": [1]}, geometry=[Point(point.y, point.x)]),
                            swapped)
    with pytest.raises(InputFileError, match="X、Y可能颠倒"):
        read_vector(swapped)
    odd = tmp_path / "odd.shp"
    pyogrio.write_dataframe(gpd.GeoDataFrame({"a": [1]}, geometry=[Point(5000, 20)]), odd)
    with pytest.raises(InputFileError, match="无法根据坐标值判断坐标系"):
        read_vector(odd)


def test_lonlat_without_prj_assumes_cgcs2000(tmp_path):
    path = tmp_path / "lonlat.shp"
    frame = _points().rename(columns={"户主姓名": "name"}).set_crs(None, allow_override=True)
    pyogrio.write_dataframe(frame, path, encoding="UTF-8")
    result = read_vector(path)
    assert result.frame.crs.to_epsg() == 4490
    assert any("已按CGCS2000（EPSG:4490）读取" in str(i) for i in result.issues)


def test_gcj02_points_are_converted(tmp_path):
    lon, lat = 111.4700, 27.2400
    glon, glat = wgs84_to_gcj02(lon, lat)
    frame = gpd.GeoDataFrame({"a": [1]}, geometry=[Point(float(glon), float(glat))], crs=4490)
    path = write_vector(frame, tmp_path / "phone.geojson")
    plain = read_vector(path).frame.geometry.iloc[0]
    fixed = read_vector(path, gcj02=True).frame.geometry.iloc[0]
    geod = Geod(ellps="WGS84")
    assert geod.inv(lon, lat, plain.x, plain.y)[2] > 100
    assert geod.inv(lon, lat, fixed.x, fixed.y)[2] < 0.5


# --- damaged or empty files --------------------------------------------------------------------

def test_empty_feature_collection(tmp_path):
    path = tmp_path / "empty.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    with pytest.raises(InputFileError) as excinfo:
        read_vector(path)
    assert _messages(excinfo) == ["empty.geojson: 文件中没有要素"]


def test_truncated_files(tmp_path):
    good = write_vector(_villages([SQUARE] * 50), tmp_path / "good.gpkg")
    cut = tmp_path / "cut.gpkg"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(InputFileError) as excinfo:
        read_vector(cut)
    assert _messages(excinfo)[0].startswith("cut.gpkg: 文件已损坏或不完整")
    text = write_vector(_villages([SQUARE]), tmp_path / "good.geojson").read_text()
    (tmp_path / "cut.geojson").write_text(text[: len(text) // 2])
    with pytest.raises(InputFileError, match="cut.geojson: 文件已损坏或不完整"):
        read_vector(tmp_path / "cut.geojson")
    (tmp_path / "zero.gpkg").write_bytes(b"")
    with pytest.raises(InputFileError, match="zero.gpkg: 文件已损坏或不完整"):
        read_vector(tmp_path / "zero.gpkg")


def test_missing_files(tmp_path):
    with pytest.raises(InputFileError, match="none.gpkg: 文件不存在"):
        read_vector(tmp_path / "none.gpkg")
    path = write_vector(_points(), tmp_path / "lonely.shp")
    path.with_suffix(".dbf").unlink()
    with pytest.raises(InputFileError, match="lonely.shp: 缺少配套文件.dbf"):
        read_vector(path)


# --- Excel export ------------------------------------------------------------------------------

def test_excel_export_of_points_and_polygons(tmp_path):
    points = write_vector(_points(), tmp_path / "points.xlsx")
    ws = openpyxl.load_workbook(points).active
    assert [c.value for c in ws[1]] == ["户主姓名", "人口", "经度", "纬度"]
    assert [c.value for c in ws[2]] == ["张三", 3, 111.2856, 27.1534]
    polygons = write_vector(_villages([SQUARE]), tmp_path / "villages.xlsx")
    ws = openpyxl.load_workbook(polygons).active
    assert [c.value for c in ws[1]] == ["村名", "户数", "几何图形WKT"]
    assert shapely.from_wkt(ws["C2"].value).equals(SQUARE)
    projected = _villages([SQUARE]).to_crs(4525)
    ws = openpyxl.load_workbook(write_vector(projected, tmp_path / "gk.xlsx")).active
    assert np.allclose(shapely.from_wkt(ws["C2"].value).bounds, SQUARE.bounds)
