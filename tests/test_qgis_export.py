"""gis-app export PROJECT out.qgs / out.qgz: a QGIS project over the GeoPackage beside it."""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest

from gis_app.catalog import load_layers, load_styles
from gis_app.cli import main


@pytest.fixture(scope="module")
def exported(sample_project_path, tmp_path_factory):
    folder = tmp_path_factory.mktemp("qgis")
    assert main(["export", str(sample_project_path), str(folder / "county.qgs")]) == 0
    return folder


def _stored(sample_project_path, sql):
    with sqlite3.connect(sample_project_path) as connection:
        return connection.execute(sql).fetchall()


def _source(datasource: str) -> dict[str, str]:
    path, *parts = datasource.split("|")
    return {"path": path, **dict(part.split("=", 1) for part in parts)}


def test_layers_in_the_apps_order_over_the_geopackage(exported, sample_project_path):
    root = ET.parse(exported / "county.qgs").getroot()
    assert root.tag == "qgis" and root.get("version").startswith("3.28")
    assert root.find("projectCrs/spatialrefsys/authid").text == "EPSG:4490"
    assert root.find("properties/Paths/Absolute").text == "false"
    gpkg = exported / "county.gpkg"
    present = {name for name, kind in pyogrio.list_layers(gpkg) if kind}
    # Independently: the catalog's layers whose source the GeoPackage holds, top first,
    # the villages' paper fill at the bottom.
    # Every layer of the map but the disaster footprints (not exported).
    definitions = [d for d in load_layers() if d.source != "hazard_events"]
    expected = [d.id for d in sorted(definitions, key=lambda d: d.z, reverse=True)
                if not d.base] + [d.id for d in definitions if d.base]
    assert expected[0] == "sites" and expected[-1] == "grids_level2" and len(expected) == 12
    tree = root.find("layer-tree-group").findall("layer-tree-layer")
    assert [node.get("id") for node in tree] == expected
    assert [e.get("id") for e in root.find("layerorder")] == expected
    maplayers = {m.find("id").text: m for m in root.find("projectlayers")}
    assert set(maplayers) == set(expected)
    by_id = {d.id: d for d in definitions}
    for node in tree:
        definition = by_id[node.get("id")]
        assert node.get("name") == definition.title.zh
        assert node.get("checked") == ("Qt::Checked" if definition.visible else "Qt::Unchecked")
        layer = maplayers[definition.id]
        source = _source(layer.find("datasource").text)
        assert source["path"] == "./county.gpkg"  # relative, beside the project
        assert (exported / source["path"]).resolve() == gpkg.resolve()
        assert source["layername"] in present
        assert layer.find("provider").text == "ogr"
        assert layer.get("geometry") == {"point": "Point", "polygon": "Polygon"}[
            definition.geometry]
        assert layer.get("hasScaleBasedVisibilityFlag") == (
            "1" if definition.max_scale else "0")
        # The subset reads the layer's features: as many as the store holds.
        frame = pyogrio.read_dataframe(gpkg, layer=source["layername"],
                                       where=source.get("subset"), read_geometry=False)
        if definition.source == "grids":
            level = int(definition.filter.split("==")[1])
            stored = _stored(sample_project_path,
                             f"SELECT count(*) FROM grid WHERE level = {level}")[0][0]
            assert len(frame) == stored > 0
        else:
            assert len(frame) > 0


def test_coverage_choropleth_in_its_graduated_classes(exported, sample_project_path):
    root = ET.parse(exported / "county.qgs").getroot()
    layer = next(m for m in root.find("projectlayers") if m.find("id").text == "coverage_grids")
    assert layer.find("datasource").text == "./county.gpkg|layername=coverage_grids"
    renderer = layer.find("renderer-v2")
    assert renderer.get("type") == "graduatedSymbol" and renderer.get("attr") == "覆盖率"
    ranges = renderer.find("ranges").findall("range")
    style = load_styles()["coverage"]
    assert [r.get("label") for r in ranges] == [c.label.zh for c in style.classes]
    frame = pyogrio.read_dataframe(exported / "county.gpkg", layer="coverage_grids",
                                   read_geometry=False)
    # Independently: a feature per level-3 grid holding households of the campaign's
    # townships, with as many households as the store puts there.
    stored = dict(_stored(sample_project_path, """
        SELECT g.code, count(*) FROM household h JOIN grid g ON g.id = h.grid_id
        JOIN admin_unit v ON v.id = h.village_id WHERE v.parent_id IN
        (SELECT township_id FROM campaign_township WHERE campaign_id = 1) GROUP BY g.code"""))
    assert dict(zip(frame["网格编码"], frame["户数"], strict=True)) == stored
    shares = (frame["入户"] + frame["电话微信"]) / frame["户数"]
    assert (abs(frame["覆盖率"] - shares) < 1e-9).all()
    # QGIS puts each grid in exactly one range: the class the app colours it by.
    bounds = [(float(r.get("lower")), float(r.get("upper"))) for r in ranges]
    for share in frame["覆盖率"]:
        hits = [i for i, (low, high) in enumerate(bounds) if low <= share <= high]
        expected = next(i for i, c in enumerate(style.classes)
                        if c.lower <= share < c.upper or (share == c.upper == 1.0))
        assert hits == [expected], share


def test_exposure_choropleth_counts_each_household_once(exported, sample_project_path):
    from tests.test_exposure_service import _exposed, _geo, _read

    epsg = int(_read(sample_project_path, "SELECT value FROM project_setting WHERE key = "
                                          "'gauss_kruger_epsg'")["value"].iloc[0])
    households = _read(sample_project_path, "SELECT h.id, h.lon, h.lat, g.code FROM household "
                                            "h JOIN grid g ON g.id = h.grid_id "
                                            "WHERE h.lon IS NOT NULL").set_index("id")
    points = gpd.GeoDataFrame(households, geometry=gpd.points_from_xy(
        households["lon"], households["lat"]), crs=4490).to_crs(epsg)
    zones = _geo(_read(sample_project_path, "SELECT kind, level, geom FROM hazard_zone"), epsg)
    hazards = _geo(_read(sample_project_path, "SELECT kind, level, threat_radius AS radius, "
                                              "geom FROM hazard_point"), epsg)
    assert hazards["radius"].notna().all()
    exposed = _exposed(points, zones, hazards, 0.0).index.get_level_values(0).unique()
    expected = households.loc[exposed, "code"].value_counts()
    frame = pyogrio.read_dataframe(exported / "county.gpkg", layer="exposure_grids",
                                   read_geometry=False)
    assert dict(zip(frame["网格编码"], frame["暴露户数"], strict=True)) == expected.to_dict()
    root = ET.parse(exported / "county.qgs").getroot()
    layer = next(m for m in root.find("projectlayers") if m.find("id").text == "exposure_grids")
    assert layer.find("renderer-v2").get("attr") == "暴露户数"
    assert layer.find("labeling/settings/text-style").get("fieldName") == "暴露户数标注"


def test_every_class_with_its_colour_and_the_data_it_draws(exported, sample_project_path):
    root = ET.parse(exported / "county.qgs").getroot()
    styles = load_styles()
    maplayers = {m.find("id").text: m for m in root.find("projectlayers")}
    households = maplayers["households"]
    renderer = households.find("renderer-v2")
    style = styles["households_by_attribute"]
    assert renderer.get("type") == "categorizedSymbol" and renderer.get("attr") == "户属性"
    symbols = {s.get("name"): s for s in renderer.find("symbols")}
    for category, cls in zip(renderer.find("categories"), style.classes, strict=True):
        assert category.get("value") == str(cls.value)
        assert category.get("label") == cls.label.zh
        colour = next(o.get("value") for o in symbols[category.get("symbol")].iter("Option")
                      if o.get("name") == "color")
        fill = cls.symbol.fill.lstrip("#")
        assert colour == ",".join(str(int(fill[i:i + 2], 16)) for i in (0, 2, 4)) + ",255"
    # Every household of the export falls in a category: the values are the column's.
    table = pyogrio.read_dataframe(exported / "county.gpkg", layer="households",
                                   read_geometry=False)
    counts = table["户属性"].value_counts()
    stored = dict(_stored(sample_project_path,
                          "SELECT attribute, count(*) FROM household GROUP BY attribute"))
    assert {int(k): int(v) for k, v in counts.items()} == stored
    assert set(counts.index.astype(str)) <= {c.get("value") for c in renderer.find("categories")}
    # The alternative styles are QGIS's named styles; the rule-based one reads the columns.
    manager = households.find("map-layer-style-manager")
    assert manager.get("current") == "按户属性"
    named = {s.get("name"): s for s in manager}
    assert set(named) == {"按户属性", "按监测类型", "按风险消除"}
    rules = named["按风险消除"].find("qgis/renderer-v2/rules")
    assert [r.get("label") for r in rules] == [c.label.zh for c in
                                               styles["households_by_elimination"].classes]
    assert all(column in table.columns for column in ("户属性", "是否风险消除"))
    # Hazard zones by kind: each kind of the survey has its category.
    zones = maplayers["hazard_zones"].find("renderer-v2")
    kinds = {c.get("value") for c in zones.find("categories")}
    stored_kinds = {k for (k,) in _stored(sample_project_path,
                                          "SELECT DISTINCT kind FROM hazard_zone")}
    assert stored_kinds <= kinds
    # Labels: the village grids' names, from 1:80,000 inwards.
    villages = maplayers["grids_level2"]
    assert villages.get("labelsEnabled") == "1"
    text = villages.find("labeling/settings/text-style")
    assert "网格名称" in text.get("fieldName") and text.get("fontFamily")
    assert villages.find("labeling/settings/rendering").get("scaleMax") == "80000"


def test_the_geopackage_is_masked(exported):
    table = pyogrio.read_dataframe(exported / "county.gpkg", layer="households",
                                   read_geometry=False)
    assert table["户主证件号码"].str.fullmatch(r"\d{3}\*{11}[0-9Xx]{4}").all()


def test_qgz_holds_the_same_project(exported, sample_project_path):
    assert main(["export", str(sample_project_path), str(exported / "county.qgz")]) == 0
    with zipfile.ZipFile(exported / "county.qgz") as archive:
        assert archive.namelist() == ["county.qgs"]
        inside = archive.read("county.qgs")
    assert inside == (exported / "county.qgs").read_bytes()
    assert inside.startswith(b"<!DOCTYPE qgis")


def test_one_layer_is_refused(sample_project_path, tmp_path, capsys):
    code = main(["export", str(sample_project_path), str(tmp_path / "x.qgs"), "--layer", "grids"])
    assert code != 0 and "全部图层" in capsys.readouterr().err
    assert not list(Path(tmp_path).iterdir())


def test_unmasking_needs_the_right(sample_project_path, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GIS_APP_USER", "visitor")  # not in personal_data_users
    code = main(["export", str(sample_project_path), str(tmp_path / "x.qgz"), "--unmask"])
    assert code != 0 and "无权" in capsys.readouterr().err
    assert not list(Path(tmp_path).iterdir())
    # The sample's own user may: the GeoPackage beside the project holds the numbers in full.
    monkeypatch.delenv("GIS_APP_USER")
    assert main(["export", str(sample_project_path), str(tmp_path / "x.qgz"), "--unmask"]) == 0
    table = pyogrio.read_dataframe(tmp_path / "x.gpkg", layer="households", read_geometry=False)
    stored = {n for (n,) in _stored(sample_project_path, "SELECT head_id_number FROM household")}
    assert set(table["户主证件号码"]) == stored
