"""Awkward files through ``gis-app import``: each is imported with the right words, or refused
clearly, and a refused file leaves no project behind.

Wrong ``.cpg`` encodings, Web Mercator coordinates labelled EPSG:4326, layers far from the
county, villages without their township column, and failures into a new path. Files are made
from the bundled sample's hand-over files (read with pyogrio) and the store is read with SQL.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely
from sqlalchemy import text

from gis_app.cli import main
from gis_app.io import InputFileError, read_vector
from gis_app.storage.project import open_project

SAMPLE = Path(__file__).resolve().parents[1] / "sample_gis"
GPKG = SAMPLE / "county.gpkg"


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def stored(location, sql) -> list:
    project = open_project(location)
    try:
        with project.engine.connect() as connection:
            return connection.execute(text(sql)).all()
    finally:
        project.close()


@pytest.fixture
def bounded(tmp_path, capsys) -> Path:
    """A new project holding the sample's townships and villages."""
    location = tmp_path / "county.gmp"
    for layer in ("townships", "villages"):
        code, _, err = run(capsys, "import", location, GPKG, "--kind", "boundaries",
                           "--layer", layer)
        assert code == 0, err
    return location


# --- encodings --------------------------------------------------------------------------------

@pytest.mark.parametrize("cpg", ["UTF-8", "ISO-8859-1"])
def test_gbk_hazards_whose_cpg_lies_are_imported_and_the_lie_is_said(tmp_path, capsys, cpg):
    folder = tmp_path / "shp"
    folder.mkdir()
    for part in (SAMPLE / "shapefile").glob("hazard_zones.*"):
        shutil.copy(part, folder)
    (folder / "hazard_zones.cpg").write_text(cpg)
    code, out, err = run(capsys, "import", tmp_path / "p.gmp", folder / "hazard_zones.shp",
                         "--kind", "hazards")
    assert code == 0, err
    assert "程序内部错误" not in err and "缺少必填列" not in err
    assert (f"提示：hazard_zones.shp: hazard_zones.cpg声明的属性编码为{cpg}，但属性文字实为"
            "GBK/GB18030编码") in out
    expected = pyogrio.read_dataframe(GPKG, layer="hazard_zones", read_geometry=False)
    names = dict(stored(tmp_path / "p.gmp", "SELECT code, name FROM hazard_zone"))
    assert names == dict(zip(expected["代码"], expected["名称"], strict=True))


# --- no project file left by a failure ---------------------------------------------------------

def _leftovers(path: Path) -> list[Path]:
    return [p for p in path.parent.glob(path.name + "*")] if path.parent.exists() else []


def test_a_failed_import_into_a_new_path_leaves_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    target = tmp_path / "new.gmp"
    code, _, err = run(capsys, "import", target, bad, "--kind", "hazards")
    assert code == 1 and "文件中没有要素" in err
    assert _leftovers(target) == []
    nested = tmp_path / "a" / "b" / "new.gmp"
    code, _, err = run(capsys, "import", nested, GPKG, "--kind", "hazards",
                       "--layer", "nonexistent")
    assert code == 1 and "没有名为“nonexistent”的图层" in err
    assert not (tmp_path / "a").exists()
    # A missing input or a wrong kind never creates the project either.
    assert run(capsys, "import", target, tmp_path / "missing.gpkg", "--kind", "sites")[0] == 1
    assert _leftovers(target) == []


def test_a_failed_import_into_an_existing_project_keeps_it(bounded, tmp_path, capsys):
    bad = tmp_path / "bad.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    assert run(capsys, "import", bounded, bad, "--kind", "hazards")[0] == 1
    assert len(stored(bounded, "SELECT id FROM admin_unit")) == 1 + 3 + 26


def test_a_successful_import_into_a_new_path_creates_it(tmp_path, capsys):
    target = tmp_path / "made" / "p.gmp"
    code, _, err = run(capsys, "import", target, GPKG, "--kind", "sites", "--layer", "sites")
    assert code == 0, err
    assert len(stored(target, "SELECT id FROM resettlement_site")) == \
        len(pyogrio.read_dataframe(GPKG, layer="sites", read_geometry=False))


# --- coordinates --------------------------------------------------------------------------------

def _mercator_labelled_4326(tmp_path) -> tuple[Path, gpd.GeoDataFrame]:
    zones = pyogrio.read_dataframe(GPKG, layer="hazard_zones").iloc[:5]
    wrong = zones.to_crs(3857).set_crs(4326, allow_override=True)
    path = tmp_path / "mercator.geojson"
    pyogrio.write_dataframe(wrong, path)
    return path, zones


def test_web_mercator_labelled_4326_is_called_a_mismatch(tmp_path, capsys):
    path, zones = _mercator_labelled_4326(tmp_path)
    code, _, err = run(capsys, "import", tmp_path / "p.gmp", path, "--kind", "hazards")
    assert code == 1
    assert "文件未声明坐标系" not in err
    assert "文件声明的坐标系为EPSG:4326（经纬度），但坐标值" in err
    assert "与声明的坐标系不符" in err and "Web墨卡托（EPSG:3857" in err and "--crs 3857" in err
    code, _, err = run(capsys, "import", tmp_path / "p.gmp", path, "--kind", "hazards",
                       "--crs", "3857")
    assert code == 0, err
    geoms = {c: shapely.from_wkb(g) for c, g in
             stored(tmp_path / "p.gmp", "SELECT code, geom FROM hazard_zone")}
    for row in zones.itertuples():
        assert shapely.equals_exact(geoms[row.代码], shapely.MultiPolygon([row.geometry])
                                    if row.geometry.geom_type == "Polygon" else row.geometry,
                                    1e-7)


def test_undeclared_web_mercator_gets_the_same_hint(tmp_path):
    path, _ = _mercator_labelled_4326(tmp_path)
    frame = gpd.read_file(path)[["代码", "geometry"]]
    bare = tmp_path / "bare.shp"
    frame.to_file(bare, encoding="UTF-8")
    bare.with_suffix(".prj").unlink()
    with pytest.raises(InputFileError, match="坐标值像Web墨卡托（EPSG:3857"):
        read_vector(bare)


def test_a_declared_mismatch_of_no_known_grid_asks_for_the_crs(tmp_path):
    frame = gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.Point(5.0e7, 9.9e7)], crs=4326)
    path = tmp_path / "odd.geojson"
    pyogrio.write_dataframe(frame, path)
    with pytest.raises(InputFileError) as excinfo:
        read_vector(path)
    (message,) = [str(i) for i in excinfo.value.issues]
    assert "与声明的坐标系不符" in message and "--crs" in message and "墨卡托" not in message


def test_hazards_far_from_the_county_are_warned_about(bounded, tmp_path, capsys):
    zones = pyogrio.read_dataframe(GPKG, layer="hazard_zones").iloc[:6].copy()
    far = zones.copy()
    far["geometry"] = far.geometry.translate(12.0, 0.0)  # ~1,200 km east
    far["代码"] = far["代码"] + "F"
    path = tmp_path / "far.gpkg"
    pyogrio.write_dataframe(far, path)
    code, out, err = run(capsys, "import", bounded, path, "--kind", "hazards", "--json")
    assert code == 0, err
    (warning,) = json.loads(out)["warnings"]
    assert warning.startswith("far.gpkg【几何图形】: 图层的全部6个要素都不在本县范围内（距本县约")
    km = float(warning.split("距本县约")[1].split("公里")[0].replace(",", ""))
    assert 900 < km < 1300
    # Some features outside: they are numbered.
    mixed = zones.copy()
    mixed.loc[[1, 4], "geometry"] = mixed.geometry.iloc[[1, 4]].translate(3.0, 0.0).to_numpy()
    path = tmp_path / "mixed.gpkg"
    pyogrio.write_dataframe(mixed, path)
    code, out, err = run(capsys, "import", bounded, path, "--kind", "hazards")
    assert code == 0, err
    assert "提示：mixed.gpkg【几何图形】: 2个要素不在本县范围内（第2、5个，最远约" in out
    # Inside the county: no word.
    code, out, _ = run(capsys, "import", bounded, GPKG, "--kind", "sites", "--layer", "sites")
    assert code == 0 and "不在本县范围内" not in out


# --- boundaries -----------------------------------------------------------------------------------

def test_villages_without_their_township_column_are_not_taken_for_townships(bounded, tmp_path,
                                                                           capsys):
    villages = pyogrio.read_dataframe(GPKG, layer="villages").drop(columns=["乡镇代码"])
    villages["代码"] = villages["代码"] + "9"
    path = tmp_path / "villages_without_township.gpkg"
    pyogrio.write_dataframe(villages, path)
    code, _, err = run(capsys, "import", bounded, path, "--kind", "boundaries")
    assert code == 1
    assert f"“{villages['名称'].iloc[0]}”位于项目中已有的乡镇内，像是村界" in err
    assert len(stored(bounded, "SELECT id FROM admin_unit WHERE level = 2")) == 3


def test_a_layer_in_excel_with_bad_wkt_is_refused_on_its_row(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["编码", "灾害类型", "风险等级", "几何图形WKT"])
    sheet.append(["A1", "洪涝", 1, "POLYGON ((111 27, 111.1 27, 111.1 27.1, 111 27))"])
    sheet.append(["A2", "洪涝", 2, "POLYGON ((111 27, oops"])
    path = tmp_path / "zones.xlsx"
    book.save(path)
    with pytest.raises(InputFileError) as excinfo:
        read_vector(path)
    assert [str(i) for i in excinfo.value.errors] == [
        "zones.xlsx 第3行【几何图形WKT】: WKT几何图形无法解析"]
    without = tmp_path / "plain.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["编码", "名称"])
    book.active.append(["A1", "x"])
    book.save(without)
    with pytest.raises(InputFileError, match="没有【经度】【纬度】列或【几何图形WKT】列"):
        read_vector(without)
