"""GeoDataFrames of the synthetic county's units, grids, network and resettlement sites."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis_app.core.crs import STORAGE_EPSG
from gis_app.synth.common import multipolygons
from gis_app.synth.grids import Partition
from gis_app.synth.network import Network
from gis_app.synth.settlement import Sites
from gis_app.synth.terrain import Frame
from gis_app.synth.territory import Territory

_LEVEL_NAME = {0: "总网格", 1: "一级网格", 2: "二级网格"}


def _gdf(columns: dict, geometry: np.ndarray) -> gpd.GeoDataFrame:
    """Make a GeoDataFrame in CGCS2000 lon/lat with ``str`` text columns."""
    data = {k: (pd.array(v, dtype="str") if isinstance(v, list) else v)
            for k, v in columns.items()}
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geometry, crs=STORAGE_EPSG),
                            crs=STORAGE_EPSG)


def unit_frames(territory: Territory, frame: Frame
                ) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, np.ndarray, np.ndarray]:
    """Townships and villages as GeoDataFrames, plus their lon/lat MultiPolygons."""
    towns_ll = multipolygons(frame.geoms(territory.township_polys))
    vills_ll = multipolygons(frame.geoms(territory.village_polys))
    townships = _gdf({"code": territory.township_codes, "name": territory.township_names},
                     towns_ll)
    villages = _gdf({
        "code": territory.village_codes, "name": territory.village_names,
        "township_code": [territory.township_codes[t] for t in territory.village_township],
    }, vills_ll)
    return townships, villages, towns_ll, vills_ll


def grid_frames(territory: Territory, partition: Partition, frame: Frame, towns_ll: np.ndarray,
                vills_ll: np.ndarray) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Build the four grid levels, and a plain table with the unit index of each grid.

    Returns
    -------
    grids : geopandas.GeoDataFrame
        ``code, name, level, parent_code, admin_code, geometry``.
    index : pandas.DataFrame
        ``code, level, unit, number`` where ``unit`` is the township index (levels 0/1) or the
        village index (levels 2/3) and ``number`` the level-3 grid's number in its village.
    """
    t_codes = territory.township_codes
    t_names = territory.township_names
    v_codes = territory.village_codes
    v_names = territory.village_names
    n_t, n_v = len(t_codes), len(v_codes)
    vt = territory.village_township
    codes, names, levels, parents, admins, units, numbers, geoms = [], [], [], [], [], [], [], []
    for level, prefix in ((0, "Z"), (1, "G1-")):
        codes += [prefix + c for c in t_codes]
        names += [n + _LEVEL_NAME[level] for n in t_names]
        levels += [level] * n_t
        parents += [None] * n_t if level == 0 else ["Z" + c for c in t_codes]
        admins += list(t_codes)
        units += list(range(n_t))
        numbers += [0] * n_t
        geoms.append(towns_ll)
    codes += ["G2-" + c for c in v_codes]
    names += [n + "二级网格" for n in v_names]
    levels += [2] * n_v
    parents += ["G1-" + t_codes[t] for t in vt]
    admins += list(v_codes)
    units += list(range(n_v))
    numbers += [0] * n_v
    geoms.append(vills_ll)
    pv = partition.village
    numbers3 = partition.number
    codes += [f"G3-{v_codes[v]}-{k:02d}" for v, k in zip(pv, numbers3, strict=True)]
    names += [f"{v_names[v]}第{k}网格" for v, k in zip(pv, numbers3, strict=True)]
    levels += [3] * len(pv)
    parents += ["G2-" + v_codes[v] for v in pv]
    admins += [v_codes[v] for v in pv]
    units += pv.tolist()
    numbers += numbers3.tolist()
    geoms.append(multipolygons(frame.geoms(partition.polys)))
    grids = _gdf({"code": codes, "name": names, "level": np.array(levels, dtype=np.int64),
                  "parent_code": pd.array(parents, dtype="str"), "admin_code": admins},
                 np.concatenate(geoms))
    index = pd.DataFrame({"code": grids["code"].to_numpy(), "level": grids["level"].to_numpy(),
                          "unit": np.array(units, dtype=np.int64),
                          "number": np.array(numbers, dtype=np.int64)})
    return grids, index


def network_frames(network: Network, frame: Frame) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Rivers and roads as LineString GeoDataFrames."""
    rivers = _gdf({"name": network.river_names}, frame.geoms(network.river_geoms))
    roads = _gdf({"name": network.road_names, "kind": network.road_kinds},
                 frame.geoms(network.road_geoms))
    return rivers, roads


def site_frame(rng: np.random.Generator, sites: Sites, territory: Territory,
               frame: Frame) -> gpd.GeoDataFrame:
    """Concentrated resettlement sites as points."""
    towns = sites.township
    codes = [f"{territory.township_codes[t]}AZ{i + 1:02d}" for i, t in enumerate(towns)]
    capacity = (np.ceil((sites.households + rng.integers(5, 40, len(towns))) / 10) * 10)
    lon, lat = frame.lonlat(sites.xy[:, 0], sites.xy[:, 1])
    return _gdf({
        "code": codes,
        "name": [territory.township_names[t] + "易地扶贫搬迁集中安置点" for t in towns],
        "kind": ["集中安置点"] * len(towns),
        "capacity": capacity.astype(np.int64),
        "built_year": rng.integers(2017, 2020, len(towns)).astype(np.int64),
        "township_code": [territory.township_codes[t] for t in towns],
    }, shapely.points(lon, lat))
