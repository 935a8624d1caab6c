"""Vectorised geometry checks of an imported layer: empty, invalid (repaired) and out-of-China."""

from __future__ import annotations

import numpy as np
import shapely

from gis_app.core.crs import CHINA_BOUNDS
from gis_app.io.errors import Issue

GEOMETRY_FIELD = "几何图形"
_POLYGONAL = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)
_REASONS = (
    ("Ring Self-intersection", "环自相交"),
    ("Self-intersection", "自相交"),
    ("Too few points", "顶点数不足"),
    ("Hole lies outside shell", "内环在外环之外"),
    ("Nested holes", "内环相互嵌套"),
    ("Interior is disconnected", "内部不连通"),
    ("Nested shells", "外环相互嵌套"),
    ("Duplicate Rings", "环重复"),
    ("Invalid Coordinate", "坐标值无效"),
    ("Ring is not closed", "环未闭合"),
)


def reason_text(reason: str) -> str:
    """Chinese wording of a GEOS ``is_valid_reason`` string."""
    for english, chinese in _REASONS:
        if reason.startswith(english):
            return chinese
    return "拓扑错误"


def _dimension(types: np.ndarray) -> np.ndarray:
    dims = np.full(types.shape, -1)
    dims[np.isin(types, (0, 4))] = 0  # point, multipoint
    dims[np.isin(types, (1, 2, 5))] = 1  # line, ring, multiline
    dims[np.isin(types, (3, 6))] = 2  # polygon, multipolygon
    return dims


def _polygonal_parts(geoms: np.ndarray) -> np.ndarray:
    """Keep only the polygons of each geometry (e.g. of make_valid's GeometryCollections)."""
    out = np.empty(len(geoms), dtype=object)
    parts, index = shapely.get_parts(geoms, return_index=True)
    subparts, subindex = shapely.get_parts(parts, return_index=True)
    index = index[subindex]
    keep = shapely.get_type_id(subparts) == shapely.GeometryType.POLYGON
    keep &= ~shapely.is_empty(subparts)
    polys, owners = subparts[keep], index[keep]
    counts = np.bincount(owners, minlength=len(geoms))
    owners_seen, first = np.unique(owners, return_index=True)
    single = counts[owners_seen] == 1
    out[owners_seen[single]] = polys[first[single]]
    multi = np.flatnonzero(counts > 1)
    if multi.size:
        mask = np.isin(owners, multi)
        built = shapely.multipolygons(polys[mask], indices=np.searchsorted(multi, owners[mask]))
        out[multi] = built
    empty = counts == 0
    out[empty] = None
    return out


def check_geometries(geoms: np.ndarray, label: str,
                     missing_ok: bool = False) -> tuple[np.ndarray, list[Issue]]:
    """Repair invalid geometries and report the problems of a layer.

    Empty or missing geometries are errors (unless ``missing_ok``). Invalid ones are repaired with
    ``shapely.make_valid`` (polygon layers keep only polygonal parts) and reported as
    warnings; a repair that leaves nothing of the right kind is an error.

    Parameters
    ----------
    geoms : numpy.ndarray
        Shapely geometries (``None`` allowed), one per feature.
    label : str
        File name for the issues; rows are feature numbers (index + 1).
    missing_ok : bool
        Features without geometry are allowed (kept as they are).

    Returns
    -------
    tuple
        The repaired geometries and the issues.
    """
    geoms = np.asarray(geoms, dtype=object).copy()
    issues: list[Issue] = []
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    for i in np.flatnonzero(missing) if not missing_ok else ():
        issues.append(Issue(label, int(i) + 1, GEOMETRY_FIELD, "要素没有几何图形（几何为空）"))
    present = np.flatnonzero(~missing)
    if present.size == 0:
        return geoms, issues
    types = shapely.get_type_id(geoms[present])
    polygon_layer = bool(np.isin(types, _POLYGONAL).all())
    bounds = shapely.bounds(geoms[present])
    nonfinite = ~np.isfinite(bounds).all(axis=1)
    for i in present[nonfinite]:
        issues.append(Issue(label, int(i) + 1, GEOMETRY_FIELD, "坐标值无效（不是数字）"))
    candidates = present[~nonfinite]
    invalid = candidates[~shapely.is_valid(geoms[candidates])]
    if invalid.size:
        reasons = shapely.is_valid_reason(geoms[invalid])
        repaired = shapely.make_valid(geoms[invalid])
        if polygon_layer:
            repaired = _polygonal_parts(repaired)
        else:
            original = _dimension(shapely.get_type_id(geoms[invalid]))
            wrong = _dimension(shapely.get_type_id(repaired)) != original
            repaired = np.where(wrong, None, repaired)
        for i, reason, geom in zip(invalid, reasons, repaired, strict=True):
            why = reason_text(str(reason))
            if geom is None or shapely.is_empty(geom):
                issues.append(Issue(label, int(i) + 1, GEOMETRY_FIELD,
                                    f"几何图形无效（{why}）且无法修复"))
            else:
                geoms[i] = geom
                issues.append(Issue(label, int(i) + 1, GEOMETRY_FIELD,
                                    f"几何图形无效（{why}），已自动修复", "warning"))
    return geoms, issues


def check_in_china(geoms: np.ndarray, label: str) -> list[Issue]:
    """Errors for features whose bounds leave China's bounding box (after reprojection)."""
    geoms = np.asarray(geoms, dtype=object)
    usable = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    bounds = np.full((len(geoms), 4), np.nan)
    bounds[usable] = shapely.bounds(geoms[usable])
    west, south, east, north = CHINA_BOUNDS
    with np.errstate(invalid="ignore"):
        outside = usable & np.isfinite(bounds).all(axis=1) & (
            (bounds[:, 0] < west) | (bounds[:, 2] > east)
            | (bounds[:, 1] < south) | (bounds[:, 3] > north))
    return [Issue(label, int(i) + 1, GEOMETRY_FIELD, "坐标不在中国范围内（可能坐标系错误）")
            for i in np.flatnonzero(outside)]
