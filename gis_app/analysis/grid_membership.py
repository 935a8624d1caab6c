"""Which grids of every level each household belongs to, and households per grid.

A household is stored in one grid (its level-3 grid, or a coarser one where a village has no
level-3 grids); it belongs to that grid and to every grid above it through ``parent_id``. This is
the one place that walks the grid hierarchy: the grid tree, the roster's loads and the reports
use it. (The map's zoomed-out counts need no walk: they count level-3 grids, which have no grids
below them, and villages by ``village_id``.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Grid levels are 0–3: a household's grid has at most three grids above it.
_MAX_DEPTH = 4


def grid_membership(household_ids, household_grid_ids, grids: pd.DataFrame) -> pd.DataFrame:
    """One row per (household, grid) for the household's grid and every grid above it.

    Parameters
    ----------
    household_ids, household_grid_ids : array-like
        Households and the grid each is stored in (NaN/None/negative: none).
    grids : DataFrame
        ``id`` and ``parent_id`` of every grid.

    Returns
    -------
    DataFrame
        ``household``, ``grid_id`` (int64).
    """
    parent = pd.Series(pd.to_numeric(grids["parent_id"], errors="coerce").to_numpy(float),
                       index=grids["id"].to_numpy(np.int64))
    grid = pd.to_numeric(pd.Series(household_grid_ids), errors="coerce").to_numpy(float)
    ids = np.asarray(household_ids, dtype=np.int64)
    keep = np.isfinite(grid) & (grid >= 0)
    links = [(ids[keep], grid[keep])]
    for _ in range(_MAX_DEPTH):
        owners, current = links[-1]
        up = parent.reindex(current).to_numpy()
        known = np.isfinite(up)
        if not known.any():
            break
        links.append((owners[known], up[known]))
    return pd.DataFrame({
        "household": np.concatenate([h for h, _ in links]).astype(np.int64),
        "grid_id": np.concatenate([g for _, g in links]).astype(np.int64),
    })


def households_per_grid(household_grid_ids, grids: pd.DataFrame, weights=None) -> pd.Series:
    """Households (or the sum of ``weights``) per grid id at every level, zero for empty grids.

    Parameters
    ----------
    household_grid_ids : array-like
        The grid each household is stored in (NaN/None/negative: none).
    grids : DataFrame
        ``id`` and ``parent_id`` of every grid.
    weights : array-like, optional
        A number per household (members, a 0/1 flag); default 1.
    """
    grid_ids = pd.to_numeric(pd.Series(household_grid_ids), errors="coerce").to_numpy(float)
    values = np.ones(len(grid_ids)) if weights is None else np.asarray(weights, dtype=float)
    membership = grid_membership(np.arange(len(grid_ids)), grid_ids, grids)
    sums = np.bincount(membership["grid_id"].to_numpy() - 0, minlength=0,
                       weights=values[membership["household"].to_numpy()]) \
        if len(membership) else np.zeros(0)
    index = grids["id"].to_numpy(np.int64)
    totals = np.zeros(len(index))
    inside = index < len(sums)
    totals[inside] = sums[index[inside]]
    out = pd.Series(totals, index=pd.Index(index, name="grid_id"))
    return out.astype(np.int64) if weights is None else out
