"""What the map window asks for: the project's layers, identify, search, points for households.

The window loads a :class:`MapData` once (every layer projected to the project's Gauss–Krüger
zone, so shapes and distances on screen are true) and asks it questions; edits go through the
functions here, which write the store and the audit log.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from gis_app.core.codes import CaseStatus, LocationSource
from gis_app.core.crs import STORAGE_EPSG, gauss_kruger_epsg
from gis_app.core.fields import HIDDEN_FIELDS, display_value, field_label
from gis_app.storage.project import Project, open_project

SOURCES = ("grids", "households", "sites", "hazard_zones", "hazard_points", "villages")


def sample_project_path() -> Path:
    """Where the bundled sample county's project lives for this user."""
    base = Path(os.environ.get("GIS_APP_DATA", Path.home() / ".local" / "share" / "gis-app"))
    return base / "sample-county.gmp"


def open_or_create_sample(progress=None) -> Project:
    """Open the user's copy of the sample county, generating it on first start."""
    from gis_app.services.sample_service import create_sample_project

    path = sample_project_path()
    if path.exists():
        return open_project(path)
    return create_sample_project(path, progress=progress)


@dataclass
class SearchHit:
    """One search result: what it is, how to show it and where it is."""

    kind: str
    label: str
    source: str
    rows: np.ndarray
    bounds: tuple[float, float, float, float]


@dataclass
class MapData:
    """Every layer of a project in map metres, with what identify and search need."""

    project: Project
    epsg: int
    frames: dict[str, gpd.GeoDataFrame]
    unlocated: pd.DataFrame
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    #: True while the coverage layers are empty placeholders of a project that has a campaign:
    #: reading a campaign costs seconds on a large county, so it waits until one is shown.
    coverage_pending: bool = False

    def household_counts(self) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """(x, y, households) at a point inside each level-3 grid, then each village.

        The zoomed-out view of the households layer draws these counts instead of points.
        """
        households = self.frames["households"]
        levels = []
        for units, by in ((self.frames["grids"].query("level == 3"), "grid_code"),
                          (self.frames["villages"], "village_code")):
            counts = households.groupby(by).size()
            xy = shapely.get_coordinates(shapely.point_on_surface(units.geometry.to_numpy()))
            levels.append((xy[:, 0], xy[:, 1],
                           units["code"].map(counts).fillna(0).astype(int).to_numpy()))
        return levels

    def to_lonlat(self, x, y):
        """Map metres → CGCS2000 longitude/latitude."""
        transformer = pyproj.Transformer.from_crs(self.epsg, STORAGE_EPSG, always_xy=True)
        return transformer.transform(x, y)

    def to_map(self, lon, lat):
        """CGCS2000 longitude/latitude → map metres."""
        transformer = pyproj.Transformer.from_crs(STORAGE_EPSG, self.epsg, always_xy=True)
        return transformer.transform(lon, lat)

    def layer_frame(self, source: str, query: str | None) -> gpd.GeoDataFrame:
        """A layer's features: its source, filtered by the layer definition's query."""
        frame = self.frames[source]
        return frame.query(query).reset_index(drop=True) if query else frame


def load_map_data(project: Project, progress=None) -> MapData:
    """Read and project every layer (``progress(done, total)`` after each)."""
    from gis_app.storage.reader import load_table

    settings = project.settings()
    frames: dict[str, gpd.GeoDataFrame] = {}
    epsg = settings.get("gauss_kruger_epsg")
    unlocated = pd.DataFrame()
    for done, name in enumerate(SOURCES, start=1):
        frame, missing = _read_source(project, name)
        if name == "households":
            unlocated = missing
        if epsg is None and len(frame):
            epsg = gauss_kruger_epsg(float(frame.geometry.union_all().centroid.x))
        frames[name] = frame
        if progress:
            progress(done, len(SOURCES) + 1)
    frames = {name: frame.to_crs(epsg) for name, frame in frames.items()}
    _label_grids(frames["grids"])
    frames.update(coverage_layers(frames["grids"]))
    received = frames["households"].groupby("resettlement_site_code").size()
    sites = frames["sites"]
    sites["received"] = sites["code"].map(received).fillna(0).astype(int)
    sites["label"] = sites["name"] + "（" + sites["received"].astype(str) + "户）"
    tables = {
        name: load_table(project.engine, table)
        for name, table in (
            ("workers", "worker"),
            ("assignments", "grid_assignment"),
            ("helper_pairs", "helper_pair"),
            ("cases", "monitoring_case"),
        )
    }
    if progress:
        progress(len(SOURCES) + 1, len(SOURCES) + 1)
    pending = bool(len(load_table(project.engine, "campaign", ["id"])))
    return MapData(project, int(epsg), frames, unlocated, tables, pending)


def refresh_frames(data: MapData, sources: tuple[str, ...] = ("grids", "households")) -> None:
    """Re-read layers after an edit (grids redrawn, households re-assigned), in place.

    The frames keep the map's zone; the current assignments, which follow the grids, are read
    again too, and the coverage layers wait to be recounted (``coverage_pending``).
    """
    from gis_app.storage.reader import load_table

    for name in sources:
        frame, missing = _read_source(data.project, name)
        if name == "households":
            data.unlocated = missing
        data.frames[name] = frame.to_crs(data.epsg)
    if "grids" in sources:
        _label_grids(data.frames["grids"])
    data.frames.update(coverage_layers(data.frames["grids"]))
    data.coverage_pending = bool(len(load_table(data.project.engine, "campaign", ["id"])))
    data.tables["assignments"] = load_table(data.project.engine, "grid_assignment")


def refresh_household_grids(data: MapData) -> None:
    """After grids were redrawn: each household's grid (and row version), in place.

    A grid edit moves households between grids but changes nothing else of them, so only
    these columns are read again, not every household with all its fields.
    """
    from gis_app.storage.reader import load_table

    stored = load_table(data.project.engine, "household",
                        ["id", "grid_id", "grid_override", "version"]).set_index("id")
    codes = data.frames["grids"].set_index("id")["code"]
    for frame in (data.frames["households"], data.unlocated):
        if len(frame):
            for column in ("grid_id", "grid_override", "version"):
                frame[column] = frame["id"].map(stored[column]).to_numpy()
            frame["grid_code"] = frame["grid_id"].map(codes).to_numpy()


def _read_source(project: Project, name: str) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """One source in storage lon/lat, and (for households) those without a location."""
    from gis_app.services.export_service import load_layer

    frame = household_points(project) if name == "households" else load_layer(project, name)
    missing = pd.DataFrame()
    if name == "households":
        located = frame["lon"].notna()
        missing = pd.DataFrame(frame[~located].drop(columns="geometry"))
        frame = frame[located].reset_index(drop=True)
    return gpd.GeoDataFrame(frame, geometry=frame.geometry, crs=STORAGE_EPSG), missing


def _label_grids(grids: gpd.GeoDataFrame) -> None:
    grids["label"] = grids["name"].str.replace(r"(总网格|一级网格|二级网格)$", "", regex=True)


#: The coverage choropleth sources and the unit level each colours (township, village, grid).
COVERAGE_SOURCES = {"coverage_townships": 1, "coverage_villages": 2, "coverage": 3}


def coverage_layers(grids: gpd.GeoDataFrame, tables=None) -> dict:
    """Every coverage choropleth source (see :data:`COVERAGE_SOURCES`) by its name.

    ``tables``: ``level → coverage table`` (a tracker's); None gives the empty layers a map
    starts with, filled once one is shown (:attr:`MapData.coverage_pending`).
    """
    return {source: coverage_layer(grids, None if tables is None else tables(level), level)
            for source, level in COVERAGE_SOURCES.items()}


def coverage_layer(grids: gpd.GeoDataFrame, table: pd.DataFrame | None,
                   level: int = 3) -> gpd.GeoDataFrame:
    """The grids of one level coloured by a coverage table of that level (empty for None).

    Level-3 grids match the table by grid code; township (1) and village (2) grids by the code
    of the administrative unit they cover.
    """
    key = "code" if level == 3 else "admin_code"
    units = grids[grids["level"] == level][["id", "code", "name", "admin_code", "geometry"]]
    if table is None:
        return units.iloc[0:0].assign(coverage=pd.Series(dtype=float))
    table = table.drop(columns=["name"]).dropna(subset=["code"]).rename(columns={"code": key})
    if key != "code":
        table = table.drop(columns=["code"], errors="ignore")
    layer = units.merge(table, on=key, how="inner").reset_index(drop=True)
    layer["coverage_label"] = (layer["coverage"] * 100).round().astype(int).astype(str) + "%"
    return layer


def household_points(project: Project) -> gpd.GeoDataFrame:
    """Households as points (None where the location is unknown), straight from the store."""
    from gis_app.storage.reader import load_households

    frame = load_households(project.engine)
    located = frame["lon"].notna().to_numpy()
    points = gpd.points_from_xy(frame["lon"].fillna(0), frame["lat"].fillna(0))
    return gpd.GeoDataFrame(
        frame, geometry=np.where(located, np.asarray(points), None), crs=STORAGE_EPSG
    )


def map_layers(project: Project) -> dict[str, gpd.GeoDataFrame]:
    """Every drawable layer in the project's Gauss–Krüger zone (metres), by source name."""
    return load_map_data(project).frames


# --- identify ---------------------------------------------------------------------------------


def describe_feature(
    data: MapData, source: str, row: int, unmask: bool = False, language: str = "zh"
) -> list[tuple[str, str]]:
    """(label, value) pairs of one feature, personal data masked unless ``unmask``."""
    record = data.frames[source].iloc[row]
    pairs = [
        (field_label(k, language), display_value(k, v, unmask))
        for k, v in record.items()
        if k not in HIDDEN_FIELDS and not k.startswith("_")
    ]
    if source == "households":
        pairs = household_context(data, record, unmask, language) + pairs
    return [(label, value) for label, value in pairs if value != ""]


def household_context(data: MapData, record, unmask: bool, language: str = "zh"):
    """Grid, workers, helper, current case and hazard exposure of a household."""
    grids = data.frames["grids"]
    grid = grids[grids["code"] == record.get("grid_code")]
    workers = data.tables["workers"].set_index("id")
    pairs = [
        (
            field_label("grid_name", language),
            f"{grid['name'].iloc[0]}（{grid['code'].iloc[0]}）" if len(grid) else "未分配",
        )
    ]
    if len(grid):
        assignments = data.tables["assignments"]
        current = assignments[
            (assignments["grid_id"] == grid["id"].iloc[0]) & assignments["end_date"].isna()
        ]
        names = [
            f"{workers.loc[w, 'name']}（{role}，"
            f"{display_value('phone', workers.loc[w, 'phone'], unmask)}）"
            for w, role in zip(current["worker_id"], current["role"], strict=True)
        ]
        pairs.append((field_label("workers", language), "；".join(names)))
    helpers = data.tables["helper_pairs"]
    mine = helpers[(helpers["household_id"] == record["id"]) & helpers["end_date"].isna()]
    pairs.append(
        (
            field_label("helper", language),
            "；".join(
                f"{workers.loc[w, 'name']}"
                f"（{display_value('phone', workers.loc[w, 'phone'], unmask)}）"
                for w in mine["worker_id"]
            ),
        )
    )
    cases = data.tables["cases"]
    cases = cases[cases["household_id"] == record["id"]].sort_values("started_on")
    if len(cases):
        case = cases.iloc[-1]
        pairs.append(
            (
                field_label("current_case", language),
                f"{case['kind']}·{case['status']}（{case['started_on']}起）"
                if case["status"] == CaseStatus.IN_PROGRESS
                else f"{case['kind']}·{case['status']}",
            )
        )
    zones = data.frames["hazard_zones"]
    point = shapely.Point(record.geometry.x, record.geometry.y)
    inside = zones[shapely.contains_xy(zones.geometry.to_numpy(), point.x, point.y)]
    from gis_app.core.codes import HazardLevel

    pairs.append(
        (
            field_label("hazards", language),
            "、".join(
                f"{k}（{HazardLevel(int(v)).label}风险）"
                for k, v in zip(inside["kind"], inside["level"], strict=True)
            )
            or "无",
        )
    )
    return pairs


# --- search -----------------------------------------------------------------------------------

_TAIL = re.compile(r"^[0-9Xx]{4,6}$")


def _hit(kind, label, source, frame, rows) -> SearchHit:
    bounds = tuple(frame.geometry.iloc[rows].total_bounds)
    return SearchHit(kind, label, source, np.asarray(rows), bounds)


def search(data: MapData, text: str, limit: int = 30) -> list[SearchHit]:
    """Households (name, ID or phone tail), villages, grid codes and workers matching ``text``."""
    text = text.strip()
    if not text:
        return []
    hits: list[SearchHit] = []
    households = data.frames["households"]
    if _TAIL.match(text):
        tail = text.upper()
        by_id = np.flatnonzero(households["head_id_number"].str.endswith(tail).to_numpy())
        by_phone = np.flatnonzero(households["phone"].fillna("").str.endswith(tail).to_numpy())
        for row in by_id[:limit]:
            record = households.iloc[row]
            hits.append(
                _hit(
                    "农户",
                    f"{record['head_name']} 证件尾号{tail}（{record['village']}）",
                    "households",
                    households,
                    [row],
                )
            )
        for row in by_phone[:limit]:
            record = households.iloc[row]
            hits.append(
                _hit(
                    "农户",
                    f"{record['head_name']} 电话尾号{tail}（{record['village']}）",
                    "households",
                    households,
                    [row],
                )
            )
    named = np.flatnonzero(households["head_name"].str.contains(text, regex=False).to_numpy())
    for row in named[:limit]:
        record = households.iloc[row]
        hits.append(
            _hit(
                "农户",
                f"{record['head_name']}（{record['village']}·{record['grid_code']}）",
                "households",
                households,
                [row],
            )
        )
    villages = data.frames["villages"]
    for row in np.flatnonzero(villages["name"].str.contains(text, regex=False).to_numpy())[:limit]:
        hits.append(_hit("村", villages["name"].iloc[row], "villages", villages, [row]))
    grids = data.frames["grids"]
    matched = grids["code"].str.contains(text, regex=False) | grids["name"].str.contains(
        text, regex=False
    )
    for row in np.flatnonzero(matched.to_numpy())[:limit]:
        hits.append(
            _hit(
                "网格",
                f"{grids['name'].iloc[row]}（{grids['code'].iloc[row]}）",
                "grids",
                grids,
                [row],
            )
        )
    workers = data.tables["workers"]
    assignments = data.tables["assignments"]
    for _, worker in (
        workers[workers["name"].str.contains(text, regex=False)].head(limit).iterrows()
    ):
        grid_ids = assignments.loc[
            (assignments["worker_id"] == worker["id"]) & assignments["end_date"].isna(), "grid_id"
        ]
        rows = np.flatnonzero(grids["id"].isin(set(grid_ids)).to_numpy())
        if len(rows):
            hits.append(
                _hit(
                    "网格员",
                    f"{worker['name']}（{worker['unit'] or ''}，负责{len(rows)}个网格）",
                    "grids",
                    grids,
                    rows,
                )
            )
    return hits[:limit]


# --- edits ------------------------------------------------------------------------------------


def set_household_location(
    data: MapData, household_id: int, x: float, y: float, user: str | None = None
) -> str | None:
    """Place a 位置未知 household at map point (x, y): store, grid by location, audit log.

    Returns
    -------
    str or None
        The code of the level-3 grid the point falls in (None outside every grid).
    """
    from sqlalchemy import update

    from gis_app.storage.audit import log_change
    from gis_app.storage.models import Household

    lon, lat = data.to_lonlat(x, y)
    grids = data.frames["grids"]
    level3 = grids[grids["level"] == 3]
    inside = level3[shapely.contains_xy(level3.geometry.to_numpy(), x, y)]
    grid_id = int(inside["id"].iloc[0]) if len(inside) else None
    table = Household.__table__
    with data.project.engine.begin() as connection:
        connection.execute(
            update(table)
            .where(table.c.id == household_id)
            .values(
                lon=float(lon),
                lat=float(lat),
                grid_id=grid_id,
                location_source=LocationSource.MANUAL.value,
                version=table.c.version + 1,
            )
        )
        log_change(
            connection,
            "set_location",
            "household",
            household_id,
            {
                "lon": round(float(lon), 7),
                "lat": round(float(lat), 7),
                "grid": inside["code"].iloc[0] if len(inside) else None,
            },
            user,
        )
    return inside["code"].iloc[0] if len(inside) else None


def export_rows(
    frame: pd.DataFrame, path: str | Path, unmask: bool = False, language: str = "zh"
) -> Path:
    """Write table rows (e.g. a selection) to Excel with display headers, masked by default."""
    from gis_app.io import write_table_excel

    shown = pd.DataFrame(
        {
            field_label(k, language): frame[k].map(lambda v, key=k: display_value(key, v, unmask))
            for k in frame.columns
            if k not in HIDDEN_FIELDS and k != "geometry"
        }
    )
    write_table_excel(shown, path)
    return Path(path)
