"""Data-quality checks of the level-3 grid (DOMAIN.md §2): tiling of villages, households in grids.

Both checks return a problem table with the columns of :data:`PROBLEM_COLUMNS`:

``rule``
    short English id of the broken rule (see each function);
``message``
    the problem in Chinese, naming the grid, village or household codes;
``code`` / ``other_code``
    the grid, village or household involved, and the neighbour or grid concerned (or None);
``area_m2``
    the area of the problem in square metres (Gauss–Krüger), NaN where it has none;
``x``, ``y``
    a point to zoom to, in CGCS2000 longitude/latitude (EPSG:4490).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyproj
import shapely

from gis_app.analysis.measure import check_same_crs, gauss_kruger_epsg_for, to_gauss_kruger
from gis_app.analysis.point_in_polygon import PolygonIndex, _polygon_array
from gis_app.core.crs import STORAGE_EPSG

Progress = Callable[[int, int], None] | None

PROBLEM_COLUMNS = ["rule", "message", "code", "other_code", "area_m2", "x", "y"]

#: Problems smaller than this (square metres) are digitising noise, not data errors.
MIN_AREA_M2 = 1.0


def _problems(rule: str, message, code, other_code=None, area=None, x=None, y=None) -> pd.DataFrame:
    """Build the problem table of one rule from equally long columns."""
    n = len(message)
    other_code = [None] * n if other_code is None else other_code
    frame = pd.DataFrame(
        {
            "rule": [rule] * n,
            "message": list(message),
            "code": [None if pd.isna(c) else c for c in code],
            "other_code": [None if pd.isna(c) else c for c in other_code],
            "area_m2": np.full(n, np.nan) if area is None else np.asarray(area, dtype=float),
            "x": np.full(n, np.nan) if x is None else np.asarray(x, dtype=float),
            "y": np.full(n, np.nan) if y is None else np.asarray(y, dtype=float),
        },
        columns=PROBLEM_COLUMNS,
    )
    return frame


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return _problems("", [], [])
    return pd.concat(frames, ignore_index=True)


def _text(values) -> pd.Series:
    """Codes as strings for messages and comparisons (None stays None)."""
    series = pd.Series(values, dtype=object).reset_index(drop=True)
    if pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty"):
        return series.where(series.notna(), None)  # already text: no str() per value
    return series.where(series.isna(), series.astype(str))


def _fmt_area(area: np.ndarray) -> pd.Series:
    return pd.Series(np.round(np.asarray(area, dtype=float), 1)).map("{:.1f}".format)


class _ToLonLat:
    """Zoom points: from the Gauss–Krüger zone back to CGCS2000 longitude/latitude."""

    def __init__(self, epsg: int):
        self._transformer = pyproj.Transformer.from_crs(epsg, STORAGE_EPSG, always_xy=True)

    def __call__(self, geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if len(geoms) == 0:
            return np.empty(0), np.empty(0)
        points = shapely.point_on_surface(geoms)
        points = np.where(shapely.is_empty(points), None, points)
        x, y = shapely.get_x(points), shapely.get_y(points)
        lon, lat = self._transformer.transform(x, y)
        return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def _valid(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Geometries made valid where they are not (so overlays cannot fail), and the invalid mask."""
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    invalid = present & ~shapely.is_valid(geoms)
    if invalid.any():
        geoms = geoms.copy()
        # "structure" keeps polygons polygons: collapsed spikes are dropped, not turned to lines.
        geoms[invalid] = shapely.make_valid(
            geoms[invalid], method="structure", keep_collapsed=False
        )
    return geoms, invalid


def check_grid_tiling(
    grids3, villages, progress: Progress = None, min_area_m2: float = MIN_AREA_M2
) -> pd.DataFrame:
    """Check that the level-3 grids tile their villages: no overlaps, gaps or stray grids.

    Areas are measured in the CGCS2000 3-degree Gauss–Krüger zone of the grid layer.

    Parameters
    ----------
    grids3 : GeoDataFrame
        Level-3 grids with columns ``code``, ``admin_code`` (the village code) and polygons.
    villages : GeoDataFrame
        Villages with columns ``code`` and polygons, in the same CRS as ``grids3``.
    progress : callable, optional
        ``progress(done, total)``.
    min_area_m2 : float
        Overlaps, gaps and overhangs up to this area are ignored (default 1 m²).

    Returns
    -------
    pandas.DataFrame
        Problems (columns :data:`PROBLEM_COLUMNS`) with rules

        * ``grid_overlap`` — two grids overlap (one row per pair, ``code`` < ``other_code`` by
          position in the layer);
        * ``grid_gap`` — part of a village covered by none of its grids (one row per gap);
        * ``grid_outside_village`` — a grid sticks out of its own village;
        * ``grid_without_village`` — the grid's ``admin_code`` is not a village of the layer;
        * ``grid_invalid`` — a grid's geometry is invalid (self-intersecting…); the other
          checks use a repaired copy.

    Raises
    ------
    ValueError
        图层坐标系不一致 when the layers' CRS differ, or when a layer has no CRS.
    """
    check_same_crs(grids3, villages, "三级网格图层", "村图层")
    total = 5
    if progress:
        progress(0, total)
    if len(grids3) == 0 and len(villages) == 0:
        return _concat([])
    epsg = gauss_kruger_epsg_for(grids3 if len(grids3) else villages)
    to_lonlat = _ToLonLat(epsg)
    grid_codes = _text(grids3["code"])
    admin = _text(grids3["admin_code"])
    village_codes = _text(villages["code"])
    g, invalid = _valid(_polygon_array(to_gauss_kruger(grids3.geometry, epsg)))
    v, _ = _valid(_polygon_array(to_gauss_kruger(villages.geometry, epsg)))
    found = []

    bad = np.flatnonzero(invalid)
    x, y = to_lonlat(g[bad])
    found.append(
        _problems(
            "grid_invalid",
            "三级网格 " + grid_codes[bad] + " 的图形无效（自相交等）",
            grid_codes[bad],
            x=x,
            y=y,
        )
    )
    if progress:
        progress(1, total)

    # Overlaps: candidate pairs from the tree, then the exact intersection area.
    tree = shapely.STRtree(g)
    left, right = tree.query(g, predicate="intersects")
    pair = left < right
    left, right = left[pair], right[pair]
    common = shapely.intersection(g[left], g[right])
    area = shapely.area(common)
    big = np.flatnonzero(area > min_area_m2)
    left, right, common, area = left[big], right[big], common[big], area[big]
    x, y = to_lonlat(common)
    a, b = grid_codes[left].reset_index(drop=True), grid_codes[right].reset_index(drop=True)
    found.append(
        _problems(
            "grid_overlap",
            "三级网格 " + a + " 与 " + b + " 重叠 " + _fmt_area(area) + " 平方米",
            a,
            b,
            area,
            x,
            y,
        )
    )
    if progress:
        progress(2, total)

    # Grids whose village is unknown.
    known = admin.isin(set(village_codes.dropna())) & admin.notna()
    orphan = np.flatnonzero(~known.to_numpy())
    x, y = to_lonlat(g[orphan])
    found.append(
        _problems(
            "grid_without_village",
            "三级网格 "
            + grid_codes[orphan].reset_index(drop=True)
            + " 的所属村 "
            + admin[orphan].fillna("（空）").reset_index(drop=True)
            + " 不在村图层中",
            grid_codes[orphan],
            admin[orphan],
            x=x,
            y=y,
        )
    )

    # Villages as one geometry per code (a village may come in several rows).
    village_shape = (
        pd.DataFrame({"code": village_codes, "geometry": v})
        .dropna(subset=["code"])
        .groupby("code", sort=False)["geometry"]
        .agg(lambda parts: shapely.union_all(parts.to_numpy()))
    )

    # Grids sticking out of their village.
    own = np.flatnonzero(known.to_numpy())
    home = village_shape.reindex(admin[own]).to_numpy()
    outside = shapely.difference(g[own], home)
    area = shapely.area(outside)
    big = np.flatnonzero(area > min_area_m2)
    own, outside, area = own[big], outside[big], area[big]
    x, y = to_lonlat(outside)
    found.append(
        _problems(
            "grid_outside_village",
            "三级网格 "
            + grid_codes[own].reset_index(drop=True)
            + " 超出所属村 "
            + admin[own].reset_index(drop=True)
            + " 边界 "
            + _fmt_area(area)
            + " 平方米",
            grid_codes[own],
            admin[own],
            area,
            x,
            y,
        )
    )
    if progress:
        progress(3, total)

    # Gaps: each village less the union of its own grids.
    grid_union = (
        pd.DataFrame({"code": admin, "geometry": g})
        .dropna(subset=["code"])
        .groupby("code", sort=False)["geometry"]
        .agg(lambda parts: shapely.union_all(parts.to_numpy()))
    )
    covered = grid_union.reindex(village_shape.index).to_numpy()
    covered = np.where(pd.isna(covered), shapely.Polygon(), covered)
    gap = shapely.difference(village_shape.to_numpy(), covered)
    parts, owner = shapely.get_parts(gap, return_index=True)
    area = shapely.area(parts)
    big = np.flatnonzero(area > min_area_m2)
    parts, owner, area = parts[big], owner[big], area[big]
    x, y = to_lonlat(parts)
    codes = pd.Series(village_shape.index[owner], dtype=object)
    found.append(
        _problems(
            "grid_gap",
            "村 " + codes + " 有 " + _fmt_area(area) + " 平方米不在本村任何三级网格内",
            codes,
            None,
            area,
            x,
            y,
        )
    )
    if progress:
        progress(total, total)
    return _concat(found)


def check_households_in_grids(
    x,
    y,
    household_codes,
    grid_codes_assigned,
    grids3,
    override=None,
    polygon_index: PolygonIndex | None = None,
    progress: Progress = None,
) -> pd.DataFrame:
    """Check that every located household lies in exactly one level-3 grid, the one it is in.

    Parameters
    ----------
    x, y : array_like of float
        Household locations, CGCS2000 longitude/latitude like ``grids3``; NaN for households
        not located (they are skipped).
    household_codes : array_like
        The household codes, named in the messages.
    grid_codes_assigned : array_like
        The grid code recorded for each household (None when none is recorded).
    grids3 : GeoDataFrame
        Level-3 grids with a ``code`` column, in longitude/latitude.
    override : array_like of bool, optional
        True where the recorded grid was set by hand (households on a boundary): such a
        household is not reported as a mismatch.
    polygon_index : PolygonIndex, optional
        A prebuilt index of ``grids3.geometry``, to reuse between calls.
    progress : callable, optional
        ``progress(done, total)``.

    Returns
    -------
    pandas.DataFrame
        Problems (columns :data:`PROBLEM_COLUMNS`, ``code`` = household code) with rules

        * ``household_outside_grids`` — inside no grid;
        * ``household_in_two_grids`` — inside two or more overlapping grids (``other_code``:
          their codes, joined by "、");
        * ``household_grid_mismatch`` — the recorded grid is not the grid the household lies in
          (``other_code``: the grid it lies in). A household exactly on the boundary of its
          recorded grid is not a mismatch.

    Raises
    ------
    ValueError
        图层坐标系不一致 when ``grids3`` is not in longitude/latitude.
    """
    if grids3.crs is not None and not pyproj.CRS.from_user_input(grids3.crs).is_geographic:
        raise ValueError(
            f"图层坐标系不一致：农户坐标为经纬度，三级网格图层为 "
            f"{pyproj.CRS.from_user_input(grids3.crs).name}"
        )
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    households = _text(household_codes)
    assigned = _text(grid_codes_assigned)
    if not len(households) == len(assigned) == x.size == y.size:
        raise ValueError("x, y, household_codes and grid_codes_assigned differ in length")
    override = (
        np.zeros(x.size, dtype=bool)
        if override is None
        else np.asarray(pd.Series(override).fillna(False), dtype=bool)
    )
    total = 3
    if progress:
        progress(0, total)
    index = PolygonIndex(grids3.geometry) if polygon_index is None else polygon_index
    if progress:
        progress(1, total)
    where = index.locate(x, y)
    if progress:
        progress(2, total)
    grid_codes = _text(grids3["code"]).to_numpy()
    located = np.isfinite(x) & np.isfinite(y)
    found = []

    out = np.flatnonzero(located & (where.index < 0))
    found.append(
        _problems(
            "household_outside_grids",
            "农户 " + households[out].reset_index(drop=True) + " 不在任何三级网格内",
            households[out],
            None,
            None,
            x[out],
            y[out],
        )
    )

    # In two grids: ask the tree for all of them (few points).
    two = np.flatnonzero(where.covered_count >= 2)
    pt, poly = index.tree.query(shapely.points(x[two], y[two]), predicate="within")
    pairs = pd.DataFrame({"pt": two[pt], "poly": poly}).sort_values(["pt", "poly"])
    pairs["grid"] = grid_codes[pairs["poly"].to_numpy()]
    grids_of = pairs.groupby("pt", sort=True)["grid"].agg(lambda s: "、".join(s.astype(str)))
    two = grids_of.index.to_numpy(dtype=np.int64)
    joined = grids_of.reset_index(drop=True)
    found.append(
        _problems(
            "household_in_two_grids",
            "农户 "
            + households[two].reset_index(drop=True)
            + " 同时位于三级网格 "
            + joined
            + " 内",
            households[two],
            joined,
            None,
            x[two],
            y[two],
        )
    )

    # Mismatch: in one grid that is not the recorded one (or in several, none recorded).
    lies_in = np.where(where.index >= 0, grid_codes[np.maximum(where.index, 0)], None)
    recorded = assigned.to_numpy()
    suspect = located & (where.index >= 0) & ~override & (lies_in != recorded)
    if two.size:
        member = pairs.assign(rec=recorded[pairs["pt"].to_numpy()])
        ok_pts = member.loc[member["grid"] == member["rec"], "pt"].to_numpy()
        suspect[ok_pts] = False
    cand = np.flatnonzero(suspect)
    # On the boundary of the recorded grid: fine, whichever neighbour the index chose.
    code_pos = pd.Series(np.arange(grid_codes.size), index=grid_codes)
    code_pos = code_pos[~code_pos.index.duplicated()]
    rec_pos = code_pos.reindex(recorded[cand]).to_numpy()
    has_rec = ~np.isnan(rec_pos)
    touching = np.zeros(cand.size, dtype=bool)
    rec_geom = index.geometries[rec_pos[has_rec].astype(np.int64)]
    touching[has_rec] = shapely.intersects_xy(rec_geom, x[cand[has_rec]], y[cand[has_rec]])
    bad = cand[~touching]
    rec = pd.Series(recorded[bad], dtype=object)
    said = ("登记在三级网格 " + rec.fillna("").astype(str) + "，但").where(
        rec.notna(), "未登记所属三级网格，"
    )
    found.append(
        _problems(
            "household_grid_mismatch",
            "农户 "
            + households[bad].reset_index(drop=True)
            + " "
            + said
            + "位于三级网格 "
            + pd.Series(lies_in[bad], dtype=object).astype(str)
            + " 内",
            households[bad],
            lies_in[bad],
            None,
            x[bad],
            y[bad],
        )
    )
    if progress:
        progress(total, total)
    return _concat(found)


def check_households_in_villages(
    x,
    y,
    household_codes,
    names,
    village_codes_registered,
    villages,
    polygon_index: PolygonIndex | None = None,
) -> pd.DataFrame:
    """Households whose point lies outside the village they are registered in.

    A household placed in another village is counted in that village's grids and rebalancing,
    though its ledger says otherwise: the rule ``household_outside_village`` names both.

    Parameters
    ----------
    x, y : array_like of float
        Household locations, in the CRS of ``villages``; NaN for households not located (they
        are skipped).
    household_codes : array_like
        The household codes (the problems' ``code``).
    names : array_like of str
        How each household is named in the messages (e.g. ``户主汤福生``).
    village_codes_registered : array_like
        The code of each household's registered village (None: unknown, skipped).
    villages : GeoDataFrame
        Villages with ``code``, ``name`` and polygons. Households of a village without a
        polygon are skipped (nothing to compare with).
    polygon_index : PolygonIndex, optional
        A prebuilt index of ``villages.geometry``.

    Returns
    -------
    pandas.DataFrame
        Problems (:data:`PROBLEM_COLUMNS`): ``code`` the household, ``other_code`` the village
        the point lies in (None outside every village). A point on the boundary of its own
        village is inside it.
    """
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    codes = _text(household_codes)
    names = pd.Series(names, dtype=object).reset_index(drop=True)
    registered = _text(village_codes_registered).to_numpy()
    village_codes = _text(villages["code"]).to_numpy()
    village_names = pd.Series(villages["name"], dtype=object).to_numpy()
    geoms = _polygon_array(villages.geometry)
    has_shape = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    position = pd.Series(np.arange(len(village_codes)), index=village_codes)
    position = position[~position.index.duplicated()]
    own = position.reindex(registered).to_numpy()  # NaN: registered village unknown
    known = ~np.isnan(own)
    own_pos = np.where(known, own, 0).astype(np.int64)
    checked = np.isfinite(x) & np.isfinite(y) & known & has_shape[own_pos]
    index = PolygonIndex(geoms) if polygon_index is None else polygon_index
    where = np.full(x.size, -1, dtype=np.int64)
    rows = np.flatnonzero(checked)
    where[rows] = index.locate(x[rows], y[rows]).index
    suspect = np.flatnonzero(checked & (where != own_pos))
    # On the boundary of its own village (the index gave the point to the neighbour): inside.
    touching = shapely.intersects_xy(geoms[own_pos[suspect]], x[suspect], y[suspect])
    bad = suspect[~touching]
    found_pos = where[bad]
    inside = found_pos >= 0
    other = np.where(inside, village_codes[np.maximum(found_pos, 0)], None)
    found_names = pd.Series(village_names[np.maximum(found_pos, 0)], dtype=object).astype(str)
    where_text = ("位置却在" + found_names).where(inside, "位置却不在任何村内")
    message = (names[bad].reset_index(drop=True).astype(str) + "登记在"
               + pd.Series(village_names[own_pos[bad]], dtype=object).astype(str) + "，"
               + where_text)
    return _concat([_problems("household_outside_village", message, codes[bad], other,
                              None, x[bad], y[bad])])
