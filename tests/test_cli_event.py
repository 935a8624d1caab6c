"""``gis-app event`` and ``gis-app clues`` on a copy of the sample county.

The households the command lists are those a plain geopandas ``sjoin`` of the stored points
with the footprint file finds; the deadline is the one of the 2025 notice; a second run writes
nothing and says so; bad input exits 1 with a Chinese message and writes nothing.
"""

from __future__ import annotations

import json
import shutil
import sqlite3

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from gis_app.cli import main

KEYS = ["household_id", "head_name", "village", "grid", "worker", "found_on", "due_on"]


@pytest.fixture
def project(sample_project_path, tmp_path):
    shutil.copy(sample_project_path, tmp_path / "p.gmp")
    return str(tmp_path / "p.gmp")


def query(project, sql):
    with sqlite3.connect(project) as connection:
        return pd.read_sql_query(sql, connection)


@pytest.fixture
def flood_file(project, tmp_path):
    zones = query(project, "SELECT geom FROM hazard_zone WHERE kind = '洪涝' AND level = 1")
    geoms = shapely.from_wkb(zones["geom"].to_numpy())
    path = tmp_path / "flood.geojson"
    gpd.GeoDataFrame({"灾害类型": ["洪涝"] * len(geoms)}, geometry=geoms, crs=4490).to_file(path)
    return path


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def expected_ids(project, path) -> set[int]:
    points = query(project, "SELECT id, lon, lat FROM household WHERE lon IS NOT NULL")
    points = gpd.GeoDataFrame(points, geometry=gpd.points_from_xy(points["lon"], points["lat"]),
                              crs=4490)
    joined = gpd.sjoin(points, gpd.read_file(path)[["geometry"]], predicate="intersects")
    return set(joined["id"].astype(int))


def test_event_json_lists_the_clues_with_their_deadlines(project, flood_file, capsys):
    code, out, err = run(capsys, "event", project, flood_file, "--date", "2025-09-26",
                         "--json")
    assert code == 0, err
    clues = json.loads(out)
    assert clues and all(list(c) == KEYS for c in clues)
    assert {c["household_id"] for c in clues} == expected_ids(project, flood_file)
    assert {c["found_on"] for c in clues} == {"2025-09-26"}
    assert {c["due_on"] for c in clues} == {"2025-10-10"}
    names = dict(query(project, "SELECT id, head_name FROM household").to_numpy())
    assert all(c["head_name"] == names[c["household_id"]] for c in clues)
    assert "生成" in err and "风险线索" in err  # the summary goes to stderr, JSON alone on stdout
    stored = query(project, "SELECT channel, count(*) AS n FROM risk_clue "
                            "WHERE event_id IS NOT NULL GROUP BY channel")
    assert stored.to_dict("records") == [{"channel": "灾害", "n": len(clues)}]

    code, out, err = run(capsys, "event", project, flood_file, "--date", "2025-09-26",
                         "--json")
    assert code == 0 and json.loads(out) == [] and "本次未新增任何数据" in err
    assert query(project, "SELECT count(*) AS n FROM risk_clue WHERE event_id IS NOT NULL")[
        "n"][0] == len(clues)

    code, out, err = run(capsys, "clues", project, "--overdue", "--as-of", "2025-10-13",
                         "--json")
    assert code == 0, err
    late = [c for c in json.loads(out) if c["channel"] == "灾害"]
    assert len(late) == len(clues) and {c["days_overdue"] for c in late} == {3}
    code, out, err = run(capsys, "clues", project, "--overdue", "--as-of", "2025-10-10",
                         "--json")
    assert not [c for c in json.loads(out) if c["channel"] == "灾害"]


def test_event_text_output(project, flood_file, capsys):
    code, out, err = run(capsys, "event", project, flood_file, "--date", "2025-09-26",
                         "--kind", "洪涝", "--as-of", "2025-10-09")
    assert code == 0, err
    assert out.startswith("已登记灾害事件ZQ20250926-")
    assert "核实期限：5个工作日" in out and "2025-10-10" in out and "待核实" in out


@pytest.mark.parametrize(("extra", "message"), [
    (["--date", "2025-13-40"], "日期无效"),
    (["--date", "2025-09-26", "--kind", "地震"], "未知的灾害类型：地震"),
])
def test_bad_input_exits_1_and_writes_nothing(project, flood_file, capsys, extra, message):
    code, out, err = run(capsys, "event", project, flood_file, *extra, "--json")
    assert code == 1 and out == "" and message in err
    assert query(project, "SELECT count(*) AS n FROM hazard_event")["n"][0] == 0


def test_unreadable_and_far_away_files_are_refused(project, tmp_path, capsys):
    broken = tmp_path / "broken.geojson"
    broken.write_text("{not json", encoding="utf-8")
    code, _, err = run(capsys, "event", project, broken, "--date", "2025-09-26")
    assert code == 1 and "文件已损坏或不完整" in err
    far = tmp_path / "far.geojson"
    gpd.GeoDataFrame(geometry=[shapely.box(100.0, 30.0, 100.1, 30.1)], crs=4490).to_file(far)
    code, _, err = run(capsys, "event", project, far, "--date", "2025-09-26", "--kind", "洪涝")
    assert code == 1 and "不在本县范围内" in err
    assert query(project, "SELECT count(*) AS n FROM hazard_event")["n"][0] == 0
