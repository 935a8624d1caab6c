"""防范因灾返贫预案 of the sample county, checked against an independent geopandas computation.

The reference reads the store with SQL, projects with geopandas' ``to_crs``, finds what each
household is exposed to with ``geopandas.sjoin`` (``intersects``, or ``dwithin`` at the buffer;
hazard points by each pair's distance to the threat radius plus the buffer), keeps the most
severe level per kind with ``groupby().min()``, lists the monitored households and the lifted
ones at 极高/高, and finds the nearest site outside every hazard's reach with
``geopandas.sjoin_nearest``. Helpers and grid workers come from SQL over the pairs and
assignments in force. The project gets six more resettlement sites first, two of them inside
hazard zones, so that "the nearest safe site" differs from "the nearest site".
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely
from sqlalchemy import text

from gis_app.core.codes import RESPONSIBLE_ROLES
from gis_app.core.hazards import DEFAULT_THREAT_RADIUS_M, FALLBACK_THREAT_RADIUS_M
from gis_app.services import plan_service as service
from gis_app.services.export_service import PersonalDataDenied
from gis_app.services.import_service import import_file
from gis_app.services.session import ProjectSession
from gis_app.storage.project import open_project
from gis_app.ui.i18n import Translator

DAY = dt.date(2025, 6, 1)
BUFFER = 150.0
CJK = re.compile(r"[\u3400-\u9fff]")
MASKED_PHONE = re.compile(r"^\d{3}\*{4}\d{4}$")


def rows(project, sql: str, **params) -> pd.DataFrame:
    with project.engine.connect() as connection:
        return pd.DataFrame(connection.execute(text(sql), params).mappings().all())


def geo(project, table: str, columns: str, epsg: int) -> gpd.GeoDataFrame:
    wkb = "ST_AsBinary(geom)" if project.engine.dialect.name == "postgresql" else "geom"
    frame = rows(project, f"SELECT {columns}, {wkb} AS wkb FROM {table} ORDER BY id")
    geoms = shapely.from_wkb([bytes(v) for v in frame["wkb"]]) if len(frame) else []
    return gpd.GeoDataFrame(frame.drop(columns="wkb"), geometry=list(geoms),
                            crs=4490).to_crs(epsg)


def exposed(points: gpd.GeoDataFrame, zones, hazards, buffer_m: float) -> pd.Series:
    """Most severe level per (point index, kind), by sjoin."""
    if buffer_m > 0:
        in_zones = gpd.sjoin(points, zones, predicate="dwithin", distance=buffer_m)
    else:
        in_zones = gpd.sjoin(points, zones, predicate="intersects")
    reach = hazards["radius"] + buffer_m
    near = gpd.sjoin(points, hazards, predicate="dwithin", distance=float(reach.max()))
    distance = near.geometry.distance(
        hazards.geometry.loc[near["index_right"]].set_axis(near.index), align=False)
    near = near[(distance <= reach.loc[near["index_right"]].to_numpy()).to_numpy()]
    pairs = pd.concat([in_zones[["kind", "level"]], near[["kind", "level"]]])
    return pairs.groupby([pairs.index, "kind"])["level"].min()


def reference(project, buffer_m: float, day: dt.date = DAY) -> dict:
    """The plan's content computed independently: listed households, their sites, helpers."""
    epsg = int(project.settings()["gauss_kruger_epsg"])
    households = rows(project, "SELECT id, head_name, phone, members, attribute, village_id, "
                               "grid_id, lon, lat, risk_eliminated FROM household ORDER BY id")
    located = households[households["lon"].notna()].set_index("id")
    points = gpd.GeoDataFrame(located, geometry=gpd.points_from_xy(located["lon"],
                                                                   located["lat"]),
                              crs=4490).to_crs(epsg)
    zones = geo(project, "hazard_zone", "kind, level", epsg)
    hazards = geo(project, "hazard_point", "kind, level, threat_radius", epsg)
    default = hazards["kind"].map(DEFAULT_THREAT_RADIUS_M).fillna(FALLBACK_THREAT_RADIUS_M)
    hazards["radius"] = hazards["threat_radius"].where(hazards["threat_radius"].notna(),
                                                       default).astype(float)
    levels = exposed(points, zones, hazards, buffer_m).rename("level").reset_index()
    levels.columns = ["id", "kind", "level"]
    worst = levels.groupby("id")["level"].min()
    attribute = located["attribute"].reindex(worst.index)
    listed = worst[(attribute == 2) | ((attribute == 1) & (worst <= 2))].index
    sites = geo(project, "resettlement_site", "id, name", epsg)
    site_levels = exposed(sites, zones, hazards, buffer_m)
    at_risk = set(site_levels.index.get_level_values(0))
    safe = sites[~sites.index.isin(at_risk)]
    nearest = gpd.sjoin_nearest(points.loc[listed], safe if len(safe) else sites,
                                distance_col="d")
    pairs = rows(project, "SELECT p.household_id, w.name, w.phone FROM helper_pair p JOIN worker "
                          "w ON w.id = p.worker_id WHERE w.active AND p.start_date <= :day AND "
                          "(p.end_date IS NULL OR p.end_date > :day)", day=day)
    roles = [str(r) for r in RESPONSIBLE_ROLES[3]]
    workers = rows(project, "SELECT a.grid_id, a.role, w.name, w.phone FROM grid_assignment a "
                            "JOIN worker w ON w.id = a.worker_id WHERE w.active AND "
                            "a.start_date <= :day AND (a.end_date IS NULL OR a.end_date > :day)",
                   day=day)
    workers = workers[workers["role"].isin(roles)]
    return {
        "located": located, "levels": levels[levels["id"].isin(listed)], "listed": listed,
        "distance": nearest.groupby(level=0)["d"].min(),
        "site": nearest.groupby(level=0)["name"].agg(set),
        "sites_at_risk": sites.loc[sorted(at_risk), "name"].tolist(),
        "helpers": pairs.groupby("household_id")["name"].agg(set),
        "helper_phones": set(pairs["phone"].dropna()),
        "workers": workers.groupby("grid_id")["name"].agg(set),
        "worker_phones": set(workers["phone"].dropna()),
        "unlocated": households[households["lon"].isna() & (households["attribute"] == 2)]
        .groupby("village_id").size(),
        "villages": rows(project, "SELECT id, code, name FROM admin_unit WHERE level = 3"),
    }


def _add_sites(project, tmp_path) -> None:
    """Six more sites through the sites import: two inside hazard zones, four 600 m from any."""
    epsg = int(project.settings()["gauss_kruger_epsg"])
    homes = rows(project, "SELECT id, lon, lat FROM household WHERE lon IS NOT NULL ORDER BY id")
    points = gpd.GeoDataFrame(homes, geometry=gpd.points_from_xy(homes["lon"], homes["lat"]),
                              crs=4490)
    zones = geo(project, "hazard_zone", "kind, level", 4490)
    inside = gpd.sjoin(points, zones, predicate="intersects").index.unique()
    near = gpd.sjoin(points.to_crs(epsg), zones.to_crs(epsg), predicate="dwithin",
                     distance=600).index.unique()
    away = points.index.difference(near)
    chosen = [inside[0], inside[len(inside) // 2], *away[:: max(1, len(away) // 4)][:4]]
    sites = points.loc[chosen, ["geometry"]].reset_index(drop=True)
    sites["安置点编码"] = [f"TEST{i:02d}" for i in range(len(sites))]
    sites["安置点名称"] = [f"测试安置点{i}" for i in range(len(sites))]
    sites["安置方式"] = "集中安置点"
    path = tmp_path / "sites.geojson"
    sites.to_file(path, driver="GeoJSON")
    import_file(ProjectSession(project, user="测试员"), path, "sites", user="测试员")


@pytest.fixture(scope="module")
def project_path(sample_project_path, tmp_path_factory):
    """The sample county with six more sites (module-wide: the tests only read it)."""
    folder = tmp_path_factory.mktemp("plan")
    path = folder / "p.gmp"
    shutil.copy(sample_project_path, path)
    project = open_project(path)
    _add_sites(project, folder)
    project.close()
    return path


@pytest.fixture
def project(project_path, tmp_path):
    shutil.copy(project_path, tmp_path / "p.gmp")
    project = open_project(tmp_path / "p.gmp")
    yield project
    project.close()


@pytest.fixture(scope="module")
def plan_and_reference(project_path):
    project = open_project(project_path)
    plan = service.disaster_plan(project, buffer_m=BUFFER, as_of=DAY, user="测试员")
    expected = reference(project, BUFFER)
    project.close()
    return plan, expected


def test_each_village_lists_the_households_an_sjoin_finds(plan_and_reference):
    plan, expected = plan_and_reference
    villages = expected["villages"].set_index("id")
    assert [v.code for v in plan.villages] == sorted(villages["code"])
    village_of = expected["located"]["village_id"]
    for village in plan.villages:
        want = {int(i) for i in expected["listed"] if
                villages.loc[village_of[i], "code"] == village.code}
        assert set(village.households["household_id"]) == want, village.name
        assert village.count == len(want)
        assert village.unlocated == int(expected["unlocated"].get(
            villages.index[villages["code"] == village.code][0], 0))
    assert plan.households == len(expected["listed"]) > 100
    # monitored at any level, lifted only at 极高 or 高
    listed = pd.concat([v.households for v in plan.villages])
    assert set(listed["attribute"]) == {1, 2}
    assert listed.loc[listed["attribute"] == 1, "level"].max() <= 2
    assert listed.loc[listed["attribute"] == 2, "level"].max() > 2


def test_hazards_per_kind_and_level_are_counted_once_per_household(plan_and_reference):
    plan, expected = plan_and_reference
    levels = expected["levels"].join(expected["located"][["village_id", "members"]], on="id")
    codes = expected["villages"].set_index("id")["code"]
    levels["code"] = levels["village_id"].map(codes)
    counts = levels.groupby(["code", "kind", "level"]).size()
    persons = levels.groupby(["code", "kind"])["members"].sum()
    for village in plan.villages:
        for row in village.hazards.itertuples(index=False):
            kind = row[0]
            for level in (1, 2, 3, 4):
                assert row[level] == counts.get((village.code, kind, level), 0)
            assert row.households == sum(counts.get((village.code, kind, v), 0)
                                         for v in (1, 2, 3, 4))
            assert row.persons == persons[(village.code, kind)]
        want = set(levels.loc[levels["code"] == village.code, "kind"])
        assert set(village.hazards["kind"]) == want
    # each household's text names its kinds at their levels: 洪涝（极高）、滑坡（高）
    names = {1: "极高", 2: "高", 3: "中", 4: "低"}
    listed = pd.concat([v.households for v in plan.villages]).set_index("household_id")
    for household, group in expected["levels"].groupby("id"):
        shown = set(listed.loc[household, "hazards"].split("、"))
        assert shown == {f"{k}（{names[v]}）" for k, v in zip(group["kind"], group["level"],
                                                            strict=True)}


def test_nearest_safe_site_and_distance_equal_sjoin_nearest(plan_and_reference):
    plan, expected = plan_and_reference
    assert plan.sites == 7 and plan.sites_exposed == len(expected["sites_at_risk"]) >= 2
    listed = pd.concat([v.households for v in plan.villages]).set_index("household_id")
    distance = expected["distance"].reindex(listed.index)
    np.testing.assert_allclose(listed["distance_m"].to_numpy(float), distance.to_numpy(),
                               rtol=0, atol=0.01)
    for household, site in listed["site"].items():
        assert site in expected["site"][household]
        assert site not in expected["sites_at_risk"]
    assert not listed["note"].str.contains(service.SITE_EXPOSED).any()


def test_helpers_workers_and_the_unpaired_flag(plan_and_reference):
    plan, expected = plan_and_reference
    listed = pd.concat([v.households for v in plan.villages]).set_index("household_id")
    helpers = expected["helpers"].reindex(listed.index)
    for household, row in listed.iterrows():
        want = helpers[household]
        shown = set(row["helper"].split("、")) if isinstance(row["helper"], str) else set()
        assert shown == (want if isinstance(want, set) else set()), household
        grid = expected["located"].loc[household, "grid_id"]
        if isinstance(row["worker"], str):
            assert set(row["worker"].split("、")) <= expected["workers"][grid]
    located = expected["located"].reindex(listed.index)
    unpaired = (located["attribute"] == 2) & ~located["risk_eliminated"].astype(bool) \
        & helpers.isna()
    assert listed["unpaired"].tolist() == unpaired.tolist()
    assert unpaired.sum() >= 1  # the sample has monitored households without a helper
    assert (listed.loc[unpaired, "note"].str.contains(service.NO_HELPER)).all()
    assert plan.summary()["unpaired"].sum() == unpaired.sum()


def test_a_site_inside_a_hazard_zone_is_taken_only_when_none_is_safe(sample_project_path,
                                                                     tmp_path):
    # The sample alone has one site, inside a flood zone: it is the nearest, with a note.
    shutil.copy(sample_project_path, tmp_path / "s.gmp")
    project = open_project(tmp_path / "s.gmp")
    expected = reference(project, BUFFER)
    plan = service.disaster_plan(project, "430599102001", BUFFER, as_of=DAY, user="测试员")
    project.close()
    village = plan.villages[0]
    assert plan.sites == plan.sites_exposed == 1
    assert village.count and (village.households["note"].str.contains(
        service.SITE_EXPOSED)).all()
    distance = expected["distance"].loc[village.households["household_id"]]
    np.testing.assert_allclose(village.households["distance_m"], distance, atol=0.01)
    assert "安置点也受灾害威胁" in service.SITE_EXPOSED


def test_personal_data_masked_unless_permitted(project, tmp_path):
    expected = reference(project, BUFFER)
    plan, xlsx = service.export_plan(project, tmp_path / "plan.xlsx", "430599102001", BUFFER,
                                     as_of=DAY, user="测试员")
    _, pdf = service.export_plan(project, tmp_path / "plan.pdf", "430599102001", BUFFER,
                                 as_of=DAY, user="测试员")
    village = plan.villages[0]
    phones = set(expected["located"].loc[village.households["household_id"], "phone"].dropna())
    helper_phones = {p for p in expected["helper_phones"]}
    full = phones | helper_phones | expected["worker_phones"]
    assert len(phones) > 20
    for text_of_file in (_xlsx_text(xlsx), _pdf_text(pdf)):
        assert not [p for p in full if p in text_of_file]
        assert "****" in text_of_file
    for column in ("phone", "helper_phone", "worker_phone"):
        values = [v for v in village.households[column] if isinstance(v, str) and v]
        assert values and all(MASKED_PHONE.match(p) for v in values for p in v.split("、"))
    # a permitted user may ask for the numbers in full; anyone else is refused
    permitted = project.settings()["personal_data_users"][0]
    _, pdf = service.export_plan(project, tmp_path / "full.pdf", "430599102001", BUFFER,
                                 as_of=DAY, unmask=True, user=permitted)
    unmasked = _pdf_text(pdf)
    assert all(p in unmasked for p in phones)
    with pytest.raises(PersonalDataDenied, match="无权查看"):
        service.export_plan(project, tmp_path / "no.pdf", "430599102001", unmask=True,
                            user="测试员")
    assert not (tmp_path / "no.pdf").exists()
    audit = rows(project, "SELECT e.label FROM edit e ORDER BY e.id DESC LIMIT 3")["label"]
    assert audit.tolist() == ["导出防范因灾返贫预案：full.pdf", "导出防范因灾返贫预案：plan.pdf",
                              "导出防范因灾返贫预案：plan.xlsx"]


def _xlsx_text(path) -> str:
    book = openpyxl.load_workbook(path)
    return "\n".join(str(v) for ws in book for row in ws.iter_rows(values_only=True)
                     for v in row if v is not None)


def _pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def test_excel_is_print_ready_with_numbers_as_numbers(project, tmp_path):
    expected = reference(project, BUFFER)
    plan, out = service.export_plan(project, tmp_path / "all.xlsx", buffer_m=BUFFER, as_of=DAY,
                                    user="测试员")
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[0] == "汇总" and len(book.sheetnames) == 1 + len(plan.villages)
    summary = book["汇总"]
    header = [c.value for c in next(r for r in summary.iter_rows() if r[0].value == "序号")]
    assert header[:5] == ["序号", "乡镇", "村（社区）", "村（社区）代码", "重点防范户数"]
    totals = next(r for r in summary.iter_rows(values_only=True) if r[1] == "合计")
    assert totals[4] == len(expected["listed"])
    village = max(plan.villages, key=lambda v: v.count)
    ws = book[village.name]
    assert ws["A1"].value == f"{village.name}防范因灾返贫预案（草案）"
    start = next(r[0].row for r in ws.iter_rows() if r[0].value == "序号" and
                 r[1].value == "户主姓名")
    header = [c.value for c in ws[start]][:14]
    assert header == list(service.COLUMNS.values())
    body = [r for r in ws.iter_rows(min_row=start + 1, max_row=start + village.count,
                                    values_only=True)]
    assert [r[0] for r in body] == list(range(1, village.count + 1))
    ids = village.households["household_id"].to_numpy()
    members = expected["located"].loc[ids, "members"].tolist()
    assert [r[3] for r in body] == members
    assert [r[12] for r in body] == [round(d) for d in expected["distance"].loc[ids]]
    assert all(isinstance(r[12], int) for r in body)
    assert ws.cell(start + 1, 3).number_format == "@"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == f"${start}:${start}"
    text_of = _xlsx_text(out)
    for words in ("二、责任分工", "三、防范措施", "5个工作日内入户核实", "编制单位（盖章）"):
        assert words in text_of


def test_pdf_sections_title_header_on_every_page(project, tmp_path):
    plan, out = service.export_plan(project, tmp_path / "one.pdf", "430599102001", BUFFER,
                                    as_of=DAY, user="测试员")
    village = plan.villages[0]
    pages = [p for p in _pdf_text(out).split("\f") if p.strip()]
    assert len(pages) >= 3
    assert "溪口社区防范因灾返贫预案（草案）" in pages[0]
    assert "一、基本情况" in pages[0] and "四、重点防范农户名单" in _pdf_text(out)
    for number, page in enumerate(pages, start=1):
        assert f"第 {number} 页 / 共 {len(pages)} 页" in page
    table_pages = [p for p in pages if "户主姓名" in p]
    assert len(table_pages) >= 2  # the list runs over and its header comes again
    names = village.households["head_name"].tolist()
    assert all(name in _pdf_text(out) for name in names)
    assert "说明" in pages[-1] and "村党组织书记（签字）" in pages[-1]


def test_a_village_with_nobody_at_risk_gets_a_plan_that_says_so(project, tmp_path):
    # 鹤山村 has no monitored household within reach of a hazard zone (buffer 0)
    expected = reference(project, 0.0)
    code = "430599103202"
    village_id = int(rows(project, "SELECT id FROM admin_unit WHERE code = :c", c=code)["id"][0])
    listed = expected["located"].loc[expected["listed"]]
    assert not ((listed["village_id"] == village_id) & (listed["attribute"] == 2)).any()
    plan, out = service.export_plan(project, tmp_path / "empty.pdf", code, 0, as_of=DAY,
                                    user="测试员", lifted_levels=())
    assert plan.villages[0].count == 0 and plan.households == 0
    text_of = _pdf_text(out)
    assert "本村没有位于灾害隐患区或地质灾害隐患点威胁范围内的监测对象" in text_of
    assert "（无）" in text_of
    _, out = service.export_plan(project, tmp_path / "empty.xlsx", code, 0, as_of=DAY,
                                 user="测试员", lifted_levels=())
    assert "（无）" in _xlsx_text(out)


@pytest.mark.parametrize(("options", "message", "english"), [
    ({"village": "999999"}, "没有代码为“999999”的村（社区）", "No village has the code “999999”"),
    ({"buffer_m": -5}, "缓冲距离无效：-5（应为不小于0的米数）",
     "Invalid buffer: -5 (metres, not negative)"),
    ({"buffer_m": "很远"}, "缓冲距离无效：很远（应为不小于0的米数）",
     "Invalid buffer: 很远 (metres, not negative)"),
])
def test_bad_input_is_refused_in_both_languages(project, tmp_path, options, message, english):
    with pytest.raises(ValueError) as caught:
        service.export_plan(project, tmp_path / "x.xlsx", user="测试员", **options)
    assert str(caught.value) == message
    assert Translator("en").message(str(caught.value)) == english
    assert not (tmp_path / "x.xlsx").exists()


def test_a_wrong_format_is_refused_before_anything_is_read(project, tmp_path):
    with pytest.raises(ValueError) as caught:
        service.export_plan(project, tmp_path / "x.docx", user="测试员")
    assert Translator("en").message(str(caught.value)) == \
        "Unsupported format for the plan: .docx (.xlsx or .pdf)"
    assert not CJK.search(Translator("en").message("导出防范因灾返贫预案：x.pdf"))


@pytest.mark.postgres
def test_the_plan_on_postgis_equals_the_reference(pg_sample_url, tmp_path):
    project = open_project(pg_sample_url)
    try:
        expected = reference(project, BUFFER)
        plan, out = service.export_plan(project, tmp_path / "pg.xlsx", buffer_m=BUFFER,
                                        as_of=DAY, user="测试员")
        listed = pd.concat([v.households for v in plan.villages]).set_index("household_id")
        assert set(listed.index) == {int(i) for i in expected["listed"]}
        np.testing.assert_allclose(listed["distance_m"],
                                   expected["distance"].reindex(listed.index), atol=0.01)
        helpers = expected["helpers"].reindex(listed.index)
        assert listed["paired"].tolist() == helpers.notna().tolist()
        assert rows(project, "SELECT label FROM edit ORDER BY id DESC LIMIT 1")["label"][0] \
            == "导出防范因灾返贫预案：pg.xlsx"
        assert len(openpyxl.load_workbook(out).sheetnames) == 1 + len(plan.villages)
    finally:
        project.close()


@pytest.mark.parametrize("kind", ["xlsx", "pdf"])
def test_writing_is_told_each_village_and_stopped_leaves_the_file_as_it_was(
        plan_and_reference, tmp_path, kind):
    plan, _ = plan_and_reference
    out = tmp_path / f"plan.{kind}"
    out.write_bytes(b"last year's plan")
    told = []

    class Stop(Exception):
        pass

    def stop_at_third(done, total):
        told.append((done, total))
        if done == 3:
            raise Stop

    with pytest.raises(Stop):
        service.write_plan(plan, out, stop_at_third)
    assert told == [(i, len(plan.villages) + 1) for i in range(4)]
    assert out.read_bytes() == b"last year's plan"
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no half file left beside it
    told.clear()
    service.write_plan(plan, out, lambda done, total: told.append((done, total)))
    total = len(plan.villages) + 1
    assert [d for d, _ in told] == list(range(total + 1)) and {t for _, t in told} == {total}
    assert out.read_bytes() != b"last year's plan"
