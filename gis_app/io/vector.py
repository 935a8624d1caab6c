"""Vector layers in and out: GeoPackage, Shapefile, GeoJSON (and attribute tables to Excel)."""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS, Transformer

from gis_app.core.crs import CHINA_BOUNDS, STORAGE_EPSG
from gis_app.core.layer_fields import LAT_FIELDS, LON_FIELDS, WKT_FIELDS
from gis_app.io.errors import Issue, file_error, raise_if_errors, sort_issues
from gis_app.io.gcj02 import gcj02_to_wgs84_xy
from gis_app.io.geomcheck import check_geometries, check_in_china
from gis_app.io.shapefile import (
    recode_frame,
    shapefile_encoding,
    shown_encoding,
    sidecar,
    truncate_field_names,
)
from gis_app.io.sheet_layer import SHEET_SUFFIXES
from gis_app.io.tables import write_table_excel

CRS_FIELD = "坐标系"
#: GDAL's clock for GeoPackage timestamps in deterministic mode.
FIXED_GDAL_DATE = "2000-01-01T00:00:00Z"
_FIXED_DBF_DATE = "2000-01-01"
_DRIVERS = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON", ".shp": "ESRI Shapefile"}
_SHP_SIDECARS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".qmd")
_FIRST_GK3, _GK3_ZONES, _FIRST_GK6, _GK6_ZONES = 4513, range(25, 46), 4491, range(13, 24)
_NORTHING = (2.0e5, 6.2e6)  # metres north of the equator, China (3°N–54°N)
_NEED_CRS = "请用 --crs 指定坐标系（例如 EPSG:4546 为CGCS2000 3度带中央经线111°）"
#: Web Mercator's half width in metres; its coordinates never go beyond.
_MERCATOR_MAX = 20037508.35


@dataclass
class VectorReadResult:
    """A layer read from a vector file.

    Attributes
    ----------
    frame : geopandas.GeoDataFrame
        Features in EPSG:4490 (CGCS2000 longitude/latitude), repaired.
    issues : list of Issue
        Warnings (errors raise :class:`~gis_app.io.errors.InputFileError`).
    source_crs : pyproj.CRS or None
        The CRS the coordinates were interpreted in.
    encoding : str or None
        Attribute encoding used (shapefiles).
    layer : str or None
        Layer read.
    """

    frame: gpd.GeoDataFrame
    issues: list[Issue] = field(default_factory=list)
    source_crs: CRS | None = None
    encoding: str | None = None
    layer: str | None = None


def read_vector(path: str | os.PathLike, layer: str | int | None = None, crs: int | None = None,
                encoding: str | None = None, gcj02: bool = False,
                missing_ok: bool = False) -> VectorReadResult:
    """Read and check a GeoPackage, Shapefile or GeoJSON layer, returning it in EPSG:4490.

    Parameters
    ----------
    path : path-like
        ``.gpkg``, ``.shp``, ``.geojson``/``.json`` (anything GDAL opens), or an
        ``.xlsx``/``.csv`` table with 经度/纬度 or 几何图形WKT columns (as ``write_vector``
        writes layers to Excel).
    layer : str or int, optional
        Layer name or index (default: the first layer).
    crs : int, optional
        EPSG code of the coordinates; overrides the file's CRS or supplies a missing one.
    encoding : str, optional
        Attribute encoding of a shapefile; by default the ``.cpg``, else detected
        (strict UTF-8, otherwise GB18030).
    gcj02 : bool
        The coordinates are GCJ-02 (from a phone map app); convert them to CGCS2000.
    missing_ok : bool
        A feature without geometry is kept (a household whose place is unknown), not an error.

    Returns
    -------
    VectorReadResult
        The features and the warnings.

    Raises
    ------
    InputFileError
        Missing, empty, corrupt files, unknown CRS, unrepairable geometries, coordinates
        outside China; each issue names the file, the feature number and the field.
    """
    path = Path(path)
    label = path.name
    issues: list[Issue] = []
    _check_files(path, label)
    if encoding is None and path.suffix.lower() == ".shp":
        encoding, note = shapefile_encoding(path)
        if note:
            issues.append(Issue(label, None, None, note, "warning"))
    frame, layer_name, read_issues = _read_frame(path, label, layer, encoding)
    issues += read_issues
    if len(frame) == 0:
        raise file_error(label, "文件中没有要素")
    frame, source, crs_issues = _resolve_crs(frame, label, crs)
    issues += crs_issues
    raise_if_errors(issues)
    if gcj02:
        if not source.is_geographic:
            raise file_error(label, "GCJ-02坐标转换只适用于经纬度坐标，该文件是平面坐标")
    geoms, geom_issues = check_geometries(frame.geometry.to_numpy(), label, missing_ok)
    issues += geom_issues
    issues = sort_issues(issues)
    raise_if_errors(issues)
    frame = _with_geometry(frame, geoms, frame.crs)
    try:
        if not frame.crs.equals(CRS.from_epsg(STORAGE_EPSG)):
            frame = frame.to_crs(STORAGE_EPSG)
    except Exception as exc:  # noqa: BLE001 - pyproj errors become a user message
        raise file_error(label, f"无法将坐标转换到CGCS2000（{exc}）") from None
    if gcj02:
        converted = shapely.transform(frame.geometry.to_numpy(), gcj02_to_wgs84_xy,
                                      include_z=None)
        frame = _with_geometry(frame, converted, STORAGE_EPSG)
    issues += check_in_china(frame.geometry.to_numpy(), label)
    warnings_only = raise_if_errors(issues)
    return VectorReadResult(frame.reset_index(drop=True), warnings_only, source, encoding,
                            layer_name)


#: Files whose layers' attribute tables may be read as a table (a ledger, a roster).
VECTOR_SUFFIXES = tuple(_DRIVERS)


def layer_names(path: str | os.PathLike) -> list[str]:
    """The layers and tables of a GeoPackage (empty for other files or an unreadable one)."""
    path = Path(path)
    if path.suffix.lower() != ".gpkg" or not path.is_file():
        return []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    except Exception:  # noqa: BLE001 - the import itself reports a broken file
        return []


def read_attribute_rows(path: str | os.PathLike, label: str,
                        layer: str | int | None = None) -> tuple[pd.DataFrame, str]:
    """A layer's (or a GeoPackage table's) attributes as sheet rows: field names, then values.

    Parameters
    ----------
    path : path-like
        GeoPackage, GeoJSON or Shapefile (its ``.cpg`` checked as in :func:`read_vector`).
    label : str
        File name for messages.
    layer : str or int, optional
        Layer or table (default: the first).

    Returns
    -------
    tuple
        Object rows with positional columns (row 0 the field names; empty cells ``None``) and
        the layer read.
    """
    path = Path(path)
    _check_files(path, label)
    encoding = shapefile_encoding(path)[0] if path.suffix.lower() == ".shp" else None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            names = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    except Exception as exc:  # noqa: BLE001
        raise file_error(label, f"文件已损坏或不完整，无法读取（{_short(exc)}）") from None
    if isinstance(layer, int):
        name = names[layer] if 0 <= layer < len(names) else None
    else:
        name = layer if layer is not None else (names[0] if names else None)
    if name not in names:
        raise file_error(label, f"没有名为“{layer}”的图层或表（现有：{'、'.join(names)}）")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = pyogrio.read_dataframe(path, layer=name, read_geometry=False,
                                           encoding=gdal_encoding(encoding))
    except Exception as exc:  # noqa: BLE001
        raise file_error(label, f"文件已损坏或不完整，无法读取（{_short(exc)}）") from None
    values = frame.astype(object).where(frame.notna(), None).to_numpy(dtype=object)
    header = np.array([list(frame.columns)], dtype=object).reshape(1, len(frame.columns))
    return pd.DataFrame(np.vstack([header, values]), dtype=object), name


def _with_geometry(frame: gpd.GeoDataFrame, geoms: np.ndarray, crs) -> gpd.GeoDataFrame:
    """Return a copy of ``frame`` whose active geometry column holds ``geoms``."""
    frame = frame.copy()
    frame[frame.geometry.name] = gpd.GeoSeries(geoms, index=frame.index, crs=crs)
    return frame


def _check_files(path: Path, label: str) -> None:
    if not path.exists():
        raise file_error(label, "文件不存在")
    if path.suffix.lower() == ".shp":
        missing = [s for s in (".shx", ".dbf") if sidecar(path, s) is None]
        if missing:
            raise file_error(label, f"缺少配套文件{'、'.join(missing)}（Shapefile需要.shp、.shx、"
                                    ".dbf等文件放在同一文件夹）")
    elif path.is_file() and path.stat().st_size == 0:
        raise file_error(label, "文件已损坏或不完整（文件大小为0）")


def _read_frame(path: Path, label: str, layer,
                encoding) -> tuple[gpd.GeoDataFrame, str | None, list[Issue]]:
    if path.suffix.lower() in SHEET_SUFFIXES:
        from gis_app.io.sheet_layer import read_sheet_layer

        return read_sheet_layer(path, label, layer)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            listing = pyogrio.list_layers(path)
    except Exception as exc:  # noqa: BLE001 - corrupt files raise many kinds of errors
        raise file_error(label, f"文件已损坏或不完整，无法读取（{_short(exc)}）") from None
    layers = [str(name) for name in listing[:, 0]]
    spatial = [str(n) for n, kind in zip(listing[:, 0], listing[:, 1], strict=True) if kind]
    if not layers:
        raise file_error(label, "文件中没有图层")
    issues: list[Issue] = []
    if layer is None:
        name = spatial[0] if spatial else layers[0]
        if len(spatial) > 1:
            issues.append(Issue(label, None, None, f"文件中有{len(spatial)}个图层（"
                                f"{'、'.join(spatial)}），已读取“{name}”", "warning"))
    elif isinstance(layer, int):
        if not 0 <= layer < len(layers):
            raise file_error(label, f"没有第{layer + 1}个图层（共{len(layers)}个："
                                    f"{'、'.join(layers)}）")
        name = layers[layer]
    elif layer in layers:
        name = layer
    else:
        raise file_error(label, f"没有名为“{layer}”的图层（现有：{'、'.join(layers)}）")
    try:
        frame = _read(path, name, encoding, label)
    except UnicodeDecodeError:
        if path.suffix.lower() != ".shp":
            raise file_error(label, f"属性文字不是{encoding}编码，无法读取") from None
        # Byte-for-byte read, then decode ourselves, replacing what cannot be decoded (e.g. a
        # field name whose last character was cut by the 10-byte DBF limit).
        frame = recode_frame(_read(path, name, "ISO-8859-1", label), encoding or "utf-8")
        shown = shown_encoding(encoding or "utf-8")
        garbled = [str(c) for c in frame.columns if _garbled(str(c))]
        if garbled:
            raise file_error(label, f"字段名无法按{shown}编码解码（{'、'.join(garbled[:5])}），"
                                    f"文件的编码不是{shown}，也不是GBK或UTF-8；请确认属性表的编码后"
                                    "更正.cpg文件（例如写入GBK或UTF-8）") from None
        issues.append(Issue(label, None, None,
                            f"部分文字无法按{shown}解码（如被截断的字段名），已用“�”代替",
                            "warning"))
    return frame, name, issues


def _garbled(name: str) -> bool:
    """A field name that did not decode: not only its last character (cut at 10 bytes) is lost."""
    name = re.sub(r"_\d+$", "", name)  # the number that keeps two such names apart
    return "\ufffd" in name[:-1] or not name.strip("\ufffd")


def _read(path: Path, name: str, encoding: str | None, label: str) -> gpd.GeoDataFrame:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = pyogrio.read_dataframe(path, layer=name, encoding=gdal_encoding(encoding),
                                           on_invalid="ignore")
    except UnicodeDecodeError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise file_error(label, f"文件已损坏或不完整，无法读取（{_short(exc)}）") from None
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame:
        raise file_error(label, "图层没有几何图形（不是空间数据）")
    return frame


def gdal_encoding(codec: str | None) -> str | None:
    """The name GDAL's iconv knows for a Python codec (``latin-1`` → ``ISO-8859-1``)."""
    if codec is None:
        return None
    name = codec.upper().replace("_", "-")
    if name in ("LATIN-1", "LATIN1", "L1"):
        return "ISO-8859-1"
    return name.replace("ISO8859-", "ISO-8859-")


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:120] if text else type(exc).__name__


def _resolve_crs(frame: gpd.GeoDataFrame, label: str,
                 crs: int | None) -> tuple[gpd.GeoDataFrame, CRS | None, list[Issue]]:
    """Decide the coordinates' CRS: the override, the declared one, or a guess from values."""
    issues: list[Issue] = []
    if crs is not None:
        try:
            source = CRS.from_user_input(crs)
        except Exception:  # noqa: BLE001
            raise file_error(label, f"无法识别指定的坐标系“{crs}”") from None
        return frame.set_crs(source, allow_override=True), source, issues
    bounds = _bounds(frame)
    declared = frame.crs
    if declared is not None and not (declared.is_geographic and _beyond_degrees(bounds)):
        return frame, declared, issues
    source, issue = guess_crs(bounds, label)
    if declared is not None:
        if source is None:
            return frame, None, [_declared_mismatch(declared, bounds, label)]
        issues.append(Issue(label, None, CRS_FIELD,
                            "文件声明为经纬度坐标，但坐标值是平面坐标（米），已按坐标值判断坐标系",
                            "warning"))
    issues.append(issue)
    if source is None:
        return frame, None, issues
    return frame.set_crs(source, allow_override=True), source, issues


def _bounds(frame: gpd.GeoDataFrame) -> np.ndarray:
    geoms = frame.geometry.to_numpy()
    usable = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not usable.any():
        return np.full(4, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        b = shapely.bounds(geoms[usable])
        return np.array([np.nanmin(b[:, 0]), np.nanmin(b[:, 1]),
                         np.nanmax(b[:, 2]), np.nanmax(b[:, 3])])


def _beyond_degrees(bounds: np.ndarray) -> bool:
    xmin, ymin, xmax, ymax = bounds
    return bool(np.isfinite(bounds).all()
                and (xmin < -180 or xmax > 180 or ymin < -90 or ymax > 90))


def looks_like_web_mercator(bounds) -> bool:
    """True when ``(xmin, ymin, xmax, ymax)`` read as Web Mercator metres fall inside China."""
    xmin, ymin, xmax, ymax = (float(v) for v in bounds)
    if not (abs(xmin) <= _MERCATOR_MAX and abs(xmax) <= _MERCATOR_MAX
            and abs(ymin) <= _MERCATOR_MAX and abs(ymax) <= _MERCATOR_MAX):
        return False
    lon, lat = Transformer.from_crs(3857, 4326, always_xy=True).transform([xmin, xmax],
                                                                         [ymin, ymax])
    west, south, east, north = CHINA_BOUNDS
    return bool(west <= min(lon) and max(lon) <= east and south <= min(lat) and max(lat) <= north)


def _declared_mismatch(declared: CRS, bounds, label: str) -> Issue:
    """The error for degrees declared over coordinates in metres that match no known grid."""
    xmin, ymin, xmax, ymax = (float(v) for v in bounds)
    epsg = declared.to_epsg()
    name = f"EPSG:{epsg}" if epsg else declared.name
    message = (f"文件声明的坐标系为{name}（经纬度），但坐标值（X {xmin:.0f}～{xmax:.0f}，"
               f"Y {ymin:.0f}～{ymax:.0f}）远超经纬度范围（±180°/±90°），与声明的坐标系不符；")
    if looks_like_web_mercator(bounds):
        message += ("坐标值像Web墨卡托（EPSG:3857，网络地图常用），如确实如此，请用 --crs 3857 "
                    "导入，或在GIS软件中将文件的坐标系改为EPSG:3857")
    else:
        message += f"请确认坐标值实际所用的坐标系，{_NEED_CRS}"
    return Issue(label, None, CRS_FIELD, message)


def guess_crs(bounds, label: str) -> tuple[CRS | None, Issue]:
    """Guess the CRS of undeclared coordinates from their extent.

    Longitude/latitude inside China gives EPSG:4490; 8-digit eastings with a zone prefix give
    the CGCS2000 Gauss–Krüger zone (3-degree zones 25–45 → EPSG:4513–4533, 6-degree zones
    13–23 → EPSG:4491–4501). Anything else, including 6-digit eastings whose zone is unknown,
    is an error asking for ``--crs``.

    Parameters
    ----------
    bounds : array_like
        ``(xmin, ymin, xmax, ymax)`` of all features.
    label : str
        File name for the issue.

    Returns
    -------
    tuple
        The CRS (``None`` when it cannot be guessed) and a warning or error issue.
    """
    xmin, ymin, xmax, ymax = (float(v) for v in bounds)
    west, south, east, north = CHINA_BOUNDS
    if west <= xmin and xmax <= east and south <= ymin and ymax <= north:
        return CRS.from_epsg(STORAGE_EPSG), Issue(
            label, None, CRS_FIELD, "文件未声明坐标系，坐标为经纬度，已按CGCS2000（EPSG:4490）读取",
            "warning")
    northing = _NORTHING[0] <= ymin and ymax <= _NORTHING[1]
    zone = int(xmin // 1e6)
    if northing and zone == int(xmax // 1e6) and (zone in _GK3_ZONES or zone in _GK6_ZONES):
        three = zone in _GK3_ZONES
        epsg = (_FIRST_GK3 + zone - _GK3_ZONES.start if three
                else _FIRST_GK6 + zone - _GK6_ZONES.start)
        kind = "3度带" if three else "6度带"
        return CRS.from_epsg(epsg), Issue(
            label, None, CRS_FIELD,
            f"文件未声明坐标系，按坐标值判断为CGCS2000高斯-克吕格{kind}第{zone}带（EPSG:{epsg}），"
            "如有误请用 --crs 指定", "warning")
    swapped_zone = int(ymin // 1e6)
    if (_NORTHING[0] <= xmin and xmax <= _NORTHING[1] and swapped_zone == int(ymax // 1e6)
            and (swapped_zone in _GK3_ZONES or swapped_zone in _GK6_ZONES)):
        return None, Issue(label, None, CRS_FIELD,
                           "坐标的X、Y可能颠倒（X像北坐标、Y像带带号的东坐标），请交换后再导入")
    if northing and 1e5 <= xmin and xmax < 1e6:
        return None, Issue(label, None, CRS_FIELD,
                           "文件未声明坐标系，坐标为不带带号的高斯-克吕格平面坐标（6位横坐标），"
                           f"无法确定投影带，{_NEED_CRS}")
    if looks_like_web_mercator(bounds):
        return None, Issue(label, None, CRS_FIELD,
                           "文件未声明坐标系，坐标值像Web墨卡托（EPSG:3857，网络地图常用），"
                           "如确实如此，请用 --crs 3857 导入")
    return None, Issue(label, None, CRS_FIELD,
                       f"文件未声明坐标系，且无法根据坐标值判断坐标系，{_NEED_CRS}")


def write_vector(frame: gpd.GeoDataFrame, path: str | os.PathLike, layer: str | None = None,
                 encoding: str = "UTF-8", deterministic: bool = False) -> Path:
    """Write a layer; the format follows the extension.

    ``.gpkg`` (CRS written; with ``layer`` the layer is added to or replaced in an existing
    file, without it the file is replaced), ``.geojson``/``.json``, ``.shp`` (a ``.cpg`` names
    ``encoding``, e.g. ``"GBK"``; field names are cut to the DBF's 10 bytes and kept unique),
    ``.xlsx`` (attribute table plus 经度/纬度 for points or 几何图形WKT otherwise, in
    EPSG:4490; :func:`read_vector` reads it back).

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Features with a CRS.
    path : path-like
        Target file.
    layer : str, optional
        Layer name (GeoPackage).
    encoding : str
        Attribute encoding of shapefiles.
    deterministic : bool
        Reproducible bytes: GDAL's clock fixed at 2000-01-01 (GeoPackage timestamps, DBF date)
        and fixed Excel timestamps.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return _write_excel(frame, path, deterministic)
    if suffix not in _DRIVERS:
        raise ValueError(f"不支持的输出格式“{path.suffix}”（可用：.gpkg .shp .geojson .xlsx）")
    if frame.crs is None:
        raise ValueError("图层没有坐标系，无法写出")
    driver = _DRIVERS[suffix]
    options: dict[str, str] = {}
    kwargs: dict[str, object] = {}
    out = frame
    if driver == "ESRI Shapefile":
        _remove_shapefile(path)
        renamed = truncate_field_names([str(c) for c in frame.columns
                                        if c != frame.geometry.name], encoding)
        out = frame.rename(columns=renamed)
        kwargs["encoding"] = encoding
        if deterministic:
            options["DBF_DATE_LAST_UPDATE"] = _FIXED_DBF_DATE
    elif driver == "GPKG" and layer is None and path.exists():
        path.unlink()
    elif driver == "GeoJSON" and path.exists():
        path.unlink()
    config = {"OGR_CURRENT_DATE": FIXED_GDAL_DATE} if deterministic else {}
    previous = {k: pyogrio.get_gdal_config_option(k) for k in config}
    pyogrio.set_gdal_config_options(config)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pyogrio.write_dataframe(out, path, layer=layer, driver=driver,
                                    layer_options=options or None, **kwargs)
    finally:
        pyogrio.set_gdal_config_options(previous)
    return path


def _remove_shapefile(path: Path) -> None:
    for suffix in _SHP_SIDECARS:
        for candidate in (path.with_suffix(suffix), path.with_suffix(suffix.upper())):
            if candidate.exists():
                candidate.unlink()


def _write_excel(frame: gpd.GeoDataFrame, path: Path, deterministic: bool) -> Path:
    geo = frame.to_crs(STORAGE_EPSG) if frame.crs is not None else frame
    geoms = geo.geometry.to_numpy()
    table = pd.DataFrame(geo.drop(columns=geo.geometry.name))
    types = shapely.get_type_id(geoms[~shapely.is_missing(geoms)])
    formats = {}
    if types.size and (types == shapely.GeometryType.POINT).all():
        table[LON_FIELDS[0]] = shapely.get_x(geoms)
        table[LAT_FIELDS[0]] = shapely.get_y(geoms)
        # Degrees to six decimals on screen (about 0.1 m); the cells keep every digit.
        formats = {LON_FIELDS[0]: "0.000000", LAT_FIELDS[0]: "0.000000"}
    else:
        wkt = shapely.to_wkt(geoms, rounding_precision=8, trim=True)
        table[WKT_FIELDS[0]] = pd.Series(wkt, index=table.index, dtype=object)
    try:
        return write_table_excel(table, path, deterministic=deterministic,
                                 number_formats=formats)
    except ValueError as exc:
        raise ValueError(f"{exc}；几何图形过于复杂，请导出为GeoPackage（.gpkg）") from None
