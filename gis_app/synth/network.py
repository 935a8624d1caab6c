"""Rivers and roads of the synthetic county: the valleys along which hamlets grow."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from gis_app.synth import libm
from gis_app.synth.terrain import Layout, LineIndex, offset, smooth
from gis_app.synth.territory import Territory

_ROAD_KIND = {0: "省道", 1: "县道", 2: "乡道"}


@dataclass
class Network:
    """Rivers and roads in the plane, clipped to the county."""

    river_names: list[str]
    river_geoms: np.ndarray
    river_orders: np.ndarray
    road_names: list[str]
    road_kinds: list[str]
    road_geoms: np.ndarray

    def lines(self) -> np.ndarray:
        """All rivers and roads as one array of LineStrings."""
        return np.r_[self.river_geoms, self.road_geoms]

    def weights(self) -> np.ndarray:
        """How strongly each line of :meth:`lines` attracts houses (roads more than streams)."""
        river_w = np.where(self.river_orders == 0, 0.7, 0.45)
        road_w = np.array([{"省道": 1.0, "县道": 0.9, "乡道": 0.8, "村道": 1.0}[k]
                           for k in self.road_kinds])
        return np.r_[river_w, road_w]


def _clip(coords: list[np.ndarray], county: shapely.Polygon,
          min_length: float) -> tuple[np.ndarray, np.ndarray]:
    """Clip polylines to the county; return the pieces and the index of the line each came from."""
    lines = np.array([shapely.LineString(c) for c in coords], dtype=object)
    clipped = shapely.intersection(np.asarray(lines, dtype=object), county)
    parts, index = shapely.get_parts(clipped, return_index=True)
    keep = (shapely.get_type_id(parts) == shapely.GeometryType.LINESTRING) & (
        shapely.length(parts) >= min_length)
    return parts[keep], index[keep]


def _wiggle(rng: np.random.Generator, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Draw a country road from ``start`` to ``end`` that bends with the slope (ends fixed)."""
    length = float(libm.hypot(*(end - start)))
    n = max(int(length / 60.0), 3)
    t = np.linspace(0.0, 1.0, n)
    direction = (end - start) / max(length, 1e-9)
    normal = np.array([-direction[1], direction[0]])
    bend = np.zeros(n)
    for k in (1, 2, 3):
        bend += rng.normal(0, 0.05 / k) * length * np.sin(k * np.pi * t)
    bend += rng.normal(0, 12.0) * np.sin(t * length / 150.0) * np.sin(np.pi * t)
    return start + t[:, None] * (end - start) + bend[:, None] * normal


def build_network(rng: np.random.Generator, layout: Layout, territory: Territory) -> Network:
    """Clip the rivers, lay roads along them and link every remote village to a road.

    Parameters
    ----------
    rng : numpy.random.Generator
        Random stream of this stage.
    layout : Layout
        The river network.
    territory : Territory
        Villages (their centres get access roads) and the county outline.

    Returns
    -------
    Network
    """
    county = territory.county
    spacing = territory.atom_spacing
    river_geoms, river_idx = _clip([r.coords for r in layout.rivers], county, 300.0)
    river_names = [layout.rivers[i].name for i in river_idx]
    river_orders = np.array([layout.rivers[i].order for i in river_idx], dtype=np.int64)

    # Main road along the main river, county and township roads along the streams.
    road_coords, road_names, road_kinds = [], [], []
    for i, river in enumerate(layout.rivers):
        window = 25 if river.order == 0 else 12
        side = 1 if rng.random() < 0.5 else -1
        road_coords.append(offset(smooth(river.coords, window), side * (140.0 if river.order == 0
                                                                        else 80.0)))
        road_kinds.append(_ROAD_KIND[river.order])
        road_names.append("S229" if river.order == 0 else
                          f"{'X' if river.order == 1 else 'Y'}{i:03d}")
    road_geoms, road_idx = _clip(road_coords, county, 300.0)
    road_names = [road_names[i] for i in road_idx]
    road_kinds = [road_kinds[i] for i in road_idx]

    # Access roads (通村公路) from remote village centres to the nearest road.
    index = LineIndex([shapely.get_coordinates(g) for g in road_geoms])
    centres = territory.village_centres
    dist = index.distance(centres[:, 0], centres[:, 1])
    targets = index.nearest(centres[:, 0], centres[:, 1])
    access, access_names = [], []
    for v in np.flatnonzero(dist > max(250.0, spacing)):
        access.append(_wiggle(rng, centres[v], targets[v]))
        access_names.append(territory.village_names[v] + "通村公路")
    access_geoms, access_idx = _clip(access, county, 100.0)
    return Network(
        river_names=river_names, river_geoms=river_geoms, river_orders=river_orders,
        road_names=road_names + [access_names[i] for i in access_idx],
        road_kinds=road_kinds + ["村道"] * len(access_idx),
        road_geoms=np.r_[road_geoms, access_geoms])
