"""Placing a household outside its registered village: refused unless confirmed, then flagged
by ``gis-app check`` (checked against a geopandas join of the stored points and villages)."""

from __future__ import annotations

import json
import shutil

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from sqlalchemy import text

from gis_app.cli import main
from gis_app.services.household_service import HouseholdService, OtherVillageError
from gis_app.services.session import ProjectSession
from gis_app.storage.project import open_project


@pytest.fixture
def location(sample_project_path, tmp_path):
    copy = tmp_path / "county.gmp"
    shutil.copy(sample_project_path, copy)
    return copy


def _stored(location, query: str, **params) -> pd.DataFrame:
    project = open_project(location)
    try:
        with project.engine.connect() as connection:
            return pd.DataFrame(connection.execute(text(query), params).mappings().all())
    finally:
        project.close()


def _tang_fusheng(session) -> tuple[int, int, int]:
    """汤福生 of 沙坪村 (位置未知 in the sample): his id, 沙坪村's id and 和平村's id."""
    head = session.household_columns(["head_name"])
    household = int(head.index[head["head_name"] == "汤福生"][0])
    units = session.frame("admin_units").set_index("name")["id"]
    return household, int(units["沙坪村"]), int(units["和平村"])


def _spot(session, village_id: int):
    """A point inside one of the village's level-3 grids (map metres)."""
    grids = session.grids
    grid = grids[(grids["level"] == 3) & (grids["admin_unit_id"] == village_id)].iloc[0]
    return grid.geometry.representative_point(), int(grid["id"])


def test_placing_in_another_village_is_refused_unless_confirmed(location):
    session = ProjectSession(open_project(location), user="甲")
    household, shaping, heping = _tang_fusheng(session)
    service = HouseholdService(session)
    point, grid = _spot(session, heping)
    conflict = service.village_conflict(household, point.x, point.y)
    assert (conflict.head_name, conflict.registered, conflict.found) == \
        ("汤福生", "沙坪村", "和平村")
    edits = len(_stored(location, "SELECT id FROM edit"))
    with pytest.raises(OtherVillageError, match="户主汤福生登记在沙坪村，所选位置在和平村"):
        service.place(household, point.x, point.y)
    row = _stored(location, "SELECT lon, grid_id FROM household WHERE id = :i", i=household)
    assert row["lon"].isna().all() and row["grid_id"].isna().all()
    assert len(_stored(location, "SELECT id FROM edit")) == edits  # nothing written
    # Confirmed: written, in 和平村's grid (the village stays 沙坪村: the ledger says so).
    placed = service.place(household, point.x, point.y, other_village=True)
    assert placed.grid_id == grid
    row = _stored(location, "SELECT lon, grid_id, village_id FROM household WHERE id = :i",
                  i=household).iloc[0]
    assert int(row["grid_id"]) == grid and int(row["village_id"]) == shaping
    # Inside its own village: no question asked; outside every village: named as such.
    own, _ = _spot(session, shaping)
    assert service.village_conflict(household, own.x, own.y) is None
    bounds = session.frame("admin_units").total_bounds
    far = service.village_conflict(household, bounds[0] - 5_000, bounds[1] - 5_000)
    assert far.found is None and "不在任何村内" in far.message()
    service.place(household, own.x, own.y)
    session.close()


def test_check_json_flags_households_outside_their_village(location, capsys):
    session = ProjectSession(open_project(location), user="甲")
    household, _, heping = _tang_fusheng(session)
    point, _ = _spot(session, heping)
    HouseholdService(session).place(household, point.x, point.y, other_village=True)
    session.close()
    assert main(["check", str(location), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    flagged = [p for p in report["problems"] if p["rule"] == "household_outside_village"]
    # Independent: the stored points joined to the stored village polygons with geopandas.
    homes = _stored(location, "SELECT h.id, h.household_code, h.lon, h.lat, v.code AS village "
                              "FROM household h JOIN admin_unit v ON v.id = h.village_id "
                              "WHERE h.lon IS NOT NULL")
    villages = _stored(location, "SELECT code, name, geom FROM admin_unit WHERE level = 3")
    villages = gpd.GeoDataFrame(villages[["code", "name"]],
                                geometry=shapely.from_wkb(villages["geom"]), crs=4490)
    points = gpd.GeoDataFrame(homes, geometry=gpd.points_from_xy(homes["lon"], homes["lat"]),
                              crs=4490)
    joined = gpd.sjoin(points, villages, predicate="intersects", how="left")
    inside = joined[joined["village"] == joined["code"]]["id"]
    outside = homes[~homes["id"].isin(set(inside))]
    assert len(outside) == 1 and int(outside["id"].iloc[0]) == household
    assert [p["code"] for p in flagged] == outside["household_code"].tolist()
    assert flagged[0]["message"] == "户主汤福生登记在沙坪村，位置却在和平村"
    assert flagged[0]["severity"] == "error"
    assert flagged[0]["other_code"] == villages.set_index("name").loc["和平村", "code"]
    assert report["summary"]["household_outside_village"] == 1
    # Errors come first, 网格无负责人 at the top of them; warnings last.
    severities = [p["severity"] for p in report["problems"]]
    assert severities == sorted(severities, key=lambda s: s != "error")
