"""Reading county ledgers: layouts, encodings and every validation message a user may see."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd
import pytest

from gis_app.core.ledger import ANNEX2_COLUMNS
from gis_app.io import InputFileError, read_ledger, write_ledger_excel

ANNEX2_17 = [c.header for c in ANNEX2_COLUMNS[:17]]


def _row17(seq, name, id_number, members=3, attribute="1.脱贫户", **extra):
    values = {"序号": seq, "乡镇场": "罗城乡", "村（社区）": "石门村", "户主姓名": name,
              "户主证件号码": id_number, "家庭人口数": members, "户属性": attribute,
              "排查方式": "入户排查", "是否有住房安全问题": "否",
              "是否有义务教育阶段失学辍学问题": "否", "是否有家庭成员未参加基本医疗保险": "否",
              "是否有饮水安全问题": "否", "其他问题": "", "是否存在致返贫风险": "否",
              "致返贫风险类型": "", "拟纳入监测类型": "", "核查人签字": "刘书记"}
    values.update(extra)
    return [values[h] for h in ANNEX2_17]


def _workbook(path, rows, merges=()):
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    for ref in merges:
        ws.merge_cells(ref)
    wb.save(path)
    return path


def _annex17(path, body, header=ANNEX2_17):
    rows = [["邵阳县防止返贫监测帮扶集中排查台账"], ["填报单位：罗城乡", None, None, "填报时间："],
            header, *body, ["备注：（1）户属性：1.脱贫户；2.监测对象；3.档外农户。"]]
    return _workbook(path, rows, merges=["A1:Q1"])


def _errors(excinfo) -> list[str]:
    return [str(issue) for issue in excinfo.value.issues if issue.severity == "error"]


def test_reads_a_ledger_with_only_the_17_annex_columns(tmp_path, make_id):
    path = _annex17(tmp_path / "罗城乡台账.xlsx", [
        _row17(1, "张三", make_id(seq="001"), attribute="1.脱贫户"),
        _row17(2, "李四", make_id(seq="002"), attribute=2, **{"拟纳入监测类型": "边缘易致贫户",
                                                          "致返贫风险类型": "1"}),
        _row17("合计", None, None, members=None, attribute=None),
    ])
    result = read_ledger(path)
    assert result.header_row == 3
    frame = result.frame
    assert list(frame.columns) == [c.key for c in ANNEX2_COLUMNS[:17]]
    assert list(frame["head_name"]) == ["张三", "李四"]
    assert list(frame["attribute"]) == [1, 2]
    assert list(frame["method"]) == [1, 1]
    assert list(frame["proposed_monitoring_type"].astype(object)) == [pd.NA, 2]
    assert list(frame["risk_type"].astype(object)) == [pd.NA, 1]
    assert list(result.rows) == [4, 5]


def test_single_header_row_with_title_aliases_and_odd_spacing(tmp_path, make_id):
    header = ["序 号", "乡镇", "村(社区)", "姓名", "户主\n证件号码", "家庭人数", "户属性",
              " 联系电话 ", "经度", "纬度", "排查日期", "备用列"]
    rows = [["2023年集中排查台账"], header,
            [1, "罗城乡", "石门村", "张三", make_id().lower(), "3", "脱贫户", 13800138000.0,
             111.5, 27.25, dt.datetime(2023, 6, 1), "x"],
            [2, "罗城乡", "石门村", "李四", make_id(seq="222"), 1.0, "3", "13912345678",
             None, None, "2023/6/2", None]]
    result = read_ledger(_workbook(tmp_path / "aliases.xlsx", rows))
    frame = result.frame
    assert result.header_row == 2
    assert list(frame["phone"]) == ["13800138000", "13912345678"]
    assert list(frame["members"]) == [3, 1]
    assert list(frame["attribute"]) == [1, 3]
    assert frame["head_id_number"].iloc[0] == make_id()
    assert list(frame["checked_on"]) == [dt.date(2023, 6, 1), dt.date(2023, 6, 2)]
    assert frame["village"].iloc[0] == "石门村"
    assert [str(i) for i in result.issues] == [
        "aliases.xlsx 第2行【备用列】: 未识别的列【备用列】，已忽略"]


def test_two_row_header_with_merged_cells(tmp_path, make_id):
    top = ["序号", "乡镇场", "村（社区）", "户主姓名", "户主证件号码", "家庭人口数", "户属性",
           "三保障和饮水安全", None, None, None]
    sub = [None] * 7 + ["是否有住房安全问题", "是否有义务教育阶段失学辍学问题",
                        "是否有家庭成员未参加基本医疗保险", "是否有饮水安全问题"]
    merges = [f"{col}2:{col}3" for col in "ABCDEFG"] + ["H2:K2", "A1:K1"]
    rows = [["台账"], top, sub,
            [1, "罗城乡", "石门村", "张三", make_id(), 3, 1, "是", "否", "无", "√"]]
    result = read_ledger(_workbook(tmp_path / "merged.xlsx", rows, merges))
    assert result.header_row == 3
    frame = result.frame
    assert list(frame[["housing_problem", "education_problem", "insurance_problem",
                       "water_problem"]].iloc[0]) == [True, False, False, True]
    assert frame["head_name"].iloc[0] == "张三"
    assert result.issues == []


def _csv_text(make_id) -> str:
    return ("邵阳县防止返贫监测帮扶集中排查台账\n"
            "序号,乡镇场,村（社区）,户主姓名,户主证件号码,家庭人口数,户属性,联系电话\n"
            f"1,罗城乡,石门村,张三,{make_id()},3,1.脱贫户,13800138000\n"
            f"2,罗城乡,石门村,欧阳娜娜,{make_id(seq='777')},2,监测对象,\n")


@pytest.mark.parametrize("encoding, expected", [("utf-8-sig", "utf-8-sig"), ("utf-8", "utf-8"),
                                                ("gbk", "gb18030")])
def test_csv_encodings(tmp_path, make_id, encoding, expected):
    path = tmp_path / "台账.csv"
    path.write_bytes(_csv_text(make_id).encode(encoding))
    result = read_ledger(path)
    assert result.encoding == expected
    assert list(result.frame["head_name"]) == ["张三", "欧阳娜娜"]
    assert list(result.frame["attribute"]) == [1, 2]
    assert list(result.rows) == [3, 4]
    # 欧阳娜娜 is a monitored household without a monitoring type column: no warning expected
    assert result.issues == []


def test_csv_in_an_unknown_encoding_names_the_encoding_tried(tmp_path, make_id):
    path = tmp_path / "big5.csv"
    text = ("序號,鄉鎮場,村（社區）,戶主姓名,戶主證件號碼,家庭人口數,戶屬性\n"
            f"1,羅城鄉,石門村,張三,{make_id()},3,1\n")
    path.write_bytes(text.encode("big5"))
    with pytest.raises(InputFileError) as excinfo:
        read_ledger(path)
    message = str(excinfo.value)
    assert "big5.csv" in message and "未找到表头行" in message and "GB18030" in message


def test_missing_required_column(tmp_path, make_id):
    header = [h for h in ANNEX2_17 if h != "户主证件号码"]
    full = _row17(1, "张三", make_id())
    row = [v for h, v in zip(ANNEX2_17, full, strict=True) if h != "户主证件号码"]
    path = _workbook(tmp_path / "no_id.xlsx", [["台账"], header, row])
    with pytest.raises(InputFileError) as excinfo:
        read_ledger(path)
    assert _errors(excinfo) == ["no_id.xlsx 第2行【户主证件号码】: 缺少必填列【户主证件号码】"]


def test_invalid_check_digit_names_file_row_and_field(tmp_path, make_id):
    good = make_id()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    path = _annex17(tmp_path / "households.xlsx", [_row17(1, "张三", make_id(seq="001")),
                                                   _row17(2, "李四", bad)])
    with pytest.raises(InputFileError) as excinfo:
        read_ledger(path)
    assert _errors(excinfo) == [
        f"households.xlsx 第5行【户主证件号码】: 证件号码校验位错误（应为{good[17]}）"]
    assert "households.xlsx 第5行【户主证件号码】" in str(excinfo.value)


def test_other_id_problems_use_the_core_reasons(tmp_path, make_id):
    path = _annex17(tmp_path / "ids.xlsx", [
        _row17(1, "张三", "43052319900101123"),
        _row17(2, "李四", "43052319901301123X"),
        _row17(3, "王五", 430523199001011231),
    ])
    with pytest.raises(InputFileError) as excinfo:
        read_ledger(path)
    errors = _errors(excinfo)
    assert errors[0] == "ids.xlsx 第4行【户主证件号码】: 证件号码应为18位，实际为17位"
    assert errors[1] == "ids.xlsx 第5行【户主证件号码】: 证件号码中的出生日期19901301无效"
    assert errors[2].startswith("ids.xlsx 第6行【户主证件号码】: 证件号码被存成了数字")


def test_duplicate_id_names_both_rows(tmp_path, make_id):
    same = make_id()
    path = _annex17(tmp_path / "dup.xlsx", [_row17(1, "张三", same),
                                            _row17(2, "李四", make_id(seq="009")),
                                            _row17(3, "张三", same.lower())])
    with pytest.raises(InputFileError) as excinfo:
        read_ledger(path)
    assert _errors(excinfo) == ["dup.xlsx 第6行【户主证件号码】: 证件号码与第4行重复"]


def test_bad_cells_are_reported_with_row_and_field(tmp_path, make_id):
    path = _annex17(tmp_path / "bad.xlsx", [
        _row17(1, "", make_id(seq="001")),
        _row17(2, "李四", make_id(seq="002"), members=0),
        _row17(3, "王五", make_id(seq="003"), members="三"),
        _row17(4, "赵六", make_id(seq="004"), attribute="4"),
        _row17(5, "钱七", make_id(seq="005"), **{"是否有饮水安全问题": "也许"}),
    ])
    with pytest.raises(InputFileError) as excinfo:
        read_ledger(path)
    assert _errors(excinfo) == [
        "bad.xlsx 第4行【户主姓名】: 必填项为空",
        "bad.xlsx 第5行【家庭人口数】: 家庭人口数应为不小于1的整数",
        "bad.xlsx 第6行【家庭人口数】: 应为整数，当前值为“三”",
        "bad.xlsx 第7行【户属性】: “4”不是有效的代码，应为：1.脱贫户、2.监测对象、3.档外农户",
        "bad.xlsx 第8行【是否有饮水安全问题】: 应填写“是”或“否”，当前值为“也许”",
    ]
    assert str(excinfo.value).endswith("共5处问题")


def test_coordinates_must_be_numbers_inside_china(tmp_path, make_id):
    frame = pd.DataFrame({"head_name": ["张三", "李四", "王五"],
                          "head_id_number": [make_id(seq=s) for s in ("001", "002", "003")],
                          "members": [1, 2, 3], "attribute": [1, 1, 1],
                          "lon": [2.35, 111.0, 111.0], "lat": [60.0, 27.0, None]})
    path = write_ledger_excel(frame, tmp_path / "coords.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    lon_col = [c.value for c in ws[4]].index("经度") + 1
    ws.cell(6, lon_col).value = "东经111度"
    wb.save(path)
    with pytest.raises(InputFileError) as excinfo:
        read_ledger(path)
    errors = _errors(excinfo)
    assert errors[0].startswith("coords.xlsx 第5行【经度】: 坐标不在中国范围内")
    assert errors[1].startswith("coords.xlsx 第5行【纬度】: 坐标不在中国范围内")
    assert errors[2] == "coords.xlsx 第6行【经度】: 应为数字，当前值为“东经111度”"
    assert errors[3] == "coords.xlsx 第7行【纬度】: 经度和纬度须同时填写"


def test_monitoring_type_mismatches_are_warnings(tmp_path, make_id):
    frame = pd.DataFrame({"head_name": ["张三", "李四"],
                          "head_id_number": [make_id(seq="001"), make_id(seq="002")],
                          "members": [1, 2], "attribute": [1, 2],
                          "monitoring_type": pd.array([1, None], dtype="Int64")})
    result = read_ledger(write_ledger_excel(frame, tmp_path / "warn.xlsx"))
    assert [str(i) for i in result.issues] == [
        "warn.xlsx 第5行【监测类型】: 填写了监测类型，但户属性不是“2.监测对象”",
        "warn.xlsx 第6行【监测类型】: 户属性为“2.监测对象”，但未填写监测类型",
    ]
    assert all(i.severity == "warning" for i in result.issues)


@pytest.mark.parametrize("spelling",
                         [1, "1", "1.脱贫户", "脱贫户", "1、脱贫户", " 1．脱贫户 ", 1.0])
def test_code_spellings(tmp_path, make_id, spelling):
    path = _annex17(tmp_path / "codes.xlsx", [_row17(1, "张三", make_id(), attribute=spelling)])
    assert list(read_ledger(path).frame["attribute"]) == [1]


def test_empty_files(tmp_path):
    empty_csv = tmp_path / "empty.csv"
    empty_csv.write_bytes(b"")
    with pytest.raises(InputFileError, match="empty.csv: 文件中没有数据行"):
        read_ledger(empty_csv)
    header_only = _annex17(tmp_path / "header_only.xlsx", [])
    with pytest.raises(InputFileError) as excinfo:
        read_ledger(header_only)
    assert _errors(excinfo) == ["header_only.xlsx 第3行: 文件中没有数据行（只有表头）"]
    blank = tmp_path / "blank.xlsx"
    openpyxl.Workbook().save(blank)
    with pytest.raises(InputFileError, match="blank.xlsx: 文件中没有数据行"):
        read_ledger(blank)


def test_truncated_and_fake_xlsx(tmp_path, ledger_frame):
    good = write_ledger_excel(ledger_frame, tmp_path / "good.xlsx")
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(InputFileError) as excinfo:
        read_ledger(cut)
    assert str(excinfo.value.issues[0]).startswith("cut.xlsx: 文件已损坏或不是有效的Excel文件")
    fake = tmp_path / "fake.xlsx"
    fake.write_text("这不是Excel", encoding="utf-8")
    with pytest.raises(InputFileError, match="fake.xlsx: 文件已损坏或不是有效的Excel文件"):
        read_ledger(fake)


def test_xls_is_refused(tmp_path):
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    with pytest.raises(InputFileError, match="old.xls: 不支持.xls格式，请在Excel中另存为.xlsx"):
        read_ledger(old)
    disguised = tmp_path / "disguised.xlsx"
    disguised.write_bytes(old.read_bytes())
    with pytest.raises(InputFileError, match="不支持.xls格式"):
        read_ledger(disguised)


def test_header_not_found(tmp_path):
    path = _workbook(tmp_path / "other.xlsx", [["姓名", "年龄"], ["张三", 40]])
    expected = "other.xlsx: 未找到表头行：前15行中没有【户主证件号码】列"
    with pytest.raises(InputFileError, match=expected):
        read_ledger(path)


def test_sheet_selection(tmp_path, make_id):
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active.append(["本表为2023年集中排查台账"])
    ws = wb.create_sheet("台账")
    ws.append(ANNEX2_17)
    ws.append(_row17(1, "张三", make_id()))
    wb.save(tmp_path / "sheets.xlsx")
    assert read_ledger(tmp_path / "sheets.xlsx").sheet == "台账"
    assert list(read_ledger(tmp_path / "sheets.xlsx", sheet="台账").frame["head_name"]) == ["张三"]
    with pytest.raises(InputFileError, match="没有名为“汇总”的工作表"):
        read_ledger(tmp_path / "sheets.xlsx", sheet="汇总")
