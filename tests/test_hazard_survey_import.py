"""A hazard survey's levels written as numbers or words, and its points' threat radius.

Surveys write 风险等级 as 1–4 or as 极高/高/中/低 (often with 风险 or 风险区 after it), and a
geological hazard point's 威胁半径 in metres. Both are read into the stored columns; a cell that
is neither is refused with its feature number, and nothing is written.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import geopandas as gpd
import shapely

from gis_app.cli import main


def _points(path, levels, radii):
    frame = gpd.GeoDataFrame({
        "编码": [f"YH{i + 1}" for i in range(len(levels))],
        "名称": [f"隐患点{i + 1}" for i in range(len(levels))],
        "灾害类型": ["滑坡"] * len(levels),
        "风险等级": levels,
        "威胁户数": [3] * len(levels),
        "威胁半径": radii,
    }, geometry=[shapely.Point(111.0 + i * 0.01, 27.1) for i in range(len(levels))], crs=4490)
    frame.to_file(path)
    return path


def _stored(project):
    with sqlite3.connect(project) as connection:
        return connection.execute(
            "SELECT code, level, threat_radius FROM hazard_point ORDER BY code").fetchall()


def test_levels_in_words_and_numbers_and_the_radius_are_stored(tmp_path, capsys):
    path = _points(tmp_path / "points.geojson",
                   ["极高", "高风险", "中风险区", "4", "2级", "3"],
                   [250.0, 400.0, None, 0.0, 150.5, 120.0])
    project = str(tmp_path / "p.gmp")
    assert main(["import", project, str(path), "--kind", "hazards", "--json"]) == 0, \
        capsys.readouterr().err
    assert _stored(project) == [("YH1", 1, 250.0), ("YH2", 2, 400.0), ("YH3", 3, None),
                                ("YH4", 4, 0.0), ("YH5", 2, 150.5), ("YH6", 3, 120.0)]


def test_an_unknown_level_or_a_negative_radius_is_refused_by_feature(tmp_path, capsys):
    project = str(tmp_path / "p.gmp")
    path = _points(tmp_path / "bad.geojson", ["高", "高危", "5"], [100.0, -5.0, 100.0])
    assert main(["import", project, str(path), "--kind", "hazards"]) == 1
    err = capsys.readouterr().err
    assert "第2行【风险等级】: 风险等级无效：高危" in err
    assert "第3行【风险等级】: 风险等级无效：5" in err
    assert "第2行【威胁半径】: 威胁半径无效：-5.0" in err
    assert not Path(project).exists()  # a failed import into a new path leaves nothing


def test_updating_by_code_replaces_the_radius(tmp_path, capsys):
    project = str(tmp_path / "p.gmp")
    first = _points(tmp_path / "a.geojson", ["高", "中"], [200.0, 100.0])
    assert main(["import", project, str(first), "--kind", "hazards"]) == 0
    again = _points(tmp_path / "b.geojson", ["高", "低"], [300.0, 100.0])
    assert main(["import", project, str(again), "--kind", "hazards", "--update",
                 "--json"]) == 0
    capsys.readouterr()
    assert _stored(project) == [("YH1", 2, 300.0), ("YH2", 4, 100.0)]
