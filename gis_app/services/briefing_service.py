"""The briefing web map (简报网页地图) of a session: what it shows, gathered and written.

The grid levels carry the coverage choropleth the window draws (the session's
:class:`CoverageTracker`, classed by ``styles/coverage.toml``), then hazard zones, resettlement
sites and the households counted per level-3 grid by 户属性 (no household point, name, ID
number or phone). Polygons are simplified in map metres to what a screen shows
(:data:`SIMPLIFY_M`) before they go to longitude/latitude; ``reports/briefing.py`` writes the
file.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis_app.catalog import load_layers, load_styles
from gis_app.core.classify import classify
from gis_app.core.crs import STORAGE_EPSG
from gis_app.reports.briefing import MapPart, write_briefing
from gis_app.services.coverage_service import CampaignNotFoundError
from gis_app.services.map_service import coverage_layer
from gis_app.storage.uow import edit

#: Simplification tolerance (map metres): about a pixel at Leaflet's zoom 16 (a village's
#: streets); outlines stay where the screen draws them and the file stays small.
SIMPLIFY_M = 2.0
#: The largest household circle's radius (pixels); the others scale by the square root.
MAX_RADIUS_PX = 16.0
#: The household circles are on when the file opens only up to this many level-3 grids;
#: beyond, at the county's zoom they would hide the choropleth (ticked in the switcher).
CIRCLES_SHOWN_UP_TO = 300
#: The grid levels shown, finest first on opening: (level, the window's grid layer).
GRID_LEVELS = ((3, "grids_level3"), (2, "grids_level2"), (1, "grids_level1"))
#: Progress steps of :func:`gather_briefing`: the campaign, each grid level, zones, sites,
#: households, the title.
GATHER_STEPS = len(GRID_LEVELS) + 5
#: Coverage columns a grid's tooltip lists (label, column).
COVERAGE_FIELDS = (("户数", "households"), ("入户核实", "home"), ("电话微信核实", "remote"),
                   ("未排查", "unchecked"), ("不合规", "noncompliant"),
                   ("覆盖率", "coverage_label"))


@dataclass
class Briefing:
    """What the briefing map shows, ready to write.

    ``counts``: one row per level-3 grid (``grid_id, code, name, households``, one column
    per 户属性 class, ``n0, n1, …`` in the style's order, and per 监测类型 class, ``m0, m1,
    …``), the figures its circles and their tooltips show.
    """

    title: str
    subtitle: str
    parts: list[MapPart]
    bounds: tuple[float, float, float, float]
    counts: pd.DataFrame
    campaign: dict | None = None


@dataclass
class BriefingFile:
    """A briefing map written: where, its size and what it holds."""

    path: Path
    bytes: int
    layers: list[str]
    grids: dict[int, int]
    households: int
    campaign: str | None

    def message(self) -> str:
        """Said on the command line and in the status bar."""
        size = f"{self.bytes / 1e6:.1f}"
        return f"已生成简报网页地图（{size} MB）：{self.path}"


def _campaign_tracker(session, campaign_year: int | None):
    """(campaign row, CoverageTracker): the year's last round, else the session's campaign."""
    campaigns = session.frame("campaigns")
    if campaign_year is None:
        campaign_id = session.campaign_id
        if campaign_id is None:
            return None, None
        tracker = session.coverage()
    else:
        rows = campaigns[campaigns["year"] == int(campaign_year)]
        if rows.empty:
            raise CampaignNotFoundError(f"项目中没有{campaign_year}年的集中排查")
        campaign_id = int(rows.sort_values(["round", "id"])["id"].iloc[-1])
        if campaign_id == session.campaign_id:
            tracker = session.coverage()
        else:
            from gis_app.services.coverage_service import coverage_tracker

            tracker = coverage_tracker(session.project, campaign_id=campaign_id)
    row = campaigns[campaigns["id"] == campaign_id].iloc[0].to_dict()
    return row, tracker


def to_screen(session, frame: gpd.GeoDataFrame, tolerance_m: float = SIMPLIFY_M):
    """A map-metre frame simplified by ``tolerance_m`` and put in longitude/latitude."""
    geometries = np.asarray(frame.geometry.array, dtype=object)
    if tolerance_m > 0:
        geometries = shapely.simplify(geometries, tolerance_m, preserve_topology=True)

    def lonlat(xy: np.ndarray) -> np.ndarray:
        lon, lat = session.to_lonlat(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    if len(geometries):
        geometries = shapely.transform(geometries, lonlat)
    return gpd.GeoDataFrame(frame.drop(columns=frame.geometry.name), geometry=geometries,
                            crs=f"EPSG:{STORAGE_EPSG}")


def grid_coverage(grids: gpd.GeoDataFrame, table: pd.DataFrame | None,
                  level: int) -> gpd.GeoDataFrame:
    """Every grid of ``level`` with its coverage figures (NaN: no households or campaign)."""
    units = grids[grids["level"] == level][["id", "code", "name", "admin_code", "geometry"]]
    covered = coverage_layer(grids, table, level)
    figures = [c for c in ("households", "home", "remote", "unchecked", "noncompliant",
                           "coverage", "coverage_label") if c in covered]
    merged = units.merge(pd.DataFrame(covered[["id", *figures]]), on="id", how="left")
    for column in ("households", "home", "remote", "unchecked", "noncompliant"):
        if column not in merged:
            merged[column] = np.nan
        merged[column] = merged[column].astype("Int64")
    for column in ("coverage", "coverage_label"):
        if column not in merged:
            merged[column] = np.nan
    return gpd.GeoDataFrame(merged.sort_values("id").reset_index(drop=True),
                            geometry="geometry", crs=grids.crs)


def household_counts(session, style, prefix: str = "n") -> pd.DataFrame:
    """Households per level-3 grid and per class of ``style`` (户属性), by their stored grid.

    Returns
    -------
    pandas.DataFrame
        ``grid_id, code, name, households, n0 … n{k-1}`` (``prefix`` ``n``): one row per
        level-3 grid, the classes in the style's order; households of no class count in
        ``households`` only.
    """
    grids = session.grids[session.grids["level"] == 3].sort_values("id")
    households = session.households
    position = pd.Index(grids["id"].to_numpy(np.int64)).get_indexer(
        households["grid_id"].to_numpy(dtype=float, na_value=np.nan))
    classes = classify(style, households)
    inside = position >= 0
    k = len(style.classes)
    # one bincount over (grid, class + 1): class 0 of the table holds the unclassed
    keys = position[inside] * (k + 1) + (classes[inside] + 1)
    table = np.bincount(keys, minlength=len(grids) * (k + 1)).reshape(len(grids), k + 1)
    counts = pd.DataFrame({"grid_id": grids["id"].to_numpy(np.int64),
                           "code": grids["code"].to_numpy(), "name": grids["name"].to_numpy(),
                           "households": table.sum(axis=1)})
    for index in range(k):
        counts[f"{prefix}{index}"] = table[:, index + 1]
    return counts


def household_rings(session, counts: pd.DataFrame, style) -> gpd.GeoDataFrame:
    """Nested circles at a point inside each level-3 grid: ring k holds classes 0…k.

    The largest ring is every household of the grid's classes, each smaller one the classes
    before it (监测对象 innermost), so the colours show the shares; listed largest first so
    the smaller ones are drawn over it.
    """
    grids = session.grids[session.grids["level"] == 3].sort_values("id")
    anchors = shapely.point_on_surface(np.asarray(grids.geometry.array, dtype=object))
    k = len(style.classes)
    own = counts[[f"n{i}" for i in range(k)]].to_numpy(np.int64)
    cumulative = own.cumsum(axis=1)
    largest = max(int(cumulative[:, -1].max()) if len(counts) else 0, 1)
    rings = []
    for index in range(k - 1, -1, -1):  # classes, not features
        keep = own[:, index] > 0
        ring = counts[keep].copy()
        ring[style.field] = style.classes[index].value
        ring["radius"] = np.maximum(
            MAX_RADIUS_PX * np.sqrt(cumulative[keep, index] / largest), 2.0)
        ring["geometry"] = anchors[keep]
        rings.append(ring)
    frame = pd.concat(rings, ignore_index=True) if rings else counts.iloc[0:0].assign(
        radius=pd.Series(dtype=float), geometry=pd.Series(dtype=object))
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=session.grids.crs)


def gather_briefing(session, campaign_year: int | None = None, language: str = "zh",
                    tolerance_m: float = SIMPLIFY_M, progress=None) -> Briefing:
    """What the briefing map of a session shows.

    Parameters
    ----------
    session : ProjectSession
        The open project (what the window or a command reads).
    campaign_year : int, optional
        The campaign whose coverage colours the grids (its last round); None: the session's
        campaign (the window's choice, else the newest).
    language : str
        Layer names and legend in "zh" or "en".
    tolerance_m : float
        Simplification tolerance in map metres (0: none).
    progress : callable, optional
        ``progress(done, total)`` between the steps; raising from it cancels.

    Returns
    -------
    Briefing

    Raises
    ------
    CampaignNotFoundError
        When ``campaign_year`` has no campaign.
    """
    step = 0

    def advance() -> None:
        nonlocal step
        step += 1
        if progress:
            progress(step, GATHER_STEPS)

    styles = load_styles()
    layers = {d.id: d for d in load_layers(styles=styles)}
    campaign, tracker = _campaign_tracker(session, campaign_year)
    advance()
    grids = session.grids
    coverage_style = styles[layers["coverage_grids"].style]
    parts = []
    fields = (("网格", "name"), ("代码", "code"), *COVERAGE_FIELDS)
    for rank, (level, grid_layer) in enumerate(GRID_LEVELS):
        frame = grid_coverage(grids, None if tracker is None else
                              tracker.table(level, sort=False), level)
        outline = styles[layers[grid_layer].style].classes[0].symbol
        parts.append(MapPart(
            layers[grid_layer].title.in_language(language), to_screen(session, frame, tolerance_m),
            coverage_style, "polygon", _labelled(fields, language), pane="grids", base=True,
            show=rank == 0, outline=outline, legend=rank == 0))
        advance()
    zones = session.frame("hazard_zones")
    # kinds and levels named as the legends name them (洪涝 / Flood, 高风险 / High)
    zones = zones.assign(kind_label=_class_labels(styles["hazard_zones_by_kind"], zones["kind"],
                                                  language),
                         level_label=_class_labels(styles["hazard_zones_by_level"],
                                                   zones["level"], language))
    parts.append(MapPart(
        layers["hazard_zones"].title.in_language(language),
        to_screen(session, zones[["code", "name", "kind", "level", "kind_label", "level_label",
                                  "geometry"]], tolerance_m),
        styles[layers["hazard_zones"].style], "polygon",
        _labelled((("隐患区", "name"), ("灾害类型", "kind_label"), ("风险等级", "level_label")),
                  language), pane="hazards"))
    advance()
    sites = session.frame("sites")
    parts.append(MapPart(
        layers["sites"].title.in_language(language),
        to_screen(session, sites[["code", "name", "kind", "capacity", "geometry"]], 0),
        styles[layers["sites"].style], "point",
        _labelled((("安置点", "name"), ("类型", "kind"), ("安置容量（户）", "capacity")),
                  language), pane="sites"))
    advance()
    household_style = styles[layers["households"].style]
    type_style = styles["households_by_monitoring_type"]
    counts = household_counts(session, household_style)
    by_type = household_counts(session, type_style, "m")  # the same grids, in the same order
    counts = pd.concat([counts, by_type.filter(regex=r"^m\d+$")], axis=1)
    rings = household_rings(session, counts, household_style)
    ring_fields = _labelled((("网格", "name"), ("代码", "code"), ("户数", "households")),
                            language) + tuple(
        (c.label.in_language(language), f"n{i}") for i, c in enumerate(household_style.classes)
    ) + tuple((c.label.in_language(language), f"m{i}") for i, c in enumerate(type_style.classes))
    largest = int(counts["households"].max()) if len(counts) else 0
    parts.append(MapPart(
        _label("农户（按三级网格汇总）", language), to_screen(session, rings, 0),
        household_style, "point", ring_fields,
        pane="households", radius="radius", show=len(counts) <= CIRCLES_SHOWN_UP_TO,
        legend_title=_label("农户（按三级网格汇总）", language),
        notes=(_label("圆圈大小表示户数（最大{n}户）", language).format(n=largest),)))
    advance()
    west, south, east, north = parts[0].frame.total_bounds if len(parts[0].frame) else \
        (np.nan,) * 4
    bounds = (west, south, east, north) if np.isfinite(west) else None
    county = session.settings.get("county_name") or ""
    title = county + _label("网格防返贫监测简报图", language)
    when = _label("制图日期：{date}", language).format(date=dt.date.today().isoformat())
    what = campaign["name"] if campaign else _label("无集中排查", language)
    advance()
    return Briefing(title, f"{what}　{when}", parts, bounds, counts, campaign)


#: The map's own words in English (the file is written in the window's language).
_ENGLISH = {
    "网格": "Grid", "代码": "Code", "户数": "Households", "入户核实": "Visited at home",
    "电话微信核实": "Checked by phone/WeChat", "未排查": "Unchecked",
    "不合规": "Noncompliant", "覆盖率": "Coverage", "隐患区": "Hazard zone",
    "灾害类型": "Hazard kind", "风险等级": "Risk level", "安置点": "Site", "类型": "Kind",
    "安置容量（户）": "Capacity (households)", "农户（按三级网格汇总）":
    "Households (per level-3 grid)", "圆圈大小表示户数（最大{n}户）":
    "Circle size: households (largest {n})",
    "网格防返贫监测简报图": " grid monitoring briefing map",
    "制图日期：{date}": "Drawn on {date}", "无集中排查": "No investigation",
    "底图": "Basemap",
}


def _class_labels(style, values: pd.Series, language: str) -> pd.Series:
    """Each value's class label in ``style`` (the value itself when no class names it)."""
    labels = {c.value: c.label.in_language(language) for c in style.classes}
    return values.map(lambda v: labels.get(v, v))


def _label(text: str, language: str) -> str:
    return _ENGLISH.get(text, text) if language.startswith("en") else text


def _labelled(fields, language: str) -> tuple[tuple[str, str], ...]:
    return tuple((_label(label, language), column) for label, column in fields)


def write_briefing_map(session, path: str | os.PathLike, campaign_year: int | None = None,
                       tiles: str | None = None, language: str = "zh",
                       tolerance_m: float = SIMPLIFY_M, progress=None) -> BriefingFile:
    """Gather the briefing map of a session and write it as one offline HTML file.

    Parameters
    ----------
    session : ProjectSession
        The open project.
    path : path-like
        The ``.html`` file written (replaced atomically).
    campaign_year : int, optional
        See :func:`gather_briefing`.
    tiles : str, optional
        The XYZ tile source the user configured (the window's 设置 → 底图); None: no basemap,
        and the file names no address at all.
    language : str
        "zh" or "en".
    tolerance_m : float
        Simplification tolerance in map metres.
    progress : callable, optional
        ``progress(done, total)``; raising from it cancels and no file is left.

    Returns
    -------
    BriefingFile
        Not yet in the audit log: the caller notes it with :func:`record_export` (the window
        on its own thread, once the worker is done).
    """
    steps = GATHER_STEPS + 1  # and the file

    def gathering(done: int, _total: int) -> None:
        if progress:
            progress(done, steps)

    briefing = gather_briefing(session, campaign_year, language, tolerance_m, gathering)

    def writing(done: int, total: int) -> None:
        if progress and done == total:
            progress(steps, steps)

    out = write_briefing(path, briefing.parts, briefing.title, briefing.subtitle,
                         briefing.bounds, tiles=tiles or None,
                         tiles_name=_label("底图", language), language=language,
                         progress=writing)
    grids = session.grids
    return BriefingFile(
        out, out.stat().st_size, [p.title for p in briefing.parts],
        {level: int((grids["level"] == level).sum()) for level, _ in GRID_LEVELS},
        int(briefing.counts["households"].sum()),
        briefing.campaign["name"] if briefing.campaign else None)


def record_export(session, written: BriefingFile) -> None:
    """Note in the audit log who wrote which briefing map (no undo step, no view follows)."""
    with edit(session.project, session.user, f"导出简报网页地图：{written.path.name}") as uow:
        uow.note("export_briefing", "grid",
                 {"file": str(written.path), "bytes": written.bytes,
                  "campaign": written.campaign, "households": written.households})
