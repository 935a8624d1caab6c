"""A worker's visit list, checked against an independent computation, and its exports read back.

The reference reads the project with sqlite3 and pandas, places the households in level-3 grids
with ``geopandas.sjoin`` (keeping manual overrides), walks the grid tree to find each worker's
level-3 grids, and applies the compliance rules of DOMAIN §9 record by record in plain Python.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import sqlite3
import subprocess

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyproj
import pytest
import shapely

from gis_app.cli import main
from gis_app.reports import fonts
from gis_app.reports import visit_list as report
from gis_app.services import visit_list_service as service
from gis_app.services.assignment_service import AssignmentService
from gis_app.services.export_service import PersonalDataDenied
from gis_app.services.record_service import RecordService
from gis_app.services.session import ProjectSession
from gis_app.storage.project import open_project

HEADERS = ["序号", "户主姓名", "证件号码", "联系电话", "人口", "村（社区）", "网格", "户属性",
           "监测类型", "排查状态", "距上一户（米）", "累计路程（米）", "备注"]
MASKED_ID = re.compile(r"^\d{3}\*{11}[\dX]{4}$")
MASKED_PHONE = re.compile(r"^\d{3}\*{4}\d{4}$")


def _read(path, sql: str) -> pd.DataFrame:
    with sqlite3.connect(path) as connection:
        return pd.read_sql_query(sql, connection)


def _execute(path, sql: str, params=()) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute(sql, params)


def covered_households(path) -> tuple[set, set, pd.Series]:
    """(households with a compliant check, households with records, campaign row)."""
    campaign = _read(path, "SELECT * FROM campaign ORDER BY year DESC, round DESC LIMIT 1").iloc[0]
    start = dt.date.fromisoformat(campaign["start_date"])
    end = dt.date.fromisoformat(campaign["end_date"])
    records = _read(path, f"SELECT * FROM investigation_record WHERE campaign_id = "
                          f"{campaign['id']}")
    answers = {}
    for r in records.itertuples():
        answers.setdefault(r.household_id, set()).add(
            (bool(r.has_risk), None if pd.isna(r.risk_type) else int(r.risk_type),
             None if pd.isna(r.proposed_monitoring_type) else int(r.proposed_monitoring_type)))
    covered = set()
    for r in records.itertuples():
        ok = (len(answers[r.household_id]) == 1
              and not pd.isna(r.checker) and str(r.checker).strip() != ""
              and not pd.isna(r.checked_on)
              and start <= dt.date.fromisoformat(r.checked_on) <= end
              and (r.method == 1 or (r.method == 2 and bool(r.whole_household_away))))
        if ok:
            covered.add(int(r.household_id))
    return covered, set(records["household_id"].astype(int)), campaign


def expected_households(path, worker_id: int) -> tuple[set, set, set]:
    """(located, unlocated, noncompliant) ids a worker still has to check, computed by hand."""
    covered, with_records, campaign = covered_households(path)
    units = _read(path, "SELECT id, parent_id FROM admin_unit").set_index("id")["parent_id"]
    townships = set(_read(path, f"SELECT township_id FROM campaign_township WHERE campaign_id = "
                                f"{campaign['id']}")["township_id"])
    households = _read(path, "SELECT id, village_id, grid_id, grid_override, lon, lat "
                             "FROM household")
    households = households[households["village_id"].map(units).isin(townships)]
    grids = _read(path, "SELECT id, level, parent_id, admin_unit_id, geom FROM grid")
    level3 = grids[grids["level"] == 3]
    polygons = gpd.GeoDataFrame(level3[["id"]], crs=4490,
                                geometry=shapely.from_wkb(level3["geom"].to_numpy()))
    located = households[households["lon"].notna()]
    points = gpd.GeoDataFrame({"household": located["id"].to_numpy()}, crs=4490,
                              geometry=gpd.points_from_xy(located["lon"], located["lat"]))
    joined = gpd.sjoin(points, polygons, predicate="within").drop_duplicates("household")
    grid_of = dict(zip(joined["household"], joined["id"], strict=True))
    for r in households[households["grid_override"] == 1].itertuples():
        grid_of[r.id] = r.grid_id

    # In force today: started on or before it and not ended (the end date is the first day
    # off duty, DOMAIN §2 / core.assignments).
    today = dt.date.today().isoformat()
    assigned = _read(path, f"SELECT grid_id FROM grid_assignment WHERE worker_id = {worker_id} "
                           f"AND start_date <= '{today}' AND (end_date IS NULL OR end_date > "
                           f"'{today}')")["grid_id"].tolist()
    parent = grids.set_index("id")["parent_id"]
    mine = set()
    for grid in level3["id"]:  # walk up from every level-3 grid: is one of its ancestors mine?
        node = grid
        while node is not None and not pd.isna(node):
            if node in assigned:
                mine.add(int(grid))
                break
            node = parent.get(node)
    villages = set(grids.loc[grids["id"].isin(_below(grids, assigned)) & (grids["level"] == 2),
                             "admin_unit_id"])
    pairs = set(_read(path, f"SELECT household_id FROM helper_pair WHERE worker_id = {worker_id}"
                            f" AND start_date <= '{today}' AND (end_date IS NULL OR end_date > "
                            f"'{today}')")["household_id"])
    todo_located, todo_unlocated = set(), set()
    for r in households.itertuples():
        if r.id in covered:
            continue
        if pd.isna(r.lon):
            if r.id in pairs or (pd.isna(r.grid_id) and r.village_id in villages):
                todo_unlocated.add(int(r.id))
        elif grid_of.get(r.id) in mine or r.id in pairs:
            todo_located.add(int(r.id))
    noncompliant = (todo_located | todo_unlocated) & with_records
    return todo_located, todo_unlocated, noncompliant


def _below(grids: pd.DataFrame, ids) -> set:
    found = set(ids)
    while True:
        more = set(grids.loc[grids["parent_id"].isin(found), "id"]) - found
        if not more:
            return found
        found |= more


@pytest.fixture
def project_path(sample_project_path, tmp_path):
    copy = tmp_path / "copy.gmp"
    shutil.copy(sample_project_path, copy)
    return copy


@pytest.fixture
def project(project_path):
    opened = open_project(project_path)
    yield opened
    opened.close()


def _worker(path, sql: str) -> int:
    return int(_read(path, sql).iloc[0, 0])


@pytest.fixture(scope="module")
def workers(sample_project_path) -> dict:
    """A level-3 worker with many households to visit, a village (level-2) worker whose village
    has a household without a location, and a helper."""
    path = sample_project_path
    level3 = _read(path, "SELECT a.worker_id, count(*) AS n FROM grid_assignment a JOIN grid g "
                         "ON g.id = a.grid_id JOIN household h ON h.grid_id = g.id "
                         "WHERE g.level = 3 GROUP BY a.worker_id ORDER BY n DESC, a.worker_id")
    village = _worker(path, "SELECT a.worker_id FROM grid_assignment a JOIN grid g ON g.id = "
                            "a.grid_id JOIN household h ON h.village_id = g.admin_unit_id WHERE "
                            "g.level = 2 AND h.lon IS NULL ORDER BY a.worker_id LIMIT 1")
    helper = _worker(path, "SELECT worker_id FROM helper_pair GROUP BY worker_id "
                           "ORDER BY count(*) DESC, worker_id LIMIT 1")
    return {"level3": int(level3["worker_id"].iloc[0]), "village": village, "helper": helper}


@pytest.mark.parametrize("kind", ["level3", "village", "helper"])
def test_households_equal_the_independent_computation(project, project_path, workers, kind):
    worker = workers[kind]
    located, unlocated, noncompliant = expected_households(project_path, worker)
    visits = service.visit_list(project, worker)
    rows = visits.households
    assert len(located | unlocated) > 0
    assert set(rows["household_id"]) == located | unlocated
    assert rows["household_id"].is_unique
    assert visits.count == len(located | unlocated)
    # Located households first, in route order; those without a location last, marked so.
    n = len(located)
    assert set(rows["household_id"][:n]) == located
    assert (rows["note"][n:].str.contains("位置未知")).all()
    assert not rows["note"][:n].str.contains("位置未知").any()
    assert rows["seq"].tolist() == list(range(1, visits.count + 1))
    flagged = set(rows.loc[rows["status"] == "排查不合规", "household_id"])
    assert flagged == noncompliant
    assert rows.loc[rows["household_id"].isin(noncompliant), "note"].str.contains(
        "需重新排查").all()


def test_the_village_worker_lists_the_household_without_a_location(project, project_path,
                                                                   workers):
    _, unlocated, _ = expected_households(project_path, workers["village"])
    visits = service.visit_list(project, workers["village"])
    assert unlocated and set(visits.households["household_id"].tail(len(unlocated))) == unlocated
    assert visits.households["leg_m"].tail(len(unlocated)).isna().all()


def test_legs_are_the_gauss_kruger_distances_of_the_order(project, project_path, workers):
    visits = service.visit_list(project, workers["level3"])
    ids = visits.located["household_id"].tolist()
    points = _read(project_path, "SELECT id, lon, lat FROM household").set_index("id").loc[ids]
    to_gk = pyproj.Transformer.from_crs(4490, 4525, always_xy=True)  # the sample's zone 37
    x, y = to_gk.transform(points["lon"].to_numpy(), points["lat"].to_numpy())
    legs = np.r_[0.0, np.hypot(np.diff(x), np.diff(y))]
    np.testing.assert_allclose(visits.located["leg_m"].to_numpy(), legs, atol=1e-3)
    np.testing.assert_allclose(visits.located["cumulative_m"].to_numpy(), np.cumsum(legs),
                               atol=1e-3)
    assert visits.route_m == pytest.approx(legs.sum(), abs=1e-3)
    # A walking order, not the table's: shorter than visiting in id order.
    by_id = np.argsort(ids)
    assert visits.route_m < np.hypot(np.diff(x[by_id]), np.diff(y[by_id])).sum()


def test_a_recorded_visit_drops_off_and_a_noncompliant_one_stays_flagged(project, project_path,
                                                                          workers):
    worker = workers["level3"]
    before = service.visit_list(project, worker).households
    done, bad = int(before["household_id"].iloc[0]), int(before["household_id"].iloc[1])
    campaign = _read(project_path, "SELECT id FROM campaign ORDER BY year DESC LIMIT 1").iloc[0, 0]
    records = RecordService(ProjectSession(project, user="测试员"), int(campaign))
    visit = {"checked_on": dt.date(2023, 5, 20), "checker": "测试员"}
    assert records.add_record(done, method=1, **visit).covered
    # A phone check of a household that is not away: saved, but not a compliant check.
    assert records.add_record(bad, method=2, **visit).flags == {
        "remote_not_away": "电话核查但非全家外出"}
    after = service.visit_list(project, worker).households
    assert done not in set(after["household_id"])
    row = after[after["household_id"] == bad].iloc[0]
    assert row["status"] == "排查不合规" and "需重新排查" in row["note"]
    assert len(after) == len(before) - 1


def test_personal_data_is_masked_by_default(project, project_path, workers):
    visits = service.visit_list(project, workers["level3"])
    real = _read(project_path, "SELECT id, head_id_number, phone FROM household").set_index("id")
    rows = visits.households
    assert rows["head_id_number"].map(lambda v: bool(MASKED_ID.match(v))).all()
    assert rows["phone"].map(lambda v: v == "" or bool(MASKED_PHONE.match(v))).all()
    full = real.loc[rows["household_id"], "head_id_number"].to_numpy()
    assert (rows["head_id_number"].str[-4:].to_numpy() == [v[-4:] for v in full]).all()
    assert not (rows["head_id_number"].to_numpy() == full).any()
    assert MASKED_PHONE.match(visits.worker["phone"])


def test_unmask_is_refused_without_the_right_and_allowed_with_it(project, project_path,
                                                                 workers, monkeypatch):
    allowed = json.loads(_read(project_path, "SELECT value FROM project_setting WHERE key = "
                                             "'personal_data_users'").iloc[0, 0])
    monkeypatch.setenv("GIS_APP_USER", "没有权限的人")
    with pytest.raises(PersonalDataDenied, match="无权"):
        service.visit_list(project, workers["level3"], unmask=True)
    monkeypatch.setenv("GIS_APP_USER", allowed[0])
    visits = service.visit_list(project, workers["level3"], unmask=True)
    real = _read(project_path, "SELECT id, head_id_number FROM household").set_index("id")
    expected = real.loc[visits.households["household_id"], "head_id_number"].tolist()
    assert visits.households["head_id_number"].tolist() == expected


def test_workers_are_found_by_name_or_id_and_ambiguity_is_explained(project, project_path):
    row = _read(project_path, "SELECT id, name FROM worker ORDER BY id LIMIT 1").iloc[0]
    assert service.find_worker(project, row["name"]) == int(row["id"])
    assert service.find_worker(project, str(row["id"])) == int(row["id"])
    with pytest.raises(service.WorkerNotFoundError, match="没有"):
        service.find_worker(project, "查无此人")
    _execute(project_path, "INSERT INTO worker (name, phone, active, version) VALUES (?, ?, 1, 1)",
             (row["name"], "13900000000"))
    with pytest.raises(service.WorkerNotFoundError, match="同名"):
        service.find_worker(project, row["name"])
    with pytest.raises(service.WorkerNotFoundError):
        service.visit_list(project, 999999)


def _header_row(ws) -> int:
    for index, row in enumerate(ws.iter_rows(values_only=True), start=1):
        if row and row[0] == "序号":
            return index
    raise AssertionError("no header row")


def test_excel_reads_back_in_route_order_masked(project, project_path, workers, tmp_path):
    worker = workers["village"]
    located, unlocated, _ = expected_households(project_path, worker)
    visits, out = service.export_visit_list(project, worker, tmp_path / "清单.xlsx")
    wb = openpyxl.load_workbook(out)
    ws = wb.worksheets[0]
    name = _read(project_path, f"SELECT name FROM worker WHERE id = {worker}").iloc[0, 0]
    assert name in ws["A1"].value
    header = _header_row(ws)
    rows = list(ws.iter_rows(min_row=header, values_only=True))
    assert list(rows[0]) == HEADERS
    body = rows[1:]
    assert len(body) == len(located | unlocated)
    assert [r[0] for r in body] == list(range(1, len(body) + 1))
    assert [r[1] for r in body] == visits.households["head_name"].tolist()
    assert all(MASKED_ID.match(r[2]) for r in body)
    assert body[-1][12].startswith("位置未知")
    walked = [r[11] for r in body if r[11] is not None]
    assert walked == sorted(walked) and walked[-1] == round(visits.route_m)
    summary = " ".join(str(ws.cell(row=r, column=1).value) for r in range(2, header))
    assert f"{len(body)}户" in summary and "公里" in summary
    assert ws.print_title_rows == f"${header}:${header}"
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert len(wb["路线图"]._images) == 1


def _pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def _non_white_share(png) -> float:
    from PIL import Image

    pixels = np.asarray(Image.open(png).convert("L"))
    return float((pixels < 200).mean())


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdf_reads_back_with_the_names_in_order(project, project_path, workers, tmp_path):
    worker = workers["level3"]
    located, unlocated, _ = expected_households(project_path, worker)
    visits, out = service.export_visit_list(project, worker, tmp_path / "清单.pdf")
    text = _pdf_text(out)
    assert visits.worker["name"] in text
    assert f"待走访：{len(located | unlocated)}户" in text
    position = 0
    heads = _read(project_path, "SELECT id, head_name FROM household").set_index("id")
    for household in visits.households["household_id"]:
        position = text.index(heads.loc[household, "head_name"], position)  # in route order
    assert "第 1 页" in text and "北" in text
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(out),
                    str(tmp_path / "page")], check=True)
    page = next(tmp_path.glob("page*.png"))
    assert _non_white_share(page) > 0.02


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_a_long_list_repeats_the_header_on_every_page(project, tmp_path):
    captain = _worker(project.location, "SELECT worker_id FROM grid_assignment WHERE role = "
                                        "'网格长' ORDER BY worker_id LIMIT 1")
    visits, out = service.export_visit_list(project, captain, tmp_path / "long.pdf")
    pages = _pdf_text(out).split("\f")
    pages = [p for p in pages if p.strip()]
    assert visits.count > 200 and len(pages) > 3
    for number, page in enumerate(pages, start=1):
        assert "户主姓名" in page and f"第 {number} 页 / 共 {len(pages)} 页" in page


def test_pdf_without_a_chinese_font_says_so(project, workers, tmp_path, monkeypatch):
    monkeypatch.delenv("GIS_APP_CJK_FONT", raising=False)
    monkeypatch.setattr(fonts, "CJK_FONT_CANDIDATES", ())
    with pytest.raises(report.CJKFontNotFound, match="未找到中文字体"):
        service.export_visit_list(project, workers["level3"], tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()


def test_a_worker_with_nothing_to_visit_still_gets_a_list(project, tmp_path):
    newcomer = AssignmentService(ProjectSession(project, user="测试员")).add_worker(
        "新来的", "13911112222")
    visits, out = service.export_visit_list(project, newcomer, tmp_path / "empty.xlsx")
    assert visits.count == 0 and visits.route_m == 0
    ws = openpyxl.load_workbook(out).worksheets[0]
    assert ws.max_row == _header_row(ws)
    _, pdf = service.export_visit_list(project, newcomer, tmp_path / "empty.pdf")
    assert pdf.stat().st_size > 0


def test_unsupported_format_is_refused(project, workers, tmp_path):
    with pytest.raises(ValueError, match="不支持"):
        service.export_visit_list(project, workers["level3"], tmp_path / "list.docx")


def test_cli_json(project_path, workers, tmp_path, capsys):
    worker = workers["level3"]
    located, unlocated, _ = expected_households(project_path, worker)
    name = _read(project_path, f"SELECT name FROM worker WHERE id = {worker}").iloc[0, 0]
    out = tmp_path / "cli.xlsx"
    assert main(["visit-list", str(project_path), "--worker", name, str(out), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert set(payload) == {"worker", "households", "route_m", "file"}
    assert payload["worker"] == name
    assert payload["households"] == len(located | unlocated)
    assert payload["file"] == str(out) and out.is_file()
    assert payload["route_m"] > 0
    audit = _read(project_path, "SELECT action FROM audit_log WHERE action = 'export_visit_list'")
    assert len(audit) == 1


def test_cli_refusals_exit_1_with_a_chinese_message(project_path, tmp_path, capsys,
                                                    monkeypatch, workers):
    args = ["visit-list", str(project_path), "--worker", "查无此人", str(tmp_path / "a.xlsx")]
    assert main(args) == 1
    assert "网格员" in capsys.readouterr().err
    monkeypatch.setenv("GIS_APP_USER", "没有权限的人")
    args = ["visit-list", str(project_path), "--worker", str(workers["level3"]),
            str(tmp_path / "b.pdf"), "--unmask"]
    assert main(args) == 1
    assert "无权" in capsys.readouterr().err
    assert not (tmp_path / "b.pdf").exists()
    args = ["visit-list", str(project_path), "--worker", str(workers["level3"]),
            str(tmp_path / "c.xlsx"), "--campaign", "1999"]
    assert main(args) == 1
    assert "1999" in capsys.readouterr().err


def test_an_assignment_ended_today_no_longer_puts_its_households_on_the_list(project,
                                                                              project_path,
                                                                              workers):
    """取消分配 today: the worker is no longer responsible today (core.assignments), so the
    grid's households leave the list, as the reference computes it."""
    worker = workers["level3"]
    session = ProjectSession(project, user="测试员")
    held = session.current_assignments()
    held = held[held["worker_id"] == worker]
    assert len(held) and len(service.visit_list(project, worker).households)
    AssignmentService(session).unassign(held["id"].tolist())
    located, unlocated, _ = expected_households(project_path, worker)
    visits = service.visit_list(project, worker)
    assert set(visits.households["household_id"]) == located | unlocated
    in_grids = set(_read(project_path, f"SELECT id FROM household WHERE grid_id IN "
                                       f"({','.join(map(str, held['grid_id']))})")["id"])
    paired = set(_read(project_path, f"SELECT household_id FROM helper_pair WHERE worker_id = "
                                      f"{worker}")["household_id"])
    assert not (set(visits.households["household_id"]) & (in_grids - paired))
    assert visits.grid_names == []
