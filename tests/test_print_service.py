"""Printed maps and atlases, read back: text and fonts with poppler, pixels with Pillow.

The key figures on paper are compared with plain SQL counts of the store (households,
monitored households, level-3 grids, workers in force) and with the hand computation of the
campaign's compliant checks of tests/test_visit_list.py (coverage); the map's colours with the
styles' hex colours; page counts with the store's villages and grids.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import sqlite3
import subprocess

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from gis_app.catalog import load_styles
from gis_app.cli import main
from gis_app.services.print_service import (
    PrintOptions,
    PrintOptionsError,
    export_print,
    prepare_print,
    write_print,
)
from gis_app.services.session import ProjectSession
from gis_app.storage.project import open_project
from tests.test_visit_list import covered_households

#: pdffonts' row of an embedded (yes), subset (yes) font with a ToUnicode map (yes).
EMBEDDED = re.compile(r"WenQuanYi|Noto|Droid|CJK", re.IGNORECASE)


def _read(path, sql: str) -> pd.DataFrame:
    with sqlite3.connect(path) as connection:
        return pd.read_sql_query(sql, connection)


def _text(pdf, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(["pdftotext", "-layout", *pages, str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout


def _pages(pdf) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True,
                          text=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


def _figure(text: str, label: str, unit: str) -> str:
    found = re.findall(rf"(?<![\u4e00-\u9fff]){label}\s+([\d,.%]+)\s*{unit}", text)
    assert len(found) == 1, (label, found)
    return found[0]


def _expected(path) -> dict:
    """Store counts by plain SQL: households, villages, grids, assignments in force."""
    households = _read(path, "SELECT id, village_id, grid_id, attribute FROM household")
    villages = _read(path, "SELECT id, code, name, parent_id FROM admin_unit WHERE level = 3")
    grids = _read(path, "SELECT id, code, level, admin_unit_id FROM grid")
    today = dt.date.today().isoformat()
    force = _read(path, f"SELECT worker_id, grid_id FROM grid_assignment WHERE start_date <= "
                        f"'{today}' AND (end_date IS NULL OR end_date > '{today}')")
    covered, _with_records, campaign = covered_households(path)
    scope = _read(path, f"SELECT township_id FROM campaign_township WHERE campaign_id = "
                        f"{campaign['id']}")["township_id"]
    in_campaign = households["village_id"].map(villages.set_index("id")["parent_id"]).isin(
        scope)
    return {"households": households, "villages": villages, "grids": grids, "force": force,
            "covered": covered, "campaign": households[in_campaign.to_numpy()]}


def _coverage(expected, ids) -> str:
    campaign = expected["campaign"]
    mine = campaign[campaign["id"].isin(ids)]
    return f"{len(set(mine['id']) & expected['covered']) / len(mine):.1%}"


@pytest.fixture
def session(sample_project_path):
    session = ProjectSession(open_project(sample_project_path), user="tester")
    yield session
    session.close()


def test_a_county_map_as_pdf_with_legend_figures_and_the_font_embedded(session,
                                                                        sample_project_path,
                                                                        tmp_path):
    out = tmp_path / "county.pdf"
    result = export_print(session, out, PrintOptions(title="青溪县防返贫监测网格图"))
    assert result.path == out and result.pages == 1 and _pages(out) == 1
    text = _text(out)
    assert "青溪县防返贫监测网格图" in text
    assert "青溪县" in text and "图例" in text and "北" in text and "公里" in text
    for label in ("易地搬迁安置点", "滑坡隐患点", "监测对象", "脱贫户", "档外农户", "洪涝",
                  "乡镇（一级网格）", "村（二级网格）", "三级网格"):
        assert label in text, label
    assert "制图日期" in text and "数据来源" in text and "EPSG:" in text
    expected = _expected(sample_project_path)
    households = expected["households"]
    assert _figure(text, "农户", "户") == f"{len(households):,}"
    assert _figure(text, "监测对象", "户") == f"{int((households['attribute'] == 2).sum()):,}"
    assert _figure(text, "三级网格", "个") == str(int((expected["grids"]["level"] == 3).sum()))
    assert _figure(text, "网格员（在岗）", "人") == str(expected["force"]["worker_id"].nunique())
    assert _figure(text, "排查覆盖率", "") == _coverage(expected, households["id"])
    fonts = subprocess.run(["pdffonts", str(out)], check=True, capture_output=True,
                           text=True).stdout.splitlines()[2:]
    assert fonts and all(row.split()[-5:-2] == ["yes", "yes", "yes"] for row in fonts)
    assert any(EMBEDDED.search(row) for row in fonts)
    assert not re.search(r"\d{17}[\dX]|1[3-9]\d{9}", text)  # no ID number, no phone
    images = subprocess.run(["pdfimages", "-list", str(out)], check=True, capture_output=True,
                            text=True).stdout.splitlines()[2:]
    assert images == []  # vector: no picture of the map


def test_the_village_atlas_has_a_page_per_village_with_its_figures(session,
                                                                   sample_project_path,
                                                                   tmp_path):
    out = tmp_path / "atlas.pdf"
    steps = []
    result = export_print(session, out, PrintOptions(atlas="village"),
                          progress=lambda done, total: steps.append((done, total)))
    expected = _expected(sample_project_path)
    villages = expected["villages"].sort_values("code").reset_index(drop=True)
    assert len(villages) == 26
    assert result.pages == _pages(out) == 26
    assert steps[-1] == (26, 26)
    households = expected["households"]
    grids = expected["grids"]
    for number, village in enumerate(villages.itertuples(), start=1):
        text = _text(out, number)
        assert f"{village.name}（{village.code}）" in text
        mine = households[households["village_id"] == village.id]
        assert _figure(text, "农户", "户") == f"{len(mine):,}"
        assert _figure(text, "监测对象", "户") == f"{int((mine['attribute'] == 2).sum()):,}"
        own = grids[grids["admin_unit_id"] == village.id]
        assert _figure(text, "三级网格", "个") == str(int((own["level"] == 3).sum()))
        force = expected["force"]
        assert _figure(text, "网格员（在岗）", "人") == str(
            force.loc[force["grid_id"].isin(own["id"]), "worker_id"].nunique())
        assert _figure(text, "排查覆盖率", "") == _coverage(expected, mine["id"])
        assert f"第 {number} 页 / 共 26 页" in text
        for grid in own[own["level"] == 3].itertuples():  # the page's table names its grids
            assert f"第{grid.code[-2:].lstrip('0')}网格" in text


def test_a_grid_atlas_of_one_township(session, sample_project_path, tmp_path):
    out = tmp_path / "grids.pdf"
    township = _read(sample_project_path,
                     "SELECT id, code FROM admin_unit WHERE name = '溪口镇'").iloc[0]
    result = export_print(session, out, PrintOptions(atlas="grid", township=township["code"],
                                                     paper="A3", orientation="portrait"))
    expected = _expected(sample_project_path)
    villages = expected["villages"]
    mine = villages[villages["parent_id"] == township["id"]]
    grids = expected["grids"]
    level3 = grids[(grids["level"] == 3) & grids["admin_unit_id"].isin(mine["id"])]
    assert result.pages == _pages(out) == len(level3) > 0
    info = subprocess.run(["pdfinfo", str(out)], check=True, capture_output=True,
                          text=True).stdout
    assert "841.89 x 1190.55 pts (A3)" in info
    first = level3.sort_values("code").iloc[0]
    text = _text(out, 1)
    households = expected["households"]
    assert first["code"] in text
    assert _figure(text, "农户", "户") == f"{int((households['grid_id'] == first['id']).sum()):,}"


@pytest.mark.parametrize(("paper", "orientation", "size"), [
    ("A4", "landscape", (3508, 2480)), ("A3", "portrait", (3508, 4961))])
def test_png_at_300_dpi_in_the_paper_s_pixels(session, tmp_path, paper, orientation, size):
    out = tmp_path / f"{paper}.png"
    export_print(session, out, PrintOptions(paper=paper, orientation=orientation))
    with Image.open(out) as image:
        assert image.size == size
        assert [round(v) for v in image.info["dpi"]] == [300, 300]
        pixels = np.asarray(image.convert("RGB")).reshape(-1, 3)
    styles = load_styles()
    colours, counts = np.unique(pixels, axis=0, return_counts=True)
    found = {tuple(c): n for c, n in zip(colours.tolist(), counts.tolist(), strict=True)}
    # The villages' paper and the monitored households' orange, as the styles give them.
    cream = _rgb(styles["grid_level2"].classes[0].symbol.fill)
    orange = _rgb(styles["households_by_attribute"].classes[0].symbol.fill)
    assert found.get(cream, 0) > 0.1 * len(pixels)
    assert found.get(orange, 0) > 500


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    text = hex_colour.lstrip("#")
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)


def test_the_pdf_page_rasterised_shows_the_screen_s_colours(session, tmp_path):
    out = tmp_path / "county.pdf"
    export_print(session, out, PrintOptions())
    subprocess.run(["pdftoppm", "-r", "100", "-png", "-singlefile", str(out),
                    str(tmp_path / "page")], check=True)
    with Image.open(tmp_path / "page.png") as image:
        pixels = np.asarray(image.convert("RGB")).reshape(-1, 3)
    styles = load_styles()
    cream = np.array(_rgb(styles["grid_level2"].classes[0].symbol.fill))
    assert (np.abs(pixels - cream).max(axis=1) <= 2).mean() > 0.1


def test_the_command_writes_what_the_service_writes(session, sample_project_path, tmp_path,
                                                    capsys):
    ours = tmp_path / "service.pdf"
    write_print(prepare_print(session, PrintOptions(paper="A3")), ours)
    theirs = tmp_path / "cli.pdf"
    assert main(["print", str(sample_project_path), "--out", str(theirs), "--paper", "A3",
                 "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["pages"] == 1 and payload["file"] == str(theirs)
    assert _text(theirs) == _text(ours)


def test_refusals_write_nothing(session, sample_project_path, tmp_path, capsys):
    with pytest.raises(PrintOptionsError, match="图集只能输出为 PDF"):
        export_print(session, tmp_path / "atlas.png", PrintOptions(atlas="village"))
    with pytest.raises(PrintOptionsError, match="没有代码为999的乡镇"):
        export_print(session, tmp_path / "x.pdf", PrintOptions(township="999"))
    with pytest.raises(PrintOptionsError, match="没有1999年度的集中排查"):
        export_print(session, tmp_path / "x.pdf", PrintOptions(campaign_year=1999))
    assert main(["print", str(sample_project_path), "--out", str(tmp_path / "a.png"),
                 "--atlas", "grid"]) == 1
    assert "图集只能输出为 PDF" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_cancelled_atlas_leaves_no_file(session, tmp_path):
    class Stop(Exception):
        pass

    def progress(done, total):
        if done == 3:
            raise Stop

    with pytest.raises(Stop):
        export_print(session, tmp_path / "atlas.pdf", PrintOptions(atlas="village"), progress)
    assert list(tmp_path.iterdir()) == []


def test_without_a_chinese_font_the_pdf_is_refused(session, tmp_path, monkeypatch):
    from gis_app.reports import fonts

    monkeypatch.setattr(fonts, "CJK_FONT_CANDIDATES", ())
    monkeypatch.delenv("GIS_APP_CJK_FONT", raising=False)
    with pytest.raises(fonts.CJKFontNotFound):
        export_print(session, tmp_path / "x.pdf", PrintOptions())
    assert shutil.which("pdftotext")  # the set-up installs poppler-utils
    assert list(tmp_path.iterdir()) == []


def test_in_english_the_legend_figures_and_footer_are_english(session, sample_project_path,
                                                              tmp_path, capsys):
    out = tmp_path / "english.pdf"
    assert main(["print", str(sample_project_path), "--out", str(out), "--language", "en",
                 "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["title"] == "青溪县 Grid Monitoring Map"  # the county's name is data
    text = _text(out)
    assert "青溪县 Grid Monitoring Map" in text and "网格化防返贫监测图" not in text
    # The legend: the styles' own English labels (read from styles/, not from the code).
    styles = load_styles()
    for style_id in ("households_by_attribute", "sites", "grid_level1", "grid_level2"):
        for style_class in styles[style_id].classes:
            assert style_class.label.en and style_class.label.en in text, style_class.label
    assert "Legend" in text and "图例" not in text
    assert "Resettlement sites" in text and "Hazard zones" in text  # the layers' titles
    expected = _expected(sample_project_path)
    households = expected["households"]
    assert _figure(text, "Households", "households") == f"{len(households):,}"
    assert _figure(text, "Monitored households", "households") == \
        f"{int((households['attribute'] == 2).sum()):,}"
    assert _figure(text, "Level-3 grids", "") == str(int((expected["grids"]["level"] == 3).sum()))
    assert _figure(text, "Grid workers in post", "") == \
        str(expected["force"]["worker_id"].nunique())
    assert _figure(text, "Coverage", "") == _coverage(expected, households["id"])
    assert f"Drawn on {dt.date.today().isoformat()}" in text and "Source:" in text
    assert "CRS: CGCS2000" in text and "Scale 1:" in text and re.search(r"\d k?m\b", text)
    for word in ("农户", "监测对象", "排查覆盖率", "制图日期", "数据来源", "坐标系", "比例尺",
                 "公里"):
        assert word not in text, word


def test_an_english_atlas_names_its_table_and_pages_in_english(session, sample_project_path,
                                                               tmp_path):
    township = _read(sample_project_path,
                     "SELECT id, code FROM admin_unit WHERE name = '溪口镇'").iloc[0]
    out = tmp_path / "grids.pdf"
    result = export_print(session, out, PrintOptions(atlas="grid", township=township["code"],
                                                     language="en"))
    assert result.sheet.title == "溪口镇 Atlas of Level-3 Grids"
    text = _text(out, 1)
    assert "Atlas of Level-3 Grids" in text and "三级网格图集" not in text
    assert re.search(r"Level-3 grid\s+Homes\s+Monit\.\s+Checked\s+Cov\.\s+Workers", text)
    assert f"Page 1 of {result.pages}" in text and "第 1 页" not in text
    with pytest.raises(PrintOptionsError, match="语言应为"):
        export_print(session, tmp_path / "x.pdf", PrintOptions(language="fr"))
