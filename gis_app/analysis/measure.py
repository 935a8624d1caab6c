"""Measures in metres: Gauss–Krüger reprojection of CGCS2000 layers, areas, geodesic distances."""

from __future__ import annotations

import numpy as np
import pyproj

from gis_app.core.crs import STORAGE_EPSG, gauss_kruger_epsg, zone_of_epsg

#: CGCS2000 uses the GRS 1980 ellipsoid (the flattening differs from GRS80 by 1e-11: negligible).
_GEOD = pyproj.Geod(ellps="GRS80")


def _epsg(crs) -> int | None:
    return None if crs is None else pyproj.CRS.from_user_input(crs).to_epsg()


def require_crs(frame, what: str = "图层"):
    """Return the frame's CRS as a :class:`pyproj.CRS`; raise a Chinese ``ValueError`` if none."""
    if frame.crs is None:
        raise ValueError(f"{what}没有坐标系，无法计算")
    return pyproj.CRS.from_user_input(frame.crs)


def check_same_crs(left, right, left_name: str = "点图层", right_name: str = "面图层") -> None:
    """Raise ``ValueError`` (图层坐标系不一致) unless both layers have the same CRS.

    Parameters
    ----------
    left, right : GeoDataFrame or GeoSeries
        The two layers; both without a CRS counts as the same.
    left_name, right_name : str
        How the message names them.
    """
    a, b = left.crs, right.crs
    if a is None and b is None:
        return
    if a is None or b is None or not pyproj.CRS.from_user_input(a).equals(b):
        raise ValueError(
            f"图层坐标系不一致：{left_name}为 {_crs_name(a)}，"
            f"{right_name}为 {_crs_name(b)}，请先转换到同一坐标系"
        )


def _crs_name(crs) -> str:
    if crs is None:
        return "未定义坐标系"
    epsg = _epsg(crs)
    return f"EPSG:{epsg}" if epsg else pyproj.CRS.from_user_input(crs).name


def gauss_kruger_epsg_for(frame) -> int:
    """EPSG code of the 3-degree Gauss–Krüger zone for the frame's central longitude.

    The longitude is the middle of the layer's bounds (in CGCS2000 longitude/latitude), which
    picks the same zone as the centroid for any layer narrower than a zone.

    Parameters
    ----------
    frame : GeoDataFrame or GeoSeries
        A layer with a CRS.

    Returns
    -------
    int
        An EPSG code between 4513 and 4533 (CGCS2000 / 3-degree Gauss–Krüger zone 25–45).
    """
    crs = require_crs(frame)
    zone = zone_of_epsg(_epsg(crs) or 0)
    if zone is not None:
        return _epsg(crs)
    west, south, east, north = frame.total_bounds
    if not np.isfinite([west, south, east, north]).all():
        raise ValueError("图层为空或坐标无效，无法选择高斯-克吕格投影带")
    lon, lat = (west + east) / 2.0, (south + north) / 2.0
    if not crs.is_geographic or _epsg(crs) != STORAGE_EPSG:
        transformer = pyproj.Transformer.from_crs(crs, STORAGE_EPSG, always_xy=True)
        lon, lat = transformer.transform(lon, lat)
    return gauss_kruger_epsg(float(lon))


def to_gauss_kruger(frame, epsg: int | None = None):
    """Reproject a layer to a CGCS2000 3-degree Gauss–Krüger zone, in metres.

    Parameters
    ----------
    frame : GeoDataFrame or GeoSeries
        A layer with a CRS, normally EPSG:4490 (CGCS2000 longitude/latitude).
    epsg : int, optional
        Force a zone; by default the zone of the layer's central longitude
        (:func:`gauss_kruger_epsg_for`).

    Returns
    -------
    GeoDataFrame or GeoSeries
        The reprojected copy (the frame itself when it is already in that zone).
    """
    epsg = gauss_kruger_epsg_for(frame) if epsg is None else epsg
    if _epsg(frame.crs) == epsg:
        return frame
    return frame.to_crs(epsg)


def areas_m2(frame) -> np.ndarray:
    """Area of every geometry in square metres, measured in its Gauss–Krüger zone.

    Parameters
    ----------
    frame : GeoDataFrame or GeoSeries
        A polygon layer with a CRS.

    Returns
    -------
    numpy.ndarray of float
        One area per row (0 for missing or empty geometries).
    """
    projected = to_gauss_kruger(frame)
    return np.nan_to_num(np.asarray(projected.area, dtype=np.float64))


def distance_m(lon1, lat1, lon2, lat2):
    """Geodesic distance in metres on the CGCS2000 ellipsoid between longitude/latitude points.

    Parameters
    ----------
    lon1, lat1, lon2, lat2 : float or array_like
        Degrees; arrays broadcast against each other.

    Returns
    -------
    float or numpy.ndarray
        Distances in metres (NaN where a coordinate is NaN).
    """
    arrays = np.broadcast_arrays(
        *(np.asarray(v, dtype=np.float64) for v in (lon1, lat1, lon2, lat2))
    )
    shape = arrays[0].shape
    flat = [np.ascontiguousarray(a).ravel() for a in arrays]
    _, _, dist = _GEOD.inv(*flat)
    dist = np.asarray(dist, dtype=np.float64)
    dist[~np.isfinite(np.stack(flat)).all(axis=0)] = np.nan
    return float(dist[0]) if shape == () else dist.reshape(shape)


#: One 亩 is 1/15 of a hectare (666.67 m²), the unit officials measure land in.
SQUARE_METRES_PER_MU = 10_000 / 15


def area_in_units(square_metres: float) -> dict[str, float]:
    """An area in square metres, 亩 and hectares."""
    return {"m2": float(square_metres), "mu": float(square_metres) / SQUARE_METRES_PER_MU,
            "ha": float(square_metres) / 10_000}


def polyline_length(vertices) -> float:
    """Length (map units) of a line through ``vertices`` ((n, 2) array)."""
    vertices = np.asarray(vertices, dtype=float)
    return float(np.hypot(*np.diff(vertices, axis=0).T).sum()) if len(vertices) > 1 else 0.0


def polygon_area(vertices) -> float:
    """Area (map units²) of the polygon through ``vertices`` (shoelace; closed implicitly)."""
    x, y = np.asarray(vertices, dtype=float).T
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2)
