"""``gis-app plan``: the file written, the numbers printed, bad input refused with exit code 1."""

from __future__ import annotations

import itertools
import json
import re
import shutil

import openpyxl
import pytest

from gis_app.cli import main
from gis_app.storage.project import open_project
from tests.test_plan_service import _pdf_text, reference

VILLAGE = "430599102001"  # 溪口社区


@pytest.fixture
def path(sample_project_path, tmp_path):
    shutil.copy(sample_project_path, tmp_path / "p.gmp")
    return tmp_path / "p.gmp"


def test_one_village_as_excel_with_json_counts(path, tmp_path, capsys):
    out = tmp_path / "plan.xlsx"
    assert main(["plan", str(path), "--village", VILLAGE, "--buffer", "150", "--out", str(out),
                 "--json"]) == 0
    captured = capsys.readouterr()
    printed = json.loads(captured.out)
    assert captured.err == ""  # --json: no progress
    project = open_project(path)
    expected = reference(project, 150.0)
    project.close()
    located = expected["located"]
    village_id = int(expected["villages"].set_index("code").loc[VILLAGE, "id"])
    listed = [i for i in expected["listed"] if located.loc[i, "village_id"] == village_id]
    assert printed["file"] == str(out) and printed["villages"] == 1
    assert printed["buffer_m"] == 150.0
    assert printed["households"] == len(listed)
    assert printed["monitored"] == sum(located.loc[i, "attribute"] == 2 for i in listed)
    assert printed["per_village"][0]["code"] == VILLAGE
    assert printed["per_village"][0]["persons"] == int(located.loc[listed, "members"].sum())
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["溪口社区"]


def test_every_village_as_pdf_in_text_mode(path, tmp_path, capsys):
    out = tmp_path / "all.pdf"
    assert main(["plan", str(path), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    said = captured.out
    assert said.startswith("已生成26个村（社区）的防范因灾返贫预案（草案）：重点防范")
    # progress on stderr: the plan drawn up, then the 26 villages written and the file saved
    assert captured.err.rstrip().splitlines()[-1].endswith("进度 27/27")
    assert "\r进度 1/27" in captured.err
    # each village starts a page and numbers its own pages from 1, its name in the footer
    pages = [p for p in _pdf_text(out).split("\f") if p.strip()]
    footers = [re.findall(r"(\S+)防范因灾返贫预案（草案） 第 (\d+) 页", p)[-1] for p in pages]
    villages = [name for name, _ in footers]
    runs = [name for name, _ in itertools.groupby(villages)]  # each village's pages together
    assert len(runs) == len(set(runs)) == 26
    for page, (name, number) in zip(pages, footers, strict=True):
        starts = page.lstrip().startswith(f"{name}防范因灾返贫预案（草案）")
        assert starts == (number == "1"), (name, number)
        assert "共" not in page.strip().splitlines()[-1]


@pytest.mark.parametrize(("arguments", "message"), [
    (["--village", "123"], "错误：没有代码为“123”的村（社区）"),
    (["--buffer", "-1"], "错误：缓冲距离无效：-1（应为不小于0的米数）"),
])
def test_bad_input_exits_1_with_the_reason(path, tmp_path, capsys, arguments, message):
    out = tmp_path / "x.xlsx"
    assert main(["plan", str(path), *arguments, "--out", str(out)]) == 1
    assert capsys.readouterr().err.strip() == message
    assert not out.exists()


def test_a_wrong_extension_and_a_missing_out_are_refused(path, tmp_path, capsys):
    assert main(["plan", str(path), "--out", str(tmp_path / "x.csv")]) == 1
    assert "不支持的预案格式：.csv" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        main(["plan", str(path)])
    assert usage.value.code == 2
