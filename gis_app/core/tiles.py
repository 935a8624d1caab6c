"""XYZ (Web Mercator) tile arithmetic for an optional basemap: which tiles cover a view."""

from __future__ import annotations

import math

#: Ground metres per pixel of a 256-pixel tile at zoom 0 on the equator.
_EQUATOR_METRES_PER_PIXEL = 156543.03392804097


def tile_zoom(metres_per_pixel: float, latitude: float, max_zoom: int = 18) -> int:
    """The tile zoom whose pixels are closest to (not coarser than) the map's."""
    if metres_per_pixel <= 0:
        return max_zoom
    ground = _EQUATOR_METRES_PER_PIXEL * math.cos(math.radians(latitude))
    zoom = math.log2(ground / metres_per_pixel)
    return max(0, min(max_zoom, math.ceil(zoom)))


def lonlat_to_tile(lon: float, lat: float, zoom: int) -> tuple[float, float]:
    """Fractional tile coordinates of a point."""
    n = 2 ** zoom
    x = (lon + 180.0) / 360.0 * n
    lat_rad = math.radians(lat)
    y = (1.0 - math.asinh(math.tan(lat_rad)) / math.pi) / 2.0 * n
    return x, y


def tile_to_lonlat(x: float, y: float, zoom: int) -> tuple[float, float]:
    """Longitude/latitude of a tile corner (fractional tile coordinates)."""
    n = 2 ** zoom
    lon = x / n * 360.0 - 180.0
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n))))
    return lon, lat


def tiles_covering(west: float, south: float, east: float, north: float, zoom: int,
                   limit: int = 96) -> list[tuple[int, int, int]]:
    """(zoom, x, y) of the tiles over a lon/lat box; empty when more than ``limit`` are needed."""
    x0, y0 = lonlat_to_tile(west, north, zoom)
    x1, y1 = lonlat_to_tile(east, south, zoom)
    xs = range(max(0, int(x0)), min(2 ** zoom - 1, int(x1)) + 1)
    ys = range(max(0, int(y0)), min(2 ** zoom - 1, int(y1)) + 1)
    if len(xs) * len(ys) > limit:
        return []
    return [(zoom, x, y) for x in xs for y in ys]
