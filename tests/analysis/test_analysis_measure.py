"""Gauss–Krüger reprojection, areas and geodesic distances."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gis_app.analysis import areas_m2, distance_m, gauss_kruger_epsg_for, to_gauss_kruger


def square_km(lon: float, lat: float) -> gpd.GeoDataFrame:
    """A 1 km × 1 km square built in the GK zone of ``lon``, stored in EPSG:4490."""
    epsg = 4513 + round(lon / 3) - 25
    centre = gpd.GeoSeries([shapely.Point(lon, lat)], crs=4490).to_crs(epsg).iloc[0]
    square = shapely.box(centre.x, centre.y, centre.x + 1000, centre.y + 1000)
    return gpd.GeoDataFrame({"code": ["S"]}, geometry=[square], crs=epsg).to_crs(4490)


def test_zone_follows_the_layer():
    assert gauss_kruger_epsg_for(square_km(111.2, 27.0)) == 4525  # zone 37, 111°E
    assert gauss_kruger_epsg_for(square_km(113.6, 28.2)) == 4526  # zone 38, 114°E
    assert to_gauss_kruger(square_km(111.2, 27.0)).crs.to_epsg() == 4525


def test_projected_layer_keeps_its_zone():
    frame = square_km(111.2, 27.0).to_crs(4525)
    assert to_gauss_kruger(frame) is frame


def test_area_of_a_square_km():
    frame = square_km(111.2, 27.0)
    np.testing.assert_allclose(areas_m2(frame), [1e6], rtol=1e-9)
    frame = gpd.GeoDataFrame(geometry=[frame.geometry.iloc[0], None], crs=4490)
    np.testing.assert_allclose(areas_m2(frame), [1e6, 0.0], rtol=1e-9)


def test_layer_without_crs_is_refused():
    with pytest.raises(ValueError, match="坐标系"):
        areas_m2(gpd.GeoDataFrame(geometry=[shapely.box(111, 27, 111.1, 27.1)]))


def test_distance():
    # One minute of latitude at 27°N: the meridian radius of curvature of GRS80 at 27°0'30"
    # is a(1-e²)/(1-e² sin²φ)^1.5 = 6,348,574 m, times π/10800 = 1846.73 m. One degree of
    # longitude on the equator: a·π/180 = 111,319.49 m.
    assert distance_m(111.0, 27.0, 111.0, 27.0 + 1 / 60) == pytest.approx(1846.73, abs=0.01)
    assert distance_m(0.0, 0.0, 1.0, 0.0) == pytest.approx(111319.49, abs=0.01)
    result = distance_m(np.array([111.0, np.nan]), 27.0, 111.0, 27.1)
    assert result.shape == (2,) and np.isnan(result[1])
    assert isinstance(distance_m(111.0, 27.0, 111.0, 27.0), float)
