"""Hazards and sites already in the project: named and refused, or replaced by code on request.

A county receives a new hazard survey every year. Importing it again must not stop with the
database's UNIQUE error: the codes already stored are named, nothing is written, and with
``update`` each stored zone or point gets the file's geometry and attributes in the import's one
unit of work (old and new values in the audit log), which one undo takes back. Checked on
SQLite and PostGIS against the file read with pyogrio and against the store read with SQL.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely import affinity
from sqlalchemy import text

from gis_app.cli import main
from gis_app.services.import_report import ExistingCodesError
from gis_app.services.import_service import create_project, import_file
from gis_app.services.session import ProjectSession

SAMPLE = Path(__file__).resolve().parents[1] / "sample_gis"
USER = "灾害调查员"


def rows(project, sql, **params) -> list:
    with project.engine.connect() as connection:
        return connection.execute(text(sql), params).all()


def stored_zones(project) -> dict:
    """code → (name, kind, level, source, year, geometry) of every stored hazard zone."""
    found = {}
    for r in rows(project, "SELECT code, name, kind, level, source, year, geom, version "
                           "FROM hazard_zone"):
        geom = r.geom
        found[r.code] = (r.name, r.kind, r.level, r.source, r.year,
                         shapely.from_wkb(bytes.fromhex(geom) if isinstance(geom, str) else geom),
                         r.version)
    return found


def _survey(location: str):
    project = create_project(location, user=USER)
    for layer, kind in (("townships", "boundaries"), ("villages", "boundaries"),
                        ("sites", "sites"), ("hazard_zones", "hazards"),
                        ("hazard_points", "hazards")):
        import_file(project, SAMPLE / "county.gpkg", kind, layer=layer, user=USER)
    return project


@pytest.fixture(params=["sqlite", "postgis"])
def surveyed(request, tmp_path):
    """A project with the sample's boundaries, sites and last year's hazard zones and points."""
    location = str(tmp_path / "p.gmp") if request.param == "sqlite" else \
        request.getfixturevalue("pg_url")
    project = _survey(location)
    yield project
    project.close()


def new_survey(tmp_path) -> tuple[Path, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """This year's survey: three zones raised a level, one moved, one new; the rest the same."""
    old = pyogrio.read_dataframe(SAMPLE / "county.gpkg", layer="hazard_zones")
    new = old.copy()
    new.loc[:2, "风险等级"] = new.loc[:2, "风险等级"] % 4 + 1
    new.loc[:2, "年份"] = 2025
    moved = new.geometry.iloc[3]
    new.loc[3, "geometry"] = affinity.translate(moved, 0.002, 0.001)
    extra = new.iloc[[4]].copy()
    extra["代码"] = "430599FX09999"
    extra["名称"] = "新增洪涝风险区"
    new = gpd.GeoDataFrame(pd.concat([new, extra], ignore_index=True), crs=old.crs)
    path = tmp_path / "survey_2025.gpkg"
    pyogrio.write_dataframe(new, path, layer="hazard_zones")
    return path, old, new


def test_existing_hazards_are_named_and_nothing_is_written(surveyed):
    before = stored_zones(surveyed)
    edits = rows(surveyed, "SELECT count(*) FROM edit")[0][0]
    with pytest.raises(ExistingCodesError) as excinfo:
        import_file(surveyed, SAMPLE / "county.gpkg", "hazards", layer="hazard_zones", user=USER)
    file_codes = list(pyogrio.read_dataframe(SAMPLE / "county.gpkg", layer="hazard_zones",
                                             read_geometry=False)["代码"])
    assert excinfo.value.codes == file_codes
    message = str(excinfo.value)
    assert f"项目中已有{len(file_codes)}个相同编码的灾害隐患：{file_codes[0]}" in message
    assert "--update" in message and "UNIQUE" not in message
    assert stored_zones(surveyed) == before
    assert rows(surveyed, "SELECT count(*) FROM edit")[0][0] == edits


def test_existing_sites_are_named(surveyed):
    with pytest.raises(ExistingCodesError, match="相同编码的安置点：430599"):
        import_file(surveyed, SAMPLE / "county.gpkg", "sites", layer="sites", user=USER)


def test_codes_twice_in_one_file_are_errors(surveyed, tmp_path):
    zones = pyogrio.read_dataframe(SAMPLE / "county.gpkg", layer="hazard_zones")
    twice = gpd.GeoDataFrame(pd.concat([zones.iloc[[0, 1]], zones.iloc[[1]]]), crs=zones.crs)
    twice["代码"] = ["N1", "N2", "N2"]
    path = tmp_path / "twice.geojson"
    pyogrio.write_dataframe(twice, path)
    with pytest.raises(Exception) as excinfo:
        import_file(surveyed, path, "hazards", user=USER)
    assert [str(i) for i in excinfo.value.issues] == ["twice.geojson 第3行【编码】: 编码重复：N2"]


def test_update_by_code_replaces_audits_and_undoes(surveyed, tmp_path):
    path, old, new = new_survey(tmp_path)
    before = stored_zones(surveyed)
    session = ProjectSession(surveyed, user=USER)
    report = import_file(session, path, "hazards", update=True)
    assert (report.written, report.updated, report.unchanged) == (5, 4, len(old) - 4)
    after = stored_zones(surveyed)
    assert set(after) == set(before) | {"430599FX09999"}
    for row in new.itertuples():
        name, kind, level, source, year, geom, _ = after[row.代码]
        assert (name, kind, level, source, year) == (row.名称, row.灾害类型, row.风险等级,
                                                    row.数据来源, row.年份)
        assert geom.equals_exact(shapely.MultiPolygon([row.geometry]) if
                                 row.geometry.geom_type == "Polygon" else row.geometry, 1e-9)
    changed = {c for c in before if before[c][:5] != after[c][:5]
               or not before[c][5].equals_exact(after[c][5], 1e-12)}
    assert changed == set(new["代码"].iloc[:4])
    assert all(after[c][6] == before[c][6] + 1 for c in changed)
    assert all(after[c][6] == before[c][6] for c in set(before) - changed)
    # The audit log holds each replaced zone's old and new values, under the import's edit.
    edit_id, label = rows(surveyed, "SELECT id, label FROM edit ORDER BY id DESC LIMIT 1")[0]
    assert label == f"导入灾害隐患：{path.name}"
    audited = rows(surveyed, "SELECT row_id, details FROM audit_log WHERE edit_id = :e "
                             "AND action = 'update' AND table_name = 'hazard_zone'", e=edit_id)
    assert len(audited) == 4
    ids = dict(rows(surveyed, "SELECT id, code FROM hazard_zone"))
    by_code = {ids[r.row_id]: json.loads(r.details) for r in audited}
    first = new["代码"].iloc[0]
    assert by_code[first]["old"]["level"] == before[first][2]
    assert by_code[first]["new"]["level"] == after[first][2]
    assert set(by_code[new["代码"].iloc[3]]["new"]) == {"geom"}
    # One undo takes the whole file back.
    assert session.can_undo()
    session.undo()
    undone = stored_zones(surveyed)
    assert set(undone) == set(before)
    for code, values in before.items():
        assert undone[code][:5] == values[:5]
        assert undone[code][5].equals_exact(values[5], 1e-12)


def test_cli_update_flag(tmp_path, capsys):
    location = str(tmp_path / "cli.gmp")
    _survey(location).close()
    path, old, _ = new_survey(tmp_path)
    assert main(["import", location, str(path), "--kind", "hazards"]) == 1
    err = capsys.readouterr().err
    assert "导入失败，未写入任何数据" in err and "相同编码的灾害隐患" in err
    assert main(["import", location, str(path), "--kind", "hazards", "--update"]) == 0
    out = capsys.readouterr().out
    assert f"已导入5条（hazards）：{path.name}，其中按编码更新4条；{len(old) - 4}条" in out
    assert main(["import", location, str(path), "--kind", "hazards", "--update", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["written"], result["updated"], result["unchanged"]) == (0, 0, len(old) + 1)


def test_updated_site_moves_and_changes_capacity(surveyed, tmp_path):
    sites = pyogrio.read_dataframe(SAMPLE / "county.gpkg", layer="sites")
    sites["安置容量"] = sites["安置容量"] + 50
    sites["geometry"] = sites.geometry.translate(0.001, 0)
    path = tmp_path / "sites.geojson"
    pyogrio.write_dataframe(sites, path)
    session = ProjectSession(surveyed, user=USER)
    report = import_file(session, path, "sites", update=True)
    assert report.updated == len(sites)
    stored = {r.code: (r.capacity, r.geom) for r in
              rows(surveyed, "SELECT code, capacity, geom FROM resettlement_site")}
    for row in sites.itertuples():
        capacity, geom = stored[row.安置点编码 if hasattr(row, "安置点编码") else row.代码]
        geom = shapely.from_wkb(bytes.fromhex(geom) if isinstance(geom, str) else geom)
        assert capacity == row.安置容量 and geom.equals_exact(row.geometry, 1e-9)
    session.undo()
    assert {r.capacity for r in rows(surveyed, "SELECT capacity FROM resettlement_site")} == \
        set(sites["安置容量"] - 50)
