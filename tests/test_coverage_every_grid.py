"""Coverage lists every grid: a sliver cut off by a split, with no household, stays in
``gis-app coverage`` (0 households, coverage null, after the gaps); counted independently."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
import shapely
from sqlalchemy import text

from gis_app.cli import main
from gis_app.services.grid_edit_service import GridEditService
from gis_app.services.session import ProjectSession
from gis_app.storage.project import open_project


def _sql(location, query: str) -> pd.DataFrame:
    project = open_project(location)
    try:
        with project.engine.connect() as connection:
            return pd.DataFrame(connection.execute(text(query)).mappings().all())
    finally:
        project.close()


def cut_a_sliver(location) -> list[str]:
    """Split a level-3 grid of campaign 1 along a line west of all its households.

    Returns the codes of the new, empty grids.
    """
    grids = _sql(location, "SELECT g.id, g.code, g.geom FROM grid g JOIN admin_unit v "
                           "ON v.id = g.admin_unit_id WHERE g.level = 3 AND v.parent_id IN "
                           "(SELECT township_id FROM campaign_township WHERE campaign_id = 1) "
                           "ORDER BY g.id")
    homes = _sql(location, "SELECT grid_id, min(lon) AS west FROM household "
                           "WHERE lon IS NOT NULL GROUP BY grid_id").set_index("grid_id")["west"]
    session = ProjectSession(open_project(location), user="甲")
    try:
        for row in grids.itertuples():
            shape = shapely.from_wkb(row.geom)
            xmin, ymin, _xmax, ymax = shape.bounds
            if row.id not in homes.index or homes[row.id] - xmin < 2e-4:
                continue
            x = (xmin + homes[row.id]) / 2
            line = shapely.LineString([(x, ymin - 0.01), (x, ymax + 0.01)])
            before = set(_sql(location, "SELECT code FROM grid WHERE level = 3")["code"])
            GridEditService(session).split_by_line(int(row.id), line)
            after = set(_sql(location, "SELECT code FROM grid WHERE level = 3")["code"])
            return sorted(after - before)
    finally:
        session.close()
    raise AssertionError("no grid with room west of its households")


@pytest.fixture(scope="module")
def location(sample_project_path, tmp_path_factory):
    copy = tmp_path_factory.mktemp("sliver") / "county.gmp"
    shutil.copy(sample_project_path, copy)
    return copy


def test_coverage_json_lists_every_grid_of_the_campaign(location, capsys):
    empty = cut_a_sliver(location)
    assert empty
    assert main(["coverage", str(location), "--json"]) == 0
    table = pd.DataFrame(json.loads(capsys.readouterr().out))
    # Independent: every level-3 grid of the campaign's townships, households counted in SQL.
    grids = _sql(location, "SELECT g.code FROM grid g JOIN admin_unit v ON v.id = g.admin_unit_id "
                           "WHERE g.level = 3 AND v.parent_id IN (SELECT township_id FROM "
                           "campaign_township WHERE campaign_id = 1)")["code"]
    counts = _sql(location, "SELECT g.code, count(h.id) AS n FROM household h "
                            "JOIN admin_unit v ON v.id = h.village_id LEFT JOIN grid g "
                            "ON g.id = h.grid_id WHERE v.parent_id IN (SELECT township_id FROM "
                            "campaign_township WHERE campaign_id = 1) GROUP BY g.code")
    no_grid = int(counts.loc[counts["code"].isna(), "n"].sum())
    counts = counts.dropna(subset=["code"])
    counted = dict(zip(counts["code"], counts["n"], strict=True))
    listed = table.dropna(subset=["code"])
    assert sorted(listed["code"]) == sorted(grids)
    for record in listed.itertuples():
        assert record.households == counted.get(record.code, 0)
    # The null-code row: the campaign's households without a grid (位置未知 among them).
    unplaced = table[table["code"].isna()]
    assert unplaced["households"].tolist() == [no_grid] and no_grid > 0
    assert unplaced["name"].tolist() == ["（未划入网格）"]
    # The empty slivers: 0 households, coverage null, after every grid with households.
    for code in empty:
        row = table[table["code"] == code].iloc[0]
        assert row["households"] == 0 and pd.isna(row["coverage"])
    first_empty = int(np.flatnonzero(table["households"].to_numpy() == 0)[0])
    assert (table["households"].iloc[first_empty:] == 0).all()
    assert table["coverage"].iloc[:first_empty].notna().all()
    assert list(table["coverage"].iloc[:first_empty]) == \
        sorted(table["coverage"].iloc[:first_empty])  # the largest gap first


def test_coverage_text_shows_a_dash_for_an_empty_grid(location, capsys):
    empty = _sql(location, "SELECT g.code FROM grid g WHERE g.level = 3 AND NOT EXISTS "
                           "(SELECT 1 FROM household h WHERE h.grid_id = g.id)")["code"]
    assert len(empty)
    assert main(["coverage", str(location)]) == 0
    lines = capsys.readouterr().out.splitlines()
    for code in empty:
        line = next(line for line in lines if line.startswith(code))
        assert line.split()[2] == "0" and line.split()[7] == "—"
