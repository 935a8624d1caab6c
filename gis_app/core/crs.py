"""CRS choices of the project: CGCS2000 geographic storage, 3-degree Gauss–Krüger for measures."""

from __future__ import annotations

#: Geometries are stored in CGCS2000 longitude/latitude.
STORAGE_EPSG = 4490

#: EPSG:4513 is CGCS2000 / 3-degree Gauss-Kruger zone 25 (75°E); zone 45 (135°E) is EPSG:4533.
_FIRST_ZONE, _LAST_ZONE, _FIRST_EPSG = 25, 45, 4513

#: China's bounding box in longitude/latitude, used to reject coordinates that cannot be Chinese.
CHINA_BOUNDS = (73.0, 3.0, 136.0, 54.0)


def gauss_kruger_zone(longitude: float) -> int:
    """Return the 3-degree zone number whose central meridian is nearest ``longitude``."""
    zone = int(round(longitude / 3.0))
    if not _FIRST_ZONE <= zone <= _LAST_ZONE:
        raise ValueError(f"经度 {longitude:.4f} 不在中国范围（3度带 25–45）内")
    return zone


def gauss_kruger_epsg(longitude: float) -> int:
    """EPSG code of the CGCS2000 3-degree Gauss–Krüger zone (with zone prefix) for ``longitude``."""
    return _FIRST_EPSG + gauss_kruger_zone(longitude) - _FIRST_ZONE


def zone_of_epsg(epsg: int) -> int | None:
    """The zone number of a CGCS2000 3-degree GK EPSG code, or ``None`` if it is not one."""
    if _FIRST_EPSG <= epsg <= _FIRST_EPSG + _LAST_ZONE - _FIRST_ZONE:
        return epsg - _FIRST_EPSG + _FIRST_ZONE
    return None


def in_china(lon: float, lat: float) -> bool:
    """True when the point lies inside China's bounding box."""
    west, south, east, north = CHINA_BOUNDS
    return west <= lon <= east and south <= lat <= north
