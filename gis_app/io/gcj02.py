"""GCJ-02 (phone map apps' "Mars" coordinates) to and from WGS84/CGCS2000, vectorised."""

from __future__ import annotations

import numpy as np

_A = 6378245.0
_EE = 0.00669342162296594323
# The offset is applied only inside this rectangle (the usual definition of "in China").
_WEST, _EAST, _SOUTH, _NORTH = 72.004, 137.8347, 0.8293, 55.8271


def _offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the GCJ-02 offset (degrees) to add to WGS84 ``lon``, ``lat``."""
    x = lon - 105.0
    y = lat - 35.0
    sx = np.sqrt(np.abs(x))
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sx + common
            + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sx + common
            + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    radlat = np.radians(lat)
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = dlat * 180.0 / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = dlon * 180.0 / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    inside = (lon >= _WEST) & (lon <= _EAST) & (lat >= _SOUTH) & (lat <= _NORTH)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Convert WGS84 (or CGCS2000) longitude/latitude to GCJ-02.

    Parameters
    ----------
    lon, lat : array_like
        Degrees; any matching shapes. Points outside China are returned unchanged.

    Returns
    -------
    tuple of numpy.ndarray
        GCJ-02 longitude and latitude (float64).
    """
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    dlon, dlat = _offset(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon, lat, tolerance: float = 1e-9,
                   max_iter: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """Convert GCJ-02 longitude/latitude back to WGS84/CGCS2000 by fixed-point iteration.

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 degrees (e.g. picked in a phone map app).
    tolerance : float
        Stop when every point moves less than this many degrees (1e-9° ≈ 0.1 mm).
    max_iter : int
        Upper bound on iterations; the error shrinks about 100-fold per step.

    Returns
    -------
    tuple of numpy.ndarray
        WGS84 longitude and latitude; accurate to well under 0.5 m.
    """
    glon = np.asarray(lon, dtype=np.float64)
    glat = np.asarray(lat, dtype=np.float64)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(max_iter):
        flon, flat = wgs84_to_gcj02(wlon, wlat)
        dlon, dlat = flon - glon, flat - glat
        wlon = wlon - dlon
        wlat = wlat - dlat
        step = np.nanmax(np.abs(np.concatenate([np.ravel(dlon), np.ravel(dlat)])), initial=0.0)
        if step < tolerance:
            break
    return wlon, wlat


def gcj02_to_wgs84_xy(coords: np.ndarray) -> np.ndarray:
    """Convert an ``(n, 2)`` or ``(n, 3)`` coordinate array (as ``shapely.transform`` passes it).

    Heights, when present, are kept unchanged.
    """
    out = np.array(coords, dtype=np.float64, copy=True)
    out[:, 0], out[:, 1] = gcj02_to_wgs84(out[:, 0], out[:, 1])
    return out
