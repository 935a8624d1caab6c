"""Hazard zones and geological hazard points of the synthetic county (DOMAIN §1, §10)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis_app.core.codes import HazardKind, HazardLevel
from gis_app.core.crs import STORAGE_EPSG
from gis_app.core.hazards import DEFAULT_THREAT_RADIUS_M
from gis_app.synth import libm
from gis_app.synth.common import multipolygons
from gis_app.synth.names import COUNTY_CODE
from gis_app.synth.network import Network
from gis_app.synth.terrain import Frame, LineIndex
from gis_app.synth.territory import Territory

#: Flood bands along the main river: (level, outer distance in metres); streams get the last three.
_FLOOD_BANDS = ((1, 60.0), (2, 150.0), (3, 300.0), (4, 500.0))
_STREAM_BANDS = ((2, 40.0), (3, 100.0), (4, 200.0))
_SOURCES = {
    HazardKind.FLOOD: ("县水利局山洪灾害调查评价", 2021),
    HazardKind.LANDSLIDE: ("县自然资源局2022年地质灾害调查", 2022),
    HazardKind.DEBRIS_FLOW: ("县自然资源局2022年地质灾害调查", 2022),
    HazardKind.COLLAPSE: ("县自然资源局2022年地质灾害调查", 2022),
    HazardKind.DROUGHT: ("县气象局干旱灾害风险普查", 2021),
}

#: 威胁半径 of a hazard point by kind, metres: the households within it are the threatened ones
#: (the rule's defaults, which the exposure analysis also falls back on).
_THREAT_RADIUS = DEFAULT_THREAT_RADIUS_M


def _flood_zones(network: Network, territory: Territory) -> list[tuple]:
    """Nested bands along the rivers, one zone per river, level and township."""
    rows = []
    main = network.river_orders == 0
    streams = network.river_orders == 1
    for mask, bands in ((main, _FLOOD_BANDS), (streams, _STREAM_BANDS)):
        if not mask.any():
            continue
        names = np.array(network.river_names, dtype=object)[mask]
        lines = network.river_geoms[mask]
        inner = None
        for level, dist in bands:
            outer = shapely.buffer(lines, dist, quad_segs=4)
            band = outer if inner is None else shapely.difference(outer, inner)
            inner = outer
            tree = shapely.STRtree(territory.township_polys)
            li, ti = tree.query(band, predicate="intersects")
            pieces = shapely.intersection(band[li], territory.township_polys[ti])
            keep = shapely.area(pieces) > 2000
            for i, t, geom in zip(li[keep], ti[keep], pieces[keep], strict=True):
                rows.append((HazardKind.FLOOD, level, geom,
                             f"{names[i]}{territory.township_names[t]}段洪涝风险区"))
    return rows


def _lobes(rng: np.random.Generator, centre: np.ndarray, heading: np.ndarray,
           length: np.ndarray, width: np.ndarray) -> np.ndarray:
    """Irregular tongue-shaped polygons around ``centre`` pointing downhill along ``heading``."""
    n = len(centre)
    a = np.linspace(0, 2 * np.pi, 40, endpoint=False)[None, :]
    r = (1 + 0.12 * np.sin(3 * a + rng.uniform(0, 6.3, (n, 1)))
         + 0.08 * np.sin(5 * a + rng.uniform(0, 6.3, (n, 1))))
    x = length[:, None] / 2 * r * np.cos(a) * (1 + 0.25 * np.cos(a))
    y = width[:, None] / 2 * r * np.sin(a)
    c, s = np.cos(heading)[:, None], np.sin(heading)[:, None]
    ring = np.stack([centre[:, :1] + c * x - s * y, centre[:, 1:] + s * x + c * y], axis=-1)
    return shapely.polygons(np.concatenate([ring, ring[:, :1]], axis=1))


def _slope_zones(rng: np.random.Generator, hx: np.ndarray, hy: np.ndarray,
                 rivers: LineIndex, area_km2: float) -> list[tuple]:
    """Landslides, debris flows and collapses on slopes above hamlets, off the valley floor."""
    specs = ((HazardKind.LANDSLIDE, max(6, area_km2 / 6), (180, 420), (90, 220)),
             (HazardKind.DEBRIS_FLOW, max(3, area_km2 / 14), (600, 1400), (80, 180)),
             (HazardKind.COLLAPSE, max(3, area_km2 / 15), (70, 150), (50, 110)))
    total = sum(int(round(count)) for _, count, _, _ in specs)
    probe = np.sort(rng.choice(len(hx), min(len(hx), 8 * total), replace=False))
    dist = rivers.distance(hx[probe], hy[probe], limit=1000.0)
    upland = probe[dist > 550]
    if len(upland) < total:
        upland = probe[dist > 300]
    if len(upland) == 0:
        return []
    rows = []
    for kind, count, length, width in specs:
        count = int(min(round(count), len(upland)))
        chosen = rng.choice(upland, count, replace=False)
        toe = np.column_stack([hx[chosen], hy[chosen]])
        down = rivers.nearest(toe[:, 0], toe[:, 1]) - toe
        heading = libm.arctan2(down[:, 1], down[:, 0])
        level = rng.choice([1, 2, 3, 4], count, p=[0.15, 0.3, 0.35, 0.2])
        ell = rng.uniform(*length, count)
        # Centre up-slope of the house, so the house sits in the lobe's lower part.
        centre = toe - 0.3 * ell[:, None] * np.column_stack([np.cos(heading), np.sin(heading)])
        geoms = _lobes(rng, centre, heading, ell, rng.uniform(*width, count))
        rows += [(kind, int(lv), g, None) for lv, g in zip(level, geoms, strict=True)]
    return rows


def _within(pxy: np.ndarray, hx: np.ndarray, hy: np.ndarray, radius: float
            ) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (point, house) closer than ``radius``, found through square cells of that size."""
    def cell(x, y):
        return np.floor(x / radius).astype(np.int64) * 1_000_003 + np.floor(y / radius).astype(
            np.int64)

    order = np.argsort(cell(hx, hy), kind="stable")
    keys = cell(hx, hy)[order]
    pts, houses = [], []
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            k = cell(pxy[:, 0] + dx * radius, pxy[:, 1] + dy * radius)
            lo, hi = np.searchsorted(keys, k, "left"), np.searchsorted(keys, k, "right")
            count = hi - lo
            p = np.repeat(np.arange(len(pxy)), count)
            h = order[np.repeat(lo, count) + np.arange(count.sum()) - np.repeat(
                np.cumsum(count) - count, count)]
            near = libm.hypot(hx[h] - pxy[p, 0], hy[h] - pxy[p, 1]) <= radius
            pts.append(p[near])
            houses.append(h[near])
    return np.concatenate(pts), np.concatenate(houses)


def build_hazards(rng: np.random.Generator, territory: Territory, network: Network,
                  hx: np.ndarray, hy: np.ndarray, members: np.ndarray,
                  frame: Frame, area_km2: float) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Hazard zones (flood bands, slope lobes, one drought area) and hazard points.

    Parameters
    ----------
    rng : numpy.random.Generator
        Random stream of this stage.
    territory, network
        Units, rivers and roads in the plane.
    hx, hy, members : numpy.ndarray
        Located households: position and size.
    frame : Frame
        Plane to lon/lat.
    area_km2 : float
        County area, which sets the number of slope hazards.

    Returns
    -------
    zones, points : geopandas.GeoDataFrame
    """
    rivers = LineIndex([shapely.get_coordinates(g) for g in network.river_geoms])
    rows = _flood_zones(network, territory)
    slope = _slope_zones(rng, hx, hy, rivers, area_km2)
    county = territory.county
    lobes = np.array([r[2] for r in slope], dtype=object)
    shapely.prepare(county)
    crossing = ~shapely.within(lobes, county)
    lobes[crossing] = shapely.intersection(lobes[crossing], county)
    slope = [(k, lv, g, nm) for (k, lv, _, nm), g in zip(slope, lobes, strict=True)
             if shapely.area(g) > 500]
    # One drought-prone upland: the villages farthest from any river.
    far = np.argsort(-territory.village_river_distance, kind="stable")
    far = far[:max(2, territory.n_villages // 12)]
    drought = shapely.coverage_union_all(territory.village_polys[np.sort(far)])
    zones = rows + slope + [(HazardKind.DROUGHT, 3, drought, "高山片区干旱风险区")]

    geoms = np.array([z[2] for z in zones], dtype=object)
    centroid = shapely.get_coordinates(shapely.point_on_surface(geoms))
    v_tree = shapely.STRtree(territory.village_polys)
    pi, vi = v_tree.query(shapely.points(centroid), predicate="within")
    zone_village = np.full(len(zones), -1)
    zone_village[pi] = vi
    names, kinds, levels = [], [], []
    serial: dict[str, int] = {}
    for i, (kind, level, _, name) in enumerate(zones):
        if name is None:
            place = territory.village_names[zone_village[i]] if zone_village[i] >= 0 else ""
            serial[place + kind] = serial.get(place + kind, 0) + 1
            name = f"{place}{kind}风险区{serial[place + kind]}"
        names.append(f"{name}（{HazardLevel(level).label}）")
        kinds.append(str(kind))
        levels.append(level)
    zone_frame = gpd.GeoDataFrame({
        "code": pd.array([f"{COUNTY_CODE}FX{i + 1:05d}" for i in range(len(zones))], dtype="str"),
        "name": pd.array(names, dtype="str"),
        "kind": pd.array(kinds, dtype="str"),
        "level": np.array(levels, dtype=np.int64),
        "source": pd.array([_SOURCES[HazardKind(k)][0] for k in kinds], dtype="str"),
        "year": np.array([_SOURCES[HazardKind(k)][1] for k in kinds], dtype=np.int64),
    }, geometry=gpd.GeoSeries(multipolygons(frame.geoms(geoms)), crs=STORAGE_EPSG))

    # Hazard points: the head of every slope hazard, with the households it threatens.
    geo = [i for i, z in enumerate(zones) if z[0] in (HazardKind.LANDSLIDE,
                                                       HazardKind.DEBRIS_FLOW,
                                                       HazardKind.COLLAPSE)]
    pxy = shapely.get_coordinates(shapely.point_on_surface(geoms[geo]))
    radius = np.array([_THREAT_RADIUS[kinds[i]] for i in geo], dtype=float)
    p_idx, h_idx = _within(pxy, hx, hy, float(radius.max(initial=0.0)) or 1.0)
    inside = libm.hypot(hx[h_idx] - pxy[p_idx, 0], hy[h_idx] - pxy[p_idx, 1]) <= radius[p_idx]
    p_idx, h_idx = p_idx[inside], h_idx[inside]
    threatened = np.bincount(p_idx, minlength=len(geo))
    persons = np.bincount(p_idx, members[h_idx], minlength=len(geo)).astype(np.int64)
    lon, lat = frame.lonlat(pxy[:, 0], pxy[:, 1])
    point_frame = gpd.GeoDataFrame({
        "code": pd.array([f"{COUNTY_CODE}YH{i + 1:04d}" for i in range(len(geo))], dtype="str"),
        "name": pd.array([names[i].split("（")[0].replace("风险区", "隐患点") for i in geo],
                         dtype="str"),
        "kind": pd.array([kinds[i] for i in geo], dtype="str"),
        "level": np.array([levels[i] for i in geo], dtype=np.int64),
        "threatened_households": threatened.astype(np.int64),
        "threatened_persons": persons,
        "threat_radius": radius,
    }, geometry=gpd.GeoSeries(shapely.points(lon, lat), crs=STORAGE_EPSG))
    return zone_frame, point_frame
