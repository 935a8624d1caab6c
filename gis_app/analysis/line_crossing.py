"""Which polygons a drawn line crosses completely: it cuts them in pieces and ends outside them."""

from __future__ import annotations

import numpy as np
import shapely

#: Half-width of the cut made by the line (metres) and the smallest piece that counts (m²).
_CUT_M, _PIECE_M2 = 1e-3, 1e-2


def crossed_completely(polygons, line) -> np.ndarray:
    """Flag the polygons ``line`` cuts into more pieces with neither of its ends inside.

    A line that stops inside a polygon, or only grazes it, does not cross it completely (such a
    line cannot split it: :func:`gis_app.analysis.grid_split.split_by_line` refuses it).

    Parameters
    ----------
    polygons : array-like of shapely Polygon or MultiPolygon
        In a projected CRS (metres), the same as ``line``'s.
    line : shapely LineString or MultiLineString
        The line as drawn.

    Returns
    -------
    numpy.ndarray of bool
        One flag per polygon.
    """
    polygons = np.asarray(polygons, dtype=object)
    crossed = np.zeros(len(polygons), dtype=bool)
    hit = np.flatnonzero(shapely.intersects(polygons, line))
    if not len(hit):
        return crossed
    candidates = polygons[hit]
    ends = shapely.get_coordinates(shapely.boundary(line))
    end_inside = shapely.contains_xy(candidates[:, None], ends[:, 0], ends[:, 1]).any(axis=1)
    cut = shapely.difference(candidates, shapely.buffer(line, _CUT_M, cap_style="flat"))
    crossed[hit] = ~end_inside & (_pieces(cut) > _pieces(candidates))
    return crossed


def _pieces(geometries: np.ndarray) -> np.ndarray:
    """Polygons of each geometry larger than a sliver."""
    parts, index = shapely.get_parts(geometries, return_index=True)
    return np.bincount(index[shapely.area(parts) > _PIECE_M2], minlength=len(geometries))
