"""Importing households: the annex-2 ledger, or a point layer joined by ID number.

A household's point comes from 经度/纬度 or Gauss–Krüger X/Y columns; without one it is kept as
位置未知. Households are placed in level-3 grids by location, manual overrides kept. Both are
checked first and return a writer for :func:`gis_app.services.import_service.import_file`'s
unit of work: new households are bulk-inserted, located ones updated at the version they have.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import shapely

from gis_app.core.codes import LocationSource
from gis_app.core.crs import zone_of_epsg
from gis_app.io.errors import InputFileError, Issue
from gis_app.services.import_report import LEDGER_SUFFIXES, ImportReport
from gis_app.storage import county_writer as cw
from gis_app.storage.project import Project
from gis_app.storage.reader import load_admin_units, load_grids, load_table
from gis_app.storage.repositories.imports import grid_ids_by_code, households_by_id_number


def _gauss_kruger_to_lonlat(frame: pd.DataFrame, crs: int | None, file: str) -> pd.DataFrame:
    """Fill lon/lat from X/Y (surveyors' X = northing, Y = easting with the zone prefix)."""
    has_xy = frame["gk_x"].notna() & frame["gk_y"].notna() & frame["lon"].isna()
    if not has_xy.any():
        return frame
    northing = frame.loc[has_xy, "gk_x"].to_numpy(float)
    easting = frame.loc[has_xy, "gk_y"].to_numpy(float)
    swapped = northing > 1e7  # some counties put the prefixed easting in X
    northing, easting = np.where(swapped, easting, northing), np.where(swapped, northing, easting)
    if crs is None:
        zones = np.floor(easting / 1e6).astype(int)
        if (zones < 25).any() or (zones > 45).any():
            rows = (frame.index[has_xy][(zones < 25) | (zones > 45)] + 1).tolist()[:5]
            raise InputFileError(
                [
                    Issue(
                        file,
                        None,
                        "X坐标/Y坐标",
                        f"高斯-克吕格坐标没有带号，无法判断投影带（第{rows}条），"
                        "请用 --crs 指定坐标系（如 EPSG:4525）",
                        "error",
                    )
                ]
            )
        epsgs = 4513 + zones - 25
    else:
        if zone_of_epsg(crs) is None:
            raise InputFileError(
                [
                    Issue(
                        file,
                        None,
                        "X坐标/Y坐标",
                        f"EPSG:{crs} 不是国家2000 3度带高斯-克吕格坐标系",
                        "error",
                    )
                ]
            )
        epsgs = np.full(len(easting), crs)
        easting = np.where(easting > 1e7, easting, easting + zone_of_epsg(crs) * 1e6)
    lon = np.full(len(easting), np.nan)
    lat = np.full(len(easting), np.nan)
    for epsg in np.unique(epsgs):  # a few zones at most, not a loop over rows
        pick = epsgs == epsg
        transformer = pyproj.Transformer.from_crs(int(epsg), 4490, always_xy=True)
        lon[pick], lat[pick] = transformer.transform(easting[pick], northing[pick])
    frame = frame.copy()
    frame.loc[has_xy, "lon"] = lon
    frame.loc[has_xy, "lat"] = lat
    frame.loc[has_xy, "location_source"] = LocationSource.GAUSS_KRUGER.value
    return frame


def _resolve_villages(
    project: Project, frame: pd.DataFrame, file: str, row_numbers: np.ndarray
) -> pd.Series:
    """Village code of each row, from 村代码 or from the township and village names."""
    villages = load_admin_units(project.engine, 3)
    townships = load_admin_units(project.engine, 2).set_index("code")["name"]
    villages["township"] = villages["parent_code"].map(townships)
    codes = frame["village_code"] if "village_code" in frame else pd.Series(None, index=frame.index)
    pairs = zip(villages["township"], villages["name"], strict=True)
    by_name = dict(zip(pairs, villages["code"], strict=True))
    by_village = villages.drop_duplicates("name", keep=False).set_index("name")["code"]
    if "village" in frame:
        named = pd.Series(
            [
                by_name.get((t, v))
                for t, v in zip(
                    frame.get("township", pd.Series(None, index=frame.index)),
                    frame["village"],
                    strict=True,
                )
            ],
            index=frame.index,
        )
        named = named.fillna(frame["village"].map(by_village))
        codes = codes.where(codes.notna(), named)
    known = codes.isin(set(villages["code"]))
    if not known.all():
        bad = np.flatnonzero(~known.to_numpy())
        raise InputFileError(
            [
                Issue(
                    file,
                    int(row_numbers[i]),
                    "村（社区）",
                    f"项目中没有这个村：{frame['village'].iloc[i] if 'village' in frame else ''}"
                    f"{codes.iloc[i] or ''}",
                    "error",
                )
                for i in bad[:50]
            ]
        )
    return codes


def _assign_grids(
    project: Project, frame: pd.DataFrame, file: str, row_numbers: np.ndarray
) -> tuple[pd.Series, list[Issue]]:
    """Level-3 grid of each located household by location; manual overrides kept."""
    from gis_app.analysis import PolygonIndex

    grids = load_grids(project.engine, 3)
    villages = load_admin_units(project.engine, 3)
    x, y = frame["lon"].to_numpy(float), frame["lat"].to_numpy(float)
    in_grid = PolygonIndex(grids.geometry.to_numpy()).locate(x, y).index
    in_village = PolygonIndex(villages.geometry.to_numpy()).locate(x, y).index
    located = ~np.isnan(x) & ~np.isnan(y)
    outside = located & (in_village < 0)
    if outside.any():
        raise InputFileError(
            [
                Issue(
                    file,
                    int(row_numbers[i]),
                    "经度/纬度",
                    f"户主{frame['head_name'].iloc[i]}的位置({x[i]:.5f}, {y[i]:.5f})"
                    "不在本县任何村内"
                    "（可能坐标系错误）",
                    "error",
                )
                for i in np.flatnonzero(outside)[:50]
            ]
        )
    codes = grids["code"].to_numpy()
    by_location = pd.Series(
        np.where(in_grid >= 0, codes[np.maximum(in_grid, 0)], None), index=frame.index, dtype=object
    )
    given = frame["grid_code"] if "grid_code" in frame else pd.Series(None, index=frame.index)
    override = (
        frame["grid_override"].fillna(False).astype(bool)
        if "grid_override" in frame
        else pd.Series(False, index=frame.index)
    )
    result = by_location.where(located, given)
    result = result.where(~(override & given.notna()), given)
    warnings = [
        Issue(
            file,
            int(row_numbers[i]),
            "经度/纬度",
            f"户主{frame['head_name'].iloc[i]}不在任何三级网格内，已导入但未分配网格",
            "warning",
        )
        for i in np.flatnonzero(located & (in_grid < 0) & ~override.to_numpy())[:200]
    ]
    return result, warnings


def import_households(
    project: Project, path: Path, crs: int | None, gcj02: bool, layer: str | None,
    progress=None,
):
    """Check a ledger (or a point layer) of households; returns the writer of its rows.

    ``progress(done, 4)`` follows the steps (file read, checked, villages and grids found);
    raising from it cancels.
    """
    step = progress or (lambda done, total: None)
    from gis_app.io import read_ledger

    if path.suffix.lower() not in LEDGER_SUFFIXES:
        from gis_app.io import read_vector
        from gis_app.io.ledger import ledger_from_layer

        layer_result = read_vector(path, layer=layer, crs=crs, gcj02=gcj02, missing_ok=True)
        result = ledger_from_layer(layer_result.frame, path.name)
        if result is None:  # ID numbers and points only: locations of stored households
            return import_household_points(project, path, layer_result)
        result.issues = list(layer_result.issues) + list(result.issues)
        gcj02 = False  # the layer's points are converted already
    else:
        result = read_ledger(path, progress=lambda done, _total: step(done, 4))
    frame = result.frame.reset_index(drop=True)
    rows = np.asarray(result.rows)
    for key in ("lon", "lat", "gk_x", "gk_y"):
        if key not in frame:
            frame[key] = np.nan
    frame = _gauss_kruger_to_lonlat(frame, crs, path.name)
    if gcj02 and frame["lon"].notna().any():
        from gis_app.io.gcj02 import gcj02_to_wgs84

        ok = frame["lon"].notna().to_numpy()
        lon, lat = gcj02_to_wgs84(
            frame["lon"].to_numpy(float)[ok], frame["lat"].to_numpy(float)[ok]
        )
        frame.loc[ok, "lon"], frame.loc[ok, "lat"] = lon, lat
    existing = set(load_table(project.engine, "household", ["head_id_number"])["head_id_number"])
    clash = frame["head_id_number"].isin(existing).to_numpy()
    if clash.any():
        raise InputFileError(
            [
                Issue(
                    path.name,
                    int(rows[i]),
                    "户主证件号码",
                    f"证件号码{frame['head_id_number'].iloc[i][-4:]}（尾号）的农户已在项目中",
                    "error",
                )
                for i in np.flatnonzero(clash)[:50]
            ]
        )
    frame["village_code"] = _resolve_villages(project, frame, path.name, rows)
    step(3, 4)
    frame["grid_code"], warnings = _assign_grids(project, frame, path.name, rows)

    def write(uow) -> ImportReport:
        ids = list(cw.insert_households(uow.connection, frame).values())
        uow.bulk_inserted("household", ids)
        return ImportReport("households", path.name, len(ids), list(result.issues) + warnings)

    return write


def import_household_points(project: Project, path: Path, result):
    """A separate point layer joined to existing households by ID number; returns its writer.

    ``result`` is the layer as read (:func:`~gis_app.io.read_vector`). Each household is
    updated at the version it has when the import writes (another user's placement made
    meanwhile is overwritten by the file, as the file is newer).
    """
    frame = result.frame
    missing = shapely.is_missing(frame.geometry.to_numpy())
    if missing.any():
        raise InputFileError([
            Issue(path.name, int(i) + 1, "几何图形", "要素没有几何图形（几何为空）")
            for i in np.flatnonzero(missing)[:50]])
    id_column = next(
        (
            c
            for c in frame.columns
            if c in ("户主证件号码", "证件号码", "身份证号码", "head_id_number")
        ),
        None,
    )
    if id_column is None:
        raise InputFileError(
            [
                Issue(
                    path.name,
                    None,
                    "户主证件号码",
                    "点图层中缺少【户主证件号码】列，无法与农户匹配",
                    "error",
                )
            ]
        )
    households = load_table(project.engine, "household", ["id", "head_id_number", "head_name"])
    ids = frame[id_column].astype(str).str.upper().map(households.set_index("head_id_number")["id"])
    missing = np.flatnonzero(ids.isna().to_numpy())
    if len(missing):
        raise InputFileError(
            [
                Issue(
                    path.name, int(i) + 1, "户主证件号码", "项目中没有这个证件号码的农户", "error"
                )
                for i in missing[:50]
            ]
        )
    points = frame.geometry
    matched = pd.DataFrame(
        {
            "head_name": households.set_index("id").loc[ids, "head_name"].to_numpy(),
            "lon": points.x.to_numpy(),
            "lat": points.y.to_numpy(),
        }
    )
    grid_codes, warnings = _assign_grids(project, matched, path.name, np.arange(len(frame)) + 1)
    matched["id"] = ids.to_numpy(np.int64)
    matched["grid_code"] = grid_codes.to_numpy()
    matched = matched.drop_duplicates("id", keep="last")  # a household listed twice: last wins

    def write(uow) -> ImportReport:
        versions = households_by_id_number(uow.connection).set_index("id")["version"]
        grid_ids = matched["grid_code"].map(grid_ids_by_code(uow.connection))
        uow.update_each("household", {  # a household deleted meanwhile: StaleEditError
            int(h): (int(versions[h]) if h in versions.index else None, {
                "lon": float(x), "lat": float(y), "grid_id": None if pd.isna(g) else int(g),
                "location_source": LocationSource.POINT_LAYER.value})
            for h, x, y, g in zip(matched["id"], matched["lon"], matched["lat"], grid_ids,
                                  strict=True)})
        return ImportReport("households", path.name, len(frame), list(result.issues) + warnings)

    return write
