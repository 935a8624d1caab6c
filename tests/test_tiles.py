"""Web Mercator tile arithmetic against known values."""

import pytest

from gis_app.core.tiles import lonlat_to_tile, tile_to_lonlat, tile_zoom, tiles_covering


def test_known_corners_and_inverse():
    assert tile_to_lonlat(0, 0, 0) == pytest.approx((-180.0, 85.0511287798))
    assert tile_to_lonlat(1, 1, 1) == pytest.approx((0.0, 0.0))
    x, y = lonlat_to_tile(111.2, 27.1, 12)
    assert tile_to_lonlat(x, y, 12) == pytest.approx((111.2, 27.1))


def test_zoom_matches_resolution_and_tiles_cover_the_box():
    # At 27°N a zoom-14 pixel is about 8.5 m; a 10 m/pixel map needs zoom 14.
    assert tile_zoom(10.0, 27.0) == 14
    tiles = tiles_covering(111.0, 27.0, 111.1, 27.1, 12)
    # By hand: x from floor(1310.7) to floor(1311.8), y from floor(849.9) to floor(851.2).
    x0, y0 = lonlat_to_tile(111.0, 27.1, 12)
    x1, y1 = lonlat_to_tile(111.1, 27.0, 12)
    columns, rows = range(int(x0), int(x1) + 1), range(int(y0), int(y1) + 1)
    expected = {(12, x, y) for x in columns for y in rows}
    assert set(tiles) == expected and len(tiles) == len(columns) * len(rows)
    assert tiles_covering(100, 20, 120, 40, 14) == []  # too many: nothing rather than thousands
