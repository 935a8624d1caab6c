"""The official forms read back with openpyxl, every number against an independent count.

The counts come from plain SQL written here (the compliance rules and the deciding record spelt
out as a user reads seed 002 and DOMAIN §9), then a pandas groupby: never from core/annex.py.
The sample is given a few more visits through the visit form's service first, so that the
roll-back and removal columns and a household checked twice are not all zero.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import xml.etree.ElementTree as ET
import zipfile

import openpyxl
import pandas as pd
import pytest

from gis_app.core.annex import CODES, IdentityError
from gis_app.services import report_pages, report_service
from gis_app.services.coverage_service import CampaignNotFoundError
from gis_app.services.export_service import PersonalDataDenied
from gis_app.services.record_service import RecordService
from gis_app.services.session import ProjectSession
from gis_app.storage.project import open_project
from gis_app.storage.uow import edit

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"

#: Each household's deciding record (compliant records only; home beats phone, then the
#: latest date, then the largest id), with its household and village.
DECIDING_SQL = """
WITH c AS (SELECT * FROM campaign WHERE id = :cid),
r AS (SELECT * FROM investigation_record WHERE campaign_id = :cid),
conflict AS (
    SELECT household_id FROM r GROUP BY household_id
    HAVING count(DISTINCT CAST(has_risk AS INTEGER) || '/' || coalesce(risk_type, 0) || '/'
                 || coalesce(proposed_monitoring_type, 0)) > 1),
ok AS (
    SELECT r.* FROM r, c
    WHERE r.method IN (1, 2) AND NOT (r.method = 2 AND NOT r.whole_household_away)
      AND r.checker IS NOT NULL AND trim(r.checker) <> ''
      AND r.checked_on IS NOT NULL AND r.checked_on BETWEEN c.start_date AND c.end_date
      AND r.household_id NOT IN (SELECT household_id FROM conflict)),
ranked AS (
    SELECT ok.*, row_number() OVER (PARTITION BY household_id
                                    ORDER BY method, checked_on DESC, id DESC) AS k
    FROM ok)
SELECT t.code AS township_code, t.name AS township, v.code AS village_code, v.name AS village,
       h.id AS household_id, h.head_name, h.head_id_number, h.phone, h.members, h.attribute,
       h.income_per_person, d.method, d.housing_problem, d.education_problem,
       d.insurance_problem, d.water_problem, d.other_problems, d.has_risk, d.risk_type,
       d.proposed_monitoring_type AS proposed, d.proposed_rollback, d.proposed_removal,
       d.checker, d.checked_on
FROM ranked d
JOIN household h ON h.id = d.household_id
JOIN admin_unit v ON v.id = h.village_id
JOIN admin_unit t ON t.id = v.parent_id
JOIN campaign_township ct ON ct.township_id = t.id AND ct.campaign_id = :cid
WHERE d.k = 1
ORDER BY t.code, v.code, h.id
"""


def deciding(path, campaign_id: int = 1) -> pd.DataFrame:
    with sqlite3.connect(path) as connection:
        return pd.read_sql_query(DECIDING_SQL, connection, params={"cid": campaign_id})


def expected_counts(rows: pd.DataFrame) -> pd.DataFrame:
    """Annex 1 per village from the deciding rows, by a plain groupby."""
    p = rows.assign(one=1)
    p["monitored"] = p["attribute"] == 2
    p["home"], p["remote"] = p["method"] == 1, p["method"] == 2
    p["new"] = (p["has_risk"] == 1) & p["proposed"].notna()
    for code, kind in ((1, "unstable"), (2, "marginal"), (3, "sudden")):
        p[kind] = p["proposed"] == code
    p["rollback"], p["removal"] = p["proposed_rollback"] == 1, p["proposed_removal"] == 1
    columns = {}
    for code, condition in (("A1", "one"), ("A3", "monitored"), ("A7", "home"),
                            ("A9", "remote"), ("B1", "new"), ("B3", "unstable"),
                            ("B5", "marginal"), ("B7", "sudden"), ("C1", "rollback"),
                            ("D1", "removal")):
        hit = p[condition].astype(bool)
        columns[code] = hit.groupby(p["village_code"]).sum()
        columns[f"{code[0]}{int(code[1:]) + 1}"] = (p["members"] * hit).groupby(
            p["village_code"]).sum()
    return pd.DataFrame(columns)[list(CODES)].astype(int)


def villages(path) -> pd.DataFrame:
    with sqlite3.connect(path) as connection:
        return pd.read_sql_query(
            "SELECT t.code AS township_code, t.name AS township, v.code, v.name FROM admin_unit v "
            "JOIN admin_unit t ON t.id = v.parent_id WHERE v.level = 3 ORDER BY t.code, v.code",
            connection)


@pytest.fixture
def county(sample_project_path, tmp_path):
    """A copy of the sample with a few more visits saved through the visit form's service."""
    path = tmp_path / "county.gmp"
    shutil.copy(sample_project_path, path)
    with sqlite3.connect(path) as connection:
        unchecked = [row[0] for row in connection.execute(
            "SELECT h.id FROM household h JOIN admin_unit v ON v.id = h.village_id "
            "WHERE h.id NOT IN (SELECT household_id FROM investigation_record) "
            "ORDER BY v.code, h.id LIMIT 5")]
    project = open_project(path)
    session = ProjectSession(project, user="tester")
    visits = RecordService(session)
    day = dt.date(2023, 5, 20)
    common = {"checked_on": day, "checker": "测试员"}
    visits.add_record(unchecked[0], method=1, proposed_rollback=True, **common)
    visits.add_record(unchecked[1], method=1, proposed_removal=True, has_risk=True,
                      risk_type=1, proposed_monitoring_type=2, **common)
    visits.add_record(unchecked[2], method=1, **common)  # at home, then by phone later
    visits.add_record(unchecked[2], method=2, whole_household_away=True, proposed_rollback=True,
                      checked_on=day + dt.timedelta(days=3), checker="测试员")
    visits.add_record(unchecked[3], method=2, **common)  # by phone, not away: not counted
    yield project, path
    project.close()


def _township_sheet(ws) -> tuple[pd.DataFrame, dict]:
    """A sheet's unit rows (columns named by the row of codes) and its total row."""
    codes = list(next(ws.iter_rows(min_row=7, max_row=7, values_only=True)))
    lead = codes.index("A1")
    assert codes[:lead] == [None] * lead
    rows, total = [], None
    for values in ws.iter_rows(min_row=8, values_only=True):
        if "合计" in values[1:lead]:
            total = dict(zip(codes[lead:], values[lead:], strict=True))
            break
        rows.append(values)
    headers = [c.value for c in ws[3]][:lead]
    return pd.DataFrame(rows, columns=headers + codes[lead:]), total


def _merged(ws) -> set[str]:
    return {str(r) for r in ws.merged_cells.ranges}


def test_annex1_every_number_equals_an_independent_count(county, tmp_path):
    project, path = county
    report = report_service.annex1(project, tmp_path / "附件1.xlsx", user="tester",
                                   date=dt.date(2023, 6, 2))
    expected = expected_counts(deciding(path))
    # the household visited at home and then called decides by its home visit (no roll-back)
    assert expected.loc[:, "C1"].sum() == 1 and expected.loc[:, "D1"].sum() == 1
    units = villages(path)
    wb = openpyxl.load_workbook(report.path)
    townships = units.drop_duplicates("township_code")
    assert wb.sheetnames == ["青溪县汇总", *townships["township"]]
    per_township = {}
    for township in townships.itertuples():
        ws = wb[township.township]
        frame, total = _township_sheet(ws)
        mine = units[units["township_code"] == township.township_code]
        assert frame["村（社区）"].tolist() == mine["name"].tolist()  # every village, in order
        assert frame["序号"].tolist() == list(range(1, len(mine) + 1))
        assert set(frame["乡镇场"]) == {township.township}
        want = expected.reindex(mine["code"]).fillna(0).astype(int)
        assert frame[list(CODES)].to_numpy().tolist() == want.to_numpy().tolist()
        assert [total[c] for c in CODES] == want.sum().tolist()
        per_township[township.township] = want.sum().tolist()
        for row in ws.iter_rows(min_row=8, max_row=8 + len(mine)):
            assert all(cell.data_type == "n" for cell in row[3:])  # Excel numbers
    summary, total = _township_sheet(wb["青溪县汇总"])
    assert summary["乡镇场"].tolist() == townships["township"].tolist()
    for values in summary.to_dict("records"):
        assert [values[c] for c in CODES] == per_township[values["乡镇场"]]
    assert [total[c] for c in CODES] == expected.sum().tolist()


def test_annex1_identities_hold_and_the_layout_is_the_seeds(county, tmp_path):
    project, path = county
    report = report_service.annex1(project, tmp_path / "附件1.xlsx", township="430599101",
                                   user="tester", date=dt.date(2023, 6, 2))
    wb = openpyxl.load_workbook(report.path)
    assert wb.sheetnames == ["青山乡"]
    ws = wb["青山乡"]
    frame, total = _township_sheet(ws)
    for data in [*frame.to_dict("records"), total]:
        assert data["A1"] == data["A7"] + data["A9"]
        assert data["A2"] == data["A8"] + data["A10"]
        assert data["B1"] == data["B3"] + data["B5"] + data["B7"]
        assert data["B2"] == data["B4"] + data["B6"] + data["B8"]
    header = [list(row) for row in ws.iter_rows(min_row=1, max_row=7, values_only=True)]
    assert header[0][0] == "青溪县防止返贫监测帮扶集中排查情况统计表"
    assert header[1][0] == "填报单位（盖章）：青山乡"
    assert header[1][11] == "填报时间：2023年6月2日"
    assert header[2][:4] == ["序号", "乡镇场", "村（社区）", "排查农户情况"]
    assert header[2][11] == "新识别监测对象情况"
    assert header[2][19] == "拟回退监测对象情况" and header[2][21] == "拟清退监测对象情况"
    assert [v for v in header[3] if v] == ["合计", "其中", "其中", "合计", "其中"]
    assert [v for v in header[4] if v] == ["总户数", "总人数", "监测对象", "入户排查",
                                           "微信、电话等排查", "总户数", "总人数", "脱贫不稳定户",
                                           "边缘易致贫户", "突发严重困难户"]
    assert header[5][3:5] == [None, None] and header[5][5:11] == ["户数", "人数"] * 3
    assert header[5][13:] == ["户数", "人数"] * 5
    assert header[6][3:] == list(CODES)
    n = len(frame) + 1
    note_row = 8 + n
    assert ws.cell(note_row, 1).value == "备注：A1=A7+A9，A2=A8+A10；B1=B3+B5+B7，B2=B4+B6+B8。"
    # seed 002's merged cells, column by column (A 序号, B 乡镇场, C 村, D…W = A1…D2)
    assert _merged(ws) == {
        "A1:W1", "A2:K2", "L2:W2", "A3:A6", "B3:B6", "C3:C6",
        "D3:K3", "L3:S3", "T3:U5", "V3:W5",
        "D4:E4", "F4:G4", "H4:K4", "L4:M4", "N4:S4",
        "D5:D6", "E5:E6", "F5:G5", "H5:I5", "J5:K5", "L5:L6", "M5:M6", "N5:O5", "P5:Q5",
        "R5:S5", f"A{note_row}:W{note_row}",
    }
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws.print_title_rows == "$3:$7"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws["D8"].border.left.style == "thin" and ws["A3"].border.bottom.style == "thin"


def test_annex1_refuses_a_store_that_breaks_an_identity(county, tmp_path):
    """A record proposing a type without a risk (the visit form refuses it; an old import
    might not) breaks B1 = B3 + B5 + B7 in its village: refused, named, nothing written."""
    project, path = county
    with sqlite3.connect(path) as connection:
        household, village, township = connection.execute(
            "SELECT h.id, v.name, t.name FROM household h JOIN admin_unit v ON v.id = h.village_id "
            "JOIN admin_unit t ON t.id = v.parent_id WHERE h.id NOT IN "
            "(SELECT household_id FROM investigation_record) ORDER BY h.id DESC LIMIT 1").fetchone()
        code = connection.execute("SELECT v.code FROM admin_unit v JOIN household h "
                                  "ON h.village_id = v.id WHERE h.id = ?", (household,)).fetchone()
    with edit(project, "tester", "录入走访记录") as uow:
        uow.insert("investigation_record", {
            "campaign_id": 1, "household_id": household, "method": 1,
            "checked_on": dt.date(2023, 5, 12), "checker": "测试员",
            "whole_household_away": False, "has_risk": False, "proposed_monitoring_type": 2})
    out = tmp_path / "附件1.xlsx"
    with pytest.raises(IdentityError) as caught:
        report_service.annex1(project, out, user="tester")
    lines = str(caught.value).splitlines()
    unit = f"{township}{village}（{code[0]}）"
    assert lines[0] == "统计表数据不满足表内平衡关系，未生成："
    assert lines[1].startswith(f"{unit}：B1 = B3 + B5 + B7 不成立（B1 = ")
    assert lines[2].startswith(f"{unit}：B2 = B4 + B6 + B8 不成立（B2 = ")
    assert len(lines) == 3
    assert not out.exists()


def test_annex2_lists_exactly_the_households_checked(county, tmp_path):
    project, path = county
    rows = deciding(path)
    report = report_service.annex2(project, tmp_path / "附件2.xlsx", unmask=True, user="root")
    wb = openpyxl.load_workbook(report.path)
    ws = wb.worksheets[0]
    assert ws.cell(1, 1).value == "青溪县防止返贫监测帮扶集中排查台账"
    headers = [c.value for c in ws[4]]
    assert headers == ["序号", "乡镇场", "村（社区）", "户主姓名", "户主证件号码", "家庭人口数",
                       "户属性", "排查方式", "是否有住房安全问题", "是否有义务教育阶段失学辍学问题",
                       "是否有家庭成员未参加基本医疗保险", "是否有饮水安全问题", "其他问题",
                       "是否存在致返贫风险", "致返贫风险类型", "拟纳入监测类型", "核查人签字"]
    data = pd.DataFrame(list(ws.iter_rows(min_row=5, max_row=4 + len(rows), values_only=True)),
                        columns=headers)
    assert str(ws.cell(5 + len(rows), 1).value).startswith("备注")  # nothing more in between
    yes = {1: "是", 0: "否"}
    assert data["序号"].tolist() == list(range(1, len(rows) + 1))
    assert data["户主证件号码"].tolist() == rows["head_id_number"].tolist()
    assert data["户主姓名"].tolist() == rows["head_name"].tolist()
    assert data["乡镇场"].tolist() == rows["township"].tolist()
    assert data["村（社区）"].tolist() == rows["village"].tolist()
    assert data["家庭人口数"].tolist() == rows["members"].tolist()
    assert data["户属性"].tolist() == rows["attribute"].tolist()
    assert data["排查方式"].tolist() == rows["method"].tolist()
    for header, key in (("是否有住房安全问题", "housing_problem"),
                        ("是否有义务教育阶段失学辍学问题", "education_problem"),
                        ("是否有家庭成员未参加基本医疗保险", "insurance_problem"),
                        ("是否有饮水安全问题", "water_problem"),
                        ("是否存在致返贫风险", "has_risk")):
        assert data[header].tolist() == rows[key].map(yes).tolist(), header
    for header, key in (("致返贫风险类型", "risk_type"), ("拟纳入监测类型", "proposed")):
        column = ws.iter_rows(min_row=5, max_row=4 + len(rows), min_col=headers.index(header) + 1,
                              max_col=headers.index(header) + 1, values_only=True)
        assert [v for (v,) in column] == [None if pd.isna(v) else int(v) for v in rows[key]]
    assert data["核查人签字"].tolist() == rows["checker"].tolist()
    assert [None if pd.isna(v) else v for v in data["其他问题"]] == \
        [None if pd.isna(v) else v for v in rows["other_problems"]]
    # the statistics table counts exactly these rows
    expected = expected_counts(rows)
    assert data.groupby("村（社区）").size().sum() == expected["A1"].sum()
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$3:$4"
    assert ws.sheet_properties.pageSetUpPr.fitToPage


def test_annex2_masks_id_numbers_unless_permitted(county, tmp_path):
    project, path = county
    rows = deciding(path)
    report = report_service.annex2(project, tmp_path / "masked.xlsx", user="tester")
    ws = openpyxl.load_workbook(report.path).worksheets[0]
    ids = [row[0] for row in ws.iter_rows(min_row=5, max_row=4 + len(rows), min_col=5,
                                          max_col=5, values_only=True)]
    assert ids == [f"{n[:3]}{'*' * 11}{n[-4:]}" for n in rows["head_id_number"]]
    with pytest.raises(PersonalDataDenied):
        report_service.annex2(project, tmp_path / "x.xlsx", unmask=True, user="tester")
    assert not (tmp_path / "x.xlsx").exists()


def _portrait_values(ws) -> dict:
    values = {(r, c): value for r, row in enumerate(ws.iter_rows(values_only=True), start=1)
              for c, value in enumerate(row, start=1)}
    found = {"text": [v for v in values.values() if isinstance(v, str)]}
    for label, key in (("户主姓名", "name"), ("家庭人数", "members"), ("联系方式", "phone")):
        (row, col), = [k for k, v in values.items() if v == label]
        found[key] = values[(row, col + 2)]
    return found


def test_annex3_one_portrait_per_household_with_a_risk_or_a_low_income(county, tmp_path):
    project, path = county
    rows = deciding(path)
    rows = rows[rows["township_code"] == "430599103"]
    portrayed = rows[(rows["has_risk"] == 1) | (rows["income_per_person"] < 10000)]
    with sqlite3.connect(path) as connection:
        sick = pd.read_sql_query("SELECT household_id, name FROM person WHERE illness IS NOT NULL "
                                 "OR disability_kind IS NOT NULL", connection)
    report = report_pages.annex3(project, tmp_path / "附件3.xlsx", township="430599103",
                                 user="tester")
    wb = openpyxl.load_workbook(report.path, read_only=True)
    assert len(wb.sheetnames) == len(portrayed) == report.rows
    for ws, home in zip(wb.worksheets, portrayed.itertuples(), strict=True):
        found = _portrait_values(ws)
        assert ws.title.endswith(home.head_name)
        assert found["name"] == home.head_name
        assert found["members"] == home.members
        assert found["phone"] == (f"{home.phone[:3]}****{home.phone[-4:]}" if isinstance(
                                  home.phone, str)
                                  else None)
        text = "\n".join(found["text"])
        assert f"{home.township}    {home.village}" in text
        for name in sick.loc[sick["household_id"] == home.household_id, "name"]:
            assert name in found["text"]
        proposed = not pd.isna(home.proposed)
        assert ("建议纳入监测对象（含已消除监测对象重新标识风险）☑" in text) == proposed
        assert ("无需纳入监测对象☑" in text) == (not proposed)
        income = home.income_per_person
        assert ("7500元以下☑" in text) == (income < 7500)
        assert ("2万元以上☑" in text) == (income >= 20000)
        assert f"调查人员签字：{home.checker}" in text
    first = next(wb.worksheets[0].iter_rows(max_row=1, values_only=True))
    assert first[0] == "青溪县“画像”工作核实情况表"
    with zipfile.ZipFile(report.path) as package:  # read-only sheets skip the page set-up
        setup = ET.fromstring(package.read("xl/worksheets/sheet1.xml")).find(f"{MAIN}pageSetup")
    assert setup.get("orientation") == "portrait" and setup.get("paperSize") == "9"


def test_annex4_each_villages_items(county, tmp_path):
    project, path = county
    with sqlite3.connect(path) as connection:
        items = pd.read_sql_query(
            "SELECT t.name AS township, v.name AS village, r.* FROM rectification_item r "
            "LEFT JOIN household h ON h.id = r.household_id "
            "JOIN admin_unit v ON v.id = coalesce(r.village_id, h.village_id) "
            "JOIN admin_unit t ON t.id = v.parent_id WHERE r.campaign_id = 1", connection)
    report = report_pages.annex4(project, tmp_path / "附件4.xlsx", user="tester",
                                 date=dt.date(2023, 6, 2))
    wb = openpyxl.load_workbook(report.path)
    units = villages(path)
    assert wb.sheetnames == (units["township"] + units["name"]).tolist()
    seen = 0
    for ws, unit in zip(wb.worksheets, units.itertuples(), strict=True):
        assert ws.cell(2, 1).value == f"{unit.township}    {unit.name}    2023年6月2日"
        assert [c.value for c in ws[3]] == ["序号", "具体问题", "整改责任人及联系电话",
                                            "整改措施", "整改情况", "完成时限", "备注"]
        mine = items[(items["township"] == unit.township) & (items["village"] == unit.name)]
        mine = mine.sort_values(["deadline", "id"])
        written = [r for r in ws.iter_rows(min_row=4, values_only=True) if r[1] is not None]
        assert len(written) == len(mine)
        for values, item in zip(written, mine.itertuples(), strict=True):
            phone = item.responsible_phone
            assert values[1] == item.problem
            assert values[2] == f"{item.responsible_name} {phone[:3]}****{phone[-4:]}"
            assert values[3] == item.measure
            assert values[4].startswith(item.status)
            assert values[5].date() == dt.date.fromisoformat(item.deadline)
        seen += len(written)
    assert seen == len(items) == report.rows
    assert wb.worksheets[0].print_title_rows == "$3:$3"


@pytest.mark.parametrize(("kwargs", "error", "words"), [
    ({"township": "999"}, ValueError, "项目中没有代码为999的乡镇"),
    ({"township": "VILLAGE"}, ValueError, "不是乡镇"),
    ({"campaign_year": 2020}, CampaignNotFoundError, "项目中没有2020年的集中排查"),
])
def test_bad_input_is_refused_and_nothing_written(county, tmp_path, kwargs, error, words):
    project, path = county
    with sqlite3.connect(path) as connection:
        village = connection.execute("SELECT code FROM admin_unit WHERE level = 3 "
                                     "ORDER BY code LIMIT 1").fetchone()[0]
    if kwargs.get("township") == "VILLAGE":
        kwargs = {"township": village}
    out = tmp_path / "x.xlsx"
    for annex in report_service.ANNEXES:
        with pytest.raises(error, match=words):
            report_service.write_report(project, annex, out, user="tester", **kwargs)
    assert not out.exists()


def test_a_township_outside_the_campaign_and_a_wrong_file_are_refused(county, tmp_path):
    from gis_app.services.campaign_service import create_campaign

    project, path = county
    with sqlite3.connect(path) as connection:
        qingshan = connection.execute("SELECT id FROM admin_unit WHERE code = '430599101'"
                                      ).fetchone()[0]
    create_campaign(ProjectSession(project, user="tester"), 2024, 1, 7800.0, 10000.0,
                    dt.date(2024, 4, 20), dt.date(2024, 6, 20), [qingshan])
    with pytest.raises(ValueError, match="高峰乡（430599103）不在2024年防止返贫监测帮扶集中排查"):
        report_service.annex1(project, tmp_path / "x.xlsx", 2024, township="430599103")
    report = report_service.annex1(project, tmp_path / "2024.xlsx", 2024, user="tester")
    assert report.townships["name"].tolist() == ["青山乡"]  # no records yet: zeros
    frame, total = _township_sheet(openpyxl.load_workbook(report.path)["青山乡"])
    assert len(frame) == 11 and all(total[c] == 0 for c in CODES)
    with pytest.raises(ValueError, match="报表只能保存为 .xlsx 文件"):
        report_service.write_report(project, "annex1", tmp_path / "x.pdf")
    with pytest.raises(ValueError, match="未知的报表：annex5"):
        report_service.write_report(project, "annex5", tmp_path / "x.xlsx")
    assert not (tmp_path / "x.xlsx").exists()


def test_each_form_written_is_noted_in_the_audit_log(county, tmp_path):
    project, path = county
    report_service.write_report(project, "annex4", tmp_path / "附件4.xlsx", user="tester")
    with sqlite3.connect(path) as connection:
        label, user = connection.execute("SELECT label, user_name FROM edit "
                                         "ORDER BY id DESC LIMIT 1").fetchone()
    assert (label, user) == ("导出附件4 发现问题整改台账：附件4.xlsx", "tester")


@pytest.mark.postgres
def test_annex1_on_postgis_counts_the_same(pg_sample_url, tmp_path):
    import psycopg

    project = open_project(pg_sample_url)
    try:
        report = report_service.annex1(project, tmp_path / "pg.xlsx", user="tester")
    finally:
        project.close()
    sql = DECIDING_SQL.replace(":cid", "1").replace("CAST(has_risk AS INTEGER)",
                                                     "CAST(has_risk AS INTEGER)::text")
    with psycopg.connect(pg_sample_url) as connection:
        cursor = connection.execute(sql)
        rows = pd.DataFrame(cursor.fetchall(), columns=[d.name for d in cursor.description])
    for column in ("has_risk", "proposed_rollback", "proposed_removal"):
        rows[column] = rows[column].astype(int)
    expected = expected_counts(rows)
    summary, total = _township_sheet(openpyxl.load_workbook(report.path).worksheets[0])
    assert summary["乡镇场"].tolist() == ["青山乡", "溪口镇", "高峰乡"]
    assert [total[c] for c in CODES] == expected.sum().tolist()
    assert expected["A1"].sum() > 3000
