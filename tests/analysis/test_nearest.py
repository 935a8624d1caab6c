"""The nearest place of each point, checked against geopandas' ``sjoin_nearest``."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gis_app.analysis.nearest import nearest_places

EPSG = 4525  # CGCS2000 3-degree Gauss–Krüger zone 37, metres


def _layer(x, y) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=EPSG)


@pytest.fixture
def county():
    """30,000 households and 40 sites scattered over 60 × 40 km."""
    rng = np.random.default_rng(7)
    x0, y0 = 37_500_000.0, 3_100_000.0
    homes = _layer(x0 + rng.uniform(0, 60_000, 30_000), y0 + rng.uniform(0, 40_000, 30_000))
    sites = _layer(x0 + rng.uniform(0, 60_000, 40), y0 + rng.uniform(0, 40_000, 40))
    return homes, sites


def _reference(homes: gpd.GeoDataFrame, sites: gpd.GeoDataFrame):
    """Nearest site per household by sjoin_nearest: distance, and every site at that distance."""
    joined = gpd.sjoin_nearest(homes, sites, distance_col="d")
    distance = joined.groupby(level=0)["d"].min()
    tied = joined.groupby(level=0)["index_right"].agg(set)
    return distance.reindex(homes.index), tied.reindex(homes.index)


def test_nearest_site_and_distance_equal_sjoin_nearest(county):
    homes, sites = county
    found = nearest_places(homes, sites)
    distance, tied = _reference(homes, sites)
    np.testing.assert_allclose(found["distance_m"], distance.to_numpy(), rtol=0, atol=1e-6)
    assert all(place in choices for place, choices in zip(found["place"], tied, strict=True))
    # and by hand for one household: the straight line to the site chosen
    h, s = homes.geometry.iloc[123], sites.geometry.iloc[found["place"].iloc[123]]
    assert found["distance_m"].iloc[123] == pytest.approx(np.hypot(h.x - s.x, h.y - s.y))


def test_only_usable_places_are_chosen(county):
    homes, sites = county
    usable = np.arange(len(sites)) % 3 != 0  # every third site is, say, inside a flood zone
    flags = usable.copy()
    found = nearest_places(homes, sites, usable=flags)
    distance, tied = _reference(homes, sites[usable])
    np.testing.assert_allclose(found["distance_m"], distance.to_numpy(), atol=1e-6)
    assert all(place in choices for place, choices in zip(found["place"], tied, strict=True))
    assert usable[found["place"]].all()
    assert (flags == usable).all()  # the caller's flags are left as they were


def test_ties_take_the_first_place_and_unknown_locations_get_none():
    homes = _layer([0.0, 10.0, np.nan, 5.0], [0.0, 0.0, np.nan, 5.0])
    homes = homes.set_geometry(homes.geometry.where(homes.geometry.x.notna(), None))
    sites = _layer([10.0, -10.0, 0.0], [0.0, 0.0, 10.0])
    found = nearest_places(homes, sites)
    # (0, 0) is 10 m from all three sites: the first by position is taken
    assert found["place"].tolist() == [0, 0, -1, 0]
    assert found["distance_m"].iloc[0] == pytest.approx(10.0)
    assert found["distance_m"].iloc[1] == 0.0
    assert np.isnan(found["distance_m"].iloc[2])
    assert found["distance_m"].iloc[3] == pytest.approx(np.hypot(5.0, 5.0))
    # (x, y) arrays give the same answer as the layer
    xy = (np.array([0.0, 10.0, np.nan, 5.0]), np.array([0.0, 0.0, np.nan, 5.0]))
    assert nearest_places(xy, sites).equals(found)


def test_no_usable_place_gives_none():
    homes = _layer([0.0, 1.0], [0.0, 1.0])
    sites = _layer([5.0], [5.0])
    for found in (nearest_places(homes, sites, usable=[False]),
                  nearest_places(homes, sites.iloc[:0])):
        assert found["place"].tolist() == [-1, -1]
        assert found["distance_m"].isna().all()


def test_polygons_are_measured_to_their_edge():
    square = shapely.box(0, 0, 10, 10)
    found = nearest_places((np.array([5.0, 13.0]), np.array([5.0, 14.0])),
                           np.array([square], dtype=object))
    assert found["distance_m"].tolist() == [0.0, 5.0]


def test_refuses_degrees_different_crs_and_lines():
    homes, sites = _layer([0.0], [0.0]), _layer([1.0], [1.0])
    with pytest.raises(ValueError, match="不以米为单位"):
        nearest_places(homes.set_crs(4490, allow_override=True),
                       sites.set_crs(4490, allow_override=True))
    with pytest.raises(ValueError, match="坐标系不一致"):
        nearest_places(homes, sites.set_crs(4526, allow_override=True))
    line = gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 0), (1, 1)])], crs=EPSG)
    with pytest.raises(ValueError, match="非点要素"):
        nearest_places(line, sites)
    with pytest.raises(ValueError, match="one flag per place"):
        nearest_places(homes, sites, usable=[True, False])
