"""The wording of issues and of the error raised for a rejected file."""

from __future__ import annotations

from gis_app.io import InputFileError, Issue


def test_issue_text_names_file_row_and_field():
    issue = Issue("households.xlsx", 12, "户主证件号码", "证件号码校验位错误（应为X）", "error")
    assert str(issue) == "households.xlsx 第12行【户主证件号码】: 证件号码校验位错误（应为X）"
    assert str(Issue("a.csv", None, "户主姓名", "缺少必填列【户主姓名】")) == \
        "a.csv【户主姓名】: 缺少必填列【户主姓名】"
    assert str(Issue("a.gpkg", None, None, "文件中没有要素")) == "a.gpkg: 文件中没有要素"


def test_input_file_error_lists_first_issues_then_the_count():
    issues = [Issue("x.xlsx", row, "家庭人口数", "必填项为空") for row in range(5, 13)]
    issues.append(Issue("x.xlsx", 20, "监测类型", "只是提醒", "warning"))
    error = InputFileError(issues)
    lines = str(error).splitlines()
    assert lines[0] == "x.xlsx 第5行【家庭人口数】: 必填项为空"
    assert len(lines) == 6 and lines[-1] == "…共8处问题"
    assert len(error.errors) == 8 and len(error.issues) == 9
    assert str(InputFileError(issues[:1])).splitlines()[-1] == "共1处问题"
