"""Proposals to redraw a village's level-3 grids and share them among its grid workers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import shapely

from gis_app.analysis.grid_split import (
    _area,
    _households,
    _storage_crs,
    assign_households,
    split_balanced,
)
from gis_app.analysis.point_in_polygon import PolygonIndex
from gis_app.core.crs import STORAGE_EPSG

if TYPE_CHECKING:
    import geopandas as gpd


@dataclass
class Proposal:
    """A proposed set of level-3 grids for one village, with a worker for each grid.

    Attributes
    ----------
    grids : geopandas.GeoDataFrame
        Columns ``part`` (0..g-1), ``households``, ``worker`` and the geometry, EPSG:4490;
        the grids tile the village. A worker's grids are numbered consecutively.
    assignment : numpy.ndarray of int64
        The ``part`` of every household, -1 outside the village.
    loads : dict
        Households per worker, every worker listed (0 for one without a grid).
    warnings : list of str
        Problems for the user, in Chinese.
    """

    grids: gpd.GeoDataFrame
    assignment: np.ndarray
    loads: dict
    warnings: list[str] = field(default_factory=list)


def _level_loads(caps: np.ndarray, total: float) -> np.ndarray:
    """Loads as equal as possible, none above its cap, summing to ``total`` (water-filling)."""
    loads = np.empty(caps.size)
    left = float(total)
    for rank, i in enumerate(np.argsort(caps, kind="stable")):  # smallest cap first
        loads[i] = min(caps[i], left / (caps.size - rank))
        left -= loads[i]
    return loads


def _match_workers(regions, xy, workers: list, current_grids) -> list:
    """Region → worker: by default in order; with current grids, keep who serves whom.

    Greedy on the households a region shares with each worker's current grids, largest first.
    """
    r = len(regions)
    if current_grids is None:
        return workers[:r]
    if "worker" not in current_grids.columns:
        raise ValueError("当前网格图层缺少 worker（网格员）列")
    if current_grids.crs is None:
        raise ValueError("当前网格图层没有坐标系，应为 EPSG:4490（CGCS2000 经纬度）")
    _storage_crs(current_grids, "当前网格图层")
    ids = {w: i for i, w in enumerate(workers)}
    now = PolygonIndex(current_grids.geometry.to_numpy()).locate(xy[:, 0], xy[:, 1]).index
    served = np.full(len(xy), -1)
    found = now >= 0
    served[found] = [ids.get(w, -1) for w in current_grids["worker"].to_numpy()[now[found]]]
    region = PolygonIndex(np.asarray(regions, dtype=object)).locate(xy[:, 0], xy[:, 1]).index
    both = (served >= 0) & (region >= 0)
    shared = np.zeros((r, len(workers)), dtype=np.int64)
    np.add.at(shared, (region[both], served[both]), 1)
    rows, cols = np.nonzero(shared)
    order = np.lexsort((cols, rows, -shared[rows, cols]))
    chosen: dict[int, int] = {}
    taken: set[int] = set()
    for i, w in zip(rows[order], cols[order], strict=True):
        if i not in chosen and w not in taken:
            chosen[i] = w
            taken.add(w)
    spare = iter(w for w in range(len(workers)) if w not in taken)
    return [workers[chosen[i]] if i in chosen else workers[next(spare)] for i in range(r)]


def propose_rebalance(
    village,
    households_xy,
    workers: Sequence,
    household_limit: int,
    current_grids=None,
) -> Proposal:
    """Propose level-3 grids for a village and the grid worker of each.

    The number of grids is ``max(len(workers), ceil(n / household_limit))`` (n: households in
    the village). The village is first split into one compact part per worker, then a part is
    split again into several grids where workers are too few, so that a worker's grids lie
    together and no grid passes the limit. Worker loads are as equal as whole grids allow.

    Parameters
    ----------
    village : shapely Polygon or MultiPolygon
        The village in EPSG:4490.
    households_xy : array_like, shape (n, 2)
        Household longitude/latitude (EPSG:4490).
    workers : sequence
        Grid worker ids (三级网格员), at least one, all different.
    household_limit : int
        Households one worker should serve at most (e.g. 100).
    current_grids : geopandas.GeoDataFrame, optional
        The village's current grids (EPSG:4490) with a ``worker`` column: each new part goes
        to the worker who serves most of its households today, so that few households change
        hands.

    Returns
    -------
    Proposal
        Grids, per-household assignment, loads per worker and warnings such as
        网格员不足：按每人不超过100户，至少需要N名网格员.

    Raises
    ------
    ValueError
        With no workers, repeated workers, a limit below 1, or coordinates not in EPSG:4490.
    """
    import geopandas as gpd

    area = _area(village, "村")
    xy = _households(households_xy)
    workers = list(workers)
    if not workers:
        raise ValueError("没有网格员，无法划分网格")
    if len(set(workers)) != len(workers):
        raise ValueError("网格员名单中有重复")
    limit = int(household_limit)
    if limit < 1:
        raise ValueError("每名网格员的户数上限必须至少为 1")
    inside = shapely.intersects_xy(area, xy[:, 0], xy[:, 1])
    n = int(inside.sum())
    spots = len(np.unique(xy[inside], axis=0))
    need = -(-n // limit)
    grids_wanted = max(len(workers), need)
    grids = max(1, min(grids_wanted, spots))
    messages = []
    if need > len(workers):
        messages.append(
            f"网格员不足：按每人不超过{limit}户，至少需要{need}名网格员（现有{len(workers)}名）"
        )
    if grids < grids_wanted:
        messages.append(
            f"户数太少（{n}户，{spots}个位置）：只能划分{grids}个网格，"
            f"{max(len(workers) - grids, 0)}名网格员暂不分配网格"
        )
    outside = int(np.isfinite(xy).all(axis=1).sum()) - n
    if outside:
        messages.append(f"有{outside}户不在村界内，未参与划分")

    regions = min(len(workers), grids)
    per_region = np.full(regions, grids // regions)
    per_region[: grids % regions] += 1
    loads = _level_loads(per_region * float(limit), n) if n else np.ones(regions)
    if n and regions > 1:
        parts = split_balanced(area, xy[inside], regions, shares=np.maximum(loads, 1e-9))
        parts = parts.geometry.to_numpy()
    else:
        parts = np.array([area], dtype=object)
    owner = _match_workers(parts, xy[inside], workers, current_grids)

    region_of = assign_households(xy[inside], parts)
    pieces, piece_worker = [], []
    for r in range(regions):
        mine = xy[inside][region_of == r]
        count = min(int(per_region[r]), len(np.unique(mine, axis=0)))
        if count > 1:
            pieces += list(split_balanced(parts[r], mine, count).geometry)
        else:
            pieces.append(parts[r])
        piece_worker += [owner[r]] * max(count, 1)
        if count < per_region[r]:
            messages.append(f"网格员{owner[r]}的片区户位置太少，只划分{max(count, 1)}个网格")

    assignment = np.full(len(xy), -1, dtype=np.int64)
    assignment[inside] = assign_households(xy[inside], pieces)
    counts = np.bincount(assignment[assignment >= 0], minlength=len(pieces))
    frame = gpd.GeoDataFrame(
        {"part": np.arange(len(pieces)), "households": counts, "worker": piece_worker},
        geometry=pieces,
        crs=STORAGE_EPSG,
    )
    slot = {w: i for i, w in enumerate(workers)}
    per_worker = np.bincount(
        [slot[w] for w in piece_worker], weights=counts, minlength=len(workers)
    )
    result_loads = {w: int(per_worker[slot[w]]) for w in workers}
    if need <= len(workers):
        messages += [
            f"网格员{w}负责{load}户，超过每人{limit}户的上限（户位置重合，无法再分）"
            for w, load in result_loads.items()
            if load > limit
        ]
    return Proposal(frame, assignment, result_loads, messages)
