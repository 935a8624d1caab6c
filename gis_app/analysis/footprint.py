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
    # The points' tree, asked once per part of the footprint: a county's households against a
    # few polygons, so the tree is over the many and the query over the few.
    tree = shapely.STRtree(shapely.points(x[known], y[known]))
    parts = shapely.get_parts(np.array([footprint], dtype=object))
    _, hits = tree.query(parts, predicate="intersects")
    return np.unique(known[hits]).astype(np.int64)
