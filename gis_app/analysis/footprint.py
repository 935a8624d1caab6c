"""Which points lie in a footprint (the area a flood or landslide reached): select by location.

A point exactly on the footprint's boundary is inside (``intersects``, as QGIS's 按位置选择 with
"intersects" treats it); a point in a hole of a multipolygon is not. Coordinates and footprint
share one CRS (the store's lon/lat, EPSG:4490, or the map's metres).
"""

from __future__ import annotations

import numpy as np
import shapely


def points_in_footprint(x, y, footprint) -> np.ndarray:
    """Positions of the points inside ``footprint`` (boundary included, holes excluded).

    Parameters
    ----------
    x, y : array_like of float
        The points; NaN (location unknown) is never inside.
    footprint : shapely.Geometry
        A Polygon or MultiPolygon in the points' CRS.

    Returns
    -------
    numpy.ndarray
        Sorted positions (int64) of the points inside.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    known = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    if not len(known) or footprint is None or footprint.is_empty:
        return np.empty(0, dtype=np.int64)
    # The footprint prepared (GEOS indexes its edges) and asked for each point by its
    # coordinates: no point geometries, no tree over a county's households.
    shapely.prepare(footprint)
    inside = shapely.intersects_xy(footprint, x[known], y[known])
    return known[inside].astype(np.int64)
