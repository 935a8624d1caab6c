"""What the planner's window tests read independently of the app: the store, geopandas joins.

The store is read with Python's sqlite3 (geometries as WKB), the points projected with
geopandas, and exposure found with plain ``geopandas.sjoin`` — none of the app's readers,
sources or analysis.
"""

from __future__ import annotations

import sqlite3

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from PyQt6.QtCore import Qt

#: Threat radius of a hazard point without one (core/hazards.py's defaults, as surveys set them).
DEFAULT_RADIUS = {"滑坡": 250.0, "泥石流": 400.0, "崩塌": 150.0}


def sql(window, query: str) -> pd.DataFrame:
    """A query on the window's project file, through Python's own sqlite3."""
    with sqlite3.connect(str(window.session.project.location)) as connection:
        return pd.read_sql_query(query, connection)


def _geo(frame: pd.DataFrame, column: str = "geom") -> gpd.GeoDataFrame:
    geometry = shapely.from_wkb(frame[column].to_numpy())
    return gpd.GeoDataFrame(frame.drop(columns=column), geometry=geometry, crs=4490)


def households(window) -> gpd.GeoDataFrame:
    """Located households in the map's Gauss–Krüger zone, with their level-3 grid's code."""
    frame = sql(window, "SELECT h.id, h.head_name, h.members, h.attribute, h.grid_id, "
                        "h.village_id, h.lon, h.lat, g.code AS grid_code FROM household h "
                        "LEFT JOIN grid g ON g.id = h.grid_id WHERE h.lon IS NOT NULL")
    points = gpd.points_from_xy(frame["lon"], frame["lat"], crs=4490)
    return gpd.GeoDataFrame(frame, geometry=points).to_crs(window.session.epsg)


def zones(window) -> gpd.GeoDataFrame:
    """Hazard zones in map metres."""
    return _geo(sql(window, "SELECT id, name, kind, level, geom FROM hazard_zone")).to_crs(
        window.session.epsg)


def hazard_points(window) -> gpd.GeoDataFrame:
    """Hazard points in map metres with the radius they threaten."""
    frame = _geo(sql(window, "SELECT id, name, kind, level, threat_radius, geom "
                             "FROM hazard_point")).to_crs(window.session.epsg)
    default = frame["kind"].map(DEFAULT_RADIUS).fillna(200.0)
    frame["radius"] = frame["threat_radius"].fillna(default)
    return frame


def expected_exposure(window, buffer_m: float = 0.0) -> pd.DataFrame:
    """Per household and kind the most severe level reaching it: ``id, kind, level``.

    Zones by ``sjoin`` (intersects, or dwithin the buffer); points by ``sjoin`` dwithin the
    largest reach, then each pair's distance against its point's radius plus the buffer.
    """
    homes = households(window)[["id", "geometry"]]
    areas = zones(window)
    if buffer_m > 0:
        pairs = gpd.sjoin(homes, areas, predicate="dwithin", distance=buffer_m)
    else:
        pairs = gpd.sjoin(homes, areas, predicate="intersects")
    parts = [pairs[["id_left", "kind", "level"]].rename(columns={"id_left": "id"})]
    spots = hazard_points(window)
    reach = spots["radius"] + buffer_m
    near = gpd.sjoin(homes, spots, predicate="dwithin", distance=float(reach.max()))
    distance = homes.set_index("id").loc[near["id_left"]].geometry.distance(
        spots.set_index("id").loc[near["id_right"]].geometry, align=False).to_numpy()
    allowed = (spots.set_index("id").loc[near["id_right"], "radius"].to_numpy() + buffer_m)
    near = near[distance <= allowed]
    parts.append(near[["id_left", "kind", "level"]].rename(columns={"id_left": "id"}))
    found = pd.concat(parts, ignore_index=True)
    return found.groupby(["id", "kind"], as_index=False)["level"].min()


def menu_action(window, chinese: str):
    """The action a menu shows as ``chinese`` (whatever the language shown)."""
    from PyQt6.QtGui import QAction

    return next(target for target, text in window._texts
                if text == chinese and isinstance(target, QAction))


def table_texts(view, column: int) -> list[str]:
    """A table view's column as shown (what its model gives the view to draw)."""
    model = view.model()
    return [model.index(row, column).data() for row in range(model.rowCount())]


def row_count(view) -> int:
    """Rows a table view lists."""
    return view.model().rowCount()


def click_cell(qtbot, view, row: int, column: int = 0) -> None:
    """Click a table cell as a user does (scrolled into view first)."""
    index = view.model().index(row, column)
    view.scrollTo(index)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                     pos=view.visualRect(index).center())


def modal_boxes(qtbot):
    """Window-modal message boxes on screen now."""
    from PyQt6.QtWidgets import QApplication, QMessageBox

    return [w for w in QApplication.topLevelWidgets()
            if isinstance(w, QMessageBox) and w.isVisible()]


def gk(window, lonlat_geometry):
    """A lon/lat geometry in map metres."""
    series = gpd.GeoSeries([lonlat_geometry], crs=4490).to_crs(window.session.epsg)
    return series.iloc[0]


def ids(values) -> list[int]:
    """Sorted plain ints."""
    return sorted(int(v) for v in np.asarray(values).ravel())
