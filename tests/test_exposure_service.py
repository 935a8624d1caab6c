"""Hazard exposure of the sample county, checked against an independent geopandas computation.

The reference reads the project file with sqlite3, projects with geopandas' ``to_crs``, joins
households and sites to the zones with ``geopandas.sjoin`` (``intersects``, or ``dwithin`` at
the buffer) and to the hazard points with ``sjoin`` and each pair's ``distance``, keeps the
most severe level per (household, kind) with ``groupby().min()`` and counts per unit with
``groupby``. Units of sites come from ``sjoin`` with the township, village and grid polygons.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gis_app.core.hazards import DEFAULT_THREAT_RADIUS_M, FALLBACK_THREAT_RADIUS_M
from gis_app.services import exposure_service as service
from gis_app.services.session import ProjectSession

LEVEL_COLUMN = {1: "township_code", 2: "village_code", 3: "grid_code"}


def _read(path, sql: str) -> pd.DataFrame:
    with sqlite3.connect(path) as connection:
        return pd.read_sql_query(sql, connection)


def _geo(frame: pd.DataFrame, epsg: int) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(frame.drop(columns="geom"),
                            geometry=shapely.from_wkb(frame["geom"].to_numpy()),
                            crs=4490).to_crs(epsg)


def _exposed(points: gpd.GeoDataFrame, zones, hazard_points, buffer_m: float) -> pd.Series:
    """Most severe level per (point index, kind), by sjoin."""
    if buffer_m > 0:
        in_zones = gpd.sjoin(points, zones, predicate="dwithin", distance=buffer_m)
    else:
        in_zones = gpd.sjoin(points, zones, predicate="intersects")
    reach = hazard_points["radius"] + buffer_m
    near = gpd.sjoin(points, hazard_points, predicate="dwithin", distance=float(reach.max()))
    distance = near.geometry.distance(
        hazard_points.geometry.loc[near["index_right"]].set_axis(near.index), align=False)
    near = near[(distance <= reach.loc[near["index_right"]].to_numpy()).to_numpy()]
    pairs = pd.concat([in_zones[["kind", "level"]], near[["kind", "level"]]])
    return pairs.groupby([pairs.index, "kind"])["level"].min()


def reference(path, buffer_m: float) -> dict[int, pd.DataFrame]:
    """Per unit level: counts indexed by (code, kind, level)."""
    epsg = int(_read(path, "SELECT value FROM project_setting WHERE key = 'gauss_kruger_epsg'")
               ["value"].iloc[0])
    units = _read(path, "SELECT id, code, parent_id, level, geom FROM admin_unit")
    grids = _read(path, "SELECT id, code, level, geom FROM grid")
    households = _read(path, "SELECT id, lon, lat, village_id, grid_id, members, attribute "
                             "FROM household").set_index("id")
    households["village_code"] = households["village_id"].map(units.set_index("id")["code"])
    township = households["village_id"].map(units.set_index("id")["parent_id"])
    households["township_code"] = township.map(units.set_index("id")["code"])
    households["grid_code"] = households["grid_id"].map(grids.set_index("id")["code"])
    located = households[households["lon"].notna()]
    points = gpd.GeoDataFrame(located, geometry=gpd.points_from_xy(located["lon"],
                                                                   located["lat"]),
                              crs=4490).to_crs(epsg)
    zones = _geo(_read(path, "SELECT kind, level, geom FROM hazard_zone"), epsg)
    hazards = _geo(_read(path, "SELECT kind, level, threat_radius, geom FROM hazard_point"),
                   epsg)
    default = hazards["kind"].map(DEFAULT_THREAT_RADIUS_M).fillna(FALLBACK_THREAT_RADIUS_M)
    hazards["radius"] = hazards["threat_radius"].where(hazards["threat_radius"].notna(),
                                                       default)
    hazards = hazards.drop(columns="threat_radius")
    exposed = _exposed(points, zones, hazards, buffer_m).rename("level").reset_index()
    exposed.columns = ["id", "kind", "level"]
    exposed = exposed.join(located, on="id")

    sites = _geo(_read(path, "SELECT id, geom FROM resettlement_site"), epsg)
    held = households.join(_read(path, "SELECT id, resettlement_site_id FROM household")
                           .set_index("id"))["resettlement_site_id"].value_counts()
    sites["held"] = sites["id"].map(held).fillna(0).astype(int)
    areas = {1: _geo(units[units["level"] == 2], epsg), 2: _geo(units[units["level"] == 3], epsg),
             3: _geo(grids[grids["level"] == 3], epsg)}
    for level, polygons in areas.items():
        joined = gpd.sjoin(sites, polygons[["code", "geometry"]], predicate="intersects",
                           how="left")
        joined = joined[~joined.index.duplicated()]
        sites[LEVEL_COLUMN[level]] = joined["code"]
    site_exposed = _exposed(sites, zones, hazards, buffer_m).rename("level").reset_index()
    site_exposed.columns = ["site", "kind", "level"]
    site_exposed = site_exposed.join(sites, on="site")

    tables = {}
    for level, column in LEVEL_COLUMN.items():
        key = exposed[column].fillna("<none>")
        counts = exposed.assign(code=key, monitored=exposed["attribute"] == 2).groupby(
            ["code", "kind", "level"]).agg(households=("id", "size"),
                                           persons=("members", "sum"),
                                           monitored=("monitored", "sum"))
        site_counts = site_exposed.assign(code=site_exposed[column].fillna("<none>")).groupby(
            ["code", "kind", "level"]).agg(sites=("site", "size"), site_households=("held",
                                                                                    "sum"))
        tables[level] = counts.join(site_counts, how="outer").fillna(0).astype(int)
    return tables


def as_indexed(table: pd.DataFrame) -> pd.DataFrame:
    code = table["code"].astype(object).where(table["code"].notna(), "<none>")
    indexed = table.assign(code=code, kind=table["kind_code"], level=table["level_code"])
    columns = ["households", "persons", "monitored", "sites", "site_households"]
    return indexed.set_index(["code", "kind", "level"])[columns].astype(int).sort_index()


@pytest.fixture(scope="module")
def references(sample_project_path) -> dict:
    return {b: reference(sample_project_path, b) for b in (0.0, 150.0)}


@pytest.fixture(scope="module")
def inputs(sample_project_path):
    from gis_app.storage.project import open_project

    project = open_project(sample_project_path)
    yield service.load_inputs(project)
    project.close()


@pytest.mark.parametrize("buffer_m", [0.0, 150.0])
@pytest.mark.parametrize("level", [1, 2, 3])
def test_counts_per_unit_match_the_independent_computation(sample_project, inputs, references,
                                                          buffer_m, level):
    table = service.exposure_by_unit(sample_project, buffer_m, level, inputs=inputs)
    expected = references[buffer_m][level].sort_index()
    got = as_indexed(table)
    assert list(got.index) == list(expected.index)
    for column in got.columns:
        assert got[column].tolist() == expected[column].tolist(), column
    assert got["households"].sum() > 1000  # the sample has real exposure to count
    assert (table["monitored"] <= table["households"]).all()


def test_each_household_counts_once_per_kind(sample_project, inputs):
    result = service.compute_exposure(sample_project, 100.0, inputs=inputs)
    per_household = result.households
    assert not per_household.duplicated(["household_id", "kind"]).any()
    assert per_household["level"].between(1, 4).all()
    for level in (1, 2, 3):
        table = result.summary(level)
        assert table["households"].sum() == len(per_household)
        assert table["sites"].sum() == len(result.sites)
    assert set(per_household["household_id"]) <= set(inputs.households["id"])
    assert inputs.unlocated == int(sample_project.engine.connect().exec_driver_sql(
        "SELECT count(*) FROM household WHERE lon IS NULL").scalar())


def test_a_wider_buffer_never_lowers_exposure(sample_project, inputs):
    narrow = service.compute_exposure(sample_project, 0.0, inputs=inputs).households
    wide = service.compute_exposure(sample_project, 300.0, inputs=inputs).households
    merged = narrow.merge(wide, on=["household_id", "kind"], how="left",
                          suffixes=("_narrow", "_wide"))
    assert merged["level_wide"].notna().all()
    assert (merged["level_wide"] <= merged["level_narrow"]).all()
    assert len(wide) > len(narrow)


def test_monitored_households_without_a_current_helper(sample_project, inputs):
    result = service.compute_exposure(sample_project, 0.0, inputs=inputs)
    table = result.summary(1)
    households = inputs.households.set_index("id")
    exposed = result.households.join(households, on="household_id")
    paired = set(inputs.helper_pairs["household_id"])
    expected = ((exposed["attribute"] == 2) & ~exposed["risk_eliminated"].astype(bool)
                & ~exposed["household_id"].isin(paired)).sum()
    assert table["unpaired"].sum() == expected
    assert (table["unpaired"] <= table["monitored"]).all()


def test_a_window_session_gives_the_same_table(sample_project, inputs):
    session = ProjectSession(sample_project, user="test")
    from_session = service.exposure_by_unit(session, 80.0, 2)
    from_project = service.exposure_by_unit(sample_project, 80.0, 2, inputs=inputs)
    pd.testing.assert_frame_equal(from_session, from_project)


def test_names_follow_the_legends_in_both_languages(sample_project, inputs):
    zh = service.exposure_by_unit(sample_project, 0.0, 1, inputs=inputs)
    en = service.exposure_by_unit(sample_project, 0.0, 1, language="en", inputs=inputs)
    assert set(zh["level"]) <= {"极高风险", "高风险", "中风险", "低风险"}
    assert set(en["level"]) <= {"Extreme", "High", "Medium", "Low"}
    assert "洪涝" in set(zh["kind"]) and "Flood" in set(en["kind"])
    assert zh["kind_code"].tolist() == en["kind_code"].tolist()
    assert service.level_name(2) == "高风险" and service.kind_name("泥石流", "en") == "Debris flow"


def test_one_kind_and_the_ways_to_name_it(sample_project, inputs):
    every = service.exposure_by_unit(sample_project, 0.0, 2, inputs=inputs)
    for name in ("滑坡", "Landslide", "landslide", "LANDSLIDE"):
        only = service.exposure_by_unit(sample_project, 0.0, 2, kind=name, inputs=inputs)
        assert set(only["kind_code"]) == {"滑坡"}
        pd.testing.assert_frame_equal(
            only, every[every["kind_code"] == "滑坡"].reset_index(drop=True))
    assert service.parse_kind("山洪") == "山洪"
    with pytest.raises(ValueError, match="未知的灾害类型：地震"):
        service.parse_kind("地震")


def test_bad_input_is_refused(sample_project, inputs):
    with pytest.raises(ValueError, match="缓冲距离无效"):
        service.exposure_by_unit(sample_project, -1.0, inputs=inputs)
    with pytest.raises(ValueError, match="统计层级"):
        service.exposure_by_unit(sample_project, 0.0, 4, inputs=inputs)


def test_the_sample_zones_are_stored_in_the_legends_kinds(inputs):
    assert set(inputs.zones["kind"]) <= {"洪涝", "山洪", "干旱", "滑坡", "泥石流", "崩塌"}
    assert inputs.zones.crs.to_epsg() == inputs.epsg


def test_dates_of_helper_pairs_decide_who_is_paired(inputs):
    pairs = inputs.helper_pairs
    today = dt.date.today()
    assert (pd.to_datetime(pairs["start_date"]).dt.date <= today).all()
    ended = pairs["end_date"].dropna()
    assert (pd.to_datetime(ended).dt.date > today).all()
    assert np.isfinite(inputs.households["x"]).all()
