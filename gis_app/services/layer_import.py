"""Importing map layers keyed by code (resettlement sites, hazards), new or replacing by code.

A county receives a new hazard survey every year. Rows whose code is already stored are
refused with :class:`~gis_app.services.import_report.ExistingCodesError` naming the codes,
unless the import is asked to update: then each such row's geometry and attributes are
replaced at the version read, in the import's one unit of work, so the audit log keeps the old
and new values and one undo takes the whole file back. Every layer is also checked against the
county's extent: features that do not touch it are reported as a warning (a layer 1,300 km
away is a wrong file or a wrong CRS, not a silent success).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis_app.core.codes import parse_hazard_level
from gis_app.core.crs import STORAGE_EPSG
from gis_app.core.layer_fields import HAZARD_FIELDS, SITE_FIELDS
from gis_app.io.errors import InputFileError, Issue
from gis_app.services.import_report import ExistingCodesError, ImportReport
from gis_app.storage import county_writer as cw
from gis_app.storage.bulk import as_multipolygons
from gis_app.storage.project import Project
from gis_app.storage.reader import load_geo_table, load_table
from gis_app.storage.uow import UnitOfWork

GEOMETRY_FIELD = "几何图形"
#: Features listed by number in the warning about features outside the county.
LISTED_FEATURES = 10


def pick_columns(frame, fields: dict, file: str, required: tuple[str, ...]) -> pd.DataFrame:
    """The columns named by ``fields`` (stored column → accepted headers), by stored name."""
    picked = pd.DataFrame(index=frame.index)
    for key, names in fields.items():
        found = next((n for n in names if n in frame.columns), None)
        if found is None and key in required:
            raise InputFileError(
                [Issue(file, None, names[0], f"缺少必填列【{names[0]}】", "error")]
            )
        picked[key] = frame[found] if found else None
    return picked


def read_layer(path: Path, fields: dict, required: tuple[str, ...], crs: int | None,
               gcj02: bool, layer: str | None):
    """Read a vector file and keep the columns named by ``fields``, with geometry.

    Returns the reader's result (for its warnings) and a GeoDataFrame in EPSG:4490.
    """
    from gis_app.io import read_vector

    result = read_vector(path, layer=layer, crs=crs, gcj02=gcj02)
    frame = result.frame.reset_index(drop=True)
    picked = pick_columns(frame, fields, path.name, required)
    return result, gpd.GeoDataFrame(picked, geometry=frame.geometry.to_numpy(), crs=STORAGE_EPSG)


# --- the county's extent ----------------------------------------------------------------------


def county_extent(project: Project) -> tuple[float, float, float, float] | None:
    """``(xmin, ymin, xmax, ymax)`` of the county's boundaries, or None before any is imported."""
    units = load_geo_table(project.engine, "admin_unit")
    geoms = units.geometry.to_numpy()
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    if not len(geoms):
        return None
    return tuple(float(v) for v in shapely.total_bounds(geoms))


def _km(metres: float) -> str:
    return f"{metres / 1000:.1f}" if metres < 10_000 else f"{metres / 1000:,.0f}"


def away_from_county(project: Project, geoms, file: str) -> list[Issue]:
    """A warning when features of a layer do not touch the county's extent.

    Parameters
    ----------
    project : Project
        The project, whose boundaries give the extent (no warning before they exist).
    geoms : array_like of shapely.Geometry
        The layer's features in EPSG:4490.
    file : str
        File name for the warning.

    Returns
    -------
    list of Issue
        Empty, or one warning naming how many features lie outside and how far.
    """
    from gis_app.analysis.extent import outside_extent

    extent = county_extent(project)
    if extent is None:
        return []
    outside, distances = outside_extent(geoms, extent)
    count = int(outside.sum())
    if count == 0:
        return []
    if count == len(outside):
        message = (f"图层的全部{count}个要素都不在本县范围内（距本县约{_km(distances.min())}"
                   "公里），请检查文件是否属于本县、坐标系是否正确")
    else:
        rows = np.flatnonzero(outside)[:LISTED_FEATURES] + 1
        listed = "、".join(str(r) for r in rows) + ("等" if count > LISTED_FEATURES else "")
        message = (f"{count}个要素不在本县范围内（第{listed}个，最远约"
                   f"{_km(distances.max())}公里），请检查")
    return [Issue(file, None, GEOMETRY_FIELD, message, "warning")]


# --- rows keyed by code -----------------------------------------------------------------------


@dataclass
class KeyedRows:
    """A file's rows for one table: the new ones, and the stored ones they replace by code."""

    table: str
    new: gpd.GeoDataFrame
    #: Stored row id → (version read, the columns whose value changes).
    changed: dict[int, tuple[int, dict]] = field(default_factory=dict)
    #: Codes of the file already stored (changed or not).
    existing: list[str] = field(default_factory=list)


def _normal(values: pd.Series) -> pd.Series:
    """Values as comparable Python objects: numbers as float, text stripped, missing as None."""
    values = pd.Series(values, dtype=object).reset_index(drop=True)
    numeric = pd.to_numeric(values, errors="coerce")
    out = values.astype("string").str.strip().astype(object)
    out = out.where(out.notna(), None)
    is_number = numeric.notna().to_numpy()
    out[is_number] = numeric[is_number].astype(float).to_numpy()
    return out


def _python(value, integer: bool):
    """A value the database driver binds (no numpy scalars, no NaN)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, (np.integer, np.floating, int, float)) and not isinstance(value, bool):
        return int(value) if integer else float(value)
    return value


def _stored_geometry(geoms: np.ndarray, multipolygon: bool) -> np.ndarray:
    return as_multipolygons(geoms) if multipolygon else np.asarray(geoms, dtype=object)


def duplicated_codes(frame: pd.DataFrame, file: str, field_name: str) -> list[Issue]:
    """Errors for codes given twice in one file (each row after the first)."""
    again = frame["code"].duplicated().to_numpy()
    return [Issue(file, int(i) + 1, field_name, f"编码重复：{frame['code'].iloc[i]}", "error")
            for i in np.flatnonzero(again)[:50]]


def match_codes(project: Project, table: str, frame: gpd.GeoDataFrame, columns: dict[str, bool],
                update: bool) -> KeyedRows:
    """Split a file's rows into new ones and stored ones to replace (by ``code``).

    Parameters
    ----------
    project : Project
        Where the stored rows are read.
    table : str
        The table (``hazard_zone``, ``hazard_point``, ``resettlement_site``).
    frame : geopandas.GeoDataFrame
        The file's rows, with ``code``, the stored ``columns`` and geometry in EPSG:4490.
    columns : dict
        Stored column → whether it holds integers, compared and replaced besides geometry.
    update : bool
        Whether stored codes may be replaced; else their presence is left to the caller.

    Returns
    -------
    KeyedRows
        The new rows, and for each stored row whose values differ, its id, the version read
        and the changed columns (geometry as WKB).
    """
    stored = load_geo_table(project.engine, table)
    known = frame["code"].isin(set(stored["code"])).to_numpy()
    rows = KeyedRows(table, frame[~known].reset_index(drop=True),
                     existing=frame.loc[known, "code"].astype(str).tolist())
    if not update or not known.any():
        return rows
    multipolygon = table == "hazard_zone"
    mine = frame[known].reset_index(drop=True)
    old = stored.set_index("code").loc[mine["code"]].reset_index()
    differs = {}
    for column in columns:
        a, b = _normal(old[column]), _normal(mine[column])
        same = (a.isna() & b.isna()) | (a == b)
        differs[column] = ~same.to_numpy(dtype=bool)
    new_geoms = _stored_geometry(mine.geometry.to_numpy(), multipolygon)
    old_geoms = _stored_geometry(old.geometry.to_numpy(), multipolygon)
    moved = ~shapely.equals_exact(shapely.normalize(old_geoms), shapely.normalize(new_geoms),
                                  tolerance=1e-9)
    differs["geom"] = moved | (shapely.is_missing(old_geoms) != shapely.is_missing(new_geoms))
    wkb = shapely.to_wkb(new_geoms)
    any_change = np.logical_or.reduce(list(differs.values()))
    for i in np.flatnonzero(any_change):
        values = {c: _python(mine[c].iloc[i], integer) for c, integer in columns.items()
                  if differs[c][i]}
        if differs["geom"][i]:
            values["geom"] = wkb[i]
        rows.changed[int(old["id"].iloc[i])] = (int(old["version"].iloc[i]), values)
    return rows


def _refuse_existing(file: str, what: str, keyed: list[KeyedRows], update: bool) -> None:
    codes = [code for rows in keyed for code in rows.existing]
    if codes and not update:
        raise ExistingCodesError(file, what, codes)


def _write_updates(uow: UnitOfWork, keyed: KeyedRows) -> int:
    """Replace the stored rows of ``keyed`` at the versions read; the number replaced."""
    return len(uow.update_each(keyed.table, keyed.changed))


# --- resettlement sites and hazards -----------------------------------------------------------

_SITE_COLUMNS = {"name": False, "kind": False, "capacity": True, "built_year": True,
                 "township_id": True}
_ZONE_COLUMNS = {"name": False, "kind": False, "level": True, "source": False, "year": True}
_POINT_COLUMNS = {"name": False, "kind": False, "level": True, "threatened_households": True,
                  "threatened_persons": True, "threat_radius": False}


def hazard_levels(hazards: pd.DataFrame, file: str) -> tuple[np.ndarray, list[Issue]]:
    """The 风险等级 column as levels 1–4 (numbers or 极高/高/中/低), and a problem per bad cell."""
    values = hazards["level"].reset_index(drop=True).astype(object)
    values = values.where(values.notna(), "")
    levels = np.zeros(len(values), dtype=np.int64)
    issues = []
    # One parse per distinct cell: a survey has a handful of values for thousands of rows.
    for value, rows in values.groupby(values.astype(str), sort=False).groups.items():
        try:
            levels[rows] = int(parse_hazard_level(value))
        except ValueError as exc:
            issues += [Issue(file, int(r) + 1, HAZARD_FIELDS["level"][0], str(exc))
                       for r in rows[:20]]
    return levels, issues


def threat_radii(hazards: pd.DataFrame, file: str) -> tuple[np.ndarray, list[Issue]]:
    """The 威胁半径 column in metres (empty: unknown), and a problem per cell that is not."""
    raw = hazards["threat_radius"].reset_index(drop=True)
    metres = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    given = raw.notna().to_numpy() & (raw.astype(str).str.strip() != "").to_numpy()
    bad = given & ~(np.isfinite(metres) & (metres >= 0))
    issues = [Issue(file, int(r) + 1, HAZARD_FIELDS["threat_radius"][0],
                    f"威胁半径无效：{raw.iloc[r]}（应为不小于0的米数）")
              for r in np.flatnonzero(bad)[:50]]
    return np.where(given & ~bad, metres, np.nan), issues


def import_sites(project: Project, path: Path, crs: int | None, gcj02: bool,
                 layer: str | None, update: bool = False):
    """Check a layer of resettlement sites; returns the writer of its rows.

    A site whose code is stored is refused (:class:`ExistingCodesError`) unless ``update``.
    """
    result, sites = read_layer(path, SITE_FIELDS, ("code", "name"), crs, gcj02, layer)
    sites["kind"] = sites["kind"].fillna("集中安置点")
    issues = duplicated_codes(sites, path.name, SITE_FIELDS["code"][0])
    if issues:
        raise InputFileError(issues)
    units = load_table(project.engine, "admin_unit", ["id", "code"]).set_index("code")["id"]
    sites["township_id"] = sites["township_code"].map(units)
    keyed = match_codes(project, "resettlement_site", sites, _SITE_COLUMNS, update)
    _refuse_existing(path.name, "安置点", [keyed], update)
    warnings = list(result.issues) + away_from_county(project, sites.geometry.to_numpy(),
                                                      path.name)

    def write(uow: UnitOfWork) -> ImportReport:
        uow.bulk_inserted("resettlement_site", cw.insert_sites(uow.connection, keyed.new))
        updated = _write_updates(uow, keyed)
        return ImportReport("sites", path.name, len(keyed.new) + updated, warnings,
                            updated=updated, unchanged=len(keyed.existing) - updated)

    return write


def import_hazards(project: Project, path: Path, crs: int | None, gcj02: bool,
                   layer: str | None, update: bool = False):
    """Check a layer of hazard zones (polygons) and/or hazard points; returns its writer.

    A zone or point whose code is stored is refused (:class:`ExistingCodesError`) unless
    ``update``, which replaces its geometry and attributes.
    """
    result, hazards = read_layer(path, HAZARD_FIELDS, ("code", "kind", "level"), crs, gcj02,
                                 layer)
    hazards["name"] = hazards["name"].fillna(hazards["code"])
    points = hazards.geom_type.isin(["Point", "MultiPoint"]).to_numpy()
    hazards["level"], issues = hazard_levels(hazards, path.name)
    radii, radius_issues = threat_radii(hazards, path.name)
    hazards["threat_radius"] = radii
    issues += radius_issues
    for part in (hazards[~points], hazards[points]):
        issues += duplicated_codes(part.reset_index(drop=True), path.name,
                                   HAZARD_FIELDS["code"][0])
    if issues:
        raise InputFileError(issues)
    zones = match_codes(project, "hazard_zone", hazards[~points].reset_index(drop=True),
                        _ZONE_COLUMNS, update)
    spots = match_codes(project, "hazard_point", hazards[points].reset_index(drop=True),
                        _POINT_COLUMNS, update)
    _refuse_existing(path.name, "灾害隐患", [zones, spots], update)
    warnings = list(result.issues) + away_from_county(project, hazards.geometry.to_numpy(),
                                                      path.name)

    def write(uow: UnitOfWork) -> ImportReport:
        zone_ids, point_ids = cw.insert_hazards(uow.connection, zones.new, spots.new)
        uow.bulk_inserted("hazard_zone", zone_ids)
        uow.bulk_inserted("hazard_point", point_ids)
        updated = _write_updates(uow, zones) + _write_updates(uow, spots)
        existing = len(zones.existing) + len(spots.existing)
        return ImportReport("hazards", path.name, len(zone_ids) + len(point_ids) + updated,
                            warnings, updated=updated, unchanged=existing - updated)

    return write
