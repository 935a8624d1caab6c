"""``gis-app report``: the same workbooks as the service, JSON on request, clean refusals."""

from __future__ import annotations

import json
import shutil

import openpyxl
import pytest

from gis_app.cli import main
from gis_app.services import report_service
from gis_app.storage.project import open_project


@pytest.fixture
def county(sample_project_path, tmp_path):
    """A private copy (each report notes itself in the audit log)."""
    path = tmp_path / "county.gmp"
    shutil.copy(sample_project_path, path)
    return path


def _cells(path) -> dict[str, list]:
    """Every sheet's values, except the 填报时间 row (today's date)."""
    book = openpyxl.load_workbook(path, read_only=True)
    return {ws.title: [row for i, row in enumerate(ws.iter_rows(values_only=True)) if i != 1]
            for ws in book.worksheets}


@pytest.mark.parametrize("annex", ["annex1", "annex2", "annex4"])
def test_the_command_writes_what_the_service_writes(county, tmp_path, capsys, annex):
    out = tmp_path / f"cli-{annex}.xlsx"
    assert main(["report", str(county), annex, "--township", "430599102", "--out",
                 str(out), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["annex"] == annex and payload["file"] == str(out)
    assert payload["campaign"] == "2023年防止返贫监测帮扶集中排查"
    assert payload["townships"] == ["430599102"]
    project = open_project(county)
    try:
        report = report_service.write_report(project, annex, tmp_path / "service.xlsx",
                                             township="430599102")
    finally:
        project.close()
    assert (payload["rows"], payload["sheets"]) == (report.rows, report.sheets)
    assert _cells(out) == _cells(report.path)


def test_unmasked_only_for_a_permitted_user(county, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GIS_APP_USER", "tester")  # not in the project's personal_data_users
    out = tmp_path / "annex2.xlsx"
    assert main(["report", str(county), "annex2", "--unmask", "--out", str(out)]) == 1
    assert "用户tester无权导出未脱敏的个人信息" in capsys.readouterr().err
    assert not out.exists()
    monkeypatch.setenv("GIS_APP_USER", "root")  # listed in the sample's setting
    assert main(["report", str(county), "annex2", "--unmask", "--out", str(out)]) == 0
    ids = [row[4] for row in openpyxl.load_workbook(out).worksheets[0].iter_rows(
        min_row=5, max_row=10, values_only=True)]
    assert all(len(i) == 18 and "*" not in i for i in ids)


def test_text_output_and_refusals(county, tmp_path, capsys):
    out = tmp_path / "附件1.xlsx"
    assert main(["report", str(county), "annex1", "--campaign", "2023", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("已生成附件1 集中排查情况统计表（2023年防止返贫监测帮扶集中排查，"
                           "青山乡、溪口镇、高峰乡）：")
    assert openpyxl.load_workbook(out).sheetnames == ["青溪县汇总", "青山乡", "溪口镇", "高峰乡"]
    for args, words in (
        (["annex1", "--township", "999"], "项目中没有代码为999的乡镇"),
        (["annex2", "--campaign", "2020"], "项目中没有2020年的集中排查"),
        (["annex3", "--out-of-range"], None),
    ):
        target = tmp_path / "refused.xlsx"
        if words is None:
            with pytest.raises(SystemExit) as stop:  # an unknown option: a usage error
                main(["report", str(county), *args, "--out", str(target)])
            assert stop.value.code == 2
            continue
        assert main(["report", str(county), *args, "--out", str(target)]) == 1
        captured = capsys.readouterr()
        assert words in captured.err and captured.out == ""
        assert not target.exists()
    assert main(["report", str(county), "annex1", "--out", str(tmp_path / "x.csv")]) == 1
    assert "报表只能保存为 .xlsx 文件" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:  # --out is required
        main(["report", str(county), "annex1"])
    assert stop.value.code == 2
