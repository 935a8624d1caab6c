"""The nearest place of a set to each point (a safe place, a resettlement site), straight-line.

Distances are planar, in the CRS's units, which must be metres: the project's Gauss–Krüger
zone, where a straight line on the map is its length on the ground to within 1:10,000 or so.
A point without a location has no nearest place. When several places are equally near, the
first of them (by position) is taken, so the answer does not depend on the tree's order.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyproj
import shapely

Progress = Callable[[int, int], None] | None

#: Columns of :func:`nearest_places`' frame.
NEAREST_COLUMNS = ["place", "distance_m"]


def _geometries(values) -> np.ndarray:
    """Geometries as a 1-D object array (GeoDataFrame, GeoSeries, array or list)."""
    if hasattr(values, "columns") and hasattr(values, "geometry"):
        values = values.geometry
    values = getattr(values, "values", values)
    values = getattr(values, "_data", values)
    return np.asarray(values, dtype=object).reshape(-1)


def _xy(points) -> tuple[np.ndarray, np.ndarray]:
    """x, y of points given as a layer or as an (x, y) pair of arrays (NaN: no location)."""
    if isinstance(points, tuple):
        x, y = points
        return np.asarray(x, dtype=float).reshape(-1), np.asarray(y, dtype=float).reshape(-1)
    geoms = _geometries(points)
    kinds = shapely.get_type_id(geoms)
    if not np.isin(kinds, (-1, 0)).all():
        raise ValueError("农户图层中含有非点要素")
    geoms = np.where(shapely.is_empty(geoms), None, geoms)
    return shapely.get_x(geoms), shapely.get_y(geoms)


def _check_crs(points, places) -> None:
    """Both layers in one CRS measured in metres (a CRS-less (x, y) pair takes the places')."""
    crs = {name: getattr(layer, "crs", None) for name, layer in
           (("农户", points), ("安置点", places)) if hasattr(layer, "crs")}
    known = {name: pyproj.CRS.from_user_input(value) for name, value in crs.items()
             if value is not None}
    if len(known) == 2 and not known["农户"].equals(known["安置点"]):
        raise ValueError("农户和安置点的坐标系不一致，请先转换到同一坐标系")
    for name, value in known.items():
        units = {axis.unit_name for axis in value.axis_info}
        if not value.is_projected or not units <= {"metre", "meter"}:
            raise ValueError(
                f"{name}的坐标系不以米为单位，计算直线距离需要投影坐标系（高斯-克吕格）")


def nearest_places(points, places, usable=None, progress: Progress = None) -> pd.DataFrame:
    """Each point's nearest place (among the usable ones) and the straight-line distance.

    Parameters
    ----------
    points : GeoDataFrame, GeoSeries or tuple of (x, y) arrays
        Households, in metres; NaN or missing points get no place.
    places : GeoDataFrame, GeoSeries or array of geometries
        Resettlement sites or safe places (points; polygons are measured to their edge, a
        point inside one is at 0 m), in the same CRS.
    usable : array-like of bool, optional
        Which places may be chosen (say, those outside every hazard's reach); default all.
    progress : callable, optional
        ``progress(done, total)``.

    Returns
    -------
    pandas.DataFrame
        One row per point, in the points' order: ``place`` (position in ``places``, -1 when
        there is none: no location, or no usable place) and ``distance_m`` (NaN then).

    Raises
    ------
    ValueError
        Layers in different CRS or a CRS not in metres, non-point households, ``usable`` of
        the wrong length.
    """
    _check_crs(points, places)
    x, y = _xy(points)
    geoms = _geometries(places)
    if usable is None:
        usable = np.ones(len(geoms), dtype=bool)
    usable = np.array(usable, dtype=bool).reshape(-1)  # a copy: the caller's flags stay
    if len(usable) != len(geoms):
        raise ValueError("usable must give one flag per place")
    usable &= ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    candidates = np.flatnonzero(usable)
    place = np.full(len(x), -1, dtype=np.int64)
    distance = np.full(len(x), np.nan)
    located = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    if progress:
        progress(0, 2)
    if len(candidates) and len(located):
        tree = shapely.STRtree(geoms[candidates])
        # every equally near place, so that the first by position can be chosen
        (which, found), metres = tree.query_nearest(shapely.points(x[located], y[located]),
                                                    return_distance=True, all_matches=True)
        found = candidates[found]
        if len(which) > 1 and not (np.diff(which) > 0).all():  # ties (or unordered results)
            order = np.lexsort((found, which))
            which, found, metres = which[order], found[order], metres[order]
        first = np.flatnonzero(np.r_[True, which[1:] != which[:-1]])
        place[located[which[first]]] = found[first]
        distance[located[which[first]]] = metres[first]
    if progress:
        progress(2, 2)
    return pd.DataFrame({"place": place, "distance_m": distance})
