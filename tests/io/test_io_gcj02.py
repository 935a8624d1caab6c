"""GCJ-02 conversion: published reference point, round trip under 0.5 m, outside China untouched."""

from __future__ import annotations

import numpy as np
from pyproj import Geod

from gis_app.io import gcj02_to_wgs84, wgs84_to_gcj02

_GEOD = Geod(ellps="WGS84")


def test_forward_matches_the_reference_implementation():
    lon, lat = wgs84_to_gcj02(116.404, 39.915)
    assert abs(float(lon) - 116.41024449916938) < 1e-9
    assert abs(float(lat) - 39.91640428150164) < 1e-9


def test_round_trip_is_better_than_half_a_metre():
    rng = np.random.default_rng(7)
    lon = rng.uniform(74.0, 134.0, 20000)
    lat = rng.uniform(18.0, 53.0, 20000)
    glon, glat = wgs84_to_gcj02(lon, lat)
    shift = _GEOD.inv(lon, lat, glon, glat)[2]
    assert shift.max() > 100  # the offset is real (hundreds of metres)…
    back_lon, back_lat = gcj02_to_wgs84(glon, glat)
    error = _GEOD.inv(lon, lat, back_lon, back_lat)[2]
    assert error.max() < 0.5  # …and the inverse removes it
    assert error.max() < 0.01


def test_outside_china_is_unchanged_and_shapes_are_kept():
    lon, lat = wgs84_to_gcj02(np.array([[2.35, 139.7]]), np.array([[48.85, 35.7]]))
    assert lon.shape == (1, 2)
    assert np.allclose(lon, [[2.35, 139.7]]) and np.allclose(lat, [[48.85, 35.7]])
    assert np.allclose(gcj02_to_wgs84(2.35, 48.85), (2.35, 48.85))
