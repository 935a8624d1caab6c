"""What the window shows of an exposure: a unit's households, the chart's bars, the choropleth.

All of it is read from one :class:`~gis_app.services.exposure_service.ExposureResult` (each
household counted once per kind, at its most severe level), so the 灾害暴露 dock's table, its
chart, the households a click selects and the map's choropleth always agree.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from gis_app.analysis.exposure import UNIT_COLUMNS
from gis_app.core.codes import HouseholdAttribute
from gis_app.services.exposure_service import ExposureResult, kind_name, level_name

#: The choropleth's value columns (FIELD_LABELS names them).
LAYER_COLUMNS = ["exposed", "exposed_persons", "exposed_monitored", "exposed_unpaired"]


def _rows(result: ExposureResult, kind: str | None = None, level: int | None = None
          ) -> pd.DataFrame:
    """The result's (row, kind, level) of one kind and level (None: any)."""
    rows = result.household_rows
    keep = np.ones(len(rows), dtype=bool)
    if kind is not None:
        keep &= rows["kind"].astype(str).to_numpy() == str(kind)
    if level is not None:
        keep &= rows["level"].to_numpy(np.int64) == int(level)
    return rows[keep]


def unit_households(result: ExposureResult, unit_level: int, code: str | None,
                    kind: str | None = None, level: int | None = None) -> np.ndarray:
    """Ids of a unit's households exposed to ``kind`` at ``level`` (None: to any, at any).

    Parameters
    ----------
    result : ExposureResult
        The exposure the table was made from.
    unit_level : int
        1 townships, 2 villages, 3 level-3 grids (the table's level).
    code : str or None
        The unit's code as the table lists it; None: the households in no unit of that level.
    kind : str, optional
        A stored kind (the table's ``kind_code``).
    level : int, optional
        1 (极高) … 4 (低) (the table's ``level_code``).
    """
    households = result.inputs.households
    rows = _rows(result, kind, level)["row"].to_numpy(np.int64)
    column = UNIT_COLUMNS[int(unit_level)][0]
    codes = households[column].to_numpy(dtype=object)[rows]
    mine = pd.isna(codes) if code is None else codes == code
    ids = households["id"].to_numpy(np.int64)[rows[np.asarray(mine, dtype=bool)]]
    return np.unique(ids)


def kind_households(result: ExposureResult, kind: str, level: int | None = None) -> np.ndarray:
    """Ids of every household exposed to ``kind`` (at ``level``, or at any)."""
    rows = _rows(result, kind, level)["row"].to_numpy(np.int64)
    return np.unique(result.inputs.households["id"].to_numpy(np.int64)[rows])


def chart_counts(result: ExposureResult, kind: str | None = None,
                 language: str = "zh") -> pd.DataFrame:
    """Households per kind × level over the whole county, for the chart.

    Returns
    -------
    pandas.DataFrame
        ``kind_code, kind, level_code, level, households`` (kind and level named as the
        legends name them), kinds in the result's order, levels 1–4.
    """
    rows = _rows(result, kind)
    counts = rows.groupby(["kind", "level"], observed=True, sort=True).size()
    frame = counts.rename("households").reset_index()
    frame = frame.rename(columns={"kind": "kind_code", "level": "level_code"})
    frame["kind_code"] = frame["kind_code"].astype(str)
    frame["level_code"] = frame["level_code"].astype(np.int64)
    frame.insert(1, "kind", [kind_name(k, language) for k in frame["kind_code"]])
    frame.insert(3, "level", [level_name(v, language) for v in frame["level_code"]])
    frame["households"] = frame["households"].astype(np.int64)
    return frame.reset_index(drop=True)


def exposure_layer(grids: gpd.GeoDataFrame, result: ExposureResult | None,
                   kind: str | None = None) -> gpd.GeoDataFrame:
    """Level-3 grids coloured by their exposed households (to ``kind``, or to any hazard).

    Each household counts once, whatever the number of kinds reaching it. Grids without an
    exposed household are left out (uncoloured), as the coverage choropleth leaves out grids
    without households.

    Returns
    -------
    geopandas.GeoDataFrame
        ``id, code, name, geometry`` and :data:`LAYER_COLUMNS` (households, persons,
        monitored households, monitored households without a helper), ``exposure_label``.
    """
    units = grids[grids["level"] == 3][["id", "code", "name", "geometry"]]
    empty = units.iloc[0:0].assign(**{c: pd.Series(dtype=np.int64) for c in LAYER_COLUMNS},
                                   exposure_label=pd.Series(dtype=object))
    if result is None:
        return empty
    households = result.inputs.households
    rows = np.unique(_rows(result, kind)["row"].to_numpy(np.int64))
    if not len(rows):
        return empty
    exposed = households.iloc[rows]
    monitored = pd.to_numeric(exposed["attribute"], errors="coerce").to_numpy() == int(
        HouseholdAttribute.MONITORED)
    pairs = result.inputs.helper_pairs
    paired = exposed["id"].isin(set(pairs["household_id"])).to_numpy() if len(pairs) else \
        np.zeros(len(exposed), dtype=bool)
    eliminated = exposed["risk_eliminated"].fillna(False).to_numpy(bool) \
        if "risk_eliminated" in exposed else np.zeros(len(exposed), dtype=bool)
    frame = pd.DataFrame({
        "code": exposed["grid_code"].to_numpy(dtype=object),
        "exposed": 1,
        "exposed_persons": pd.to_numeric(exposed["members"], errors="coerce").fillna(0)
        .to_numpy(np.int64),
        "exposed_monitored": monitored.astype(np.int64),
        "exposed_unpaired": (monitored & ~paired & ~eliminated).astype(np.int64),
    }).dropna(subset=["code"])
    counts = frame.groupby("code", sort=False)[LAYER_COLUMNS].sum().reset_index()
    layer = units.merge(counts, on="code", how="inner").sort_values("id").reset_index(drop=True)
    layer[LAYER_COLUMNS] = layer[LAYER_COLUMNS].astype(np.int64)
    layer["exposure_label"] = layer["exposed"].astype(str)
    return layer
