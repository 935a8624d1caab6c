"""Export and import are inverse, for every layer kind and every format that holds it.

The sample county is exported with ``gis-app export`` (unmasked, by its creator) as GeoPackage,
GeoJSON, Shapefile and Excel; each format's files are imported with ``gis-app import`` into a
new project, kind by kind, and the stored rows are compared with the source's: codes, names,
attributes and geometry (within 1e-7°, the precision of the Excel WKT). Exported files are read
back with pyogrio and openpyxl to check that their column names are the import's Chinese
headers.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pyogrio
import pytest
import shapely
from sqlalchemy import text

from gis_app.cli import main
from gis_app.core.ledger import RECORD_KEYS
from gis_app.services.campaign_service import create_campaign
from gis_app.services.session import ProjectSession
from gis_app.storage.project import open_project
from gis_app.storage.reader import load_households, load_table

FORMATS = (".gpkg", ".geojson", ".shp", ".xlsx")
#: The import kinds in the order a county imports them, with the exported layers of each.
KIND_LAYERS = (("boundaries", ("townships", "villages")), ("grids", ("grids",)),
               ("sites", ("sites",)), ("hazards", ("hazard_zones", "hazard_points")),
               ("households", ("households",)), ("workers", ("workers",)),
               ("records", ("records",)))
#: Worker rosters and visit records are tables: a GeoPackage or a workbook holds them.
TABLE_KINDS = ("workers", "records")
TOLERANCE = 1e-7


def run(*argv) -> None:
    code = main([str(a) for a in argv])
    assert code == 0


def query(location, sql: str) -> pd.DataFrame:
    project = open_project(location)
    try:
        with project.engine.connect() as connection:
            return pd.read_sql(text(sql), connection)
    finally:
        project.close()


def geometries(values) -> list:
    return [None if v is None else shapely.from_wkb(v) for v in values]


def exported(folder: Path, fmt: str, layer: str) -> tuple[Path, list[str]]:
    """The file (and ``--layer`` option) of one exported layer."""
    if fmt == ".gpkg":
        return folder / "county.gpkg", ["--layer", layer]
    return folder / f"{layer}{fmt}", []


@pytest.fixture(scope="module")
def exports(sample_project_path, tmp_path_factory):
    """The sample county exported in every format (by layer, unmasked)."""
    folder = tmp_path_factory.mktemp("exports")
    run("export", sample_project_path, folder / "county.gpkg", "--unmask")
    for fmt in FORMATS[1:]:
        for kind, layers in KIND_LAYERS:
            if kind in TABLE_KINDS and fmt != ".xlsx":
                continue
            for layer in layers:
                run("export", sample_project_path, folder / f"{layer}{fmt}", "--layer", layer,
                    "--unmask")
    return folder


_IMPORTED: dict[str, Path] = {}


@pytest.fixture
def imported(exports, sample_project_path, tmp_path_factory):
    """The project made by importing one format's files, kind by kind (made once per format)."""
    def build(fmt: str) -> Path:
        if fmt in _IMPORTED:
            return _IMPORTED[fmt]
        target = tmp_path_factory.mktemp("imported") / f"county{fmt.replace('.', '_')}.gmp"
        for kind, layers in KIND_LAYERS:
            if kind in TABLE_KINDS and fmt not in (".gpkg", ".xlsx"):
                continue
            if kind == "records":
                _same_campaign(sample_project_path, target)
            for layer in layers:
                path, option = exported(exports, fmt, layer)
                run("import", target, path, "--kind", kind, *option)
        _IMPORTED[fmt] = target
        return target

    return build


def _same_campaign(source: Path, target: Path) -> None:
    """The source's newest campaign, created again in the target (records belong to one)."""
    campaign = query(source, "SELECT * FROM campaign ORDER BY year DESC, round DESC LIMIT 1")
    row = campaign.iloc[0]
    project = open_project(target)
    session = ProjectSession(project)
    townships = load_table(project.engine, "admin_unit", ["id", "level"])
    create_campaign(session, int(row["year"]), int(row["round"]), float(row["income_line"]),
                    float(row["early_warning_income"]), pd.Timestamp(row["start_date"]).date(),
                    pd.Timestamp(row["end_date"]).date(),
                    townships.loc[townships["level"] == 2, "id"].tolist(), name=row["name"])
    session.close()


def assert_same_geometry(left, right) -> None:
    assert len(left) == len(right)
    for a, b in zip(left, right, strict=True):
        assert (a is None) == (b is None)
        if a is not None:
            assert shapely.equals_exact(shapely.normalize(a), shapely.normalize(b), TOLERANCE)


def both(sample, location, sql: str, key: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    left = query(sample, sql).sort_values(key).reset_index(drop=True)
    right = query(location, sql).sort_values(key).reset_index(drop=True)
    return left, right


def compare(left: pd.DataFrame, right: pd.DataFrame, columns: list[str]) -> None:
    pd.testing.assert_frame_equal(left[columns], right[columns], check_dtype=False)
    if "geom" in left:
        assert_same_geometry(geometries(left["geom"]), geometries(right["geom"]))


@pytest.mark.parametrize("fmt", FORMATS)
def test_boundaries(sample_project_path, imported, fmt):
    sql = ("SELECT u.level, u.code, u.name, p.code AS parent, u.geom FROM admin_unit u "
           "LEFT JOIN admin_unit p ON p.id = u.parent_id")
    left, right = both(sample_project_path, imported(fmt), sql, "code")
    compare(left, right, ["level", "code", "name", "parent"])
    assert (left["level"] == 2).sum() == 3 and (left["level"] == 3).sum() == 26


@pytest.mark.parametrize("fmt", FORMATS)
def test_grids(sample_project_path, imported, fmt):
    sql = ("SELECT g.code, g.name, g.level, a.code AS admin, p.code AS parent, g.geom FROM grid g "
           "JOIN admin_unit a ON a.id = g.admin_unit_id LEFT JOIN grid p ON p.id = g.parent_id")
    left, right = both(sample_project_path, imported(fmt), sql, "code")
    compare(left, right, ["code", "name", "level", "admin", "parent"])


@pytest.mark.parametrize("fmt", FORMATS)
def test_sites(sample_project_path, imported, fmt):
    sql = ("SELECT s.code, s.name, s.kind, s.capacity, s.built_year, t.code AS township, s.geom "
           "FROM resettlement_site s LEFT JOIN admin_unit t ON t.id = s.township_id")
    left, right = both(sample_project_path, imported(fmt), sql, "code")
    compare(left, right, ["code", "name", "kind", "capacity", "built_year", "township"])


@pytest.mark.parametrize("fmt", FORMATS)
def test_hazards(sample_project_path, imported, fmt):
    location = imported(fmt)
    left, right = both(sample_project_path, location, "SELECT code, name, kind, level, source, "
                       "year, geom FROM hazard_zone", "code")
    compare(left, right, ["code", "name", "kind", "level", "source", "year"])
    left, right = both(sample_project_path, location, "SELECT code, name, kind, level, "
                       "threatened_households, threatened_persons, threat_radius, geom "
                       "FROM hazard_point", "code")
    assert left["threat_radius"].notna().all()
    compare(left, right, ["code", "name", "kind", "level", "threatened_households",
                          "threatened_persons", "threat_radius"])


HOUSEHOLD_COLUMNS = ["head_name", "head_id_number", "household_code", "phone", "members",
                     "attribute", "monitoring_type", "village_code", "grid_code",
                     "grid_override", "income_per_person", "no_labour_support", "relocated",
                     "resettlement_site_code", "dibao", "tekun", "severe_illness", "disability",
                     "risk_eliminated", "risk_eliminated_on", "housing_problem",
                     "education_problem", "insurance_problem", "water_problem",
                     "location_source"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_households(sample_project_path, imported, fmt):
    location = imported(fmt)
    before = load_households(open_project(sample_project_path).engine)
    after = load_households(open_project(location).engine)
    left = before.sort_values("head_id_number").reset_index(drop=True)
    right = after.sort_values("head_id_number").reset_index(drop=True)
    pd.testing.assert_frame_equal(left[HOUSEHOLD_COLUMNS], right[HOUSEHOLD_COLUMNS],
                                  check_dtype=False)
    for axis in ("lon", "lat"):
        assert left[axis].isna().equals(right[axis].isna())
        assert ((left[axis] - right[axis]).abs().fillna(0) < TOLERANCE).all()


@pytest.mark.parametrize("fmt", [".gpkg", ".xlsx"])
def test_workers(sample_project_path, imported, fmt):
    sql = "SELECT name, phone, id_number, unit, title FROM worker"
    left, right = both(sample_project_path, imported(fmt), sql, "phone")
    compare(left, right, ["name", "phone", "id_number", "unit", "title"])
    today = dt.date.today().isoformat()
    sql = ("SELECT w.phone, g.code, a.role FROM grid_assignment a JOIN worker w ON w.id = "
           f"a.worker_id JOIN grid g ON g.id = a.grid_id WHERE a.start_date <= '{today}' AND "
           f"(a.end_date IS NULL OR a.end_date > '{today}')")
    left = query(sample_project_path, sql).sort_values(["phone", "code"]).reset_index(drop=True)
    right = query(imported(fmt), sql).sort_values(["phone", "code"]).reset_index(drop=True)
    assert len(left) > 0
    pd.testing.assert_frame_equal(left, right)


@pytest.mark.parametrize("fmt", [".gpkg", ".xlsx"])
def test_records(sample_project_path, imported, fmt):
    keys = [k for k in RECORD_KEYS if k != "head_id_number"]
    sql = (f"SELECT h.head_id_number, {', '.join('r.' + k for k in keys)}, r.id FROM "
           "investigation_record r JOIN household h ON h.id = r.household_id JOIN campaign c ON "
           "c.id = r.campaign_id WHERE c.id = (SELECT id FROM campaign ORDER BY year DESC, "
           "round DESC LIMIT 1)")

    def latest(location) -> pd.DataFrame:
        frame = query(location, sql).sort_values(["head_id_number", "checked_on", "id"])
        frame = frame.drop_duplicates("head_id_number", keep="last")
        return frame.drop(columns="id").reset_index(drop=True)

    left, right = latest(sample_project_path), latest(imported(fmt))
    assert len(left) > 1000
    pd.testing.assert_frame_equal(left, right, check_dtype=False)


# --- the exported headers are the import's ------------------------------------------------------

def test_geopackage_layers_carry_the_import_headers(exports):
    path = exports / "county.gpkg"
    fields = {name: list(pyogrio.read_info(path, layer=name)["fields"])
              for name in ("townships", "villages", "grids", "sites", "hazard_zones",
                           "hazard_points", "workers")}
    assert fields["townships"] == ["代码", "名称", "县代码", "县名称"]
    assert fields["villages"] == ["代码", "名称", "乡镇代码"]
    assert fields["grids"] == ["网格编码", "网格名称", "层级", "区划代码", "上级编码"]
    assert fields["sites"] == ["安置点编码", "安置点名称", "安置方式", "安置容量", "建成年份",
                               "乡镇代码"]
    assert fields["hazard_zones"] == ["编码", "名称", "灾害类型", "风险等级", "数据来源", "年份"]
    assert fields["hazard_points"][:4] == ["编码", "名称", "灾害类型", "风险等级"]
    assert fields["workers"][:2] == ["姓名", "网格职务"] and "负责网格编码" in fields["workers"]
    households = pyogrio.read_info(path, layer="households")["fields"]
    assert {"户主姓名", "户主证件号码", "村代码", "网格编码"} <= set(households)
    assert "parent_code" not in fields["villages"]


def test_shapefile_and_excel_headers(exports):
    fields = list(pyogrio.read_info(exports / "households.shp")["fields"])
    assert {"证件号码", "户主姓名", "住房安全", "拟监测类型"} <= set(fields)
    assert (exports / "households.cpg").read_text().strip() == "GBK"
    sheet = openpyxl.load_workbook(exports / "hazard_points.xlsx", read_only=True).active
    header = next(sheet.iter_rows(values_only=True))
    assert header[:2] == ("编码", "名称") and header[-2:] == ("经度", "纬度")
    sheet = openpyxl.load_workbook(exports / "villages.xlsx", read_only=True).active
    assert next(sheet.iter_rows(values_only=True)) == ("代码", "名称", "乡镇代码", "几何图形WKT")


def test_villages_of_a_geopackage_export_are_villages(exports, tmp_path):
    """The bug of issue 9: the villages layer imported as boundaries added townships."""
    target = tmp_path / "p.gmp"
    run("import", target, exports / "county.gpkg", "--kind", "boundaries", "--layer", "townships")
    run("import", target, exports / "county.gpkg", "--kind", "boundaries", "--layer", "villages")
    levels = query(target, "SELECT level, count(*) AS n FROM admin_unit GROUP BY level")
    assert dict(zip(levels["level"], levels["n"], strict=True)) == {1: 1, 2: 3, 3: 26}
